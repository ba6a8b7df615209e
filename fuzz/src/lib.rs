//! Support for the fuzz targets: the mutations and the properties, also
//! compiled into the proptest suite (`tests/robustness.rs`) by path.

pub mod harness;
pub mod mutate;
pub mod oracle;

use serde_json::Value;
use std::path::{Path, PathBuf};

/// A request fixture as a `validate` payload: `{"request": ..., "settings": ...}`.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub name: String,
    pub envelope: Value,
}

/// Every request fixture of `test_data/` and `examples/requests/` under
/// `root` (the policy's source tree), with the settings of a
/// `<name>.settings.json` beside it, else `{}`.
pub fn fixtures(root: &Path) -> Vec<Fixture> {
    let mut files = Vec::new();
    for dir in ["test_data", "examples/requests"] {
        collect(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let root: Value = serde_json::from_str(&text).ok()?;
            // An AdmissionReview, a `validate` payload or a bare AdmissionRequest.
            let request = match root.get("request") {
                Some(r @ Value::Object(_)) => r.clone(),
                _ => root.clone(),
            };
            request.get("kind")?;
            let settings_file = path.with_extension("settings.json");
            let settings = root
                .get("settings")
                .cloned()
                .or_else(|| {
                    let text = std::fs::read_to_string(settings_file).ok()?;
                    serde_json::from_str(&text).ok()
                })
                .unwrap_or_else(|| serde_json::json!({}));
            Some(Fixture {
                name: path.display().to_string(),
                envelope: serde_json::json!({"request": request, "settings": settings}),
            })
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json")
            && !path.to_string_lossy().ends_with(".settings.json")
        {
            out.push(path);
        }
    }
}
