//! Calls into a plugin: each in a fresh component instance and one database transaction, under
//! the instance's deadline — an HTTP request, an event delivery, a scheduled job.

use std::time::Duration;

use super::{HandleResult, Handled, Instance, LoadedPlugin};
use crate::host::bindings::types::{Event, HttpRequest, User as WitUser};
use crate::host::{CallError, CallSetup, CallState};

impl Instance {
    /// Runs `f` in a fresh instance of `plugin`, as one transaction: what the call writes
    /// (documents, money, events, notifications, audit entries) commits only if the plugin
    /// reports success (`Ok` inside); a refused request or a failing event handler leaves
    /// nothing behind, however often it is retried.
    pub(super) async fn call<T, E, F>(
        &self,
        plugin: &LoadedPlugin,
        caller: Option<WitUser>,
        uploads: Vec<crate::files::Upload>,
        deadline: Duration,
        f: F,
    ) -> Result<Result<T, E>, CallError>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: for<'a> FnOnce(
                &'a mut wasmtime::Store<CallState>,
                &'a crate::host::bindings::Plugin,
            ) -> crate::host::call::CallFuture<'a, Result<T, E>>
            + Send
            + 'static,
    {
        let started = std::time::Instant::now();
        let actor = caller.as_ref().map(|user| user.id.clone());
        let setup = CallSetup {
            caller,
            deadline,
            subscribers: self.subscribers.clone(),
            uploads,
        };
        let outcome = crate::host::call::call(
            self.host.engine().clone(),
            plugin.pre.clone(),
            plugin.ctx.clone(),
            setup,
            Result::is_ok,
            f,
        )
        .await;
        tracing::debug!(instance = %self.id(), plugin = %plugin.name, elapsed = ?started.elapsed(), ok = outcome.result.is_ok(), committed = outcome.committed, "plugin call");
        if let Err(err) = &outcome.result {
            tracing::warn!(instance = %self.id(), plugin = %plugin.name, error = %err, "plugin call failed");
            let entry = crate::audit::Entry {
                instance: self.id().to_owned(),
                actor,
                plugin: Some(plugin.name.clone()),
                action: "plugin.failed".into(),
                subject: plugin.name.clone(),
                detail: serde_json::json!({ "error": err.to_string() }).to_string(),
            };
            if let Err(audit_err) = crate::audit::append(&self.db, entry).await {
                tracing::error!(%audit_err, "could not audit a plugin failure");
            }
        }
        outcome.result
    }

    /// Serves an HTTP request with a plugin.
    pub async fn handle(
        &self,
        plugin: &LoadedPlugin,
        request: HttpRequest,
        caller: Option<WitUser>,
        uploads: Vec<crate::files::Upload>,
    ) -> Result<HandleResult, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.http_deadline_ms);
        self.call(plugin, caller, uploads, deadline, move |store, bindings| {
            Box::pin(async move {
                let answer = bindings
                    .trama_plugin_handler()
                    .call_handle(&mut *store, &request)
                    .await?;
                // A page that refuses the request (a form shown again with its problems, a
                // conflict) commits what the plugin wrote on purpose, but never the files it
                // kept on the way nor the protocol numbers it took: a refused request stores no
                // document and is registered nowhere.
                if matches!(&answer, Ok(response) if crate::host::call::refuses(response)) {
                    store.data_mut().refused().await;
                }
                let notice = store.data_mut().take_notice();
                Ok(answer.map(|response| Handled { response, notice }))
            })
        })
        .await
    }

    /// Delivers one event to a subscriber.
    pub async fn deliver(
        &self,
        plugin: &LoadedPlugin,
        event: Event,
    ) -> Result<Result<(), String>, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.event_deadline_ms);
        self.call(
            plugin,
            None,
            Vec::new(),
            deadline,
            move |store, bindings| {
                Box::pin(async move {
                    bindings
                        .trama_plugin_handler()
                        .call_on_event(store, &event)
                        .await
                })
            },
        )
        .await
    }

    /// Runs one scheduled job.
    pub async fn run_job(
        &self,
        plugin: &LoadedPlugin,
        job: String,
    ) -> Result<Result<(), String>, CallError> {
        let deadline = Duration::from_millis(self.manifest.limits.job_deadline_ms);
        self.call(
            plugin,
            None,
            Vec::new(),
            deadline,
            move |store, bindings| {
                Box::pin(async move {
                    bindings
                        .trama_plugin_handler()
                        .call_run_job(store, &job)
                        .await
                })
            },
        )
        .await
    }
}
