//! Companies' pages and API for the cooperative's operators: registering companies, their HR
//! codes and deposits; and the HR code a company's HR office enters to link its account.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity;
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{self, Cmp};
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, t, web};

use super::{FormState, lang, operator, with_form};
use crate::company::{self, COMPANIES, CompanyView, DEPOSITS, DepositView};
use crate::fields::shown_code;
use crate::plan::{PLANS, PlanView};

fn company_views(lang: Lang) -> Result<Vec<CompanyView>> {
    COMPANIES
        .query()
        .order_by_desc("created_at")
        .limit(1000)
        .fetch()?
        .iter()
        .map(|doc| CompanyView::new(doc, lang))
        .collect()
}

fn list_page(status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let context = json!({ "companies": company_views(lang)? });
    Response::render_with_status(status, "companies.html", &with_form(context, form))
}

/// `GET /companies` (operators): every company and its balance, the registration form.
pub fn list(request: Request, _: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    list_page(200, None, lang)
}

/// `GET /api/companies` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    Response::json(&company_views(lang)?)
}

/// `POST /companies`, `POST /api/companies` (operators): `{name, vat_number}`; `201` with the
/// company and its first one-time `hr_code`.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let (lang, user) = operator(&request)?;
    let sub = Submission::read(&request, "register", company::JSON_FIELDS)?;
    let show = |status, form| list_page(status, Some(form), lang);
    let new = match company::read_new(&sub.input) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = company::register(new, &user, clock::now_ms());
    sub.answer(
        outcome,
        |(doc, code)| {
            if !sub.json {
                let done = t!(
                    "corporate_plans.done.company_registered",
                    name = doc.data.name
                );
                return Ok(web::to(&format!("/companies/{}", doc.id)).with_notice(done));
            }
            let mut view = serde_json::to_value(CompanyView::new(&doc, lang)?)?;
            view["hr_code"] = json!(shown_code(&code));
            web::created(&view)
        },
        show,
    )
}

/// What the operator's page of a company and `GET /api/companies/{id}` show.
fn company_context(id: &str, lang: Lang) -> Result<Value> {
    let doc = company::load(id)?;
    let today = clock::today();
    let deposits: Vec<DepositView> = DEPOSITS
        .query()
        .filter("company", Cmp::Eq, id)
        .order_by_desc("at")
        .limit(100)
        .fetch()?
        .iter()
        .map(|d| DepositView::new(d, lang))
        .collect();
    let plans: Vec<PlanView> = PLANS
        .query()
        .filter("company", Cmp::Eq, id)
        .order_by_desc("created_at")
        .limit(100)
        .fetch()?
        .iter()
        .map(|p| PlanView::new(p, today, lang))
        .collect::<Result<_>>()?;
    let staff: Vec<Value> = company::hr_staff(id)?
        .iter()
        .map(|l| json!({ "username": l.data.username, "display_name": l.data.display_name }))
        .collect();
    let codes: Vec<String> = company::unused_codes(id)?
        .iter()
        .map(|c| shown_code(c))
        .collect();
    Ok(json!({
        "company": CompanyView::new(&doc, lang)?,
        "deposits": deposits,
        "plans": plans,
        "hr_staff": staff,
        "hr_codes": codes,
    }))
}

fn company_page(id: &str, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let mut context = company_context(id, lang)?;
    // One per page load: a double-clicked "record" records once.
    context["request_id"] = json!(store::new_id());
    Response::render_with_status(status, "company.html", &with_form(context, form))
}

/// `GET /companies/{id}` (operators): balance, deposits, HR staff and codes, plans.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    company_page(params.get("id")?, 200, None, lang)
}

/// `GET /api/companies/{id}` (operators)
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    Response::json(&company_context(params.get("id")?, lang)?)
}

/// `POST /companies/{id}/deposits`, `POST /api/companies/{id}/deposits` (operators):
/// `{amount, reference, request_id}`; `201` with the deposit and the new balance.
pub fn deposit(request: Request, params: Params) -> Result<Response> {
    let (lang, user) = operator(&request)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "deposit", company::DEPOSIT_FIELDS)?;
    let show = |status, form| company_page(&id, status, Some(form), lang);
    let new = match company::read_deposit(&sub.input) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = company::deposit(&id, new, &user, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            if !sub.json {
                let amount = format_cents(doc.data.amount_cents, lang);
                let done = t!("corporate_plans.done.deposited", amount = amount);
                return Ok(web::to(&format!("/companies/{id}")).with_notice(done));
            }
            let mut view = serde_json::to_value(DepositView::new(&doc, lang))?;
            view["balance_cents"] = json!(company::balance(&id)?);
            web::created(&view)
        },
        show,
    )
}

/// `POST /companies/{id}/hr-codes`, `POST /api/companies/{id}/hr-codes` (operators): a new
/// one-time HR code for one more person of the company's HR office.
pub fn new_hr_code(request: Request, params: Params) -> Result<Response> {
    let (_, user) = operator(&request)?;
    let id = params.get("id")?;
    company::load(id)?;
    let code = company::issue_hr_code(id, &user, clock::now_ms())?;
    let sub = Submission::of(&request, "hr-code", Default::default());
    sub.done(
        &json!({ "company": id, "hr_code": shown_code(&code) }),
        &format!("/companies/{id}"),
    )
    .map(|answer| answer.with_notice(t!("corporate_plans.done.hr_code_issued")))
}

/// `POST /hr/claim`, `POST /api/hr/claim` (role `company_hr`): `{code}` links the caller's
/// account to the company.
pub fn claim(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let sub = Submission::read(&request, "claim", &["code"])?;
    let text = sub.input.one("code").unwrap_or_default();
    let outcome = company::claim(&user, text, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                Response::json(&CompanyView::new(&doc, lang)?)
            } else {
                let done = t!("corporate_plans.done.hr_claimed", name = doc.data.name);
                Ok(web::to("/hr").with_notice(done))
            }
        },
        |status, form| super::plans::hr_page(&user, status, Some(form), lang),
    )
}
