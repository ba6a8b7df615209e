//! Volumes and volume mounts (SPEC section 7, "Mounts").
//!
//! A `secret` volume, or a `projected` volume with a `secret` source, is
//! Secret-backed. A volume mount covers a directory when its `mountPath` is
//! that directory or a parent of it; paths are compared by component after a
//! lexical clean (`/a//b/./c/` is `/a/b/c`, `..` drops a component), as Go's
//! `path.Clean` does. Everything is read through the view accessors, so a
//! field of the wrong JSON type is a `type` violation, never a panic.

use crate::report::{push_quoted, FieldPath, Report};
use crate::view::Obj;
use std::borrow::Cow;

/// Where a volume's content comes from, as far as the rules care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VolumeSource<'a> {
    /// A `secret` volume and its `secretName` (`None` when missing).
    Secret(Option<&'a str>),
    /// A `projected` volume and the names of its `secret` sources; it is
    /// Secret-backed only when it has at least one.
    Projected {
        secrets: Vec<&'a str>,
        has_secret: bool,
    },
    /// Any other source, named by its key (`configMap`, `emptyDir`, ...).
    Other(&'a str),
}

/// One entry of the pod's `volumes`.
#[derive(Clone, Debug)]
pub(crate) struct Volume<'a> {
    pub(crate) name: &'a str,
    pub(crate) source: VolumeSource<'a>,
    /// `...spec.volumes[2]`
    pub(crate) path: FieldPath,
}

impl<'a> Volume<'a> {
    /// The Secrets the volume carries.
    pub(crate) fn secrets(&self) -> &[&'a str] {
        match &self.source {
            VolumeSource::Secret(Some(name)) => std::slice::from_ref(name),
            VolumeSource::Projected { secrets, .. } => secrets,
            _ => &[],
        }
    }

    pub(crate) fn is_secret_backed(&self) -> bool {
        match &self.source {
            VolumeSource::Secret(_) => true,
            VolumeSource::Projected { has_secret, .. } => *has_secret,
            VolumeSource::Other(_) => false,
        }
    }

    /// Whether the volume carries the content of Secret `secret`.
    pub(crate) fn uses_secret(&self, secret: &str) -> bool {
        match &self.source {
            VolumeSource::Secret(name) => name.is_some_and(|n| crate::bytes::same(n, secret)),
            VolumeSource::Projected { secrets, .. } => secrets.contains(&secret),
            VolumeSource::Other(_) => false,
        }
    }

    /// The source for messages: `Secret "x"`, `projected Secret "a", "b"`,
    /// `configMap`, `emptyDir`.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        self.push_description(&mut out);
        out
    }

    /// [`describe`](Self::describe), appended to `out`.
    pub(crate) fn push_description(&self, out: &mut String) {
        match &self.source {
            VolumeSource::Secret(Some(name)) => {
                out.push_str("Secret ");
                push_quoted(out, name);
            }
            VolumeSource::Secret(None) => out.push_str("a Secret"),
            VolumeSource::Projected { secrets, .. } if !secrets.is_empty() => {
                out.push_str("projected Secret ");
                for (i, name) in secrets.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    push_quoted(out, name);
                }
            }
            VolumeSource::Projected { .. } => out.push_str("projected"),
            VolumeSource::Other(kind) => out.push_str(kind),
        }
    }
}

/// One entry of a container's `volumeMounts`.
#[derive(Clone, Debug)]
pub(crate) struct Mount<'a> {
    pub(crate) name: &'a str,
    pub(crate) mount_path: &'a str,
    /// `mount_path` cleaned once (`None` when relative); borrowed when it is
    /// clean already, as nearly every mount path is.
    clean: Option<Cow<'a, str>>,
    /// `...containers[0].volumeMounts[1]`
    pub(crate) path: FieldPath,
}

/// Reads the pod's `volumes`. Entries without a name are skipped (the API
/// server refuses them); wrong types are reported.
pub(crate) fn volumes<'a>(pod_spec: &Obj<'a>, report: &mut Report) -> Vec<Volume<'a>> {
    let Some(list) = pod_spec.list("volumes", report) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let Some(v) = list.obj(i, report) else {
            continue;
        };
        let name = v.str("name", report).unwrap_or("");
        let source = if let Some(secret) = v.obj("secret", report) {
            VolumeSource::Secret(secret.str("secretName", report))
        } else if let Some(projected) = v.obj("projected", report) {
            let mut secrets = Vec::new();
            let mut has_secret = false;
            if let Some(sources) = projected.list("sources", report) {
                for src in sources.objs(report) {
                    if let Some(secret) = src.obj("secret", report) {
                        has_secret = true;
                        if let Some(n) = secret.str("name", report) {
                            secrets.push(n);
                        }
                    }
                }
            }
            VolumeSource::Projected {
                secrets,
                has_secret,
            }
        } else {
            let kind = v
                .map
                .iter()
                .find(|(k, val)| k.as_str() != "name" && !val.is_null())
                .map(|(k, _)| k.as_str())
                .unwrap_or("sourceless");
            VolumeSource::Other(kind)
        };
        if !name.is_empty() {
            out.push(Volume {
                name,
                source,
                path: v.path.clone(),
            });
        }
    }
    out
}

/// Reads a container's `volumeMounts`; wrong types are reported, entries
/// without a name or mountPath are skipped.
pub(crate) fn mounts<'a>(container: &Obj<'a>, report: &mut Report) -> Vec<Mount<'a>> {
    let Some(list) = container.list("volumeMounts", report) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let Some(m) = list.obj(i, report) else {
            continue;
        };
        let name = m.str("name", report);
        let mount_path = m.str("mountPath", report);
        // Read for its type only: no rule depends on it.
        m.bool("readOnly", report);
        if let (Some(name), Some(mount_path)) = (name, mount_path) {
            out.push(Mount {
                name,
                mount_path,
                clean: clean_cow(mount_path),
                path: m.path.clone(),
            });
        }
    }
    out
}

/// The components of an absolute path after a lexical clean; `None` for a
/// relative path.
fn components(path: &str) -> Option<Vec<&str>> {
    if !path.starts_with('/') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    Some(out)
}

/// The cleaned form of an absolute path (`/a/b/` -> `/a/b`); `None` when
/// the path is relative.
pub(crate) fn clean(path: &str) -> Option<String> {
    clean_cow(path).map(Cow::into_owned)
}

/// [`clean`], borrowing a path that is clean already.
fn clean_cow(path: &str) -> Option<Cow<'_, str>> {
    if is_clean(path) {
        return Some(Cow::Borrowed(path));
    }
    components(path).map(|c| Cow::Owned(format!("/{}", c.join("/"))))
}

/// Whether the clean directory `dir` is the clean directory `mount` or lies
/// below it (compared by whole components: `/a/bc` is not below `/a/b`).
fn under(dir: &str, mount: &str) -> bool {
    mount == "/"
        || (dir.starts_with(mount)
            && (dir.len() == mount.len() || dir.as_bytes()[mount.len()] == b'/'))
}

/// Whether an absolute path is already in its cleaned form (`/` or
/// `/a/b`: no empty, `.` or `..` component), as most paths in manifests
/// and settings are; `clean` then copies it as it is.
fn is_clean(path: &str) -> bool {
    // Each component between slashes is non-empty and neither `.` nor `..`;
    // the slashes are found eight bytes at a time (a loop over the bytes
    // cost more than the rest of the mount's reading).
    let mut rest = match path.as_bytes() {
        b"/" => return true,
        [b'/', rest @ ..] => rest,
        _ => return false,
    };
    loop {
        let end = crate::bytes::find(rest, b'/').unwrap_or(rest.len());
        if matches!(&rest[..end], b"" | b"." | b"..") {
            return false;
        }
        match rest.get(end + 1..) {
            Some(next) => rest = next,
            None => return true,
        }
    }
}

/// Whether a mount at `mount_path` covers directory `dir`: `mount_path` is
/// `dir` or a parent of it. Relative paths cover and are covered by nothing.
#[cfg(test)]
pub(crate) fn covers(mount_path: &str, dir: &str) -> bool {
    match (components(mount_path), components(dir)) {
        (Some(m), Some(d)) => d.starts_with(&m),
        _ => false,
    }
}

/// Whether two absolute paths name the same directory.
#[cfg(test)]
pub(crate) fn same_dir(a: &str, b: &str) -> bool {
    match (components(a), components(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The directory of a file path (`/etc/tls/tls.crt` -> `/etc/tls`), and the
/// file name; `None` for a relative path or one without a file name.
pub(crate) fn split_file(file: &str) -> Option<(String, &str)> {
    let c = components(file)?;
    let (name, parents) = c.split_last()?;
    Some((format!("/{}", parents.join("/")), name))
}

/// Resolves a path a container names against its `workingDir` (when that is
/// absolute), as the process would; `None` when it cannot be known.
pub(crate) fn resolve(path: &str, working_dir: Option<&str>) -> Option<String> {
    if path.starts_with('/') {
        return clean(path);
    }
    let base = working_dir.filter(|w| w.starts_with('/'))?;
    clean(&format!("{base}/{path}"))
}

/// The mount through which a process sees `dir`: the deepest mount covering
/// it (a nested mount hides what its parent provides at that place).
pub(crate) fn visible_at<'m, 'a>(mounts: &'m [Mount<'a>], dir: &str) -> Option<&'m Mount<'a>> {
    let dir = clean_cow(dir)?;
    // Every mount that covers `dir` is a prefix of it: the longest is the
    // deepest.
    mounts
        .iter()
        .filter(|m| m.clean.as_deref().is_some_and(|p| under(&dir, p)))
        .max_by_key(|m| m.clean.as_deref().map_or(0, str::len))
}

impl Mount<'_> {
    /// Whether this mount covers `dir` (see [`covers`]), with the mount's
    /// path cleaned once.
    pub(crate) fn covers(&self, dir: &str) -> bool {
        match (&self.clean, clean_cow(dir)) {
            (Some(m), Some(d)) => under(&d, m),
            _ => false,
        }
    }

    /// Whether this mount is at `dir` (see [`same_dir`]).
    pub(crate) fn is_at(&self, dir: &str) -> bool {
        match (&self.clean, clean_cow(dir)) {
            (Some(m), Some(d)) => *m == d,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn obj(v: &Value) -> Obj<'_> {
        Obj::at(v, FieldPath::root().child("spec"), &mut Report::new()).unwrap()
    }

    /// A mount's cleaned-string comparisons agree with the component
    /// reading on every pair of a table of awkward paths.
    #[test]
    fn mount_comparisons_agree_with_components() {
        let paths = [
            "/",
            "//",
            "/.",
            "/..",
            "/a",
            "/a/",
            "/a/b",
            "/a/b/",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/b",
            "/a/bc",
            "/ab",
            "/a/b/c",
            "/a/b/../c",
            "relative",
            "",
            "./a",
            "/tmp/k8s-metrics-server/metrics-certs",
        ];
        for m in paths {
            let mount = Mount {
                name: "v",
                mount_path: m,
                clean: clean_cow(m),
                path: FieldPath::root(),
            };
            for d in paths {
                assert_eq!(mount.covers(d), covers(m, d), "covers({m:?}, {d:?})");
                assert_eq!(mount.is_at(d), same_dir(m, d), "is_at({m:?}, {d:?})");
            }
        }
        // The deepest covering mount wins, whatever the spelling.
        let mounts: Vec<Mount> = ["/a/", "/a/b/./", "/a/bc", "/"]
            .iter()
            .map(|m| Mount {
                name: m,
                mount_path: m,
                clean: clean_cow(m),
                path: FieldPath::root(),
            })
            .collect();
        let at = |d| visible_at(&mounts, d).map(|m| m.mount_path);
        assert_eq!(at("/a/b/c"), Some("/a/b/./"));
        assert_eq!(at("/a/bcd"), Some("/a/"));
        assert_eq!(at("/x"), Some("/"));
        assert_eq!(at("relative"), None);
    }

    #[test]
    fn covers_compares_components() {
        let cases = [
            (
                "/tmp/k8s-metrics-server/metrics-certs",
                "/tmp/k8s-metrics-server/metrics-certs",
                true,
            ),
            (
                "/tmp/k8s-metrics-server/metrics-certs/",
                "/tmp/k8s-metrics-server/metrics-certs",
                true,
            ),
            (
                "/tmp/k8s-metrics-server/metrics-certs",
                "/tmp/k8s-metrics-server/metrics-certs/",
                true,
            ),
            ("/tmp", "/tmp/k8s-metrics-server/metrics-certs", true),
            ("/", "/etc/metrics-tls", true),
            (
                "/tmp//k8s-metrics-server/./",
                "/tmp/k8s-metrics-server/metrics-certs",
                true,
            ),
            ("/etc/a/../metrics-tls", "/etc/metrics-tls", true),
            (
                "/tmp/k8s-metrics-server/metrics-certs",
                "/tmp/k8s-metrics-server",
                false,
            ),
            ("/tmp/k8s", "/tmp/k8s-metrics-server/metrics-certs", false),
            ("/etc/metrics", "/etc/metrics-tls", false),
            ("tmp", "/tmp/x", false),
            ("/tmp", "tmp/x", false),
        ];
        for (mount, dir, expected) in cases {
            assert_eq!(covers(mount, dir), expected, "{mount} covers {dir}");
        }
    }

    #[test]
    fn paths_clean_split_and_resolve() {
        assert_eq!(clean("/a//b/./c/").as_deref(), Some("/a/b/c"));
        assert_eq!(clean("/").as_deref(), Some("/"));
        for p in [
            "/a/b",
            "/a/b/",
            "/a/./b",
            "/a/../b",
            "//a",
            "/a/..",
            "/.",
            "/..",
            "/a/b/.hidden",
        ] {
            let slow = components(p).map(|c| format!("/{}", c.join("/")));
            assert_eq!(clean(p), slow, "{p}");
            assert_eq!(is_clean(p), slow.as_deref() == Some(p), "{p}");
        }
        assert_eq!(clean("a/b"), None);
        assert!(!is_clean("") && !is_clean("a") && !is_clean("/a/"));
        assert!(same_dir("/a/b/", "/a//b"));
        assert!(!same_dir("/a/b", "/a"));
        assert_eq!(
            split_file("/etc/metrics-tls/tls.crt"),
            Some(("/etc/metrics-tls".to_string(), "tls.crt"))
        );
        assert_eq!(split_file("/tls.crt"), Some(("/".to_string(), "tls.crt")));
        assert_eq!(split_file("/"), None);
        assert_eq!(split_file("tls.crt"), None);
        assert_eq!(
            resolve("certs", Some("/app")).as_deref(),
            Some("/app/certs")
        );
        assert_eq!(resolve("/certs/", Some("/app")).as_deref(), Some("/certs"));
        assert_eq!(resolve("certs", None), None);
        assert_eq!(resolve("certs", Some("app")), None);
    }

    #[test]
    fn volumes_know_their_secrets() {
        let spec = json!({"volumes": [
            {"name": "metrics-certs", "secret": {"secretName": "metrics-server-cert", "optional": false}},
            {"name": "bundle", "projected": {"sources": [
                {"configMap": {"name": "ca"}},
                {"secret": {"name": "metrics-server-cert"}},
                {"secret": {"name": "other"}}
            ]}},
            {"name": "tokens", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}},
            {"name": "config", "configMap": {"name": "manager-config"}},
            {"name": "tmp", "emptyDir": {}},
            {"name": "nameless-secret", "secret": {}}
        ]});
        let mut r = Report::new();
        let vs = volumes(&obj(&spec), &mut r);
        assert!(r.is_clean(), "{r:?}");
        let seen: Vec<(&str, bool, bool, String)> = vs
            .iter()
            .map(|v| {
                (
                    v.name,
                    v.is_secret_backed(),
                    v.uses_secret("metrics-server-cert"),
                    v.describe(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (
                    "metrics-certs",
                    true,
                    true,
                    "Secret \"metrics-server-cert\"".into()
                ),
                (
                    "bundle",
                    true,
                    true,
                    "projected Secret \"metrics-server-cert\", \"other\"".into()
                ),
                ("tokens", false, false, "projected".into()),
                ("config", false, false, "configMap".into()),
                ("tmp", false, false, "emptyDir".into()),
                ("nameless-secret", true, false, "a Secret".into()),
            ]
        );
        assert_eq!(vs[1].path.as_str(), "spec.volumes[1]");
    }

    #[test]
    fn mounts_read_name_and_path() {
        let c = json!({"volumeMounts": [
            {"name": "metrics-certs", "mountPath": "/certs", "readOnly": true},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "broken"}
        ]});
        let mut r = Report::new();
        let ms = mounts(&obj(&c), &mut r);
        let seen: Vec<(&str, &str, &str)> = ms
            .iter()
            .map(|m| (m.name, m.mount_path, m.path.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("metrics-certs", "/certs", "spec.volumeMounts[0]"),
                ("tmp", "/tmp", "spec.volumeMounts[1]"),
            ]
        );
        assert!(r.is_clean());
        assert_eq!(visible_at(&ms, "/tmp/x").unwrap().name, "tmp");
        assert_eq!(visible_at(&ms, "/certs").unwrap().name, "metrics-certs");
        assert!(visible_at(&ms, "/etc").is_none());
    }

    #[test]
    fn the_deepest_covering_mount_is_visible() {
        let c = json!({"volumeMounts": [
            {"name": "deep", "mountPath": "/tmp/k8s-webhook-server"},
            {"name": "shallow", "mountPath": "/tmp"}
        ]});
        let ms = mounts(&obj(&c), &mut Report::new());
        let at = visible_at(&ms, "/tmp/k8s-webhook-server/serving-certs").unwrap();
        assert_eq!(at.name, "deep");
    }

    #[test]
    fn wrong_types_are_reported_with_paths() {
        let spec = json!({"volumes": [
            {"name": "a", "secret": {"secretName": 7}},
            {"name": "b", "projected": {"sources": {"secret": {}}}},
            {"name": "c", "secret": "x"},
            "d"
        ]});
        let mut r = Report::new();
        volumes(&obj(&spec), &mut r);
        let paths: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "spec.volumes[0].secret.secretName",
                "spec.volumes[1].projected.sources",
                "spec.volumes[2].secret",
                "spec.volumes[3]",
            ]
        );
        let c = json!({"volumeMounts": [{"name": "a", "mountPath": 1, "readOnly": "yes"}]});
        let mut r = Report::new();
        assert!(mounts(&obj(&c), &mut r).is_empty());
        let paths: Vec<&str> = r.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "spec.volumeMounts[0].mountPath",
                "spec.volumeMounts[0].readOnly"
            ]
        );
        let c = json!({"volumeMounts": {"name": "a"}});
        let mut r = Report::new();
        assert!(mounts(&obj(&c), &mut r).is_empty());
        assert_eq!(r.violations[0].path.as_str(), "spec.volumeMounts");
    }

    proptest::proptest! {
        #[test]
        fn a_path_is_clean_exactly_when_cleaning_keeps_it(p in "[/.a]{0,24}") {
            let slow = components(&p).map(|c| format!("/{}", c.join("/")));
            proptest::prop_assert_eq!(is_clean(&p), slow.as_deref() == Some(p.as_str()));
        }
    }
}
