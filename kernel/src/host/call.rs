//! One call into a plugin: a fresh store with limits and a deadline, instantiated from the
//! plugin's pre-linked `InstancePre`, run in the caller's task.
//!
//! The plugin runs on a wasmtime fiber that the task polls, on whichever runtime worker picks it
//! up: no hand-off to another thread or task, which on a busy server cost more than the call
//! itself (see `docs/performance.md`). A host import that waits (a database query) suspends the
//! fiber and frees the worker. A plugin that computes without pause is made to yield at every
//! epoch tick, so it holds a worker for at most one tick at a time, and is trapped once its
//! deadline is spent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, PoolConcurrencyLimitError, Store, Trap, UpdateDeadline};

use super::bindings::{Plugin, PluginPre, types::User};
use super::limits::{CallLimiter, MemoryCapExceeded};
use crate::db::Db;
use crate::docstore::DocStore;
use crate::event_store::{PublishedEvent, Subscribers};

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
    /// The compiled schema of each of them (`[events.schemas]`): a payload that does not match
    /// is refused.
    pub event_schemas: trama_manifest::EventSchemas,
    /// Roles the plugin declared in `[plugin] roles`: the only ones it may list the holders of.
    pub roles: std::collections::BTreeSet<String>,
    /// The instance's message catalogues, which the plugin reads its text from.
    pub catalogues: Arc<crate::theme::Catalogues>,
    /// Wakes the instance's event dispatcher when a call commits events.
    pub events_wake: Arc<tokio::sync::Notify>,
    /// The instance's sealing (host API 1.9), when the instance grants `seal` to a plugin.
    pub sealer: Option<Arc<crate::seal::Sealer>>,
    /// The instance's sealing, when the plugin keeps its files sealed (`[files] sealed`); files
    /// kept sealed before are opened with it too.
    pub files_sealer: Option<Arc<crate::seal::Sealer>>,
}

/// The per-call data a store holds.
pub struct CallState {
    pub(super) ctx: Arc<PluginContext>,
    pub(super) caller: Option<User>,
    pub(super) limiter: CallLimiter,
    /// The call's one transaction (see [`super::tx`]).
    pub(super) tx: super::tx::CallTx,
    /// Who receives the events the call publishes.
    pub(super) subscribers: Arc<Subscribers>,
    /// Events the call published, written with its other writes if it succeeds.
    pub(super) published: Vec<PublishedEvent>,
    /// The wallet moved money in this call, and may have told the purses' owners (events the
    /// kernel wrote itself): the dispatcher is woken after the commit, as for `published`.
    pub(super) wallet_moved: bool,
    /// The plugin's own audit entries, written with its other writes.
    pub(super) audits: Vec<crate::audit::Entry>,
    /// Notifications the plugin sent, queued only if the call succeeds (like events), so a
    /// refused request never tells anyone it went through.
    pub(super) notices: Vec<crate::notify::Notification>,
    /// Every change the call made, for the audit log.
    pub(super) changes: super::changes::ChangeLog,
    /// What the call tried to reach beyond its grant (a collection it did not declare), for
    /// the audit log: refusing is not enough, an operator must learn that a plugin probes.
    pub(super) refusals: Vec<String>,
    /// The files that came with the request being handled (see [`crate::files`]).
    pub(super) uploads: Vec<crate::files::Upload>,
    /// The ids of the files this call kept.
    pub(super) kept: Vec<String>,
    /// The one-time message the plugin set for the person's next page (`notice.show`).
    pub(super) notice: Option<String>,
    /// The protocol numbers this call registered, given back if its answer refuses the request.
    pub(super) registered: Vec<crate::protocol::Entry>,
    /// The time the kernel stamps what the plugin sees of its own records with (a protocol
    /// registration): the kernel's clock, unless a native test host sets the test's.
    pub(super) time: Option<i64>,
}

impl CallState {
    /// The state of a call by `caller` into the plugin of `ctx`, before its first import.
    ///
    /// Public for native test hosts (`trama-testhost`): they run a plugin's code natively and
    /// answer its imports through the `Host` traits of [`super::bindings`] on this state, so a
    /// plugin's unit tests meet the kernel's own store, ledger, checks and transaction.
    pub fn new(
        ctx: Arc<PluginContext>,
        caller: Option<User>,
        subscribers: Arc<Subscribers>,
    ) -> Self {
        let memory_cap = ctx.memory_cap;
        let caller = caller.map(|user| visible_roles(user, &ctx.roles));
        CallState {
            tx: super::tx::CallTx::new(ctx.db.clone()),
            ctx,
            caller,
            limiter: CallLimiter::new(memory_cap),
            subscribers,
            published: Vec::new(),
            wallet_moved: false,
            audits: Vec::new(),
            notices: Vec::new(),
            changes: super::changes::ChangeLog::default(),
            refusals: Vec::new(),
            uploads: Vec::new(),
            kept: Vec::new(),
            notice: None,
            registered: Vec::new(),
            time: None,
        }
    }

    /// The same state, stamping what the plugin reads back (a protocol registration's date)
    /// with `now_ms` instead of the kernel's clock: a native test host sets the test's clock,
    /// so that a test sees a year turn.
    pub fn with_time(mut self, now_ms: i64) -> Self {
        self.time = Some(now_ms);
        self
    }

    /// The time of this call for what the plugin reads back (see [`CallState::with_time`]).
    pub(super) fn now_ms(&self) -> i64 {
        self.time.unwrap_or_else(crate::clock::now_ms)
    }

    /// Undoes, in the call's transaction, what only a request that went through keeps: its
    /// answer refused the request (see [`refuses`]), so the files it kept are deleted and the
    /// protocol numbers it registered given back, while its other writes commit as the plugin
    /// wrote them. A failure leaves the transaction unable to commit, so the call ends as
    /// failed rather than keeping them.
    pub async fn refused(&mut self) {
        self.drop_kept_files().await;
        let registered = std::mem::take(&mut self.registered);
        if registered.is_empty() {
            return;
        }
        let instance = self.ctx.instance.clone();
        let given = match self.tx.writer().await {
            Ok((txn, _)) => crate::protocol::give_back_in(txn, &instance, &registered).await,
            Err(err) => Err(err),
        };
        match given {
            Ok(()) => {
                for entry in registered {
                    self.changes.record(serde_json::json!({
                        "op": "protocol_given_back", "number": entry.label(), "why": "refused",
                    }));
                }
            }
            Err(err) => {
                tracing::warn!(%err, "giving back the protocol numbers of a refused request failed");
                self.tx.note_failure();
            }
        }
    }

    /// Deletes, in the call's transaction, the files the call kept (see [`CallState::refused`]).
    async fn drop_kept_files(&mut self) {
        let kept = std::mem::take(&mut self.kept);
        if kept.is_empty() {
            return;
        }
        let (instance, plugin) = (self.ctx.instance.clone(), self.ctx.plugin.clone());
        let dropped = match self.tx.writer().await {
            Ok((txn, _)) => {
                let mut result = Ok(());
                for id in &kept {
                    if let Err(err) = crate::files::delete_in(txn, &instance, &plugin, id).await {
                        result = Err(err);
                        break;
                    }
                }
                result
            }
            Err(err) => Err(err),
        };
        match dropped {
            Ok(()) => {
                for id in kept {
                    self.changes.record(
                        serde_json::json!({ "op": "delete_file", "id": id, "why": "refused" }),
                    );
                }
            }
            Err(err) => {
                tracing::warn!(%err, "dropping the files of a refused request failed");
                self.tx.note_failure();
            }
        }
    }

    /// The same state, with the files of the request being handled.
    pub fn with_uploads(mut self, uploads: Vec<crate::files::Upload>) -> Self {
        self.uploads = uploads;
        self
    }

    /// The one-time message the plugin set for the person's next page, taken out of the call
    /// (see `notice.show`): the caller decides whether the answer may carry it.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// Ends a call made without an instance (see [`CallState::new`]) as the kernel ends every
    /// call: its writes, events, notifications and audit entries committed together if
    /// `success`, all rolled back otherwise.
    pub async fn finish(mut self, success: bool) -> Result<(), sea_orm::DbErr> {
        self.settle(success).await
    }
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

/// How a call ended, once its transaction has been settled.
pub struct CallOutcome<R> {
    /// What the plugin returned, or how the call failed (a failed commit included).
    pub result: Result<R, CallError>,
    /// Whether the call's writes were committed.
    pub committed: bool,
}

/// What a call does with its instance: typically one exported function, awaited.
pub type CallFuture<'a, R> = Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// Who calls a plugin, with what time and whom its events reach.
pub struct CallSetup {
    pub caller: Option<User>,
    pub deadline: Duration,
    pub subscribers: Arc<Subscribers>,
    /// The files of the request, for `handle`; empty for events and jobs.
    pub uploads: Vec<crate::files::Upload>,
}

/// Whether `response` refuses the request: a page or JSON answer with a status of 400 or more.
pub fn refuses(response: &crate::host::bindings::types::HttpResponse) -> bool {
    use crate::host::bindings::types::HttpResponse;
    match response {
        HttpResponse::Json(reply) => reply.status >= 400,
        HttpResponse::Render(page) => page.status >= 400,
        HttpResponse::Redirect(_) | HttpResponse::File(_) => false,
    }
}

/// Runs `f` against a new instance of the plugin, within `deadline`, then settles the call's
/// transaction: committed if the call returned and `succeeded` says its answer is a success,
/// rolled back otherwise (see [`super::tx`]).
///
/// The call runs in the caller's task, without a hand-off; if the caller goes away before it
/// ends (the client hung up and the request was dropped), the call is detached onto a task of
/// its own and still runs to its end and settles, so a hang-up never leaves half a call
/// (unless the runtime is shutting down, when the open transaction rolls back).
pub async fn call<R, F>(
    engine: Engine,
    pre: PluginPre<CallState>,
    ctx: Arc<PluginContext>,
    setup: CallSetup,
    succeeded: fn(&R) -> bool,
    f: F,
) -> CallOutcome<R>
where
    R: Send + 'static,
    F: for<'a> FnOnce(&'a mut Store<CallState>, &'a Plugin) -> CallFuture<'a, R> + Send + 'static,
{
    let deadline = setup.deadline;
    let task = Detached::new(async move {
        let mut store = new_store(&engine, ctx, setup);
        let result = match pre.instantiate_async(&mut store).await {
            Ok(plugin) => f(&mut store, &plugin).await,
            Err(err) => Err(err),
        };
        let result = result.map_err(|err| classify(err, deadline));
        let success = result.as_ref().is_ok_and(succeeded);
        let settled = store.data_mut().settle(success).await;
        match (result, settled) {
            (Ok(value), Ok(())) => CallOutcome {
                result: Ok(value),
                committed: success,
            },
            (Ok(_), Err(err)) => CallOutcome {
                result: Err(CallError::Kernel(format!(
                    "the call's writes could not be committed: {err}"
                ))),
                committed: false,
            },
            (Err(err), _) => CallOutcome {
                result: Err(err),
                committed: false,
            },
        }
    });
    task.await.unwrap_or_else(|panic| CallOutcome {
        result: Err(CallError::Kernel(format!(
            "the plugin call panicked: {panic}"
        ))),
        committed: false,
    })
}

/// A future that, when dropped before it completes, is handed to the runtime to finish as a
/// task of its own instead of being cancelled. A panic while polling it (a bug in a host
/// import, carried out of the plugin's fiber by wasmtime) ends it with the panic's message
/// instead of unwinding into the caller, as a panic in a task of its own would.
struct Detached<F: Future<Output: Send + 'static> + Send + 'static> {
    future: Option<Pin<Box<F>>>,
}

impl<F: Future<Output: Send + 'static> + Send + 'static> Detached<F> {
    fn new(future: F) -> Self {
        Self {
            future: Some(Box::pin(future)),
        }
    }
}

impl<F: Future<Output: Send + 'static> + Send + 'static> Future for Detached<F> {
    type Output = Result<F::Output, String>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        use std::task::Poll;
        let Some(future) = self.future.as_mut() else {
            return Poll::Pending;
        };
        let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
        let output = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(panic) => Err(panic
                .downcast_ref::<&str>()
                .map(|message| (*message).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned())),
        };
        // Done either way: a future that panicked must not be polled again, nor detached.
        self.future = None;
        Poll::Ready(output)
    }
}

impl<F: Future<Output: Send + 'static> + Send + 'static> Drop for Detached<F> {
    fn drop(&mut self) {
        let Some(future) = self.future.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(future);
            }
            Err(_) => tracing::warn!("a plugin call was cut short: the runtime is shutting down"),
        }
    }
}

/// The store of one call: its caller, its memory cap and its deadline. Public so that the
/// instantiation benchmark measures exactly what a call sets up.
pub fn new_store(engine: &Engine, ctx: Arc<PluginContext>, setup: CallSetup) -> Store<CallState> {
    let CallSetup {
        caller,
        deadline,
        subscribers,
        uploads,
    } = setup;
    let state = CallState::new(ctx, caller, subscribers).with_uploads(uploads);
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limiter);
    // At every epoch tick (`EPOCH_TICK`) the plugin yields to the runtime, so a busy plugin
    // shares its worker with other requests; once the deadline has passed, counted from now in
    // wall-clock time (time spent waiting on host imports included), it is stopped with
    // `Trap::Interrupt`.
    let until = Instant::now() + deadline;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        Ok(if Instant::now() >= until {
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

/// `user` as a plugin may see them: only the roles its `plugin.toml` declares. What else a
/// person does on the instance (sitting on the coordination table, holding another plugin's
/// role) is none of this plugin's business.
pub(crate) fn visible_roles(mut user: User, declared: &std::collections::BTreeSet<String>) -> User {
    user.roles.retain(|role| declared.contains(role));
    user
}
