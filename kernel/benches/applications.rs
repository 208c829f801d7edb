//! Vouchers applications as more citizens apply at once: does the throughput hold past 16
//! concurrent writers, and is anyone refused with a spurious conflict?
//!
//! Every application bumps one of the campaign's tally documents (a count and an amount per
//! shard), so concurrent applications meet on those documents. Before host API 1.3 they were
//! read and written with optimistic versions and retried; at 16 writers and more the
//! throughput collapsed (from about 280 to about 32 requests per second) and 4–6 % of the
//! applicants got `409 tallies/… is no longer at version N`. Now the plugin reads a tally with
//! `store.lock`, and the whole application is one transaction.
//!
//! Run with `cargo bench -p trama --bench applications` (release `trama`, PostgreSQL on
//! 127.0.0.1:5432 as for the tests). For 1, 4, 16 and 32 concurrent applicants on SQLite and on
//! PostgreSQL it prints applications per second, p50 and p99 latency, how many were refused,
//! and the ratio to one applicant at a time in the same run.

// Each bench uses part of the e2e harness.
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Totals, summarize};
use serde_json::json;
use support::{Client, PgDatabase, Server, TestInstance, VOUCHERS, add_user, login, sign_up};

const WRITERS: [usize; 4] = [1, 4, 16, 32];
const WARMUP: Duration = Duration::from_secs(1);
const DURATION: Duration = Duration::from_secs(5);

/// The `n`th of a series of valid numeric tax codes (eleven digits, the last a check digit),
/// so that every application is a different applicant.
fn tax_code(n: u64) -> String {
    let body = format!("{:010}", 1_000_000_000 + n % 9_000_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            if i % 2 == 0 {
                digit
            } else if digit * 2 > 9 {
                digit * 2 - 9
            } else {
                digit * 2
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// `applicants` (each with their own session and CSRF token) post applications back to back
/// until `duration` has passed.
async fn load(
    server: &Server,
    applicants: &[(Client, String)],
    path: &str,
    serial: &Arc<AtomicU64>,
    duration: Duration,
) -> Totals {
    let started = Instant::now();
    let until = started + duration;
    let url = server.url(path);
    let tasks: Vec<_> = applicants
        .iter()
        .map(|(client, token)| {
            let (http, token, url, serial) = (
                client.http.clone(),
                token.clone(),
                url.clone(),
                serial.clone(),
            );
            tokio::spawn(async move {
                let mut totals = Totals::default();
                while Instant::now() < until {
                    let n = serial.fetch_add(1, Ordering::Relaxed);
                    let application = json!({
                        "tax_code": tax_code(n),
                        "household_size": 2 + n % 4,
                        "minors": n % 2,
                        "isee": format!("{}", 3_000 + (n * 37) % 11_000),
                        "resident": true,
                        "income_loss": false,
                    });
                    let sent = Instant::now();
                    let answer = http
                        .post(&url)
                        .header("accept", "application/json")
                        .header("x-csrf-token", &token)
                        .json(&application)
                        .send()
                        .await
                        .expect("the server answers");
                    let status = answer.status().as_u16();
                    let body = answer.text().await.unwrap_or_default();
                    match status {
                        201 => {
                            totals.ok += 1;
                            totals.latencies.push(sent.elapsed());
                        }
                        409 => totals.refused += 1,
                        _ => panic!("POST {url}: {status} {body}"),
                    }
                }
                totals
            })
        })
        .collect();
    let mut totals = Totals::default();
    for task in tasks {
        totals.add(task.await.expect("applicant task"));
    }
    totals.elapsed = started.elapsed();
    totals
}

async fn scaling(server: &Server, database: &str) {
    let operator = login(server, "operatrice").await;
    let today = time::OffsetDateTime::now_utc().date();
    let (status, campaign) = operator
        .send_json(
            server,
            reqwest::Method::POST,
            "/p/vouchers/api/campaigns",
            &winter_campaign(json!({
            "title": "Buoni spesa",
            "measure": "food",
            "opens_on": (today - time::Duration::days(1)).to_string(),
            "closes_on": (today + time::Duration::days(10)).to_string(),
            "budget": "10.000.000,00",
            })),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let id = campaign["id"].as_str().expect("campaign id");
    let path = format!("/p/vouchers/api/campaigns/{id}/applications");

    let most = WRITERS.iter().copied().max().unwrap_or(1);
    let mut applicants = Vec::with_capacity(most);
    for i in 0..most {
        let client = sign_up(server, &format!("cittadino{i}"), &format!("Cittadino {i}")).await;
        let token = client.csrf(server).await;
        applicants.push((client, token));
    }
    let serial = Arc::new(AtomicU64::new(0));
    load(server, &applicants, &path, &serial, WARMUP).await;

    println!("{database}: vouchers applications, {DURATION:?} per step");
    let mut alone = None;
    for writers in WRITERS {
        let mut run = load(server, &applicants[..writers], &path, &serial, DURATION).await;
        let rate = run.rate();
        let baseline = *alone.get_or_insert(rate);
        let summary = summarize(&mut run.latencies).expect("some applications were accepted");
        println!(
            "  {writers:>2} applicants at once: {rate:>6.0} applications/s   p50 {:>8.2?}   p99 {:>8.2?}   {} refused of {}   {:.2}x one applicant",
            summary.p50,
            summary.p99,
            run.refused,
            run.ok + run.refused,
            rate / baseline,
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cache = tempfile::tempdir().expect("tempdir");
    let components = cache.path().join("components");

    let sqlite = TestInstance::new("applications", VOUCHERS);
    add_user(&sqlite, "operatrice", "operator");
    let server = Server::start_with_cache(&[sqlite.path()], &components);
    runtime.block_on(scaling(&server, "SQLite"));
    drop(server);

    let pg = runtime.block_on(PgDatabase::create());
    let postgres = TestInstance::new(
        "applications",
        &format!("[database]\nurl = \"{}\"\n{VOUCHERS}", pg.url),
    );
    add_user(&postgres, "operatrice", "operator");
    let server = Server::start_with_cache(&[postgres.path()], &components);
    runtime.block_on(scaling(&server, "PostgreSQL"));
    drop(server);
    drop(pg);
}

/// The vouchers plugin's standard winter notice (its questions, amounts and rules, from the
/// plugin's own test fixture) with `head`: title, measure, dates and budget.
fn winter_campaign(mut head: serde_json::Value) -> serde_json::Value {
    let rules: serde_json::Map<String, serde_json::Value> = serde_json::from_str(include_str!(
        "../../plugins/vouchers/tests/fixtures/winter-rules.json"
    ))
    .expect("winter-rules.json");
    head.as_object_mut().expect("a JSON object").extend(rules);
    head
}
