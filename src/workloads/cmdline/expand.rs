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

/// Opens and closes the name of a variable whose value is unknown.
pub(crate) const UNKNOWN_OPEN: char = '\u{E000}';
pub(crate) const UNKNOWN_CLOSE: char = '\u{E001}';
/// Opens and closes the name of a variable that holds the pod's (or node's) IP.
pub(crate) const IP_OPEN: char = '\u{E002}';
pub(crate) const IP_CLOSE: char = '\u{E003}';
use std::borrow::Cow;

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
        self.env_from
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
pub(crate) fn kubelet<'i, 'b, 'c: 'b>(
    input: &'i str,
    lookup: impl Fn(&str) -> Option<&'b Binding<'c>>,
    undefined: Undefined,
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
    /// The names of the unknown variables in the text, in order.
    pub(crate) fn unknown(self) -> Vec<&'t str> {
        self.names(UNKNOWN_OPEN, UNKNOWN_CLOSE)
    }

    /// The names of the pod/host IP variables in the text, in order.
    pub(crate) fn ips(self) -> Vec<&'t str> {
        self.names(IP_OPEN, IP_CLOSE)
    }

    fn names(self, open: char, close: char) -> Vec<&'t str> {
        let mut out = Vec::new();
        if !may_hold_marker(self.0) {
            return out;
        }
        let mut rest = self.0;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let end = after.find(close).unwrap_or(after.len());
            out.push(&after[..end]);
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

    /// The text for messages: markers shown as `$(NAME)`.
    pub(crate) fn shown(self) -> String {
        self.0
            .replace([UNKNOWN_OPEN, IP_OPEN], "$(")
            .replace([UNKNOWN_CLOSE, IP_CLOSE], ")")
    }
}
