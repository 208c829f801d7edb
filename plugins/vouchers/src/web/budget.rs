//! Adding budget to a campaign: `POST /campaigns/{id}/budget` (form) and
//! `POST /api/campaigns/{id}/budget` (JSON), operators only.

use serde_json::json;
use trama_sdk::budget::{self, Allocation, Measure};
use trama_sdk::http::{Request, Response};
use trama_sdk::input::Problems;
use trama_sdk::money::{self, format_cents};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, i18n, t};

use super::{OPERATORS, lang, to};
use crate::campaign;

/// `{amount, request_id}`: the amount in euros, and the idempotency key the form carries, so
/// a double click adds it once. JSON: `200` with the budget and how many of the ranking were
/// funded with it; a form goes back to the campaign's page.
pub fn add(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "budget", &["amount", "request_id"])?;
    let mut problems = Problems::default();
    let request_id = sub
        .input
        .request_id(&mut problems, || t!("vouchers.problems.request_id"));
    let cents = match sub.input.one("amount") {
        None => {
            problems.push("amount", t!("vouchers.problems.amount_required"));
            0
        }
        Some(text) => match money::parse_euros(text) {
            Ok(cents) if cents > 0 => cents,
            Ok(_) => {
                problems.push("amount", t!("vouchers.problems.amount_zero"));
                0
            }
            Err(err) => {
                problems.push("amount", err.describe(text, i18n::current()));
                0
            }
        },
    };
    let page = |status, form| super::campaigns::page_with_form(&id, status, form, lang);
    if !problems.is_empty() {
        return sub.refused(problems, page);
    }
    let done = |funded: usize| {
        if !sub.json {
            let amount = format_cents(cents, lang);
            let done = t!("vouchers.done.budget_added", amount = amount);
            return Ok(to(&format!("/campaigns/{id}")).with_notice(done));
        }
        let doc = campaign::load(&id)?;
        Response::json(&json!({
            "budget_cents": doc.data.budget_cents,
            "budget_text": format_cents(doc.data.budget_cents, lang),
            "funded": funded,
        }))
    };
    sub.answer(
        campaign::add_budget(&id, cents, &request_id, &user.username, clock::now_ms()),
        done,
        page,
    )
}

/// The campaigns the coordination table may fund (`[budget] measures` of `plugin.toml`, called
/// only by the kernel): every campaign not withdrawn, with its whole budget, what it committed
/// (vouchers issued, transfers ordered), what was spent and what it still holds.
pub fn measures(_request: Request, _params: Params) -> Result<Response> {
    let figures = crate::dashboard::build(clock::today(), trama_sdk::i18n::Lang::It)?;
    let mut measures = Vec::new();
    for campaign in figures.campaigns {
        if campaign::load(&campaign.id)?.data.state == campaign::State::Cancelled {
            continue;
        }
        measures.push(Measure {
            remaining_cents: campaign.remaining.cents,
            ..Measure::new(
                campaign.id,
                campaign.title,
                campaign.budget.cents,
                campaign.issued.cents,
                campaign.spent.cents,
            )
        });
    }
    budget::listed(&measures)
}

/// Money the coordination table allocated to a campaign (`[budget] allocate`, called only by
/// the kernel): added to its budget as an operator's addition is, once per key — a closed
/// campaign then funds the next in its ranking. A withdrawn or unknown campaign refuses it
/// (409, 404), and the kernel gives the money back to the fund.
pub fn allocate(request: Request, _params: Params) -> Result<Response> {
    let allocation = Allocation::read(&request)?;
    let funded = campaign::add_budget(
        &allocation.measure,
        allocation.amount_cents,
        &allocation.key,
        "@governance",
        clock::now_ms(),
    )?;
    let doc = campaign::load(&allocation.measure)?;
    Response::json(&json!({ "budget_cents": doc.data.budget_cents, "funded": funded }))
}
