//! What one plugin call pays before the plugin runs: a fresh `Store` with its memory limiter and
//! deadline, and an instance of the pre-linked component, with wasmtime's pooling allocator (what
//! `trama serve` uses) against the on-demand allocator, measured in the same run.
//!
//! Run with `cargo bench -p trama --bench instantiate`. For each allocator it prints the median
//! and 99th percentile of:
//! - instantiation: `Store::new` + limiter + deadline + `instantiate` (the goal: median under 50 µs),
//! - the whole lifecycle: the above plus dropping the store, which returns the slot (pooling) or
//!   unmaps the memory (on-demand),
//! - a trivial call: the whole lifecycle plus `GET /api/time` of the hello plugin,
//!
//! and the ratio on-demand / pooling of each median.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Summary, summarize, verdict};
use trama::host::bindings::PluginPre;
use trama::host::bindings::types::HttpRequest;
use trama::host::call::{CallSetup, CallState, PluginContext, new_store};
use trama::host::{Allocation, PluginHost};
use trama_manifest::Capability;

const WARMUP: usize = 1_000;
const CALLS: usize = 20_000;
const GOAL: Duration = Duration::from_micros(50);
const DEADLINE: Duration = Duration::from_secs(5);

/// An anonymous call with the bench's deadline.
fn setup() -> CallSetup {
    CallSetup {
        caller: None,
        deadline: DEADLINE,
        subscribers: Arc::default(),
        uploads: Vec::new(),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernel/ has a parent")
        .to_path_buf()
}

/// The hello plugin linked with every capability, and a context on a fresh SQLite database.
async fn hello(host: &PluginHost, dir: &Path) -> (PluginPre<CallState>, Arc<PluginContext>) {
    let component_path = trama_plugin_build::ensure_built(&repo_root().join("plugins/hello"))
        .unwrap_or_else(|err| panic!("building hello: {err}"));
    let component = host.load_component(&component_path).expect("load hello");
    let granted: BTreeSet<Capability> = Capability::ALL.into_iter().collect();
    let pre = host
        .prepare("hello", &component, &granted)
        .expect("link hello");
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let db = trama::db::Db::connect(&url).await.expect("database");
    let ctx = PluginContext {
        instance: "bench".into(),
        plugin: "hello".into(),
        version: semver::Version::new(1, 0, 0),
        docs: trama::docstore::DocStore::new(db.clone(), "bench", "hello", Arc::default()),
        ledger: trama::ledger::Ledger::new(db.clone(), "bench", "hello"),
        outbox: trama::notify::Outbox::new(db.clone(), "bench", "hello"),
        db,
        settings: "{}".into(),
        memory_cap: 64 << 20,
        publishes: BTreeSet::new(),
        event_schemas: trama_manifest::EventSchemas::default(),
        roles: BTreeSet::new(),
        catalogues: Arc::default(),
        events_wake: Arc::default(),
        sealer: None,
        files_sealer: None,
    };
    (pre, Arc::new(ctx))
}

fn time_request() -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        path: "/api/time".into(),
        query: Vec::new(),
        headers: vec![("accept".into(), "application/json".into())],
        form: Vec::new(),
        body: Vec::new(),
        locale: "it".into(),
    }
}

struct Figures {
    allocation: Allocation,
    instantiate: Summary,
    lifecycle: Summary,
    call: Summary,
}

/// Instantiates hello `CALLS` times (after a warm-up) in the task this runs in, as a real call
/// does.
async fn measure(
    host: &PluginHost,
    pre: &PluginPre<CallState>,
    ctx: &Arc<PluginContext>,
) -> Figures {
    let engine = host.engine();
    let mut instantiate = Vec::with_capacity(CALLS);
    let mut lifecycle = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let started = Instant::now();
        let mut store = new_store(engine, Arc::clone(ctx), setup());
        pre.instantiate_async(&mut store)
            .await
            .expect("instantiate hello");
        let instantiated = started.elapsed();
        drop(store);
        if i >= WARMUP {
            instantiate.push(instantiated);
            lifecycle.push(started.elapsed());
        }
    }
    let request = time_request();
    let mut call = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let started = Instant::now();
        let mut store = new_store(engine, Arc::clone(ctx), setup());
        let plugin = pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate hello");
        let answer = plugin
            .trama_plugin_handler()
            .call_handle(&mut store, &request)
            .await
            .expect("call hello");
        assert!(answer.is_ok(), "GET /api/time answered an error");
        drop(store);
        if i >= WARMUP {
            call.push(started.elapsed());
        }
    }
    Figures {
        allocation: host.allocation(),
        instantiate: summarize(&mut instantiate).expect("samples"),
        lifecycle: summarize(&mut lifecycle).expect("samples"),
        call: summarize(&mut call).expect("samples"),
    }
}

fn main() {
    let root = tempfile::tempdir().expect("tempdir");
    let cache = root.path().join("component-cache");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut results = Vec::new();
    for allocation in [Allocation::SERVER, Allocation::OnDemand] {
        let host = PluginHost::with_allocation(&cache, allocation).expect("plugin host");
        let (pre, ctx) = runtime.block_on(hello(&host, root.path()));
        let figures = runtime
            .block_on(runtime.spawn(async move { measure(&host, &pre, &ctx).await }))
            .expect("measuring task");
        results.push(figures);
    }
    println!("hello plugin, {CALLS} calls per allocator after {WARMUP} warm-up calls:");
    for f in &results {
        println!(
            "  {:?}: instantiate p50 {:.1?} p99 {:.1?} | with drop p50 {:.1?} p99 {:.1?} | with GET /api/time p50 {:.1?} p99 {:.1?}",
            f.allocation,
            f.instantiate.p50,
            f.instantiate.p99,
            f.lifecycle.p50,
            f.lifecycle.p99,
            f.call.p50,
            f.call.p99,
        );
    }
    let [pooled, on_demand] = &results[..] else {
        unreachable!("two allocators measured")
    };
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "on-demand / pooling medians: instantiate {:.2}x, with drop {:.2}x, with a call {:.2}x",
        ratio(on_demand.instantiate.p50, pooled.instantiate.p50),
        ratio(on_demand.lifecycle.p50, pooled.lifecycle.p50),
        ratio(on_demand.call.p50, pooled.call.p50),
    );
    if pooled.allocation == Allocation::OnDemand {
        println!("note: the pool could not be reserved here, both rows are on-demand");
    }
    println!(
        "goal: instantiation under {GOAL:?} median with the pool: {} ({:.1?})",
        verdict(pooled.instantiate.p50 < GOAL),
        pooled.instantiate.p50,
    );
}
