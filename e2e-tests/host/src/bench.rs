//! `bench`: times the guest `validate` call for each request file.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::engine::Policy;
use crate::request::RequestDocument;
use crate::response::AdmissionResponse;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRow {
    pub file: String,
    pub kind: String,
    pub iterations: u32,
    pub median_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    pub accepted: bool,
    pub mutated: bool,
    pub wasm_bytes: u64,
}

/// Median, p99 (nearest rank) and mean of the samples, in the samples' unit.
pub fn summarize(samples: &mut [f64]) -> (f64, f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    let rank = (n * 99).div_ceil(100).max(1);
    let p99 = samples[rank - 1];
    let mean = samples.iter().sum::<f64>() / n as f64;
    // Nanosecond resolution is all Instant gives; keep the JSON readable.
    let ns = |x: f64| (x * 1000.0).round() / 1000.0;
    (ns(median), ns(p99), ns(mean))
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub fn bench_request(
    policy: &Policy,
    settings: &Value,
    path: &Path,
    iterations: u32,
    warmup: u32,
    wasm_bytes: u64,
) -> Result<BenchRow, String> {
    let doc = RequestDocument::load(path)?;
    let payload = doc.validate_payload(settings)?;
    let context = |e: String| format!("{}: {e}", path.display());

    let first = policy.validate(&payload).map_err(context)?;
    let response = AdmissionResponse::from_validation(doc.uid(), doc.object(), first);
    for _ in 0..warmup {
        policy.call("validate", &payload).map_err(context)?;
    }
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations {
        let start = Instant::now();
        let result = policy.call("validate", &payload);
        samples.push(start.elapsed().as_secs_f64() * 1e6);
        result.map_err(context)?;
    }
    let (median_us, p99_us, mean_us) = summarize(&mut samples);
    Ok(BenchRow {
        file: file_label(path),
        kind: doc.kind(),
        iterations,
        median_us,
        p99_us,
        mean_us,
        accepted: response.allowed,
        mutated: response.patch.is_some(),
        wasm_bytes,
    })
}

pub fn render_table(policy: &Path, wasm_bytes: u64, rows: &[BenchRow]) -> String {
    let mut out = format!(
        "policy: {} ({} bytes, {:.1} KiB)\n",
        policy.display(),
        wasm_bytes,
        wasm_bytes as f64 / 1024.0
    );
    let width = rows.iter().map(|r| r.file.len()).max().unwrap_or(0).max(4);
    let kind_width = rows.iter().map(|r| r.kind.len()).max().unwrap_or(0).max(4);
    out.push_str(&format!(
        "{:<width$}  {:<kind_width$}  {:>12}  {:>12}  {:>12}  {:<8}  {}\n",
        "file", "kind", "median (µs)", "p99 (µs)", "mean (µs)", "verdict", "mutated"
    ));
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {:<kind_width$}  {:>12.1}  {:>12.1}  {:>12.1}  {:<8}  {}\n",
            r.file,
            r.kind,
            r.median_us,
            r.p99_us,
            r.mean_us,
            if r.accepted { "accepted" } else { "rejected" },
            if r.mutated { "yes" } else { "no" },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_odd_and_even() {
        let mut odd = vec![5.0, 1.0, 3.0];
        assert_eq!(summarize(&mut odd), (3.0, 5.0, 3.0));
        let mut even = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(summarize(&mut even), (2.5, 4.0, 2.5));
        assert_eq!(summarize(&mut []), (0.0, 0.0, 0.0));
    }

    #[test]
    fn p99_is_nearest_rank() {
        let mut samples: Vec<f64> = (1..=200).map(f64::from).collect();
        samples.reverse();
        let (_, p99, _) = summarize(&mut samples);
        assert_eq!(p99, 198.0);
        let mut one = vec![7.0];
        assert_eq!(summarize(&mut one), (7.0, 7.0, 7.0));
        let mut noisy = vec![1.000_000_4, 2.000_000_4];
        assert_eq!(summarize(&mut noisy), (1.5, 2.0, 1.5));
    }

    #[test]
    fn table_and_json_rows() {
        let row = BenchRow {
            file: "pod.json".into(),
            kind: "Pod".into(),
            iterations: 10,
            median_us: 12.34,
            p99_us: 20.0,
            mean_us: 13.0,
            accepted: false,
            mutated: false,
            wasm_bytes: 2048,
        };
        let table = render_table(Path::new("p.wasm"), 2048, std::slice::from_ref(&row));
        assert!(table.starts_with("policy: p.wasm (2048 bytes, 2.0 KiB)\n"));
        assert!(table.contains("pod.json"));
        assert!(table.contains("12.3"));
        assert!(table.contains("rejected  no\n"));
        assert!(table.lines().all(|l| l == l.trim_end()));
        let json = serde_json::to_value(vec![row]).unwrap();
        assert_eq!(json[0]["kind"], "Pod");
        assert_eq!(json[0]["wasm_bytes"], 2048);
        assert_eq!(json[0]["accepted"], false);
    }
}
