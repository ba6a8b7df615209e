//! Shell scripts and the launchers before them (SPEC section 9, "Shells";
//! section 13, "Undefined names").
//!
//! SPEC 9: "When `command[0]` (or `args[0]` with no `command`) is a shell
//! (`sh`, `bash`, `ash`, `dash`, `zsh`, any directory) run with `-c SCRIPT`,
//! the script is split into words as a POSIX shell splits them; `$NAME` and
//! `${NAME}` are expanded like `$(NAME)`; each simple command (separated by
//! `;`, `&&`, `||`, `|` or a newline; leading `exec` and `NAME=value`
//! assignments skipped) is read as a command line of its own. [...] A script
//! that still cannot be split [...] is not read." SPEC 13: "In a shell script,
//! a name assigned anywhere in the script (`NAME=`, `export`, `read`) is
//! unknown", as is an undefined name that `envFrom` or service links may
//! define.
//!
//! How a command line reaches its program:
//!
//! - **Launchers** before the program are skipped with their own options, as
//!   the tools read them (getopt, stopping at the first operand), chained in
//!   any order and in any directory: `tini` (`-p SIG`, `-e CODE`), `dumb-init`
//!   (`-r s:r`), `env` (`-u NAME`, `-C DIR`, `-S STRING`, then `NAME=value`),
//!   `su-exec USER`, `gosu USER`, `busybox APPLET`, `nice` (`-n N`), `timeout`
//!   (`-s SIG`, `-k DURATION`, then `DURATION`), `nohup`, `exec` (`-a NAME`)
//!   and `command`. See [`WRAPPERS`].
//! - **Shell options** before the script: combined short options (`-ec`,
//!   `-euo pipefail`), `-o`/`+o`/`-O`/`+O` with their argument, `--rcfile`
//!   and `--init-file` with theirs, other long options (`--norc`, `--posix`,
//!   `--login`); with `-c`, the script is the first operand after them, then
//!   `$0` and the positional parameters.
//! - **Words**: single and double quotes, backslashes, comments, `$NAME`,
//!   `${NAME}`, positional parameters (`$1`, `"$@"`; unknown when the script
//!   runs `shift` or `set` with operands), command substitutions and other
//!   expansions (unknown), redirections (dropped), here-documents (read as
//!   nested scripts, since they may feed a shell, or skipped as data when they
//!   cannot be split), `$'...'` (ANSI-C quoting,
//!   with `\xHH`, `\NNN`, `\uHHHH`, `\n`, ...) and brace expansion
//!   (`a{b,c}d`, `{1..3}`) in the dialects that have them: bash and zsh have
//!   both, busybox `ash` has `$'...'`, `dash` neither; `sh` and `ash` may be
//!   any of them, so their scripts are read every way they may be read, and
//!   each reading counts (a rule that fails closed sees them all).
//! - **Unknown names** (SPEC 13): a name the script (or a script around it)
//!   assigns anywhere; every name once the script may assign names it does
//!   not spell (`source FILE`, `. FILE`, `export $(...)`, `eval` of a value
//!   the policy cannot see; `eval` of a known value assigns what it
//!   assigns); a name `env` does not define when the container has `envFrom`
//!   or service links may define it ([`Undefined`]). Any other undefined
//!   name stays as written, as `$(NAME)` does.
//! - **Nesting**: a simple command that is itself a shell run with `-c`
//!   (after launchers), or `eval`, is read as a script of its own, up to
//!   [`MAX_DEPTH`] scripts deep.
//! - **Bounds**: a script longer than [`MAX_SCRIPT`], nested deeper than
//!   [`MAX_DEPTH`], more than [`MAX_SCANNED`] bytes read in all (every
//!   reading and nesting counted) or more than [`MAX_WORDS`] words is not
//!   read ([`Unreadable`]); a brace expansion of more than [`MAX_BRACE_WORDS`]
//!   words or [`MAX_BRACE_BYTES`] bytes, or with more than [`MAX_BRACES`]
//!   braces, is one unknown word. Every reading is linear in the script.

use super::expand::{
    marker, may_hold_marker, Binding, Text, Undefined, IP_CLOSE, IP_OPEN, UNKNOWN_CLOSE,
    UNKNOWN_OPEN,
};
use std::collections::HashSet;

/// The longest script read.
pub(crate) const MAX_SCRIPT: usize = 64 * 1024;
/// How many scripts deep `sh -c` and `eval` are read (the top script is 1).
pub(crate) const MAX_DEPTH: usize = 4;
/// The bytes read in all, over every reading of every nested script.
pub(crate) const MAX_SCANNED: usize = 256 * 1024;
/// The words a script (with its nested scripts) may produce.
pub(crate) const MAX_WORDS: usize = 16 * 1024;
/// The words one brace expansion may produce.
pub(crate) const MAX_BRACE_WORDS: usize = 256;
/// The bytes one brace expansion may produce.
pub(crate) const MAX_BRACE_BYTES: usize = 16 * 1024;
/// The unquoted `{`, `,` and `}` one word may hold and still be expanded.
pub(crate) const MAX_BRACES: usize = 64;
/// The work all brace expansions of a script may take (each step costs the
/// length of its word plus the square of its braces).
pub(crate) const MAX_BRACE_WORK: usize = 1024 * 1024;

const SHELLS: [&str; 5] = ["sh", "bash", "ash", "dash", "zsh"];

/// The last path segment of a program.
fn base(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Why a script is not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// An unbalanced quote, or an unclosed `${`, `$(` or backquote.
    Quote,
    /// Shells or `eval` nested deeper than [`MAX_DEPTH`].
    Depth,
    /// Longer than [`MAX_SCRIPT`], or more than [`MAX_SCANNED`] bytes to read.
    Length,
    /// More than [`MAX_WORDS`] words.
    Words,
    /// It assigns `IFS`: the shell then splits words where the policy does
    /// not.
    Ifs,
    /// It defines an alias, which dash and busybox expand in scripts.
    Alias,
}

impl Unreadable {
    /// Why, in a few words.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Unreadable::Quote => "an unbalanced quote",
            Unreadable::Depth => "shells nested more than 4 deep",
            Unreadable::Length => "too long",
            Unreadable::Words => "too many words",
            Unreadable::Ifs => "it assigns IFS",
            Unreadable::Alias => "it defines an alias",
        }
    }

    /// Why, for messages.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Unreadable::Quote => "it has an unbalanced quote, or an unclosed ${, $( or backquote, so it cannot be split into words (and the shell would refuse it)",
            Unreadable::Depth => "it nests shells (sh -c, eval) more than 4 deep",
            Unreadable::Length => "it is longer than the policy reads (64 KiB, 256 KiB with its nested scripts and every way the shell may read it)",
            Unreadable::Words => "it has more words than the policy reads (16384)",
            Unreadable::Ifs => "it assigns IFS, so the shell splits the words that follow where the policy cannot know",
            Unreadable::Alias => "it defines an alias, which the shell expands in the commands that follow",
        }
    }
}

/// What a shell's dialect does with `$'...'`, braces and `$"..."` (bash's
/// locale strings: the text in double quotes; dash keeps the `$`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dialect {
    ansi_c: bool,
    braces: bool,
    locale: bool,
}

const DASH: Dialect = Dialect {
    ansi_c: false,
    braces: false,
    locale: false,
};
const BUSYBOX: Dialect = Dialect {
    ansi_c: true,
    braces: false,
    locale: false,
};
const BASH: Dialect = Dialect {
    ansi_c: true,
    braces: true,
    locale: true,
};

/// The dialects a shell program may speak (`sh` is dash on Debian, busybox
/// ash on Alpine, bash on Red Hat images).
fn dialects(shell: &str) -> &'static [Dialect] {
    match shell {
        "bash" | "zsh" => &[BASH],
        "dash" => &[DASH],
        "ash" => &[BUSYBOX, DASH],
        _ => &[DASH, BUSYBOX, BASH],
    }
}

/// A launcher that runs the program after its own options and operands.
struct Wrapper {
    names: &'static [&'static str],
    /// Short options that take an argument.
    short_args: &'static str,
    /// Long options that take an argument (also as `--name=value`).
    long_args: &'static [&'static str],
    /// Operands before the program (`timeout DURATION`, `gosu USER`).
    operands: usize,
    /// `NAME=value` words before the program (`env`).
    assignments: bool,
}

/// The launchers skipped before a program.
const WRAPPERS: [Wrapper; 11] = [
    Wrapper {
        names: &["tini", "tini-static"],
        short_args: "pe",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["dumb-init"],
        short_args: "r",
        long_args: &["rewrite"],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["env"],
        short_args: "uCSP",
        long_args: &["unset", "chdir", "split-string"],
        operands: 0,
        assignments: true,
    },
    Wrapper {
        names: &["su-exec", "gosu"],
        short_args: "",
        long_args: &[],
        operands: 1,
        assignments: false,
    },
    Wrapper {
        names: &["busybox"],
        short_args: "",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["nice"],
        short_args: "n",
        long_args: &["adjustment"],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["timeout"],
        short_args: "skt",
        long_args: &["signal", "kill-after"],
        operands: 1,
        assignments: false,
    },
    Wrapper {
        names: &["nohup"],
        short_args: "",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["exec"],
        short_args: "a",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["command"],
        short_args: "",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
    Wrapper {
        names: &["setsid"],
        short_args: "",
        long_args: &[],
        operands: 0,
        assignments: false,
    },
];

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(n, _)| is_name(n))
}

/// Skips one launcher's options and operands at `tokens[i]` (the launcher's
/// name); the index of what it runs. `env -S STRING` splits STRING into the
/// program and its first arguments: they are pushed on `split`. For `env`,
/// what it does to the environment is recorded in `launch` on the same walk.
fn skip_wrapper<T: AsRef<str>>(
    w: &Wrapper,
    tokens: &[T],
    mut i: usize,
    split: &mut Vec<String>,
    launch: &mut EnvLaunch,
) -> usize {
    i += 1;
    let env = w.names == ["env"];
    let mut operands = w.operands;
    // Options, as getopt reads them with a leading `+`: up to the first
    // operand or `--`. GNU env puts the words of `-S STRING` in the place
    // of the option and reads on from them: their first word is an operand
    // (a `NAME=value` or the program), so nothing after is env's.
    while let Some(t) = tokens.get(i).map(AsRef::as_ref) {
        if t == "--" {
            i += 1;
            break;
        }
        // `env -` is `env -i`.
        if t == "-" && env {
            launch.cleared = true;
            i += 1;
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            // getopt_long accepts any unambiguous prefix of a long option.
            let takes = !name.is_empty() && w.long_args.iter().any(|l| l.starts_with(name));
            let at = if inline.is_some() { i } else { i + 1 };
            if env {
                let value = inline.or_else(|| tokens.get(at).map(AsRef::as_ref));
                env_option(long_env_option(name), at, value, split, launch);
            }
            i += if takes && inline.is_none() { 2 } else { 1 };
            if launch.split_string.is_some() {
                break;
            }
            continue;
        }
        let Some(shorts) = t.strip_prefix('-').filter(|s| !s.is_empty()) else {
            break;
        };
        i += 1;
        match short_options(w, shorts, tokens, &mut i, split, launch) {
            Some('S') if env => break,
            // Busybox's older `timeout -t SECS PROG` has no DURATION.
            Some('t') if w.names == ["timeout"] => operands = 0,
            _ => {}
        }
    }
    if launch.split_string.is_some() {
        return i.min(tokens.len());
    }
    if w.assignments {
        while tokens.get(i).is_some_and(|t| is_assignment(t.as_ref())) {
            launch.assignments.push(i);
            i += 1;
        }
    }
    (i + operands).min(tokens.len())
}

/// One word of short options (`-iu NAME`, `-S'...'`), `shorts`, before
/// `tokens[*i]`: up to the first that takes a value (the rest of the word,
/// else the next token, which `*i` then passes), which is returned.
fn short_options<T: AsRef<str>>(
    w: &Wrapper,
    shorts: &str,
    tokens: &[T],
    i: &mut usize,
    split: &mut Vec<String>,
    launch: &mut EnvLaunch,
) -> Option<char> {
    let env = w.names == ["env"];
    for (k, c) in shorts.char_indices() {
        if env && c == 'i' {
            launch.cleared = true;
        }
        if w.short_args.contains(c) {
            let rest = &shorts[k + c.len_utf8()..];
            let (at, inline) = match rest.is_empty() {
                true => {
                    *i += 1;
                    (*i - 1, None)
                }
                false => (*i - 1, Some(rest)),
            };
            if env {
                let value = inline.or_else(|| tokens.get(at).map(AsRef::as_ref));
                env_option(Some(c), at, value, split, launch);
            }
            return Some(c);
        }
    }
    None
}

/// The short option of `env` that the long option `name` (or any
/// unambiguous prefix of it) spells; `i` for `--ignore-environment`.
fn long_env_option(name: &str) -> Option<char> {
    [
        ("ignore-environment", 'i'),
        ("unset", 'u'),
        ("split-string", 'S'),
        ("chdir", 'C'),
    ]
    .into_iter()
    .find(|(long, _)| !name.is_empty() && long.starts_with(name))
    .map(|(_, c)| c)
}

/// Records what `env`'s option `c` does to the environment: `value` is
/// its value, in `tokens[at]` (or inline in it).
fn env_option(
    c: Option<char>,
    at: usize,
    value: Option<&str>,
    split: &mut Vec<String>,
    launch: &mut EnvLaunch,
) {
    match c {
        Some('i') => launch.cleared = true,
        Some('u') => launch.unset.extend(value.map(str::to_string)),
        Some('S') => {
            launch.split_string = Some(at);
            split.extend(value.unwrap_or("").split_whitespace().map(str::to_string));
        }
        _ => {}
    }
}

/// The index of the program `tokens` run, past any launchers; `None` when
/// only launchers are there. `split` receives the words of `env -S`, which
/// come before `tokens[index]`.
fn program<T: AsRef<str>>(tokens: &[T], split: &mut Vec<String>) -> Option<usize> {
    let mut i = 0;
    // Each launcher consumes at least its name: at most one pass per token.
    while let Some(t) = tokens.get(i) {
        let name = base(t.as_ref());
        match WRAPPERS.iter().find(|w| w.names.contains(&name)) {
            Some(w) => {
                i = skip_wrapper(w, tokens, i, split, &mut EnvLaunch::default());
                if !split.is_empty() {
                    // `env -S 'sh -c'`: what follows is read after the
                    // split words; the launcher chain restarts there.
                    return Some(i);
                }
            }
            None => return Some(i),
        }
    }
    None
}

/// A shell run with `-c`: which shell (its base name) and where the script is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Invocation<'t> {
    pub(crate) shell: &'t str,
    pub(crate) script: usize,
}

/// When `tokens[at]` is a shell run with `-c`: the shell and the index of
/// the script token (its first operand after the options).
fn shell_at<T: AsRef<str>>(tokens: &[T], at: usize) -> Option<Invocation<'_>> {
    let shell = base(tokens.get(at)?.as_ref());
    if !SHELLS.contains(&shell) {
        return None;
    }
    let mut saw_c = false;
    let mut i = at + 1;
    while let Some(t) = tokens.get(i).map(AsRef::as_ref) {
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            // bash's long options; two take a file.
            i += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        let Some(shorts) = t.strip_prefix(['-', '+']).filter(|s| !s.is_empty()) else {
            break;
        };
        i += 1;
        for c in shorts.chars() {
            match c {
                // Each takes the next token (`-euo pipefail`, `-O extglob`).
                'o' | 'O' => i += 1,
                'c' if t.starts_with('-') => saw_c = true,
                _ => {}
            }
        }
    }
    (saw_c && i < tokens.len()).then_some(Invocation { shell, script: i })
}

/// Shell builtins that never start another program (and `case WORD in`):
/// their words are no binary's flags (`[ -n "$WATCH_NAMESPACE" ]`, `echo
/// "starting $NAME"`).
const BUILTINS: [&str; 23] = [
    "echo", "printf", "test", "[", "[[", "cd", "export", "local", "readonly", "declare", "typeset",
    "set", "shift", "trap", "wait", "true", "false", ":", "umask", "unset", "read", "return",
    "case",
];

/// Which commands of `script` may start a program: every command but a
/// builtin's of [`BUILTINS`], unless the script defines functions (one
/// named `echo` would run what it wraps).
pub(crate) fn runs_a_program(script: &str) -> impl Fn(&Vec<String>) -> bool {
    let functions = script.contains("()") || script.contains("function");
    move |command: &Vec<String>| {
        functions
            || !command
                .first()
                .is_some_and(|p| BUILTINS.contains(&p.as_str()))
    }
}

/// What the `env` launchers before the program do to its environment, as
/// GNU env does it: `-i` (`-`, `--ignore-environment`) clears it, `-u NAME`
/// (`--unset`) removes a name, then each `NAME=value` word sets one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvLaunch {
    pub(crate) cleared: bool,
    pub(crate) unset: Vec<String>,
    /// The indices of the `NAME=value` words, in order.
    pub(crate) assignments: Vec<usize>,
    /// The token that holds the string of `env -S` (`--split-string`): the
    /// words it splits into are the program and its first arguments.
    pub(crate) split_string: Option<usize>,
}

/// What the `env` launchers before the program do to its environment.
pub(crate) fn env_launch<T: AsRef<str>>(tokens: &[T]) -> EnvLaunch {
    let mut out = EnvLaunch::default();
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        let name = base(t.as_ref());
        let Some(w) = WRAPPERS.iter().find(|w| w.names.contains(&name)) else {
            break;
        };
        let mut split = Vec::new();
        let next = skip_wrapper(w, tokens, i, &mut split, &mut out);
        if !split.is_empty() || next <= i {
            break;
        }
        i = next;
    }
    out
}

/// The index of the program a container's command line runs, past any
/// launchers (`tini --`, `env X=1`, `gosu USER`); `None` when only launchers
/// are there, or when `env -S` splits the program out of one token (not a
/// token of its own).
pub(crate) fn program_index<T: AsRef<str>>(tokens: &[T]) -> Option<usize> {
    let mut split = Vec::new();
    let at = program(tokens, &mut split)?;
    split.is_empty().then_some(at)
}

/// When `tokens` (a container's command line) run a shell with `-c`, past
/// any launchers: the shell and the index of the script token.
pub(crate) fn invocation<T: AsRef<str>>(tokens: &[T]) -> Option<Invocation<'_>> {
    shell_at(tokens, program_index(tokens)?)
}

/// What a script knows of the names it expands.
struct Scope<'p> {
    /// Names the script assigns: unknown.
    assigned: HashSet<String>,
    /// The script around it (whose assignments count too): a chain at most
    /// twice [`MAX_DEPTH`] long, so that nothing is copied per nested script.
    outer: Option<&'p Scope<'p>>,
    /// The script may assign any name (`source FILE`, `. FILE`,
    /// `export $(cat FILE)`, `eval "$(cmd)"`): every name is unknown.
    any: bool,
    /// `$0` and the positional parameters; `None` when the script may
    /// change them (`shift`, `set a b`).
    positional: Option<&'p [String]>,
}

impl Scope<'_> {
    fn assigns(&self, name: &str) -> bool {
        self.any || self.assigned.contains(name) || self.outer.is_some_and(|o| o.assigns(name))
    }
}

/// The names after each `$` of a word (`$NAME`, `${NAME...`).
fn dollar_names(word: &str) -> impl Iterator<Item = &str> {
    word.split('$').skip(1).map(|after| {
        let after = after.strip_prefix('{').unwrap_or(after);
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(after.len());
        &after[..end]
    })
}

/// The words of each simple command of a script, roughly (cut at `;`, `&`,
/// `|`, parentheses and newlines, leading keywords skipped): enough to see
/// which command a script runs where the exact words do not matter.
fn rough_commands(script: &str) -> impl Iterator<Item = impl Iterator<Item = &str>> {
    script
        .split([';', '&', '|', '(', ')', '\n'])
        .map(|segment| {
            segment
                .split_whitespace()
                .skip_while(|w| matches!(*w, "then" | "do" | "else" | "if" | "!" | "{"))
        })
}

/// Whether a script changes its positional parameters: `shift`, or `set`
/// with operands (`set -- a`, `set a`; not `set -e` or `set -o pipefail`).
fn shifts(script: &str) -> bool {
    rough_commands(script).any(|mut words| match words.next() {
        Some("shift") => true,
        Some("set") => {
            let mut option_argument = false;
            words.any(|w| {
                let operand = !option_argument && (w == "--" || !w.starts_with(['-', '+']));
                option_argument = matches!(w, "-o" | "+o");
                operand
            })
        }
        _ => false,
    })
}

/// The names a script assigns (`NAME=`, `export NAME`, `read NAME`,
/// `unset NAME`, `printf -v NAME`, `mapfile NAME`, `${NAME:=word}`, ...).
fn assigned<'s>(script: &'s str, into: &mut HashSet<String>) {
    let mut declaring = false;
    let mut previous = "";
    for word in script.split(|c: char| c.is_whitespace() || ";&|()`\"'".contains(c)) {
        if word.is_empty() {
            continue;
        }
        // `NAME=`, and `${NAME=word}` or `${NAME:=word}` (the last of the
        // word), which assign NAME when it is unset (or empty).
        let assigns = |w: &'s str| {
            w.split_once('=')
                .map(|(n, _)| n.trim_end_matches(':'))
                .filter(|n| is_name(n))
        };
        let braced = word.rsplit_once("${").map_or("", |(_, b)| b);
        if let Some(name) = assigns(word).or_else(|| assigns(braced)) {
            into.insert(name.to_string());
        }
        if (declaring || previous == "-v") && is_name(word) {
            into.insert(word.to_string());
        }
        let keyword = matches!(
            word,
            "export"
                | "read"
                | "local"
                | "declare"
                | "readonly"
                | "typeset"
                | "for"
                | "getopts"
                | "unset"
                | "mapfile"
                | "readarray"
                | "select"
        );
        declaring = keyword || (declaring && (word.starts_with('-') || is_name(word)));
        previous = if word == "-v" && previous == "printf" {
            "-v"
        } else {
            word
        };
    }
}

/// Whether a script assigns `IFS` for the commands that follow (`IFS=,`,
/// `export IFS=...`); not as a prefix of one command (`IFS= read -r line`),
/// which splits its own words before the assignment.
fn assigns_ifs(script: &str) -> bool {
    let is_ifs = |w: &str| w == "IFS" || w.starts_with("IFS=");
    rough_commands(script).any(|words| {
        let words: Vec<&str> = words.collect();
        match words.first() {
            Some(&("export" | "declare" | "typeset" | "local" | "readonly")) => {
                words[1..].iter().any(|w| is_ifs(w))
            }
            Some(_) => words.iter().all(|w| is_assignment(w)) && words.iter().any(|w| is_ifs(w)),
            None => false,
        }
    })
}

/// Whether a script defines an alias.
fn defines_alias(script: &str) -> bool {
    rough_commands(script).any(|mut words| words.next() == Some("alias"))
}

/// Bounds shared by a script and its nested scripts.
struct Budget {
    scanned: usize,
    words: usize,
    braces: usize,
}

/// Reads scripts: the lookups of the container's env and the shared budget.
struct Reader<'r, 'b, 'c> {
    lookup: &'r dyn Fn(&str) -> Option<&'b Binding<'c>>,
    undefined: Undefined,
    budget: Budget,
    /// What the scripts read so far assign.
    assigns: Assigns,
}

/// The env names the scripts of a container assign: the program they start
/// reads those from its env with a value the policy cannot know (SPEC 13,
/// "In a shell script, a name assigned anywhere in the script ... is
/// unknown").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Assigns {
    pub(crate) names: HashSet<String>,
    /// When the scripts may assign names they do not spell (`source FILE`,
    /// `eval "$(cmd)"`) or cannot be read: their text. A name it spells is
    /// taken as assigned; one it never spells is not (a sourced file that
    /// sets a name the script never mentions is as unseen as the binary's
    /// own configuration file).
    pub(crate) unseen: Option<String>,
}

impl Assigns {
    /// Whether the scripts assign `name`, or may.
    pub(crate) fn name(&self, name: &str) -> bool {
        self.names.contains(name) || self.unseen.as_ref().is_some_and(|t| t.contains(name))
    }
}

/// Reads the script of a container's shell: the words of each simple command
/// it runs (with those of its nested scripts), every way the shell may read
/// them, and the names the scripts assign. `operands` are the tokens after
/// the script (`$0`, `$1`, ...).
pub(crate) fn commands<'b, 'c: 'b>(
    script: &str,
    shell: &str,
    operands: &[String],
    lookup: impl Fn(&str) -> Option<&'b Binding<'c>>,
    undefined: Undefined,
) -> Result<(Vec<Vec<String>>, Assigns), Unreadable> {
    let mut reader = Reader {
        lookup: &lookup,
        undefined,
        budget: Budget {
            scanned: 0,
            words: 0,
            braces: 0,
        },
        assigns: Assigns::default(),
    };
    let mut out = Vec::new();
    let scope = Scope {
        assigned: HashSet::new(),
        outer: None,
        any: false,
        positional: Some(operands),
    };
    reader.script(script, dialects(shell), &scope, 1, &mut out)?;
    Ok((out, reader.assigns))
}

impl<'b, 'c> Reader<'_, 'b, 'c> {
    /// What a script may assign without spelling the name: after `source
    /// FILE` or `. FILE`, or `export`/`declare`/`typeset`/`local`/`readonly`
    /// of a command substitution or of a word that starts with an expansion,
    /// or `eval` of a command substitution or of a name whose value the
    /// policy cannot see, any name (`scope.any`); `eval` of a known value
    /// assigns what that value assigns.
    fn assigns_unseen(&self, script: &str, scope: &mut Scope) {
        for mut words in rough_commands(script) {
            // (`$(` is cut at its parenthesis, leaving the `$` at the end.)
            let substitution = |w: &str| w.ends_with('$') || w.contains('`');
            match words.next() {
                Some("source" | ".") => scope.any = true,
                Some("export" | "declare" | "typeset" | "local" | "readonly") => {
                    scope.any |= words
                        .any(|w| substitution(w) || w.trim_start_matches('"').starts_with('$'));
                }
                Some("eval") => {
                    for w in words {
                        if substitution(w) {
                            scope.any = true;
                        }
                        for name in dollar_names(w).filter(|n| is_name(n)) {
                            match (self.lookup)(name) {
                                Some(Binding::Text(t)) if !may_hold_marker(t) => {
                                    assigned(t, &mut scope.assigned)
                                }
                                _ => scope.any = true,
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads `script` in each of `dialects` (at nesting `depth`), pushing the
    /// commands of each distinct reading on `out`.
    fn script(
        &mut self,
        script: &str,
        dialects: &[Dialect],
        outer: &Scope,
        depth: usize,
        out: &mut Vec<Vec<String>>,
    ) -> Result<(), Unreadable> {
        if depth > MAX_DEPTH {
            return Err(Unreadable::Depth);
        }
        if script.len() > MAX_SCRIPT {
            return Err(Unreadable::Length);
        }
        let mut scope = Scope {
            assigned: HashSet::new(),
            outer: Some(outer),
            any: outer.any,
            positional: outer.positional,
        };
        assigned(script, &mut scope.assigned);
        self.assigns_unseen(script, &mut scope);
        if assigns_ifs(script) {
            return Err(Unreadable::Ifs);
        }
        if defines_alias(script) {
            return Err(Unreadable::Alias);
        }
        self.assigns.names.extend(scope.assigned.iter().cloned());
        if scope.any {
            self.assigns
                .unseen
                .get_or_insert_with(String::new)
                .push_str(script);
        }
        if shifts(script) {
            scope.positional = None;
        }
        // The features a dialect differs in matter only when used.
        let ansi_c = script.contains("$'");
        let braces = script.contains('{');
        let locale = script.contains("$\"");
        let mut seen: Vec<Dialect> = Vec::new();
        let mut readings: Vec<Vec<Vec<String>>> = Vec::new();
        for &d in dialects {
            let d = Dialect {
                ansi_c: d.ansi_c && ansi_c,
                braces: d.braces && braces,
                locale: d.locale && locale,
            };
            if seen.contains(&d) {
                continue;
            }
            seen.push(d);
            self.budget.scanned += script.len();
            if self.budget.scanned > MAX_SCANNED {
                return Err(Unreadable::Length);
            }
            let (simple, bodies) = self.split(script, d, &scope)?;
            let mut reading = Vec::new();
            for words in simple {
                self.simple(words, d, &scope, depth, &mut reading)?;
            }
            // A here-document may feed a shell (`sh <<EOF`, `cat <<EOF | sh`):
            // its body is read as a script too, unless it cannot be split,
            // which makes it data (a config file with an apostrophe).
            for body in bodies {
                match self.script(&body, &[d], &scope, depth + 1, &mut reading) {
                    Err(Unreadable::Quote) => {}
                    other => other?,
                }
            }
            if !readings.contains(&reading) {
                readings.push(reading);
            }
        }
        out.extend(readings.into_iter().flatten());
        Ok(())
    }

    /// One simple command: assignments, keywords and launchers skipped; a
    /// nested shell or `eval` read as a script.
    fn simple(
        &mut self,
        words: Vec<String>,
        dialect: Dialect,
        scope: &Scope,
        depth: usize,
        out: &mut Vec<Vec<String>>,
    ) -> Result<(), Unreadable> {
        if depth > MAX_DEPTH {
            return Err(Unreadable::Depth);
        }
        const KEYWORDS: [&str; 11] = [
            "{", "}", "!", "if", "then", "else", "elif", "do", "while", "until", "time",
        ];
        let skip = words
            .iter()
            .position(|w| !is_assignment(w) && !KEYWORDS.contains(&w.as_str()))
            .unwrap_or(words.len());
        let command = &words[skip..];
        let mut split = Vec::new();
        let Some(at) = program(command, &mut split) else {
            return Ok(());
        };
        if !split.is_empty() {
            // `env -S "sh -c"`: the split words, then the rest, read again.
            split.extend(command[at..].iter().cloned());
            return self.simple(split, dialect, scope, depth + 1, out);
        }
        let words = &command[at..];
        if words.first().is_some_and(|w| w == "eval") {
            // eval joins its arguments with spaces and runs them as a script.
            let script = words[1..].join(" ");
            return self.script(&script, &[dialect], scope, depth + 1, out);
        }
        if let Some(inv) = shell_at(words, 0) {
            let inner = Scope {
                assigned: HashSet::new(),
                outer: Some(scope),
                any: scope.any,
                positional: Some(&words[inv.script + 1..]),
            };
            let script = &words[inv.script];
            return self.script(script, dialects(inv.shell), &inner, depth + 1, out);
        }
        // The command with its launchers (`exec env -u NAME /manager`): the
        // command line's reading skips them to find the program, and reads
        // what `env` does to its environment.
        if !words.is_empty() {
            out.push(command.to_vec());
        }
        Ok(())
    }

    /// Splits a script into the words of its simple commands.
    fn split(
        &mut self,
        script: &str,
        dialect: Dialect,
        scope: &Scope,
    ) -> Result<(Vec<Vec<String>>, Vec<String>), Unreadable> {
        let chars: Vec<char> = script.chars().collect();
        let mut lx = Lexer {
            s: &chars,
            dialect,
            out: Vec::new(),
            cmd: Vec::new(),
            word: String::new(),
            active: Vec::new(),
            started: false,
            drop_next: false,
            heredoc_next: None,
            heredocs: Vec::new(),
            bodies: Vec::new(),
            words: self.budget.words,
            brace_work: self.budget.braces,
            split: None,
        };
        let mut i = 0;
        while i < chars.len() {
            i = self.step(&mut lx, i, scope)?;
            if lx.words > MAX_WORDS {
                return Err(Unreadable::Words);
            }
        }
        lx.end_command();
        if lx.words > MAX_WORDS {
            return Err(Unreadable::Words);
        }
        self.budget.words = lx.words;
        self.budget.braces = lx.brace_work;
        Ok((lx.out, lx.bodies))
    }

    /// Reads the unquoted character at `i`; the index after what it read.
    fn step(&mut self, lx: &mut Lexer, i: usize, scope: &Scope) -> Result<usize, Unreadable> {
        let s = lx.s;
        let c = s[i];
        let next = s.get(i + 1).copied();
        Ok(match c {
            // A value the kubelet put into the script: unknown, it may hold
            // white space the shell splits at.
            UNKNOWN_OPEN => {
                let end = lx.copy_marker(i);
                let name: String = s[i + 1..end.saturating_sub(1)].iter().collect();
                lx.may_split(&name);
                end
            }
            IP_OPEN => lx.copy_marker(i),
            ' ' | '\t' => {
                lx.end_word();
                i + 1
            }
            '&' if next == Some('>') => lx.redirect(i + 1),
            '\n' => {
                lx.end_command();
                lx.skip_heredocs(i + 1)
            }
            ';' | '&' | '|' | '(' | ')' => {
                lx.end_command();
                i + 1
            }
            '<' | '>' => lx.redirect(i),
            '#' if !lx.started => s[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(s.len(), |k| i + k),
            '\\' => match next {
                Some('\n') => i + 2,
                Some(n) => {
                    lx.push(n, false);
                    i + 2
                }
                None => {
                    lx.push('\\', false);
                    i + 1
                }
            },
            '\'' => {
                let end = find(s, i + 1, '\'').ok_or(Unreadable::Quote)?;
                lx.started = true;
                for &q in &s[i + 1..end] {
                    lx.push(q, false);
                }
                end + 1
            }
            '"' => self.double_quoted(lx, i, scope)?,
            '`' => backquote(lx, i, false)?,
            '$' => self.dollar(lx, i, false, scope)?,
            '{' | '}' | ',' => {
                lx.push(c, lx.dialect.braces);
                i + 1
            }
            _ => {
                lx.push(c, false);
                i + 1
            }
        })
    }

    /// Reads the double-quoted string that opens at `i`; the index after.
    fn double_quoted(
        &mut self,
        lx: &mut Lexer,
        i: usize,
        scope: &Scope,
    ) -> Result<usize, Unreadable> {
        let s = lx.s;
        lx.started = true;
        let mut k = i + 1;
        loop {
            match s.get(k).copied() {
                None => return Err(Unreadable::Quote),
                Some('"') => return Ok(k + 1),
                Some('\\') => match s.get(k + 1).copied() {
                    Some('\n') => k += 2,
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        lx.push(n, false);
                        k += 2;
                    }
                    _ => {
                        lx.push('\\', false);
                        k += 1;
                    }
                },
                Some('$') => k = self.dollar(lx, k, true, scope)?,
                Some('`') => k = backquote(lx, k, true)?,
                Some(UNKNOWN_OPEN | IP_OPEN) => k = lx.copy_marker(k),
                Some(q) => {
                    lx.push(q, false);
                    k += 1;
                }
            }
        }
    }

    /// Reads the `$` at `i` (in double quotes when `quoted`); the index after.
    fn dollar(
        &mut self,
        lx: &mut Lexer,
        i: usize,
        quoted: bool,
        scope: &Scope,
    ) -> Result<usize, Unreadable> {
        let s = lx.s;
        match s.get(i + 1).copied() {
            Some('\'') if lx.dialect.ansi_c && !quoted => ansi_c(lx, i + 2),
            // bash: `$"text"` is "text"; the quote is read next.
            Some('"') if lx.dialect.locale && !quoted => Ok(i + 1),
            Some('{') => {
                let end = closing(s, i + 2, '{', '}').ok_or(Unreadable::Quote)?;
                let body: String = s[i + 2..end].iter().collect();
                if is_name(&body) {
                    self.name(lx, &body, quoted, scope);
                } else if let Some(p) = positional_name(&body) {
                    positional(lx, p, quoted, scope);
                } else if let Some(form) = Defaulted::read(&body) {
                    self.defaulted(lx, form, &body, quoted, scope);
                } else {
                    lx.unknown_value(&format!("${{{body}}}"), quoted);
                }
                Ok(end + 1)
            }
            Some('(') => {
                let end = closing(s, i + 2, '(', ')').ok_or(Unreadable::Quote)?;
                let body: String = s[i + 2..end].iter().collect();
                let unknown = format!("$({body})");
                // `$((...))`, arithmetic, is a number: it never splits.
                match body.starts_with('(') {
                    true => lx.unknown(&unknown),
                    false => lx.unknown_value(&unknown, quoted),
                }
                Ok(end + 1)
            }
            Some(n) if n.is_ascii_alphabetic() || n == '_' => {
                let len = s[i + 1..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric() && *c != '_')
                    .unwrap_or(s.len() - i - 1);
                let name: String = s[i + 1..i + 1 + len].iter().collect();
                self.name(lx, &name, quoted, scope);
                Ok(i + 1 + len)
            }
            Some(n) if n.is_ascii_digit() || n == '@' || n == '*' || n == '#' => {
                positional(lx, n, quoted, scope);
                Ok(i + 2)
            }
            Some(n) if "?$!-".contains(n) => {
                lx.unknown(&format!("${n}"));
                Ok(i + 2)
            }
            _ => {
                lx.push('$', false);
                Ok(i + 1)
            }
        }
    }

    /// Expands `${NAME-word}` and its kin ([`Defaulted`]) where the policy
    /// knows NAME's value, as a POSIX shell does: a value that is not empty
    /// is used; an empty one is used by `-`, `=` and `?`, and gives way to
    /// the word with `:-`, `:=` and `:?` (a word without quotes or
    /// expansions only). Anything else is unknown, as a name the policy
    /// cannot see (it may come from the image's env) or a failing `?` is.
    fn defaulted(&self, lx: &mut Lexer, form: Defaulted, body: &str, quoted: bool, scope: &Scope) {
        let value = match scope.assigns(form.name) {
            true => None,
            false => (self.lookup)(form.name),
        };
        match value {
            Some(Binding::Text(t)) if !t.is_empty() => self.name(lx, form.name, quoted, scope),
            Some(Binding::Text(_)) if !form.colon => {}
            Some(Binding::Text(_)) if form.op != b'?' && is_literal(form.word) => {
                lx.expansion(form.word, quoted)
            }
            _ => lx.unknown_value(&format!("${{{body}}}"), quoted),
        }
    }

    /// Expands `$NAME`.
    fn name(&self, lx: &mut Lexer, name: &str, quoted: bool, scope: &Scope) {
        if scope.assigns(name) {
            return lx.unknown_value(name, quoted);
        }
        match (self.lookup)(name) {
            Some(Binding::Text(t)) => lx.expansion(t, quoted),
            Some(b) => {
                let mut m = String::new();
                b.render(name, &mut m);
                lx.push_str(&m);
                if *b == Binding::Unknown && !quoted {
                    lx.may_split(name);
                }
            }
            None if self.undefined.is_unknown(name) => lx.unknown_value(name, quoted),
            // Undefined: stays as written, as `$(NAME)` does (SPEC 9).
            None => {
                lx.push('$', false);
                lx.push_str(name);
            }
        }
    }
}

/// `${NAME-word}`, `${NAME:-word}`, `${NAME=word}`, `${NAME:=word}`,
/// `${NAME?word}` and `${NAME:?word}`: each gives NAME's value when it is
/// set (and, with `:`, not empty). `+` (the word when set) is not read; the
/// `=` forms assign NAME, which makes it unknown (see [`assigned`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Defaulted<'b> {
    name: &'b str,
    colon: bool,
    op: u8,
    word: &'b str,
}

impl<'b> Defaulted<'b> {
    fn read(body: &'b str) -> Option<Defaulted<'b>> {
        let end = body
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))?;
        let (name, rest) = body.split_at(end);
        let colon = rest.starts_with(':');
        let rest = &rest[usize::from(colon)..];
        let op = *rest.as_bytes().first()?;
        (matches!(op, b'-' | b'=' | b'?') && is_name(name)).then(|| Defaulted {
            name,
            colon,
            op,
            word: &rest[1..],
        })
    }
}

/// A word the shell reads as it is written: no quotes, escapes, expansions
/// or braces.
fn is_literal(word: &str) -> bool {
    !word
        .bytes()
        .any(|b| matches!(b, b'$' | b'`' | b'"' | b'\'' | b'\\' | b'{' | b'}'))
}

/// `$0`..`$9`, `$@`, `$*`, `$#` from `${...}`'s body.
fn positional_name(body: &str) -> Option<char> {
    let mut chars = body.chars();
    let c = chars.next()?;
    (chars.next().is_none() && (c.is_ascii_digit() || "@*#".contains(c))).then_some(c)
}

/// Expands a positional parameter (`0`-`9`, `@`, `*`, `#`).
fn positional(lx: &mut Lexer, p: char, quoted: bool, scope: &Scope) {
    let Some(ops) = scope.positional else {
        return lx.unknown_value(&format!("${p}"), quoted);
    };
    let params = ops.get(1..).unwrap_or(&[]);
    match p {
        '#' => lx.push_str(&params.len().to_string()),
        '@' if quoted => {
            for (k, op) in params.iter().enumerate() {
                if k > 0 {
                    lx.end_word();
                    lx.started = true;
                }
                lx.push_str(op);
            }
        }
        '@' | '*' => lx.expansion(&params.join(" "), quoted),
        '0' => match ops.first() {
            Some(zero) => lx.expansion(zero, quoted),
            None => lx.push_str("sh"),
        },
        d => {
            let n = d.to_digit(10).unwrap_or(0) as usize;
            lx.expansion(params.get(n - 1).map_or("", String::as_str), quoted);
        }
    }
}

/// The index of the first `c` at or after `from`.
fn find(s: &[char], from: usize, c: char) -> Option<usize> {
    s.get(from..)?
        .iter()
        .position(|&x| x == c)
        .map(|k| from + k)
}

/// The index of the `close` that ends a group opened just before `from`
/// (nested `open`s counted).
fn closing(s: &[char], from: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 1;
    for (k, &c) in s.get(from..)?.iter().enumerate() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return Some(from + k);
            }
        }
    }
    None
}

/// A backquoted command substitution at `i`: unknown.
fn backquote(lx: &mut Lexer, i: usize, quoted: bool) -> Result<usize, Unreadable> {
    let s = lx.s;
    let mut k = i + 1;
    loop {
        match s.get(k) {
            None => return Err(Unreadable::Quote),
            Some('\\') => k += 2,
            Some('`') => break,
            Some(_) => k += 1,
        }
    }
    let body: String = s[i..=k.min(s.len() - 1)].iter().collect();
    lx.unknown_value(&body, quoted);
    Ok(k + 1)
}

/// The escape after a backslash at `*k - 1` of `$'...'`, decoded (`None`
/// for one that decodes to nothing); `*k` moves past it.
fn ansi_c_escape(lx: &mut Lexer, k: &mut usize) -> Result<Option<char>, Unreadable> {
    let s = lx.s;
    let e = *s.get(*k).ok_or(Unreadable::Quote)?;
    *k += 1;
    let digits = |k: &mut usize, radix: u32, max: usize| {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match s.get(*k).and_then(|c| c.to_digit(radix)) {
                Some(d) => {
                    v = v.saturating_mul(radix).saturating_add(d);
                    *k += 1;
                    n += 1;
                }
                None => break,
            }
        }
        (n > 0).then_some(v)
    };
    Ok(match e {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'e' | 'E' => Some('\u{1b}'),
        'f' => Some('\u{c}'),
        'v' => Some('\u{b}'),
        '\\' | '\'' | '"' | '?' => Some(e),
        '0'..='7' => {
            *k -= 1;
            digits(k, 8, 3).and_then(|v| char::from_u32(v & 0xff))
        }
        'x' => match digits(k, 16, 2) {
            Some(v) => char::from_u32(v),
            None => {
                lx.push('\\', false);
                Some('x')
            }
        },
        'u' | 'U' => {
            let max = if e == 'u' { 4 } else { 8 };
            match digits(k, 16, max) {
                Some(v) => Some(char::from_u32(v).unwrap_or('\u{fffd}')),
                None => {
                    lx.push('\\', false);
                    Some(e)
                }
            }
        }
        'c' => {
            let ctl = s.get(*k).copied().unwrap_or('?');
            *k += 1;
            char::from_u32(u32::from(ctl) & 0x1f)
        }
        other => {
            lx.push('\\', false);
            Some(other)
        }
    })
}

/// `$'...'` from `from` (after the quote): the escapes decoded, quoted.
fn ansi_c(lx: &mut Lexer, from: usize) -> Result<usize, Unreadable> {
    let s = lx.s;
    lx.started = true;
    // bash ends the string at a NUL it decodes.
    let mut ended = false;
    let mut k = from;
    loop {
        let c = *s.get(k).ok_or(Unreadable::Quote)?;
        k += 1;
        let decoded = match c {
            '\'' => return Ok(k),
            '\\' => ansi_c_escape(lx, &mut k)?,
            UNKNOWN_OPEN | IP_OPEN => {
                if !ended {
                    let end = lx.copy_marker(k - 1);
                    k = end;
                } else {
                    k = find(
                        s,
                        k,
                        if c == IP_OPEN {
                            IP_CLOSE
                        } else {
                            UNKNOWN_CLOSE
                        },
                    )
                    .map_or(s.len(), |e| e + 1);
                }
                continue;
            }
            other => Some(other),
        };
        match decoded {
            Some('\0') => ended = true,
            _ if ended => {}
            // An escape that decodes to a marker character is never trusted.
            Some(UNKNOWN_OPEN | UNKNOWN_CLOSE | IP_OPEN | IP_CLOSE) => {
                lx.unknown("a marker character")
            }
            Some(d) => lx.push(d, false),
            None => {}
        }
    }
}

/// The words being built for one reading of a script.
struct Lexer<'s> {
    s: &'s [char],
    dialect: Dialect,
    out: Vec<Vec<String>>,
    cmd: Vec<String>,
    word: String,
    /// Byte offsets in `word` of unquoted `{`, `,` and `}` (brace expansion).
    active: Vec<usize>,
    /// Whether a word has begun (`''` is a word).
    started: bool,
    /// The next word is a redirection's target: dropped.
    drop_next: bool,
    /// The next dropped word ends a here-document (`true`: `<<-`, leading
    /// tabs stripped from its lines).
    heredoc_next: Option<bool>,
    /// Here-documents whose bodies start at the next newline.
    heredocs: Vec<(String, bool)>,
    /// The bodies of the here-documents read so far.
    bodies: Vec<String>,
    /// The words made so far (with those of earlier scripts of the read).
    words: usize,
    /// The brace-expansion work so far (see [`MAX_BRACE_WORK`]).
    brace_work: usize,
    /// The word being read holds an unquoted unknown expansion: the wholly
    /// unknown word (a marker) that follows it ([`Lexer::may_split`]).
    split: Option<String>,
}

impl Lexer<'_> {
    fn push(&mut self, c: char, active: bool) {
        if active {
            self.active.push(self.word.len());
        }
        self.word.push(c);
        self.started = true;
    }

    /// Quoted text.
    fn push_str(&mut self, s: &str) {
        self.word.push_str(s);
        self.started = true;
    }

    fn unknown(&mut self, what: &str) {
        let mut m = String::new();
        marker(UNKNOWN_OPEN, what, UNKNOWN_CLOSE, &mut m);
        self.push_str(&m);
    }

    /// An expansion whose value is unknown ([`Lexer::may_split`] when
    /// unquoted).
    fn unknown_value(&mut self, what: &str, quoted: bool) {
        self.unknown(what);
        if !quoted {
            self.may_split(what);
        }
    }

    /// After an unquoted expansion whose value is (partly) unknown: the
    /// shell splits it into fields (SPEC 9, "as a POSIX shell splits them"),
    /// so it may hold further words, each wholly unknown (SPEC 13, "Unknown
    /// tokens"): `--metrics-secure=$A` with `A='false --metrics-bind-address=:8443'`
    /// is two arguments. The word that holds the expansion is read whole,
    /// and one wholly unknown word follows it, except for an assignment's
    /// value or a redirection's target, which the shell does not split.
    fn may_split(&mut self, what: &str) {
        if self.split.is_some() || self.drop_next || is_assignment(&self.word) {
            return;
        }
        let mut m = String::new();
        marker(UNKNOWN_OPEN, what, UNKNOWN_CLOSE, &mut m);
        self.split = Some(m);
    }

    /// The value of an expansion: in double quotes as it is, else split
    /// into fields at white space (a marker never holds white space, but
    /// the value it stands for may: [`Lexer::may_split`]).
    fn expansion(&mut self, text: &str, quoted: bool) {
        if quoted {
            return self.push_str(text);
        }
        for c in text.chars() {
            if matches!(c, ' ' | '\t' | '\n') {
                self.end_word();
            } else {
                self.push(c, false);
            }
        }
        if let Some(first) = Text(text).unknown().first() {
            self.may_split(first);
        }
    }

    /// Copies the marker that opens at `i` (to its close); the index after.
    fn copy_marker(&mut self, i: usize) -> usize {
        let close = if self.s[i] == IP_OPEN {
            IP_CLOSE
        } else {
            UNKNOWN_CLOSE
        };
        let end = find(self.s, i + 1, close).map_or(self.s.len(), |e| e + 1);
        for &c in &self.s[i..end] {
            self.push(c, false);
        }
        end
    }

    /// A redirection operator at `i` (`>`, `2>&1`, `<<EOF`, `&>`): its
    /// file-descriptor number and its target are dropped.
    fn redirect(&mut self, i: usize) -> usize {
        if self.started && self.active.is_empty() && self.word.bytes().all(|b| b.is_ascii_digit()) {
            self.word.clear();
            self.started = false;
        }
        self.end_word();
        let mut k = i;
        while self.s.get(k).is_some_and(|c| matches!(c, '<' | '>' | '|')) {
            k += 1;
        }
        // `<<WORD` and `<<-WORD` (not `<<<`): a here-document, whose lines
        // up to WORD are data, not commands.
        if self.s[i..k] == ['<', '<'] {
            let strip = self.s.get(k) == Some(&'-');
            k += usize::from(strip);
            self.heredoc_next = Some(strip);
        }
        if self.s.get(k) == Some(&'&') {
            k += 1;
            let start = k;
            while self
                .s
                .get(k)
                .is_some_and(|c| c.is_ascii_digit() || *c == '-')
            {
                k += 1;
            }
            if k > start {
                return k;
            }
        }
        self.drop_next = true;
        k
    }

    /// Takes the bodies of the pending here-documents, from `i` (the start
    /// of a line), out of the commands; the index after the last one's
    /// closing line.
    fn skip_heredocs(&mut self, mut i: usize) -> usize {
        for (word, strip) in std::mem::take(&mut self.heredocs) {
            let word: Vec<char> = word.chars().collect();
            let start = i;
            let mut body_end = self.s.len();
            while i < self.s.len() {
                let end = find(self.s, i, '\n').unwrap_or(self.s.len());
                let mut line = &self.s[i..end];
                if strip {
                    while let Some(rest) = line.strip_prefix(&['\t']) {
                        line = rest;
                    }
                }
                if line == word.as_slice() {
                    body_end = i;
                    i = end + 1;
                    break;
                }
                i = end + 1;
            }
            let body_end = body_end.max(start).min(self.s.len());
            self.bodies
                .push(self.s[start.min(body_end)..body_end].iter().collect());
        }
        i.min(self.s.len())
    }

    fn end_word(&mut self) {
        if !self.started {
            return;
        }
        let word = std::mem::take(&mut self.word);
        let active = std::mem::take(&mut self.active);
        let split = self.split.take();
        self.started = false;
        if std::mem::take(&mut self.drop_next) {
            if let Some(strip) = self.heredoc_next.take() {
                self.heredocs.push((word, strip));
            }
            return;
        }
        let before = self.cmd.len();
        if active.is_empty() {
            self.cmd.push(word);
        } else {
            braces(word, &active, &mut self.cmd, &mut self.brace_work);
        }
        self.cmd.extend(split);
        self.words += self.cmd.len() - before;
    }

    fn end_command(&mut self) {
        self.end_word();
        self.drop_next = false;
        if !self.cmd.is_empty() {
            self.out.push(std::mem::take(&mut self.cmd));
        }
    }
}

/// Brace expansion of one word (`active`: the offsets of its unquoted `{`,
/// `,` and `}`), as bash does it; past the bounds, one unknown word.
fn braces(word: String, active: &[usize], out: &mut Vec<String>, work: &mut usize) {
    let mut words = Vec::new();
    let mut bytes = 0;
    let fits =
        active.len() <= MAX_BRACES && expand_braces(&word, active, &mut words, &mut bytes, work);
    if fits {
        out.extend(words);
    } else {
        let mut m = String::new();
        marker(
            UNKNOWN_OPEN,
            "a brace expansion larger than the policy reads",
            UNKNOWN_CLOSE,
            &mut m,
        );
        out.push(m);
    }
}

/// One step of brace expansion: the first valid `{...}` expanded, each
/// result expanded again. `false` past the bounds.
fn expand_braces(
    word: &str,
    active: &[usize],
    out: &mut Vec<String>,
    bytes: &mut usize,
    work: &mut usize,
) -> bool {
    *work += word.len() + active.len() * active.len();
    if *work > MAX_BRACE_WORK {
        return false;
    }
    let at = |k: usize| word.as_bytes()[active[k]];
    for open in 0..active.len() {
        if at(open) != b'{' {
            continue;
        }
        // Its matching `}` and the commas at its level.
        let mut depth = 0;
        let mut commas = Vec::new();
        let mut close = None;
        for k in open + 1..active.len() {
            match at(k) {
                b'{' => depth += 1,
                b'}' if depth == 0 => {
                    close = Some(k);
                    break;
                }
                b'}' => depth -= 1,
                _ if depth == 0 => commas.push(k),
                _ => {}
            }
        }
        let Some(close) = close else { continue };
        let (start, end) = (active[open], active[close]);
        let prefix = &word[..start];
        let suffix = &word[end + 1..];
        // The active offsets of the prefix, and of the suffix shifted.
        let before: Vec<usize> = active[..open].to_vec();
        let after = &active[close + 1..];
        let mut alternatives: Vec<(String, Vec<usize>)> = Vec::new();
        if commas.is_empty() {
            match sequence(&word[start + 1..end]) {
                Some(items) => alternatives.extend(items.into_iter().map(|i| (i, Vec::new()))),
                None => continue,
            }
            if alternatives.len() > MAX_BRACE_WORDS {
                return false;
            }
        } else {
            let mut from = open;
            for &cut in commas.iter().chain(std::iter::once(&close)) {
                let (a, b) = (active[from] + 1, active[cut]);
                let inner = active[from + 1..cut].iter().map(|&k| k - a).collect();
                alternatives.push((word[a..b].to_string(), inner));
                from = cut;
            }
        }
        for (alt, inner) in alternatives {
            let mut next = String::with_capacity(prefix.len() + alt.len() + suffix.len());
            next.push_str(prefix);
            next.push_str(&alt);
            next.push_str(suffix);
            let mut act = before.clone();
            act.extend(inner.iter().map(|&k| k + start));
            let shift = start + alt.len();
            act.extend(after.iter().map(|&k| k - (end + 1) + shift));
            if !expand_braces(&next, &act, out, bytes, work) {
                return false;
            }
        }
        return true;
    }
    *bytes += word.len();
    out.push(word.to_string());
    out.len() <= MAX_BRACE_WORDS && *bytes <= MAX_BRACE_BYTES
}

/// A sequence `X..Y[..STEP]` of integers or single letters; `None` when the
/// body is not one. Past [`MAX_BRACE_WORDS`] items, one more than that.
fn sequence(body: &str) -> Option<Vec<String>> {
    let mut parts = body.split("..");
    let (a, b) = (parts.next()?, parts.next()?);
    let step = match parts.next() {
        Some(s) => s.parse::<i64>().ok()?.checked_abs()?.max(1),
        None => 1,
    };
    if parts.next().is_some() {
        return None;
    }
    let too_many = || vec![String::new(); MAX_BRACE_WORDS + 1];
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        let count = x.abs_diff(y) / step.unsigned_abs() + 1;
        if count > MAX_BRACE_WORDS as u64 {
            return Some(too_many());
        }
        let padded = |s: &str| s.trim_start_matches('-').starts_with('0') && s.len() > 1;
        let width = if padded(a) || padded(b) {
            a.len().max(b.len())
        } else {
            0
        };
        let dir = if y >= x { step } else { -step };
        return Some(
            (0..count as i64)
                .map(|k| {
                    let v = x + k * dir;
                    if v < 0 {
                        format!("-{:0w$}", v.unsigned_abs(), w = width.saturating_sub(1))
                    } else {
                        format!("{v:0width$}")
                    }
                })
                .collect(),
        );
    }
    let letter = |s: &str| {
        let mut c = s.chars();
        let l = c.next()?;
        (c.next().is_none() && l.is_ascii_alphabetic()).then_some(l as u8)
    };
    let (x, y) = (letter(a)?, letter(b)?);
    let dir = if y >= x { step } else { -step };
    let count = u64::from(x.abs_diff(y)) / step.unsigned_abs() + 1;
    Some(
        (0..count as i64)
            .map(|k| char::from((i64::from(x) + k * dir) as u8).to_string())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word's brace expansion, with every `{`, `,` and `}` unquoted.
    fn expand(word: &str) -> Vec<String> {
        let active: Vec<usize> = word
            .bytes()
            .enumerate()
            .filter(|(_, b)| matches!(b, b'{' | b',' | b'}'))
            .map(|(k, _)| k)
            .collect();
        let mut out = Vec::new();
        let mut work = 0;
        braces(word.to_string(), &active, &mut out, &mut work);
        out
    }

    /// `env`'s options as GNU env reads them, found on the walk that finds
    /// the program: every spelling of `-i`, `-u` and `-S`, and a chain.
    #[test]
    fn env_launch_reads_every_spelling_of_its_options() {
        // (command line, cleared, unset, assignments, split string's token)
        type Case = (
            &'static [&'static str],
            bool,
            &'static [&'static str],
            &'static [usize],
            Option<usize>,
        );
        let cases: [Case; 14] = [
            (&["env", "A=1", "B=2", "/p"], false, &[], &[1, 2], None),
            (&["env", "-i", "A=1", "/p"], true, &[], &[2], None),
            (&["env", "-", "/p"], true, &[], &[], None),
            (&["env", "--ignore-environment", "/p"], true, &[], &[], None),
            (&["env", "--ign", "/p"], true, &[], &[], None),
            (&["env", "-iu", "X", "/p"], true, &["X"], &[], None),
            (
                &["env", "-uX", "-u", "Y", "/p"],
                false,
                &["X", "Y"],
                &[],
                None,
            ),
            (
                &["env", "--unset=X", "--unset", "Y", "/p"],
                false,
                &["X", "Y"],
                &[],
                None,
            ),
            (&["env", "-C", "/d", "A=1", "/p"], false, &[], &[3], None),
            (&["env", "-S", "/p -x", "y"], false, &[], &[], Some(2)),
            (&["env", "-S/p -x"], false, &[], &[], Some(1)),
            (&["env", "--split-string=/p -x"], false, &[], &[], Some(1)),
            (
                &["env", "--split-string", "/p -x"],
                false,
                &[],
                &[],
                Some(2),
            ),
            (
                &["tini", "--", "env", "-i", "env", "A=1", "/p"],
                true,
                &[],
                &[5],
                None,
            ),
        ];
        for (tokens, cleared, unset, assignments, split) in cases {
            let got = env_launch(tokens);
            assert_eq!(got.cleared, cleared, "{tokens:?}");
            assert_eq!(got.unset, unset, "{tokens:?}");
            assert_eq!(got.assignments, assignments, "{tokens:?}");
            assert_eq!(got.split_string, split, "{tokens:?}");
        }
    }

    #[test]
    fn braces_as_bash_expands_them() {
        let cases = [
            ("a{b,c}d", "abd acd"),
            ("{a,b}{c,d}", "ac ad bc bd"),
            ("a{b,c{d,e}}f", "abf acdf acef"),
            ("x{,y}", "x xy"),
            ("{1..3}", "1 2 3"),
            ("{3..1}", "3 2 1"),
            ("{1..7..3}", "1 4 7"),
            ("{08..10}", "08 09 10"),
            ("{-1..1}", "-1 0 1"),
            ("{a..c}", "a b c"),
            ("{a}", "{a}"),
            ("{}", "{}"),
            ("{a,b", "{a,b"),
            ("{1..x}", "{1..x}"),
            ("{{a,b}", "{a {b"),
        ];
        for (word, expected) in cases {
            assert_eq!(expand(word).join(" "), expected, "{word}");
        }
        // Past the bounds: one unknown word.
        for word in ["{1..257}", "{1..9223372036854775807}", &"{a,b}".repeat(9)] {
            let out = expand(word);
            assert_eq!(out.len(), 1, "{word}");
            assert!(out[0].starts_with(UNKNOWN_OPEN), "{word}");
        }
        assert_eq!(expand("{1..256}").len(), 256);
    }

    /// Scripts of random pieces of shell syntax, in every shell: read or
    /// refused, never a panic (a fixed pseudo-random sequence).
    #[test]
    fn any_script_is_read_or_refused() {
        const PIECES: [&str; 44] = [
            " ",
            "\n",
            ";",
            "&",
            "|",
            "(",
            ")",
            "<",
            ">",
            "<<",
            "<<-",
            "2>&1",
            "#",
            "\\",
            "'",
            "\"",
            "`",
            "$",
            "${",
            "}",
            "{",
            ",",
            "..",
            "$(",
            "$((",
            "$'",
            "\\x4",
            "\\u",
            "\\c",
            "\\0",
            "a",
            "-1",
            "9",
            "eval",
            "sh -c",
            "bash -ec",
            "env -S",
            "exec",
            "tini --",
            "$@",
            "\"$@\"",
            "$1",
            "\u{E000}X\u{E001}",
            "EOF",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let operands = vec!["m".to_string(), "--x".to_string()];
        for _ in 0..3000 {
            let len = next() % 24;
            let script: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            for shell in ["sh", "bash", "dash"] {
                let _ = commands(&script, shell, &operands, |_| None, Undefined::default());
            }
        }
    }

    #[test]
    fn launchers_consume_their_options() {
        let cases: [&[&str]; 6] = [
            &["env", "-", "A=1", "sh"],
            &["env", "-S", "x", "sh"],
            &["timeout", "-k5", "-sKILL", "10", "sh"],
            &["su-exec", "1000:1000", "sh"],
            &[
                "/usr/local/bin/gosu",
                "app",
                "/sbin/tini",
                "-e",
                "143",
                "--",
                "sh",
            ],
            &["exec", "-a", "manager", "command", "sh"],
        ];
        for tokens in cases {
            let mut split = Vec::new();
            let at = program(tokens, &mut split);
            let expected = tokens.len() - 1;
            if split.is_empty() {
                assert_eq!(at, Some(expected), "{tokens:?}");
            } else {
                assert_eq!(split, ["x"], "{tokens:?}");
            }
        }
        assert_eq!(program(&["tini", "--"], &mut Vec::new()), None);
    }
}
