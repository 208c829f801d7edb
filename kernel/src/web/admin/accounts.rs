//! `/admin/accounts`: find an account among many (text, role, state; 50 a page), see it, grant
//! and revoke roles, disable and enable it.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value as Json, json};

use super::{PER_PAGE, actor, admin, admin_form, auth_refusal, done, refused};
use crate::auth::accounts::{self, Filter};
use crate::web::{Ctx, WebError};

#[derive(serde::Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    /// `active`, `disabled`, or empty for both.
    #[serde(default)]
    state: String,
    /// 1-based.
    page: Option<u64>,
}

/// The roles of the instance as the pages show them: each with what it is for and the titles
/// of the plugins that use it.
pub(super) fn roles_shown(ctx: &Ctx) -> Vec<Json> {
    let declared = ctx.instance.declared_roles();
    declared
        .iter()
        .map(|(role, plugins)| {
            let titles: Vec<&str> = plugins
                .iter()
                .map(|name| {
                    ctx.instance
                        .plugins
                        .get(name)
                        .map_or(name.as_str(), |plugin| {
                            crate::theme::localized(&plugin.title, &ctx.locale)
                                .unwrap_or(name.as_str())
                        })
                })
                .collect();
            json!({
                "role": role,
                "label": role_label(ctx, role, plugins),
                "plugins": titles,
            })
        })
        .collect()
}

/// What a role lets its holder do: the kernel catalogue's `role_NAME`, else the first plugin's
/// `[PLUGIN.roles] NAME` (the plugin's catalogue table, `-` written `_`), else the name itself.
fn role_label(ctx: &Ctx, role: &str, plugins: &[String]) -> String {
    let catalogue = ctx.instance.theme.catalogue(&ctx.locale);
    if let Some(text) = catalogue[format!("role_{role}").as_str()].as_str() {
        return text.to_owned();
    }
    plugins
        .iter()
        .find_map(|plugin| catalogue[plugin.replace('-', "_").as_str()]["roles"][role].as_str())
        .unwrap_or(role)
        .to_owned()
}

pub(super) async fn list(ctx: Ctx, Query(query): Query<ListQuery>) -> Response {
    if let Err(response) = admin(&ctx, "/admin/accounts") {
        return *response;
    }
    let filter = Filter {
        text: query.q.chars().take(100).collect(),
        role: (!query.role.is_empty()).then(|| query.role.clone()),
        disabled: match query.state.as_str() {
            "active" => Some(false),
            "disabled" => Some(true),
            _ => None,
        },
        erasure_pending: query.state == "erasure",
    };
    let page = query.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE));
    let instance = &ctx.instance;
    let found = match accounts::search(&instance.db, instance.id(), &filter, PER_PAGE, offset).await
    {
        Ok(found) => found,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let pages = found.total.div_ceil(u64::from(PER_PAGE)).max(1);
    // Links to the neighbouring pages keep the filter.
    let link = |to: u64| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &query.q)
            .append_pair("role", &query.role)
            .append_pair("state", &query.state)
            .append_pair("page", &to.to_string())
            .finish();
        format!("/admin/accounts?{query}")
    };
    super::render_or_json(
        &ctx,
        "admin_accounts.html",
        json!({
            "accounts": found.accounts,
            "total": found.total,
            "page": page,
            "pages": pages,
            "previous": (page > 1).then(|| link(page - 1)),
            "next": (page < pages).then(|| link(page + 1)),
            "query": { "q": query.q, "role": query.role, "state": query.state },
            "roles": roles_shown(&ctx),
        }),
    )
}

pub(super) async fn show(ctx: Ctx, Path(id): Path<String>) -> Response {
    if let Err(response) = admin(&ctx, &format!("/admin/accounts/{id}")) {
        return *response;
    }
    let instance = &ctx.instance;
    let account = match accounts::get(&instance.db, instance.id(), &id).await {
        Ok(Some(account)) => account,
        Ok(None) => return WebError::NotFound.render(&ctx),
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let sessions = match accounts::open_sessions(&instance.db, instance.id(), &id).await {
        Ok(count) => count,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let pending = match crate::auth::recovery::is_pending(&instance.db, instance.id(), &id).await {
        Ok(pending) => pending,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let erasure = match crate::privacy::erasure::state(&instance.db, instance.id(), &id).await {
        Ok(state) => state,
        Err(err) => return WebError::from(err).render(&ctx),
    };
    let roles: Vec<Json> = roles_shown(&ctx)
        .into_iter()
        .map(|mut role| {
            let name = role["role"].as_str().unwrap_or_default();
            role["held"] = account.roles.iter().any(|held| held == name).into();
            role
        })
        .collect();
    // A role held that nothing declares any more (its plugin was disabled): shown, revocable.
    let declared = ctx.instance.declared_roles();
    let orphans: Vec<&String> = account
        .roles
        .iter()
        .filter(|role| !declared.contains(role))
        .collect();
    super::render_or_json(
        &ctx,
        "admin_account.html",
        json!({
            "account": account,
            "sessions": sessions,
            "pending": pending,
            "erasure": erasure,
            "roles": roles,
            "orphans": orphans,
        }),
    )
}

/// `role=NAME&action=grant|revoke`.
pub(super) async fn roles(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (form, me) = match admin_form(&ctx, &body, &format!("/admin/accounts/{id}")) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let role = form.get("role").unwrap_or_default().trim();
    // A seat on the coordination table and the role `governance` go together: both change
    // on the seats page.
    if role == "governance" {
        return refused(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "admin_governance_via_seats",
        );
    }
    let instance = &ctx.instance;
    let (db, instance_id) = (&instance.db, instance.id());
    let (changed, what) = match form.get("action") {
        Some("grant") => {
            let declared = instance.declared_roles();
            (
                accounts::grant(db, instance_id, &declared, &id, role, actor(&me)).await,
                "granted",
            )
        }
        Some("revoke") => (
            accounts::revoke(db, instance_id, &id, role, actor(&me)).await,
            "revoked",
        ),
        _ => {
            return refused(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "admin_bad_action",
            );
        }
    };
    match changed {
        Ok(account) => {
            let location = format!("/admin/accounts/{id}");
            done(&mut ctx, &location, what, json!({ "account": account })).await
        }
        Err(err) => auth_refusal(&ctx, err),
    }
}

/// `disabled=1` disables the account (its sessions end now), `disabled=0` enables it.
pub(super) async fn status(mut ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let (form, me) = match admin_form(&ctx, &body, &format!("/admin/accounts/{id}")) {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    let disabled = match form.get("disabled") {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return refused(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "admin_bad_action",
            );
        }
    };
    let instance = &ctx.instance;
    match accounts::set_disabled(&instance.db, instance.id(), &id, disabled, actor(&me)).await {
        Ok(account) => {
            let what = if disabled { "disabled" } else { "enabled" };
            let location = format!("/admin/accounts/{id}");
            done(&mut ctx, &location, what, json!({ "account": account })).await
        }
        Err(err) => auth_refusal(&ctx, err),
    }
}
