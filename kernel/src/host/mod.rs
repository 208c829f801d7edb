//! The plugin host: one wasmtime `Engine` per process, compiled components cached on disk and
//! shared in memory across instances, and a fresh `Store` for every call with a deadline and a
//! memory cap.
//!
//! Calls run on tokio's blocking pool: host imports reach the database with `Handle::block_on`,
//! and a plugin stuck in a loop occupies one blocking thread until the epoch deadline traps it,
//! never a reactor thread.

pub mod bindings;
mod cache;
pub mod call;
pub mod changes;
mod imports;
mod limits;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use trama_manifest::Capability;
use wasmtime::component::{Component, HasSelf, Linker, types::ComponentItem};
use wasmtime::{Config, Engine};

pub use call::{CallError, CallOutcome, CallState, PluginContext, PublishedEvent};
pub use limits::MemoryCapExceeded;

use bindings::PluginPre;

/// How often the epoch advances; deadlines are counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The WIT package plugins import from.
const PACKAGE: &str = "trama:plugin/";

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
}

/// The process-wide WebAssembly host.
pub struct PluginHost {
    engine: Engine,
    cache: cache::ComponentCache,
    /// Components already compiled in this process, by content hash: fifty instances using the
    /// same plugin share one compiled copy.
    loaded: Mutex<HashMap<String, Component>>,
}

impl PluginHost {
    /// Starts the engine and the epoch ticker thread that enforces deadlines.
    pub fn new(cache_dir: &Path) -> Result<Arc<Self>, HostError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.max_wasm_stack(1024 * 1024);
        let engine = Engine::new(&config).map_err(|err| HostError::Engine(err.to_string()))?;
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
            cache,
            loaded: Mutex::new(HashMap::new()),
        }))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
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
        let mut linked: BTreeSet<String> = BTreeSet::new();
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
                return Err(import_error(
                    name,
                    format!(
                        "but the instance does not grant it the `{}` capability",
                        capability.as_str()
                    ),
                ));
            }
            linked.insert(capability.as_str().to_owned());
        }
        let mut linker: Linker<CallState> = Linker::new(&self.engine);
        let link = |result: wasmtime::Result<()>| {
            result.map_err(|err| HostError::Link {
                plugin: plugin.to_owned(),
                reason: err.to_string(),
            })
        };
        for capability in &linked {
            match capability.as_str() {
                "store" => link(bindings::store::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "settings" => link(bindings::settings::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "identity" => link(bindings::identity::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "events" => link(bindings::events::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "audit" => link(bindings::audit::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "log" => link(bindings::log::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "clock" => link(bindings::clock::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "ledger" => link(bindings::ledger::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                "notify" => link(bindings::notify::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |s| s,
                ))?,
                _ => {}
            }
        }
        link(bindings::types::add_to_linker::<_, HasSelf<_>>(
            &mut linker,
            |s| s,
        ))?;
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
