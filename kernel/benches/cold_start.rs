//! Start-up of `trama serve` (release build) with one instance of four plugins: from spawning the
//! process to `/healthz` answering, with an empty component cache (every component is compiled)
//! against a warm one (compiled code is loaded from disk).
//!
//! Run with `cargo bench -p trama --bench cold_start` (cargo builds the release `trama` binary;
//! the plugins are built if stale). A first start creates the database and runs the install
//! hooks, so that the runs measured differ only in the cache. Cold and warm runs alternate;
//! it prints every run, the medians and the ratio cold / warm.

// Each bench uses part of the e2e harness.
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::median;
use support::{Server, TestInstance};

const RUNS: usize = 5;

const PLUGINS: &str = r#"
[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]

[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
voucher_code_prefix = "PR"

[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "protocol"]
"#;

/// Spawns the server and waits until `/healthz` answers; returns the time that took.
fn start(runtime: &tokio::runtime::Runtime, instance: &Path, cache: &Path) -> (Duration, Server) {
    let started = Instant::now();
    let server = Server::start_with_cache(&[instance], cache);
    let health = server.url("/healthz");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        loop {
            match client.get(&health).send().await {
                Ok(response) if response.status().is_success() => break,
                _ if started.elapsed() > Duration::from_secs(300) => {
                    panic!("/healthz did not answer within 300 s")
                }
                _ => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
    });
    (started.elapsed(), server)
}

fn main() {
    let instance = TestInstance::new("avvio", PLUGINS);
    let root = tempfile::tempdir().expect("tempdir");
    let warm_cache = root.path().join("warm-cache");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // Builds the plugins if needed, creates the database, runs install hooks, fills the cache.
    let (first, server) = start(&runtime, instance.path(), &warm_cache);
    drop(server);
    println!("first start (database created, components compiled): {first:.2?}");
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let empty = root.path().join(format!("cold-cache-{run}"));
        let (took, server) = start(&runtime, instance.path(), &empty);
        drop(server);
        cold.push(took);
        let (took, server) = start(&runtime, instance.path(), &warm_cache);
        drop(server);
        warm.push(took);
    }
    println!("cold (empty component cache): {cold:.2?}");
    println!("warm (components cached):     {warm:.2?}");
    let (cold, warm) = (median(&mut cold), median(&mut warm));
    println!(
        "median over {RUNS} runs: cold {cold:.2?}, warm {warm:.2?}; cold / warm {:.1}x (4 plugins)",
        cold.as_secs_f64() / warm.as_secs_f64()
    );
}
