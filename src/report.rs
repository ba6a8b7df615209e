//! Violations and warnings: the one shared way every rule reports what it
//! found, and the [`Verdict`] of a review, which `crate::response` answers.
//!
//! Modelled on Kubernetes' `field.ErrorList`: every violation carries the field
//! path in the API server's notation, a type (`Required value`, `Invalid value`,
//! `Forbidden`, ...), what to do about it, and the SPEC rule that raised it.
//! Rules append; nothing stops at the first problem. A warning is a typed
//! [`Warning`] too, written as text only by `crate::warnings`.
//! `crate::response` turns the collected report into one admission response.
//!
//! **Bounded words.** Every violation's detail and every warning passes
//! through [`bounded`] when it is recorded, so every rule gets the same
//! bounds whatever the object holds: a quoted value (`"..."`, as `{:?}`
//! writes it) shows its first [`QUOTE_MAX`] characters and then `...`, a
//! line break reads as a space (one line per violation), a path shows its
//! first [`PATH_MAX`] bytes, and one text is at most [`DETAIL_MAX`] bytes.
//! A response lists at most [`PER_RULE`] violations and warnings per rule.

use crate::rule::Rule;
use std::fmt;

/// The most characters of a quoted value a message shows.
pub(crate) const QUOTE_MAX: usize = 128;
/// The most bytes of a field path a message shows.
pub(crate) const PATH_MAX: usize = 256;
/// The most bytes of one violation's detail or one warning.
pub(crate) const DETAIL_MAX: usize = 2048;

/// The most violations, and the most warnings, of one rule a response lists
/// (in document order; the rest of each rule are counted on one line).
pub(crate) const PER_RULE: usize = 20;

/// Counts one more of `key` in `seen`; its count so far.
pub(crate) fn counted<K: PartialEq>(seen: &mut Vec<(K, usize)>, key: K) -> usize {
    match seen.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            seen.push((key, 1));
            1
        }
    }
}

/// What stands for the part of a value or text left out.
const ELLIPSIS: &str = "...";

/// `text` with every quoted value longer than [`QUOTE_MAX`] characters cut
/// there (`"first characters"...`), line breaks read as spaces, and at most
/// [`DETAIL_MAX`] bytes in all. A text that needs none of it is returned as
/// it is; one scan of its bytes decides.
pub(crate) fn bounded(text: String) -> String {
    if !needs_bounds(text.as_bytes()) {
        return text;
    }
    let mut out = String::with_capacity(text.len().min(DETAIL_MAX + ELLIPSIS.len()));
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['"', '\n', '\r']) {
        out.push_str(&rest[..open]);
        if rest.as_bytes()[open] != b'"' {
            out.push(' ');
            rest = &rest[open + 1..];
        } else {
            let inner = &rest[open + 1..];
            match closing_quote(inner.as_bytes()) {
                Some(close) => {
                    out.push('"');
                    push_quote_prefix(&mut out, &inner[..close]);
                    rest = &inner[close + 1..];
                }
                // Not a quoted value: kept as it is.
                None => {
                    out.push('"');
                    rest = inner;
                }
            }
        }
        if out.len() > DETAIL_MAX {
            break;
        }
    }
    let room = rest.floor_char_boundary((DETAIL_MAX + 1).saturating_sub(out.len()));
    out.push_str(&rest[..room]);
    let long = room < rest.len() || out.len() > DETAIL_MAX;
    cut(&mut out, DETAIL_MAX, room < rest.len());
    if long {
        keep_last_clause(&mut out, &text);
    }
    out
}

/// The longest last clause kept after a cut.
const LAST_CLAUSE_KEPT: usize = 256;

/// A text cut at [`DETAIL_MAX`] keeps its last clause (after its last
/// `; `), where what to do is said, when it is short and one line: the cut
/// moves before it.
fn keep_last_clause(out: &mut String, text: &str) {
    let Some(k) = text.rfind("; ") else { return };
    let last = &text[k + 2..];
    if last.is_empty()
        || last.len() > LAST_CLAUSE_KEPT
        || last.contains(['\n', '\r'])
        || out.ends_with(last)
    {
        return;
    }
    let keep = DETAIL_MAX.saturating_sub(last.len() + ELLIPSIS.len() + 2);
    let keep = out.floor_char_boundary(keep.min(out.len()));
    out.truncate(keep);
    out.push_str(ELLIPSIS);
    out.push_str("; ");
    out.push_str(last);
}

/// Whether `text` is too long, breaks a line, or quotes a value longer than
/// [`QUOTE_MAX`] bytes: searches eight bytes at a time, from quote to quote.
fn needs_bounds(text: &[u8]) -> bool {
    use crate::bytes::find;
    if text.len() > DETAIL_MAX || find(text, b'\n').is_some() || find(text, b'\r').is_some() {
        return true;
    }
    let mut at = 0;
    while let Some(open) = find(&text[at..], b'"') {
        let inner = at + open + 1;
        match closing_quote(&text[inner..]) {
            Some(close) if close > QUOTE_MAX => return true,
            Some(close) => at = inner + close + 1,
            // No quote closes it: nothing is quoted after.
            None => return false,
        }
    }
    false
}

/// Whether the byte at `i` follows an odd number of backslashes.
fn escaped(text: &[u8], i: usize) -> bool {
    text[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The index of the `"` that closes a quoted value starting at `inner`.
fn closing_quote(inner: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = crate::bytes::find(&inner[from..], b'"') {
        if !escaped(inner, from + k) {
            return Some(from + k);
        }
        from += k + 1;
    }
    None
}

/// Appends a quoted value's inside and its closing quote: its first
/// [`QUOTE_MAX`] characters (an escape such as `\"` or `\u{e000}` counts as
/// one and is never split) and `"...` when there is more.
fn push_quote_prefix(out: &mut String, inner: &str) {
    let mut chars = inner.char_indices();
    let mut shown = 0;
    while let Some((i, c)) = chars.next() {
        if shown == QUOTE_MAX {
            push_line(out, &inner[..i]);
            out.push('"');
            out.push_str(ELLIPSIS);
            return;
        }
        if c == '\\' {
            if let Some((_, 'u')) = chars.next() {
                for (_, c) in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
        }
        shown += 1;
    }
    push_line(out, inner);
    out.push('"');
}

/// Appends `text` with its line breaks read as spaces.
fn push_line(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['\n', '\r']) {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// Cuts `text` to at most `max` bytes (at a character boundary), ending it
/// with `...` when something was left out (`more`: before it was handed here).
pub(crate) fn cut(text: &mut String, max: usize, more: bool) {
    if text.len() <= max && !more {
        return;
    }
    let mut at = max - ELLIPSIS.len();
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push_str(ELLIPSIS);
}

/// Appends `{:?}` of `s` to `out` (a quoted name in a message), without the
/// formatter for the usual plain name.
pub(crate) fn push_quoted(out: &mut String, s: &str) {
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{s:?}");
    }
}

/// A field path such as `spec.endpoints[2].tlsConfig.keySecret`.
///
/// Every [`Obj`](crate::view::Obj) and [`List`](crate::view::List) carries
/// one, so a path is built for each field the rules read, and almost none of
/// them is ever shown. Paths up to [`INLINE`] bytes (nearly all) live in the
/// value itself: building one copies a few bytes and allocates nothing; longer
/// paths spill to the heap.
#[derive(Clone)]
#[repr(align(8))]
pub(crate) struct FieldPath(Repr);

/// The longest path kept inline.
pub(crate) const INLINE: usize = 54;

// Sizes for WebAssembly (4-byte pointers): a path is most of a view
// (`crate::view`), whose own size is asserted there.
#[cfg(target_arch = "wasm32")]
const _: () = assert!(std::mem::size_of::<FieldPath>() == 56);

#[derive(Clone)]
enum Repr {
    /// Always whole `&str`s and ASCII digits, so always valid UTF-8.
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(String),
}

impl FieldPath {
    /// The root of an object: children of the root have no leading dot.
    pub(crate) fn root() -> Self {
        FieldPath(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// The concatenation of `parts`, each the bytes of a `str`.
    #[cfg(test)]
    fn joined(parts: &[&[u8]]) -> Self {
        Self::root().extended(parts)
    }

    /// This path followed by `parts`, each the bytes of a `str`. An inline
    /// path is extended in a copy of its whole buffer (a copy of fixed size,
    /// made with a few stores), so only the new parts are copied by length.
    fn extended(&self, parts: &[&[u8]]) -> Self {
        let added: usize = parts.iter().map(|p| p.len()).sum();
        if let Repr::Inline { len, buf } = &self.0 {
            let mut at = usize::from(*len);
            if at + added <= INLINE {
                let mut buf = *buf;
                for p in parts {
                    crate::bytes::copy_into(&mut buf[at..], p);
                    at += p.len();
                }
                return FieldPath(Repr::Inline { len: at as u8, buf });
            }
        }
        let mut bytes = Vec::with_capacity(self.bytes().len() + added);
        bytes.extend_from_slice(self.bytes());
        for p in parts {
            bytes.extend_from_slice(p);
        }
        FieldPath(Repr::Heap(String::from_utf8(bytes).unwrap_or_else(|e| {
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        })))
    }

    fn bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// `spec` -> `spec.endpoints`
    pub(crate) fn child(&self, name: &str) -> Self {
        match self.bytes() {
            [] => self.extended(&[name.as_bytes()]),
            _ => self.extended(&[b".", name.as_bytes()]),
        }
    }

    /// `spec.endpoints` -> `spec.endpoints[2]`
    pub(crate) fn index(&self, i: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = i;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.extended(&[b"[", &digits[at..], b"]"])
    }

    /// `metadata.annotations` -> `metadata.annotations[secure-metrics/container]`
    pub(crate) fn key(&self, key: &str) -> Self {
        self.extended(&[b"[", key.as_bytes(), b"]"])
    }

    pub(crate) fn as_str(&self) -> &str {
        match &self.0 {
            // Built from whole `str`s only: the check cannot fail.
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// Orders paths as they appear in the document: `a[2]` before `a[10]`,
    /// a parent before its children.
    pub(crate) fn document_order(&self, other: &FieldPath) -> std::cmp::Ordering {
        let (a, b) = (self.bytes(), other.bytes());
        // Paths of one list share a long prefix (`spec.endpoints[`): skip
        // what the two have in common, back to the start of the number it
        // may end in (`[12` against `[13`), and compare from there. A sort
        // of 40,000 violations spent a quarter of its request here.
        let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let from = a[..common]
            .iter()
            .rposition(|c| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        let (mut a, mut b) = (&a[from..], &b[from..]);
        loop {
            match (a.first(), b.first()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                    let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
                    let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                    // Compare numbers by length first, then digit by digit.
                    let ord = na.cmp(&nb).then_with(|| a[..na].cmp(&b[..nb]));
                    if ord != std::cmp::Ordering::Equal {
                        return ord;
                    }
                    a = &a[na..];
                    b = &b[nb..];
                }
                (Some(x), Some(y)) => {
                    if x != y {
                        return x.cmp(y);
                    }
                    a = &a[1..];
                    b = &b[1..];
                }
            }
        }
    }
}

impl Default for FieldPath {
    fn default() -> Self {
        Self::root()
    }
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for FieldPath {}

impl std::hash::Hash for FieldPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl fmt::Debug for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FieldPath").field(&self.as_str()).finish()
    }
}

/// For messages: at most [`PATH_MAX`] bytes (a map key may be long).
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.as_str();
        if path.is_empty() {
            f.write_str("<object>")
        } else if path.len() <= PATH_MAX {
            f.write_str(path)
        } else {
            f.write_str(&path[..path.floor_char_boundary(PATH_MAX)])?;
            f.write_str(ELLIPSIS)
        }
    }
}

/// The kind of a violation, rendered like `field.ErrorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorType {
    /// A field that must be set is missing.
    Required,
    /// A value is present but not acceptable.
    Invalid,
    /// A value is well-formed but not allowed by policy.
    Forbidden,
    /// A value has the wrong JSON type.
    TypeInvalid,
    /// Two fields that exclude each other are both set.
    Conflict,
}

impl ErrorType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid => "Invalid value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TypeInvalid => "Invalid type",
            ErrorType::Conflict => "Conflicting fields",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The SPEC rule that raised it.
    pub rule: Rule,
    pub path: FieldPath,
    pub kind: ErrorType,
    /// What is wrong and what to do about it.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {} [{}]",
            self.path,
            self.kind.as_str(),
            self.detail,
            self.rule
        )
    }
}

/// What the response tells besides its verdict (SPEC 13): a finding of
/// `rule` at `path`, or a violation an exception turned into a warning.
/// `crate::warnings` is the one place that renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Warning {
    pub rule: Rule,
    pub path: FieldPath,
    /// What to know (bounded as a violation's detail is).
    pub detail: String,
    /// For an excepted violation (SPEC 11), the exception's reason and the
    /// violation's type.
    pub excepted: Option<Excepted>,
}

/// Why a violation is a warning: the reason of the exception that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Excepted {
    pub reason: String,
    pub kind: ErrorType,
}

/// A violation's detail: its text, or a closure that writes it, called
/// only when an answer can list the violation ([`Report::for_answer`]).
pub(crate) trait Detail {
    fn text(self) -> String;
}

impl Detail for String {
    fn text(self) -> String {
        self
    }
}

impl Detail for &str {
    fn text(self) -> String {
        self.to_string()
    }
}

impl Detail for &String {
    fn text(self) -> String {
        self.clone()
    }
}

impl<F: FnOnce() -> String> Detail for F {
    fn text(self) -> String {
        self()
    }
}

/// Everything the rules found in one object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub violations: Vec<Violation>,
    pub warnings: Vec<Warning>,
    /// For the report an answer is made of: what it may still list.
    listable: Option<Listable>,
}

/// What an answer may still list, as the violations and warnings come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Listable {
    /// Per rule, the paths of the (at most [`PER_RULE`]) first violations
    /// in document order so far. A violation after all of them is never
    /// listed ([`listed_first`] picks the same ones), so its detail is
    /// neither written nor kept.
    violations: Vec<(Rule, Vec<FieldPath>)>,
    /// Per rule, the warnings recorded so far: the answer lists the first
    /// [`PER_RULE`] of each rule in their order (`crate::warnings`), so the
    /// detail of a later one is neither written nor kept.
    warnings: Vec<(Rule, usize)>,
}

impl Report {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The report of a review, whose answer lists at most [`PER_RULE`]
    /// violations of each rule: the details of the others are not written
    /// (20,000 insecure endpoints wrote 16 MB of messages nobody read).
    pub(crate) fn for_answer() -> Self {
        Report {
            listable: Some(Listable::default()),
            ..Self::default()
        }
    }

    /// Whether an answer may list a violation of `rule` at `path`, recorded
    /// after those so far.
    fn may_list(&mut self, rule: Rule, path: &FieldPath) -> bool {
        let Some(listable) = &mut self.listable else {
            return true;
        };
        // Equal paths: the one recorded first comes first.
        keep_first(
            of_rule(&mut listable.violations, rule),
            path,
            |new, kept| new.document_order(kept).is_lt(),
            FieldPath::clone,
        )
    }

    pub(crate) fn push(
        &mut self,
        rule: Rule,
        path: FieldPath,
        kind: ErrorType,
        detail: impl Detail,
    ) {
        let detail = match self.may_list(rule, &path) {
            true => bounded(detail.text()),
            false => String::new(),
        };
        self.violations.push(Violation {
            rule,
            path,
            kind,
            detail,
        });
    }

    pub(crate) fn required(&mut self, rule: Rule, path: FieldPath, detail: impl Detail) {
        self.push(rule, path, ErrorType::Required, detail);
    }

    pub(crate) fn invalid(&mut self, rule: Rule, path: FieldPath, detail: impl Detail) {
        self.push(rule, path, ErrorType::Invalid, detail);
    }

    pub(crate) fn forbidden(&mut self, rule: Rule, path: FieldPath, detail: impl Detail) {
        self.push(rule, path, ErrorType::Forbidden, detail);
    }

    pub(crate) fn conflict(&mut self, rule: Rule, path: FieldPath, detail: impl Detail) {
        self.push(rule, path, ErrorType::Conflict, detail);
    }

    /// A field of the wrong JSON type. `expected` reads like "string" or
    /// "list of objects"; `found` is the JSON type actually received.
    pub(crate) fn type_invalid(
        &mut self,
        path: FieldPath,
        expected: &str,
        found: &serde_json::Value,
    ) {
        self.type_invalid_for(Rule::Type, path, expected, found);
    }

    /// A value of the wrong JSON type, under `rule` (`settings` for the
    /// policy's own settings).
    pub(crate) fn type_invalid_for(
        &mut self,
        rule: Rule,
        path: FieldPath,
        expected: &str,
        found: &serde_json::Value,
    ) {
        self.push(
            rule,
            path,
            ErrorType::TypeInvalid,
            format!("expected {expected}, got {}", json_type(found)),
        );
    }

    /// A warning returned with the response (accepted or not), for `rule`
    /// at `path`; `crate::warnings` renders it (SPEC 13: `[X3] spec...: ...`).
    pub(crate) fn warn(&mut self, rule: Rule, path: &FieldPath, detail: impl Detail) {
        let listed = match &mut self.listable {
            None => true,
            Some(l) => counted(&mut l.warnings, rule) <= PER_RULE,
        };
        let detail = match listed {
            true => bounded(detail.text()),
            false => String::new(),
        };
        self.warnings.push(Warning {
            rule,
            path: path.clone(),
            detail,
            excepted: None,
        });
    }

    pub(crate) fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Whether a violation of `rule` is present (for tests).
    #[cfg(test)]
    pub(crate) fn has_rule(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// Puts the violations in document order (stable for equal paths), as
    /// a reader meets them in the manifest (for tests; an answer sorts only
    /// what it lists, [`listed_first`]).
    #[cfg(test)]
    pub(crate) fn sort(&mut self) {
        self.violations
            .sort_by(|a, b| a.path.document_order(&b.path));
    }
}

/// The outcome of one review: what was found, and the mutated object when
/// the policy repaired the request.
#[derive(Debug)]
pub(crate) struct Verdict {
    /// `Kind namespace/name`, the subject of the rejection message; built
    /// only when there is something to reject (empty otherwise: every
    /// request pays for it, and a plain ConfigMap must stay near the
    /// parse-only baseline).
    pub subject: String,
    pub report: Report,
    pub mutated: Option<serde_json::Value>,
}

impl Verdict {
    pub(crate) fn untouched(subject: String) -> Verdict {
        Verdict {
            subject,
            report: Report::new(),
            mutated: None,
        }
    }
}

/// Moves to the front what an answer lists: the first [`PER_RULE`]
/// violations of each rule in document order (stable for equal paths), in
/// that order; the rest follow as they were recorded. Returns the length of
/// the front.
///
/// Only the front is sorted. Each violation is compared with the last one
/// its rule keeps so far, so a list walked in document order costs one
/// comparison a violation: sorting all 40,000 violations of a 3 MiB
/// ServiceMonitor took a quarter of its review.
pub(crate) fn listed_first(violations: &mut Vec<Violation>) -> usize {
    let before = |i: usize, j: usize| {
        violations[i]
            .path
            .document_order(&violations[j].path)
            .then(i.cmp(&j))
    };
    // Per rule, the indices it keeps, in document order.
    let mut kept: Vec<(Rule, Vec<usize>)> = Vec::new();
    for (i, v) in violations.iter().enumerate() {
        keep_first(
            of_rule(&mut kept, v.rule),
            &i,
            |&new, &k| before(new, k).is_lt(),
            |&i| i,
        );
    }
    // At most PER_RULE for each rule: sorted by insertion (no sort of its
    // own in `policy.wasm`).
    let mut front: Vec<usize> = Vec::new();
    for i in kept.into_iter().flat_map(|(_, list)| list) {
        let at = front.partition_point(|&j| before(j, i).is_lt());
        front.insert(at, i);
    }
    let mut slots: Vec<Option<Violation>> =
        std::mem::take(violations).into_iter().map(Some).collect();
    violations.extend(front.iter().filter_map(|&i| slots[i].take()));
    violations.extend(slots.into_iter().flatten());
    front.len()
}

/// The list of `rule` in `per_rule`, empty the first time.
fn of_rule<T>(per_rule: &mut Vec<(Rule, Vec<T>)>, rule: Rule) -> &mut Vec<T> {
    let k = match per_rule.iter().position(|(r, _)| *r == rule) {
        Some(k) => k,
        None => {
            per_rule.push((rule, Vec::with_capacity(PER_RULE)));
            per_rule.len() - 1
        }
    };
    &mut per_rule[k].1
}

/// Keeps (a copy of) `new` in `kept`, the first [`PER_RULE`] so far in the
/// order `before` (`before(a, b)`: `a` comes strictly first; a tie goes to
/// the one kept earlier). False when `new` comes after all of them.
fn keep_first<T>(
    kept: &mut Vec<T>,
    new: &T,
    before: impl Fn(&T, &T) -> bool,
    copy: impl Fn(&T) -> T,
) -> bool {
    if kept.len() == PER_RULE && kept.last().is_some_and(|last| !before(new, last)) {
        return false;
    }
    let at = kept.partition_point(|k| !before(new, k));
    kept.insert(at, copy(new));
    kept.truncate(PER_RULE);
    true
}

/// The JSON type name of a value, for type errors.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_quoted_is_the_debug_form_of_a_string() {
        for s in [
            "metrics-certs",
            "",
            "a b",
            "quo\"te",
            "back\\slash",
            "tab\t",
            "ünï",
            "\u{7f}",
            "\u{e000}",
        ] {
            let mut out = String::new();
            push_quoted(&mut out, s);
            assert_eq!(out, format!("{s:?}"), "{s}");
        }
    }

    #[test]
    fn bounds_quoted_values_are_cut_after_quote_max_characters() {
        let long = "a".repeat(QUOTE_MAX + 1);
        let at = "b".repeat(QUOTE_MAX);
        let detail = format!(
            "{long:?} is not a listen address; use {:?} or \"0\"",
            ":8443"
        );
        assert_eq!(
            bounded(detail),
            format!(
                "\"{}\"... is not a listen address; use \":8443\" or \"0\"",
                &long[..QUOTE_MAX]
            )
        );
        // At the bound, nothing is cut (and nothing is copied).
        let detail = format!("name {at:?} ok");
        let before = detail.as_ptr();
        let after = bounded(detail);
        assert_eq!(after, format!("name {at:?} ok"));
        assert_eq!(after.as_ptr(), before);
        // An escape counts as one character and is never split.
        let escaped = format!("{}\u{e000}\"x", "c".repeat(QUOTE_MAX - 1));
        let shown = bounded(format!("{escaped:?}"));
        assert_eq!(
            shown,
            format!("\"{}\\u{{e000}}\"...", "c".repeat(QUOTE_MAX - 1))
        );
        let quotes = "\"".repeat(QUOTE_MAX + 5);
        let shown = bounded(format!("v {quotes:?} end"));
        assert_eq!(shown, format!("v \"{}\"... end", "\\\"".repeat(QUOTE_MAX)));
        // An unbalanced quote is not a quoted value: kept.
        let odd = format!("say \"{}", "d".repeat(300));
        assert_eq!(bounded(odd.clone()), odd);
    }

    #[test]
    fn bounds_one_line_and_detail_max_bytes() {
        assert_eq!(bounded("a\nb\r\nc".into()), "a b  c");
        // A line break inside a quoted run too (found by the property).
        assert_eq!(bounded("\"\"\"\r\"".into()), "\"\"\" \"");
        let huge = format!(
            "--metrics-bind-address={} is exposed",
            "ü".repeat(DETAIL_MAX)
        );
        let shown = bounded(huge);
        assert!(shown.len() <= DETAIL_MAX, "{}", shown.len());
        assert!(shown.starts_with("--metrics-bind-address=üü"));
        assert!(shown.ends_with("ü..."), "{}", &shown[shown.len() - 10..]);
        // A report bounds every detail and warning it records.
        let mut r = Report::new();
        let path = FieldPath::root().child(&"k".repeat(PATH_MAX + 10));
        r.invalid(
            Rule::W4,
            path.clone(),
            format!("{:?} is bad", "v".repeat(10_000)),
        );
        r.warn(Rule::X3, &path, "x".repeat(10_000));
        let line = r.violations[0].to_string();
        assert_eq!(
            line,
            format!(
                "{}...: Invalid value: \"{}\"... is bad [W4]",
                "k".repeat(PATH_MAX),
                "v".repeat(QUOTE_MAX)
            )
        );
        let w = &r.warnings[0];
        assert!(w.detail.len() <= DETAIL_MAX);
        assert_eq!((w.rule, &w.path), (Rule::X3, &path));
        assert!(w.detail.starts_with("xxx") && w.detail.ends_with("x..."));
    }

    proptest::proptest! {
        // No seed files: a case that once failed is a fixed case below.
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Any text: one line, at most DETAIL_MAX bytes; a value quoted
        /// with `{:?}` shows at most QUOTE_MAX characters of it, and a
        /// text that needs no bound is kept.
        #[test]
        fn bounds_hold_for_any_text(
            text in "[a\"\\\\\n\r\u{e000}ü ]{0,3000}",
            value in "[a\"\\\\\n\u{e000}ü]{0,400}",
        ) {
            let shown = bounded(text.clone());
            proptest::prop_assert!(shown.len() <= DETAIL_MAX);
            proptest::prop_assert!(!shown.contains(['\n', '\r']));
            if !needs_bounds(text.as_bytes()) {
                proptest::prop_assert_eq!(&shown, &text);
            }
            let quoted = format!("{value:?}");
            let shown = bounded(format!("value {quoted} is bad"));
            let kept = if value.chars().count() <= QUOTE_MAX {
                format!("value {quoted} is bad")
            } else {
                let prefix: String = value.chars().take(QUOTE_MAX).collect();
                let debug = format!("{prefix:?}");
                format!("value {debug}... is bad")
            };
            proptest::prop_assert_eq!(shown, kept);
        }
    }

    #[test]
    fn paths_render_in_api_server_notation() {
        let p = FieldPath::root()
            .child("spec")
            .child("endpoints")
            .index(2)
            .child("tlsConfig")
            .child("keySecret");
        assert_eq!(p.as_str(), "spec.endpoints[2].tlsConfig.keySecret");
        let a = FieldPath::root()
            .child("metadata")
            .child("annotations")
            .key("secure-metrics/container");
        assert_eq!(a.as_str(), "metadata.annotations[secure-metrics/container]");
        assert_eq!(FieldPath::root().to_string(), "<object>");
        assert_eq!(FieldPath::default(), FieldPath::root());
        assert_eq!(
            format!("{a:?}"),
            "FieldPath(\"metadata.annotations[secure-metrics/container]\")"
        );
    }

    #[test]
    fn long_paths_spill_to_the_heap_and_compare_by_text() {
        let inline = FieldPath::root().child(&"a".repeat(INLINE));
        assert!(matches!(inline.0, Repr::Inline { .. }));
        let long = inline.index(12_345).key("ü/x").child("y");
        assert!(matches!(long.0, Repr::Heap(_)));
        let expected = format!("{}[12345][ü/x].y", "a".repeat(INLINE));
        assert_eq!(long.as_str(), expected);
        assert_eq!(long, FieldPath::joined(&[expected.as_bytes()]));
        assert_ne!(long, inline);
        assert_eq!(FieldPath::root().index(0).as_str(), "[0]");
        assert_eq!(
            FieldPath::root().child("l").index(usize::MAX).as_str(),
            format!("l[{}]", usize::MAX)
        );
        use std::collections::HashSet;
        let set: HashSet<FieldPath> = [long.clone(), long, inline].into_iter().collect();
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn document_order_is_numeric_and_parents_first() {
        let mut paths: Vec<FieldPath> = ["a[10].x", "a[2].y", "a[2]", "a[1]", "b", "a[2].b"]
            .iter()
            .map(|s| FieldPath::joined(&[s.as_bytes()]))
            .collect();
        paths.sort_by(|a, b| a.document_order(b));
        let got: Vec<&str> = paths.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            got,
            vec!["a[1]", "a[2]", "a[2].b", "a[2].y", "a[10].x", "b"]
        );
    }

    /// The order walked from the first byte, as it was before the common
    /// prefix was skipped.
    fn order_from_the_start(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
        let (mut a, mut b) = (a, b);
        loop {
            match (a.first(), b.first()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                    let na = a.iter().take_while(|c| c.is_ascii_digit()).count();
                    let nb = b.iter().take_while(|c| c.is_ascii_digit()).count();
                    let ord = na.cmp(&nb).then_with(|| a[..na].cmp(&b[..nb]));
                    if ord != std::cmp::Ordering::Equal {
                        return ord;
                    }
                    (a, b) = (&a[na..], &b[nb..]);
                }
                (Some(x), Some(y)) if x != y => return x.cmp(y),
                _ => (a, b) = (&a[1..], &b[1..]),
            }
        }
    }

    proptest::proptest! {
        /// Skipping the common prefix changes no order.
        #[test]
        fn document_order_skips_the_common_prefix_faithfully(
            a in "[a.\\[\\]0-9]{0,12}",
            keep in 0usize..13,
            tail in "[a.\\[\\]0-9]{0,6}",
        ) {
            // `b` shares a prefix with `a`, cut anywhere, digits included.
            let b = format!("{}{tail}", &a[..keep.min(a.len())]);
            let (pa, pb) = (FieldPath::joined(&[a.as_bytes()]), FieldPath::joined(&[b.as_bytes()]));
            proptest::prop_assert_eq!(
                pa.document_order(&pb),
                order_from_the_start(a.as_bytes(), b.as_bytes()),
                "{} against {}", a, b
            );
        }
    }

    proptest::proptest! {
        /// The front is what sorting every violation and taking the first
        /// PER_RULE of each rule gives, in the same order; nothing is lost.
        #[test]
        fn listed_first_is_the_front_of_the_full_sort(
            found in proptest::collection::vec((0usize..3, 0usize..40, 0usize..3), 0..120),
        ) {
            let rules = [Rule::M1, Rule::M5, Rule::W3];
            let fields = ["tlsConfig", "bearerTokenFile", "port"];
            let mut report = Report::new();
            for (n, &(r, i, f)) in found.iter().enumerate() {
                let path = FieldPath::root().child("spec").child("endpoints").index(i).child(fields[f]);
                report.forbidden(rules[r], path, format!("{n}"));
            }
            let mut sorted = report.clone();
            sorted.sort();
            let mut seen = Vec::new();
            let want: Vec<Violation> = sorted
                .violations
                .into_iter()
                .filter(|v| counted(&mut seen, v.rule) <= PER_RULE)
                .collect();
            let mut got = report.violations.clone();
            let front = listed_first(&mut got);
            proptest::prop_assert_eq!(&got[..front], &want[..]);
            proptest::prop_assert_eq!(got.len(), report.violations.len());
        }
    }

    /// An answer's report writes the detail of a violation only while it
    /// may be listed, in whatever order the violations come; what the
    /// answer lists always has its detail.
    #[test]
    fn an_answer_writes_only_the_details_it_can_list() {
        let at = |i: usize| FieldPath::root().child("spec").child("endpoints").index(i);
        for order in [
            (0..60).collect::<Vec<_>>(),
            (0..60).rev().collect(),
            (0..60).map(|i| (i * 37) % 60).collect(),
        ] {
            let written = std::cell::Cell::new(0);
            let mut r = Report::for_answer();
            for &i in &order {
                r.forbidden(Rule::M1, at(i), || {
                    written.set(written.get() + 1);
                    format!("endpoint {i}")
                });
                r.forbidden(
                    Rule::M5,
                    at(i).child("bearerTokenFile"),
                    format!("token {i}"),
                );
            }
            let mut violations = r.violations.clone();
            let front = listed_first(&mut violations);
            assert_eq!(front, 2 * PER_RULE);
            for v in &violations[..front] {
                assert!(!v.detail.is_empty(), "{v:?}");
            }
            let paths: Vec<&str> = violations[..front]
                .iter()
                .filter(|v| v.rule == Rule::M1)
                .map(|v| v.path.as_str())
                .collect();
            assert_eq!(paths[0], "spec.endpoints[0]");
            assert_eq!(paths[PER_RULE - 1], "spec.endpoints[19]");
            // In document order, only the first PER_RULE are written.
            if order[1] == 1 {
                assert_eq!(written.get(), PER_RULE);
            }
            // Backwards, each violation comes before all the others so far.
            let unwritten = r.violations.iter().filter(|v| v.detail.is_empty()).count();
            assert_eq!(unwritten == 0, order[0] == 59, "{order:?}");
        }
        // Warnings: the first PER_RULE of each rule are written, and the
        // answer's warnings are the same as with every detail written.
        let (mut answer, mut every) = (Report::for_answer(), Report::new());
        for i in 0..60 {
            for r in [&mut answer, &mut every] {
                r.warn(Rule::M1, &at(i), || format!("endpoint {i}"));
                r.warn(Rule::W2, &at(i).child("env"), format!("env {i}"));
            }
        }
        let written = |r: &Report| r.warnings.iter().filter(|w| !w.detail.is_empty()).count();
        assert_eq!((written(&answer), written(&every)), (2 * PER_RULE, 120));
        assert_eq!(
            crate::warnings::shape(answer.warnings),
            crate::warnings::shape(every.warnings)
        );
        // Any other report keeps every detail.
        let mut r = Report::new();
        for i in 0..60 {
            r.forbidden(Rule::M1, at(i), format!("endpoint {i}"));
        }
        assert!(r.violations.iter().all(|v| !v.detail.is_empty()));
    }

    #[test]
    fn violations_render_path_type_detail_and_rule() {
        let mut r = Report::new();
        r.required(
            Rule::M2,
            FieldPath::root().child("spec").child("keySecret"),
            "client key is missing",
        );
        r.type_invalid(FieldPath::root().child("spec"), "object", &json!([]));
        assert_eq!(
            r.violations[0].to_string(),
            "spec.keySecret: Required value: client key is missing [M2]"
        );
        assert_eq!(
            r.violations[1].to_string(),
            "spec: Invalid type: expected object, got list [type]"
        );
        assert!(r.has_rule(Rule::M2));
        assert!(!r.has_rule(Rule::M1));
        assert!(!r.is_clean());
    }
}
