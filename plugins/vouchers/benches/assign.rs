//! Ranks and funds 100,000 synthetic applications natively, the way a campaign's closing does
//! inside the plugin, and prints the time, the peak memory (VmHWM) and the ratio against a plain
//! `sort_unstable_by_key` of the same data measured in the same run.
//!
//! Run with `cargo bench --manifest-path plugins/Cargo.toml -p vouchers`. The target is well
//! under 5 s; the closing's real cost is the store and the ledger, not this.

use std::hint::black_box;
use std::time::{Duration, Instant};

use vouchers::rank::{self, Candidate, Criterion, tax_key};
use vouchers::rules::{AmountRule, split};

const APPLICATIONS: usize = 100_000;
const RUNS: usize = 5;
const TARGET: Duration = Duration::from_secs(5);

/// A small deterministic generator (SplitMix64): the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn synthetic() -> Vec<Candidate> {
    let rule = AmountRule {
        base_cents: vec![15_000, 25_000, 35_000, 40_000],
        per_minor_cents: 5_000,
        max_cents: Some(50_000),
    };
    let mut rng = Rng(2025);
    (0..APPLICATIONS)
        .map(|i| {
            let household = 1 + rng.below(6) as u8;
            let minors = rng.below(u64::from(household)) as u8;
            Candidate {
                tax: tax_key(&format!("TST{i:013}")),
                priority: [0; 3],
                // A month of submissions, with many in the same second.
                submitted_at: 1_735_689_600_000 + rng.below(30 * 86_400) as i64 * 1000,
                isee_cents: rng.below(3_000_000) as i64,
                amount_cents: rule.amount(Some(u32::from(household)), Some(u32::from(minors))),
                household,
                minors,
                income_loss: rng.below(4) == 0,
            }
        })
        .collect()
}

/// Peak resident memory of this process in KiB, from /proc (Linux only).
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn best_of<F: FnMut() -> Duration>(mut f: F) -> Duration {
    (0..RUNS).map(|_| f()).min().unwrap_or_default()
}

fn main() {
    let data = synthetic();
    let criteria = [
        Criterion::IseeAsc,
        Criterion::MinorsDesc,
        Criterion::HouseholdDesc,
        Criterion::IncomeLossFirst,
    ];
    let budget: i64 = data.iter().map(|c| c.amount_cents).sum::<i64>() / 2;
    let denominations = [5_000, 2_000, 1_000, 500];

    let baseline = best_of(|| {
        let mut copy = data.clone();
        let start = Instant::now();
        copy.sort_unstable_by_key(|c| c.submitted_at);
        black_box(&copy);
        start.elapsed()
    });

    let mut funded = 0;
    let mut vouchers = 0;
    let full = best_of(|| {
        let mut copy = data.clone();
        let start = Instant::now();
        rank::rank(&mut copy, &criteria);
        let assignment = rank::assign(&copy, budget);
        funded = assignment.funded;
        vouchers = copy[..assignment.funded]
            .iter()
            .map(|c| split(c.amount_cents, &denominations).len())
            .sum::<usize>();
        black_box(&copy);
        start.elapsed()
    });

    let ratio = full.as_secs_f64() / baseline.as_secs_f64().max(1e-9);
    println!("applications:     {APPLICATIONS}");
    println!("funded:           {funded} ({vouchers} vouchers), budget {budget} cents");
    println!(
        "baseline sort:    {:>10.3} ms (sort_unstable_by_key on submission time)",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "rank + assign:    {:>10.3} ms (four criteria, then time and id; best of {RUNS})",
        full.as_secs_f64() * 1e3
    );
    println!("ratio:            {ratio:>10.2}x the baseline");
    println!(
        "tuples:           {:>10.1} MiB ({} bytes each)",
        (APPLICATIONS * std::mem::size_of::<Candidate>()) as f64 / (1024.0 * 1024.0),
        std::mem::size_of::<Candidate>()
    );
    match peak_kib() {
        Some(kib) => println!(
            "peak memory:      {:>10.1} MiB (VmHWM of the whole process)",
            kib as f64 / 1024.0
        ),
        None => println!("peak memory:      unavailable (no /proc/self/status)"),
    }
    let verdict = if full < TARGET { "within" } else { "OVER" };
    println!("target:           {verdict} {} s", TARGET.as_secs());
    if full >= TARGET {
        std::process::exit(1);
    }
}
