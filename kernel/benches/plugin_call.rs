//! Plugin call overhead over real HTTP: the same JSON route served by a native axum handler in
//! this process and by the hello plugin through the kernel (`trama serve`, release build), both on
//! 127.0.0.1, loaded by the same closed-loop generator in the same run.
//!
//! Run with `cargo bench -p trama --bench plugin_call` (cargo builds the release `trama` binary
//! the bench starts; the hello plugin is built if stale). The route is `GET /api/time`,
//! answering `{"now": unix ms, "utc": RFC 3339}`: the plugin reads the clock through the host and
//! formats the date, the native twin does the same. Each server is a process of its own with
//! tokio's default multi-thread runtime, as `trama serve` is: the native twin is this bench
//! binary started again with `NATIVE_SERVER` set, so it does not share its runtime (and its
//! worker threads) with the load generator. It prints, for each server, requests per
//! second, p50 and p99 latency over `CONNECTIONS` keep-alive connections for `ROUNDS` rounds of
//! `DURATION` each (alternating, after a warm-up), then the ratio plugin / native and whether the
//! goal (the plugin at least 0.5x the native throughput) is met. With `TRAMA_BENCH_BASELINE`
//! set to `BINARY:PLUGINS` (an earlier `trama` and the plugins folder it was built with), that
//! kernel serves its hello plugin in the same rounds and the bench prints the two kernels' ratio.

// Each bench uses part of the e2e harness.
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/support/mod.rs"]
mod support;

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::{Json, Router, routing::get};
use common::{Summary, summarize, verdict};
use serde_json::{Value, json};
use support::{HELLO, Server, TestInstance};

const CONNECTIONS: usize = 16;
const WARMUP: Duration = Duration::from_secs(2);
const DURATION: Duration = Duration::from_secs(5);
const ROUNDS: usize = 2;
const GOAL: f64 = 0.5;

/// The native twin of hello's `GET /api/time`.
async fn time_now() -> Json<Value> {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let utc = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(format).ok())
        .unwrap_or_default();
    Json(json!({ "now": ms, "utc": utc }))
}

/// Optionally, another `trama` binary (an earlier version) and the plugins folder it was built
/// with (`BINARY:PLUGINS`): its hello plugin is then loaded in the same rounds, and the bench
/// prints this kernel against that one.
const BASELINE: &str = "TRAMA_BENCH_BASELINE";

/// The baseline kernel of [`BASELINE`], serving hello from its own plugins folder.
fn baseline_server(cache: &std::path::Path) -> Option<(Server, TestInstance, String)> {
    let setting = std::env::var(BASELINE).ok()?;
    let (binary, plugins) = setting
        .split_once(':')
        .unwrap_or_else(|| panic!("{BASELINE} is BINARY:PLUGINS, not {setting}"));
    let instance = TestInstance::new("baseline", HELLO);
    let manifest_path = instance.path().join("instance.toml");
    let manifest = std::fs::read_to_string(&manifest_path).expect("instance.toml");
    let ours = support::repo_root().join("plugins").display().to_string();
    std::fs::write(&manifest_path, manifest.replace(&ours, plugins)).expect("write");
    let mut child = Command::new(binary)
        .arg("serve")
        .arg(instance.path())
        .args(["--listen", "127.0.0.1:0", "--no-build", "--cache-dir"])
        .arg(cache)
        .env("TRAMA_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the baseline kernel");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let base = loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("the baseline's output") == 0 {
            panic!("the baseline kernel stopped before listening");
        }
        if let Some(addr) = line.trim().strip_prefix("Trama listening on ") {
            break addr.to_owned();
        }
    };
    let server = Server::adopt(child, base);
    let url = server.url("/p/hello/api/time");
    Some((server, instance, url))
}

/// Set in the environment of the child process that serves the native twin.
const NATIVE_SERVER: &str = "TRAMA_BENCH_NATIVE_SERVER";

/// The native twin's process: serves `GET /api/time` on a free port, prints its address on
/// the first line of stdout, and serves until killed.
fn serve_native() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        println!("{addr}");
        let app = Router::new().route("/api/time", get(time_now));
        axum::serve(listener, app).await.expect("native server");
    });
}

/// The native twin, running in its own process; killed when dropped.
struct NativeServer {
    child: Child,
    url: String,
}

impl NativeServer {
    fn start() -> Self {
        let exe = std::env::current_exe().expect("this bench binary");
        let mut child = Command::new(exe)
            .env(NATIVE_SERVER, "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the native server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the native server's address");
        let url = format!("http://{}/api/time", line.trim());
        Self { child, url }
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One load run: completed requests, errors, the wall time and every latency.
struct Run {
    ok: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

/// `CONNECTIONS` clients, each with one keep-alive connection and its own cookie store, send
/// requests back to back until `duration` has passed. Both servers get identical clients.
async fn load(url: &str, duration: Duration) -> Run {
    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            // Like a browser or an API client, each keeps its cookies: the CSRF cookie an
            // anonymous first request receives is sent back, not issued anew on every request.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .cookie_store(true)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let url = url.to_owned();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < until {
                    let sent = Instant::now();
                    let answer = client
                        .get(&url)
                        .header("accept", "application/json")
                        .send()
                        .await;
                    match answer {
                        Ok(response) if response.status().is_success() => {
                            if response.bytes().await.is_ok() {
                                latencies.push(sent.elapsed());
                            } else {
                                errors += 1;
                            }
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut run = Run {
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors) = task.await.expect("load task");
        run.ok += latencies.len();
        run.errors += errors;
        run.latencies.extend(latencies);
    }
    run.elapsed = started.elapsed();
    run
}

/// Both answers carry the same fields, so the two routes do the same work.
async fn check_same_shape(native: &str, plugin: &str) {
    let client = reqwest::Client::new();
    let mut keys = Vec::new();
    for url in [native, plugin] {
        let body: Value = client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|err| panic!("GET {url}: {err}"))
            .json()
            .await
            .unwrap_or_else(|err| panic!("GET {url}: {err}"));
        let mut fields: Vec<String> = body
            .as_object()
            .expect("a JSON object")
            .keys()
            .cloned()
            .collect();
        fields.sort();
        keys.push(fields);
    }
    assert_eq!(
        keys[0], keys[1],
        "the native and the plugin answers differ in shape"
    );
}

struct Totals {
    ok: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Totals {
    fn new() -> Self {
        Self {
            ok: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
        }
    }

    fn add(&mut self, run: Run) {
        self.ok += run.ok;
        self.errors += run.errors;
        self.elapsed += run.elapsed;
        self.latencies.extend(run.latencies);
    }

    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn report(&mut self, name: &str) -> Summary {
        let summary = summarize(&mut self.latencies).expect("some requests succeeded");
        println!(
            "  {name:<28} {:>8.0} req/s   p50 {:>8.2?}   p99 {:>8.2?}   ({} requests, {} errors)",
            self.rate(),
            summary.p50,
            summary.p99,
            self.ok,
            self.errors,
        );
        summary
    }
}

fn main() {
    if std::env::var_os(NATIVE_SERVER).is_some() {
        serve_native();
        return;
    }
    let native_server = NativeServer::start();
    let native_url = native_server.url.clone();
    let instance = TestInstance::new("bench", HELLO);
    let root = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with_cache(&[instance.path()], &root.path().join("component-cache"));
    let plugin_url = server.url("/p/hello/api/time");
    let baseline = baseline_server(&root.path().join("baseline-cache"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        check_same_shape(&native_url, &plugin_url).await;
        load(&native_url, WARMUP).await;
        load(&plugin_url, WARMUP).await;
        if let Some((_, _, url)) = &baseline {
            check_same_shape(&native_url, url).await;
            load(url, WARMUP).await;
        }
        let (mut native, mut plugin, mut older) = (Totals::new(), Totals::new(), Totals::new());
        // Progress goes to stderr, so that a profiler can be attached to one phase.
        for round in 1..=ROUNDS {
            eprintln!("round {round}: native");
            native.add(load(&native_url, DURATION).await);
            eprintln!("round {round}: plugin");
            plugin.add(load(&plugin_url, DURATION).await);
            if let Some((_, _, url)) = &baseline {
                eprintln!("round {round}: baseline kernel");
                older.add(load(url, DURATION).await);
            }
        }
        println!(
            "GET /api/time, {CONNECTIONS} keep-alive connections, {ROUNDS} rounds of {DURATION:?} each (after {WARMUP:?} warm-up):"
        );
        let native_summary = native.report("native axum handler");
        let plugin_summary = plugin.report("hello plugin via trama");
        let ratio = plugin.rate() / native.rate();
        println!(
            "plugin / native: {ratio:.2}x the requests per second, p50 {:.2}x, p99 {:.2}x the latency",
            plugin_summary.p50.as_secs_f64() / native_summary.p50.as_secs_f64(),
            plugin_summary.p99.as_secs_f64() / native_summary.p99.as_secs_f64(),
        );
        println!("goal: the plugin route at least {GOAL}x the native one: {}", verdict(ratio >= GOAL));
        if baseline.is_some() {
            let older_summary = older.report("hello via the baseline kernel");
            println!(
                "this kernel / baseline kernel: {:.2}x the requests per second, p50 {:.2}x, p99 {:.2}x the latency",
                plugin.rate() / older.rate(),
                plugin_summary.p50.as_secs_f64() / older_summary.p50.as_secs_f64(),
                plugin_summary.p99.as_secs_f64() / older_summary.p99.as_secs_f64(),
            );
        }
    });
    drop(baseline);
    drop(server);
    drop(native_server);
}
