//! Memory and answers under sign-up and login storms: `CONNECTIONS` clients sign up new
//! accounts back to back, then log in to them back to back, against `trama serve` (release
//! build, SQLite), while the server's resident memory is sampled from `/proc`.
//!
//! Run with `cargo bench -p trama --bench storms`. Password hashing (argon2, 19 MiB per hash) is
//! what made memory balloon before it was bounded: 16 sign-up connections took the server from
//! 193 MB to 3.9 GB. It prints the resident memory at rest (the baseline of this run), the peak
//! during each storm, their ratio to the baseline, how the requests were answered (303 done, 503
//! busy with `Retry-After`, anything else) and whether the goal holds: the peak stays under
//! `GOAL_MB` through both storms.

// Each bench uses part of the e2e harness.
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::verdict;
use support::{HELLO, PASSWORD, Server, TestInstance};

const CONNECTIONS: usize = 64;
const STORM: Duration = Duration::from_secs(15);
const GOAL_MB: f64 = 300.0;

/// The accounts the sign-up storm created, which the login storm logs in to.
static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// A field of `/proc/PID/status` in MB (`VmRSS`, `VmHWM`).
fn memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Samples the resident memory of `pid` every 50 ms until `stop`; returns the highest, in MB.
fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<f64> {
    std::thread::spawn(move || {
        let mut peak: f64 = 0.0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(memory_mb(pid, "VmRSS"));
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    })
}

/// How a storm's requests were answered, by status.
type Answers = BTreeMap<u16, u64>;

/// `CONNECTIONS` clients, each with its own cookies, send `request(client, n)` back to back
/// for `STORM`.
async fn storm<F, Fut>(server: &Server, request: F) -> (Answers, Duration)
where
    F: Fn(usize, u64, support::Client, String) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Option<u16>> + Send,
{
    let started = Instant::now();
    let until = started + STORM;
    let counter = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|client_no| {
            let request = request.clone();
            let base = server.base.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut answers = Answers::new();
                let client = support::Client::new();
                while Instant::now() < until {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let status = request(
                        client_no,
                        n,
                        support::Client {
                            http: client.http.clone(),
                        },
                        base.clone(),
                    )
                    .await;
                    *answers.entry(status.unwrap_or(0)).or_default() += 1;
                }
                answers
            })
        })
        .collect();
    let mut all = Answers::new();
    for task in tasks {
        for (status, count) in task.await.expect("storm task") {
            *all.entry(status).or_default() += count;
        }
    }
    (all, started.elapsed())
}

/// Posts a form with the client's CSRF token, from client number `client_no`'s own address
/// (the server trusts `X-Forwarded-For`, as behind a proxy: 64 people, not one host); the
/// status, or `None` if no answer came.
async fn post(
    client: &support::Client,
    client_no: usize,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Option<u16> {
    let session: serde_json::Value = client
        .http
        .get(format!("{base}/session"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let token = session["csrf_token"].as_str()?.to_owned();
    let mut form = vec![("_csrf", token.as_str())];
    form.extend_from_slice(fields);
    let response = client
        .http
        .post(format!("{base}{path}"))
        .header(
            "x-forwarded-for",
            format!("10.9.{}.{}", client_no / 250, client_no % 250),
        )
        .form(&form)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

fn report(name: &str, answers: &Answers, elapsed: Duration, peak: f64, baseline: f64) {
    let total: u64 = answers.values().sum();
    let shown: Vec<String> = answers
        .iter()
        .map(|(status, count)| match status {
            0 => format!("no answer {count}"),
            status => format!("{status} {count}"),
        })
        .collect();
    println!(
        "  {name:<22} peak {peak:>7.1} MB  ({:>4.2}x rest)  {:>6.0} req/s  [{}]",
        peak / baseline,
        total as f64 / elapsed.as_secs_f64(),
        shown.join(", ")
    );
}

fn main() {
    let instance = TestInstance::new("storms", HELLO);
    let root = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with_args(
        &[instance.path()],
        &root.path().join("component-cache"),
        &["--trust-proxy"],
    );
    let pid = server.pid();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        // Rest: the server has started and served a page.
        let _ = reqwest::get(server.url("/")).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let baseline = memory_mb(pid, "VmRSS");
        println!(
            "storms: {CONNECTIONS} connections, {STORM:?} each, trama serve (release, SQLite)"
        );
        println!("  {:<22} rss  {baseline:>7.1} MB", "at rest (baseline)");

        let stop = Arc::new(AtomicBool::new(false));
        let sampler = sample_peak(pid, stop.clone());
        let (signups, elapsed) = storm(&server, |client_no, n, client, base| async move {
            let username = format!("persona{n:06}");
            let status = post(
                &client,
                client_no,
                &base,
                "/signup",
                &[
                    ("display_name", "Persona"),
                    ("username", &username),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
            if status == Some(303) {
                CREATED
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(username);
            }
            status
        })
        .await;
        stop.store(true, Ordering::Relaxed);
        let signup_peak = sampler.join().expect("sampler");
        report("sign-up storm", &signups, elapsed, signup_peak, baseline);
        let created: Arc<Vec<String>> = Arc::new(std::mem::take(
            &mut *CREATED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ));
        assert!(!created.is_empty(), "the sign-up storm created no account");

        let stop = Arc::new(AtomicBool::new(false));
        let sampler = sample_peak(pid, stop.clone());
        let (logins, elapsed) = storm(&server, move |client_no, n, client, base| {
            // Only accounts the first storm created: every login checks a real hash.
            let username = created[usize::try_from(n).unwrap_or(0) % created.len()].clone();
            async move {
                let fields = [("username", username.as_str()), ("password", PASSWORD)];
                post(&client, client_no, &base, "/login", &fields).await
            }
        })
        .await;
        stop.store(true, Ordering::Relaxed);
        let login_peak = sampler.join().expect("sampler");
        report("login storm", &logins, elapsed, login_peak, baseline);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = memory_mb(pid, "VmRSS");
        let high_water = memory_mb(pid, "VmHWM");
        println!(
            "  {:<22} anonymous {:.1} MB, files {:.1} MB, threads {}",
            "resident, of which",
            memory_mb(pid, "RssAnon"),
            memory_mb(pid, "RssFile"),
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .map_or(String::new(), |t| t.trim().to_owned())
        );
        println!(
            "  {:<22} rss  {after:>7.1} MB  ({:>4.2}x rest); high-water mark {high_water:.1} MB",
            "after the storms",
            after / baseline
        );
        let peak = signup_peak.max(login_peak).max(high_water);
        println!(
            "  goal: peak under {GOAL_MB:.0} MB through both storms: {peak:.1} MB, {}",
            verdict(peak < GOAL_MB)
        );
    });
}
