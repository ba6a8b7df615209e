//! `bench`: times the guest `validate` call for each request file, alone or
//! call by call against a baseline module loaded in the same process.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::engine::Policy;
use crate::replay::Session;
use crate::request::RequestDocument;
use crate::response::AdmissionResponse;

/// A request never gets fewer timed calls than this, whatever `--max-ms`.
pub const MIN_ITERATIONS: u32 = 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchRow {
    pub file: String,
    /// The request file as given on the command line.
    pub path: String,
    pub kind: String,
    pub iterations: u32,
    pub median_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    pub accepted: bool,
    pub mutated: bool,
    pub wasm_bytes: u64,
    /// The lookups answered in each policy call, from the replayed session
    /// (`None` without one).
    pub lookups: Option<usize>,
    /// Median time of a policy call spent in the host answering its lookups
    /// (included in `median_us`).
    pub lookups_host_median_us: Option<f64>,
    /// The baseline's figures over the same calls, when one was given.
    pub baseline_median_us: Option<f64>,
    pub baseline_p99_us: Option<f64>,
    pub baseline_mean_us: Option<f64>,
    /// Policy median / baseline median.
    pub ratio: Option<f64>,
}

/// How many calls to make for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub iterations: u32,
    pub warmup: u32,
    /// Cap on the time of the timed calls (the warm-up gets a quarter of it).
    pub max: Option<Duration>,
}

impl Budget {
    /// The timed calls to make once a warm-up round (of policy and
    /// baseline) is known to cost `per_round`: as many as asked, cut to fit
    /// the cap, never fewer than [`MIN_ITERATIONS`] (nor than asked, when
    /// that is less).
    pub fn timed_calls(&self, per_round: Duration) -> u32 {
        let Some(max) = self.max else {
            return self.iterations;
        };
        let fit = max.as_nanos() / per_round.as_nanos().max(1);
        let fit = u32::try_from(fit).unwrap_or(u32::MAX);
        fit.clamp(MIN_ITERATIONS.min(self.iterations), self.iterations)
    }
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

/// One timed `validate` call, in microseconds; the session (rewound before
/// the clock starts) answers its lookups, and for the policy (`host_us`, which
/// gets the time of the host's answers) it must have been replayed exactly,
/// so that no timed call took the failed-lookup path.
fn timed(
    policy: &Policy,
    payload: &[u8],
    session: Option<&Session>,
    host_us: Option<&mut Vec<f64>>,
) -> Result<f64, String> {
    if let Some(s) = session {
        s.rewind();
    }
    let start = Instant::now();
    let result = policy.call("validate", payload);
    let us = start.elapsed().as_secs_f64() * 1e6;
    if let (Some(s), Some(host_us)) = (session, host_us) {
        s.replayed()
            .map_err(|e| format!("the policy's lookups did not replay the session: {e}"))?;
        host_us.push(s.answering().as_secs_f64() * 1e6);
    }
    result.map(|_| us)
}

/// Times `validate` of `policy` on the request at `path`; with a baseline,
/// each round calls both, the first of the two alternating from round to
/// round, so that both see the same state of the machine. With a session,
/// every call of either module replays it from the start; every policy
/// call must replay all of it (checked outside the clock).
pub fn bench_request(
    policy: &Policy,
    baseline: Option<&Policy>,
    session: Option<&Session>,
    settings: &Value,
    path: &Path,
    budget: Budget,
    wasm_bytes: u64,
) -> Result<BenchRow, String> {
    let doc = RequestDocument::load(path)?;
    let payload = doc.validate_payload(settings)?;
    let context = |e: String| format!("{}: {e}", path.display());

    if let Some(s) = session {
        s.rewind();
    }
    let first = policy.validate(&payload).map_err(context)?;
    if let Some(s) = session {
        s.replayed().map_err(|e| {
            context(format!(
                "the policy's lookups did not replay the session (is crossObjectChecks on?): {e}"
            ))
        })?;
        s.rewind();
    }
    let response = AdmissionResponse::from_validation(doc.uid(), doc.object(), first);
    if let Some(b) = baseline {
        b.validate(&payload)
            .map_err(|e| context(format!("baseline: {e}")))?;
    }
    let round = |i: u32, p: &mut Vec<f64>, b: &mut Vec<f64>, h: &mut Vec<f64>| {
        match baseline {
            Some(base) if i % 2 == 1 => {
                b.push(timed(base, &payload, session, None)?);
                p.push(timed(policy, &payload, session, Some(h))?);
            }
            Some(base) => {
                p.push(timed(policy, &payload, session, Some(h))?);
                b.push(timed(base, &payload, session, None)?);
            }
            None => p.push(timed(policy, &payload, session, Some(h))?),
        }
        Ok::<(), String>(())
    };

    let (mut p, mut b, mut h) = (Vec::new(), Vec::new(), Vec::new());
    let warmup_cap = budget.max.map(|m| m / 4);
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < budget.warmup.max(1) && warmup_cap.is_none_or(|c| start.elapsed() < c) {
        round(rounds, &mut p, &mut b, &mut h).map_err(context)?;
        rounds += 1;
    }
    let iterations = budget.timed_calls(start.elapsed() / rounds.max(1));

    let capacity = iterations as usize;
    let (mut p, mut b, mut h) = (
        Vec::with_capacity(capacity),
        Vec::with_capacity(capacity),
        Vec::with_capacity(if session.is_some() { capacity } else { 0 }),
    );
    for i in 0..iterations {
        round(i, &mut p, &mut b, &mut h).map_err(context)?;
    }
    let (median_us, p99_us, mean_us) = summarize(&mut p);
    let base = baseline.map(|_| summarize(&mut b));
    Ok(BenchRow {
        file: file_label(path),
        path: path.display().to_string(),
        kind: doc.kind(),
        iterations,
        median_us,
        p99_us,
        mean_us,
        accepted: response.allowed,
        mutated: response.patch.is_some(),
        wasm_bytes,
        lookups: session.map(Session::len),
        lookups_host_median_us: session.map(|_| summarize(&mut h).0),
        baseline_median_us: base.map(|s| s.0),
        baseline_p99_us: base.map(|s| s.1),
        baseline_mean_us: base.map(|s| s.2),
        ratio: base.map(|s| (median_us / s.0 * 1000.0).round() / 1000.0),
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
    let with_baseline = rows.iter().any(|r| r.ratio.is_some());
    let mut header = format!(
        "{:<width$}  {:<kind_width$}  {:>12}  {:>12}  {:>12}  {:<8}  {:<7}",
        "file", "kind", "median (µs)", "p99 (µs)", "mean (µs)", "verdict", "mutated"
    );
    if with_baseline {
        header.push_str(&format!(
            "  {:>14}  {:>14}  {:>6}",
            "base med (µs)", "base p99 (µs)", "ratio"
        ));
    }
    out.push_str(header.trim_end());
    out.push('\n');
    for r in rows {
        let mut line = format!(
            "{:<width$}  {:<kind_width$}  {:>12.1}  {:>12.1}  {:>12.1}  {:<8}  {:<7}",
            r.file,
            r.kind,
            r.median_us,
            r.p99_us,
            r.mean_us,
            if r.accepted { "accepted" } else { "rejected" },
            if r.mutated { "yes" } else { "no" },
        );
        if let (Some(m), Some(p), Some(ratio)) = (r.baseline_median_us, r.baseline_p99_us, r.ratio)
        {
            line.push_str(&format!("  {m:>14.1}  {p:>14.1}  {ratio:>6.2}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
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
            path: "t/pod.json".into(),
            kind: "Pod".into(),
            iterations: 10,
            median_us: 12.34,
            p99_us: 20.0,
            mean_us: 13.0,
            accepted: false,
            mutated: false,
            wasm_bytes: 2048,
            lookups: None,
            lookups_host_median_us: None,
            baseline_median_us: None,
            baseline_p99_us: None,
            baseline_mean_us: None,
            ratio: None,
        };
        let table = render_table(Path::new("p.wasm"), 2048, std::slice::from_ref(&row));
        assert!(table.starts_with("policy: p.wasm (2048 bytes, 2.0 KiB)\n"));
        assert!(table.contains("pod.json"));
        assert!(table.contains("12.3"));
        assert!(table.contains("rejected  no\n"));
        assert!(table.lines().all(|l| l == l.trim_end()));
        let json = serde_json::to_value(vec![row.clone()]).unwrap();
        assert_eq!(json[0]["kind"], "Pod");
        assert_eq!(json[0]["wasm_bytes"], 2048);
        assert_eq!(json[0]["accepted"], false);
        assert_eq!(json[0]["ratio"], Value::Null);

        let paired = BenchRow {
            baseline_median_us: Some(10.0),
            baseline_p99_us: Some(15.5),
            baseline_mean_us: Some(10.5),
            ratio: Some(1.234),
            ..row
        };
        let table = render_table(Path::new("p.wasm"), 2048, std::slice::from_ref(&paired));
        assert!(table.contains("base med (µs)"), "{table}");
        assert!(
            table.contains("rejected  no                 10.0            15.5    1.23\n"),
            "{table}"
        );
        let json = serde_json::to_value(vec![paired]).unwrap();
        assert_eq!(json[0]["ratio"], 1.234);
        assert_eq!(json[0]["baseline_p99_us"], 15.5);
    }

    #[test]
    fn timed_calls_fit_the_cap() {
        let ms = Duration::from_millis;
        let uncapped = Budget {
            iterations: 3000,
            warmup: 300,
            max: None,
        };
        assert_eq!(uncapped.timed_calls(ms(50)), 3000);
        let capped = Budget {
            max: Some(ms(1000)),
            ..uncapped
        };
        // 40 µs a round fits all 3000; 1 ms a round fits 1000; 50 ms only 20.
        assert_eq!(capped.timed_calls(Duration::from_micros(40)), 3000);
        assert_eq!(capped.timed_calls(ms(1)), 1000);
        assert_eq!(capped.timed_calls(ms(50)), MIN_ITERATIONS);
        assert_eq!(capped.timed_calls(Duration::ZERO), 3000);
        let few = Budget {
            iterations: 5,
            ..capped
        };
        assert_eq!(few.timed_calls(ms(50)), 5);
    }
}
