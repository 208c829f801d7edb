//! The end of a call's transaction: what the kernel writes with the call's own writes when it
//! commits, and what it keeps when it rolls back.

use sea_orm::DbErr;
use serde_json::json;

use super::call::CallState;

impl CallState {
    /// Commits the call's transaction with its events, notifications and audit entries if
    /// `success`, else rolls it back. Also used by `store.checkpoint`, after which the call
    /// goes on with an empty change log and, at its next write, a new transaction.
    pub(super) async fn settle(&mut self, success: bool) -> Result<(), DbErr> {
        let refusals = std::mem::take(&mut self.refusals);
        if !success {
            self.tx.rollback().await;
            self.published.clear();
            self.notices.clear();
            self.audits.clear();
            self.changes = super::changes::ChangeLog::default();
            // What the plugin tried to reach is kept even though its call failed: an operator
            // must learn that a plugin probes.
            if let Some(entry) = self.refusal_entry(refusals) {
                crate::audit::append(&self.ctx.db, entry).await?;
            }
            return Ok(());
        }
        let events = std::mem::take(&mut self.published);
        let notices = std::mem::take(&mut self.notices);
        let entries = std::mem::take(&mut self.audits);
        let changes = std::mem::take(&mut self.changes);
        let refused = self.refusal_entry(refusals);
        if events.is_empty()
            && notices.is_empty()
            && entries.is_empty()
            && changes.is_empty()
            && refused.is_none()
            && !self.tx.is_open()
        {
            return Ok(());
        }
        let written = self
            .write_and_commit(events, notices, entries, changes, refused)
            .await;
        if written.is_err() {
            // Whatever failed, nothing of the call is kept (not even half of its ending).
            self.tx.rollback().await;
        }
        written
    }

    async fn write_and_commit(
        &mut self,
        events: Vec<crate::event_store::PublishedEvent>,
        notices: Vec<crate::notify::Notification>,
        mut entries: Vec<crate::audit::Entry>,
        mut changes: super::changes::ChangeLog,
        refused: Option<crate::audit::Entry>,
    ) -> Result<(), DbErr> {
        let ctx = self.ctx.clone();
        let subscribers = self.subscribers.clone();
        let actor = self.caller.as_ref().map(|user| user.id.clone());
        let (txn, call) = self.tx.writer().await?;
        for notice in notices {
            let key = notice.key.clone();
            let queued = ctx
                .outbox
                .queue_in(txn, Some(call), notice)
                .await
                .map_err(|err| DbErr::Custom(format!("queueing a notification: {err}")))?;
            if queued {
                changes.record(json!({ "op": "notify", "key": key }));
            }
        }
        let woken = !events.is_empty() || self.wallet_moved;
        for event in &events {
            changes.record(json!({ "op": "publish", "event": event.name }));
        }
        crate::event_store::record_in(
            txn,
            &ctx.instance,
            &ctx.plugin,
            Some(call),
            &subscribers,
            events,
        )
        .await?;
        if !changes.is_empty() {
            entries.push(crate::audit::Entry {
                instance: ctx.instance.clone(),
                actor,
                plugin: Some(ctx.plugin.clone()),
                action: "plugin.changed".into(),
                subject: ctx.plugin.clone(),
                detail: changes.detail(call).to_string(),
            });
        }
        entries.extend(refused);
        crate::audit::append_in(txn, &ctx.instance, entries).await?;
        self.tx.commit().await?;
        if woken {
            ctx.events_wake.notify_one();
        }
        Ok(())
    }

    fn refusal_entry(&self, refusals: Vec<String>) -> Option<crate::audit::Entry> {
        if refusals.is_empty() {
            return None;
        }
        let ctx = &self.ctx;
        tracing::warn!(instance = %ctx.instance, plugin = %ctx.plugin, refused = ?refusals, "a plugin tried to reach what it was not granted");
        Some(crate::audit::Entry {
            instance: ctx.instance.clone(),
            actor: self.caller.as_ref().map(|user| user.id.clone()),
            plugin: Some(ctx.plugin.clone()),
            action: "plugin.refused".into(),
            subject: ctx.plugin.clone(),
            detail: json!({ "refused": refusals }).to_string(),
        })
    }
}
