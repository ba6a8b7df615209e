//! Kubernetes name syntax (RFC 1123 as the API server applies it).
//!
//! These are Kubernetes' own `IsDNS1123Label` / `IsDNS1123Subdomain` rules, a
//! few lines each; general DNS crates accept upper case, underscores and
//! trailing dots that Kubernetes refuses, so they do not fit here.

/// A DNS-1123 label: at most 63 characters of `[a-z0-9-]`, starting and
/// ending with an alphanumeric character.
pub(crate) fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
pub(crate) fn is_dns1123_subdomain(s: &str) -> bool {
    // One pass over the bytes, each label checked at the dot that ends it.
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 253 {
        return false;
    }
    let label_ok =
        |l: &[u8]| !l.is_empty() && l.len() <= 63 && l[0] != b'-' && l[l.len() - 1] != b'-';
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if !label_ok(&b[start..i]) {
                return false;
            }
            start = i + 1;
        } else if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
            return false;
        }
    }
    label_ok(&b[start..])
}

/// Why `name` is not a DNS name as Kubernetes and cert-manager expect one
/// (RFC 1123 in lower case: dot-separated DNS-1123 labels, at most 253
/// characters), or `None` when it is one. With `allow_wildcard`, a leading
/// `*.` is accepted, as in `IsWildcardDNS1123Subdomain`.
pub(crate) fn dns_name_problem(name: &str, allow_wildcard: bool) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".into());
    }
    if name.len() > 253 {
        return Some(format!(
            "it is {} characters long, at most 253 are allowed",
            name.len()
        ));
    }
    let rest = match name.strip_prefix("*.") {
        Some(rest) if allow_wildcard => rest,
        _ => name,
    };
    // The usual name, in one pass over its bytes.
    if is_dns1123_subdomain(rest) {
        return None;
    }
    if rest.contains('*') {
        return Some(if allow_wildcard {
            "a wildcard is allowed only as the whole first label (\"*.\")".into()
        } else {
            "wildcards are not allowed here".into()
        });
    }
    rest.split('.').find_map(label_problem)
}

/// Whether `name` is a DNS name (see [`dns_name_problem`]).
pub(crate) fn is_dns_name(name: &str, allow_wildcard: bool) -> bool {
    dns_name_problem(name, allow_wildcard).is_none()
}

fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("it has an empty label (a leading, trailing or doubled '.')".into());
    }
    if label.len() > 63 {
        return Some(format!(
            "label {label:?} is {} characters long, at most 63 are allowed",
            label.len()
        ));
    }
    if label.bytes().any(|c| c.is_ascii_uppercase()) {
        return Some(format!(
            "label {label:?} has upper-case letters; DNS names are lower case"
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Some(format!(
            "label {label:?} has the character {c:?}; only a-z, 0-9 and '-' are allowed"
        ));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some(format!("label {label:?} starts or ends with '-'"));
    }
    None
}

/// The kustomize placeholder a DNS label stands for, if it is one: a label of
/// capitals, digits and underscores with at least one capital (`SERVICE_NAME`,
/// `SERVICE_NAMESPACE`), or the same inside an old-style kustomize var
/// (`$(SERVICE_NAME)`).
pub(crate) fn placeholder(label: &str) -> Option<&str> {
    let inner = label
        .strip_prefix("$(")
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or(label);
    let ok = inner
        .bytes()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && inner.bytes().any(|c| c.is_ascii_uppercase());
    ok.then_some(inner)
}

/// The dot-separated labels of a name, where a dot inside an envsubst
/// `${NAME:=default}` (whose default may be a dotted name) does not split.
pub(crate) fn labels_of(name: &str) -> Vec<&str> {
    if !name.contains('$') {
        return name.split('.').collect();
    }
    let b = name.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut depth, mut i) = (0, 0usize, 0);
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b'.' if depth == 0 => {
                out.push(&name[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&name[start..]);
    out
}

/// The placeholder a label holds, if any (SPEC sections 13 and 16): an
/// envsubst form `${NAME}`, `${NAME:=default}` or `${NAME:-default}`
/// anywhere in the label (clusterctl templates), or else the whole label as
/// [`placeholder`] reads it (`SERVICE_NAME`, `$(SERVICE_NAME)`).
pub(crate) fn label_placeholder(label: &str) -> Option<&str> {
    if let Some(at) = envsubst_at(label) {
        let rest = &label[at + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && rest[end..].contains('}') {
            return Some(name);
        }
    }
    placeholder(label)
}

/// Where `${` first opens in `label`.
fn envsubst_at(label: &str) -> Option<usize> {
    let b = label.as_bytes();
    let mut from = 0;
    while let Some(k) = memchr::memchr(b'$', &b[from..]) {
        if b.get(from + k + 1) == Some(&b'{') {
            return Some(from + k);
        }
        from += k + 1;
    }
    None
}

/// Every placeholder in a name (see [`label_placeholder`]), in order.
pub(crate) fn placeholders(name: &str) -> Vec<&str> {
    // Every placeholder has a capital or a `$`.
    if !name.bytes().any(|c| c == b'$' || c.is_ascii_uppercase()) {
        return Vec::new();
    }
    labels_of(name)
        .into_iter()
        .filter_map(label_placeholder)
        .collect()
}

/// The namespace label of an in-cluster Service name: `<svc>.<ns>.svc` or
/// `<svc>.<ns>.svc.cluster.local` (`<svc>` may be the wildcard `*`). Returns
/// the index of that label among the dot-separated labels and the label.
pub(crate) fn service_namespace(name: &str) -> Option<(usize, &str)> {
    let labels = labels_of(name);
    match labels.as_slice() {
        [_, ns, "svc"] | [_, ns, "svc", "cluster", "local"] => Some((1, ns)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The one-pass subdomain check is the label check on every label.
        #[test]
        fn subdomain_is_every_label_a_label(s in "[a-c0-9.*A-]{0,80}") {
            let by_labels = !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns1123_label);
            proptest::prop_assert_eq!(is_dns1123_subdomain(&s), by_labels, "{}", s);
        }
    }

    #[test]
    fn subdomain_lengths() {
        let label = "a".repeat(63);
        assert!(is_dns1123_subdomain(&label));
        assert!(!is_dns1123_subdomain(&"a".repeat(64)));
        let name = [label.as_str(); 4].join(".");
        assert_eq!(name.len(), 255);
        assert!(!is_dns1123_subdomain(&name));
        assert!(is_dns1123_subdomain(&name[2..]));
        assert!(!is_dns1123_subdomain(&format!("{}.x", "a".repeat(64))));
    }

    #[test]
    fn envsubst_opens_at_the_first_dollar_brace() {
        for (label, at) in [
            ("${A}", Some(0)),
            ("x$y${A}", Some(3)),
            ("$$${A}", Some(2)),
            ("$", None),
            ("a$(B)", None),
            ("", None),
        ] {
            assert_eq!(envsubst_at(label), at, "{label}");
            assert_eq!(envsubst_at(label), label.find("${"), "{label}");
        }
    }

    #[test]
    fn labels() {
        for ok in ["metrics-certs", "a", "a1", "0abc", &"a".repeat(63)] {
            assert!(is_dns1123_label(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "Metrics",
            "metrics_certs",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn subdomains() {
        for ok in ["metrics-server-cert", "a.b.c", "kueue-metrics-cert.v1"] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in ["", "a..b", ".a", "a.", "A.b", "a_b", &"a".repeat(254)] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        let long_label = format!("{}.svc", "a".repeat(63));
        let longest = vec!["a".repeat(63); 4].join(".")[..253].to_string();
        let too_long_label = format!("{}.svc", "a".repeat(64));
        let too_long = vec!["a".repeat(63); 5].join(".");
        for (name, wildcard) in [
            ("metrics.project-system.svc", false),
            (
                "project-controller-manager-metrics-service.project-system.svc.cluster.local",
                false,
            ),
            ("localhost", false),
            ("*.kueue-system.svc", true),
            ("*.example.com", true),
            ("0a.b-c.d", false),
            (long_label.as_str(), false),
            (longest.as_str(), false),
        ] {
            assert!(is_dns_name(name, wildcard), "{name}");
        }
        let cases = [
            ("", true, "empty"),
            ("*.kueue-system.svc", false, "not allowed"),
            ("a.*.svc", true, "first label"),
            ("*", true, "first label"),
            ("*.*.svc", true, "first label"),
            ("**.svc", true, "first label"),
            ("a..svc", true, "empty label"),
            ("a.svc.", true, "empty label"),
            (".a.svc", true, "empty label"),
            ("Metrics.ns.svc", true, "upper-case"),
            ("metrics_svc.ns.svc", true, "'_'"),
            ("metrics.ns.svc:8443", true, "':'"),
            ("-metrics.ns.svc", true, "starts or ends"),
            ("metrics-.ns.svc", true, "starts or ends"),
            (too_long_label.as_str(), true, "at most 63"),
            (too_long.as_str(), true, "at most 253"),
        ];
        for (name, wildcard, why) in cases {
            let problem = dns_name_problem(name, wildcard).expect(name);
            assert!(problem.contains(why), "{name}: {problem}");
            assert!(!is_dns_name(name, wildcard), "{name}");
        }
    }

    #[test]
    fn placeholders() {
        for (label, expected) in [
            ("SERVICE_NAME", Some("SERVICE_NAME")),
            ("SERVICE_NAMESPACE", Some("SERVICE_NAMESPACE")),
            ("$(METRICS_SERVICE_NAME)", Some("METRICS_SERVICE_NAME")),
            ("NS1", Some("NS1")),
            ("svc", None),
            ("Service", None),
            ("_1", None),
            ("", None),
            ("$()", None),
        ] {
            assert_eq!(placeholder(label), expected, "{label}");
        }
    }

    #[test]
    fn envsubst_placeholders() {
        for (name, expected) in [
            // JobSet's monitor_tls_patch.yaml and clusterctl templates.
            (
                "jobset-controller-manager-metrics-service.${NAMESPACE}.svc",
                vec!["NAMESPACE"],
            ),
            ("${SERVICE_NAME:=metrics.ns.svc}", vec!["SERVICE_NAME"]),
            ("${SVC:-metrics}.${NS:=kube-system}.svc", vec!["SVC", "NS"]),
            ("${name}.ns.svc", vec!["name"]),
            ("pre-${CLUSTER_NAME}-metrics.ns.svc", vec!["CLUSTER_NAME"]),
            (
                "$(SERVICE_NAME).SERVICE_NAMESPACE.svc",
                vec!["SERVICE_NAME", "SERVICE_NAMESPACE"],
            ),
            ("metrics.ns.svc", vec![]),
            ("${}.ns.svc", vec![]),
            ("${UNCLOSED.ns.svc", vec![]),
            ("$NAME.ns.svc", vec![]),
        ] {
            assert_eq!(super::placeholders(name), expected, "{name}");
        }
        assert_eq!(
            labels_of("${A:=x.y}.ns.svc"),
            vec!["${A:=x.y}", "ns", "svc"]
        );
        assert_eq!(labels_of("a.b"), vec!["a", "b"]);
    }

    #[test]
    fn service_namespaces() {
        for (name, expected) in [
            ("m.ns.svc", Some((1, "ns"))),
            ("m.ns.svc.cluster.local", Some((1, "ns"))),
            ("*.ns.svc", Some((1, "ns"))),
            ("ns.svc", None),
            ("p.m.ns.svc", None),
            ("m.ns.svc.cluster.example", None),
            ("metrics.example.com", None),
        ] {
            assert_eq!(service_namespace(name), expected, "{name}");
        }
    }
}
