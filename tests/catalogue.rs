//! The rule catalogue stays one thing in three places: `Rule::ALL` (the type),
//! the README's rule table (what an admin reads) and the code in `src/` (what
//! the policy can raise).
//!
//! - The README's table lists every id of `Rule::ALL`, once each, in that
//!   order, and nothing else; each row carries the anchor `Rule::anchor()`.
//! - Every id the README shows on a message or warning line (`... [M1]`,
//!   `[X3] ...`) is an id of `Rule::ALL`.
//! - Every `Rule` variant is used in `src/` outside `src/rule.rs` and outside
//!   test code, so a rule cannot be listed and never raised.

use secure_metrics_policy::rule::Rule;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Rules of the SPEC that the code does not raise yet. The emission check
/// skips them, and fails once one of them is emitted, so that it leaves this
/// list. Empty: every rule is raised.
const NOT_YET_EMITTED: &[Rule] = &[];

/// The rule table is the first table after this heading.
const RULES_HEADING: &str = "## Rules";

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// One row of the README's rule table: its anchor and the id it shows.
#[derive(Debug)]
struct Row {
    line: usize,
    anchor: Option<String>,
    id: String,
}

/// The rows of the first table after `## Rules` (header and separator
/// skipped). No marker comments: `kwctl inspect` prints HTML comments as
/// they are.
fn table_rows(readme: &str) -> Vec<Row> {
    let lines: Vec<&str> = readme.lines().collect();
    let heading = lines
        .iter()
        .position(|l| l.trim_end() == RULES_HEADING)
        .expect("README.md has no '## Rules' heading");
    let begin = heading
        + lines[heading..]
            .iter()
            .position(|l| l.starts_with('|'))
            .expect("README.md has no table after '## Rules'");
    let end = begin
        + lines[begin..]
            .iter()
            .position(|l| !l.starts_with('|'))
            .unwrap_or(lines.len() - begin);
    let mut rows = Vec::new();
    let mut seen_header = false;
    for (i, line) in lines.iter().enumerate().take(end).skip(begin) {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        if !seen_header {
            seen_header = true; // the header row
            continue;
        }
        if line.trim_start_matches('|').trim_start().starts_with("---") {
            continue;
        }
        let first = line
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim();
        let (anchor, rest) = split_anchor(first);
        rows.push(Row {
            line: i + 1,
            anchor,
            id: shown_id(rest),
        });
    }
    rows
}

/// `[M1](#m1-no-insecureskipverify)` -> (Some("m1-no-insecureskipverify"),
/// the cell): the section the row links to. No raw HTML anchors: `kwctl
/// inspect` prints them as they are.
fn split_anchor(cell: &str) -> (Option<String>, &str) {
    let anchor = cell
        .split_once("](#")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(target, _)| target.to_string());
    (anchor, cell)
}

/// The anchor GitHub (and kwctl's renderer) gives a heading: lower case,
/// punctuation but `-` dropped, spaces as `-`.
fn heading_anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The id a cell shows: `[M1](#link)`, `` `M1` `` or `M1`.
fn shown_id(cell: &str) -> String {
    let cell = cell.trim();
    let text = match cell.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => cell,
    };
    text.trim_matches('`').trim().to_string()
}

#[test]
fn readme_rule_table_lists_every_rule_once_in_order() {
    let rows = table_rows(&readme());
    let shown: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for row in &rows {
        assert!(
            Rule::from_id(&row.id).is_some(),
            "README.md line {}: the rule table lists {:?}, which is not an id of Rule::ALL",
            row.line,
            row.id
        );
    }
    for &rule in Rule::ALL {
        let count = shown.iter().filter(|id| **id == rule.id()).count();
        assert_eq!(
            count,
            1,
            "the README's rule table lists {} {count} times (expected once)",
            rule.id()
        );
    }
    let expected: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(
        shown, expected,
        "the rule table follows the order of Rule::ALL"
    );
}

#[test]
fn readme_rule_table_anchors_are_rule_anchors() {
    for row in table_rows(&readme()) {
        let Some(rule) = Rule::from_id(&row.id) else {
            continue; // reported by the test above
        };
        assert_eq!(
            row.anchor.as_deref(),
            Some(rule.anchor()),
            "README.md line {}: the row of {} links to ({}), not to #{}",
            row.line,
            rule.id(),
            row.anchor.as_deref().unwrap_or("nothing"),
            rule.anchor()
        );
    }
    // Every anchor is a heading's, and the table has no raw HTML.
    let readme = readme();
    let headings: BTreeSet<String> = readme
        .lines()
        .filter(|l| l.starts_with('#') && l.trim_start_matches('#').starts_with(' '))
        .map(heading_anchor)
        .collect();
    for rule in Rule::ALL {
        assert!(
            headings.contains(rule.anchor()),
            "no README heading has the anchor #{} of {}",
            rule.anchor(),
            rule.id()
        );
    }
    assert!(
        !readme.contains("<a id="),
        "README.md has a raw HTML anchor (kwctl inspect prints it as it is)"
    );
    assert!(
        !readme.contains("<!--"),
        "README.md has an HTML comment (kwctl inspect prints it as it is)"
    );
}

/// `[ID]` at the end of a line (a violation) or at its start (a warning);
/// markdown links (`[M1](#...)`) and YAML lists are not tags.
fn tags(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let line = line.trim();
    let is_tag = |s: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if let Some(body) = line.strip_suffix(']') {
        if let Some(open) = body.rfind('[') {
            if is_tag(&body[open + 1..])
                && body[..open].ends_with(' ')
                && !body[..open].trim_end().ends_with(':')
            {
                found.push(&body[open + 1..]);
            }
        }
    }
    let start = line.strip_prefix("- ").unwrap_or(line);
    if let Some(rest) = start.strip_prefix('[') {
        if let Some(close) = rest.find(']') {
            if is_tag(&rest[..close]) && rest[close + 1..].starts_with(' ') {
                found.push(&rest[..close]);
            }
        }
    }
    found
}

#[test]
fn readme_messages_carry_only_catalogue_ids() {
    let readme = readme();
    let mut in_code = false;
    let mut unknown = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        for tag in tags(line) {
            if Rule::from_id(tag).is_none() {
                unknown.push(format!("line {}: [{tag}]", i + 1));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "README.md shows ids that are not in Rule::ALL: {unknown:?}"
    );
}

#[test]
fn tag_reader_finds_violation_and_warning_ids_only() {
    assert_eq!(tags("spec.x: Forbidden: no [M1]"), vec!["M1"]);
    assert_eq!(tags("- spec.x: Invalid type: y [type]"), vec!["type"]);
    assert_eq!(tags("[X3] spec.template: injected ..."), vec!["X3"]);
    assert_eq!(tags("[W-serverName] spec.x: warned"), vec!["W-serverName"]);
    assert!(tags("args: [\"--once\", \"--x=0\"]").is_empty());
    assert!(tags("| [M1](#rule-m1) | x |").is_empty());
    assert!(tags("usages: [server auth]").is_empty());
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source text of `src/` that ships: `src/rule.rs`, test files
/// (`tests.rs`, `*_tests.rs`, `testing.rs`) and everything from a file's first
/// `#[cfg(test)]` on are left out.
fn shipped_source() -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut text = String::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let rel = file.strip_prefix(&src).unwrap_or(&file);
        if rel == Path::new("rule.rs")
            || name == "tests.rs"
            || name == "testing.rs"
            || name.ends_with("_tests.rs")
        {
            continue;
        }
        let body = std::fs::read_to_string(&file).expect("a source file");
        let shipped = &body[..inline_tests_start(&body)];
        text.push_str(shipped);
        text.push('\n');
    }
    text
}

/// Where a file's inline test module starts (`#[cfg(test)]` followed by
/// `mod NAME {`), or its end; a `#[cfg(test)] mod tests;` declaration of a
/// test file beside it is not the start of anything.
fn inline_tests_start(body: &str) -> usize {
    let mut from = 0;
    while let Some(found) = body[from..].find("#[cfg(test)]") {
        let at = from + found;
        let rest = body[at + "#[cfg(test)]".len()..].trim_start();
        if let Some(decl) = rest.strip_prefix("mod ") {
            let brace = decl.find('{');
            let semi = decl.find(';');
            if brace.is_some_and(|b| semi.is_none_or(|s| b < s)) {
                return at;
            }
        }
        from = at + 1;
    }
    body.len()
}

#[test]
fn inline_tests_are_cut_declarations_are_not() {
    let file = "a\n#[cfg(test)]\nmod tests;\nb\n#[cfg(test)]\nmod tests {\nc\n}\n";
    assert_eq!(
        &file[..inline_tests_start(file)],
        "a\n#[cfg(test)]\nmod tests;\nb\n"
    );
    assert_eq!(inline_tests_start("x"), 1);
}

/// Whether `Rule::<variant>` occurs as a whole path segment in `text`
/// (`Rule::M1` is not a use of `Rule::M10`, nor the reverse).
fn mentions(text: &str, variant: &str) -> bool {
    let needle = format!("Rule::{variant}");
    text.match_indices(&needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn mentions_matches_whole_variants() {
    assert!(mentions("x(Rule::M1, p)", "M1"));
    assert!(!mentions("x(Rule::M10, p)", "M1"));
    assert!(!mentions("x(Rule::M1, p)", "M10"));
    assert!(!mentions("MyRule::M1", "M1"));
}

#[test]
fn every_rule_is_raised_somewhere_in_src() {
    let source = shipped_source();
    let mut never = Vec::new();
    let mut now_emitted = Vec::new();
    for &rule in Rule::ALL {
        let variant = format!("{rule:?}");
        let used = mentions(&source, &variant);
        match (used, NOT_YET_EMITTED.contains(&rule)) {
            (false, false) => never.push(variant),
            (true, true) => now_emitted.push(variant),
            _ => {}
        }
    }
    assert!(
        never.is_empty(),
        "these rules are in Rule::ALL and the README but nothing in src/ raises them: {never:?}"
    );
    assert!(
        now_emitted.is_empty(),
        "src/ now raises {now_emitted:?}: remove them from NOT_YET_EMITTED in tests/catalogue.rs"
    );
}
