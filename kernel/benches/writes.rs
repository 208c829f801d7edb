//! What one transaction per plugin call costs and buys, under write load: 32 concurrent clients
//! on one instance, on SQLite and on PostgreSQL, each variant measured against its baseline in
//! the same run, alternating rounds.
//!
//! Run with `cargo bench -p trama --bench writes` (release `trama`, PostgreSQL on
//! 127.0.0.1:5432 as for the tests). Two workloads of the hello plugin:
//!
//! - **greetings**: `POST /api/greetings` writes a document, publishes an event and writes an
//!   audit entry — one transaction (host API 1.3) — against `?commit=each`, which commits the
//!   three one by one (`store.checkpoint`), as kernels before 1.3 committed every host call.
//! - **counter**: `POST /api/visits` bumps one counter document that every client updates —
//!   read with `store.lock` — against `?optimistic=1`, a plain read and a version-guarded write
//!   retried on conflicts (16 attempts), as plugins had to before 1.3.
//!
//! For each it prints requests per second, p50 and p99 latency, how many requests were refused
//! (409 after the retries), and the ratio of the 1.3 way to the baseline.

// Each bench uses part of the e2e harness.
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

mod common;

use std::time::{Duration, Instant};

use common::{Totals, summarize};
use serde_json::{Value, json};
use support::{HELLO, PgDatabase, Server, TestInstance};

const CLIENTS: usize = 32;
const WARMUP: Duration = Duration::from_secs(1);
const DURATION: Duration = Duration::from_secs(4);
const ROUNDS: usize = 2;

/// Prints `totals` as one line of the report.
fn report(totals: &mut Totals, name: &str) {
    let (rate, ok, refused) = (totals.rate(), totals.ok, totals.refused);
    let summary = summarize(&mut totals.latencies).expect("some requests succeeded");
    println!(
        "    {name:<34} {rate:>7.0} req/s   p50 {:>8.2?}   p99 {:>8.2?}   ({ok} done, {refused} refused)",
        summary.p50, summary.p99,
    );
}

/// `CLIENTS` clients, each with its own cookies and CSRF token, POST `body` to `url` back to
/// back until `duration` has passed.
async fn load(server: &Server, path: &str, body: &Value, duration: Duration) -> Totals {
    let started = Instant::now();
    let until = started + duration;
    let url = server.url(path);
    let session = server.url("/session");
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client_no| {
            let (url, session, body) = (url.clone(), session.clone(), body.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .cookie_store(true)
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("client");
                let token: Value = client
                    .get(&session)
                    .send()
                    .await
                    .expect("session")
                    .json()
                    .await
                    .expect("session JSON");
                let token = token["csrf_token"].as_str().expect("token").to_owned();
                let mut totals = Totals::default();
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let mut body = body.clone();
                    if let Some(object) = body.as_object_mut() {
                        object.insert("name".into(), json!(format!("Cliente {client_no}-{n}")));
                    }
                    let sent = Instant::now();
                    let answer = client
                        .post(&url)
                        .header("accept", "application/json")
                        .header("x-csrf-token", &token)
                        .json(&body)
                        .send()
                        .await
                        .expect("the server answers");
                    let status = answer.status();
                    let _ = answer.bytes().await;
                    if status.is_success() {
                        totals.ok += 1;
                        totals.latencies.push(sent.elapsed());
                    } else if status.as_u16() == 409 {
                        totals.refused += 1;
                    } else {
                        panic!("POST {url}: {status}");
                    }
                }
                totals
            })
        })
        .collect();
    let mut totals = Totals::default();
    for task in tasks {
        totals.add(task.await.expect("client task"));
    }
    totals.elapsed = started.elapsed();
    totals
}

/// Measures `(label, path)` against `(baseline label, baseline path)` in alternating rounds.
async fn compare(server: &Server, body: &Value, new: (&str, &str), old: (&str, &str)) {
    load(server, new.1, body, WARMUP).await;
    load(server, old.1, body, WARMUP).await;
    let (mut after, mut before) = (Totals::default(), Totals::default());
    for round in 1..=ROUNDS {
        eprintln!("round {round}: {}", new.0);
        after.add(load(server, new.1, body, DURATION).await);
        eprintln!("round {round}: {}", old.0);
        before.add(load(server, old.1, body, DURATION).await);
    }
    report(&mut after, new.0);
    report(&mut before, old.0);
    println!(
        "    1.3 / baseline: {:.2}x the requests per second",
        after.rate() / before.rate()
    );
}

async fn workloads(server: &Server, database: &str) {
    println!("{database}, {CLIENTS} clients, {ROUNDS} rounds of {DURATION:?} each:");
    println!("  greetings (document + event + audit entry):");
    let greeting = json!({"message": "ciao"});
    compare(
        server,
        &greeting,
        ("one transaction per call", "/p/hello/api/greetings"),
        (
            "commit at each step (before 1.3)",
            "/p/hello/api/greetings?commit=each",
        ),
    )
    .await;
    println!("  counter (one document every client bumps):");
    compare(
        server,
        &json!({}),
        ("store.lock", "/p/hello/api/visits"),
        (
            "optimistic retries (before 1.3)",
            "/p/hello/api/visits?optimistic=1",
        ),
    )
    .await;
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cache = tempfile::tempdir().expect("tempdir");
    let sqlite = TestInstance::new("writes", HELLO);
    let server = Server::start_with_cache(&[sqlite.path()], &cache.path().join("components"));
    runtime.block_on(workloads(&server, "SQLite"));
    drop(server);
    let pg = runtime.block_on(PgDatabase::create());
    let postgres = TestInstance::new(
        "writes",
        &format!("[database]\nurl = \"{}\"\n{HELLO}", pg.url),
    );
    let server = Server::start_with_cache(&[postgres.path()], &cache.path().join("components"));
    runtime.block_on(workloads(&server, "PostgreSQL"));
    drop(server);
    drop(pg);
}
