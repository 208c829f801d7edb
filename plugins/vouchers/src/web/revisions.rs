//! Changing a published campaign (operators only), each change a new version of the notice
//! (see [`crate::revise`]): `POST /campaigns/{id}/edit`, `/extend` and `/cancel`, each with its
//! JSON twin under `/api`. A form goes back to the campaign's page, or shows it again with
//! what to fix; JSON gets `200` with the campaign.
//!
//! Withdrawing cannot be undone, so the form asks twice: posted without `confirm=yes` it
//! answers with a page that says what will happen (how many applications, how much budget)
//! and a button that posts again with `confirm=yes` — no JavaScript needed. JSON must send
//! `confirm: true`.

use serde_json::json;
use trama_sdk::clock::{self, Date};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::input::Problems;
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, ledger, t};

use super::{OPERATORS, lang, to};
use crate::campaign::{self, Campaign, CampaignView};
use crate::revise::{self, EditRequest};

/// The answer to a change made: the campaign in JSON, or its page saying `done`.
fn changed(sub: &Submission, doc: &Doc<Campaign>, lang: Lang, done: String) -> Result<Response> {
    if sub.json {
        return Response::json(&CampaignView::new(doc, clock::today(), lang));
    }
    Ok(to(&format!("/campaigns/{}", doc.id)).with_notice(done))
}

/// `POST /campaigns/{id}/edit`: any of the campaign's fields, and `reason`.
pub fn edit(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "edit", &revise::edit::fields())?.with_lists(&[
        "fields",
        "ranking",
        "excluded_campaigns",
    ]);
    let page = |status, form| super::campaigns::page_with_form(&id, status, form, lang);
    let today = clock::today();
    match revise::edit(&id, &sub.input, &user.username, today, clock::now_ms()) {
        Ok(doc) => {
            let done = t!("vouchers.done.edited", version = doc.data.notice_version);
            changed(&sub, &doc, lang, done)
        }
        Err(EditRequest::Problems(problems)) => sub.refused(problems, page),
        Err(EditRequest::Other(err)) => sub.failed(err, page),
    }
}

/// `POST /campaigns/{id}/extend`: `closes_on` (later than now, not before today), `reason`.
pub fn extend(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "extend", &["closes_on", "reason"])?;
    let mut problems = Problems::default();
    let closes_on = match sub.input.one("closes_on") {
        None => {
            problems.push("closes_on", t!("vouchers.problems.required"));
            None
        }
        Some(text) => Date::parse(text).ok().or_else(|| {
            problems.push(
                "closes_on",
                t!("vouchers.problems.date_malformed", text = text),
            );
            None
        }),
    };
    let reason = revise::read_reason(sub.input.one("reason"), &mut problems);
    let page = |status, form| super::campaigns::page_with_form(&id, status, form, lang);
    let Some(closes_on) = closes_on.filter(|_| problems.is_empty()) else {
        return sub.refused(problems, page);
    };
    let outcome = revise::extend(
        &id,
        closes_on,
        &reason,
        &user.username,
        clock::today(),
        clock::now_ms(),
    );
    let done = t!(
        "vouchers.done.extended",
        closes_on = trama_sdk::local::long_date(closes_on, lang)
    );
    sub.answer(outcome, |doc| changed(&sub, &doc, lang, done), page)
}

/// `POST /campaigns/{id}/cancel`: `reason` and `confirm` (see the module documentation).
pub fn cancel(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "cancel", &["reason", "confirm"])?;
    let mut problems = Problems::default();
    let reason = revise::read_reason(sub.input.one("reason"), &mut problems);
    let confirmed = sub.input.flag("confirm").unwrap_or(false);
    if sub.json && !confirmed {
        problems.push("confirm", t!("vouchers.revision.confirm_required"));
    }
    let page = |status, form| super::campaigns::page_with_form(&id, status, form, lang);
    if !problems.is_empty() {
        return sub.refused(problems, page);
    }
    if !confirmed {
        return confirm_page(&id, &reason, lang);
    }
    let outcome = revise::cancel(&id, &reason, &user.username, clock::now_ms());
    let done = t!("vouchers.done.cancelled");
    sub.answer(outcome, |doc| changed(&sub, &doc, lang, done), page)
}

/// The page that asks to confirm a withdrawal, saying what it does.
fn confirm_page(id: &str, reason: &str, lang: Lang) -> Result<Response> {
    let doc = campaign::load(id)?;
    let budget = ledger::balance(&campaign::budget_account(id))?;
    Response::render(
        "campaign_cancel.html",
        &json!({
            "campaign": CampaignView::new(&doc, clock::today(), lang),
            "reason": reason,
            "applications": revise::applications(id)?,
            "budget_text": format_cents(budget, lang),
        }),
    )
}
