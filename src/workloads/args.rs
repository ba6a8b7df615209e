//! The one place that reads a container's command-line flags and environment
//! (SPEC sections 5 and 7).
//!
//! Flags come from `command` followed by `args`, in the forms `--flag=value`,
//! `--flag value`, `-flag=value` and `-flag value`, as Go's `flag` package and
//! cobra/pflag accept them. A later occurrence wins, `--` ends the flags, and a
//! flag with an empty value is unset. Boolean flags take a value only with `=`.
//!
//! An env var is set when it has a non-empty `value` or a `valueFrom`; a later
//! entry of the same name wins, as in the kubelet.

use crate::report::{FieldPath, Report};
use crate::rule::Rule;
use crate::view::Obj;
use std::fmt;

/// One string of `command` or `args`, split once into flag name and inline
/// value; its path is built only when a rule reports on it.
#[derive(Clone, Debug)]
struct Token<'a> {
    text: &'a str,
    /// `true` in `args`, `false` in `command`.
    in_args: bool,
    index: usize,
    /// The flag name and `=value`, when the token is a flag.
    flag: Option<(&'a str, Option<&'a str>)>,
}

/// Where a flag's value was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagHit<'a> {
    /// The value, never empty.
    pub value: &'a str,
    /// The path of the token that holds the flag (`...containers[0].args[3]`).
    pub path: FieldPath,
    /// The flag as the container spells it (`--metrics-bind-address`, `-v`).
    pub spelled: &'a str,
}

/// The value of a boolean flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoolHit<'a> {
    pub value: bool,
    pub path: FieldPath,
    pub spelled: &'a str,
}

/// A container's flags, read once from `command` and `args`.
#[derive(Clone, Debug, Default)]
pub struct Flags<'a> {
    tokens: Vec<Token<'a>>,
    /// The tokens before `--`, which ends the flags.
    end: usize,
    command_path: FieldPath,
    /// The path of `args` (where appended flags go), for messages.
    pub args_path: FieldPath,
}

/// Splits `-name=value` / `--name=value` / `--name` into (dashes, name, value).
fn split_flag(text: &str) -> Option<(&str, Option<&str>)> {
    let body = text.strip_prefix("--").or_else(|| text.strip_prefix('-'))?;
    if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
        return None;
    }
    match body.split_once('=') {
        Some((name, value)) => Some((name, Some(value))),
        None => Some((body, None)),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

impl<'a> Flags<'a> {
    /// Reads `command` and `args` of a container; non-string entries are
    /// reported as type errors and skipped.
    pub fn read(container: &Obj<'a>, report: &mut Report) -> Flags<'a> {
        let mut tokens = Vec::new();
        for (in_args, key) in [(false, "command"), (true, "args")] {
            if let Some(list) = container.list(key, report) {
                for (index, text) in list.strs(report) {
                    tokens.push(Token {
                        text,
                        in_args,
                        index,
                        flag: split_flag(text),
                    });
                }
            }
        }
        let end = tokens
            .iter()
            .position(|t| t.text == "--")
            .unwrap_or(tokens.len());
        Flags {
            tokens,
            end,
            command_path: container.path_of("command"),
            args_path: container.path_of("args"),
        }
    }

    /// The path of a token (`...containers[0].args[3]`).
    fn path(&self, t: &Token) -> FieldPath {
        match t.in_args {
            true => self.args_path.index(t.index),
            false => self.command_path.index(t.index),
        }
    }

    /// Every occurrence of flag `name` (with or without dashes) before
    /// `--`: the token index, the inline value if written with `=`, and the
    /// token itself.
    fn occurrences<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = (usize, Option<&'a str>, &'s Token<'a>)> + 's {
        let name = name.trim_start_matches('-');
        self.tokens[..self.end]
            .iter()
            .enumerate()
            .filter_map(move |(i, t)| match t.flag {
                Some((n, v)) if n == name => Some((i, v, t)),
                _ => None,
            })
    }

    /// The value of a flag that takes one (`--name=v` or `--name v`). The
    /// last occurrence wins; an empty value means unset.
    pub fn value(&self, name: &str) -> Option<FlagHit<'a>> {
        let (i, inline, token) = self.occurrences(name).last()?;
        let value = match inline {
            Some(v) => v,
            None => self.tokens.get(i + 1).map(|t| t.text)?,
        };
        if value.is_empty() {
            return None;
        }
        Some(FlagHit {
            value,
            path: self.path(token),
            spelled: token.text.split('=').next().unwrap_or(token.text),
        })
    }

    /// A boolean flag: bare means `true`; a value only with `=`. A value Go
    /// cannot parse is reported as invalid and read as absent.
    pub fn boolean(&self, name: &str, report: &mut Report) -> Option<BoolHit<'a>> {
        let (_, inline, token) = self.occurrences(name).last()?;
        let spelled = token.text.split('=').next().unwrap_or(token.text);
        let value = match inline {
            None => true,
            Some(v) => match parse_go_bool(v) {
                Some(b) => b,
                None => {
                    report.invalid(
                        Rule::Invalid,
                        self.path(token),
                        format!("{spelled} is a boolean flag; use {spelled}=true or {spelled}=false, not {v:?}"),
                    );
                    return None;
                }
            },
        };
        Some(BoolHit {
            value,
            path: self.path(token),
            spelled,
        })
    }

    /// Whether the flag appears at all (with or without a value).
    pub fn mentions(&self, name: &str) -> bool {
        self.occurrences(name).next().is_some()
    }

    /// Whether the container has any command or args.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// The value of an env var.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvValue<'a> {
    /// A literal `value`.
    Literal(&'a str),
    /// A `valueFrom` reference: set, content unknown (trusted).
    From,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar<'a> {
    pub name: &'a str,
    /// `None` when neither a non-empty `value` nor a `valueFrom` is given.
    pub value: Option<EnvValue<'a>>,
    /// The path of the entry (`...containers[0].env[2]`).
    pub path: FieldPath,
}

impl EnvVar<'_> {
    pub fn is_set(&self) -> bool {
        self.value.is_some()
    }

    /// The literal value, if it is one.
    pub fn literal(&self) -> Option<&str> {
        match self.value {
            Some(EnvValue::Literal(v)) => Some(v),
            _ => None,
        }
    }

    /// The path of the `value` field (where a literal is checked).
    pub fn value_path(&self) -> FieldPath {
        match self.value {
            Some(EnvValue::From) => self.path.child("valueFrom"),
            _ => self.path.child("value"),
        }
    }
}

/// A container's `env`, read once.
#[derive(Clone, Debug, Default)]
pub struct Env<'a> {
    vars: Vec<EnvVar<'a>>,
}

impl<'a> Env<'a> {
    pub fn read(container: &Obj<'a>, report: &mut Report) -> Env<'a> {
        let mut vars = Vec::new();
        if let Some(list) = container.list("env", report) {
            for (_, entry) in list.objs(report) {
                let Some(name) = entry.str("name", report) else {
                    continue;
                };
                let literal = entry.str("value", report).filter(|v| !v.is_empty());
                let from = entry.obj("valueFrom", report).is_some();
                let value = match (literal, from) {
                    (_, true) => Some(EnvValue::From),
                    (Some(v), false) => Some(EnvValue::Literal(v)),
                    (None, false) => None,
                };
                vars.push(EnvVar {
                    name,
                    value,
                    path: entry.path.clone(),
                });
            }
        }
        Env { vars }
    }

    /// The entry for `name` (the last one when repeated).
    pub fn get(&self, name: &str) -> Option<&EnvVar<'a>> {
        self.vars.iter().rev().find(|v| v.name == name)
    }

    /// The entry for `name` when it is set.
    pub fn set(&self, name: &str) -> Option<&EnvVar<'a>> {
        self.get(name).filter(|v| v.is_set())
    }

    pub fn iter(&self) -> impl Iterator<Item = &EnvVar<'a>> {
        self.vars.iter()
    }
}

/// A setting named the way `certKeyPairs` names it: a NAME starting with `-`
/// is a command-line flag, any other NAME an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'n> {
    Flag(&'n str),
    Env(&'n str),
}

impl<'n> Source<'n> {
    pub fn parse(name: &'n str) -> Source<'n> {
        if name.starts_with('-') {
            Source::Flag(name.trim_start_matches('-'))
        } else {
            Source::Env(name)
        }
    }

    /// Where the container sets this source, if it does.
    pub fn lookup(&self, flags: &Flags, env: &Env) -> Option<FieldPath> {
        match self {
            Source::Flag(n) => flags.value(n).map(|h| h.path),
            Source::Env(n) => env.set(n).map(|v| v.path.clone()),
        }
    }
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(n) => write!(f, "flag --{n}"),
            Source::Env(n) => write!(f, "env {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn container(v: &Value) -> Obj<'_> {
        let mut r = Report::new();
        Obj::at(v, FieldPath::root().child("c"), &mut r).unwrap()
    }

    fn flags(v: &Value) -> Flags<'_> {
        let mut r = Report::new();
        let f = Flags::read(&container(v), &mut r);
        assert!(r.is_clean(), "{r:?}");
        f
    }

    #[test]
    fn value_flags_in_every_form() {
        for args in [
            json!(["--metrics-bind-address=:8443"]),
            json!(["--metrics-bind-address", ":8443"]),
            json!(["-metrics-bind-address=:8443"]),
            json!(["-metrics-bind-address", ":8443"]),
        ] {
            let v = json!({"command": ["/manager"], "args": args});
            let f = flags(&v);
            let hit = f.value("metrics-bind-address").expect("found");
            assert_eq!(hit.value, ":8443", "{args}");
            assert_eq!(hit.path.as_str(), "c.args[0]");
        }
    }

    #[test]
    fn command_and_args_are_one_command_line() {
        let v = json!({"command": ["/manager", "--tls-cert-file", "/certs/tls.crt"],
                       "args": ["--tls-private-key-file=/certs/tls.key"]});
        let f = flags(&v);
        assert_eq!(
            f.value("tls-cert-file").unwrap().path.as_str(),
            "c.command[1]"
        );
        assert_eq!(
            f.value("tls-private-key-file").unwrap().value,
            "/certs/tls.key"
        );
        assert_eq!(f.value("--tls-cert-file").unwrap().value, "/certs/tls.crt");
        assert_eq!(f.args_path.as_str(), "c.args");
    }

    #[test]
    fn last_occurrence_wins_and_empty_is_unset() {
        let v = json!({"args": ["--cert-file=/a", "--cert-file=/b", "--key-file="]});
        let f = flags(&v);
        assert_eq!(f.value("cert-file").unwrap().value, "/b");
        assert_eq!(f.value("key-file"), None);
        assert!(f.mentions("key-file"));
        let v = json!({"args": ["--cert-file"]});
        assert_eq!(flags(&v).value("cert-file"), None, "no next token");
    }

    #[test]
    fn double_dash_ends_the_flags() {
        let v = json!({"args": ["--leader-elect", "--", "--metrics-bind-address=:8080"]});
        assert_eq!(flags(&v).value("metrics-bind-address"), None);
    }

    #[test]
    fn similar_names_do_not_match() {
        let v = json!({"args": ["--metrics-bind-address-extra=:1", "--metrics=:2", "---metrics-bind-address=:3"]});
        assert_eq!(flags(&v).value("metrics-bind-address"), None);
    }

    #[test]
    fn boolean_flags_take_values_only_with_equals() {
        let mut r = Report::new();
        let cases = [
            (json!(["--metrics-secure"]), Some(true)),
            (json!(["--metrics-secure=false"]), Some(false)),
            (json!(["-metrics-secure=0"]), Some(false)),
            (json!(["--metrics-secure=True"]), Some(true)),
            (json!(["--metrics-secure", "false"]), Some(true)),
            (json!(["--leader-elect"]), None),
        ];
        for (args, expected) in cases {
            let v = json!({"args": args});
            let f = flags(&v);
            assert_eq!(
                f.boolean("metrics-secure", &mut r).map(|h| h.value),
                expected,
                "{args}"
            );
        }
        assert!(r.is_clean());
        let v = json!({"args": ["--metrics-secure=no"]});
        assert_eq!(flags(&v).boolean("metrics-secure", &mut r), None);
        assert_eq!(r.violations[0].path.as_str(), "c.args[0]");
        assert!(r.violations[0].detail.contains("--metrics-secure=false"));
    }

    #[test]
    fn non_string_args_are_type_errors() {
        let v = json!({"args": ["--a", 8080, {"x": 1}], "command": "/manager"});
        let mut r = Report::new();
        let f = Flags::read(&container(&v), &mut r);
        assert!(f.mentions("a"));
        let paths: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, vec!["c.command", "c.args[1]", "c.args[2]"]);
    }

    #[test]
    fn env_set_means_value_or_value_from() {
        let v = json!({"env": [
            {"name": "METRICS_PROMETHEUS_TLS_CERT", "value": "/certs/tls.crt"},
            {"name": "METRICS_PROMETHEUS_TLS_KEY", "value": ""},
            {"name": "METRICS_PROMETHEUS_TLS_CLIENT_AUTH", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
            {"name": "REPEATED", "value": "first"},
            {"name": "REPEATED", "value": "second"},
            {"value": "nameless"}
        ]});
        let mut r = Report::new();
        let env = Env::read(&container(&v), &mut r);
        assert_eq!(
            env.set("METRICS_PROMETHEUS_TLS_CERT").unwrap().literal(),
            Some("/certs/tls.crt")
        );
        assert!(env.set("METRICS_PROMETHEUS_TLS_KEY").is_none());
        assert!(env.get("METRICS_PROMETHEUS_TLS_KEY").is_some());
        let auth = env.set("METRICS_PROMETHEUS_TLS_CLIENT_AUTH").unwrap();
        assert_eq!(auth.value, Some(EnvValue::From));
        assert_eq!(auth.value_path().as_str(), "c.env[2].valueFrom");
        assert_eq!(env.get("REPEATED").unwrap().literal(), Some("second"));
        assert_eq!(env.get("REPEATED").unwrap().path.as_str(), "c.env[4]");
        assert!(
            r.is_clean(),
            "a nameless entry is the API server's to refuse"
        );
    }

    #[test]
    fn env_type_errors_name_the_field() {
        let v = json!({"env": [{"name": "A", "value": 1}, "B"]});
        let mut r = Report::new();
        Env::read(&container(&v), &mut r);
        let paths: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, vec!["c.env[1]", "c.env[0].value"]);
    }

    #[test]
    fn sources_are_flags_or_env() {
        let v =
            json!({"args": ["--client-cert=/c"], "env": [{"name": "CLIENT_KEY", "value": "/k"}]});
        let mut r = Report::new();
        let c = container(&v);
        let (f, e) = (Flags::read(&c, &mut r), Env::read(&c, &mut r));
        assert_eq!(Source::parse("--client-cert"), Source::Flag("client-cert"));
        assert_eq!(Source::parse("CLIENT_KEY"), Source::Env("CLIENT_KEY"));
        assert_eq!(
            Source::parse("-client-cert")
                .lookup(&f, &e)
                .unwrap()
                .as_str(),
            "c.args[0]"
        );
        assert_eq!(
            Source::parse("CLIENT_KEY").lookup(&f, &e).unwrap().as_str(),
            "c.env[0]"
        );
        assert!(Source::parse("--client-key").lookup(&f, &e).is_none());
        assert_eq!(
            Source::parse("--client-cert").to_string(),
            "flag --client-cert"
        );
        assert_eq!(Source::parse("CLIENT_KEY").to_string(), "env CLIENT_KEY");
    }
}
