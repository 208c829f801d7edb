//! What the benchmarks share: latency summaries and load totals. Each bench uses part of it.
#![allow(dead_code)]

use std::time::Duration;

/// Median and tail of a set of samples.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub p50: Duration,
    pub p99: Duration,
}

/// Summarises `samples` (sorted in place); `None` for an empty set.
pub fn summarize(samples: &mut [Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Some(Summary {
        p50: at(0.50),
        p99: at(0.99),
    })
}

/// The median of a few whole runs (cold starts).
pub fn median(samples: &mut [Duration]) -> Duration {
    summarize(samples).map_or(Duration::ZERO, |s| s.p50)
}

/// `"met"` or `"MISSED"`, the way the benchmarks report their targets.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// What a load run of writes came to: requests done, refused (409), the wall time and every
/// latency of those done.
#[derive(Debug, Default)]
pub struct Totals {
    pub ok: usize,
    pub refused: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Totals {
    /// Adds `other` to these (its wall time too: runs in sequence add up).
    pub fn add(&mut self, other: Totals) {
        self.ok += other.ok;
        self.refused += other.refused;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }

    /// Requests done per second of wall time.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}
