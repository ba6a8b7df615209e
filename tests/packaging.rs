//! The house around the policy: the licence the metadata claims is the one in
//! `LICENSE`, Artifact Hub's repository file exists, the publishing addresses
//! say that they are placeholders, and the README stays the admin's document
//! (the two commands first, the developer content in CONTRIBUTING.md).

use serde_yaml::Value;
use std::path::Path;

fn text(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const PLACEHOLDER: &str = "to be set when the project is published";

#[test]
fn license_is_the_apache_2_0_text_the_metadata_names() {
    let license = text("LICENSE");
    let head: Vec<&str> = license
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(2)
        .collect();
    assert_eq!(
        head,
        ["Apache License", "Version 2.0, January 2004"],
        "LICENSE is not Apache-2.0"
    );
    assert!(
        license.contains("END OF TERMS AND CONDITIONS"),
        "LICENSE is truncated"
    );
    let meta = yaml("policy-metadata.yml");
    assert_eq!(
        meta["annotations"]["io.kubewarden.policy.license"].as_str(),
        Some("Apache-2.0")
    );
    assert_eq!(
        yaml("artifacthub-pkg.yml")["license"].as_str(),
        Some("Apache-2.0")
    );
    assert!(text("Cargo.toml").contains("license = \"Apache-2.0\""));
}

#[test]
fn artifacthub_repo_file_names_its_owners() {
    let repo = yaml("artifacthub-repo.yml");
    let owners = repo["owners"]
        .as_sequence()
        .expect("artifacthub-repo.yml: owners is a list");
    assert!(!owners.is_empty(), "artifacthub-repo.yml: no owners");
    for owner in owners {
        assert!(
            owner["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{owner:?}"
        );
        assert!(
            owner["email"].as_str().is_some_and(|e| e.contains('@')),
            "{owner:?}"
        );
    }
    if let Some(id) = repo.get("repositoryID") {
        assert!(
            id.as_str().is_some_and(|id| id.len() == 36),
            "repositoryID is a UUID: {id:?}"
        );
    }
    assert!(text("artifacthub-repo.yml").contains(PLACEHOLDER));
}

/// Each line of `file` that starts (after indentation) with one of `keys` and
/// holds one of the project's own addresses says that it is a placeholder.
fn placeholders_marked(file: &str, keys: &[&str]) {
    let body = text(file);
    assert!(
        body.contains(PLACEHOLDER),
        "{file} does not say what is a placeholder"
    );
    for key in keys {
        let lines: Vec<&str> = body
            .lines()
            .filter(|l| l.trim_start().trim_start_matches("- ").starts_with(key))
            .filter(|l| l.contains("/secure-metrics"))
            .collect();
        assert!(!lines.is_empty(), "{file}: no {key} line");
        for line in lines {
            assert!(
                line.contains(PLACEHOLDER),
                "{file}: `{}` does not say it is {PLACEHOLDER}",
                line.trim()
            );
        }
    }
}

#[test]
fn publishing_addresses_say_they_are_placeholders() {
    placeholders_marked(
        "policy-metadata.yml",
        &[
            "io.kubewarden.policy.ociUrl:",
            "io.kubewarden.policy.url:",
            "io.kubewarden.policy.source:",
        ],
    );
    placeholders_marked("artifacthub-pkg.yml", &["homeURL:", "image:", "url:"]);
}

#[test]
fn readme_opens_with_the_two_commands_and_leaves_development_to_contributing() {
    let readme = text("README.md");
    let headings: Vec<&str> = readme.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings.first(),
        Some(&"## Try it"),
        "the README's first section is Try it"
    );
    let try_it: String = readme
        .split("## Try it")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default()
        .to_string();
    assert!(
        try_it.contains("make demo") && try_it.contains("make check"),
        "{try_it}"
    );
    for heading in [
        "Deploy",
        "What the policy sees",
        "Settings",
        "Rules",
        "Certificate modes",
        "Running it with kwctl",
    ] {
        assert!(
            headings.contains(&format!("## {heading}").as_str()),
            "the README lacks ## {heading}: {headings:?}"
        );
    }
    for developer in ["## Performance", "## Layout", "## Bench", "## Fuzz"] {
        assert!(
            !headings.contains(&developer),
            "{developer} belongs in CONTRIBUTING.md"
        );
    }
    let contributing = text("CONTRIBUTING.md");
    for heading in [
        "## The two commands",
        "## Make targets",
        "## Layout",
        "## Tests",
        "## How to add a rule",
        "## How a request flows",
        "## How to add a kind",
        "## How to measure",
    ] {
        assert!(
            contributing.lines().any(|l| l.starts_with(heading)),
            "CONTRIBUTING.md lacks {heading}"
        );
    }
}

/// What the API server passes on whole (`k8s.io/apiserver`'s warning
/// limits): each warning at most 256 characters, all of them at most 4 KiB.
const MAX_WARNING: usize = 256;
const MAX_WARNINGS_TOTAL: usize = 4096;

/// Every request of `examples/requests/` (what `make demo` shows), with its
/// settings: each warning starts with a rule id and fits the API server's
/// limits, and a rejection lists one line per violation, each ending with
/// its rule id.
#[test]
fn example_requests_answer_within_the_api_servers_limits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/requests");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/requests") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name.ends_with(".settings.json") {
            continue;
        }
        seen += 1;
        let read = |p: &Path| -> serde_json::Value {
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
        };
        let request = read(&path);
        let settings_path = path.with_file_name(name.replace(".json", ".settings.json"));
        let settings = if settings_path.exists() {
            read(&settings_path)
        } else {
            serde_json::json!({})
        };
        let envelope = serde_json::json!({
            "request": request.get("request").unwrap_or(&request),
            "settings": settings,
        });
        let raw = secure_metrics_policy::validate(envelope.to_string().as_bytes()).unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let warnings: Vec<&str> = answer["warnings"]
            .as_array()
            .map(|w| w.iter().map(|w| w.as_str().unwrap()).collect())
            .unwrap_or_default();
        let mut total = 0;
        for w in &warnings {
            let chars = w.chars().count();
            total += chars;
            assert!(chars <= MAX_WARNING, "{name}: {chars} characters: {w}");
            let id = w.strip_prefix('[').and_then(|r| r.split(']').next());
            assert!(
                id.and_then(secure_metrics_policy::rule::Rule::from_id)
                    .is_some(),
                "{name}: a warning that does not start with a rule id: {w}"
            );
            assert!(!w.contains('\n'), "{name}: one line: {w}");
        }
        assert!(
            total <= MAX_WARNINGS_TOTAL,
            "{name}: {total} characters of warnings"
        );
        if let Some(message) = answer["message"].as_str() {
            for line in message.lines().skip(usize::from(message.contains('\n'))) {
                let id = line.rsplit('[').next().and_then(|r| r.strip_suffix(']'));
                assert!(
                    id.and_then(secure_metrics_policy::rule::Rule::from_id)
                        .is_some(),
                    "{name}: a message line that does not end with its rule id: {line}"
                );
            }
        }
    }
    assert!(seen >= 7, "only {seen} example requests");
}

/// A kwctl to run, where one is at hand: `$KWCTL` when it names a real kwctl
/// (not the bundled test host), else `kwctl` on `PATH`. Never a path outside
/// the repository chosen here.
fn kwctl() -> Option<std::path::PathBuf> {
    let works = |p: &std::path::Path| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).contains("kwctl")
            })
    };
    if let Some(p) = std::env::var_os("KWCTL").map(std::path::PathBuf::from) {
        if works(&p) {
            return Some(p);
        }
    }
    let on_path = std::path::PathBuf::from("kwctl");
    works(&on_path).then_some(on_path)
}

/// Artifact Hub wants a maintainer with an email; kwctl builds the package's
/// maintainers from the metadata's author, `name <email>` (csv).
#[test]
fn artifacthub_package_names_a_maintainer_with_an_email_and_kueue() {
    let meta = yaml("policy-metadata.yml");
    let author = meta["annotations"]["io.kubewarden.policy.author"]
        .as_str()
        .unwrap();
    let (name, email) = author
        .strip_suffix('>')
        .and_then(|a| a.split_once(" <"))
        .unwrap_or_else(|| panic!("author {author:?} is not `name <email>`"));
    let pkg = yaml("artifacthub-pkg.yml");
    let maintainer = &pkg["maintainers"][0];
    assert_eq!(maintainer["name"].as_str(), Some(name));
    assert_eq!(maintainer["email"].as_str(), Some(email));
    for file in ["policy-metadata.yml", "artifacthub-pkg.yml"] {
        let body = text(file);
        let lines: Vec<&str> = body.lines().filter(|l| l.contains(email)).collect();
        assert!(!lines.is_empty(), "{file}: no line with {email}");
        for line in lines {
            assert!(
                line.contains(PLACEHOLDER),
                "{file}: `{}` is not marked a placeholder",
                line.trim()
            );
        }
    }
    let keywords: Vec<&str> = pkg["keywords"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(keywords.contains(&"kueue"), "{keywords:?}");
    let annotated = meta["annotations"]["io.artifacthub.keywords"]
        .as_str()
        .unwrap();
    assert_eq!(annotated.split(", ").collect::<Vec<_>>(), keywords);
}

/// `kwctl scaffold artifacthub` accepts policy-metadata.yml and writes what
/// artifacthub-pkg.yml holds (but for the date, the install text, the README
/// and the questions, which are ours).
#[test]
fn kwctl_scaffolds_the_artifacthub_package() {
    let Some(kwctl) = kwctl() else {
        eprintln!("kwctl_scaffolds_the_artifacthub_package: skipped, no kwctl ($KWCTL or on PATH)");
        return;
    };
    let out = std::env::temp_dir().join(format!("artifacthub-pkg-{}.yml", std::process::id()));
    let run = std::process::Command::new(&kwctl)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scaffold", "artifacthub", "-m", "policy-metadata.yml", "-o"])
        .arg(&out)
        .output()
        .expect("kwctl runs");
    assert!(
        run.status.success(),
        "kwctl scaffold artifacthub: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let scaffolded: Value = serde_yaml::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    let ours = yaml("artifacthub-pkg.yml");
    let map = scaffolded.as_mapping().unwrap();
    for (key, value) in map {
        let key = key.as_str().unwrap();
        if ["createdAt", "install", "readme", "homeURL", "annotations"].contains(&key) {
            continue;
        }
        assert_eq!(&ours[key], value, "artifacthub-pkg.yml: {key}");
    }
    for (key, value) in scaffolded["annotations"].as_mapping().unwrap() {
        let key = key.as_str().unwrap();
        let (a, b) = (&ours["annotations"][key], value);
        // Multi-line YAML held in a string: compared as YAML.
        let parse = |v: &Value| serde_yaml::from_str::<Value>(v.as_str().unwrap_or_default()).ok();
        assert!(
            a == b || parse(a) == parse(b),
            "artifacthub-pkg.yml: annotation {key}"
        );
    }
}

/// The README's M6 example message is what the policy prints for the
/// README's rejected monitor (test_data/monitors/m6-kubebuilder-http-metrics.json,
/// with `requireHttps: true`), word for word.
#[test]
fn readme_m6_message_is_what_the_policy_prints() {
    let request: serde_json::Value =
        serde_json::from_str(&text("test_data/monitors/m6-kubebuilder-http-metrics.json")).unwrap();
    let envelope = serde_json::json!({"request": request, "settings": {"requireHttps": true}});
    let raw = secure_metrics_policy::validate(envelope.to_string().as_bytes()).unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        answer["accepted"],
        serde_json::Value::Bool(false),
        "{answer}"
    );
    let message = answer["message"].as_str().unwrap();
    let (subject, line) = message.split_once(": ").unwrap();
    assert_eq!(
        subject,
        "ServiceMonitor project-system/controller-manager-metrics-monitor"
    );
    assert!(line.starts_with("spec.endpoints[0].scheme: Forbidden: ") && line.ends_with(" [M6]"));
    let readme = text("README.md");
    let section = &readme[readme.find("#### M6: ").expect("an M6 section")..];
    let section = &section[..section.find("\n#### ").unwrap_or(section.len())];
    assert!(
        section.lines().any(|l| l == line),
        "README.md's M6 section does not show the message the policy prints:\n{line}"
    );
}

/// The README opens with a table of contents that lists every `##` section,
/// each link the anchor of a heading.
#[test]
fn readme_table_of_contents_lists_every_section() {
    let readme = text("README.md");
    let anchor = |heading: &str| -> String {
        heading
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    };
    let mut in_code = false;
    let mut headings = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && (line.starts_with("## ") || line.starts_with("### ")) {
            headings.push((line.starts_with("## "), anchor(line)));
        }
    }
    let toc = readme
        .split("**Contents**")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README.md has a **Contents** list before its first section");
    let links: Vec<&str> = toc
        .lines()
        .filter_map(|l| {
            l.split_once("](#")
                .map(|(_, rest)| rest.trim_end_matches(')'))
        })
        .collect();
    for link in &links {
        assert!(
            headings.iter().any(|(_, a)| a == link),
            "the contents link to #{link}, which no heading has"
        );
    }
    for (top, a) in &headings {
        assert!(
            !top || links.contains(&a.as_str()),
            "the contents lack ## #{a}"
        );
    }
}

/// Every warning the README shows (a code line starting with `[<rule>] `)
/// is one the API server passes on whole: at most 256 characters.
#[test]
fn readme_warnings_fit_the_api_servers_limit() {
    let readme = text("README.md");
    let mut in_code = false;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let rule = line
            .strip_prefix('[')
            .and_then(|r| r.split_once("] "))
            .and_then(|(id, _)| secure_metrics_policy::rule::Rule::from_id(id));
        if in_code && rule.is_some() {
            let chars = line.chars().count();
            assert!(
                chars <= MAX_WARNING,
                "README.md line {}: a warning of {chars} characters",
                i + 1
            );
        }
    }
}

/// The README's example of a declared dialect (section "Binaries that are
/// not Kubebuilder v4 managers") is what the policy prints for
/// node-readiness-controller declared with `secureDefault: false`.
#[test]
fn readme_dialect_message_is_what_the_policy_prints() {
    let request: serde_json::Value = serde_json::from_str(&text(
        "test_data/workloads/w3-node-readiness-controller-metrics-secure-default-false.json",
    ))
    .unwrap();
    let settings = serde_json::json!({"metricsServers": [{
        "images": ["registry.k8s.io/node-readiness-controller/*"],
        "secureDefault": false, "certDirFlags": ["metrics-cert-dir"], "injectFlag": ""}]});
    let envelope = serde_json::json!({"request": request, "settings": settings});
    let raw = secure_metrics_policy::validate(envelope.to_string().as_bytes()).unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let message = answer["message"].as_str().expect("a rejection");
    let (_, line) = message.split_once(": ").unwrap();
    assert!(line.ends_with(" [W3]"), "{line}");
    let readme = text("README.md");
    let heading = "### Binaries that are not Kubebuilder v4 managers";
    let section = &readme[readme.find(heading).expect("the dialect section")..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |k| k + 4)];
    assert!(
        section.lines().any(|l| l == line),
        "README.md's dialect section does not show the message the policy prints:\n{line}"
    );
}
