//! Kubelet expansion (SPEC section 9, "Expansion"; section 13, "Undefined
//! names").
//!
//! `$(NAME)` becomes the value of env var `NAME`, `$$` becomes `$`, and any
//! other `$` stays as written. A value the policy cannot know is kept in the
//! text as a *marker* (`UNKNOWN_OPEN NAME UNKNOWN_CLOSE`), so that a token
//! can be split into flag name and value after expansion and still say which
//! part, and which variable, is unknown. A downward-API pod or host IP is a
//! known non-loopback address: it is kept as a marker of its own
//! (`IP_OPEN NAME IP_CLOSE`) that [`Text::known`] turns into [`IP_STANDIN`].
//!
//! **Cost model.** Expansion copies a variable's value wherever it is read,
//! so a short object can ask for a huge one: `A01="$(A00)$(A00)"`,
//! `A02="$(A01)$(A01)"`, ... doubles at each entry, and a plain chain
//! (`A02="$(A01)x"`) copies a quadratic number of bytes. Two bounds keep the
//! reading linear in the request:
//!
//! - [`MAX_VALUE`] (64 KiB): the most bytes one env value or one token may
//!   hold after expansion;
//! - a [`Budget`] per reading of a workload: the bytes all its expansions may
//!   copy out of variables, [`FLOOR`] (2 KiB) plus one byte per
//!   [`INPUT_PER_BYTE`] (2) bytes of `env`, `command` and `args` read so
//!   far, and never more than [`MAX_TOTAL`] (4 MiB). A byte copied into a
//!   shell script costs [`SHELL_COST`] (16): the script is read again a
//!   character at a time.
//!
//! The budget follows the request's size because a policy server's time is
//! measured against its parse of the request (`make bench`, within 3x of
//! it): a byte copied and read again costs about three times what a byte of
//! a long JSON string costs to parse, so half a byte of copy per byte read
//! keeps the worst request (every copy at the budget) under 3x. A
//! manifest's own expansions (`$(POD_IP)`, `$(POD_NAMESPACE)`, an address
//! built from two variables) copy a few dozen bytes, far below the floor.
//!
//! A reference whose value would take its value or token past
//! [`MAX_VALUE`], or the reading past its budget, is read as *unknown*, as a
//! `valueFrom` is (SPEC 9: "a token that still depends on an unknown value
//! is unknown"), and named by its variable: every rule that needs the value
//! fails closed (W3 counts the address as non-loopback and the boolean as
//! possibly insecure), W4 skips it and W5 is silent. Shell scripts
//! ([`charged`]) draw on the same budget. Markers cost the length of a name
//! and literal text is copied once, so neither is charged.

/// Opens and closes the name of a variable whose value is unknown.
pub(crate) const UNKNOWN_OPEN: char = '\u{E000}';
pub(crate) const UNKNOWN_CLOSE: char = '\u{E001}';
/// Opens and closes the name of a variable that holds the pod's (or node's) IP.
pub(crate) const IP_OPEN: char = '\u{E002}';
pub(crate) const IP_CLOSE: char = '\u{E003}';
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;

/// The most bytes an env value or a token may hold after expansion.
pub(crate) const MAX_VALUE: usize = 64 << 10;
/// The bytes every reading of a workload may copy out of variables.
pub(crate) const FLOOR: usize = 2 << 10;
/// The bytes of `env`, `command` and `args` read per byte a reading may copy.
pub(crate) const INPUT_PER_BYTE: usize = 2;
/// What a byte copied into a shell script costs.
pub(crate) const SHELL_COST: usize = 16;
/// What copies into shell scripts may cost before they draw on the rest of
/// the budget: 16 KiB of variable text at [`SHELL_COST`] (a script reading
/// a few variables twice, as through `eval "exec ... $FLAGS"`, must not
/// spend a small request's whole budget).
pub(crate) const SHELL_FLOOR: usize = (16 << 10) * SHELL_COST;
/// The most bytes one reading of a workload may copy out of variables.
pub(crate) const MAX_TOTAL: usize = 4 << 20;

/// What the expansions of one reading of a workload may still copy out of
/// variables (see the module doc). Shared by its containers.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Bytes that may still be copied.
    left: Cell<usize>,
    /// Bytes granted so far, [`FLOOR`] included (at most [`MAX_TOTAL`]).
    granted: Cell<usize>,
    /// What copies into shell scripts may still cost before they take from
    /// `left` ([`SHELL_FLOOR`]).
    shell_left: Cell<usize>,
}

impl Budget {
    pub(crate) fn new() -> Budget {
        Budget {
            left: Cell::new(FLOOR),
            granted: Cell::new(FLOOR),
            shell_left: Cell::new(SHELL_FLOOR),
        }
    }

    /// Grants a byte per [`INPUT_PER_BYTE`] bytes of `input` read, up to
    /// [`MAX_TOTAL`] in all.
    pub(crate) fn grant(&self, input: &str) {
        let add = (input.len() / INPUT_PER_BYTE).min(MAX_TOTAL - self.granted.get());
        self.granted.set(self.granted.get() + add);
        self.left.set(self.left.get() + add);
    }

    /// Takes `n` units for a copy into a shell script: from the scripts'
    /// own allowance while it lasts, then from the rest.
    pub(crate) fn take_shell(&self, n: usize) -> bool {
        let shell = self.shell_left.get();
        if n <= shell {
            self.shell_left.set(shell - n);
            return true;
        }
        self.take(n)
    }

    /// Takes `n` bytes, when that many are left.
    pub(crate) fn take(&self, n: usize) -> bool {
        let left = self.left.get();
        if n > left {
            return false;
        }
        self.left.set(left - n);
        true
    }
}

/// What every variable the budget cannot pay for reads as.
static UNPAID: Binding<'static> = Binding::Unknown;

/// `binding`, or unknown when the budget cannot pay for copying its text
/// into a shell script ([`SHELL_COST`] a byte): the lookup for the shell.
pub(crate) fn charged<'b, 'c>(
    binding: Option<&'b Binding<'c>>,
    budget: &Budget,
) -> Option<&'b Binding<'c>> {
    match binding {
        Some(Binding::Text(t)) if !budget.take_shell(t.len().saturating_mul(SHELL_COST)) => {
            Some(&UNPAID)
        }
        b => b,
    }
}

/// What a pod or host IP reads as when an address is parsed: some
/// non-loopback IPv4 address (TEST-NET-1; messages name the variable instead).
pub(crate) const IP_STANDIN: &str = "192.0.2.1";

/// What a variable resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Binding<'a> {
    /// Text, possibly with markers.
    Text(Cow<'a, str>),
    /// Unknown as a whole (`valueFrom`, `envFrom`).
    Unknown,
    /// `fieldRef` to `status.podIP`, `status.podIPs` or `status.hostIP`.
    Ip,
}

impl Binding<'_> {
    /// The text that stands for the variable `name` in an expansion.
    pub(crate) fn render(&self, name: &str, out: &mut String) {
        match self {
            Binding::Text(t) => out.push_str(t),
            Binding::Unknown => marker(UNKNOWN_OPEN, name, UNKNOWN_CLOSE, out),
            Binding::Ip => marker(IP_OPEN, name, IP_CLOSE, out),
        }
    }
}

pub(crate) fn marker(open: char, name: &str, close: char, out: &mut String) {
    out.push(open);
    // A name never holds a marker character (it would end the marker early),
    // nor white space a word splitter would cut (a shell's `$(cmd -x)`).
    out.extend(name.chars().filter(|c| !is_marker(*c)).map(|c| {
        if c.is_ascii_whitespace() {
            '\u{a0}'
        } else {
            c
        }
    }));
    out.push(close);
}

fn is_marker(c: char) -> bool {
    matches!(c, UNKNOWN_OPEN | UNKNOWN_CLOSE | IP_OPEN | IP_CLOSE)
}

/// The first byte of every marker character's UTF-8 encoding (they are
/// U+E000 to U+E003): text without it holds no marker. A byte search is much
/// cheaper than decoding every character, and nearly all text has none.
const MARKER_LEAD: u8 = 0xEE;

/// Whether `text` may hold a marker character (a quick, conservative test).
pub(crate) fn may_hold_marker(text: &str) -> bool {
    crate::bytes::find(text.as_bytes(), MARKER_LEAD).is_some()
}

/// How names that `env` does not define are read (SPEC 13, "Undefined names").
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Undefined {
    /// The container has `envFrom`: any undefined name may come from it.
    pub(crate) env_from: bool,
    /// Service links are on: `*_SERVICE_HOST`, `*_SERVICE_PORT` and names
    /// containing `_PORT` may be defined by the kubelet.
    pub(crate) service_links: bool,
}

impl Undefined {
    /// Whether an undefined `name` is unknown (else it stays as written).
    pub(crate) fn is_unknown(&self, name: &str) -> bool {
        // envFrom defines the keys of a ConfigMap or Secret (`[-._a-zA-Z0-9]+`
        // after the entry's prefix): `$((N+1))` or `$(cat /x)` is no name it
        // can define, and stays as written for the shell.
        (self.env_from
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')))
            || (self.service_links
                && (name.ends_with("_SERVICE_HOST")
                    || name.ends_with("_SERVICE_PORT")
                    || name.contains("_PORT")))
    }
}

/// Expands `$(NAME)` and `$$` in `input` as the kubelet does, looking names
/// up with `lookup`. Marker characters written in the input are read as
/// unknown (nothing the object writes may pass for a resolved value). The
/// result borrows `input` exactly when it holds no `$` and no marker (so a
/// borrowed result holds no marker: the command-line reading relies on it).
/// A variable whose text would take the result past [`MAX_VALUE`], or that
/// `budget` cannot pay for, is unknown.
pub(crate) fn kubelet<'i, 'b, 'c: 'b>(
    input: &'i str,
    lookup: impl Fn(&str) -> Option<&'b Binding<'c>>,
    undefined: Undefined,
    budget: &Budget,
) -> Cow<'i, str> {
    if crate::bytes::find(input.as_bytes(), b'$').is_none() && !may_hold_marker(input) {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(i) = rest.find(['$', UNKNOWN_OPEN, UNKNOWN_CLOSE, IP_OPEN, IP_CLOSE]) {
        out.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or('$');
        let after = &rest[i + c.len_utf8()..];
        if c != '$' {
            marker(UNKNOWN_OPEN, "a marker character", UNKNOWN_CLOSE, &mut out);
            rest = after;
        } else if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|a| a.split_once(')')) {
            match lookup(name) {
                Some(Binding::Text(t))
                    if out.len() + t.len() > MAX_VALUE || !budget.take(t.len()) =>
                {
                    marker(UNKNOWN_OPEN, name, UNKNOWN_CLOSE, &mut out)
                }
                Some(b) => b.render(name, &mut out),
                None if undefined.is_unknown(name) => {
                    marker(UNKNOWN_OPEN, name, UNKNOWN_CLOSE, &mut out)
                }
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Text after expansion, read for what is known in it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text<'t>(pub(crate) &'t str);

impl<'t> Text<'t> {
    /// The names of the unknown variables in the text, in order, each once.
    pub(crate) fn unknown(self) -> Vec<&'t str> {
        self.names(UNKNOWN_OPEN, UNKNOWN_CLOSE)
    }

    /// The names of the pod/host IP variables in the text, in order, each once.
    pub(crate) fn ips(self) -> Vec<&'t str> {
        self.names(IP_OPEN, IP_CLOSE)
    }

    /// Each name once: a chain of references repeats a marker as often as
    /// the chain doubles (up to [`MAX_VALUE`] bytes of them). A few names
    /// (nearly always one) are compared in a list; past [`FEW`] a set keeps
    /// the search linear.
    fn names(self, open: char, close: char) -> Vec<&'t str> {
        const FEW: usize = 16;
        let mut out = Vec::new();
        if !may_hold_marker(self.0) {
            return out;
        }
        let mut seen: Option<HashSet<&'t str>> = None;
        let mut rest = self.0;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let end = after.find(close).unwrap_or(after.len());
            let name = &after[..end];
            let new = match &mut seen {
                Some(set) => set.insert(name),
                None => !out.contains(&name),
            };
            if new {
                out.push(name);
                if out.len() == FEW {
                    seen = Some(out.iter().copied().collect());
                }
            }
            rest = after.get(end + close.len_utf8()..).unwrap_or("");
        }
        out
    }

    /// The text before the first unknown value or pod/host IP (all of it
    /// when there is none).
    pub(crate) fn known_prefix(self) -> &'t str {
        if !may_hold_marker(self.0) {
            return self.0;
        }
        self.0.split([UNKNOWN_OPEN, IP_OPEN]).next().unwrap_or("")
    }

    /// The known text, with every pod/host IP read as [`IP_STANDIN`];
    /// `None` when some part is unknown.
    pub(crate) fn known(self) -> Option<String> {
        if !may_hold_marker(self.0) {
            return Some(self.0.to_string());
        }
        if self.0.contains(UNKNOWN_OPEN) {
            return None;
        }
        if !self.0.contains(IP_OPEN) {
            return Some(self.0.to_string());
        }
        let mut out = String::new();
        let mut rest = self.0;
        while let Some(i) = rest.find(IP_OPEN) {
            out.push_str(&rest[..i]);
            out.push_str(IP_STANDIN);
            let after = &rest[i + IP_OPEN.len_utf8()..];
            let end = after.find(IP_CLOSE).unwrap_or(after.len());
            rest = after.get(end + IP_CLOSE.len_utf8()..).unwrap_or("");
        }
        out.push_str(rest);
        Some(out)
    }

    /// The text for messages: a marker shown as `$(NAME)`, or as the shell
    /// wrote it when it stands for a shell's expansion (`$(cat /f)`,
    /// `${A:-x}`, `` `cmd` ``).
    pub(crate) fn shown(self) -> String {
        if !may_hold_marker(self.0) {
            return self.0.to_string();
        }
        let mut out = String::with_capacity(self.0.len() + 8);
        for (k, part) in self.0.split([UNKNOWN_OPEN, IP_OPEN]).enumerate() {
            let (name, rest) = match k {
                0 => ("", part),
                _ => part
                    .split_once([UNKNOWN_CLOSE, IP_CLOSE])
                    .unwrap_or((part, "")),
            };
            match name.starts_with(['$', '`']) {
                true => out.push_str(&name.replace('\u{a0}', " ")),
                false if k > 0 => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
                false => {}
            }
            out.push_str(rest);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flag::Flag;
    use crate::report::{FieldPath, Report};
    use crate::settings::Settings;
    use crate::view::Obj;
    use crate::workloads::cmdline::{read, EnvValue, PodEnv, Val};
    use crate::workloads::{addresses, WorkloadKind};
    use serde_json::{json, Value};
    use std::time::{Duration, Instant};

    /// `n + 1` env vars `A00`.. that each read the one before twice
    /// (`A01="$(A00)$(A00)"`): the value of the last is `2^n` times the first.
    fn doubling(n: usize) -> Vec<Value> {
        let mut env = vec![json!({"name": "A00", "value": "0123456789abcdef"})];
        env.extend((1..=n).map(|i| {
            json!({"name": format!("A{i:02}"), "value": format!("$(A{:02})$(A{:02})", i - 1, i - 1)})
        }));
        env
    }

    /// A plain chain: `A1="$(A0)x"`, ... (each value one byte longer).
    fn chain(n: usize) -> Vec<Value> {
        let mut env = vec![json!({"name": "A0", "value": "x"})];
        env.extend(
            (1..n).map(|i| json!({"name": format!("A{i}"), "value": format!("$(A{})x", i - 1)})),
        );
        env
    }

    fn manager(env: Vec<Value>, args: &[&str]) -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "manager", "command": ["/manager"], "args": args, "env": env}]}}}})
    }

    /// W3 on a Deployment: findings, details, and how long the reading took.
    fn w3(object: &Value) -> (String, Vec<String>, Duration) {
        let start = Instant::now();
        let (found, details) = crate::testing::workload_check(
            addresses::check,
            WorkloadKind::Deployment,
            object,
            &Settings::default(),
            "spec.template.spec.containers[0].",
        );
        (found, details, start.elapsed())
    }

    /// Reads one container with a budget of its own.
    fn with_container<R>(
        c: &Value,
        f: impl FnOnce(&crate::workloads::cmdline::CommandLine, &crate::workloads::cmdline::Env) -> R,
    ) -> R {
        let mut r = Report::new();
        let obj = Obj::at(c, FieldPath::root(), &mut r).unwrap();
        let budget = Budget::new();
        let (line, env) = read(&obj, PodEnv::default(), &[], &budget, &mut r);
        f(&line, &env)
    }

    /// Markers are shown as `$(NAME)`, and a shell's expansion as the
    /// shell wrote it (its white space back from the marker's stand-in).
    #[test]
    fn text_shown_for_messages() {
        let mut t = String::from("--a=");
        marker(UNKNOWN_OPEN, "FROM_CM", UNKNOWN_CLOSE, &mut t);
        t.push(':');
        marker(IP_OPEN, "POD_IP", IP_CLOSE, &mut t);
        t.push(' ');
        marker(UNKNOWN_OPEN, "$(cat /etc/secure)", UNKNOWN_CLOSE, &mut t);
        marker(UNKNOWN_OPEN, "${A:-:8080}", UNKNOWN_CLOSE, &mut t);
        assert_eq!(
            Text(&t).shown(),
            "--a=$(FROM_CM):$(POD_IP) $(cat /etc/secure)${A:-:8080}"
        );
        assert_eq!(Text("plain").shown(), "plain");
    }

    #[test]
    fn bounds_doubling_chain_is_unknown_and_w3_fails_closed() {
        // 2.5 KB of env that would expand to 16 * 2^40 bytes.
        let object = manager(
            doubling(40),
            &["--metrics-bind-address=$(A40)", "--metrics-secure=false"],
        );
        let (found, details, took) = w3(&object);
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert_eq!(found, "W3@args[0]");
        assert!(
            details[0].contains("--metrics-bind-address=$(A40)"),
            "{details:?}"
        );
        // Names the variable it could not see, once.
        assert!(
            details[0].contains("policy cannot see (it reads $(A"),
            "{details:?}"
        );
        assert!(details[0].len() < 1024, "{} bytes", details[0].len());
        // The same chain to a loopback address short of the bounds is known.
        let object = manager(
            vec![
                json!({"name": "HOST", "value": "127.0.0.1"}),
                json!({"name": "ADDR", "value": "$(HOST):8080"}),
            ],
            &["--metrics-bind-address=$(ADDR)", "--metrics-secure=false"],
        );
        assert_eq!(w3(&object).0, "");
    }

    #[test]
    fn bounds_past_the_bound_w4_checks_nothing_and_w5_is_silent() {
        // Short of the bound the same chain is known: W4 refuses the
        // address it spells (16 << 4 bytes of digits and letters).
        let object = manager(doubling(4), &["--health-probe-bind-address=$(A04)"]);
        assert_eq!(w3(&object).0, "W4@args[0]");
        // Past it, unknown: W4 checks only known addresses.
        let object = manager(doubling(40), &["--health-probe-bind-address=$(A40)"]);
        assert_eq!(w3(&object).0, "");
        // W5 ignores a certificate path it cannot know, where it repairs
        // (or rejects) a known one that nothing mounts.
        let w5 = |n: usize| -> bool {
            let path = format!("--metrics-cert-path=/$(A{n:02})");
            let object = manager(doubling(n), &["--metrics-bind-address=:8443", &path]);
            let settings = Settings::default();
            let (report, mutated) = crate::testing::report("Deployment", object, &settings);
            mutated.is_some() || report.has_rule(crate::rule::Rule::W5)
        };
        assert!(w5(4));
        assert!(!w5(40));
    }

    #[test]
    fn bounds_doubling_chain_values_turn_unknown_at_the_bound() {
        let c = json!({"env": doubling(40), "args": ["--metrics-secure=$(A40)"]});
        with_container(&c, |line, env| {
            // The first values are known, in full.
            assert_eq!(
                env.get("A04").unwrap().literal().map(str::len),
                Some(16 << 4)
            );
            // Past the budget, unknown, naming a variable of the chain once.
            match &env.get("A40").unwrap().value {
                Some(EnvValue::Unknown(vars)) => {
                    assert_eq!(vars.len(), 1, "{vars:?}");
                    assert!(vars[0].starts_with('A'), "{vars:?}");
                }
                other => panic!("{other:?}"),
            }
            let b: Vec<_> = line.booleans(Flag::METRICS_SECURE).collect();
            assert_eq!(b.len(), 1);
            assert_eq!(b[0].value, None);
        });
    }

    #[test]
    fn bounds_plain_chain_of_30000_entries_is_linear() {
        let start = Instant::now();
        let c = json!({"env": chain(30_000), "args": ["--metrics-bind-address=$(A29999)"]});
        with_container(&c, |line, env| {
            // The chain is known while the budget lasts ...
            assert_eq!(env.get("A50").unwrap().literal().map(str::len), Some(51));
            // ... and unknown after.
            assert!(matches!(
                env.get("A29999").unwrap().value,
                Some(EnvValue::Unknown(_))
            ));
            let s = line.value(Flag::METRICS_BIND_ADDRESS).unwrap();
            assert!(
                matches!(&s.value, Val::Unknown(v) if v.len() == 1),
                "{:?}",
                s.value
            );
        });
        let took = start.elapsed();
        assert!(took < Duration::from_secs(3), "took {took:?}");
    }

    /// `$(V)` with V's text `len` bytes long, with `budget` bytes to spend.
    fn expand_var(len: usize, budget: &Budget) -> Cow<'static, str> {
        let v = Binding::Text(Cow::Owned("a".repeat(len)));
        let out = kubelet(
            "$(V)",
            |n| (n == "V").then_some(&v),
            Undefined::default(),
            budget,
        );
        Cow::Owned(out.into_owned())
    }

    #[test]
    fn bounds_max_value_just_under_and_just_over() {
        let budget = Budget::new();
        budget.grant(&"x".repeat(4 * MAX_VALUE));
        let under = expand_var(MAX_VALUE, &budget);
        assert_eq!(Text(&under).known().map(|k| k.len()), Some(MAX_VALUE));
        let over = expand_var(MAX_VALUE + 1, &budget);
        assert_eq!(Text(&over).known(), None);
        assert_eq!(Text(&over).unknown(), ["V"]);
        // Literal text counts toward the bound of the value it is in.
        let v = Binding::Text(Cow::Owned("a".repeat(MAX_VALUE - 2)));
        for (input, known) in [("ab$(V)", true), ("abc$(V)", false)] {
            let out = kubelet(input, |_| Some(&v), Undefined::default(), &budget);
            assert_eq!(Text(&out).known().is_some(), known, "{input}");
        }
    }

    #[test]
    fn bounds_budget_just_under_and_just_over() {
        // A new budget holds FLOOR bytes until input is read.
        let budget = Budget::new();
        let at = expand_var(FLOOR, &budget);
        assert!(Text(&at).known().is_some());
        let spent = expand_var(1, &budget);
        assert_eq!(Text(&spent).unknown(), ["V"]);
        // Reading input grants a byte per INPUT_PER_BYTE bytes.
        budget.grant("abcd");
        assert!(Text(&expand_var(4 / INPUT_PER_BYTE, &budget))
            .known()
            .is_some());
        assert!(Text(&expand_var(1, &budget)).known().is_none());
        // Never more than MAX_TOTAL in all.
        let budget = Budget::new();
        budget.grant(&"x".repeat(INPUT_PER_BYTE * MAX_TOTAL + 1));
        assert!(budget.take(MAX_TOTAL));
        assert!(!budget.take(1));
        // An empty value costs nothing.
        assert!(Text(&expand_var(0, &budget)).known().is_some());
    }

    #[test]
    fn bounds_shell_scripts_draw_on_the_budget() {
        let script = "exec /manager --metrics-bind-address=$ADDR --metrics-secure=false";
        let read_addr = |addr: &str| {
            let c =
                json!({"command": ["sh", "-c", script], "env": [{"name": "ADDR", "value": addr}]});
            with_container(&c, |line, env| {
                assert!(env.get("ADDR").unwrap().literal().is_some());
                let s = line.value(Flag::METRICS_BIND_ADDRESS).unwrap();
                s.known().map(str::to_string)
            })
        };
        assert_eq!(
            read_addr("127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        // 16 a byte: a value the script copies costs 16 times its length,
        // from the scripts' own 16 KiB allowance, then from the rest.
        let long = format!("127.0.0.1:{}", "0".repeat(200));
        assert_eq!(read_addr(&long).as_deref(), Some(long.as_str()));
        let past = format!("127.0.0.1:{}", "0".repeat((16 << 10) + 200));
        assert_eq!(read_addr(&past), None);
    }

    /// Env var `name` set to `len` bytes, and the tokens `args`.
    fn container(name: &str, len: usize, args: &[&str]) -> Value {
        json!({"name": name, "command": ["/manager"], "args": args,
               "env": [{"name": name, "value": "1".repeat(len)}]})
    }

    #[test]
    fn bounds_the_budget_is_shared_by_the_containers() {
        // `a` spends nearly all of the floor; `b` needs some of it.
        let a = container("BIG", 400, &["$(BIG)", "$(BIG)", "$(BIG)", "$(BIG)"]);
        let b = container(
            "SMALL",
            500,
            &["$(SMALL)", "$(SMALL)", "--metrics-bind-address=$(SMALL)"],
        );
        let known = |containers: Vec<&Value>| -> Vec<bool> {
            let object = json!({"spec": {"template": {"spec": {"containers": containers}}}});
            let mut r = Report::new();
            let settings = Settings::default();
            let ctx = crate::testing::ctx(&settings);
            let w = crate::workloads::model::Workload::read(
                WorkloadKind::Deployment,
                &object,
                &ctx,
                None,
                &mut r,
            )
            .unwrap();
            let known = w.containers.iter().map(|c| {
                c.cmd.unknown_tokens().is_empty()
                    && c.cmd
                        .values(Flag::METRICS_BIND_ADDRESS)
                        .all(|s| s.known().is_some())
            });
            known.collect()
        };
        assert_eq!(known(vec![&b]), [true]);
        assert_eq!(known(vec![&a]), [true]);
        assert_eq!(known(vec![&a, &b]), [true, false]);
    }

    #[test]
    fn bounds_values_and_names_shown_in_messages() {
        let long = "9".repeat(1000);
        let refs: String = (0..10).map(|i| format!("$(V{i})")).collect();
        let c = json!({
            "envFrom": [{"configMapRef": {"name": "flags"}}],
            "args": [format!("--metrics-bind-address=:{long}"), format!("--metrics-secure={refs}")],
        });
        with_container(&c, |line, _| {
            let s = line.value(Flag::METRICS_BIND_ADDRESS).unwrap();
            let shown = s.shown();
            assert_eq!(
                shown,
                format!("--metrics-bind-address=:{}...", &long[..127])
            );
            let b = line.value(Flag::METRICS_SECURE).unwrap();
            assert_eq!(
                b.unseen(),
                "$(V0), $(V1), $(V2), $(V3), $(V4), $(V5), $(V6), $(V7), 2 more"
            );
        });
    }

    #[test]
    fn names_are_listed_once_in_order() {
        let mut t = String::new();
        for n in ["B", "A", "B", "A", "C"] {
            marker(UNKNOWN_OPEN, n, UNKNOWN_CLOSE, &mut t);
        }
        marker(IP_OPEN, "POD_IP", IP_CLOSE, &mut t);
        marker(IP_OPEN, "POD_IP", IP_CLOSE, &mut t);
        assert_eq!(Text(&t).unknown(), ["B", "A", "C"]);
        // Past a few names, a set: still each once, in order.
        let mut many = String::new();
        for round in 0..3 {
            for i in 0..40 {
                marker(
                    UNKNOWN_OPEN,
                    &format!("V{}", (i + round) % 40),
                    UNKNOWN_CLOSE,
                    &mut many,
                );
            }
        }
        let expected: Vec<String> = (0..40).map(|i| format!("V{i}")).collect();
        assert_eq!(Text(&many).unknown(), expected);
        assert_eq!(Text(&t).ips(), ["POD_IP"]);
    }
}
