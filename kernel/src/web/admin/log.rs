//! `/admin/audit`: the audit log, newest first, filtered by action, actor, plugin or subject and
//! paged by sequence number; and its verification (the hash chain unbroken, every committed
//! plugin write with its entry), as `trama audit verify` does.

use axum::body::Bytes;
use axum::extract::Query;
use axum::response::Response;
use serde_json::{Value as Json, json};

use super::{PER_PAGE, admin};
use crate::audit::{self, Filter};
use crate::web::pages::msg;
use crate::web::{Ctx, WebError};

#[derive(serde::Deserialize, Default)]
pub(super) struct LogQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    plugin: String,
    #[serde(default)]
    subject: String,
    /// Show entries older than this sequence number.
    before: Option<i64>,
}

impl LogQuery {
    fn filter(&self) -> Filter {
        let set = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.chars().take(200).collect())
        };
        Filter {
            action: set(&self.action),
            actor: set(&self.actor),
            plugin: set(&self.plugin),
            subject: set(&self.subject),
        }
    }

    /// This filter from `before` on.
    fn link(&self, before: i64) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("action", &self.action)
            .append_pair("actor", &self.actor)
            .append_pair("plugin", &self.plugin)
            .append_pair("subject", &self.subject)
            .append_pair("before", &before.to_string())
            .finish();
        format!("/admin/audit?{query}")
    }
}

/// The log page for `query`, with `verification` (the outcome of a check) when there is one.
async fn log_page(ctx: &Ctx, query: &LogQuery, verification: Json) -> Response {
    let instance = &ctx.instance;
    let entries = match audit::search(
        &instance.db,
        instance.id(),
        &query.filter(),
        query.before,
        PER_PAGE,
    )
    .await
    {
        Ok(entries) => entries,
        Err(err) => return WebError::from(err).render(ctx),
    };
    let older = (entries.len() == PER_PAGE as usize)
        .then(|| entries.last().map(|entry| query.link(entry.seq)))
        .flatten();
    super::render_or_json(
        ctx,
        "admin_audit.html",
        json!({
            "entries": entries,
            "older": older,
            "query": {
                "action": query.action, "actor": query.actor,
                "plugin": query.plugin, "subject": query.subject,
            },
            "verification": verification,
        }),
    )
}

pub(super) async fn list(ctx: Ctx, Query(query): Query<LogQuery>) -> Response {
    if let Err(response) = admin(&ctx, "/admin/audit") {
        return *response;
    }
    log_page(&ctx, &query, Json::Null).await
}

/// Checks the chain and the completeness of the log and shows the outcome above the newest
/// entries. A POST, since it reads the whole log: not something a crawler should start.
pub(super) async fn verify(ctx: Ctx, body: Bytes) -> Response {
    if let Err(err) = ctx.posted_form(&body) {
        return err.render(&ctx);
    }
    if let Err(response) = admin(&ctx, "/admin/audit") {
        return *response;
    }
    let instance = &ctx.instance;
    let (db, id) = (&instance.db, instance.id());
    let chain = match audit::verify(db, id).await {
        Ok(chain) => chain,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let unaudited = match audit::completeness(db, id).await {
        Ok(unaudited) => unaudited,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let verification = match chain {
        Ok(rows) if unaudited.total == 0 => json!({
            "intact": true,
            "message": msg(&ctx, "admin_audit_intact").replace("{rows}", &rows.to_string()),
        }),
        Ok(_) => json!({
            "intact": false,
            "message": msg(&ctx, "admin_audit_incomplete")
                .replace("{calls}", &unaudited.total.to_string()),
        }),
        Err(tampered) => json!({
            "intact": false,
            "message": msg(&ctx, "admin_audit_tampered").replace("{seq}", &tampered.seq.to_string()),
        }),
    };
    log_page(&ctx, &LogQuery::default(), verification).await
}
