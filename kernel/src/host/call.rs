//! One call into a plugin: a fresh store with limits and a deadline, instantiated from the
//! plugin's pre-linked `InstancePre`, run as its own tokio task.
//!
//! The plugin runs on a wasmtime fiber that the task polls, on whichever runtime worker picks it
//! up: no hand-off to another thread, which on a busy server cost more than the call itself (see
//! `docs/performance.md`). A host import that waits (a database query) suspends the fiber and
//! frees the worker. A plugin that computes without pause is made to yield at every epoch tick,
//! so it holds a worker for at most one tick at a time, and is trapped once its deadline is spent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Engine, PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

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

/// What a call does with its instance: typically one exported function, awaited.
pub type CallFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// Runs `f` against a new instance of the plugin, within `deadline`.
///
/// The call is a task of its own: if the request that asked for it goes away (the client hung
/// up), the plugin still runs to its end, so a change is never cut between two host calls.
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
    F: for<'a> FnOnce(&'a mut Store<CallState>, &'a Plugin) -> CallFuture<'a, R> + Send + 'static,
{
    let task = tokio::spawn(async move {
        let mut store = new_store(&engine, ctx, caller, deadline);
        let result = match pre.instantiate_async(&mut store).await {
            Ok(plugin) => f(&mut store, &plugin).await,
            Err(err) => Err(err),
        };
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
    deadline: Duration,
) -> Store<CallState> {
    let memory_cap = ctx.memory_cap;
    let state = CallState {
        ctx,
        caller,
        limiter: CallLimiter::new(memory_cap),
        published: Vec::new(),
        notices: Vec::new(),
        changes: super::changes::ChangeLog::default(),
        refusals: Vec::new(),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    // At every tick the plugin yields to the runtime, so a busy plugin shares its worker with
    // other requests; once the deadline's ticks are spent it is stopped with `Trap::Interrupt`.
    let ticks = deadline.as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1);
    let mut remaining = u64::try_from(ticks).unwrap_or(u64::MAX);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        remaining = remaining.saturating_sub(1);
        Ok(if remaining == 0 {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
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
