//! Judging the requests: the policy module compiled once, then instantiated
//! on a few threads (one waPC host each, a host serves one call at a time),
//! each taking the next request until none is left.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use policy_host::engine::{Compiled, Policy};
use serde_json::Value;

/// What the policy answered for one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Admitted as it is.
    Admitted,
    /// Admitted with a patch: the JSONPatch and the object it makes.
    Mutated { patch: Value, mutated: Value },
    /// Rejected, with the policy's message (one line per problem).
    Rejected { message: String },
    /// The policy could not answer (a trap, an answer that does not decode):
    /// the API server would refuse the object (the policy fails closed).
    Failed { error: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub warnings: Vec<String>,
}

/// Objects above this count get a progress line on standard error.
pub const PROGRESS_FROM: usize = 200;

/// The number of threads for `requests` objects: one per core, at most 4,
/// and one per 16 objects (instantiating costs about as much as a few calls).
pub fn threads_for(requests: usize, jobs: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = jobs.unwrap_or(cores.min(4));
    wanted.clamp(1, requests.div_ceil(16).max(1))
}

/// Judges every `(request, object)` payload; the answers come back in order.
pub fn judge_all(
    compiled: &Compiled,
    payloads: &[(Vec<u8>, Value)],
    threads: usize,
) -> Result<Vec<Judgement>, String> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Judgement>>> = Mutex::new(vec![None; payloads.len()]);
    let progress = Progress::new(payloads.len());
    std::thread::scope(|scope| -> Result<(), String> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    let policy = compiled.instantiate()?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((payload, object)) = payloads.get(i) else {
                            return Ok(());
                        };
                        let judgement = judge(&policy, payload, object);
                        results.lock().map_err(|e| e.to_string())?[i] = Some(judgement);
                        progress.tick(done.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| "a judging thread panicked".to_string())??;
        }
        Ok(())
    })?;
    progress.finish();
    let results = results.into_inner().map_err(|e| e.to_string())?;
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| "an object was not judged".to_string()))
        .collect()
}

/// One call of the policy's `validate`.
pub fn judge(policy: &Policy, payload: &[u8], object: &Value) -> Judgement {
    let response = match policy.validate(payload) {
        Ok(r) => r,
        Err(error) => {
            return Judgement {
                verdict: Verdict::Failed { error },
                warnings: Vec::new(),
            }
        }
    };
    let warnings = response.warnings.unwrap_or_default();
    let verdict = if !response.accepted {
        Verdict::Rejected {
            message: response.message.unwrap_or_default(),
        }
    } else {
        match response.mutated_object {
            Some(mutated) => {
                let patch = json_patch::diff(object, &mutated);
                if patch.0.is_empty() {
                    Verdict::Admitted
                } else {
                    Verdict::Mutated {
                        patch: serde_json::to_value(&patch).unwrap_or(Value::Null),
                        mutated,
                    }
                }
            }
            None => Verdict::Admitted,
        }
    };
    Judgement { verdict, warnings }
}

/// A progress line on standard error for long inputs: rewritten in place on
/// a terminal, else printed at most every 2 seconds.
struct Progress {
    total: usize,
    terminal: bool,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(Instant::now()),
        }
    }

    fn enabled(&self) -> bool {
        self.total >= PROGRESS_FROM
    }

    fn tick(&self, done: usize) {
        if !self.enabled() {
            return;
        }
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(2)
        };
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.elapsed() < every {
            return;
        }
        *last = Instant::now();
        let end = if self.terminal { "\r" } else { "\n" };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "secure-metrics-scan: judged {done}/{} objects{end}",
            self.total
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.enabled() {
            eprintln!("secure-metrics-scan: judged {0}/{0} objects", self.total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_bounded_by_the_work() {
        assert_eq!(threads_for(1, None), 1);
        assert_eq!(threads_for(10, Some(8)), 1);
        assert_eq!(threads_for(1000, Some(3)), 3);
        assert!(threads_for(1000, None) <= 4);
        assert_eq!(threads_for(0, Some(0)), 1);
    }
}
