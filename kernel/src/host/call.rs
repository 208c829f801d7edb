//! One call into a plugin: a fresh store with limits and a deadline, instantiated from the
//! plugin's pre-linked `InstancePre`, run on the blocking pool.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use wasmtime::{Engine, PoolConcurrencyLimitError, Store, Trap};

use super::EPOCH_TICK;
use super::bindings::{Plugin, PluginPre, types::User};
use super::limits::{CallLimiter, MemoryCapExceeded};
use crate::db::Db;
use crate::docstore::DocStore;

/// Everything a plugin's imports need about the (instance, plugin) they serve.
#[derive(Debug)]
pub struct PluginContext {
    pub instance: String,
    pub plugin: String,
    pub version: semver::Version,
    pub db: Db,
    pub docs: DocStore,
    pub ledger: crate::ledger::Ledger,
    pub outbox: crate::notify::Outbox,
    /// Validated settings as a JSON object.
    pub settings: String,
    pub memory_cap: usize,
    /// Event names the plugin declared in `[events] publishes`.
    pub publishes: std::collections::BTreeSet<String>,
}

/// An event a plugin published during a call; persisted only if the call succeeds.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    pub name: String,
    pub payload: String,
}

/// The per-call data a store holds.
pub struct CallState {
    pub(super) ctx: Arc<PluginContext>,
    pub(super) caller: Option<User>,
    pub(super) limiter: CallLimiter,
    pub(super) rt: Handle,
    pub(super) published: Vec<PublishedEvent>,
    /// Notifications the plugin sent, queued only if the call succeeds (like events), so a
    /// refused request never tells anyone it went through.
    pub(super) notices: Vec<crate::notify::Notification>,
    /// Every change the call made, for the audit log.
    pub(super) changes: super::changes::ChangeLog,
    /// What the call tried to reach beyond its grant (a collection it did not declare), for
    /// the audit log: refusing is not enough, an operator must learn that a plugin probes.
    pub(super) refusals: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the plugin did not answer within {0:?} and was stopped")]
    Deadline(Duration),
    #[error("the plugin ran out of memory: {0}")]
    Memory(String),
    #[error("the plugin overflowed its stack")]
    StackOverflow,
    /// Every instance slot is taken by other calls; the caller may retry shortly.
    #[error("too many plugin calls are running at once ({0}); try again shortly")]
    Busy(String),
    #[error("the plugin crashed: {0}")]
    Trap(String),
    #[error("the kernel could not run the plugin: {0}")]
    Kernel(String),
}

pub struct CallOutcome<R> {
    /// What the plugin returned, or how the call failed.
    pub result: Result<R, CallError>,
    pub events: Vec<PublishedEvent>,
    pub notices: Vec<crate::notify::Notification>,
    /// What the call changed, even if it failed afterwards: the writes are committed.
    pub changes: super::changes::ChangeLog,
    /// What the kernel refused the call because it was not granted (see [`CallState`]).
    pub refusals: Vec<String>,
}

/// Runs `f` against a new instance of the plugin, within `deadline`.
pub async fn call<R, F>(
    engine: Engine,
    pre: PluginPre<CallState>,
    ctx: Arc<PluginContext>,
    caller: Option<User>,
    deadline: Duration,
    f: F,
) -> CallOutcome<R>
where
    R: Send + 'static,
    F: FnOnce(&mut Store<CallState>, &Plugin) -> wasmtime::Result<R> + Send + 'static,
{
    let rt = Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let mut store = new_store(&engine, ctx, caller, rt, deadline);
        let result = pre
            .instantiate(&mut store)
            .and_then(|plugin| f(&mut store, &plugin));
        let events = std::mem::take(&mut store.data_mut().published);
        let notices = std::mem::take(&mut store.data_mut().notices);
        let changes = std::mem::take(&mut store.data_mut().changes);
        let refusals = std::mem::take(&mut store.data_mut().refusals);
        CallOutcome {
            result: result.map_err(|err| classify(err, deadline)),
            events,
            notices,
            changes,
            refusals,
        }
    });
    task.await.unwrap_or_else(|err| CallOutcome {
        result: Err(CallError::Kernel(format!("plugin call task failed: {err}"))),
        events: Vec::new(),
        notices: Vec::new(),
        changes: super::changes::ChangeLog::default(),
        refusals: Vec::new(),
    })
}

/// The store of one call: its caller, its memory cap and its deadline. Public so that the
/// instantiation benchmark measures exactly what a call sets up.
pub fn new_store(
    engine: &Engine,
    ctx: Arc<PluginContext>,
    caller: Option<User>,
    rt: Handle,
    deadline: Duration,
) -> Store<CallState> {
    let memory_cap = ctx.memory_cap;
    let state = CallState {
        ctx,
        caller,
        limiter: CallLimiter::new(memory_cap),
        rt,
        published: Vec::new(),
        notices: Vec::new(),
        changes: super::changes::ChangeLog::default(),
        refusals: Vec::new(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    let ticks = deadline.as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    store.epoch_deadline_trap();
    store
}

fn classify(err: wasmtime::Error, deadline: Duration) -> CallError {
    if let Some(full) = err.downcast_ref::<PoolConcurrencyLimitError>() {
        return CallError::Busy(full.to_string());
    }
    if let Some(cap) = err.downcast_ref::<MemoryCapExceeded>() {
        return CallError::Memory(cap.to_string());
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::Deadline(deadline),
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(trap) => CallError::Trap(format!("{trap}: {err:#}")),
        None => CallError::Trap(format!("{err:#}")),
    }
}
