//! Transfer orders and their export to the treasury (operators): the campaign page's list of
//! orders and batches, making a batch, downloading its SEPA file, and marking it paid after a
//! confirmation step — all usable without JavaScript.

use serde::Serialize;
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::input::{FormState, Problems};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, ledger, local, t};

use super::{OPERATORS, lang, to, with_form};
use crate::campaign;
use crate::transfer::export::{self, BatchStatus, ExportBatch};
use crate::transfer::{self, OrderStatus, TRANSFERS, TransferOrder};

/// Orders listed on the campaign page, newest first.
const LISTED: u32 = 100;

/// A batch as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchView {
    pub id: String,
    pub count: u32,
    pub total_cents: i64,
    pub total_text: String,
    pub created_at: i64,
    pub created_text: String,
    pub created_by: String,
    pub status: BatchStatus,
    pub paid: bool,
    pub paid_text: Option<String>,
    pub paid_by: Option<String>,
}

impl BatchView {
    pub fn new(doc: &Doc<ExportBatch>, lang: Lang) -> Self {
        let b = &doc.data;
        Self {
            id: doc.id.clone(),
            count: b.count,
            total_cents: b.total_cents,
            total_text: format_cents(b.total_cents, lang),
            created_at: b.created_at,
            created_text: local::numeric(b.created_at),
            created_by: b.created_by.clone(),
            status: b.status,
            paid: b.status == BatchStatus::Paid,
            paid_text: b.paid_at.map(local::numeric),
            paid_by: b.paid_by.clone(),
        }
    }
}

/// An order as operators see it: the IBAN's last four characters only (the file has it all).
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: String,
    pub application: String,
    pub payee_name: String,
    pub iban_masked: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub due_on: String,
    pub due_text: String,
    pub status: OrderStatus,
    pub status_label: String,
    pub batch: Option<String>,
}

impl OrderView {
    fn new(doc: &Doc<TransferOrder>, lang: Lang) -> Self {
        let o = &doc.data;
        Self {
            id: doc.id.clone(),
            application: o.application.clone(),
            payee_name: o.payee_name.clone(),
            iban_masked: transfer::mask(&o.iban),
            amount_cents: o.amount_cents,
            amount_text: format_cents(o.amount_cents, lang),
            due_on: o.due_on.clone(),
            due_text: crate::rulebook::answer::show_date(&o.due_on, lang),
            status: o.status,
            status_label: o.status.label(),
            batch: o.batch.clone(),
        }
    }
}

/// What the campaign page and `GET /api/campaigns/{id}/transfers` show of campaign `id`'s
/// orders: the latest, how many wait to be exported, what awaits the treasury, the batches.
pub fn overview(id: &str, lang: Lang) -> Result<Value> {
    let orders: Vec<OrderView> = TRANSFERS
        .query()
        .filter("campaign", Cmp::Eq, id)
        .order_by_desc("application")
        .limit(LISTED)
        .fetch()?
        .iter()
        .map(|o| OrderView::new(o, lang))
        .collect();
    let to_export = TRANSFERS
        .query()
        .filter("campaign", Cmp::Eq, id)
        .filter("status", Cmp::Eq, OrderStatus::Ordered.key())
        .count()?;
    let awaiting = ledger::get(&transfer::account(id))?.map_or(0, |a| a.balance_cents);
    let batches: Vec<BatchView> = export::BATCHES
        .query()
        .filter("campaign", Cmp::Eq, id)
        .fetch_all()?
        .iter()
        .rev()
        .map(|b| BatchView::new(b, lang))
        .collect();
    Ok(json!({
        "orders": orders,
        "to_export": to_export,
        "awaiting_cents": awaiting,
        "awaiting_text": format_cents(awaiting, lang),
        "batches": batches,
    }))
}

/// `GET /api/campaigns/{id}/transfers` (operators).
pub fn api_overview(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let id = params.get("id")?;
    campaign::load(id)?;
    Response::json(&overview(id, lang)?)
}

/// `POST /campaigns/{id}/transfer-batches` (form) and `POST /api/campaigns/{id}/transfer-batches`
/// (JSON), `{request_id}`: a batch of the orders not yet exported. JSON: `201` with the batch;
/// a form goes back to the campaign's page, where the batch's file is linked.
pub fn create(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "export", &["request_id"])?;
    let mut problems = Problems::default();
    let request_id = sub
        .input
        .request_id(&mut problems, || t!("vouchers.problems.request_id"));
    let page = |status, form| super::campaigns::page_with_form(&id, status, form, lang);
    if !problems.is_empty() {
        return sub.refused(problems, page);
    }
    let made = export::create(&id, &request_id, &user.username, clock::now_ms());
    sub.answer(
        made,
        |batch| {
            let done = t!("vouchers.done.transfers_exported");
            sub.done(
                &BatchView::new(&batch, lang),
                &format!("/campaigns/{id}#transfers"),
            )
            .map(|answer| answer.with_notice(done))
        },
        page,
    )
}

/// `GET /campaigns/{id}/transfer-batches/{batch}/pain001.xml` (operators): the batch's SEPA
/// file, the same each time it is downloaded.
pub fn download(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let (name, bytes) = export::file(params.get("id")?, params.get("batch")?)?;
    Ok(Response::download(name, "application/xml", bytes))
}

/// The page asking to confirm that the treasury paid a batch.
fn confirm_page(
    id: &str,
    batch: &str,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let doc = campaign::load(id)?;
    let found = export::load(id, batch)?;
    let context = json!({
        "campaign": { "id": id, "title": doc.data.title },
        "batch": BatchView::new(&found, lang),
    });
    Response::render_with_status(status, "transfer_paid.html", &with_form(context, form))
}

/// `GET /campaigns/{id}/transfer-batches/{batch}/paid` (operators): the confirmation step.
pub fn confirm(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    confirm_page(params.get("id")?, params.get("batch")?, 200, None, lang)
}

/// `POST /campaigns/{id}/transfer-batches/{batch}/paid` (form) and its `/api` twin, with
/// `confirm: yes`: the treasury paid the batch (see [`export::mark_paid`]). JSON: `200` with
/// the batch; a form goes back to the campaign's page. Without the confirmation, `422`.
pub fn mark_paid(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let batch = params.get("batch")?.to_owned();
    let sub = Submission::read(&request, "paid", &["confirm"])?;
    let page = |status, form| confirm_page(&id, &batch, status, Some(form), lang);
    if sub.input.flag("confirm") != Ok(true) {
        let mut problems = Problems::default();
        problems.push("confirm", t!("vouchers.transfer.confirm_required"));
        return sub.refused(problems, page);
    }
    let done = export::mark_paid(&id, &batch, &user.username, clock::now_ms());
    sub.answer(
        done,
        |paid| {
            if sub.json {
                Response::json(&BatchView::new(&paid, lang))
            } else {
                let done = t!("vouchers.done.transfers_paid");
                Ok(to(&format!("/campaigns/{id}#transfers")).with_notice(done))
            }
        },
        page,
    )
}
