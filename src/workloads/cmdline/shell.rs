//! Shell scripts (SPEC section 9, "Shells"; section 13, "Undefined names").
//!
//! When the program is a shell (`sh`, `bash`, `ash`, `dash`, `zsh`, in any
//! directory) run with `-c SCRIPT`, the script is read as the commands it
//! runs: one pass over it, minding quotes, drops comments, expands `$NAME`
//! and `${NAME}` outside single quotes (a name the script assigns, and any
//! special parameter or command substitution, is unknown), and cuts it into
//! simple commands at `;`, `&`, `&&`, `||`, `|` and newlines. Each simple
//! command is split into words with `shlex` (POSIX quoting); leading
//! `NAME=value` assignments and `exec` are skipped.

use super::expand::{marker, Binding, UNKNOWN_CLOSE, UNKNOWN_OPEN};
use std::collections::HashSet;

const SHELLS: [&str; 5] = ["sh", "bash", "ash", "dash", "zsh"];

/// Where the script is among the tokens, when `tokens[0]` is a shell run with
/// `-c`: the index of the script token.
pub(crate) fn script_index<T: AsRef<str>>(tokens: &[T]) -> Option<usize> {
    let program = tokens.first()?.as_ref();
    let base = program.rsplit('/').next().unwrap_or(program);
    if !SHELLS.contains(&base) {
        return None;
    }
    let mut saw_c = false;
    let mut i = 1;
    while let Some(t) = tokens.get(i).map(AsRef::as_ref) {
        if t == "-o" || t == "+o" {
            i += 2;
            continue;
        }
        let is_option = (t.starts_with('-') || t.starts_with('+')) && t.len() > 1;
        if !is_option || t == "--" {
            let at = if t == "--" { i + 1 } else { i };
            return (saw_c && at < tokens.len()).then_some(at);
        }
        if !t.starts_with("--") && t[1..].contains('c') {
            saw_c = true;
        }
        i += 1;
    }
    None
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The names a script assigns (`NAME=`, `export NAME`, `read NAME`, ...):
/// their values are unknown wherever the script uses them.
fn assigned(script: &str) -> HashSet<&str> {
    let mut out = HashSet::new();
    let mut declaring = false;
    for word in script.split(|c: char| c.is_whitespace() || ";&|()`\"'".contains(c)) {
        if let Some((name, _)) = word.split_once('=') {
            if is_name(name) {
                out.insert(name);
            }
        } else if declaring && is_name(word) {
            out.insert(word);
        }
        let keyword = matches!(
            word,
            "export" | "read" | "local" | "declare" | "readonly" | "typeset" | "for"
        );
        declaring = keyword || (declaring && (word.starts_with('-') || is_name(word)));
    }
    out
}

/// Quotes text from an expansion for the word splitter: inside double quotes
/// only `"`, `\`, `$` and `` ` `` need a backslash; outside, every special
/// character does, while white space still splits words (as an unquoted
/// expansion does).
fn push_expanded(text: &str, double: bool, out: &mut String) {
    for c in text.chars() {
        let special = if double {
            matches!(c, '"' | '\\' | '$' | '`')
        } else {
            matches!(
                c,
                '"' | '\'' | '\\' | '$' | '`' | '#' | ';' | '&' | '|' | '<' | '>'
            )
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Reads a script: the words of each simple command (assignments and `exec`
/// skipped), or `None` when it cannot be split (an unbalanced quote).
pub(crate) fn commands<'b, 'c: 'b>(
    script: &str,
    lookup: impl Fn(&str) -> Option<&'b Binding<'c>>,
) -> Option<Vec<Vec<String>>> {
    let assigned = assigned(script);
    let resolve = |name: &str, double: bool, out: &mut String| match lookup(name) {
        _ if assigned.contains(name) => marker(UNKNOWN_OPEN, name, UNKNOWN_CLOSE, out),
        Some(Binding::Text(t)) => push_expanded(t, double, out),
        Some(b) => b.render(name, out),
        // Undefined: stays as written, as `$(NAME)` does (SPEC 9).
        None => {
            out.push_str("\\$");
            out.push_str(name);
        }
    };
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    let (mut single, mut double) = (false, false);
    let mut chars = script.chars().peekable();
    let mut word_start = true;
    while let Some(c) = chars.next() {
        let starts_word = word_start;
        word_start = false;
        if single {
            cur.push(c);
            single = c != '\'';
            continue;
        }
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '\'' if !double => {
                single = true;
                cur.push(c);
            }
            '"' => {
                double = !double;
                cur.push(c);
            }
            '#' if !double && starts_word => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
                word_start = true;
            }
            '$' => match chars.peek().copied() {
                Some('{') => {
                    chars.next();
                    let mut body = String::new();
                    for n in chars.by_ref() {
                        if n == '}' {
                            break;
                        }
                        body.push(n);
                    }
                    let name: &str = body
                        .split([':', '-', '=', '?', '+', '#', '%', '/'])
                        .next()
                        .unwrap_or("");
                    if is_name(name) && name.len() == body.len() {
                        resolve(name, double, &mut cur);
                    } else {
                        marker(
                            UNKNOWN_OPEN,
                            &format!("${{{body}}}"),
                            UNKNOWN_CLOSE,
                            &mut cur,
                        );
                    }
                }
                Some('(') => {
                    chars.next();
                    let mut depth = 1;
                    let mut body = String::new();
                    for n in chars.by_ref() {
                        depth += match n {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        if depth == 0 {
                            break;
                        }
                        body.push(n);
                    }
                    marker(UNKNOWN_OPEN, &format!("$({body})"), UNKNOWN_CLOSE, &mut cur);
                }
                Some(n) if n.is_ascii_alphabetic() || n == '_' => {
                    let mut name = String::new();
                    while let Some(&n) = chars
                        .peek()
                        .filter(|n| n.is_ascii_alphanumeric() || **n == '_')
                    {
                        name.push(n);
                        chars.next();
                    }
                    resolve(&name, double, &mut cur);
                }
                Some(n) if n.is_ascii_digit() || "@*#?$!-".contains(n) => {
                    chars.next();
                    marker(UNKNOWN_OPEN, &format!("${n}"), UNKNOWN_CLOSE, &mut cur);
                }
                _ => cur.push_str("\\$"),
            },
            '`' => {
                let mut body = String::new();
                for n in chars.by_ref() {
                    if n == '`' {
                        break;
                    }
                    body.push(n);
                }
                marker(UNKNOWN_OPEN, &format!("`{body}`"), UNKNOWN_CLOSE, &mut cur);
            }
            ';' | '&' | '|' | '\n' if !double => {
                pieces.push(std::mem::take(&mut cur));
                word_start = true;
            }
            c => {
                cur.push(c);
                word_start = c.is_whitespace() && !double;
            }
        }
    }
    if single || double {
        return None;
    }
    pieces.push(cur);
    let mut out = Vec::new();
    for piece in pieces {
        let words = shlex::split(&piece)?;
        let skip = words
            .iter()
            .position(|w| w != "exec" && !w.split_once('=').is_some_and(|(n, _)| is_name(n)))
            .unwrap_or(words.len());
        let words: Vec<String> = words.into_iter().skip(skip).collect();
        if !words.is_empty() {
            out.push(words);
        }
    }
    Some(out)
}
