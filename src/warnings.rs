//! Warnings the API server passes on whole: the one place that writes a
//! [`Warning`] as text.
//!
//! The API server asks admission webhooks to keep each warning under 120
//! characters where possible, truncates a warning over 256 characters and
//! drops warnings once their total passes 4 KiB (`k8s.io/apiserver`'s
//! `warning` package). The rules record a typed [`Warning`] (rule, path,
//! detail, and for an excepted violation the exception's reason) with the
//! whole explanation. Here, after the review, the warnings of one response
//! are written as SPEC 13 reads them, `[<rule>] <path>: <what to know>` (an
//! excepted violation: `[<rule>] excepted ("<reason>"): <path>: <type>:
//! <detail>`), and shaped to those limits:
//!
//! - **Listed**: at most [`PER_RULE`] warnings of each rule, in their order;
//!   one more warning of the rule counts the rest (a bound on the work).
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
//! Every warning starts with `[<rule>]`. The shaping is linear in the size
//! of the warnings.

use crate::report::{bounded, counted, Warning, PER_RULE};
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
/// The rank of the warnings left out first (see `Item::rank`).
const LOWEST_RANK: u8 = 2;

/// One warning's words before they are shaped: `[<rule>] [excepted
/// (<reason>): ]<path>: <text>`.
struct Item {
    rule: Rule,
    /// The exception's reason, quoted, for an excepted violation.
    reason: Option<String>,
    /// The field path as shown, when it can be listed with others.
    path: Option<String>,
    /// What the warning says after the path.
    text: String,
    /// How much it matters when some must be left out: an excepted
    /// violation (it would otherwise reject) first, then an account of what
    /// a repair changed in the object, then the rest.
    rank: u8,
}

impl Item {
    fn new(w: Warning) -> Self {
        let rule = w.rule;
        let (reason, text) = match w.excepted {
            Some(e) => (
                Some(format!("{:?}", e.reason)),
                format!("{}: {}", e.kind.as_str(), w.detail),
            ),
            None => (None, w.detail),
        };
        let rank = match reason {
            Some(_) => 0,
            None => Item::rank_of(rule),
        };
        let shown = w.path.to_string();
        let (path, text) = match listable(&shown) {
            true => (Some(shown), text),
            // A path with spaces or line breaks (a hostile map key) is not
            // listed with others: it stays in the text, bounded with it.
            false => (None, bounded(format!("{shown}: {text}"))),
        };
        Item {
            rule,
            reason,
            path,
            text,
            rank,
        }
    }

    /// The count of `rule`'s warnings past [`PER_RULE`].
    fn not_listed(rule: Rule, n: usize) -> Self {
        Item {
            rule,
            reason: None,
            path: None,
            text: format!("and {n} more warnings of this rule, not listed"),
            rank: Item::rank_of(rule),
        }
    }

    fn rank_of(rule: Rule) -> u8 {
        match rule {
            Rule::X1 | Rule::X2 | Rule::X3 | Rule::W5 => 1,
            _ => LOWEST_RANK,
        }
    }

    /// The warning whole, as SPEC 13 writes it.
    fn line(&self) -> String {
        let mut line = format!("[{}] ", self.rule.id());
        if let Some(reason) = &self.reason {
            line.push_str("excepted (");
            line.push_str(reason);
            line.push_str("): ");
        }
        if let Some(path) = &self.path {
            line.push_str(path);
            line.push_str(": ");
        }
        line.push_str(&self.text);
        line
    }
}

/// A field path that can be listed with others (`a.b, c.d`): no spaces,
/// quotes or line breaks, not empty.
fn listable(s: &str) -> bool {
    !s.is_empty() && !s.contains([' ', '"', '\n', '\r'])
}

/// The first [`PER_RULE`] warnings of each rule, in their order, then one
/// per rule counting the rest.
fn listed(warnings: Vec<Warning>) -> Vec<Item> {
    let mut seen: Vec<(Rule, usize)> = Vec::new();
    let mut items: Vec<Item> = Vec::with_capacity(warnings.len().min(4 * PER_RULE));
    for w in warnings {
        if counted(&mut seen, w.rule) <= PER_RULE {
            items.push(Item::new(w));
        }
    }
    for (rule, n) in seen.into_iter().filter(|(_, n)| *n > PER_RULE) {
        items.push(Item::not_listed(rule, n - PER_RULE));
    }
    items
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

/// Where the first `<mark> ` (`; ` or `, ` after a clause) is in `text`.
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

/// One warning of at most [`MAX_WARNING`] bytes.
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

/// The warnings of one response as the API server passes them on: at most
/// [`PER_RULE`] of each rule, folded, bounded and within the total.
pub(crate) fn shape(warnings: Vec<Warning>) -> Vec<String> {
    let items = listed(warnings);
    let lines: Vec<String> = items.iter().map(Item::line).collect();
    if lines.iter().map(String::len).sum::<usize>() <= MAX_TOTAL
        && lines.iter().all(|w| w.len() <= MAX_WARNING.min(120))
    {
        // The usual case: nothing to fold that matters, nothing to cut.
        let mut seen = std::collections::BTreeSet::new();
        if items
            .iter()
            .all(|i| i.path.is_none() || seen.insert((i.rule, &i.reason, &i.text)))
        {
            return lines;
        }
    }
    // Group by (rule, reason, text): the paths of one group fold together.
    let mut groups: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        match &item.path {
            Some(path) => match index.get(&(item.rule, &item.reason, &item.text)) {
                Some(&g) => {
                    let (_, paths): &mut (usize, Vec<&str>) = &mut groups[g];
                    paths.push(path);
                }
                None => {
                    index.insert((item.rule, &item.reason, &item.text), groups.len());
                    groups.push((i, vec![path]));
                }
            },
            None => groups.push((i, Vec::new())),
        }
    }
    let mut shaped: Vec<(u8, Rule, String)> = Vec::with_capacity(groups.len());
    for (i, paths) in groups {
        let Item {
            rule,
            reason,
            text,
            rank,
            ..
        } = &items[i];
        let reason = reason.as_deref();
        if paths.len() >= FOLD_FROM || paths.is_empty() {
            shaped.push((*rank, *rule, render(*rule, reason, &paths, text)));
        } else {
            for path in paths {
                shaped.push((*rank, *rule, render(*rule, reason, &[path], text)));
            }
        }
    }
    within_total(shaped)
}

/// Keeps the most important warnings within [`MAX_TOTAL`] bytes, in their
/// order, and says how many were left out.
fn within_total(shaped: Vec<(u8, Rule, String)>) -> Vec<String> {
    let total: usize = shaped.iter().map(|(_, _, w)| w.len()).sum();
    if total <= MAX_TOTAL {
        return shaped.into_iter().map(|(_, _, w)| w).collect();
    }
    // Room for the closing note (its rule ids are bounded by Rule::ALL).
    let budget = MAX_TOTAL - MAX_WARNING;
    // By rank (0 first, `Item::rank`), in document order within a rank:
    // one pass per rank.
    let ranks = &shaped;
    let order =
        (0..=LOWEST_RANK).flat_map(|rank| (0..ranks.len()).filter(move |&i| ranks[i].0 == rank));
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
            if !dropped.contains(&rule) {
                dropped.push(rule);
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
    use crate::report::{ErrorType, Excepted, FieldPath};

    const M1_DETAIL: &str = "insecureSkipVerify: true turns off verification of the server's certificate, so anyone on the network path can impersonate the target; verify against the CA that signed the target's serving certificate (for the kubelet and control-plane components usually the cluster CA, e.g. ca.configMap: {name: kube-root-ca.crt, key: ca.crt}, when their serving certificates are signed by it) and set serverName to a name that certificate carries, then remove insecureSkipVerify";

    proptest::proptest! {
        #[test]
        fn separators_are_found_as_str_finds_them(
            text in "[a-z;:\\] ,é]{0,40}",
            mark in proptest::sample::select(vec![b';', b',']),
        ) {
            let sep = format!("{} ", mark as char);
            proptest::prop_assert_eq!(find_sep(&text, mark), text.find(&sep));
            proptest::prop_assert_eq!(rfind_sep(&text, mark), text.rfind(&sep));
        }
    }

    /// `spec.endpoints[i].<leaf>`
    fn endpoint(i: usize, leaf: &str) -> FieldPath {
        let mut path = FieldPath::root().child("spec").child("endpoints").index(i);
        for part in leaf.split('.') {
            path = path.child(part);
        }
        path
    }

    fn warning(rule: Rule, path: FieldPath, detail: &str) -> Warning {
        Warning {
            rule,
            path,
            detail: detail.to_string(),
            excepted: None,
        }
    }

    fn excepted(i: usize, rule: Rule, leaf: &str) -> Warning {
        Warning {
            excepted: Some(Excepted {
                reason: "kubelet serving certificates are self-signed on kubeadm (serverTLSBootstrap off): no CA to verify".into(),
                kind: ErrorType::Forbidden,
            }),
            ..warning(rule, endpoint(i, leaf), M1_DETAIL)
        }
    }

    #[test]
    fn warnings_are_written_as_spec_13_reads_them() {
        let w = warning(
            Rule::X3,
            FieldPath::root().child("spec").child("template"),
            "injected a mount",
        );
        assert_eq!(shape(vec![w]), vec!["[X3] spec.template: injected a mount"]);
        let mut w = excepted(2, Rule::M1, "tlsConfig.insecureSkipVerify");
        w.detail = "insecureSkipVerify: true".into();
        assert_eq!(
            shape(vec![w]),
            // Over 120 bytes: the reason is cut.
            vec!["[M1] excepted (\"kubelet serving certificates are self-signed on kubeadm (serverTLSBootstrap off...\"): spec.endpoints[2].tlsConfig.insecureSkipVerify: Forbidden: insecureSkipVerify: true"]
        );
        // A path that cannot be listed stays in the text; the root reads as
        // a violation's does.
        let odd = FieldPath::root().child("data").key("a b\nc");
        assert_eq!(
            shape(vec![warning(Rule::R2, odd, "x")]),
            vec!["[R2] data[a b c]: x"]
        );
        assert_eq!(
            shape(vec![warning(Rule::R2, FieldPath::root(), "x")]),
            vec!["[R2] <object>: x"]
        );
    }

    #[test]
    fn short_distinct_warnings_pass_unchanged() {
        let w = vec![
            warning(Rule::WServerName, FieldPath::root().child("c"), "careful"),
            warning(Rule::X3, FieldPath::root().child("spec"), "added a mount"),
        ];
        assert_eq!(
            shape(w),
            vec!["[W-serverName] c: careful", "[X3] spec: added a mount"]
        );
    }

    #[test]
    fn findings_of_one_rule_fold_into_one_warning_listing_the_paths() {
        // kube-prometheus' kubelet monitor: four endpoints, M1 and M5 each.
        let mut w = Vec::new();
        for i in 0..4 {
            w.push(excepted(i, Rule::M5, "bearerTokenFile"));
            w.push(excepted(i, Rule::M1, "tlsConfig.insecureSkipVerify"));
        }
        let shaped = shape(w);
        assert_eq!(shaped.len(), 2, "{shaped:#?}");
        assert!(
            shaped[0].starts_with("[M5] excepted (\"kubelet serving certificates are self-signed on kubeadm (serverTLSBootstrap off...\"): spec.endpoints[0,1,2,3].bearerTokenFile: Forbidden: "),
            "{}",
            shaped[0]
        );
        assert!(shaped[1].contains("spec.endpoints[0,1,2,3].tlsConfig.insecureSkipVerify: "));
        for (s, rule) in shaped.iter().zip([Rule::M5, Rule::M1]) {
            assert!(s.len() <= MAX_WARNING, "{} bytes: {s}", s.len());
            assert!(s.ends_with(&format!("(README#{})", rule.anchor())), "{s}");
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
        let long = warning(
            Rule::M1,
            endpoint(0, "tlsConfig.insecureSkipVerify"),
            &format!("Forbidden: {M1_DETAIL}"),
        );
        let shaped = shape(vec![long]);
        let s = &shaped[0];
        assert!(s.len() <= MAX_WARNING, "{s}");
        assert!(s.starts_with("[M1] spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden: insecureSkipVerify: true turns off verification"), "{s}");
        assert!(
            s.ends_with(&format!("... (README#{})", Rule::M1.anchor())),
            "{s}"
        );
        // Multi-byte text is cut on a char boundary.
        let wide = warning(Rule::R2, FieldPath::root().child("a"), &"ü".repeat(400));
        let s = &shape(vec![wide])[0];
        assert!(s.len() <= MAX_WARNING && s.starts_with("[R2] a: ü"));
    }

    #[test]
    fn a_long_warning_keeps_what_is_wrong_and_the_fix() {
        // kube-prometheus' kubelet monitor (W-serverName, 262 bytes).
        let detail = "the endpoint verifies the server certificate but sets no serverName; Prometheus scrapes targets by IP, so verification fails unless the certificate carries the pod IP; set serverName to a name the target's serving certificate carries";
        let w = |i| {
            warning(
                Rule::WServerName,
                endpoint(i, "tlsConfig.serverName"),
                detail,
            )
        };
        assert_eq!(
            shape(vec![w(0)]),
            vec![format!("[W-serverName] spec.endpoints[0].tlsConfig.serverName: the endpoint verifies the server certificate but sets no serverName; ...; set serverName to a name the target's serving certificate carries (README#{})", Rule::WServerName.anchor())]
        );
        // Two findings of a rule stay two warnings.
        let shaped = shape(vec![w(0), w(1)]);
        assert_eq!(shaped.len(), 2);
        assert!(shaped[1].starts_with("[W-serverName] spec.endpoints[1].tlsConfig.serverName: "));
    }

    #[test]
    fn a_long_warning_keeps_its_fix_after_what_fits_of_the_rest() {
        // Kueue's monitor reading a Secret no Certificate writes (R2).
        let w = warning(Rule::R2, endpoint(0, "tlsConfig.ca.secret.name"), "Secret \"metrics-server-cert\" (CA): no cert-manager Certificate in namespace \"kueue-system\" writes it, so nothing issues or renews it; did you mean \"kueue-metrics-server-cert\" (written by Certificate kueue-metrics-cert)?");
        let s = &shape(vec![w])[0];
        assert!(s.len() <= MAX_WARNING, "{} bytes: {s}", s.len());
        assert!(s.starts_with("[R2] spec.endpoints[0].tlsConfig.ca.secret.name: Secret \"metrics-server-cert\" (CA): no cert-manager Certificate..."), "{s}");
        assert!(s.ends_with(&format!("...; did you mean \"kueue-metrics-server-cert\" (written by Certificate kueue-metrics-cert)? (README#{})", Rule::R2.anchor())), "{s}");
    }

    #[test]
    fn bounds_at_most_per_rule_warnings_of_a_rule_are_listed_then_counted() {
        let mut w: Vec<Warning> = (0..PER_RULE + 30)
            .map(|i| warning(Rule::M4, endpoint(i, "scheme"), &format!("x{i}")))
            .collect();
        w.push(warning(Rule::W5, FieldPath::root().child("z"), "injected"));
        let shaped = shape(w);
        assert_eq!(shaped.len(), PER_RULE + 2, "{shaped:#?}");
        assert_eq!(
            shaped[PER_RULE - 1],
            format!(
                "[M4] spec.endpoints[{}].scheme: x{}",
                PER_RULE - 1,
                PER_RULE - 1
            )
        );
        assert_eq!(shaped[PER_RULE], "[W5] z: injected");
        assert_eq!(
            shaped[PER_RULE + 1],
            "[M4] and 30 more warnings of this rule, not listed"
        );
    }

    #[test]
    fn past_4_kib_the_least_important_are_left_out_with_a_count() {
        let mut w = Vec::new();
        for i in 0..PER_RULE {
            let path = FieldPath::root()
                .child("spec")
                .child("volumes")
                .index(i)
                .child("secret")
                .child("secretName");
            w.push(warning(Rule::R2, path, &format!("Secret \"s{i}\" is written by no cert-manager Certificate in namespace \"monitoring\", so nothing issues or renews it and the pod of the controller manager cannot start; create a Certificate ({i})")));
        }
        w.push(excepted(0, Rule::M1, "tlsConfig.insecureSkipVerify"));
        w.push(warning(
            Rule::X3,
            FieldPath::root().child("spec").child("template"),
            "injected volume \"metrics-certs\"",
        ));
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
                PER_RULE - kept_r2
            )
        );
        // Kept in their order.
        assert!(shaped[0].starts_with("[R2] spec.volumes[0]"));
    }
}
