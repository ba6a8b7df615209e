//! One resolved model of each container's command line and environment
//! (SPEC section 9, with the readings of section 13). Built once per
//! container; every workload rule (W1-W5, X1-X3) and the injection read it,
//! and nothing else reads `command`, `args` or `env`.
//!
//! - **Expansion** ([`expand`]): `$(NAME)` and `$$` as the kubelet expands
//!   them, env values chained in list order; `valueFrom`/`envFrom` unknown,
//!   except the downward-API pod and host IPs (known non-loopback); a value
//!   past the expansion's bounds unknown too ([`expand::Budget`], shared by
//!   the containers of one reading).
//! - **Shells** ([`shell`]): `sh -c SCRIPT`, after any launchers (`tini`,
//!   `env`, `gosu`, ...), is read as the commands it runs, nested shells and
//!   `eval` included. A script the policy cannot read may set any flag: it is
//!   an unknown token, and each W3 flag its text names a reading of unknown
//!   value, so that W3 fails closed.
//! - **Flags**: tokens in order; a value flag of [`FLAGS`] written without `=`
//!   consumes the next token; one or two dashes are the same flag; neither
//!   `--` nor a positional argument ends the reading. Go's `flag` stops at
//!   the first positional or `--`, pflag does not, both keep the last
//!   occurrence: so a flag's *readings* are the occurrences that are the last
//!   one before some stop point (a positional, `--`, or the end).
//! - **Booleans**: Go's `strconv.ParseBool`; anything else (an empty value
//!   included) is `invalid`, as is a value flag that is the last token.
//! - **Unknown tokens**: a token that does not begin with a known `-NAME=`
//!   may set any flag; rules that fail closed consult [`CommandLine::unknown_tokens`].

pub(crate) mod expand;
pub(crate) mod shell;
#[cfg(test)]
mod tests;

use crate::flag::Flag;
use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::view::{List, Obj};
use expand::{Binding, Budget, Text, Undefined};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// How a flag named in the SPEC takes its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Takes {
    /// `--flag=v` or `--flag v`.
    Value,
    /// Go boolean: bare means true, a value only with `=`.
    Bool,
}

/// Every flag the SPEC names, with how it takes its value (the flags of the
/// `certKeyPairs` setting are value flags too).
pub(crate) const FLAGS: [(Flag<'static>, Takes); 15] = [
    (Flag::METRICS_BIND_ADDRESS, Takes::Value),
    (Flag::DIAGNOSTICS_ADDRESS, Takes::Value),
    (Flag::HEALTH_PROBE_BIND_ADDRESS, Takes::Value),
    (Flag::BIND_ADDRESS, Takes::Value),
    (Flag::METRICS_CERT_PATH, Takes::Value),
    (Flag::METRICS_CERT_NAME, Takes::Value),
    (Flag::METRICS_CERT_KEY, Takes::Value),
    (Flag::WEBHOOK_CERT_PATH, Takes::Value),
    (Flag::TLS_CERT_FILE, Takes::Value),
    (Flag::TLS_PRIVATE_KEY_FILE, Takes::Value),
    (Flag::CERT_FILE, Takes::Value),
    (Flag::KEY_FILE, Takes::Value),
    (Flag::METRICS_SECURE, Takes::Bool),
    (Flag::INSECURE_DIAGNOSTICS, Takes::Bool),
    // A manager's configuration file (SPEC 15).
    (Flag::CONFIG, Takes::Value),
];

/// The env vars the SPEC names.
pub(crate) mod env_names {
    pub(crate) const TLS_CERT: &str = "METRICS_PROMETHEUS_TLS_CERT";
    pub(crate) const TLS_KEY: &str = "METRICS_PROMETHEUS_TLS_KEY";
    pub(crate) const CLIENT_AUTH: &str = "METRICS_PROMETHEUS_TLS_CLIENT_AUTH";
    pub(crate) const CLIENT_CA_FILE: &str = "METRICS_PROMETHEUS_TLS_CLIENT_CA_FILE";
    pub(crate) const MIN_VERSION: &str = "METRICS_PROMETHEUS_TLS_MIN_VERSION";
    pub(crate) const MAX_VERSION: &str = "METRICS_PROMETHEUS_TLS_MAX_VERSION";
    pub(crate) const CURVES: &str = "METRICS_PROMETHEUS_TLS_CURVE_PREFERENCES";
    pub(crate) const CIPHERS: &str = "METRICS_PROMETHEUS_TLS_CIPHER_SUITES";
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A value as far as the policy can know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val<'a> {
    /// Known text (a pod/host IP read as [`expand::IP_STANDIN`]); borrowed
    /// from the object when the token needed no expansion.
    Known(Cow<'a, str>),
    /// Depends on variables whose values the policy cannot see.
    Unknown(Vec<String>),
}

/// One reading of a flag: the value one of the parsers gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Setting<'a> {
    pub(crate) value: Val<'a>,
    /// The value as written in the object (`$(POD_IP):8080`).
    pub(crate) written: Cow<'a, str>,
    /// The flag as the container spells it (`--metrics-bind-address`).
    pub(crate) spelled: Cow<'a, str>,
    /// The token that holds the flag (`...containers[0].args[3]`).
    pub(crate) path: FieldPath,
    /// The downward-API variables (pod or host IP) the value reads.
    pub(crate) ips: Vec<String>,
}

impl Setting<'_> {
    /// The known value, if any.
    pub(crate) fn known(&self) -> Option<&str> {
        match &self.value {
            Val::Known(v) => Some(v),
            Val::Unknown(_) => None,
        }
    }

    /// `--flag=written`, for messages (the value's first
    /// [`QUOTE_MAX`](crate::report::QUOTE_MAX) characters, then `...`).
    pub(crate) fn shown(&self) -> String {
        let mut shown = format!("{}=", self.spelled);
        push_prefix(&mut shown, &self.written);
        shown
    }

    /// The variables the policy could not see, for messages (`$(A), $(B)`).
    pub(crate) fn unseen(&self) -> String {
        match &self.value {
            Val::Unknown(vars) => names(vars),
            Val::Known(_) => String::new(),
        }
    }
}

/// The most variables a message names; the rest are counted.
const NAMES_SHOWN: usize = 8;

/// The variables for messages: a name as `$(NAME)`, anything else (a
/// shell's `$(hostname -i)`, an unread script) as it is described; each cut
/// to its first characters, at most [`NAMES_SHOWN`] of them.
fn names(vars: &[String]) -> String {
    let mut shown: Vec<String> = Vec::with_capacity(vars.len().min(NAMES_SHOWN) + 1);
    for v in vars.iter().take(NAMES_SHOWN) {
        let name = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        let mut out = String::new();
        if name {
            out.push_str("$(");
            push_prefix(&mut out, v);
            out.push(')');
        } else {
            push_prefix(&mut out, &v.replace('\u{a0}', " "));
        }
        shown.push(out);
    }
    if vars.len() > NAMES_SHOWN {
        shown.push(format!("{} more", vars.len() - NAMES_SHOWN));
    }
    shown.join(", ")
}

/// Appends the first [`QUOTE_MAX`](crate::report::QUOTE_MAX) characters of
/// `text` (then `...`): a value shown unquoted in a message.
fn push_prefix(out: &mut String, text: &str) {
    match text.char_indices().nth(crate::report::QUOTE_MAX) {
        Some((end, _)) => {
            out.push_str(&text[..end]);
            out.push_str("...");
        }
        None => out.push_str(text),
    }
}

/// A boolean flag's reading: `None` when the value is unknown.
#[derive(Clone, Debug)]
pub(crate) struct BoolReading<'s, 'a> {
    pub(crate) value: Option<bool>,
    pub(crate) setting: &'s Setting<'a>,
}

/// A token the policy cannot read: it may set any flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnknownToken {
    pub(crate) path: FieldPath,
    pub(crate) written: String,
    pub(crate) vars: Vec<String>,
}

impl UnknownToken {
    pub(crate) fn unseen(&self) -> String {
        names(&self.vars)
    }
}

/// A container's command line, resolved once.
#[derive(Clone, Debug, Default)]
pub(crate) struct CommandLine<'a> {
    /// Flag name (no dashes) and its readings, in token order (a handful of
    /// names: those of [`FLAGS`], static, and the `certKeyPairs` flags).
    readings: Vec<(Cow<'static, str>, Vec<Setting<'a>>)>,
    unknown: Vec<UnknownToken>,
    /// Whether the program is a shell run with `-c SCRIPT`: a flag appended
    /// to `args` would reach the script, not the binary it starts.
    pub(crate) script: bool,
    /// The script's token, and the env names its scripts assign (every name,
    /// when it cannot be read): the binary it starts reads those from its env
    /// with values the policy cannot know.
    pub(crate) script_assigns: Option<(FieldPath, shell::Assigns)>,
    /// What `env` launchers do to the program's environment (`env
    /// METRICS_SECURE=false /manager`, `env -u NAME`, `env -i`).
    pub(crate) launcher_env: LauncherEnv<'a>,
    /// Whether a flag appended to `args` is read by every parser: no
    /// positional argument or `--` after the program name (Go's `flag` stops
    /// there), no unknown token, no shell script.
    pub(crate) appendable: bool,
    /// Flags that some command writes only after Go's `flag` has stopped
    /// in it (a positional argument or `--` before each of its occurrences
    /// there): Go's reading of that command leaves them unset, the binary's
    /// default.
    go_unread: Vec<Cow<'static, str>>,
    /// The further flags the line was read for (`certKeyPairs`, the
    /// dialect's): with [`FLAGS`], the only names [`CommandLine::readings`]
    /// may be asked for (tests only: a misspelt name would read as absent).
    #[cfg(test)]
    extra: Vec<String>,
}

impl<'a> CommandLine<'a> {
    /// Every reading of `flag`, empty values included (an empty value means
    /// unset). A flag the line was not read for would silently read as
    /// absent, so in tests asking for one panics.
    pub(crate) fn readings(&self, flag: Flag) -> &[Setting<'a>] {
        let name = flag.name();
        #[cfg(test)]
        assert!(
            FLAGS.iter().any(|(f, _)| f.name() == name) || self.extra.iter().any(|f| f == name),
            "the command line was not read for flag {name:?}: one missing from FLAGS or from the extra flags"
        );
        self.readings
            .iter()
            .find(|(n, _)| crate::bytes::same(n, name))
            .map_or(&[], |(_, r)| r.as_slice())
    }

    /// The readings that set the flag (a non-empty value, known or not).
    pub(crate) fn values(&self, flag: Flag) -> impl Iterator<Item = &Setting<'a>> {
        self.readings(flag)
            .iter()
            .filter(|s| !matches!(&s.value, Val::Known(v) if v.is_empty()))
    }

    /// The first reading that sets the flag.
    pub(crate) fn value(&self, flag: Flag) -> Option<&Setting<'a>> {
        self.values(flag).next()
    }

    /// Whether the flag is written anywhere.
    pub(crate) fn mentions(&self, flag: Flag) -> bool {
        !self.readings(flag).is_empty()
    }

    /// Whether the flag is written, but only after Go's `flag` has stopped:
    /// one reading leaves it unset (SPEC 9, "Flags").
    pub(crate) fn unset_for_go(&self, flag: Flag) -> bool {
        let name = flag.name();
        self.go_unread.iter().any(|n| n == name)
    }

    /// A boolean flag's readings (values Go cannot parse were reported as
    /// `invalid` when the line was read, and are left out).
    pub(crate) fn booleans(&self, flag: Flag) -> impl Iterator<Item = BoolReading<'_, 'a>> {
        self.readings(flag).iter().filter_map(|s| match &s.value {
            Val::Known(v) => parse_go_bool(v).map(|b| BoolReading {
                value: Some(b),
                setting: s,
            }),
            Val::Unknown(_) => Some(BoolReading {
                value: None,
                setting: s,
            }),
        })
    }

    /// Tokens that may set any flag.
    pub(crate) fn unknown_tokens(&self) -> &[UnknownToken] {
        &self.unknown
    }
}

/// An env var of the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EnvVar<'a> {
    pub(crate) name: &'a str,
    /// `None` when neither a non-empty `value` nor a `valueFrom` is given.
    pub(crate) value: Option<EnvValue<'a>>,
    /// The entry (`...containers[0].env[2]`).
    pub(crate) path: FieldPath,
}

/// The value of a set env var.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EnvValue<'a> {
    /// A literal `value`, expanded and fully known.
    Literal(Cow<'a, str>),
    /// A literal `value` that reads a variable the policy cannot see.
    Unknown(Vec<String>),
    /// A `valueFrom` reference: set, content unknown (trusted by W2).
    From,
}

impl EnvVar<'_> {
    pub(crate) fn is_set(&self) -> bool {
        self.value.is_some()
    }

    /// The literal value, when it is known.
    pub(crate) fn literal(&self) -> Option<&str> {
        match &self.value {
            Some(EnvValue::Literal(v)) => Some(v),
            _ => None,
        }
    }

    /// The path of the field that sets it (`value` or `valueFrom`).
    pub(crate) fn value_path(&self) -> FieldPath {
        match self.value {
            Some(EnvValue::From) => self.path.child("valueFrom"),
            _ => self.path.child("value"),
        }
    }
}

/// The program's environment as `env` launchers leave it.
#[derive(Clone, Debug, Default)]
pub(crate) struct LauncherEnv<'a> {
    /// The variables they set, in order, each read like a flag's value:
    /// name and reading.
    pub(crate) set: Vec<(String, Setting<'a>)>,
    /// `-i`: the container's `env` (and `envFrom`) does not reach it.
    pub(crate) cleared: bool,
    /// `-u NAME`: removed from it.
    pub(crate) unset: Vec<String>,
}

impl<'a> LauncherEnv<'a> {
    /// What the launchers say about `name`: `Some(reading)` when one sets it
    /// (the last wins), `Some(None)` when they remove it (or clear all),
    /// `None` when the container's env decides.
    pub(crate) fn get(&self, name: &str) -> Option<Option<&Setting<'a>>> {
        if let Some((_, s)) = self.set.iter().rev().find(|(n, _)| n == name) {
            return Some(Some(s));
        }
        (self.cleared || self.unset.iter().any(|u| u == name)).then_some(None)
    }
}

/// A container's `env`, resolved once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env<'a> {
    vars: Vec<EnvVar<'a>>,
    /// Name -> index of its last entry.
    last: HashMap<&'a str, usize>,
    /// The `envFrom` entries: their `prefix` (`""` when none) and path.
    from: Vec<(&'a str, FieldPath)>,
}

impl<'a> Env<'a> {
    /// The first `envFrom` entry that may define `name` (its prefix begins
    /// the name), when `env` has no entry for it (an entry wins over
    /// `envFrom`, even an empty one): the value is unknown (SPEC 9).
    pub(crate) fn env_from_may_define(&self, name: &str) -> Option<&FieldPath> {
        if self.get(name).is_some() {
            return None;
        }
        self.from
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .map(|(_, path)| path)
    }

    /// The entry for `name` (the last one when repeated).
    pub(crate) fn get(&self, name: &str) -> Option<&EnvVar<'a>> {
        self.last.get(name).map(|&i| &self.vars[i])
    }

    /// The entry for `name` when it is set.
    pub(crate) fn set(&self, name: &str) -> Option<&EnvVar<'a>> {
        self.get(name).filter(|v| v.is_set())
    }
}

/// What the pod says about undefined names, and the downward-API values
/// the policy knows (SPEC 16, "Known downward-API values").
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PodEnv<'a> {
    /// `enableServiceLinks` is not `false`.
    pub(crate) service_links: bool,
    /// `metadata.namespace`: the request's namespace.
    pub(crate) namespace: &'a str,
    /// `metadata.name`: the request's name.
    pub(crate) name: &'a str,
}

/// The downward-API fields that hold a pod or host IP.
const IP_FIELDS: [&str; 3] = ["status.podIP", "status.podIPs", "status.hostIP"];

/// Reads `env`: each literal expanded from the entries before it.
/// The `envFrom` entries: their `prefix` (`""` when none) and path.
fn env_from<'a>(container: &Obj<'a>) -> Vec<(&'a str, FieldPath)> {
    let Some(serde_json::Value::Array(from)) = container.get("envFrom") else {
        return Vec::new();
    };
    let path = container.path_of("envFrom");
    from.iter()
        .enumerate()
        .map(|(i, f)| {
            let prefix = f.get("prefix").and_then(serde_json::Value::as_str);
            (prefix.unwrap_or(""), path.index(i))
        })
        .collect()
}

fn read_env<'a>(
    container: &Obj<'a>,
    pod: PodEnv<'_>,
    undefined: Undefined,
    budget: &Budget,
    report: &mut Report,
) -> (Env<'a>, HashMap<&'a str, Binding<'a>>) {
    let mut env = Env {
        from: env_from(container),
        ..Env::default()
    };
    let mut bindings: HashMap<&'a str, Binding<'a>> = HashMap::new();
    let Some(list) = container.list("env", report) else {
        return (env, bindings);
    };
    for i in 0..list.len() {
        let Some(entry) = list.obj(i, report) else {
            continue;
        };
        let Some(name) = entry.str("name", report) else {
            continue;
        };
        let literal = entry.str("value", report);
        budget.grant(name);
        budget.grant(literal.unwrap_or(""));
        let (value, binding) = match entry.obj("valueFrom", report) {
            Some(from) => {
                let field = from
                    .obj("fieldRef", report)
                    .and_then(|f| f.str("fieldPath", report));
                let binding = match field {
                    Some(f) if IP_FIELDS.contains(&f) => Binding::Ip,
                    // Known, and neither an address nor a boolean.
                    Some("metadata.namespace") => Binding::Text(Cow::Owned(pod.namespace.into())),
                    Some("metadata.name") => Binding::Text(Cow::Owned(pod.name.into())),
                    _ => Binding::Unknown,
                };
                (Some(EnvValue::From), binding)
            }
            None => {
                let text = expand::kubelet(
                    literal.unwrap_or(""),
                    |n| bindings.get(n),
                    undefined,
                    budget,
                );
                let unknown = Text(&text).unknown();
                let value = match (text.is_empty(), unknown.is_empty()) {
                    (true, _) => None,
                    (false, true) if !text.contains(expand::IP_OPEN) => {
                        Some(EnvValue::Literal(text.clone()))
                    }
                    (false, true) => Text(&text)
                        .known()
                        .map(|k| EnvValue::Literal(Cow::Owned(k))),
                    (false, false) => Some(EnvValue::Unknown(
                        unknown.into_iter().map(str::to_string).collect(),
                    )),
                };
                (value, Binding::Text(text))
            }
        };
        bindings.insert(name, binding);
        env.last.insert(name, env.vars.len());
        env.vars.push(EnvVar {
            name,
            value,
            path: entry.path.clone(),
        });
    }
    (env, bindings)
}

/// One word of the command line after expansion, and the token it came from.
struct Word<'a> {
    text: Cow<'a, str>,
    /// The token as written (for messages).
    written: Cow<'a, str>,
    /// The token: in `args` (else `command`), and its index there.
    at: (bool, usize),
    /// `text` holds no marker: it is the token itself, which the kubelet
    /// leaves as it is (no `$`, no marker character). The readings below
    /// then skip their searches for markers.
    plain: bool,
    /// The first word of a command: the container's first token, or the
    /// first of each command its script runs.
    first: bool,
}

/// The container's `command` and `args`, when present.
type Lists<'a> = [Option<List<'a>>; 2];

/// The path of a `command` or `args` token: built only for a flag the policy
/// reads or a token it cannot.
fn token_path(lists: &Lists, (in_args, index): (bool, usize)) -> FieldPath {
    match &lists[usize::from(in_args)] {
        Some(list) => list.path.index(index),
        // No token comes from a list that is absent.
        None => FieldPath::root(),
    }
}

impl AsRef<str> for Word<'_> {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Splits `-name=value` / `--name=value` / `--name` into name and inline value.
fn split_flag(text: &str) -> Option<(&str, Option<&str>)> {
    let body = text.strip_prefix("--").or_else(|| text.strip_prefix('-'))?;
    if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
        return None;
    }
    match crate::bytes::find(body.as_bytes(), b'=') {
        Some(k) => Some((&body[..k], Some(&body[k + 1..]))),
        None => Some((body, None)),
    }
}

/// The bytes `range` of a word's `text`, borrowed from the object when the
/// text is (no expansion, no shell script).
fn slice<'a>(text: &Cow<'a, str>, range: std::ops::Range<usize>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[range]),
        Cow::Owned(t) => Cow::Owned(t[range].to_string()),
    }
}

/// `text` up to its first `=` (all of it without one), and what follows it.
fn at_equals<'a>(text: &Cow<'a, str>) -> (Cow<'a, str>, Cow<'a, str>) {
    match crate::bytes::find(text.as_bytes(), b'=') {
        Some(k) => (slice(text, 0..k), slice(text, k + 1..text.len())),
        None => (text.clone(), Cow::Borrowed("")),
    }
}

fn val(text: Cow<'_, str>, plain: bool) -> (Val<'_>, Vec<String>) {
    if plain || !expand::may_hold_marker(&text) {
        return (Val::Known(text), Vec::new());
    }
    let t = Text(&text);
    let ips = t.ips().into_iter().map(str::to_string).collect();
    match t.known() {
        Some(k) => (Val::Known(Cow::Owned(k)), ips),
        None => (
            Val::Unknown(t.unknown().into_iter().map(str::to_string).collect()),
            ips,
        ),
    }
}

/// A flag the policy reads: its name as the table spells it (static, so a
/// reading keeps it without a copy) and how it takes its value.
fn known_flag(name: &str, extra: &[(Flag, Takes)]) -> Option<(Cow<'static, str>, Takes)> {
    FLAGS
        .iter()
        .find(|(f, _)| f.name() == name)
        .map(|(f, t)| (Cow::Borrowed(f.name()), *t))
        .or_else(|| {
            extra
                .iter()
                .find(|(f, _)| f.name() == name)
                .map(|(f, t)| (Cow::Owned(f.name().to_string()), *t))
        })
}

/// The latest occurrence of each flag since the last stop point.
type Pending<'a> = Vec<(Cow<'static, str>, Setting<'a>)>;

/// Moves the pending occurrences to the readings (a stop point, or the end).
fn flush<'a>(pending: &mut Pending<'a>, line: &mut CommandLine<'a>) {
    for (name, s) in pending.drain(..) {
        match line.readings.iter_mut().find(|(n, _)| *n == name) {
            Some((_, r)) => r.push(s),
            None => line.readings.push((name, vec![s])),
        }
    }
}

/// A word that is not a flag the policy can name: the variables it may
/// hide are recorded as an unknown token.
fn not_a_flag(w: &Word, lists: &Lists, line: &mut CommandLine) {
    if w.plain {
        return;
    }
    // Only a token that may begin with `-` may set a flag: `ns=$(NS)` or
    // `/data/$(DIR)` is an argument whatever the variable holds.
    let text = Text(&w.text);
    let prefix = text.known_prefix();
    if !(prefix.is_empty() || prefix.starts_with('-')) {
        return;
    }
    let vars = text.unknown();
    if !vars.is_empty() {
        line.unknown.push(UnknownToken {
            path: token_path(lists, w.at),
            written: w.written.to_string(),
            vars: vars.into_iter().map(str::to_string).collect(),
        });
    }
}

/// The flag a word sets, its name and inline value, when the name is known
/// text (before any unknown part).
fn flag_of<'w>(w: &'w Word) -> Option<(&'w str, Option<&'w str>)> {
    let known_prefix = match w.plain {
        true => &*w.text,
        false => Text(&w.text).known_prefix(),
    };
    let whole = known_prefix.len() == w.text.len();
    let flag = split_flag(&w.text).filter(|(_, v)| whole || v.is_some());
    flag.filter(|(n, _)| known_prefix.len() > n.len() || whole)
}

/// A boolean flag's value Go cannot parse: the binary refuses to start.
fn check_bool(spelled: &str, value: &Val, path: &FieldPath, report: &mut Report) {
    if let Val::Known(v) = value {
        if parse_go_bool(v).is_none() {
            report.invalid(
                Rule::Invalid,
                path.clone(),
                format!(
                    "{spelled} is a boolean flag and Go cannot parse {v:?} (the binary refuses to start); use {spelled}=true or {spelled}=false"
                ),
            );
        }
    }
}

/// Whether word `k`, not a flag, stops Go's flag: a positional argument
/// or `--` (or a token that may be one) after the program of its command,
/// which begins at `start`. The words of its launchers (`tini --`, `env
/// X=1`) are not its arguments; `program` is found at the first such word
/// after the command's first, and when it is unknown, every word after the
/// first counts.
fn stops_flags(words: &[Word], k: usize, start: usize, program: &mut Option<usize>) -> bool {
    k > start
        && k > *program
            .get_or_insert_with(|| start + shell::program_index(&words[start..]).unwrap_or(0))
}

/// Where Go's `flag` stops in each command: a flag a command writes only
/// after its first stop point is unset in Go's reading of that command.
#[derive(Default)]
struct GoStops {
    /// The stop points seen, in every command.
    stops: usize,
    /// The current command's first stop point is behind.
    stopped: bool,
    /// The flags the current command writes before, and after, that point.
    before: Vec<Cow<'static, str>>,
    after: Vec<Cow<'static, str>>,
    /// The flags some command writes only after its first stop point.
    unread: Vec<Cow<'static, str>>,
}

impl GoStops {
    /// A flag the current command writes (each name kept once: a handful).
    fn flag(&mut self, name: Cow<'static, str>) {
        let list = match self.stopped {
            true => &mut self.after,
            false => &mut self.before,
        };
        if !list.contains(&name) {
            list.push(name);
        }
    }

    /// A word that is not a flag; a stop point when `stop`.
    fn word(&mut self, stop: bool) {
        self.stopped |= stop;
        self.stops += usize::from(stop);
    }

    /// The end of a command.
    fn end_command(&mut self) {
        for name in self.after.drain(..) {
            if !self.before.contains(&name) && !self.unread.contains(&name) {
                self.unread.push(name);
            }
        }
        self.before.clear();
        self.stopped = false;
    }
}

/// Reads the words into flag readings.
fn read_flags<'a>(
    words: &[Word<'a>],
    lists: &Lists,
    extra: &[(Flag, Takes)],
    line: &mut CommandLine<'a>,
    report: &mut Report,
) {
    let mut pending: Pending<'a> = Vec::new();
    let mut go = GoStops::default();
    let (mut start, mut program, mut i) = (0, None, 0);
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w.first {
            go.end_command();
            (start, program) = (i - 1, None);
        }
        let Some((name, inline)) = flag_of(w) else {
            not_a_flag(w, lists, line);
            go.word(stops_flags(words, i - 1, start, &mut program));
            flush(&mut pending, line);
            continue;
        };
        let Some((name, kind)) = known_flag(name, extra) else {
            continue;
        };
        let (spelled, written_inline) = at_equals(&w.written);
        let path = token_path(lists, w.at);
        let (value_text, plain) = match (kind, inline) {
            // The inline value is the end of the text.
            (_, Some(v)) => (
                slice(&w.text, w.text.len() - v.len()..w.text.len()),
                w.plain,
            ),
            (Takes::Bool, None) => (Cow::Borrowed("true"), true),
            (Takes::Value, None) => match words.get(i) {
                Some(next) => {
                    i += 1;
                    (next.text.clone(), next.plain)
                }
                None => {
                    report.invalid(
                        Rule::Invalid,
                        path,
                        format!("{spelled} is the last argument and has no value; the binary refuses to start"),
                    );
                    continue;
                }
            },
        };
        let written = match inline {
            Some(_) => written_inline,
            None if kind == Takes::Value => words[i - 1].written.clone(),
            None => Cow::Borrowed("true"),
        };
        let (value, ips) = val(value_text, plain);
        if kind == Takes::Bool {
            check_bool(&spelled, &value, &path, report);
        }
        let setting = Setting {
            value,
            written,
            spelled,
            path,
            ips,
        };
        go.flag(name.clone());
        match pending.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = setting,
            None => pending.push((name, setting)),
        }
    }
    flush(&mut pending, line);
    go.end_command();
    line.go_unread = go.unread;
    line.appendable = go.stops == 0 && !line.script;
    for (_, list) in line.readings.iter_mut() {
        list.dedup();
    }
}

/// The `command` and `args` tokens, expanded as the kubelet expands them.
fn expand_tokens<'a>(
    container: &Obj<'a>,
    bindings: &HashMap<&'a str, Binding<'a>>,
    undefined: Undefined,
    budget: &Budget,
    report: &mut Report,
) -> (Lists<'a>, Vec<Word<'a>>) {
    let lists: Lists = [
        container.list("command", report),
        container.list("args", report),
    ];
    let tokens = lists.iter().flatten().map(List::len).sum();
    let mut words: Vec<Word<'a>> = Vec::with_capacity(tokens);
    for (in_args, list) in [false, true].into_iter().zip(&lists) {
        if let Some(list) = list {
            list.each_str(report, |index, text| {
                budget.grant(text);
                let expanded = expand::kubelet(text, |n| bindings.get(n), undefined, budget);
                words.push(Word {
                    // The kubelet's reading borrows only a token it leaves
                    // as written.
                    plain: matches!(expanded, Cow::Borrowed(_)),
                    text: expanded,
                    written: Cow::Borrowed(text),
                    at: (in_args, index),
                    first: words.is_empty(),
                })
            });
        }
    }
    (lists, words)
}

/// Reads a container's command line. `extra` are further flags (those of
/// the `certKeyPairs` setting and of the container's metrics-server dialect);
/// `budget` is the expansion's, shared by the containers of one reading of a
/// workload.
pub(crate) fn read<'a>(
    container: &Obj<'a>,
    pod: PodEnv<'_>,
    extra: &[(Flag, Takes)],
    budget: &Budget,
    report: &mut Report,
) -> (CommandLine<'a>, Env<'a>) {
    let undefined = Undefined {
        env_from: container.has("envFrom"),
        service_links: pod.service_links,
    };
    let (env, bindings) = read_env(container, pod, undefined, budget, report);
    let (lists, mut words) = expand_tokens(container, &bindings, undefined, budget, report);
    let mut line = CommandLine::default();
    #[cfg(test)]
    {
        line.extra = extra.iter().map(|(f, _)| f.name().to_string()).collect();
    }
    let script = shell::invocation(&words).map(|inv| (inv.script, inv.shell.to_string()));
    line.script = script.is_some();
    let mut unread = None;
    if let Some((k, shell)) = script {
        // The script is read as the words of the commands it runs; the
        // tokens after it are its `$0` and positional parameters.
        let at = words[k].at;
        let operands: Vec<String> = words[k + 1..].iter().map(|w| w.text.to_string()).collect();
        let mut split = Vec::new();
        match shell::commands(
            &words[k].text,
            &shell,
            &operands,
            |n| expand::charged(bindings.get(n), budget),
            undefined,
        ) {
            Ok((commands, assigns)) => {
                line.script_assigns = Some((token_path(&lists, at), assigns));
                split = script_words(commands, &words[k].text, at);
            }
            Err(why) => {
                let path = token_path(&lists, at);
                let mut warning = String::from("the shell script is not read: ");
                warning.push_str(why.reason());
                warning.push_str("; so the policy did not read its flags");
                report.warn(Rule::Invalid, &path, warning);
                let unread_assigns = shell::Assigns {
                    unseen: Some(words[k].text.to_string()),
                    ..Default::default()
                };
                line.script_assigns = Some((path.clone(), unread_assigns));
                unread = Some((path, why, Text(&words[k].text).shown()));
            }
        }
        words.splice(k..=k, split);
    }
    let (launched, split_string) = launcher_env(&words, &lists);
    line.launcher_env = launched;
    read_flags(&words, &lists, extra, &mut line, report);
    // `env -S 'PROGRAM ARGS'`, in the container's command or in a command
    // of its script: its string may hold any flag.
    if let Some(path) = split_string {
        line.unknown.push(UnknownToken {
            written: "env -S ...".to_string(),
            vars: vec!["the string of env -S, which the policy does not split".to_string()],
            path,
        });
    }
    if let Some((path, why, text)) = unread {
        line.unreadable_script(path, why, &text);
    }
    (line, env)
}

/// The words of the commands a script runs, as tokens at `at` (the
/// script's): those of builtins that start no program left out.
fn script_words<'a>(commands: Vec<Vec<String>>, script: &str, at: (bool, usize)) -> Vec<Word<'a>> {
    let keep = shell::runs_a_program(script);
    commands
        .into_iter()
        .filter(|c| keep(c))
        .flat_map(|c| c.into_iter().enumerate())
        .map(|(k, word)| Word {
            written: Cow::Owned(Text(&word).shown()),
            text: Cow::Owned(word),
            at,
            plain: false,
            first: k == 0,
        })
        .collect()
}

/// The `env` launchers' edits of the program's environment; the token of
/// an `env -S` string, which the policy does not split.
fn launcher_env<'a>(words: &[Word<'a>], lists: &Lists) -> (LauncherEnv<'a>, Option<FieldPath>) {
    // The launchers before the program: the container's, and those of the
    // command of its script when the script runs one program (with several,
    // which one is the binary is not known, and one's `env -u` is not the
    // others').
    let mut starts: Vec<usize> = (0..words.len()).filter(|&k| words[k].first).collect();
    if starts.len() > 2 {
        starts.truncate(1);
    }
    let mut launch = shell::EnvLaunch::default();
    for start in starts {
        let one = shell::env_launch(&words[start..]);
        launch.cleared |= one.cleared;
        launch.unset.extend(one.unset);
        launch
            .assignments
            .extend(one.assignments.iter().map(|k| start + k));
        launch.split_string = launch.split_string.or(one.split_string.map(|k| start + k));
    }
    let set = launch
        .assignments
        .into_iter()
        .filter_map(|k| {
            let w = &words[k];
            let (name, value) = w.text.split_once('=')?;
            let (value, ips) = val(Cow::Owned(value.to_string()), w.plain);
            let written = w.written.split_once('=').map_or(&*w.written, |(_, v)| v);
            let setting = Setting {
                value,
                written: Cow::Owned(written.to_string()),
                spelled: Cow::Owned(format!("env {name}")),
                path: token_path(lists, w.at),
                ips,
            };
            Some((name.to_string(), setting))
        })
        .collect();
    let split = launch
        .split_string
        .and_then(|k| words.get(k))
        .map(|w| token_path(lists, w.at));
    let env = LauncherEnv {
        set,
        cleared: launch.cleared,
        unset: launch.unset,
    };
    (env, split)
}

/// The flags of W3 (SPEC 13, "Unknown tokens"): a container that names one
/// of them anywhere, even in a script the policy cannot read, fails closed.
const W3_FLAGS: [Flag<'static>; 4] = [
    Flag::METRICS_BIND_ADDRESS,
    Flag::METRICS_SECURE,
    Flag::DIAGNOSTICS_ADDRESS,
    Flag::INSECURE_DIAGNOSTICS,
];

impl CommandLine<'_> {
    /// A shell script that is not read (SPEC 9, "Shells"; 13, "Unknown tokens"): it
    /// may set any flag, so it is an unknown token; and each W3 flag its text
    /// names is a reading of unknown value at the script's path, so that W3
    /// sees the container name the flag and fails closed.
    fn unreadable_script(&mut self, path: FieldPath, why: shell::Unreadable, text: &str) {
        let mut unseen = String::from("a shell script that cannot be read (");
        unseen.push_str(why.short());
        unseen.push(')');
        const SHOWN: usize = 120;
        let mut written: String = text.chars().take(SHOWN).collect();
        if written.len() < text.len() {
            written.push_str("...");
        }
        for flag in W3_FLAGS {
            if !text.contains(flag.name()) {
                continue;
            }
            let setting = Setting {
                value: Val::Unknown(vec![unseen.clone()]),
                written: Cow::Borrowed("<unread>"),
                spelled: Cow::Owned(flag.to_string()),
                path: path.clone(),
                ips: Vec::new(),
            };
            match self.readings.iter_mut().find(|(n, _)| *n == flag.name()) {
                Some((_, r)) => r.push(setting),
                None => self
                    .readings
                    .push((Cow::Borrowed(flag.name()), vec![setting])),
            }
        }
        self.unknown.push(UnknownToken {
            path,
            written,
            vars: vec![unseen],
        });
    }
}

/// A setting named the way `certKeyPairs` names it: a NAME starting with `-`
/// is a command-line flag, any other NAME an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source<'n> {
    Flag(Flag<'n>),
    Env(&'n str),
}

impl<'n> Source<'n> {
    pub(crate) fn parse(name: &'n str) -> Source<'n> {
        if name.starts_with('-') {
            Source::Flag(Flag::declared(name))
        } else {
            Source::Env(name)
        }
    }

    /// Where the container sets this source, if it does.
    pub(crate) fn lookup(&self, line: &CommandLine, env: &Env) -> Option<FieldPath> {
        match self {
            Source::Flag(f) => line.value(*f).map(|h| h.path.clone()),
            Source::Env(n) => env.set(n).map(|v| v.path.clone()),
        }
    }
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(n) => write!(f, "env {n}"),
        }
    }
}
