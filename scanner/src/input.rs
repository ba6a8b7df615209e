//! Reading manifests: files, directories and `-` (standard input), each a
//! stream of YAML documents or JSON values, as `helm template` and
//! `kubectl kustomize` print them; `List` kinds are unpacked into their items.
//!
//! Documents are numbered from 1 in their file, counting only documents that
//! hold something (an empty document, or one of comments only, as `helm
//! template` prints for a template that renders nothing, is not counted), and
//! located by the line of their first line. A document that cannot be read
//! is an [`InputError`] naming the file and the document; the other documents
//! of the file are still read.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One object to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file as given (or found under a directory given); `-` for stdin.
    pub file: String,
    /// The document's number in its file, from 1.
    pub document: usize,
    /// The line where the document starts, from 1.
    pub line: usize,
    /// The item's index in a `List` document, from 0.
    pub item: Option<usize>,
    pub object: Value,
}

/// A file, document or item that cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    pub document: Option<usize>,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(d) = self.document {
            write!(f, ": document {d}")?;
        }
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What was read: the objects, and what could not be read.
#[derive(Debug, Default)]
pub struct Input {
    pub documents: Vec<Document>,
    pub errors: Vec<InputError>,
}

/// Reads every path: a directory is searched (recursively, in name order)
/// for `*.yaml`, `*.yml` and `*.json` files; a file is read whatever its name.
pub fn read_paths(paths: &[String]) -> Input {
    let mut input = Input::default();
    for path in paths {
        if path == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => read_text("-", &text, &mut input),
                Err(e) => input
                    .errors
                    .push(file_error("-", format!("cannot read: {e}"))),
            }
            continue;
        }
        let p = Path::new(path);
        if p.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = manifests_under(p, &mut files) {
                input.errors.push(file_error(path, e));
            }
            for f in files {
                read_file(&f.display().to_string(), &mut input);
            }
        } else {
            read_file(path, &mut input);
        }
    }
    input
}

fn file_error(file: &str, message: String) -> InputError {
    InputError {
        file: file.to_string(),
        document: None,
        line: None,
        message,
    }
}

fn manifests_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read the directory: {e}"))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            manifests_under(&p, out)?;
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
    Ok(())
}

fn read_file(file: &str, input: &mut Input) {
    match std::fs::read(file) {
        Err(e) => input
            .errors
            .push(file_error(file, format!("cannot read the file: {e}"))),
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => read_text(file, &text, input),
            Err(_) => input
                .errors
                .push(file_error(file, "not UTF-8 text".to_string())),
        },
    }
}

/// Reads the documents of one file's text.
pub fn read_text(file: &str, text: &str, input: &mut Input) {
    if let Some(values) = json_stream(text) {
        for (i, (line, value)) in values.into_iter().enumerate() {
            add_object(file, i + 1, line, value, input);
        }
        return;
    }
    for (i, chunk) in yaml_documents(text).into_iter().enumerate() {
        // The document's line: its first line that is not blank or a comment.
        let first = chunk
            .text
            .lines()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .unwrap_or(0);
        let (document, line) = (i + 1, chunk.line + first);
        match crate::yaml::parse(&chunk.text) {
            Ok(value) => add_object(file, document, line, value, input),
            Err((at, message)) => input.errors.push(InputError {
                file: file.to_string(),
                document: Some(document),
                line: Some(line),
                message: match at {
                    // The chunk's line 1 is the file's line `line`.
                    Some(l) => format!(
                        "not valid YAML: {message} (at line {})",
                        line + l.max(1) - 1
                    ),
                    None => format!("not valid YAML: {message}"),
                },
            }),
        }
    }
}

/// A stream of JSON values (a file that starts with `{`), each with its line;
/// `None` when the text is not JSON (then it is read as YAML).
fn json_stream(text: &str) -> Option<Vec<(usize, Value)>> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => return Some(values),
            Some(Ok(v)) => {
                let skipped = text[start..].len() - text[start..].trim_start().len();
                let line = 1 + text[..start + skipped].matches('\n').count();
                values.push((line, v));
            }
            Some(Err(_)) => return None,
        }
    }
}

/// One YAML document's text and the line of its first line.
#[derive(Debug, PartialEq, Eq)]
struct Chunk {
    line: usize,
    text: String,
}

/// Splits a YAML stream at its document markers (`---` at the start of a
/// line; `...` ends a document), keeping only documents that hold something
/// other than blank lines and comments. A marker cannot occur inside a block
/// scalar, whose lines are indented.
fn yaml_documents(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = Chunk {
        line: 1,
        text: String::new(),
    };
    let mut flush = |c: &mut Chunk, next_line: usize| {
        let done = std::mem::replace(
            c,
            Chunk {
                line: next_line,
                text: String::new(),
            },
        );
        if done
            .text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        {
            chunks.push(done);
        }
    };
    let mut in_document = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker {
            flush(&mut current, n);
            in_document = true;
            // `--- value`: the document's content starts on the marker's line.
            current.text.push_str(&line[3..]);
            current.text.push('\n');
            continue;
        }
        if line == "..." || line.starts_with("... ") {
            flush(&mut current, n + 1);
            in_document = false;
            continue;
        }
        if line.starts_with('%') && !in_document && current.text.trim().is_empty() {
            continue; // a directive (%YAML, %TAG) before a document
        }
        if current.text.is_empty() {
            current.line = n;
        }
        current.text.push_str(line);
        current.text.push('\n');
    }
    flush(&mut current, 0);
    chunks
}

/// A parsed document: an object to judge, the items of a `List`, nothing
/// (a document that is `null`), or an error.
fn add_object(file: &str, document: usize, line: usize, value: Value, input: &mut Input) {
    let error = |message: String| InputError {
        file: file.to_string(),
        document: Some(document),
        line: Some(line),
        message,
    };
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    match &value {
        Value::Null => {}
        Value::Object(map) if kind.ends_with("List") && map.get("items").is_some() => {
            let Some(items) = map.get("items").and_then(Value::as_array) else {
                input
                    .errors
                    .push(error(format!("the `items` of this {kind} are not a list")));
                return;
            };
            for (i, item) in items.iter().enumerate() {
                match check_object(item) {
                    Ok(()) => input.documents.push(Document {
                        file: file.to_string(),
                        document,
                        line,
                        item: Some(i),
                        object: item.clone(),
                    }),
                    Err(e) => input.errors.push(error(format!("item {i}: {e}"))),
                }
            }
        }
        _ => match check_object(&value) {
            Ok(()) => input.documents.push(Document {
                file: file.to_string(),
                document,
                line,
                item: None,
                object: value,
            }),
            Err(e) => input.errors.push(error(e)),
        },
    }
}

/// An object needs a `kind` and an `apiVersion`, as `kubectl apply` does.
fn check_object(value: &Value) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err("not a Kubernetes object (a YAML mapping with `apiVersion` and `kind`)".into());
    };
    match map.get("kind") {
        Some(Value::String(k)) if !k.is_empty() => {}
        Some(Value::String(_)) | None => return Err("the object has no `kind`".into()),
        Some(_) => return Err("`kind` is not a string".into()),
    }
    match map.get("apiVersion") {
        Some(Value::String(v)) if !v.is_empty() => Ok(()),
        Some(Value::String(_)) | None => Err("the object has no `apiVersion`".into()),
        Some(_) => Err("`apiVersion` is not a string".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Input {
        let mut input = Input::default();
        read_text("f.yaml", text, &mut input);
        input
    }

    #[test]
    fn helm_output_is_split_at_markers_and_numbered_from_one() {
        let text = "---\n# Source: chart/templates/empty.yaml\n---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  x: |\n    ---\n    not a marker\n";
        let input = read(text);
        assert!(input.errors.is_empty(), "{:?}", input.errors);
        let docs = &input.documents;
        assert_eq!(docs.len(), 2);
        assert_eq!((docs[0].document, docs[0].line), (1, 5));
        assert_eq!(docs[0].object["kind"], "Service");
        assert_eq!((docs[1].document, docs[1].line), (2, 10));
        assert_eq!(docs[1].object["data"]["x"], "---\nnot a marker\n");
    }

    #[test]
    fn a_bad_document_is_an_error_and_the_others_are_read() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [unclosed\n---\napiVersion: v1\nmetadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: d}\n";
        let input = read(text);
        assert_eq!(input.documents.len(), 2);
        assert_eq!(input.documents[1].object["metadata"]["name"], "d");
        assert_eq!(input.errors.len(), 2);
        let e = &input.errors[0];
        assert_eq!((e.document, e.line), (Some(2), Some(5)));
        assert!(e.message.starts_with("not valid YAML"), "{}", e.message);
        assert!(e
            .to_string()
            .starts_with("f.yaml: document 2 (line 5): not valid YAML"));
        assert_eq!(input.errors[1].message, "the object has no `kind`");
        assert_eq!(input.errors[1].document, Some(3));
    }

    #[test]
    fn lists_are_unpacked_and_json_streams_read() {
        let text = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
  {"metadata": {"name": "no-kind"}}]}
{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}"#;
        let input = read(text);
        assert_eq!(input.documents.len(), 2);
        assert_eq!(input.documents[0].item, Some(0));
        assert_eq!(input.documents[1].object["kind"], "ConfigMap");
        assert_eq!(
            (input.documents[1].document, input.documents[1].line),
            (2, 4)
        );
        assert_eq!(input.errors.len(), 1);
        assert_eq!(input.errors[0].message, "item 1: the object has no `kind`");
    }

    #[test]
    fn scalars_and_non_objects_are_refused() {
        let input = read("just a string\n---\n- a\n- b\n");
        assert_eq!(input.errors.len(), 2);
        assert!(input.errors[0].message.contains("not a Kubernetes object"));
        assert!(read("").documents.is_empty() && read("").errors.is_empty());
    }

    #[test]
    fn unreadable_files_are_named() {
        let input = read_paths(&["/nonexistent/chart.yaml".to_string()]);
        assert_eq!(input.errors.len(), 1);
        assert!(input.errors[0]
            .to_string()
            .starts_with("/nonexistent/chart.yaml: cannot read the file"));
        assert_eq!(json!(input.documents.len()), json!(0));
    }
}
