//! A mutation shown as the change of the object's YAML: the lines removed
//! (`-`) and added (`+`), with two lines of context, as `diff -u` would.
//!
//! Common leading and trailing lines are set aside first; the rest is
//! compared with a longest-common-subsequence table when it is small enough
//! (at most [`MAX_CELLS`] cells, so the time stays bounded whatever the
//! object), else shown as one block removed and one added.

use serde_json::Value;

pub const MAX_CELLS: usize = 4_000_000;
const CONTEXT: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The object as block YAML (keys in the order of the JSON object; a
/// string printed plain only when it reads back as the same string, else
/// JSON-quoted, which YAML reads as a double-quoted scalar).
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => block_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => block_seq(a, 0, &mut out),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain_safe = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=@".contains(c))
                && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
                && crate::yaml::parse(s).ok() == Some(Value::String(s.clone()));
            if plain_safe {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn block_map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&inline(&Value::String(k.clone())));
        out.push(':');
        value_after_key(v, indent, out);
    }
}

fn value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if is_block(v) => {
            out.push('\n');
            block_map(m, indent + 2, out);
        }
        Value::Array(a) if is_block(v) => {
            out.push('\n');
            block_seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn block_seq(a: &[Value], indent: usize, out: &mut String) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match v {
            Value::Object(m) if is_block(v) => {
                // The first key on the dash's line, the others under it.
                let mut first = true;
                for (k, item) in m {
                    if !first {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    first = false;
                    out.push_str(&inline(&Value::String(k.clone())));
                    out.push(':');
                    value_after_key(item, indent + 2, out);
                }
            }
            // A list in a list: in flow style (JSON, which YAML reads).
            Value::Array(_) => {
                out.push_str(&v.to_string());
                out.push('\n');
            }
            other => {
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

/// The diff of `before` and `after` printed as YAML, each line prefixed by
/// `indent`; empty when they print the same.
pub fn yaml_diff(before: &Value, after: &Value, indent: &str) -> String {
    let (a, b) = (yaml(before), yaml(after));
    line_diff(&a, &b, indent)
}

fn line_diff(a: &str, b: &str, indent: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<(Op, &str)> = a[..prefix].iter().map(|l| (Op::Same, *l)).collect();
    ops.extend(middle(am, bm));
    ops.extend(a[a.len() - suffix..].iter().map(|l| (Op::Same, *l)));
    render(&ops, indent)
}

fn middle<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(Op, &'a str)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        let mut ops: Vec<(Op, &str)> = a.iter().map(|l| (Op::Removed, *l)).collect();
        ops.extend(b.iter().map(|l| (Op::Added, *l)));
        return ops;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((Op::Same, a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
            ops.push((Op::Removed, a[i]));
            i += 1;
        } else {
            ops.push((Op::Added, b[j]));
            j += 1;
        }
    }
    ops
}

/// Changed lines with [`CONTEXT`] lines around them; `...` between hunks.
fn render(ops: &[(Op, &str)], indent: &str) -> String {
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(ops.len());
        ops[lo..hi].iter().any(|(op, _)| *op != Op::Same)
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if !near_change(k) {
            skipped = true;
            continue;
        }
        if skipped && !out.is_empty() {
            out.push_str(indent);
            out.push_str("  ...\n");
        }
        skipped = false;
        let mark = match op {
            Op::Same => ' ',
            Op::Removed => '-',
            Op::Added => '+',
        };
        out.push_str(indent);
        out.push(mark);
        out.push(' ');
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_added_lines_with_context() {
        // The new key sorts last and is inserted last, so the diff is the
        // same whether the workspace's serde_json keeps insertion order
        // (`preserve_order`, which a test dependency turns on) or sorts.
        let before = json!({"spec": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}});
        let mut after = before.clone();
        after["spec"]["g"] = json!("new");
        let d = yaml_diff(&before, &after, "  ");
        assert_eq!(d, "      e: 5\n      f: 6\n  +   g: new\n");
        assert_eq!(yaml_diff(&before, &before, ""), "");
    }

    #[test]
    fn yaml_reads_back_as_the_object() {
        let v = json!({"metadata": {"name": "m", "labels": {"app.kubernetes.io/name": "x"}},
            "spec": {"containers": [{"name": "c", "args": ["--metrics-bind-address=:8443", "yes", "0755", ""],
                                      "ports": [{"containerPort": 8443}], "env": []}],
                     "volumes": [[1, 2], {}], "n": null, "t": true, "f": 1.5, "s": "two words: here"}});
        let text = yaml(&v);
        assert_eq!(crate::yaml::parse(&text), Ok(v), "{text}");
        assert!(
            text.contains("    - \"--metrics-bind-address=:8443\"\n"),
            "{text}"
        );
    }

    #[test]
    fn separate_changes_are_separate_hunks() {
        let a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let b = "1\nX\n3\n4\n5\n6\n7\n8\nY\n";
        let d = line_diff(a, b, "");
        assert_eq!(d, "  1\n- 2\n+ X\n  3\n  4\n  ...\n  7\n  8\n- 9\n+ Y\n");
    }

    #[test]
    fn large_changes_are_bounded() {
        let a: String = (0..3000).map(|i| format!("a{i}\n")).collect();
        let b: String = (0..3000).map(|i| format!("b{i}\n")).collect();
        let d = line_diff(&a, &b, "");
        assert_eq!(d.lines().filter(|l| l.starts_with('-')).count(), 3000);
        assert_eq!(d.lines().filter(|l| l.starts_with('+')).count(), 3000);
    }
}
