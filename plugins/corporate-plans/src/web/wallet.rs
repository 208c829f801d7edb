//! Employees' pages and API: their wallets and movements, activating an enrolment, the
//! catalogue, buying, and asking for reimbursements.

use serde::Deserialize;
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::ledger;
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{self, Doc};
use trama_sdk::submit::{Step, Submission};
use trama_sdk::{Result, clock, t, web};

use super::{FormState, lang, with_form};
use crate::accounts;
use crate::catalogue;
use crate::company::COMPANIES;
use crate::enrol::{self, Enrolment, EnrolmentView};
use crate::plan::{self, PLANS, PlanView};
use crate::purchase::{self, PurchaseView};
use crate::reimbursement::{self, ReimbursementView};

/// A wallet as the employee sees it: the enrolment, its plan and its company.
fn wallet_view(doc: &Doc<Enrolment>, lang: Lang) -> Result<Value> {
    let plan = plan::load(&doc.data.plan)?;
    let company = COMPANIES
        .get(&doc.data.company)?
        .map(|c| c.data.name)
        .unwrap_or_default();
    let mut view = serde_json::to_value(EnrolmentView::new(doc, lang)?)?;
    // The employee does not need HR's copy of the code.
    view["activation_code"] = Value::Null;
    view["plan_view"] = serde_json::to_value(PlanView::new(&plan, clock::today(), lang)?)?;
    view["company_name"] = json!(company);
    Ok(view)
}

/// The caller's wallets and the enrolments waiting for their activation code.
pub fn my_wallets(user: &User, lang: Lang) -> Result<(Vec<Value>, Vec<Value>)> {
    let enrol::Mine { active, pending } = enrol::of_user(user)?;
    let wallets = active
        .iter()
        .map(|doc| wallet_view(doc, lang))
        .collect::<Result<Vec<_>>>()?;
    let waiting = pending
        .iter()
        .map(|doc| {
            let plan = PLANS.get(&doc.data.plan)?;
            let company = COMPANIES.get(&doc.data.company)?;
            Ok(json!({
                "id": doc.id,
                "plan_title": plan.map(|p| p.data.title).unwrap_or_default(),
                "company_name": company.map(|c| c.data.name).unwrap_or_default(),
                "credit_text": format_cents(doc.data.credit_cents, lang),
                "locked": doc.data.failed_attempts >= enrol::MAX_FAILED_ATTEMPTS,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((wallets, waiting))
}

/// `GET /api/me` (logged in): the caller's wallets and pending enrolments.
pub fn api_me(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let (wallets, pending) = my_wallets(&user, lang)?;
    Response::json(&json!({ "wallets": wallets, "pending": pending }))
}

/// `POST /enrolments/{id}/activate`, `POST /api/enrolments/{id}/activate` (the enrolled
/// username): `{code}`.
pub fn activate(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?;
    let sub = Submission::read(&request, &format!("activate-{id}"), &["code"])?;
    let show = |status, form| super::home::page_for(&user, status, Some(form), lang);
    match enrol::activate(id, &user, sub.input.one("code").unwrap_or_default()) {
        // A locked enrolment (`403`) is also said next to the code, with what to do.
        Err(err) if !sub.json && err.status() == 403 => show(
            403,
            FormState::message(&format!("activate-{id}"), err.message(), sub.echo()),
        ),
        outcome => sub.answer(
            outcome,
            |doc| {
                if sub.json {
                    Response::json(&wallet_view(&doc, lang)?)
                } else {
                    let done = t!("corporate_plans.done.activated");
                    Ok(web::to(&format!("/wallets/{}", doc.id)).with_notice(done))
                }
            },
            show,
        ),
    }
}

/// The ledger's movements of a wallet, newest first, as the employee reads them.
fn movements(doc: &Doc<Enrolment>, lang: Lang) -> Result<Vec<Value>> {
    let wallet = accounts::wallet(&doc.id);
    Ok(ledger::history(&wallet, 200, 0)?
        .into_iter()
        .map(|t| {
            let incoming = t.to == wallet;
            let signed = if incoming {
                t.amount_cents
            } else {
                -t.amount_cents
            };
            json!({
                "at_utc": clock::DateTime::from_unix_ms(t.at).to_string(),
                "memo": t.memo,
                "amount_cents": signed,
                "amount_text": format_cents(signed, lang),
                "incoming": incoming,
            })
        })
        .collect())
}

fn wallet_context(doc: &Doc<Enrolment>, lang: Lang) -> Result<Value> {
    let plan = plan::load(&doc.data.plan)?;
    let purchases: Vec<PurchaseView> = purchase::by("enrolment", &doc.id, 200, 0)?
        .iter()
        .map(|p| PurchaseView::new(p, lang))
        .collect();
    let requests: Vec<ReimbursementView> = reimbursement::by("enrolment", &doc.id, 200, 0)?
        .iter()
        .map(|r| ReimbursementView::new(r, lang))
        .collect();
    Ok(json!({
        "wallet": wallet_view(doc, lang)?,
        "open": plan.data.is_open(clock::today()),
        "movements": movements(doc, lang)?,
        "purchases": purchases,
        "reimbursements": requests,
        "today": clock::today().to_string(),
    }))
}

fn wallet_page(
    doc: &Doc<Enrolment>,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    wallet_page_with(doc, status, form, None, lang)
}

fn wallet_page_with(
    doc: &Doc<Enrolment>,
    status: u16,
    form: Option<FormState>,
    receipt: Option<PurchaseView>,
    lang: Lang,
) -> Result<Response> {
    let mut context = wallet_context(doc, lang)?;
    context["request_id"] = json!(store::new_id());
    context["receipt"] = json!(receipt);
    Response::render_with_status(status, "wallet.html", &with_form(context, form))
}

#[derive(Deserialize)]
struct WalletQuery {
    bought: Option<String>,
}

/// `GET /wallets/{id}` (its employee): balance, movements, purchases, reimbursements and the
/// form to ask for one; `?bought=` shows the receipt of a purchase just made.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let doc = enrol::load_own(params.get("id")?, &user)?;
    let query: WalletQuery = request.parse_query()?;
    let receipt = match query.bought {
        Some(id) => purchase::PURCHASES
            .get(&id)?
            .filter(|p| p.data.enrolment == doc.id)
            .map(|p| PurchaseView::new(&p, lang)),
        None => None,
    };
    wallet_page_with(&doc, 200, None, receipt, lang)
}

/// `GET /api/wallets/{id}` (its employee)
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let doc = enrol::load_own(params.get("id")?, &user)?;
    Response::json(&wallet_context(&doc, lang)?)
}

/// The catalogue for the caller: services in the categories of their open plans, and which
/// wallets can pay for each.
fn catalogue_context(user: &User, lang: Lang) -> Result<Value> {
    let active = enrol::of_user(user)?.active;
    let today = clock::today();
    let mut wallets: Vec<(Doc<Enrolment>, plan::Plan)> = Vec::new();
    for doc in active {
        if let Some(plan) = PLANS.get(&doc.data.plan)?
            && plan.data.is_open(today)
        {
            wallets.push((doc, plan.data));
        }
    }
    let mut categories: Vec<String> = Vec::new();
    for (_, plan) in &wallets {
        for c in &plan.categories {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
    }
    let services = if wallets.is_empty() {
        Vec::new()
    } else {
        catalogue::listed(&categories, lang)?
    };
    let mut items = Vec::new();
    for service in services {
        let mut payers = Vec::new();
        for (doc, plan) in &wallets {
            if plan.allows(&service.category) {
                let balance = accounts::balance(&accounts::wallet(&doc.id))?;
                payers.push(json!({
                    "enrolment": doc.id,
                    "plan_title": plan.title,
                    "balance_text": format_cents(balance, lang),
                    "enough": service.price_cents.is_some_and(|p| p <= balance),
                }));
            }
        }
        let mut item = serde_json::to_value(&service)?;
        item["payers"] = Value::Array(payers);
        items.push(item);
    }
    Ok(json!({
        "has_wallet": !wallets.is_empty(),
        "services": items,
    }))
}

fn catalogue_page(
    user: &User,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let mut context = catalogue_context(user, lang)?;
    context["request_id"] = json!(store::new_id());
    Response::render_with_status(status, "catalogue.html", &with_form(context, form))
}

/// `GET /catalogue` (logged in)
pub fn catalogue_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    catalogue_page(&user, 200, None, lang)
}

/// `GET /api/catalogue` (logged in): the services the caller's open plans can buy.
pub fn api_catalogue(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    Response::json(&catalogue_context(&user, lang)?)
}

/// `POST /purchases`, `POST /api/purchases` (an enrolled employee): `{enrolment, service,
/// price?, request_id}`; `201` with the purchase and the balance left; `409` over the
/// balance, saying what is left.
pub fn buy(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let sub = Submission::read(&request, "buy", purchase::JSON_FIELDS)?;
    let show = |status, mut form: FormState| {
        // The page comes back with a fresh request id for the next try.
        form.values.remove("request_id");
        catalogue_page(&user, status, Some(form), lang)
    };
    let order = match purchase::read(&sub.input) {
        Ok(order) => order,
        Err(problems) => return sub.refused(problems, show),
    };
    sub.answer(
        purchase::buy(&user, order, lang),
        |doc| {
            if !sub.json {
                let amount = format_cents(doc.data.amount_cents, lang);
                let done = t!("corporate_plans.done.bought", amount = amount);
                let back = format!("/wallets/{}?bought={}", doc.data.enrolment, doc.id);
                return Ok(web::to(&back).with_notice(done));
            }
            let mut view = serde_json::to_value(PurchaseView::new(&doc, lang))?;
            view["balance_cents"] =
                json!(accounts::balance(&accounts::wallet(&doc.data.enrolment))?);
            web::created(&view)
        },
        show,
    )
}

/// `POST /reimbursements`, `POST /api/reimbursements` (an enrolled employee): `{enrolment,
/// category, amount, expense_date, receipt_reference, description?}`; `201` with the request.
pub fn request_reimbursement(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let sub = Submission::read(&request, "reimbursement", reimbursement::JSON_FIELDS)?;
    let show = |status: u16, form: FormState| -> Result<Response> {
        let enrolment = sub.input.one("enrolment").unwrap_or_default();
        let doc = enrol::load_own(enrolment, &user)?;
        wallet_page(&doc, status, Some(form), lang)
    };
    // A person's request comes in two steps: the answers, checked and shown back as a
    // summary, then the confirmation. Programs send at once.
    let step = sub.step();
    if step == Step::Edit {
        return sub.edit(show);
    }
    let new = match reimbursement::read(&sub.input) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    if step == Step::Review {
        return match reimbursement::review(&user, &new, lang) {
            Ok(lines) => {
                let context = Value::Object(sub.review(lines));
                Response::render("reimbursement_review.html", &context)
            }
            Err(err) => sub.failed(err, show),
        };
    }
    sub.answer(
        reimbursement::submit(&user, new, lang),
        |doc| {
            let protocol = doc.data.protocol.as_ref().map_or("", |p| p.label());
            let done = t!(
                "corporate_plans.done.reimbursement_requested",
                protocol = protocol
            );
            sub.done(
                &ReimbursementView::new(&doc, lang),
                &format!("/reimbursements/{}", doc.id),
            )
            .map(|answer| answer.with_notice(done))
        },
        show,
    )
}
