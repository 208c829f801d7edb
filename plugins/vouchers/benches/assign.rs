//! Ranks and funds 100,000 synthetic applications natively, the way a campaign's closing does
//! inside the plugin, and prints the time, the peak memory (VmHWM) and the ratio against a plain
//! `sort_unstable_by_key` of the same data measured in the same run.
//!
//! Run with `cargo bench --manifest-path plugins/Cargo.toml -p vouchers`. The target is well
//! under 5 s; the closing's real cost is the store and the ledger, not this.
//!
//! A campaign written as a rulebook evaluates its expressions once per application, when it is
//! submitted, and the closing ranks by the priority keys stored then. So the second part ranks
//! and assigns the same applications by a rulebook's priority keys (goal: within 3x of the
//! built-in criteria, measured here in the same run), and then prints what evaluating the
//! rules costs per application against the built-in checks, for the record.

use std::hint::black_box;
use std::time::{Duration, Instant};

use trama_sdk::clock::Date;
use trama_sdk::input::{Input, Problems};
use vouchers::rank::{self, Candidate, Criterion, priority_keys, tax_key};
use vouchers::rulebook::{self, answer, expr::Engine};
use vouchers::rules::{AmountRule, Answers, Eligibility, split};

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

    // The same applications ranked by a rulebook's keys: lowest ISEE first as `-isee`, then
    // households that lost income (the fund's rulebook plus a second key).
    let keyed: Vec<Candidate> = data
        .iter()
        .map(|c| Candidate {
            priority: priority_keys(&[-c.isee_cents, i64::from(c.income_loss)]),
            ..*c
        })
        .collect();
    let by_keys = best_of(|| {
        let mut copy = keyed.clone();
        let start = Instant::now();
        rank::rank(&mut copy, &[]);
        black_box(rank::assign(&copy, budget));
        start.elapsed()
    });
    let key_ratio = by_keys.as_secs_f64() / full.as_secs_f64().max(1e-9);
    println!(
        "rulebook rank:    {:>10.3} ms (two priority keys, then time and id)",
        by_keys.as_secs_f64() * 1e3
    );
    println!(
        "vs built-in:      {key_ratio:>10.2}x rank + assign with the four criteria (goal: within 3x)"
    );

    let per_application = evaluation(&data[..EVALUATED]);
    if full >= TARGET || key_ratio > 3.0 || !per_application {
        std::process::exit(1);
    }
}

/// Applications whose rules are evaluated one by one (enough for a steady figure).
const EVALUATED: usize = 20_000;

/// Prints the cost of deciding one application: the built-in checks against the emergency
/// fund's rulebook (two ceilings, amount per member with a cap, priority, review). Returns
/// whether both decided every application the same way.
fn evaluation(data: &[Candidate]) -> bool {
    let eligibility = Eligibility {
        isee_max_cents: Some(600_000),
        ..Eligibility::default()
    };
    let rule = AmountRule {
        base_cents: vec![20_000, 25_000, 30_000, 35_000, 40_000, 45_000, 50_000],
        per_minor_cents: 0,
        max_cents: Some(50_000),
    };
    let start = Instant::now();
    let mut fixed_total = 0_i64;
    for c in data {
        let answers = Answers {
            household_size: Some(u32::from(c.household)),
            isee_cents: Some(c.isee_cents),
            ..Answers::default()
        };
        if eligibility.check(&answers).is_empty() {
            fixed_total += rule.amount(answers.household_size, None);
        }
    }
    let fixed = start.elapsed();

    let Some(book) = rulebook::template("fondo-emergenza") else {
        println!("the fondo-emergenza template does not read");
        return false;
    };
    let Ok(engine) = Engine::new(&book) else {
        println!("the fondo-emergenza template does not compile");
        return false;
    };
    let day = Date {
        year: 2026,
        month: 1,
        day: 12,
    };
    let prepared: Vec<rulebook::Answers> = data
        .iter()
        .map(|c| {
            let births: Vec<(String, String)> = (1..=c.household)
                .map(|n| (format!("household_{n}_birth_date"), "1980-01-01".to_owned()))
                .collect();
            let mut pairs: Vec<(&str, &str)> = births
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let isee = format!("{}.{:02}", c.isee_cents / 100, c.isee_cents % 100);
            pairs.push(("isee", &isee));
            pairs.push(("income_loss", "no"));
            let mut problems = Problems::default();
            answer::read_all(&book.questions, &Input::from_strs(&pairs), &mut problems)
        })
        .collect();
    let start = Instant::now();
    let mut rule_total = 0_i64;
    for answers in &prepared {
        rule_total += engine.evaluate(&book, answers, day).amount_cents;
    }
    let evaluated = start.elapsed();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / data.len() as f64;
    println!(
        "decide, built-in: {:>10.3} µs per application ({} applications)",
        per(fixed),
        data.len()
    );
    println!(
        "decide, rulebook: {:>10.3} µs per application ({:.0}x; once, at submission)",
        per(evaluated),
        evaluated.as_secs_f64() / fixed.as_secs_f64().max(1e-9)
    );
    let same = fixed_total == rule_total;
    println!(
        "same awards:      {} ({fixed_total} and {rule_total} cents)",
        if same { "yes" } else { "NO" }
    );
    same
}
