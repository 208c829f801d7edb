//! `/governance`: the coordination table's pages — open proposals, a new proposal with the
//! kernel's check and diff, voting, and the history with outcomes. Members only (role
//! `governance` and a seat on the table). Browsers get pages and redirects; API clients JSON.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::pages::{msg, page};
use super::{Ctx, WebError};
use crate::governance::{self, Board, Choice, Draft, GovernanceError, KINDS, Member};

/// How many proposals the overview lists.
const LISTED: u32 = 200;

/// The caller's seat on the table, or why they cannot act.
async fn member(ctx: &Ctx) -> Result<Member, Response> {
    let Some(user) = &ctx.user else {
        return Err(super::redirect::login_required(ctx, "/governance"));
    };
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    match board.member(&user.id).await {
        Ok(Some(member)) if user.has_role("governance") => Ok(member),
        Ok(_) => Err(WebError::from(GovernanceError::NotMember).render(ctx)),
        Err(err) => Err(WebError::from(err).render(ctx)),
    }
}

fn render_or_json(
    ctx: &Ctx,
    template: &str,
    status: StatusCode,
    data: serde_json::Value,
) -> Response {
    if ctx.wants_html {
        page(ctx, template, status, data)
    } else {
        (status, ctx.jar.clone(), axum::Json(data)).into_response()
    }
}

/// The kinds of proposal with their label in the page's language.
fn kinds(ctx: &Ctx) -> Vec<serde_json::Value> {
    KINDS
        .iter()
        .map(|kind| json!({ "value": kind, "label": msg(ctx, &format!("governance_kind_{kind}")) }))
        .collect()
}

/// A proposal as pages show it: its status in words.
fn shown(ctx: &Ctx, proposal: &governance::Proposal) -> serde_json::Value {
    let mut value = json!(proposal);
    value["status_label"] = json!(msg(
        ctx,
        &format!("governance_status_{}", proposal.status.as_str())
    ));
    value
}

/// Plugin names of the registry, for the form.
fn registry_plugins(ctx: &Ctx) -> Vec<String> {
    trama_manifest::Registry::scan(&ctx.instance.manifest.registry.plugins)
        .map(|registry| registry.names().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

pub async fn overview(ctx: Ctx) -> Response {
    let me = match member(&ctx).await {
        Ok(member) => member,
        Err(response) => return response,
    };
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    let (proposals, members) = match (board.list(LISTED).await, board.members().await) {
        (Ok(proposals), Ok(members)) => (proposals, members),
        (Err(err), _) | (_, Err(err)) => return WebError::from(err).render(&ctx),
    };
    let (open, closed): (Vec<_>, Vec<_>) = proposals
        .into_iter()
        .partition(|p| p.status == governance::Status::Open);
    let rules = &ctx.instance.manifest.governance;
    let rules_text = msg(&ctx, "governance_rules")
        .replace("{quorum}", &rules.quorum_percent.to_string())
        .replace("{majority}", rules.majority.as_str())
        .replace(
            "{hours}",
            &(rules.voting_window.as_secs() / 3600).to_string(),
        );
    let open: Vec<_> = open.iter().map(|p| shown(&ctx, p)).collect();
    let closed: Vec<_> = closed.iter().map(|p| shown(&ctx, p)).collect();
    render_or_json(
        &ctx,
        "governance.html",
        StatusCode::OK,
        json!({
            "me": me,
            "open": open,
            "history": closed,
            "members": members,
            "rules": {
                "quorum_percent": rules.quorum_percent,
                "majority": rules.majority.as_str(),
                "voting_window_secs": rules.voting_window.as_secs(),
                "text": rules_text,
            },
            "kinds": kinds(&ctx),
            "registry": registry_plugins(&ctx),
            "draft": {
                "kind": "", "plugin": "", "version": "", "key": "", "value": "", "theme": "",
                "rationale": "",
            },
        }),
    )
}

pub async fn propose(ctx: Ctx, body: Bytes) -> Response {
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let me = match member(&ctx).await {
        Ok(member) => member,
        Err(response) => return response,
    };
    let field = |name: &str| form.get(name).unwrap_or_default().to_owned();
    let draft = Draft {
        kind: field("kind"),
        plugin: field("plugin"),
        version: field("version"),
        key: field("key"),
        value: field("value"),
        theme: field("theme"),
        rationale: field("rationale"),
    };
    match governance::propose(&ctx.live, &me, &draft).await {
        Ok(proposal) => {
            let location = format!("/governance/proposals/{}", proposal.number);
            if ctx.wants_html {
                (ctx.jar.clone(), Redirect::to(&location)).into_response()
            } else {
                (StatusCode::CREATED, ctx.jar.clone(), axum::Json(proposal)).into_response()
            }
        }
        // The form comes back with what was typed and the reason, before any vote.
        Err(GovernanceError::Invalid(reason)) if ctx.wants_html => page(
            &ctx,
            "governance.html",
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "me": me,
                "open": [],
                "history": [],
                "members": [],
                "rules": {},
                "kinds": kinds(&ctx),
                "registry": registry_plugins(&ctx),
                "error": reason,
                "draft": {
                    "kind": draft.kind, "plugin": draft.plugin, "version": draft.version,
                    "key": draft.key, "value": draft.value, "theme": draft.theme,
                    "rationale": draft.rationale,
                },
            }),
        ),
        Err(err) => WebError::from(err).render(&ctx),
    }
}

pub async fn show(ctx: Ctx, Path(number): Path<String>) -> Response {
    // Anything that is not a number (letters, beyond `i64`) names no proposal: the ordinary
    // 404, a page or the JSON envelope, not the path extractor's plain-text 400.
    let Ok(number) = number.parse::<i64>() else {
        return WebError::NotFound.render(&ctx);
    };
    let me = match member(&ctx).await {
        Ok(member) => member,
        Err(response) => return response,
    };
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    let proposal = match board.get(number).await {
        Ok(Some(proposal)) => proposal,
        Ok(None) => return WebError::from(GovernanceError::NotFound(number)).render(&ctx),
        Err(err) => return WebError::from(err).render(&ctx),
    };
    // One read of the votes serves both the list and the tally.
    let (votes, tally) = match (board.votes(number).await, board.members().await) {
        (Ok(votes), Ok(members)) => {
            let tally = governance::count_votes(members.len() as u64, &votes);
            (votes, tally)
        }
        (Err(err), _) | (_, Err(err)) => return WebError::from(err).render(&ctx),
    };
    let voted = votes.iter().any(|vote| vote.user_id == me.user_id);
    let can_vote = proposal.status == governance::Status::Open
        && !voted
        && crate::clock::now_ms() < proposal.closes_at;
    let tally_text = msg(&ctx, "governance_tally")
        .replace("{approve}", &tally.approve.to_string())
        .replace("{reject}", &tally.reject.to_string())
        .replace("{abstain}", &tally.abstain.to_string())
        .replace("{members}", &tally.members.to_string());
    let votes: Vec<_> = votes
        .iter()
        .map(|vote| {
            let mut value = json!(vote);
            value["choice_label"] = json!(msg(
                &ctx,
                &format!("governance_choice_{}", vote.choice.as_str())
            ));
            value
        })
        .collect();
    render_or_json(
        &ctx,
        "proposal.html",
        StatusCode::OK,
        json!({
            "proposal": shown(&ctx, &proposal),
            "tally_text": tally_text,
            "votes": votes,
            "tally": tally,
            "can_vote": can_vote,
            "voted": voted,
        }),
    )
}

pub async fn vote(ctx: Ctx, Path(number): Path<String>, body: Bytes) -> Response {
    // Anything that is not a number (letters, beyond `i64`) names no proposal: the ordinary
    // 404, a page or the JSON envelope, not the path extractor's plain-text 400.
    let Ok(number) = number.parse::<i64>() else {
        return WebError::NotFound.render(&ctx);
    };
    let form = match ctx.posted_form(&body) {
        Ok(form) => form,
        Err(err) => return err.render(&ctx),
    };
    let me = match member(&ctx).await {
        Ok(member) => member,
        Err(response) => return response,
    };
    let Some(choice) = form.get("choice").and_then(Choice::parse) else {
        return WebError::from(GovernanceError::Invalid(
            "choice: vote approve, reject or abstain".into(),
        ))
        .render(&ctx);
    };
    match governance::vote(&ctx.live, &me, number, choice).await {
        Ok(proposal) if ctx.wants_html => (
            ctx.jar.clone(),
            Redirect::to(&format!("/governance/proposals/{}", proposal.number)),
        )
            .into_response(),
        Ok(proposal) => (ctx.jar.clone(), axum::Json(proposal)).into_response(),
        Err(err) => WebError::from(err).render(&ctx),
    }
}
