//! `/governance`: the coordination table's pages — open proposals, a new proposal with the
//! kernel's check and diff, voting, and the history with outcomes. Members only (role
//! `governance` and a seat on the table). Browsers get pages and redirects; API clients JSON.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use trama_manifest::{PluginPackage, Registry, SettingType};

use super::pages::{msg, page};
use super::{Ctx, WebError};
use crate::governance::{self, Board, Choice, Draft, GovernanceError, KINDS, Member, Refusal};
use crate::theme::localized;

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

/// A proposal as pages show it: its status and what it would do in words (`registry` names
/// the plugins and settings it is about).
fn shown(ctx: &Ctx, proposal: &governance::Proposal, registry: &Registry) -> serde_json::Value {
    let mut value = json!(proposal);
    value["status_label"] = json!(msg(
        ctx,
        &format!("governance_status_{}", proposal.status.as_str())
    ));
    value["explanation"] = json!(words(ctx).explain(proposal, registry));
    value
}

/// The instance's plugin folders as the table's forms need them; empty (nothing to offer) when a
/// `plugin.toml` is broken, which `trama check` reports.
fn registry(ctx: &Ctx) -> Registry {
    Registry::scan(&ctx.instance.manifest.registry.plugins).unwrap_or_default()
}

/// The plugins the table may propose (never test fixtures or examples: `listed = false`), with
/// their title and description in the page's language.
fn offered(ctx: &Ctx, registry: &Registry) -> Vec<serde_json::Value> {
    registry
        .names()
        .into_iter()
        .filter_map(|name| registry.versions(name).last())
        .filter(|package| package.meta.plugin.listed)
        .map(|package| {
            let info = &package.meta.plugin;
            let title = governance::plugin_title(Some(package), &info.name, &ctx.locale);
            let description = localized(&info.description, &ctx.locale).unwrap_or_default();
            json!({
                "name": info.name,
                "title": title,
                "description": description,
                "label": if description.is_empty() { title.clone() } else { format!("{title} — {description}") },
                "enabled": ctx.instance.plugins.contains_key(&info.name),
                "version": info.version.to_string(),
            })
        })
        .collect()
}

/// The package of `plugin` whose settings the table may change: none for a test plugin.
fn package_of<'a>(ctx: &Ctx, registry: &'a Registry, plugin: &'a str) -> Option<&'a PluginPackage> {
    governance::settings_package(&ctx.instance, registry, plugin)
        .filter(|package| package.meta.plugin.listed)
}

/// Every setting a proposal may change, as `plugin.key` with the plugin's title and the
/// setting's description: the first step of the settings form.
fn settings(ctx: &Ctx, registry: &Registry) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for name in ctx.instance.manifest.plugins.keys() {
        let Some(package) = package_of(ctx, registry, name) else {
            continue;
        };
        let title = governance::plugin_title(Some(package), name, &ctx.locale);
        for key in package.meta.settings.names() {
            let label = governance::setting_label(Some(package), key, &ctx.locale);
            all.push(
                json!({ "key": format!("{name}.{key}"), "text": format!("{title}: {label}") }),
            );
        }
    }
    all
}

/// A setting's value as its widget shows it: text as is, a list one item a line.
fn widget_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(widget_text).collect::<Vec<_>>().join("\n")
        }
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The second step of the settings form: the chosen setting and what its widget needs (type,
/// bounds, choices, the value in effect), or `None` when `plugin`.`key` is not offered.
fn setting_step(
    ctx: &Ctx,
    registry: &Registry,
    plugin: &str,
    key: &str,
) -> Option<serde_json::Value> {
    let package = package_of(ctx, registry, plugin)?;
    let spec = package.meta.settings.get(key)?;
    let current =
        governance::in_effect(&ctx.instance, plugin, key, spec).unwrap_or(serde_json::Value::Null);
    let hint = match spec.kind {
        SettingType::List => msg(ctx, "governance_value_list_help"),
        _ => String::new(),
    };
    Some(json!({
        "plugin": plugin,
        "key": key,
        "plugin_title": governance::plugin_title(Some(package), plugin, &ctx.locale),
        "label": governance::setting_label(Some(package), key, &ctx.locale),
        "type": spec.kind.as_str(),
        "min": spec.min,
        "max": spec.max,
        "min_length": spec.min_length,
        "max_length": spec.max_length,
        "choices": spec.choices,
        "current": widget_text(&current),
        "hint": hint,
    }))
}

/// The themes the instance may switch to: the folders of its themes folder, the one in use
/// left out.
fn themes(ctx: &Ctx) -> Vec<String> {
    let in_use = &ctx.instance.manifest.instance.theme;
    let mut themes: Vec<String> = std::fs::read_dir(&ctx.instance.manifest.registry.themes)
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| entry.path().join("templates").is_dir())
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| name != in_use)
                .collect()
        })
        .unwrap_or_default();
    themes.sort();
    themes
}

/// What the form steps ask for in the address: `setting=plugin.key` opens the value form.
#[derive(Debug, Default, Deserialize)]
pub struct Step {
    #[serde(default)]
    setting: String,
}

/// The table's page: members, rules in words, proposals, and the forms (the settings form at
/// the step `setting` names), with `draft` and the refusal when a proposal was refused: its
/// reason above the forms and beside the field to fix (`problems.{field}`).
async fn table(
    ctx: &Ctx,
    me: &Member,
    setting: Option<(&str, &str)>,
    draft: &Draft,
    refusal: Option<Refusal>,
) -> Result<serde_json::Value, Response> {
    let board = Board::new(ctx.instance.db.clone(), ctx.instance.id());
    let (proposals, members) = match (board.list(LISTED).await, board.members().await) {
        (Ok(proposals), Ok(members)) => (proposals, members),
        (Err(err), _) | (_, Err(err)) => return Err(WebError::from(err).render(ctx)),
    };
    let (open, closed): (Vec<_>, Vec<_>) = proposals
        .into_iter()
        .partition(|p| p.status == governance::Status::Open);
    let rules = &ctx.instance.manifest.governance;
    let registry = registry(ctx);
    let open: Vec<_> = open.iter().map(|p| shown(ctx, p, &registry)).collect();
    let closed: Vec<_> = closed.iter().map(|p| shown(ctx, p, &registry)).collect();
    let plugins = offered(ctx, &registry);
    let names: Vec<_> = plugins.iter().map(|p| p["name"].clone()).collect();
    let step = setting.and_then(|(plugin, key)| setting_step(ctx, &registry, plugin, key));
    let mut data = json!({
        "me": me,
        "open": open,
        "history": closed,
        "members": members,
        "rules": {
            "quorum_percent": rules.quorum_percent,
            "majority": rules.majority.as_str(),
            "voting_window_secs": rules.voting_window.as_secs(),
            "text": words(ctx).rules(rules),
        },
        "kinds": kinds(ctx),
        // The first form's kinds: settings have a form of their own, with a widget per setting.
        "service_kinds": kinds(ctx).into_iter().filter(|k| k["value"] != "settings" && k["value"] != governance::ALLOCATE).collect::<Vec<_>>(),
        "registry": names,
        "offered": plugins,
        "settings": settings(ctx, &registry),
        "themes": themes(ctx),
        "setting": step,
        "problems": {},
        "setting_problems": {},
        "draft": {
            "kind": draft.kind, "plugin": draft.plugin, "version": draft.version,
            "key": draft.key, "value": draft.value, "theme": draft.theme,
            "rationale": draft.rationale, "widget": draft.widget,
            "funder": draft.funder, "measure": draft.measure, "amount": draft.amount,
        },
    });
    data["allocation"] = super::budget::allocation_form(ctx).await;
    if let Some(refusal) = refusal {
        // Beside the field of the form the member sent: the setting's own form at its value
        // step, else the form of services and themes.
        if let Some(field) = refusal.field {
            let form = if draft.kind == "settings" && data["setting"].is_object() {
                "setting_problems"
            } else {
                "problems"
            };
            data[form] = json!({ field: refusal.message });
        }
        data["error"] = json!(refusal.message);
    }
    Ok(data)
}

/// The catalogues in the page's language, for the table's sentences.
fn words(ctx: &Ctx) -> governance::Words<'_> {
    governance::Words {
        catalogues: ctx.instance.theme.catalogues_ref(),
        locale: &ctx.locale,
    }
}

pub async fn overview(
    ctx: Ctx,
    step: Result<Query<Step>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A hand-edited address (`?setting=a&setting=b`) is told in the reader's words, not axum's.
    let Ok(Query(step)) = step else {
        return WebError::BadRequest(super::pages::msg(&ctx, "governance_bad_query")).render(&ctx);
    };
    let me = match member(&ctx).await {
        Ok(member) => member,
        Err(response) => return response,
    };
    let setting = step.setting.split_once('.');
    let draft = Draft {
        kind: if setting.is_some() {
            "settings".into()
        } else {
            String::new()
        },
        ..Draft::default()
    };
    match table(&ctx, &me, setting, &draft, None).await {
        Ok(data) => render_or_json(&ctx, "governance.html", StatusCode::OK, data),
        Err(response) => response,
    }
}

pub async fn propose(mut ctx: Ctx, body: Bytes) -> Response {
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
        widget: form.get("widget").is_some_and(|w| w == "1"),
        theme: field("theme"),
        funder: field("funder"),
        measure: field("measure"),
        amount: field("amount"),
        rationale: field("rationale"),
    };
    match governance::propose(&ctx.live, &me, &draft, &ctx.locale).await {
        Ok(proposal) => {
            let location = format!("/governance/proposals/{}", proposal.number);
            if ctx.wants_html {
                let text = super::pages::msg(&ctx, "governance_proposal_done")
                    .replace("{number}", &proposal.number.to_string());
                ctx.keep_notice(&text).await;
                (ctx.jar.clone(), Redirect::to(&location)).into_response()
            } else {
                (StatusCode::CREATED, ctx.jar.clone(), axum::Json(proposal)).into_response()
            }
        }
        // The form comes back with what was typed and the reason, before any vote: a setting
        // at its value step, so the member corrects the value where they typed it.
        Err(GovernanceError::Invalid(refusal)) if ctx.wants_html => {
            let setting = (draft.kind == "settings" && draft.widget)
                .then_some((draft.plugin.as_str(), draft.key.as_str()));
            match table(&ctx, &me, setting, &draft, Some(refusal)).await {
                Ok(data) => page(
                    &ctx,
                    "governance.html",
                    StatusCode::UNPROCESSABLE_ENTITY,
                    data,
                ),
                Err(response) => response,
            }
        }
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
            "proposal": shown(&ctx, &proposal, &registry(&ctx)),
            "rules_text": words(&ctx).rules(&ctx.instance.manifest.governance),
            "tally_text": tally_text,
            "votes": votes,
            "tally": tally,
            "can_vote": can_vote,
            "voted": voted,
        }),
    )
}

pub async fn vote(mut ctx: Ctx, Path(number): Path<String>, body: Bytes) -> Response {
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
        let refusal = Refusal::at(
            "choice",
            words(&ctx).say("governance_refuse.no_choice", &[]),
        );
        return WebError::from(GovernanceError::from(refusal)).render(&ctx);
    };
    match governance::vote(&ctx.live, &me, number, choice).await {
        Ok(proposal) if ctx.wants_html => {
            let location = format!("/governance/proposals/{}", proposal.number);
            ctx.done_to(&location, "governance_vote_done").await
        }
        Ok(proposal) => (ctx.jar.clone(), axum::Json(proposal)).into_response(),
        Err(err) => WebError::from(err).render(&ctx),
    }
}
