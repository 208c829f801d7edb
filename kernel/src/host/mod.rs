//! The plugin host: one wasmtime `Engine` per process, compiled components cached on disk and
//! shared in memory across instances, and a fresh `Store` for every call with a deadline and a
//! memory cap.
//!
//! Each call polls the plugin on a wasmtime fiber in the caller's task: host imports are async
//! and await the database without holding a thread, and a plugin stuck in a loop yields its
//! worker at every epoch tick until its deadline traps it (see [`call`]).
//!
//! Instances come from wasmtime's pooling allocator: the address space for every concurrent
//! instance is reserved once at start, so a call reuses a warm slot instead of mapping and
//! unmapping its memory (see [`Allocation`] for the sizes and `docs/performance.md` for what
//! that buys).

pub mod bindings;
mod cache;
pub mod call;
pub mod changes;
mod imports;
mod limits;
mod settle;
pub mod tx;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trama_manifest::Capability;
use wasmtime::component::{Component, Linker, types::ComponentItem};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use crate::event_store::{PublishedEvent, Subscribers};
pub use call::{CallError, CallOutcome, CallSetup, CallState, PluginContext};
pub use limits::MemoryCapExceeded;

use bindings::PluginPre;

/// How often the epoch advances: this often a running plugin yields its worker thread to other
/// tasks and checks its deadline, so a deadline is enforced to within about one tick.
///
/// Short, because calls share the runtime's worker threads (one per core): with more runaway
/// plugins than cores, every other task waits up to a tick behind each of them.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// The WIT package plugins import from.
const PACKAGE: &str = "trama:plugin/";

/// How many plugin instances may be alive at once in a server. Every call holds exactly one
/// instance (and one fiber stack) until it ends; calls waiting on the database count too. Beyond
/// this many a call is refused as busy at once rather than queued behind the others.
pub const MAX_CONCURRENT_INSTANCES: u32 = 512;

/// The deepest a plugin's own stack may grow; deeper recursion traps as a stack overflow.
const MAX_WASM_STACK_BYTES: usize = 1024 * 1024;

/// Each call runs on a fiber stack of this size: the plugin's stack plus at least as much again
/// for the host imports it calls, which run on the same stack.
const FIBER_STACK_BYTES: usize = 2 * MAX_WASM_STACK_BYTES;

/// The largest memory a manifest may grant one plugin instance (`[limits] memory_mib` allows
/// 1..=1024 MiB). Each pool slot can grow that far; the `CallLimiter` still holds each instance to
/// its own instance's cap, which is usually far lower.
const MAX_MEMORY_BYTES: usize = 1024 * 1024 * 1024;

/// Linear memories per instance, on average. Our plugins (Rust through `wit-component`) have one;
/// the spare slot admits a component that bundles a second core module with its own memory.
/// Each slot reserves (but does not commit) 4 GiB of address space plus a guard region, so
/// 1024 slots reserve about 4 TiB of the 128 TiB a 64-bit Linux process has.
const MEMORIES_PER_INSTANCE: u32 = 2;

/// Core instances and tables per component instance, on average. A component made by
/// `wit-component` has its main module plus small shim and fixup modules (each with a table);
/// these counts only bound bookkeeping, tables reserve `20 000 x 8` bytes of address space each.
const CORE_INSTANCES_PER_INSTANCE: u32 = 8;
const TABLES_PER_INSTANCE: u32 = 4;

/// Bytes of each memory and table slot kept mapped when an instance ends, reset in place (only
/// the pages the call dirtied, where Linux can report them) instead of being returned to the
/// kernel with `madvise`. Returning them costs a TLB shootdown across cores at every call and a
/// page fault for every page at the next; 4 MiB covers what a plugin call usually touches, and a
/// warm slot then holds at most that much resident memory between calls.
const KEEP_RESIDENT_BYTES: usize = 4 * 1024 * 1024;

/// How the engine allocates plugin instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    /// Slots for `instances` concurrent instances are reserved when the engine starts and reused
    /// call after call; a call beyond that many gets [`CallError::Busy`] at once.
    Pooling { instances: u32 },
    /// Memory is mapped for each call and unmapped after it (wasmtime's default). Used when the
    /// process may not reserve the pool's address space, as under a tight `ulimit -v`.
    OnDemand,
}

impl Allocation {
    /// What `trama serve` uses.
    pub const SERVER: Allocation = Allocation::Pooling {
        instances: MAX_CONCURRENT_INSTANCES,
    };
}

/// The pooling configuration for `instances` concurrent instances; see the constants above for
/// why each number.
fn pooling(instances: u32) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(CORE_INSTANCES_PER_INSTANCE))
        .total_memories(instances.saturating_mul(MEMORIES_PER_INSTANCE))
        .total_tables(instances.saturating_mul(TABLES_PER_INSTANCE))
        .total_stacks(instances)
        .max_memory_size(MAX_MEMORY_BYTES)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    #[error("cannot read plugin component {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid Trama plugin component: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("plugin `{plugin}` cannot be linked: {reason}")]
    Link { plugin: String, reason: String },
    #[error("plugin `{plugin}` imports `{import}`, {reason}")]
    Import {
        plugin: String,
        import: String,
        reason: String,
    },
    /// The component imports a capability it was not granted. Which file to change depends on
    /// why (see `instance::link_plugin`): its `plugin.toml` does not declare it, or the
    /// instance does not grant it.
    #[error(
        "plugin `{plugin}` imports `{import}`, but it is not granted the `{capability}` capability"
    )]
    NotGranted {
        plugin: String,
        import: String,
        capability: Capability,
    },
}

/// The process-wide WebAssembly host.
pub struct PluginHost {
    engine: Engine,
    /// The allocation in use, which is on-demand if the pool could not be reserved.
    allocation: Allocation,
    cache: cache::ComponentCache,
    /// Components already compiled in this process, by content hash: fifty instances using the
    /// same plugin share one compiled copy.
    loaded: Mutex<HashMap<String, Component>>,
}

impl PluginHost {
    /// Starts the engine with the server's instance pool and the epoch ticker thread that
    /// enforces deadlines.
    pub fn new(cache_dir: &Path) -> Result<Arc<Self>, HostError> {
        Self::with_allocation(cache_dir, Allocation::SERVER)
    }

    /// Like [`PluginHost::new`] with a chosen allocation (benchmarks compare them, tests use a
    /// small pool). If a pool cannot be reserved the host falls back to on-demand allocation with
    /// a warning rather than refusing to start: slower calls beat no service.
    pub fn with_allocation(
        cache_dir: &Path,
        allocation: Allocation,
    ) -> Result<Arc<Self>, HostError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.max_wasm_stack(MAX_WASM_STACK_BYTES);
        config.async_stack_size(FIBER_STACK_BYTES);
        // The allocation strategy is not part of the engine's compatibility hash, so the
        // component cache serves both.
        let (engine, allocation) = match allocation {
            Allocation::Pooling { instances } => {
                let mut pooled = config.clone();
                pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling(instances)));
                match Engine::new(&pooled) {
                    Ok(engine) => (engine, allocation),
                    Err(err) => {
                        tracing::warn!(
                            error = %err,
                            instances,
                            "cannot reserve the plugin instance pool; plugin calls will map \
                             their memory one by one, which is slower"
                        );
                        (Self::engine_from(&config)?, Allocation::OnDemand)
                    }
                }
            }
            Allocation::OnDemand => (Self::engine_from(&config)?, Allocation::OnDemand),
        };
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("trama-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|err| HostError::Engine(err.to_string()))?;
        let cache = cache::ComponentCache::new(cache_dir, &engine);
        Ok(Arc::new(Self {
            engine,
            allocation,
            cache,
            loaded: Mutex::new(HashMap::new()),
        }))
    }

    fn engine_from(config: &Config) -> Result<Engine, HostError> {
        Engine::new(config).map_err(|err| HostError::Engine(err.to_string()))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The allocation actually in use (on-demand after a fallback).
    pub fn allocation(&self) -> Allocation {
        self.allocation
    }

    /// Loads a component file, compiling it only if neither this process nor the disk cache has
    /// it already.
    pub fn load_component(&self, path: &Path) -> Result<Component, HostError> {
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })?;
        let hash = cache::content_hash(&bytes);
        if let Some(component) = self.loaded_components().get(&hash) {
            return Ok(component.clone());
        }
        let component = self
            .cache
            .load_or_compile(&self.engine, &hash, &bytes)
            .map_err(|reason| HostError::Invalid {
                path: path.to_owned(),
                reason,
            })?;
        self.loaded_components().insert(hash, component.clone());
        Ok(component)
    }

    fn loaded_components(&self) -> std::sync::MutexGuard<'_, HashMap<String, Component>> {
        // A poisoned map only means another thread panicked while inserting; the data is fine.
        self.loaded
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The host API version a component was built against: the newest `trama:plugin` version
    /// among its imports (a component built with an SDK imports its interfaces at the SDK's
    /// version, and a kernel older than that cannot link it).
    pub fn built_against(&self, component: &Component) -> Option<semver::Version> {
        component
            .component_type()
            .imports(&self.engine)
            .filter_map(|(name, _)| name.strip_prefix(PACKAGE)?.split_once('@'))
            .filter_map(|(_, version)| semver::Version::parse(version).ok())
            .max()
    }

    /// Links a component against exactly the capabilities granted to it. A component importing
    /// anything else is refused here, with a message naming the import, rather than failing
    /// obscurely at its first call.
    pub fn prepare(
        &self,
        plugin: &str,
        component: &Component,
        granted: &BTreeSet<Capability>,
    ) -> Result<PluginPre<CallState>, HostError> {
        let import_error = |import: &str, reason: String| HostError::Import {
            plugin: plugin.to_owned(),
            import: import.to_owned(),
            reason,
        };
        let mut linked: BTreeSet<Capability> = BTreeSet::new();
        for (name, item) in component.component_type().imports(&self.engine) {
            if !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
                return Err(import_error(name, "which is not an interface".into()));
            }
            let Some(interface) = name
                .strip_prefix(PACKAGE)
                .and_then(|rest| rest.split('@').next())
            else {
                return Err(import_error(
                    name,
                    "which the Trama kernel does not provide".into(),
                ));
            };
            if interface == "types" {
                continue;
            }
            let capability: Capability = interface
                .parse()
                .map_err(|_| import_error(name, "which this kernel does not know".into()))?;
            if !capability.is_ambient() && !granted.contains(&capability) {
                return Err(HostError::NotGranted {
                    plugin: plugin.to_owned(),
                    import: name.to_owned(),
                    capability,
                });
            }
            linked.insert(capability);
        }
        let mut linker: Linker<CallState> = Linker::new(&self.engine);
        let link = |result: wasmtime::Result<()>| {
            result.map_err(|err| HostError::Link {
                plugin: plugin.to_owned(),
                reason: err.to_string(),
            })
        };
        for capability in linked {
            link(imports::link(capability, &mut linker))?;
        }
        link(imports::link_types(&mut linker))?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(|err| HostError::Link {
                plugin: plugin.to_owned(),
                reason: err.to_string(),
            })?;
        PluginPre::new(pre).map_err(|err| HostError::Link {
            plugin: plugin.to_owned(),
            reason: format!("it does not export the Trama handler: {err}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::call::{CallError, PluginContext};

    /// The hello plugin, loaded into `host` with every capability, and a context on a fresh
    /// SQLite database in `dir`.
    async fn hello(host: &PluginHost, dir: &Path) -> (PluginPre<CallState>, Arc<PluginContext>) {
        let plugin_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/hello");
        let component_path = trama_plugin_build::ensure_built(&plugin_dir).expect("build hello");
        let component = host.load_component(&component_path).expect("load hello");
        let pre = host
            .prepare("hello", &component, &Capability::ALL.into_iter().collect())
            .expect("link hello");
        let url = format!("sqlite://{}?mode=rwc", dir.join("pool.db").display());
        let db = crate::db::Db::connect(&url).await.expect("database");
        let ctx = PluginContext {
            instance: "pool".into(),
            plugin: "hello".into(),
            version: semver::Version::new(1, 0, 0),
            docs: crate::docstore::DocStore::new(db.clone(), "pool", "hello", Arc::default()),
            ledger: crate::ledger::Ledger::new(db.clone(), "pool", "hello"),
            outbox: crate::notify::Outbox::new(db.clone(), "pool", "hello"),
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

    /// An anonymous call with `deadline`, whose events reach no one.
    fn setup(deadline: Duration) -> call::CallSetup {
        call::CallSetup {
            caller: None,
            deadline,
            subscribers: Arc::default(),
            uploads: Vec::new(),
        }
    }

    /// A host with a pool of `instances` slots and hello linked in it; the directory holds the
    /// component cache and the database, and must outlive them.
    async fn hello_in_pool(
        instances: u32,
    ) -> (
        tempfile::TempDir,
        Arc<PluginHost>,
        PluginPre<CallState>,
        Arc<PluginContext>,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let host = PluginHost::with_allocation(
            &dir.path().join("cache"),
            Allocation::Pooling { instances },
        )
        .expect("host");
        assert_eq!(host.allocation(), Allocation::Pooling { instances });
        let (pre, ctx) = hello(&host, dir.path()).await;
        (dir, host, pre, ctx)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_beyond_the_pool_is_refused_as_busy_at_once_and_served_once_a_slot_frees() {
        let (_dir, host, pre, ctx) = hello_in_pool(1).await;
        let deadline = Duration::from_secs(30);
        let run = || {
            call::call(
                host.engine().clone(),
                pre.clone(),
                ctx.clone(),
                setup(deadline),
                |_| true,
                |_, _| Box::pin(async { Ok(()) }),
            )
        };

        // A call in flight holds the only slot.
        let mut holder = call::new_store(host.engine(), ctx.clone(), setup(deadline));
        let _instance = pre
            .instantiate_async(&mut holder)
            .await
            .expect("first instance");
        let refused = tokio::time::timeout(Duration::from_secs(60), run())
            .await
            .expect("a full pool answers at once instead of waiting");
        match refused.result {
            Err(CallError::Busy(reason)) => assert!(reason.contains('1'), "{reason}"),
            Err(other) => panic!("expected Busy, got {other}"),
            Ok(()) => panic!("a second instance fitted in a pool of one"),
        }

        drop(holder);
        let served = run().await;
        assert!(served.result.is_ok(), "the freed slot is reused");
    }

    /// A call whose caller goes away (the client hung up) is not cut in the middle: it goes on
    /// as a task of its own and runs to its end.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_call_outlives_a_caller_that_goes_away() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (_dir, host, pre, ctx) = hello_in_pool(2).await;
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let call = call::call(
            host.engine().clone(),
            pre,
            ctx,
            setup(Duration::from_secs(30)),
            |_| true,
            move |_, _| {
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    flag.store(true, Ordering::SeqCst);
                    Ok(())
                })
            },
        );
        let gave_up = tokio::time::timeout(Duration::from_millis(50), call).await;
        assert!(
            gave_up.is_err(),
            "the caller stopped waiting before the end"
        );
        assert!(!finished.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert!(
            finished.load(Ordering::SeqCst),
            "the call ran to its end after its caller went away"
        );
    }

    /// A panic during a call (a bug in a host import) fails that call with a kernel error; it
    /// does not unwind into the request or the event dispatcher that asked for it.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_panic_during_a_call_fails_only_that_call() {
        let (_dir, host, pre, ctx) = hello_in_pool(2).await;
        let outcome = call::call(
            host.engine().clone(),
            pre,
            ctx,
            setup(Duration::from_secs(30)),
            |_| true,
            |_, _| -> call::CallFuture<'_, ()> { Box::pin(async { panic!("a host bug") }) },
        )
        .await;
        match outcome.result {
            Err(CallError::Kernel(message)) => assert!(message.contains("a host bug"), "{message}"),
            Err(other) => panic!("expected a kernel error, got {other}"),
            Ok(()) => panic!("a panicking call succeeded"),
        }
    }

    /// A plugin built with the SDK serves a small request from the memory it starts with: growing
    /// it would cost every call a pair of `mprotect`s when its pool slot is reset (see
    /// `sdk/src/allocator.rs`).
    #[tokio::test(flavor = "multi_thread")]
    async fn a_small_request_is_served_without_growing_the_plugins_memory() {
        let (_dir, host, pre, ctx) = hello_in_pool(2).await;
        let request = bindings::types::HttpRequest {
            method: "GET".into(),
            path: "/api/time".into(),
            query: Vec::new(),
            headers: Vec::new(),
            form: Vec::new(),
            body: Vec::new(),
            locale: "it".into(),
        };
        let mut store = call::new_store(host.engine(), ctx, setup(Duration::from_secs(30)));
        let plugin = pre.instantiate_async(&mut store).await.expect("instance");
        let initial = store.data().limiter.used();
        let answer = plugin
            .trama_plugin_handler()
            .call_handle(&mut store, &request)
            .await
            .expect("call");
        let bindings::types::HttpResponse::Json(reply) = answer.expect("an answer") else {
            panic!("GET /api/time answers JSON");
        };
        assert!(reply.body.contains("\"now\""), "{}", reply.body);
        assert_eq!(
            store.data().limiter.used(),
            initial,
            "hello grew its memory from {initial} bytes to serve GET /api/time"
        );
    }
}
