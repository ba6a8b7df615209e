//! Tables for every reading of SPEC section 9 (and 13's "Flags",
//! "Unknown tokens", "Undefined names"), on the resolved model alone.

use super::expand::{self, Binding, Text, Undefined};
use super::*;
use serde_json::{json, Value};

/// Reads a container; the model and the report.
fn read_c(c: &Value, service_links: bool) -> (CommandLine<'_>, Env<'_>, Report) {
    let mut r = Report::new();
    let obj = Obj::at(c, FieldPath::root().child("c"), &mut r).unwrap();
    let budget = expand::Budget::new();
    let (line, env) = read(
        &obj,
        PodEnv {
            service_links,
            namespace: "guestbook-system",
            name: "guestbook-controller-manager",
        },
        &[(Flag::declared("client-cert"), super::Takes::Value)],
        &budget,
        &mut r,
    );
    (line, env, r)
}

/// The readings of `flag` as `value@path` (unknown values as `?VAR`).
fn readings_of(line: &CommandLine, flag: &str) -> String {
    let shown: Vec<String> = line
        .readings(Flag::declared(flag))
        .iter()
        .map(|s| {
            let v = match &s.value {
                Val::Known(v) => v.to_string(),
                Val::Unknown(vars) => format!("?{}", vars.join(",")),
            };
            format!("{v}@{}", s.path.as_str().trim_start_matches("c."))
        })
        .collect();
    shown.join(" ")
}

/// One case a line: `ARGS => READINGS` of `--metrics-bind-address`, args
/// space-separated, with the env of [`env`].
fn table(flag: &str, cases: &str) {
    for line in cases.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (args, expected) = line.split_once("=>").expect("ARGS => READINGS");
        let args: Vec<&str> = args.split_whitespace().collect();
        let c = json!({"command": ["/manager"], "args": args, "env": env()});
        let (l, _, _) = read_c(&c, false);
        assert_eq!(readings_of(&l, flag), expected.trim(), "{line}");
    }
}

fn env() -> Value {
    json!([
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "POD_IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "FROM_CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
        {"name": "HOST", "value": "0.0.0.0"},
        {"name": "ADDR", "value": "$(HOST):8080"},
        {"name": "EARLY", "value": "$(LATE):1"},
        {"name": "LATE", "value": "x"},
        {"name": "MIXED", "value": "$(FROM_CM):8080"},
        {"name": "PORT", "value": "8443"},
        {"name": "PORT", "value": "9443"}
    ])
}

#[test]
fn expansion_kubelet() {
    table(
        "metrics-bind-address",
        "--metrics-bind-address=$(ADDR) => 0.0.0.0:8080@args[0]
         --metrics-bind-address=:$(PORT) => :9443@args[0]
         # A value is expanded from the entries before it only.
         --metrics-bind-address=$(EARLY) => $(LATE):1@args[0]
         # $$ is a literal $, an undefined name stays as written.
         --metrics-bind-address=$$(HOST):1 => $(HOST):1@args[0]
         --metrics-bind-address=$(NOPE):1 => $(NOPE):1@args[0]
         --metrics-bind-address=$(HOST => $(HOST@args[0]
         --metrics-bind-address=$HOST => $HOST@args[0]
         # Downward-API IPs are known non-loopback; other valueFrom unknown.
         --metrics-bind-address=$(POD_IP):8080 => 192.0.2.1:8080@args[0]
         --metrics-bind-address=$(POD_IPS):8080 => 192.0.2.1:8080@args[0]
         --metrics-bind-address=$(NODE):8080 => ?NODE@args[0]
         --metrics-bind-address=$(MIXED) => ?FROM_CM@args[0]",
    );
}

#[test]
fn expansion_undefined_names() {
    let undefined = |env_from, service_links| Undefined {
        env_from,
        service_links,
    };
    let none = |_: &str| -> Option<&Binding> { None };
    let cases = [
        ("$(X)", undefined(false, true), "$(X)"),
        ("$(X)", undefined(true, false), "?"),
        ("$(METRICS_SERVICE_HOST)", undefined(false, true), "?"),
        ("$(METRICS_SERVICE_PORT)", undefined(false, true), "?"),
        ("$(METRICS_PORT_8443_TCP)", undefined(false, true), "?"),
        (
            "$(METRICS_SERVICE_HOST)",
            undefined(false, false),
            "$(METRICS_SERVICE_HOST)",
        ),
        // Marker characters written in the object are unknown, never trusted.
        ("a\u{E000}b", undefined(false, false), "?"),
    ];
    for (input, u, expected) in cases {
        let out = expand::kubelet(input, none, u, &expand::Budget::new());
        let shown = match Text(&out).known() {
            Some(k) => k,
            None => "?".to_string(),
        };
        assert_eq!(shown, expected, "{input}");
    }
    // A borrowed expansion is the token as written, with no marker: the
    // command-line reading skips its marker searches for it.
    for (input, borrowed) in [
        ("--metrics-bind-address=:8443", true),
        ("$$", false),
        ("$(X)", false),
        ("a\u{E000}b", false),
        ("a\u{E003}", false),
    ] {
        let out = expand::kubelet(input, none, undefined(false, false), &expand::Budget::new());
        assert_eq!(matches!(out, Cow::Borrowed(_)), borrowed, "{input}");
    }
    // envFrom on the container makes undefined names unknown.
    let c = json!({"args": ["--metrics-bind-address=$(ADDR)"], "envFrom": [{"configMapRef": {"name": "c"}}]});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(readings_of(&l, "metrics-bind-address"), "?ADDR@args[0]");
}

#[test]
fn expansion_env_values() {
    let c = json!({"env": env()});
    let (_, e, r) = read_c(&c, false);
    assert!(r.is_clean(), "{r:?}");
    assert_eq!(e.get("ADDR").unwrap().literal(), Some("0.0.0.0:8080"));
    assert_eq!(e.get("PORT").unwrap().literal(), Some("9443"));
    assert_eq!(e.get("PORT").unwrap().path.as_str(), "c.env[10]");
    assert_eq!(
        e.get("MIXED").unwrap().value,
        Some(EnvValue::Unknown(vec!["FROM_CM".into()]))
    );
    assert_eq!(e.get("POD_IP").unwrap().value, Some(EnvValue::From));
    assert_eq!(
        e.get("POD_IP").unwrap().value_path().as_str(),
        "c.env[0].valueFrom"
    );
    let c = json!({"env": [{"name": "EMPTY", "value": ""}, {"name": "A", "value": 1}]});
    let (_, e, r) = read_c(&c, false);
    assert!(e.set("EMPTY").is_none() && e.get("EMPTY").is_some());
    assert_eq!(r.violations[0].path.as_str(), "c.env[1].value");
}

#[test]
fn flags_value_flags_consume_the_next_token() {
    table(
        "metrics-bind-address",
        "--metrics-bind-address :8080 => :8080@args[0]
         -metrics-bind-address :8080 => :8080@args[0]
         -metrics-bind-address=:8080 => :8080@args[0]
         # Whatever the next token looks like.
         --metrics-bind-address --leader-elect => --leader-elect@args[0]
         --metrics-bind-address -- => --@args[0]
         --metrics-bind-address $(NODE) => ?NODE@args[0]
         # Not the same flag.
         --metrics-bind-address-x=:1 =>
         ---metrics-bind-address=:1 =>",
    );
}

#[test]
fn flags_every_reading_a_parser_could_make() {
    table(
        "metrics-bind-address",
        "# The last occurrence wins in both parsers.
         --metrics-bind-address=:1 --metrics-bind-address=:2 => :2@args[1]
         # Go's flag stops at a positional or `--`, pflag does not.
         --metrics-bind-address=:1 serve --metrics-bind-address=:2 => :1@args[0] :2@args[2]
         --metrics-bind-address=:1 -- --metrics-bind-address=:2 => :1@args[0] :2@args[2]
         -- --metrics-bind-address=:2 => :2@args[1]
         # A value consumed by a value flag is not a positional.
         --metrics-bind-address=:1 --metrics-cert-path /c --metrics-bind-address=:2 => :2@args[3]
         # An unknown flag is not a stop; its value may be (fail closed).
         --metrics-bind-address=:1 --zap-log-level info --metrics-bind-address=:2 => :1@args[0] :2@args[3]
         # An empty value is a reading that unsets the flag.
         --metrics-bind-address=:1 --metrics-bind-address= => @args[1]",
    );
    // Wrappers: `tini --` and `dumb-init --` do not end the reading, and
    // a launcher's words are not the program's arguments: a flag appended
    // to `args` reaches the program (it execs the rest of the line).
    for wrapper in [
        json!(["/tini", "--"]),
        json!(["dumb-init", "--"]),
        json!(["/usr/bin/env", "GODEBUG=x509ignoreCN=0"]),
        json!(["tini", "-g", "--"]),
    ] {
        let c = json!({"command": wrapper, "args": ["/manager", "--metrics-bind-address=:8443"]});
        let (l, _, _) = read_c(&c, false);
        assert_eq!(
            readings_of(&l, "metrics-bind-address"),
            ":8443@args[1]",
            "{wrapper}"
        );
        assert!(l.appendable, "{wrapper}");
        // A positional argument after the program stops Go's flag.
        let c = json!({"command": wrapper, "args": ["/manager", "serve", "--metrics-bind-address=:8443"]});
        assert!(!read_c(&c, false).0.appendable, "{wrapper}");
    }
    let c = json!({"command": ["/manager"], "args": ["--metrics-bind-address=:8443"]});
    assert!(read_c(&c, false).0.appendable);
    // Only launchers (what they run is not on the line): nothing is appendable.
    let c = json!({"command": ["/tini", "--"], "args": ["--metrics-bind-address=:8443", "x"]});
    assert!(!read_c(&c, false).0.appendable);
}

#[test]
fn flags_booleans_as_go_parses_them() {
    let cases = [
        ("--metrics-secure", vec![Some(true)], ""),
        ("--metrics-secure=1", vec![Some(true)], ""),
        ("--metrics-secure=t", vec![Some(true)], ""),
        ("--metrics-secure=T", vec![Some(true)], ""),
        ("--metrics-secure=TRUE", vec![Some(true)], ""),
        ("--metrics-secure=True", vec![Some(true)], ""),
        ("--metrics-secure=0", vec![Some(false)], ""),
        ("--metrics-secure=f", vec![Some(false)], ""),
        ("--metrics-secure=F", vec![Some(false)], ""),
        ("--metrics-secure=FALSE", vec![Some(false)], ""),
        ("--metrics-secure=False", vec![Some(false)], ""),
        ("-metrics-secure=false", vec![Some(false)], ""),
        // A boolean takes a value only with `=`: `false` is a positional.
        ("--metrics-secure false", vec![Some(true)], ""),
        ("--metrics-secure=$(FROM_CM)", vec![None], ""),
        ("--metrics-secure=yes", vec![], "invalid@args[0]"),
        ("--metrics-secure=", vec![], "invalid@args[0]"),
        ("--metrics-secure=fAlse", vec![], "invalid@args[0]"),
        ("--insecure-diagnostics=on", vec![], "invalid@args[0]"),
    ];
    for (args, expected, findings) in cases {
        let args: Vec<&str> = args.split(' ').collect();
        let c = json!({"command": ["/manager"], "args": args, "env": env()});
        let (l, _, r) = read_c(&c, false);
        let flag = args[0].split('=').next().unwrap();
        let got: Vec<Option<bool>> = l.booleans(Flag::declared(flag)).map(|b| b.value).collect();
        assert_eq!(got, expected, "{args:?}");
        let found: Vec<String> = r
            .violations
            .iter()
            .map(|v| format!("{}@{}", v.rule, v.path.as_str().trim_start_matches("c.")))
            .collect();
        assert_eq!(found.join(" "), findings, "{args:?}");
    }
    // A value flag that is the last token has no value.
    let c = json!({"args": ["--metrics-bind-address"]});
    let (_, _, r) = read_c(&c, false);
    assert_eq!(r.violations[0].path.as_str(), "c.args[0]");
    assert!(r.violations[0].detail.contains("no value"));
}

#[test]
fn flags_unknown_tokens() {
    let c = json!({"args": ["--leader-elect", "$(FROM_CM)", "--x=$(NODE)", "--$(NODE)=1", "$(POD_IP)", "$(NOPE)"], "env": env()});
    let (l, _, _) = read_c(&c, false);
    let unknown: Vec<(String, &str)> = l
        .unknown_tokens()
        .iter()
        .map(|u| (u.unseen(), u.path.as_str()))
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("$(FROM_CM)".to_string(), "c.args[1]"),
            ("$(NODE)".to_string(), "c.args[3]"),
        ],
        "a known -NAME= prefix, a known IP or a name left as written are not wholly unknown"
    );
}

#[test]
fn flags_cert_key_pair_flags_take_values() {
    let c = json!({"args": ["--client-cert", "/c/tls.crt"]});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(
        l.value(Flag::declared("client-cert")).unwrap().known(),
        Some("/c/tls.crt")
    );
    assert_eq!(
        Source::parse("--client-cert")
            .lookup(&l, &Env::default())
            .unwrap()
            .as_str(),
        "c.args[0]"
    );
}

/// The flags read from a `sh -c` script given as `args[0]` after `command`.
fn script(command: Value, script: &str, flag: &str) -> (String, Report) {
    let c = json!({"command": command, "args": [script], "env": env()});
    let (l, _, r) = read_c(&c, false);
    (readings_of(&l, flag), r)
}

/// `${NAME:-word}` and its kin, as a POSIX shell expands them where the
/// policy knows NAME's value; unknown where it does not (a name `env` does
/// not define may come from the image).
#[test]
fn shells_read_defaulted_expansions() {
    let env = json!([
        {"name": "HOST", "value": "127.0.0.1"},
        {"name": "EMPTY", "value": ""},
        {"name": "FROM_CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}
    ]);
    let cases = [
        ("${HOST:-0.0.0.0}:8443", "127.0.0.1:8443@args[0]"),
        ("${HOST-0.0.0.0}:8443", "127.0.0.1:8443@args[0]"),
        // `=` assigns NAME: a name the script assigns is unknown (SPEC 13).
        ("${HOST:=0.0.0.0}:8443", "?${HOST:=0.0.0.0}@args[0]"),
        ("${HOST:?unset}:8443", "127.0.0.1:8443@args[0]"),
        ("\"${HOST:-0.0.0.0}:8443\"", "127.0.0.1:8443@args[0]"),
        ("${EMPTY:-0.0.0.0}:8443", "0.0.0.0:8443@args[0]"),
        ("${EMPTY=0.0.0.0}:8443", "?${EMPTY=0.0.0.0}@args[0]"),
        ("${EMPTY-0.0.0.0}:8443", ":8443@args[0]"),
        ("${EMPTY:?unset}:8443", "?${EMPTY:?unset}@args[0]"),
        ("${EMPTY:-$HOST}:8443", "?${EMPTY:-$HOST}@args[0]"),
        ("${HOST:+0.0.0.0}:8443", "?${HOST:+0.0.0.0}@args[0]"),
        ("${NOPE:-127.0.0.1}:8443", "?${NOPE:-127.0.0.1}@args[0]"),
        (
            "${FROM_CM:-127.0.0.1}:8443",
            "?${FROM_CM:-127.0.0.1}@args[0]",
        ),
    ];
    for (value, expected) in cases {
        let script = format!("exec /manager --metrics-bind-address={value}");
        let c = json!({"command": ["sh", "-c"], "args": [script], "env": env});
        let (l, _, r) = read_c(&c, false);
        assert_eq!(
            readings_of(&l, "metrics-bind-address"),
            expected,
            "{script}"
        );
        assert!(r.warnings.is_empty(), "{script}: {r:?}");
    }
    // `${NAME:=word}` assigns NAME for the commands after it.
    let c = json!({"command": ["sh", "-c"], "args": [": ${ADDR:=0.0.0.0:8080}; exec /manager --metrics-bind-address=$ADDR"], "env": env});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(readings_of(&l, "metrics-bind-address"), "?ADDR@args[0]");
    // A name the script assigns is unknown, whatever `env` says.
    let c = json!({"command": ["sh", "-c"], "args": ["HOST=$(cat /f); exec /manager --metrics-bind-address=${HOST:-x}"], "env": env});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(
        readings_of(&l, "metrics-bind-address"),
        "?${HOST:-x}@args[0]"
    );
}

#[test]
fn shells_read_the_commands_of_the_script() {
    let sh = json!(["/bin/sh", "-c"]);
    let cases = [
        (
            "exec /manager --metrics-bind-address=:8443",
            ":8443@args[0]",
        ),
        ("/manager --metrics-bind-address :8443", ":8443@args[0]"),
        (
            "exec /manager --metrics-bind-address=\"$HOST:8443\"",
            "0.0.0.0:8443@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address=${HOST}:1",
            "0.0.0.0:1@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address=$POD_IP:1",
            "192.0.2.1:1@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address=$FROM_CM",
            "?FROM_CM@args[0]",
        ),
        (
            "/manager --metrics-bind-address='$HOST:1'",
            "$HOST:1@args[0]",
        ),
        ("/manager --metrics-bind-address=$NOPE:1", "$NOPE:1@args[0]"),
        (
            "A=$(cat /f); /manager --metrics-bind-address=$A",
            "?A@args[0]",
        ),
        (
            "export A=1; /manager --metrics-bind-address=$A",
            "?A@args[0]",
        ),
        (
            "read A < /f; /manager --metrics-bind-address=$A",
            "?A@args[0]",
        ),
        (
            "/manager --metrics-bind-address=$(hostname -i):1",
            "?$(hostname\u{a0}-i)@args[0]",
        ),
        (
            "/manager --metrics-bind-address=`hostname -i`:1",
            "?`hostname\u{a0}-i`@args[0]",
        ),
        (
            "/manager --metrics-bind-address=${HOST:-x}",
            "0.0.0.0@args[0]",
        ),
        (
            "GOGC=50 exec /manager --metrics-bind-address=:1",
            ":1@args[0]",
        ),
        (
            "set -e\nexec /manager \\\n  --metrics-bind-address=:1",
            ":1@args[0]",
        ),
        (
            "/manager --metrics-bind-address=:1 # --metrics-bind-address=:2",
            ":1@args[0]",
        ),
        ("# --metrics-bind-address=:2\n/manager", ""),
        (
            "/manager --metrics-bind-address=:1 && /x --metrics-bind-address=:2",
            ":1@args[0] :2@args[0]",
        ),
        ("/manager --metrics-bind-address=':1;2'", ":1;2@args[0]"),
        ("/manager --metrics-bind-address=\"a b\"", "a b@args[0]"),
    ];
    for (s, expected) in cases {
        let (found, r) = script(sh.clone(), s, "metrics-bind-address");
        assert_eq!(found, expected, "{s:?}");
        assert!(r.warnings.is_empty(), "{s:?}: {r:?}");
    }
    for command in [
        json!(["bash", "-ec"]),
        json!(["/usr/bin/dash", "-e", "-c"]),
        json!(["zsh", "-o", "pipefail", "-c"]),
        json!(["ash", "-c"]),
    ] {
        let (found, _) = script(
            command.clone(),
            "/manager --metrics-bind-address=:1",
            "metrics-bind-address",
        );
        assert_eq!(found, ":1@args[0]", "{command}");
    }
    // Not a shell, or no -c: the token is an argument.
    for command in [
        json!(["/bin/shell", "-c"]),
        json!(["sh"]),
        json!(["sh", "-e"]),
    ] {
        let (found, _) = script(
            command.clone(),
            "--metrics-bind-address=:1",
            "metrics-bind-address",
        );
        assert_eq!(found, ":1@args[0]", "{command} (read as a plain token)");
    }
    // An unsplittable script is not read, with a warning.
    let (found, r) = script(
        sh,
        "/manager --metrics-bind-address=':1",
        "metrics-bind-address",
    );
    assert!(found.starts_with("?a shell script that cannot be read (an unbalanced quote)"));
    assert!(
        crate::testing::warns(
            &r.warnings[0],
            Rule::Invalid,
            "c.args[0]",
            "the shell script is not read: "
        ),
        "{:?}",
        r.warnings
    );
}

#[test]
fn shell_scripts_are_not_appendable() {
    let c =
        json!({"command": ["sh", "-c"], "args": ["exec /manager --metrics-bind-address=:8443"]});
    let (l, _, _) = read_c(&c, false);
    assert!(l.script && !l.appendable);
}

#[test]
fn the_marker_byte_test_sees_every_marker_and_nothing_else() {
    use super::expand::{may_hold_marker, IP_CLOSE, IP_OPEN, UNKNOWN_CLOSE, UNKNOWN_OPEN};
    for m in [UNKNOWN_OPEN, UNKNOWN_CLOSE, IP_OPEN, IP_CLOSE] {
        assert!(may_hold_marker(&format!(
            "--metrics-bind-address={m}POD_IP{m}:8443"
        )));
    }
    for plain in [
        "",
        "--metrics-bind-address=:8443",
        "$(POD_IP)",
        "ünïcödé ✓ 127.0.0.1",
    ] {
        assert!(!may_hold_marker(plain), "{plain}");
    }
}

/// The readings of `--metrics-bind-address` when `command` runs `script`
/// (given as `args[0]`, `operands` after it), with the env of [`env`].
fn through(command: Value, script: &str, operands: &[&str]) -> (String, Report) {
    let mut args = vec![script];
    args.extend_from_slice(operands);
    let c = json!({"command": command, "args": args, "env": env()});
    let (l, _, r) = read_c(&c, false);
    (readings_of(&l, "metrics-bind-address"), r)
}

const MANAGER: &str = "exec /manager --metrics-bind-address=:1";

#[test]
fn shells_behind_launchers() {
    for command in [
        json!(["tini", "--", "sh", "-c"]),
        json!(["/sbin/tini", "-s", "--", "sh", "-c"]),
        json!([
            "/usr/bin/tini",
            "-g",
            "-p",
            "SIGTERM",
            "-e",
            "143",
            "--",
            "/bin/bash",
            "-c"
        ]),
        json!(["/tini", "-vvv", "/bin/sh", "-c"]),
        json!(["dumb-init", "--", "bash", "-c"]),
        json!([
            "/usr/bin/dumb-init",
            "--rewrite",
            "15:2",
            "--single-child",
            "--",
            "sh",
            "-c"
        ]),
        json!(["env", "X=1", "sh", "-c"]),
        json!([
            "/usr/bin/env",
            "-i",
            "-u",
            "HOME",
            "-uPATH",
            "--unset=TERM",
            "X=1",
            "Y=2",
            "bash",
            "-c"
        ]),
        json!(["env", "-C", "/work", "--chdir=/", "--", "sh", "-c"]),
        json!(["su-exec", "app", "sh", "-c"]),
        json!(["gosu", "1001:1001", "/bin/bash", "-c"]),
        json!(["busybox", "sh", "-c"]),
        json!(["/bin/busybox", "ash", "-c"]),
        json!(["nice", "-n", "10", "sh", "-c"]),
        json!(["nice", "-n10", "--adjustment=5", "-5", "sh", "-c"]),
        json!(["timeout", "3600", "sh", "-c"]),
        json!(["timeout", "-s", "KILL", "-k", "30s", "1h", "sh", "-c"]),
        json!([
            "timeout",
            "--signal=TERM",
            "--kill-after",
            "5",
            "--preserve-status",
            "10m",
            "sh",
            "-c"
        ]),
        json!(["timeout", "--sig", "TERM", "10m", "sh", "-c"]),
        json!(["timeout", "-t", "60", "sh", "-c"]),
        json!(["nohup", "sh", "-c"]),
        json!(["setsid", "sh", "-c"]),
        // Chained, in any order.
        json!(["tini", "--", "env", "X=1", "sh", "-c"]),
        json!([
            "/sbin/tini",
            "--",
            "gosu",
            "app",
            "nice",
            "-n",
            "5",
            "timeout",
            "1h",
            "/bin/sh",
            "-ec"
        ]),
        json!(["dumb-init", "busybox", "env", "A=b", "sh", "-c"]),
    ] {
        let (found, r) = through(command.clone(), MANAGER, &[]);
        assert_eq!(found, ":1@args[0]", "{command}");
        assert!(r.warnings.is_empty(), "{command}: {r:?}");
    }
    // In a script too, before the binary or before a nested shell.
    for script in [
        "exec tini -- /manager --metrics-bind-address=:1",
        "exec gosu app env GOGC=50 /manager --metrics-bind-address=:1",
        "exec -a manager /manager --metrics-bind-address=:1",
        "command /manager --metrics-bind-address=:1",
        "exec su-exec app sh -c '/manager --metrics-bind-address=:1'",
        "env -S 'sh -c' '/manager --metrics-bind-address=:1'",
    ] {
        let (found, r) = through(json!(["sh", "-c"]), script, &[]);
        assert_eq!(found, ":1@args[0]", "{script}");
        assert!(r.warnings.is_empty(), "{script}: {r:?}");
    }
    // Not a shell after the launchers, or no -c: the script is an argument.
    for command in [
        json!(["tini", "--", "/bin/shell", "-c"]),
        json!(["tini", "--", "sh"]),
        json!(["gosu", "sh", "-c"]),
        json!(["timeout", "sh", "-c"]),
    ] {
        let (found, _) = through(command.clone(), "--metrics-bind-address=:1", &[]);
        assert_eq!(found, ":1@args[0]", "{command} (read as a plain token)");
    }
}

#[test]
fn shells_options_before_the_script() {
    for command in [
        json!(["bash", "-O", "extglob", "-c"]),
        json!(["bash", "+O", "extglob", "-c"]),
        json!(["bash", "-o", "pipefail", "-c"]),
        json!(["bash", "+o", "posix", "-c"]),
        json!(["sh", "-e", "-u", "-c"]),
        json!(["bash", "--norc", "--noprofile", "-c"]),
        json!(["bash", "--posix", "--login", "-c"]),
        json!(["bash", "--rcfile", "/etc/rc", "-c"]),
        json!(["bash", "--init-file", "-c", "-c"]),
        json!(["bash", "-ec"]),
        json!(["bash", "-xec"]),
        json!(["bash", "-euo", "pipefail", "-c"]),
        json!(["bash", "-c", "--"]),
        json!(["/bin/bash", "-l", "-c"]),
    ] {
        let (found, r) = through(command.clone(), MANAGER, &[]);
        assert_eq!(found, ":1@args[0]", "{command}");
        assert!(r.warnings.is_empty(), "{command}: {r:?}");
    }
    // An option's argument is not the script (`-o c` names an option).
    let c = json!({"command": ["bash", "-o", "-c"], "args": [MANAGER]});
    let (l, _, _) = read_c(&c, false);
    assert!(!l.script);
    // `$0` and the positional parameters come after the script.
    let cases = [
        (
            "exec /manager \"$@\"",
            &["manager", "--metrics-bind-address=:2"][..],
            ":2@args[0] :2@args[2]",
        ),
        (
            "exec /manager $@",
            &["manager", "--metrics-bind-address=:2"],
            ":2@args[0] :2@args[2]",
        ),
        (
            "exec /manager --metrics-bind-address=\"$1\"",
            &["m", ":3"],
            ":3@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address=$2",
            &["m", ":3"],
            "@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address=:$#",
            &["m", "a", "b"],
            ":2@args[0]",
        ),
        (
            "shift; exec /manager --metrics-bind-address=$1",
            &["m", ":3"],
            "?$1@args[0]",
        ),
        (
            "set -- x; exec /manager --metrics-bind-address=$1",
            &["m", ":3"],
            "?$1@args[0]",
        ),
        (
            "set -e; exec /manager --metrics-bind-address=$1",
            &["m", ":3"],
            ":3@args[0]",
        ),
    ];
    for (script, operands, expected) in cases {
        let (found, _) = through(json!(["sh", "-c"]), script, operands);
        assert_eq!(found, expected, "{script} {operands:?}");
    }
}

#[test]
fn shells_nested_and_eval() {
    let cases = [
        ("bash -c '/manager --metrics-bind-address=:1'", ":1@args[0]"),
        (
            "sh -c \"bash -c '/manager --metrics-bind-address=:1'\"",
            ":1@args[0]",
        ),
        (
            "exec tini -- bash -ec \"exec /manager --metrics-bind-address=$HOST:1\"",
            "0.0.0.0:1@args[0]",
        ),
        (
            "bash -c 'exec /manager \"$@\"' m --metrics-bind-address=:4",
            ":4@args[0]",
        ),
        ("eval /manager --metrics-bind-address=:1", ":1@args[0]"),
        (
            "eval \"/manager --metrics-bind-address=$HOST:1\"",
            "0.0.0.0:1@args[0]",
        ),
        // eval expands again what single quotes kept.
        (
            "eval '/manager --metrics-bind-address=$HOST:1'",
            "0.0.0.0:1@args[0]",
        ),
        ("eval \"/manager $(cat /flags)\"", ""),
        (
            "eval eval eval /manager --metrics-bind-address=:1",
            ":1@args[0]",
        ),
        // An unreadable nested script leaves the whole script unread.
        (
            "bash -c \"/manager --metrics-bind-address=':1\"",
            "?a shell script that cannot be read",
        ),
    ];
    for (script, expected) in cases {
        let (found, _) = through(json!(["sh", "-c"]), script, &[]);
        assert_eq!(found.split(" (").next().unwrap(), expected, "{script}");
    }
    // The unknown word eval runs may set any flag.
    let c = json!({"command": ["sh", "-c"], "args": ["eval \"/manager $(cat /flags)\""]});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(l.unknown_tokens()[0].unseen(), "$(cat /flags)");
    assert_eq!(l.unknown_tokens()[0].path.as_str(), "c.args[0]");
    // Past the nesting bound the script is not read, with a warning, and
    // the W3 flags it names are unknown at its path.
    let (found, r) = through(
        json!(["sh", "-c"]),
        "eval eval eval eval /manager --metrics-bind-address=:1",
        &[],
    );
    assert!(
        found.starts_with("?a shell script that cannot be read (shells nested more than 4 deep)"),
        "{found}"
    );
    assert!(found.ends_with("@args[0]"), "{found}");
    assert!(
        r.warnings[0].detail.contains("more than 4 deep"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn shells_ansi_c_quoting() {
    let bash = json!(["bash", "-c"]);
    let cases = [
        ("/manager $'--metrics-bind-address\\x3d:1'", ":1@args[0]"),
        (
            "/manager $'--metrics-bind-address=\\072\\061'",
            ":1@args[0]",
        ),
        ("/manager $'--metrics-bind-address=\\u003a1'", ":1@args[0]"),
        (
            "/manager $'--metrics-bind-address=\\U0000003a1'",
            ":1@args[0]",
        ),
        ("/manager $'--metrics-bind-address=a\\'b'", "a'b@args[0]"),
        (
            "/manager $'--metrics-bind-address=a\\tb\\\\'",
            "a\tb\\@args[0]",
        ),
        // bash ends the string at a NUL.
        ("/manager $'--metrics-bind-address=:1\\x00:2'", ":1@args[0]"),
        // Inside double quotes, $'...' is not special.
        ("/manager \"--metrics-bind-address=$'x'\"", "$'x'@args[0]"),
    ];
    for (script, expected) in cases {
        let (found, r) = through(bash.clone(), script, &[]);
        assert_eq!(found, expected, "{script}");
        assert!(r.warnings.is_empty(), "{script}: {r:?}");
    }
    // An escape that decodes to a marker character is unknown.
    let (found, _) = through(
        bash.clone(),
        "/manager $'--metrics-bind-address=\\uE000'",
        &[],
    );
    assert_eq!(found, "?a\u{a0}marker\u{a0}character@args[0]");
    // dash has no $'...'; sh and ash may be dash or not: both readings.
    let script = "/manager $'--metrics-bind-address\\x3d:1'";
    let (found, _) = through(json!(["dash", "-c"]), script, &[]);
    assert_eq!(found, "");
    for shell in ["sh", "ash", "/bin/sh", "zsh"] {
        let (found, _) = through(json!([shell, "-c"]), script, &[]);
        assert_eq!(found, ":1@args[0]", "{shell}");
    }
}

#[test]
fn shells_brace_expansion() {
    let bash = json!(["bash", "-c"]);
    let cases = [
        (
            "/manager --metrics-{bind-address=:1,secure=false}",
            ":1@args[0]",
        ),
        (
            "/manager --{metrics,health-probe}-bind-address=:1",
            ":1@args[0]",
        ),
        ("/manager --metrics-bind-address=:{1..3}", ":3@args[0]"),
        ("/manager --metrics-bind-address={x,:{8..9}}", ":9@args[0]"),
        (
            "/manager --metrics-bind-address=:80{08..10..2} /x",
            ":8010@args[0]",
        ),
        ("/manager --metrics-bind-address={a..c}", "c@args[0]"),
        // Not expanded: quoted, a lone word, no comma, ${...}.
        ("/manager '--metrics-{bind-address=:1,x}'", ""),
        ("/manager --metrics-bind-address='{a,b}'", "{a,b}@args[0]"),
        ("/manager --metrics-bind-address={a}", "{a}@args[0]"),
        ("/manager --metrics-bind-address=${HOST}", "0.0.0.0@args[0]"),
        ("{ /manager --metrics-bind-address=:1; }", ":1@args[0]"),
    ];
    for (script, expected) in cases {
        let (found, r) = through(bash.clone(), script, &[]);
        assert_eq!(found, expected, "{script}");
        assert!(r.warnings.is_empty(), "{script}: {r:?}");
    }
    // dash and busybox ash have no brace expansion; sh may be bash.
    let script = "/manager --metrics-{bind-address=:1,secure=false}";
    for (shell, expected) in [
        ("dash", ""),
        ("ash", ""),
        ("sh", ":1@args[0]"),
        ("zsh", ":1@args[0]"),
    ] {
        let (found, _) = through(json!([shell, "-c"]), script, &[]);
        assert_eq!(found, expected, "{shell}");
    }
    // Past the bound, the word is unknown (a token that may set any flag).
    let c = json!({"command": ["bash", "-c"], "args": ["/manager --metrics-bind-address=:1 --x{1..100000}"]});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(
        l.unknown_tokens()[0].unseen(),
        "a brace expansion larger than the policy reads"
    );
}

/// SPEC 9, "split into words as a POSIX shell splits them": an unquoted
/// expansion whose value is unknown may split into further words, each
/// wholly unknown (SPEC 13, "Unknown tokens"); quoted, an assignment's value
/// or a redirection's target, it does not.
#[test]
fn shells_unquoted_unknown_values_may_split() {
    let env_from = json!([{"configMapRef": {"name": "manager-config"}}]);
    let tokens = |script: &str| {
        let c = json!({"command": ["sh", "-c"], "args": [script], "envFrom": env_from});
        let (l, _, _) = read_c(&c, false);
        let unknown: Vec<String> = l
            .unknown_tokens()
            .iter()
            .map(|u| u.vars.join(","))
            .collect();
        (readings_of(&l, "metrics-secure"), unknown.join(" "))
    };
    assert_eq!(
        tokens("exec /manager --metrics-secure=$A"),
        ("?A@args[0]".into(), "A".into())
    );
    assert_eq!(
        tokens("exec /manager --metrics-secure=`cat /flags`"),
        (
            "?`cat\u{a0}/flags`@args[0]".into(),
            "`cat\u{a0}/flags`".into()
        )
    );
    // A value the kubelet put into the script (`$(A)`, from envFrom): the
    // shell splits it too.
    assert_eq!(
        tokens("exec /manager --metrics-secure=$(A)"),
        ("?A@args[0]".into(), "A".into())
    );
    for script in [
        "exec /manager --metrics-secure=\"$A\"",
        "A=$B; exec /manager --metrics-secure=\"$A\"",
        "exec /manager --metrics-secure=\"$A\" >/var/log/$B",
        // A token whose known start is not `-` sets no flag, whatever the
        // variable holds (quoted, it is one word).
        "echo \"ns=$B\"; mkdir -p \"/data/$B\"; exec /manager --metrics-secure=\"$A\"",
    ] {
        assert_eq!(
            tokens(script),
            ("?A@args[0]".into(), String::new()),
            "{script}"
        );
    }
    // Arithmetic is a number, and `case WORD in` starts no program.
    for script in [
        "exec /manager --workers=$((N+1)) --metrics-secure=\"$A\"",
        "case \"$B\" in *) exec /manager --metrics-secure=\"$A\";; esac",
    ] {
        assert_eq!(
            tokens(script),
            ("?A@args[0]".into(), String::new()),
            "{script}"
        );
    }
    // Unquoted, it splits: the words after the first may be flags.
    assert_eq!(
        tokens("mkdir -p /data/$B; exec /manager --metrics-secure=\"$A\""),
        ("?A@args[0]".into(), "B".into())
    );
}

#[test]
fn shells_undefined_names_and_assignments() {
    // envFrom: every undefined name may be defined.
    let c = json!({"command": ["sh", "-c"], "args": ["exec /manager --metrics-bind-address=$ADDR"],
                   "envFrom": [{"configMapRef": {"name": "manager-config"}}]});
    let (l, _, _) = read_c(&c, false);
    assert_eq!(readings_of(&l, "metrics-bind-address"), "?ADDR@args[0]");
    // Service links: *_SERVICE_HOST, *_SERVICE_PORT, *_PORT*.
    let c = json!({"command": ["sh", "-c"], "args": ["exec /manager --metrics-bind-address=${METRICS_SERVICE_HOST}:$METRICS_PORT"]});
    let (l, _, _) = read_c(&c, true);
    assert_eq!(
        readings_of(&l, "metrics-bind-address"),
        "?METRICS_SERVICE_HOST,METRICS_PORT@args[0]"
    );
    let (l, _, _) = read_c(&c, false);
    assert_eq!(
        readings_of(&l, "metrics-bind-address"),
        "$METRICS_SERVICE_HOST:$METRICS_PORT@args[0]"
    );
    // A script that may assign any name (source, export $(...)).
    for script in [
        "source /etc/manager.env; exec /manager --metrics-bind-address=$HOST",
        "set -a; . /etc/manager.env; exec /manager --metrics-bind-address=$HOST",
        "export $(cat /etc/manager.env | xargs); exec /manager --metrics-bind-address=$HOST",
        "eval \"$(cat /env)\"; exec /manager --metrics-bind-address=$HOST",
        "HOST=127.0.0.1; sh -c 'exec /manager --metrics-bind-address=$HOST'",
    ] {
        let (found, _) = through(json!(["sh", "-c"]), script, &[]);
        assert_eq!(found, "?HOST@args[0]", "{script}");
    }
    // eval of a known value assigns what the value assigns; of a value
    // the policy cannot see, any name.
    let env = json!([{"name": "DEFS", "value": "HOST=0.0.0.0 PORT=1"},
                     {"name": "HOST", "value": "127.0.0.1"},
                     {"name": "CM", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]);
    for (script, expected) in [
        (
            "eval \"$DEFS\"; exec /manager --metrics-bind-address=$HOST:1",
            "?HOST@args[0]",
        ),
        (
            "eval $CM; exec /manager --metrics-bind-address=$HOST:1",
            "?HOST@args[0]",
        ),
        (
            "eval /bin/true; exec /manager --metrics-bind-address=$HOST:1",
            "127.0.0.1:1@args[0]",
        ),
    ] {
        let c = json!({"command": ["sh", "-c"], "args": [script], "env": env});
        let (l, _, _) = read_c(&c, false);
        assert_eq!(
            readings_of(&l, "metrics-bind-address"),
            expected,
            "{script}"
        );
    }
    // Assigning PATH keeps other names known.
    let (found, _) = through(
        json!(["sh", "-c"]),
        "export PATH=$PATH:/opt/bin; exec /manager --metrics-bind-address=$HOST",
        &[],
    );
    assert_eq!(found, "0.0.0.0@args[0]");
}

#[test]
fn shells_words_redirections_and_bounds() {
    let cases = [
        (
            "exec /manager --metrics-bind-address=:1 2>&1 >/dev/null",
            ":1@args[0]",
        ),
        (
            "exec /manager --metrics-bind-address :1 > /tmp/log 2> /tmp/err",
            ":1@args[0]",
        ),
        (
            "/manager --metrics-bind-address=:1 &> /tmp/log",
            ":1@args[0]",
        ),
        (
            "if [ -f /x ]; then exec /manager --metrics-bind-address=:1; fi",
            ":1@args[0]",
        ),
        // Here-documents are data: an apostrophe in one is no quote.
        (
            "cat > /etc/manager.yaml <<EOF\nit's --metrics-bind-address=:2\nEOF\nexec /manager --metrics-bind-address=:1",
            ":1@args[0]",
        ),
        (
            "cat <<-'END' >/x; cat <<A\n\tit's\n\tEND\nit's\nA\nexec /manager --metrics-bind-address=:1",
            ":1@args[0]",
        ),
        ("cat <<< \"--metrics-bind-address=:2\"; /manager --metrics-bind-address=:1", ":1@args[0]"),
        // A here-document that splits may feed a shell: read too.
        ("sh <<EOF\nexec /manager --metrics-bind-address=:1\nEOF", ":1@args[0]"),
        ("/manager --metrics-bind-address=a\\ b", "a b@args[0]"),
        ("/manager --metrics-bind-address=\"a\\\"b\"", "a\"b@args[0]"),
        (
            "/manager --metrics-bind-address=$((1+1))",
            "?$((1+1))@args[0]",
        ),
        (
            "/manager --metrics-bind-address=${HOST:-${X}}",
            "0.0.0.0@args[0]",
        ),
        (
            "/manager --metrics-bind-address=${NOPE:-${X}}",
            "?${NOPE:-${X}}@args[0]",
        ),
    ];
    for (script, expected) in cases {
        let (found, r) = through(json!(["sh", "-c"]), script, &[]);
        assert_eq!(found, expected, "{script}");
        assert!(r.warnings.is_empty(), "{script}: {r:?}");
    }
    // Unclosed expansions cannot be split.
    for script in [
        "/manager $(x",
        "/manager ${X",
        "/manager `x",
        "/manager \"x",
    ] {
        let (_, r) = through(json!(["sh", "-c"]), script, &[]);
        assert!(
            r.warnings[0].detail.contains("unbalanced quote"),
            "{script}"
        );
    }
    // A script longer than the bound is not read.
    let long = format!("{MANAGER} {}", "x ".repeat(shell::MAX_SCRIPT / 2));
    let (_, r) = through(json!(["sh", "-c"]), &long, &[]);
    assert!(
        r.warnings[0]
            .detail
            .contains("longer than the policy reads"),
        "{:?}",
        r.warnings
    );
    // More words than the bound (through brace expansion) are not read.
    let many = format!("{MANAGER} {}", "{a,b,c,d}{a,b,c,d}{a,b,c,d} ".repeat(300));
    let (_, r) = through(json!(["bash", "-c"]), &many, &[]);
    assert!(
        r.warnings[0].detail.contains("more words than"),
        "{:?}",
        r.warnings
    );
}

/// A flag the line was not read for reads as absent, which would turn a
/// rule off silently. The SPEC's flags are `Flag` constants (a misspelt one
/// does not compile); any other name, as a test table or the settings give
/// it, fails the test when the line was not read for it.
#[test]
#[should_panic(expected = "was not read for flag \"metrics-secure-typo\"")]
fn a_misspelt_flag_name_fails_the_test() {
    let c = json!({"name": "manager", "args": ["--metrics-secure=false"]});
    let (line, _, _) = read_c(&c, true);
    let _ = line.readings(Flag::declared("metrics-secure-typo"));
}

/// SPEC 13, "a name assigned anywhere in the script is unknown", in every
/// way bash and dash assign one, and what the script leaves to the binary's
/// env (the dialect's `METRICS_*` readings); shapes the review found
/// admitted with plaintext metrics on every interface.
#[test]
fn shells_assign_names_in_every_form() {
    let bash = json!(["/bin/bash", "-c"]);
    let cases = [
        (
            "unset HOST; exec /manager --metrics-bind-address=$HOST:1",
            "?HOST@args[0]",
        ),
        (
            "printf -v HOST x; exec /manager --metrics-bind-address=$HOST:1",
            "?HOST@args[0]",
        ),
        (
            "mapfile HOST < /f; exec /manager --metrics-bind-address=$HOST",
            "?HOST@args[0]",
        ),
        (
            "readarray -t HOST < /f; exec /manager --metrics-bind-address=$HOST",
            "?HOST@args[0]",
        ),
        (
            "select HOST in a b; do break; done; exec /manager --metrics-bind-address=$HOST",
            "?HOST@args[0]",
        ),
        // printf without -v assigns nothing.
        (
            "printf HOST; exec /manager --metrics-bind-address=$HOST:1",
            "0.0.0.0:1@args[0]",
        ),
        // bash's $"..." is the text in double quotes.
        (
            "exec /manager --metrics-bind-address=127.0.0.1:1 $\"--metrics-bind-address=:8080\"",
            ":8080@args[0]",
        ),
    ];
    for (text, want) in cases {
        let (got, _) = script(bash.clone(), text, "metrics-bind-address");
        assert_eq!(got, want, "{text}");
    }
    // `sh` may be dash (a `$` before the quoted text) or bash: both readings.
    let (got, _) = script(
        json!(["/bin/sh", "-c"]),
        "exec /manager --metrics-bind-address=127.0.0.1:1 $\"--metrics-bind-address=:8080\"",
        "metrics-bind-address",
    );
    assert_eq!(got, "127.0.0.1:1@args[0] :8080@args[0]");
    // What the scripts assign, for the env the binary reads.
    let assigns = |text: &str| {
        let c = json!({"command": ["/bin/sh", "-c", text], "env": env()});
        let (l, _, _) = read_c(&c, false);
        let (_, a) = l.script_assigns.clone().expect("a script");
        (a.name("METRICS_SECURE"), a.name("METRICS_ADDR"))
    };
    assert_eq!(
        assigns("export METRICS_SECURE=false; exec /manager"),
        (true, false)
    );
    assert_eq!(assigns("METRICS_ADDR=:8080 exec /manager"), (false, true));
    assert_eq!(
        assigns("sh -c 'export METRICS_ADDR=:1; exec /manager'"),
        (false, true)
    );
    assert_eq!(assigns(". /etc/profile; exec /manager"), (false, false));
    assert_eq!(
        assigns(". /etc/manager.env; echo $METRICS_SECURE; exec /manager"),
        (true, false)
    );
    assert_eq!(assigns("exec /manager"), (false, false));
}

/// A script that assigns IFS for the commands that follow, or defines an
/// alias, splits or runs words where the policy cannot see: it is not read
/// (and a W3 flag it names fails closed). `IFS= read -r line` splits only
/// its own words.
#[test]
fn shells_that_resplit_words_are_not_read() {
    let sh = json!(["/bin/sh", "-c"]);
    for (text, unread) in [
        (
            "IFS=,; exec /manager --metrics-bind-address=:1 $FLAGS",
            true,
        ),
        (
            "export IFS=,; exec /manager --metrics-bind-address=:1",
            true,
        ),
        (
            "alias m='/manager --metrics-secure=false'\nm --metrics-bind-address=:1",
            true,
        ),
        (
            "while IFS= read -r l; do :; done < /f; exec /manager --metrics-bind-address=:1",
            false,
        ),
    ] {
        let (got, r) = script(sh.clone(), text, "metrics-bind-address");
        let warned = r
            .warnings
            .iter()
            .any(|w| w.detail.starts_with("the shell script is not read"));
        assert_eq!(warned, unread, "{text}: {got} {:?}", r.warnings);
        if unread {
            assert!(got.starts_with('?'), "{text}: {got}");
        }
    }
}

/// A script's commands keep their launchers: what `env` does to the
/// environment of the program a command runs counts, as it does before
/// the shell (`sh -c 'exec env -u METRICS_SECURE /manager ...'`).
#[test]
fn env_launchers_inside_a_script() {
    let cases: [(&str, bool, &[&str], &[&str]); 5] = [
        // Two programs: which one is the binary is not known.
        ("env -u A /sidecar & exec /manager", false, &[], &[]),
        (
            "exec env -u METRICS_SECURE /manager",
            false,
            &["METRICS_SECURE"],
            &[],
        ),
        (
            "env -i METRICS_ADDR=:8080 /manager",
            true,
            &[],
            &["METRICS_ADDR"],
        ),
        ("exec tini -- env --unset=A /manager", false, &["A"], &[]),
        ("exec /manager --x", false, &[], &[]),
    ];
    for (script, cleared, unset, set) in cases {
        let c = json!({"command": ["sh", "-c", script]});
        let (l, _, _) = read_c(&c, false);
        let env = &l.launcher_env;
        assert_eq!(env.cleared, cleared, "{script}");
        assert_eq!(env.unset, unset, "{script}");
        let names: Vec<&str> = env.set.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, set, "{script}");
    }
}
