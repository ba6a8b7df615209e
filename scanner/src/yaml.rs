//! One YAML document read as `kubectl apply` reads it before sending JSON to
//! the API server (sigs.k8s.io/yaml over go-yaml v2): plain scalars typed
//! with YAML 1.1's rules (`yes`, `on`, `off` are booleans, `0755` is octal,
//! `1_000` is 1000), keys turned into strings, merge keys (`<<`) merged,
//! explicit keys winning. A key given twice, a value JSON cannot hold
//! (`.inf`, `.nan`) or a complex key is an error: the scanner cannot know
//! which object the API server would get, so it judges none.
//!
//! The text is split into events by libyaml's parser (`yaml_reader::libyaml`,
//! the policy's own), whose scanner go-yaml is a port of: what `kubectl`
//! reads (a flow list closed at its key's indentation, as Tekton writes its
//! `args`) is read here too.
//!
//! Aliases are expanded, within a budget of [`MAX_NODES`] values for the
//! whole document (a "billion laughs" document expands exponentially):
//! past it the document is an error, never a partial object.

use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use yaml_reader::libyaml::{Event, Parser};

/// The most values (scalars, lists and mappings, alias copies included) one
/// document may expand to.
pub const MAX_NODES: usize = 2_000_000;

/// Parses one document; `Ok(Value::Null)` for a document with no content.
/// Errors carry the line (from 1) within `text`.
pub fn parse(text: &str) -> Result<Value, (Option<usize>, String)> {
    let mut parser = Parser::new(text);
    let mut events = Vec::new();
    loop {
        let (event, line) = parser.next_event().map_err(|e| (Some(e.line), e.message))?;
        if event == Event::StreamEnd {
            break;
        }
        events.push((event, line));
    }
    build(events)
}

enum Frame {
    Seq {
        anchor: Option<String>,
        items: Vec<Value>,
    },
    Map {
        anchor: Option<String>,
        map: Map<String, Value>,
        key: Option<String>,
        merged: Vec<Map<String, Value>>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<String, (Value, usize)>,
    nodes: usize,
    root: Option<Value>,
}

type Fail = (Option<usize>, String);

fn size(v: &Value) -> usize {
    let mut n = 0;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        n += 1;
        match v {
            Value::Array(a) => todo.extend(a.iter()),
            Value::Object(m) => todo.extend(m.values()),
            _ => {}
        }
    }
    n
}

impl Builder {
    fn charge(&mut self, n: usize, line: usize) -> Result<(), Fail> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err((
                Some(line),
                format!("the document expands to more than {MAX_NODES} values (aliases)"),
            ));
        }
        Ok(())
    }

    fn anchor(&mut self, name: Option<String>, value: &Value, line: usize) -> Result<(), Fail> {
        let Some(name) = name else {
            return Ok(());
        };
        let n = size(value);
        self.charge(n, line)?;
        self.anchors.insert(name, (value.clone(), n));
        Ok(())
    }

    fn complete(&mut self, value: Value, line: usize) -> Result<(), Fail> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return Ok(());
        };
        match frame {
            Frame::Seq { items, .. } => items.push(value),
            Frame::Map {
                key: key @ None, ..
            } => {
                *key = Some(match value {
                    Value::String(s) => s,
                    Value::Null => "null".into(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err((Some(line), "a mapping key that is not a scalar".into())),
                });
            }
            Frame::Map {
                key: key @ Some(_),
                map,
                merged,
                ..
            } => {
                let k = key.take().unwrap_or_default();
                if k == "<<" {
                    match value {
                        Value::Object(m) => merged.push(m),
                        Value::Array(items) if items.iter().all(Value::is_object) => {
                            merged.extend(items.into_iter().filter_map(|i| match i {
                                Value::Object(m) => Some(m),
                                _ => None,
                            }))
                        }
                        _ => {
                            return Err((
                                Some(line),
                                "a merge key (<<) whose value is not a mapping".into(),
                            ))
                        }
                    }
                } else if map.contains_key(&k) {
                    return Err((Some(line), format!("the key {k:?} is given twice")));
                } else {
                    map.insert(k, value);
                }
            }
        }
        Ok(())
    }
}

fn build(events: Vec<(Event, usize)>) -> Result<Value, Fail> {
    let mut b = Builder {
        stack: Vec::new(),
        anchors: BTreeMap::new(),
        nodes: 0,
        root: None,
    };
    for (event, line) in events {
        match event {
            Event::Scalar {
                value: text,
                plain,
                anchor,
                tag,
            } => {
                b.charge(1, line)?;
                let v = scalar(&text, plain, tag.as_deref()).map_err(|e| (Some(line), e))?;
                b.anchor(anchor, &v, line)?;
                b.complete(v, line)?;
            }
            Event::Alias(name) => {
                let Some((v, n)) = b.anchors.get(&name).cloned() else {
                    return Err((Some(line), "an alias to an unknown anchor".into()));
                };
                b.charge(n, line)?;
                b.complete(v, line)?;
            }
            Event::SequenceStart(anchor) => {
                b.charge(1, line)?;
                b.stack.push(Frame::Seq {
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor) => {
                b.charge(1, line)?;
                b.stack.push(Frame::Map {
                    anchor,
                    map: Map::new(),
                    key: None,
                    merged: Vec::new(),
                });
            }
            Event::End => {
                let (anchor, v) = match b.stack.pop() {
                    Some(Frame::Seq { anchor, items }) => (anchor, Value::Array(items)),
                    Some(Frame::Map {
                        anchor,
                        mut map,
                        merged,
                        ..
                    }) => {
                        for m in merged {
                            for (k, v) in m {
                                map.entry(k).or_insert(v);
                            }
                        }
                        (anchor, Value::Object(map))
                    }
                    None => return Err((Some(line), "unbalanced YAML events".into())),
                };
                b.anchor(anchor, &v, line)?;
                b.complete(v, line)?;
            }
            Event::Other | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
    Ok(b.root.unwrap_or(Value::Null))
}

/// A scalar: quoted and block scalars are strings; a standard tag
/// (`!!str`, `!!int`, ...) decides; else a plain scalar is typed by YAML 1.1.
fn scalar(text: &str, plain_style: bool, tag: Option<&str>) -> Result<Value, String> {
    // libyaml gives a tag in full: `!!str` is `tag:yaml.org,2002:str`.
    let standard = tag.and_then(|t| t.strip_prefix("tag:yaml.org,2002:"));
    match standard {
        Some("str" | "binary" | "timestamp") => return Ok(Value::String(text.to_string())),
        Some(t @ ("int" | "float" | "bool" | "null")) => {
            let v = plain(text)?;
            let ok = match t {
                "int" => v.is_i64() || v.is_u64(),
                "float" => v.is_number(),
                "bool" => v.is_boolean(),
                _ => v.is_null(),
            };
            return if ok {
                Ok(v)
            } else {
                Err(format!("{text:?} is not a valid !!{t}"))
            };
        }
        _ => {}
    }
    if !plain_style {
        return Ok(Value::String(text.to_string()));
    }
    plain(text)
}

/// go-yaml v2's typing of a plain scalar.
fn plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Ok(Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Ok(Value::Bool(false))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(format!("{text} is not a number JSON can hold"));
        }
        _ => {}
    }
    let digits = text.replace('_', "");
    if let Some(i) = integer(&digits) {
        return Ok(i);
    }
    if is_float(&digits) {
        if let Some(n) = digits.parse::<f64>().ok().and_then(Number::from_f64) {
            return Ok(Value::Number(n));
        }
    }
    Ok(Value::String(text.to_string()))
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`): a sign, then
/// `0x`, `0o`, `0b` or a leading `0` (octal), or decimal.
fn integer(s: &str) -> Option<Value> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        let v = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Value::from(v))
    } else {
        Some(Value::from(magnitude))
    }
}

/// go-yaml v2's float pattern: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_scalars_are_typed_as_kubectl_sends_them() {
        let v = parse("a: yes\nb: off\nc: 0755\nd: 1_000\ne: '0755'\nf: 1.5\ng: ~\nh: 0x1F\ni: 1e3\nj: v1.2\nk: -0o10\nl: \"on\"\nm: 12abc\n").unwrap();
        assert_eq!(
            v,
            json!({"a": true, "b": false, "c": 493, "d": 1000, "e": "0755", "f": 1.5, "g": null,
                   "h": 31, "i": 1000.0, "j": "v1.2", "k": -8, "l": "on", "m": "12abc"})
        );
        assert_eq!(
            parse("x: !!str 3\nz: !!int '7'\n").unwrap(),
            json!({"x": "3", "z": 7})
        );
        assert!(parse("x: !!int abc\n").is_err());
        assert_eq!(
            parse("1: a\ntrue: b\n").unwrap(),
            json!({"1": "a", "true": "b"})
        );
        assert_eq!(parse("# nothing\n").unwrap(), Value::Null);
    }

    #[test]
    fn merge_keys_merge_and_explicit_keys_win() {
        let v = parse("base: &b {x: 1, w: 2}\nobj:\n  <<: *b\n  w: 3\n").unwrap();
        assert_eq!(v["obj"], json!({"x": 1, "w": 3}));
        assert!(parse("a: 1\na: 2\n").unwrap_err().1.contains("given twice"));
        assert!(parse("a: .inf\n").is_err());
        assert!(parse("? [a]\n: 1\n")
            .unwrap_err()
            .1
            .contains("not a scalar"));
    }

    #[test]
    fn aliases_expand_within_a_budget() {
        assert_eq!(parse("a: &x [1, 2]\nb: *x\n").unwrap()["b"], json!([1, 2]));
        let mut doc = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            doc.push_str(&format!(
                "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n",
                p = i - 1
            ));
        }
        let (line, message) = parse(&doc).unwrap_err();
        assert!(message.contains("expands to more than"), "{message}");
        assert!(line.is_some());
    }

    /// Tekton's `config/controller.yaml` writes its `args` as a flow list
    /// closed at its key's indentation; kubectl (go-yaml, libyaml's scanner)
    /// reads it, and so does the scanner.
    #[test]
    fn flow_lists_are_read_as_kubectl_reads_them() {
        let text = "spec:\n  containers:\n  - name: c\n    args: [\n      # a comment\n      \"-a\", \"x\",\n    ]\n    image: i\n";
        assert_eq!(
            parse(text).unwrap()["spec"]["containers"][0],
            json!({"name": "c", "args": ["-a", "x"], "image": "i"})
        );
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let (line, message) = parse("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(line.is_some_and(|l| l >= 2), "{line:?}");
        assert!(!message.is_empty());
    }
}
