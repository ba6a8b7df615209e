//! Warnings the API server passes on whole.
//!
//! The API server asks admission webhooks to keep each warning under 120
//! characters where possible, truncates a warning over 256 characters and
//! drops warnings once their total passes 4 KiB (`k8s.io/apiserver`'s
//! `warning` package). The rules write a warning as SPEC 13 reads it,
//! `[<rule>] <path>: <what to know>` (an excepted violation:
//! `[<rule>] excepted ("<reason>"): <path>: <type>: <detail>`), with the
//! whole explanation. Here, after the review, the warnings of one response are
//! shaped to those limits:
//!
//! - **Folded**: [`FOLD_FROM`] or more warnings of one rule that differ only
//!   in their path become one warning listing the paths (`spec.endpoints[0,1,2,3].tlsConfig`), at
//!   most [`PATHS_SHOWN`] of them and a count.
//! - **Bounded**: a warning over [`MAX_WARNING`] bytes keeps its rule id, its
//!   path and the first clauses of what it says, and ends with the README
//!   anchor of its rule, where the rest is explained. An exception's quoted
//!   reason is cut at [`REASON_SHOWN`] bytes (the admin wrote it).
//! - **Within the total**: when the warnings would pass [`MAX_TOTAL`] bytes,
//!   the least important are left out (an excepted violation, which would
//!   otherwise reject, first kept; then a repair's account of what it
//!   changed; then the rest), and a last warning says how many and of which
//!   rules.
//!
//! Every warning still starts with `[<rule>]`. The shaping is linear in the
//! size of the warnings.

use crate::rule::Rule;

/// The API server truncates a warning longer than this.
pub(crate) const MAX_WARNING: usize = 256;
/// The API server drops warnings once their total passes this.
pub(crate) const MAX_TOTAL: usize = 4096;
/// Findings of one rule with the same words fold from this many on (two
/// side by side read as well as one folded warning).
const FOLD_FROM: usize = 3;
/// Paths listed in a folded warning before "+N more".
const PATHS_SHOWN: usize = 4;
/// Indices listed in a folded index before "+N".
const INDICES_SHOWN: usize = 8;
/// The longest exception reason quoted.
const REASON_SHOWN: usize = 80;

/// A warning as the rules write it.
#[derive(Debug, PartialEq, Eq)]
struct Parsed<'w> {
    rule: Rule,
    /// `excepted ("<reason>")` for an excepted violation, else empty.
    reason: Option<&'w str>,
    /// The field path, when the warning has one.
    path: Option<&'w str>,
    /// What the warning says after the path.
    text: &'w str,
}

/// Reads `[<rule>] [excepted ("<reason>"): ]<path>: <text>`; `None` for a
/// warning that does not start with a rule id (kept as it is, bounded).
fn parse(w: &str) -> Option<Parsed<'_>> {
    let rest = w.strip_prefix('[')?;
    let close = find_sep(rest, b']')?;
    let rule = Rule::from_id(&rest[..close])?;
    let mut rest = &rest[close + 2..];
    let mut reason = None;
    if let Some(after) = rest.strip_prefix("excepted (") {
        let end = quoted_end(after)?;
        reason = Some(&after[..end]);
        rest = after[end..].strip_prefix("): ")?;
    }
    let (path, text) = match find_sep(rest, b':') {
        Some(at) if is_path(&rest[..at]) => (Some(&rest[..at]), &rest[at + 2..]),
        _ => (None, rest),
    };
    Some(Parsed {
        rule,
        reason,
        path,
        text,
    })
}

/// The length of the Rust-quoted string at the start of `s` (`"..."` with
/// backslash escapes), or `None` when `s` does not start with one.
fn quoted_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A field path in the API server's notation: no spaces, not empty.
fn is_path(s: &str) -> bool {
    !s.is_empty() && !s.contains(' ') && !s.contains('"')
}

/// The largest prefix of `s` of at most `max` bytes that ends on a char
/// boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `text` in at most `max` bytes: whole; or what is wrong (its first
/// clause, up to `; `) and the fix (its last clause), the explanation
/// between them left to the README; or the fix whole after as much of what
/// is wrong as fits, when the fix takes at most two thirds of the room; or
/// as much of it as fits, cut after a clause or a word, followed by `...`.
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    if let (Some(first), Some(last)) = (find_sep(text, b';'), rfind_sep(text, b';')) {
        let (wrong, fix) = (&text[..first], &text[last + 2..]);
        if first < last && wrong.len() + fix.len() + 7 <= max {
            return format!("{wrong}; ...; {fix}");
        }
        if fix.len() <= max * 2 / 3 {
            let mut out = fill(&text[..last], max - fix.len() - 2);
            out.push_str("; ");
            out.push_str(fix);
            return out;
        }
    }
    fill(text, max)
}

/// Where the first `<mark> ` (`; ` or `, ` after a clause, `] ` after the
/// rule id, `: ` after the path) is in `text`.
fn find_sep(text: &str, mark: u8) -> Option<usize> {
    // Not `str::find("; ")`, a general substring search: on a repair's
    // paragraph that cost 15k of the shaping's 29k instructions a request.
    let bytes = text.as_bytes();
    memchr::memchr_iter(mark, bytes).find(|&i| bytes.get(i + 1) == Some(&b' '))
}

/// Where the last `<mark> ` is in `text` (see [`find_sep`]).
fn rfind_sep(text: &str, mark: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memrchr_iter(mark, bytes).find(|&i| bytes.get(i + 1) == Some(&b' '))
}

/// As much of `text` as fits in `max` bytes with `...` after it: up to a
/// clause boundary in the last quarter of the room, else up to a word.
fn fill(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let room = cut(text, max.saturating_sub(3));
    let at = rfind_sep(room, b';')
        .or_else(|| rfind_sep(room, b','))
        .filter(|&i| i >= room.len() * 3 / 4)
        .or_else(|| memchr::memrchr(b' ', room.as_bytes()))
        .unwrap_or(room.len());
    let mut out = room[..at]
        .trim_end_matches([',', ';', '.', ':'])
        .to_string();
    out.push_str("...");
    out
}

/// The paths of a folded warning: the indices of one list when the paths
/// differ only there (`spec.endpoints[0,1,2].tlsConfig`), else the first
/// [`PATHS_SHOWN`] paths and a count.
fn join_paths(paths: &[&str]) -> String {
    if let [one] = paths {
        return one.to_string();
    }
    if let Some(joined) = join_indices(paths) {
        return joined;
    }
    let mut out = paths
        .iter()
        .take(PATHS_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > PATHS_SHOWN {
        out.push_str(&format!(" (+{} more)", paths.len() - PATHS_SHOWN));
    }
    out
}

/// `a[0].b`, `a[1].b` -> `a[0,1].b`, when every path is the same but for
/// the digits of one index.
fn join_indices(paths: &[&str]) -> Option<String> {
    let first = paths[0];
    let open = first.find('[')?;
    let mut prefix_end = open;
    // The index that differs: the last `[` the paths share before they differ.
    let shared = paths.iter().map(|p| common_prefix(first, p)).min()?;
    if let Some(at) = first[..shared].rfind('[') {
        prefix_end = at;
    }
    let prefix = &first[..=prefix_end];
    let close = first[prefix.len()..].find(']')? + prefix.len();
    let suffix = &first[close..];
    let mut indices = Vec::with_capacity(paths.len());
    for p in paths {
        let middle = p.strip_prefix(prefix)?.strip_suffix(suffix)?;
        if middle.is_empty() || !middle.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        indices.push(middle);
    }
    let mut out = String::from(prefix);
    out.push_str(&indices[..indices.len().min(INDICES_SHOWN)].join(","));
    if indices.len() > INDICES_SHOWN {
        out.push_str(&format!(",+{}", indices.len() - INDICES_SHOWN));
    }
    out.push_str(suffix);
    Some(out)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// One warning of at most [`MAX_WARNING`] bytes, written into one buffer of
/// that size.
fn render(rule: Rule, reason: Option<&str>, paths: &[&str], text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(MAX_WARNING);
    let _ = write!(out, "[{}] ", rule.id());
    if let Some(reason) = reason {
        let _ = match reason.len() > REASON_SHOWN {
            true => write!(out, "excepted ({}...\"): ", cut(reason, REASON_SHOWN)),
            false => write!(out, "excepted ({reason}): "),
        };
    }
    if !paths.is_empty() {
        let _ = write!(out, "{}: ", cut(&join_paths(paths), MAX_WARNING / 2));
    }
    if out.len() + text.len() <= MAX_WARNING {
        out.push_str(text);
        return out;
    }
    let see = rule.anchor().len() + " (README#)".len();
    let room = MAX_WARNING.saturating_sub(out.len() + see);
    let _ = write!(out, "{} (README#{})", shorten(text, room), rule.anchor());
    let end = cut(&out, MAX_WARNING).len();
    out.truncate(end);
    out
}

/// How much a warning matters when some must be left out: an excepted
/// violation (it would otherwise reject) first, then an account of what a
/// repair changed in the object, then the rest.
fn rank(p: &Option<Parsed>) -> u8 {
    match p {
        Some(p) if p.reason.is_some() => 0,
        Some(p) if matches!(p.rule, Rule::X1 | Rule::X2 | Rule::X3 | Rule::W5) => 1,
        _ => 2,
    }
}

/// The warnings of one response, folded, bounded and within the total.
pub(crate) fn shape(warnings: Vec<String>) -> Vec<String> {
    if warnings.iter().map(String::len).sum::<usize>() <= MAX_TOTAL
        && warnings.iter().all(|w| w.len() <= MAX_WARNING.min(120))
    {
        // The usual case: nothing to fold that matters, nothing to cut.
        let mut seen = std::collections::BTreeSet::new();
        if warnings.iter().all(|w| {
            parse(w).is_none_or(|p| seen.insert((p.rule, p.reason, p.text)) || p.path.is_none())
        }) {
            return warnings;
        }
    }
    // Group by (rule, reason, text): the paths of one group fold together.
    let parsed: Vec<Option<Parsed>> = warnings.iter().map(|w| parse(w)).collect();
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for (i, p) in parsed.iter().enumerate() {
        match p {
            Some(
                p @ Parsed {
                    path: Some(path), ..
                },
            ) => match index.get(&(p.rule, p.reason, p.text)) {
                Some(&g) => {
                    let (_, paths): &mut (usize, Vec<&str>) = &mut groups[g];
                    paths.push(path);
                }
                None => {
                    index.insert((p.rule, p.reason, p.text), groups.len());
                    groups.push((i, vec![path]));
                }
            },
            _ => groups.push((i, Vec::new())),
        }
    }
    let mut shaped: Vec<(u8, Option<Rule>, String)> = Vec::with_capacity(groups.len());
    for (i, paths) in groups {
        let rank = rank(&parsed[i]);
        match &parsed[i] {
            Some(p) if paths.len() >= FOLD_FROM => {
                shaped.push((rank, Some(p.rule), render(p.rule, p.reason, &paths, p.text)))
            }
            Some(p) if paths.is_empty() => {
                shaped.push((rank, Some(p.rule), render(p.rule, p.reason, &[], p.text)))
            }
            Some(p) => {
                for path in paths {
                    shaped.push((
                        rank,
                        Some(p.rule),
                        render(p.rule, p.reason, &[path], p.text),
                    ));
                }
            }
            None => shaped.push((rank, None, cut(&warnings[i], MAX_WARNING).to_string())),
        }
    }
    within_total(shaped)
}

/// Keeps the most important warnings within [`MAX_TOTAL`] bytes, in their
/// order, and says how many were left out.
fn within_total(shaped: Vec<(u8, Option<Rule>, String)>) -> Vec<String> {
    let total: usize = shaped.iter().map(|(_, _, w)| w.len()).sum();
    if total <= MAX_TOTAL {
        return shaped.into_iter().map(|(_, _, w)| w).collect();
    }
    // Room for the closing note (its rule ids are bounded by Rule::ALL).
    let budget = MAX_TOTAL - MAX_WARNING;
    let mut order: Vec<usize> = (0..shaped.len()).collect();
    order.sort_by_key(|&i| shaped[i].0); // stable: document order within a rank
    let mut keep = vec![false; shaped.len()];
    let mut used = 0;
    for i in order {
        if used + shaped[i].2.len() <= budget {
            used += shaped[i].2.len();
            keep[i] = true;
        }
    }
    let mut out = Vec::new();
    let mut dropped: Vec<Rule> = Vec::new();
    let mut count = 0;
    for ((_, rule, w), kept) in shaped.into_iter().zip(keep) {
        if kept {
            out.push(w);
        } else {
            count += 1;
            if let Some(r) = rule.filter(|r| !dropped.contains(r)) {
                dropped.push(r);
            }
        }
    }
    let first = dropped.first().copied().unwrap_or(Rule::Invalid);
    let ids: Vec<&str> = dropped.iter().map(|r| r.id()).collect();
    let note = format!(
        "[{}] {count} more warning(s) left out ({}): the API server keeps 4 KiB of warnings",
        first.id(),
        ids.join(", ")
    );
    out.push(cut(&note, MAX_WARNING).to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const M1_DETAIL: &str = "Forbidden: insecureSkipVerify: true turns off verification of the server's certificate, so anyone on the network path can impersonate the target; verify against the CA that signed the target's serving certificate (for the kubelet and control-plane components usually the cluster CA, e.g. ca.configMap: {name: kube-root-ca.crt, key: ca.crt}, when their serving certificates are signed by it) and set serverName to a name that certificate carries, then remove insecureSkipVerify";

    fn excepted(i: usize, rule: &str, leaf: &str) -> String {
        format!("[{rule}] excepted (\"kubelet serving certificates are self-signed on kubeadm (serverTLSBootstrap off): no CA to verify\"): spec.endpoints[{i}].{leaf}: {M1_DETAIL}")
    }

    proptest::proptest! {
        #[test]
        fn separators_are_found_as_str_finds_them(
            text in "[a-z;:\\] ,é]{0,40}",
            mark in proptest::sample::select(vec![b';', b',', b']', b':']),
        ) {
            let sep = format!("{} ", mark as char);
            proptest::prop_assert_eq!(find_sep(&text, mark), text.find(&sep));
            proptest::prop_assert_eq!(rfind_sep(&text, mark), text.rfind(&sep));
        }
    }

    #[test]
    fn warnings_are_parsed_as_the_rules_write_them() {
        let p = parse("[X3] spec.template.spec.containers[0]: injected a mount").unwrap();
        assert_eq!(
            p,
            Parsed {
                rule: Rule::X3,
                reason: None,
                path: Some("spec.template.spec.containers[0]"),
                text: "injected a mount"
            }
        );
        let w = excepted(2, "M1", "tlsConfig.insecureSkipVerify");
        let p = parse(&w).unwrap();
        assert_eq!(p.rule, Rule::M1);
        assert!(p.reason.unwrap().starts_with("\"kubelet serving"));
        assert_eq!(
            p.path,
            Some("spec.endpoints[2].tlsConfig.insecureSkipVerify")
        );
        assert!(p.text.starts_with("Forbidden: "));
        let p = parse("[R2] no path here: x").unwrap();
        assert_eq!((p.path, p.text), (None, "no path here: x"));
        assert_eq!(parse("no rule"), None);
        assert_eq!(parse("[nope] x: y"), None);
    }

    #[test]
    fn short_distinct_warnings_pass_unchanged() {
        let w = vec![
            "[W-serverName] c: careful".to_string(),
            "[X3] spec: added a mount".to_string(),
        ];
        assert_eq!(shape(w.clone()), w);
    }

    #[test]
    fn findings_of_one_rule_fold_into_one_warning_listing_the_paths() {
        // kube-prometheus' kubelet monitor: four endpoints, M1 and M5 each.
        let mut w = Vec::new();
        for i in 0..4 {
            w.push(excepted(i, "M5", "bearerTokenFile"));
            w.push(excepted(i, "M1", "tlsConfig.insecureSkipVerify"));
        }
        let shaped = shape(w);
        assert_eq!(shaped.len(), 2, "{shaped:#?}");
        assert!(
            shaped[0].starts_with("[M5] excepted (\"kubelet serving certificates are self-signed on kubeadm (serverTLSBootstrap off...\"): spec.endpoints[0,1,2,3].bearerTokenFile: Forbidden: "),
            "{}",
            shaped[0]
        );
        assert!(shaped[1].contains("spec.endpoints[0,1,2,3].tlsConfig.insecureSkipVerify: "));
        for s in &shaped {
            assert!(s.len() <= MAX_WARNING, "{} bytes: {s}", s.len());
            assert!(
                s.ends_with(&format!(
                    "(README#{})",
                    Rule::from_id(&s[1..3]).unwrap().anchor()
                )),
                "{s}"
            );
        }
    }

    #[test]
    fn paths_that_differ_elsewhere_are_listed_and_counted() {
        assert_eq!(join_paths(&["a.b", "c.d"]), "a.b, c.d");
        assert_eq!(
            join_paths(&["a[1].x", "a[1].y", "b", "c", "d", "e"]),
            "a[1].x, a[1].y, b, c (+2 more)"
        );
        assert_eq!(join_paths(&["a[9].x", "a[10].x"]), "a[9,10].x");
        assert_eq!(join_paths(&["a[0].b[1]", "a[0].b[2]"]), "a[0].b[1,2]");
        let many: Vec<String> = (0..20).map(|i| format!("l[{i}]")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(join_paths(&many), "l[0,1,2,3,4,5,6,7,+12]");
    }

    #[test]
    fn a_long_warning_keeps_rule_path_and_first_clauses_and_points_to_the_readme() {
        let text = format!("[M1] spec.endpoints[0].tlsConfig.insecureSkipVerify: {M1_DETAIL}");
        let shaped = shape(vec![text]);
        let s = &shaped[0];
        assert!(s.len() <= MAX_WARNING, "{s}");
        assert!(s.starts_with("[M1] spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden: insecureSkipVerify: true turns off verification"), "{s}");
        assert!(
            s.ends_with(&format!("... (README#{})", Rule::M1.anchor())),
            "{s}"
        );
        // Multi-byte text is cut on a char boundary.
        let wide = format!("[R2] a: {}", "ü".repeat(400));
        let s = &shape(vec![wide])[0];
        assert!(s.len() <= MAX_WARNING && s.starts_with("[R2] a: ü"));
    }

    #[test]
    fn a_long_warning_keeps_what_is_wrong_and_the_fix() {
        // kube-prometheus' kubelet monitor (W-serverName, 262 bytes).
        let w = "[W-serverName] spec.endpoints[0].tlsConfig.serverName: the endpoint verifies the server certificate but sets no serverName; Prometheus scrapes targets by IP, so verification fails unless the certificate carries the pod IP; set serverName to a name the target's serving certificate carries";
        assert!(w.len() > MAX_WARNING);
        assert_eq!(
            shape(vec![w.to_string()]),
            vec![format!("[W-serverName] spec.endpoints[0].tlsConfig.serverName: the endpoint verifies the server certificate but sets no serverName; ...; set serverName to a name the target's serving certificate carries (README#{})", Rule::WServerName.anchor())]
        );
        // Two findings of a rule stay two warnings.
        let two = vec![w.to_string(), w.replace("[0]", "[1]")];
        let shaped = shape(two);
        assert_eq!(shaped.len(), 2);
        assert!(shaped[1].starts_with("[W-serverName] spec.endpoints[1].tlsConfig.serverName: "));
    }

    #[test]
    fn a_long_warning_keeps_its_fix_after_what_fits_of_the_rest() {
        // Kueue's monitor reading a Secret no Certificate writes (R2).
        let w = "[R2] spec.endpoints[0].tlsConfig.ca.secret.name: Secret \"metrics-server-cert\" (CA) is written by no cert-manager Certificate in namespace \"kueue-system\", so nothing issues or renews it; did you mean \"kueue-metrics-server-cert\" (written by Certificate kueue-metrics-cert)?";
        let s = &shape(vec![w.to_string()])[0];
        assert!(s.len() <= MAX_WARNING, "{} bytes: {s}", s.len());
        assert!(s.starts_with("[R2] spec.endpoints[0].tlsConfig.ca.secret.name: Secret \"metrics-server-cert\" (CA) is written by no"), "{s}");
        assert!(s.ends_with(&format!("...; did you mean \"kueue-metrics-server-cert\" (written by Certificate kueue-metrics-cert)? (README#{})", Rule::R2.anchor())), "{s}");
    }

    #[test]
    fn past_4_kib_the_least_important_are_left_out_with_a_count() {
        let mut w = Vec::new();
        for i in 0..30 {
            w.push(format!("[R2] spec.volumes[{i}].secret.secretName: Secret \"s{i}\" is written by no cert-manager Certificate in namespace \"n\", so nothing issues or renews it ({i})"));
        }
        w.push(excepted(0, "M1", "tlsConfig.insecureSkipVerify"));
        w.push("[X3] spec.template.spec.containers[0]: injected volume \"metrics-certs\"".into());
        let shaped = shape(w);
        let total: usize = shaped.iter().map(String::len).sum();
        assert!(total <= MAX_TOTAL, "{total}");
        assert!(shaped
            .iter()
            .all(|s| s.len() <= MAX_WARNING && s.starts_with('[')));
        assert!(
            shaped.iter().any(|s| s.starts_with("[M1] excepted")),
            "kept first"
        );
        assert!(shaped.iter().any(|s| s.starts_with("[X3] ")), "kept second");
        let last = shaped.last().unwrap();
        let kept_r2 = shaped
            .iter()
            .filter(|s| s.starts_with("[R2] spec."))
            .count();
        assert_eq!(
            last,
            &format!(
                "[R2] {} more warning(s) left out (R2): the API server keeps 4 KiB of warnings",
                30 - kept_r2
            )
        );
        // Kept in their order.
        assert!(shaped[0].starts_with("[R2] spec.volumes[0]"));
    }
}
