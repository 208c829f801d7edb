//! Providers' pages and API. Operators register providers and their services (when the
//! `admissions` plugin does not), see what each is owed and pay it; a provider's owner links
//! their account, prices their services, and sees and exports their sales.

use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Problems, wants_json};
use trama_sdk::money::format_cents;
use trama_sdk::router::Params;
use trama_sdk::store::{self, Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t, web};

use super::{FormState, OPERATORS, lang, operator, with_form};
use crate::catalogue::{self, ServiceView};
use crate::category;
use crate::payout::{self, PROVIDER_PAYMENTS};
use crate::provider::{self, PROVIDERS, Provider, ProviderView, Status};
use crate::purchase::{self, PurchaseView};
use crate::report;

fn provider_views(lang: Lang) -> Result<Vec<ProviderView>> {
    PROVIDERS
        .query()
        .limit(1000)
        .fetch()?
        .iter()
        .map(|doc| ProviderView::new(doc, lang))
        .collect()
}

fn list_page(status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let context = json!({
        "providers": provider_views(lang)?,
        "categories": category::choices(&[]),
    });
    Response::render_with_status(status, "providers.html", &with_form(context, form))
}

/// `GET /providers` (operators): every provider and what it is owed, the registration form.
pub fn list(request: Request, _: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    list_page(200, None, lang)
}

/// `GET /api/providers` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    Response::json(&provider_views(lang)?)
}

/// `POST /providers`, `POST /api/providers` (operators): `{legal_name, vat_number,
/// categories}`; `201` with the provider and its one-time `claim_code`.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    let sub =
        Submission::read(&request, "register", provider::JSON_FIELDS)?.with_lists(&["categories"]);
    let show = |status, form| list_page(status, Some(form), lang);
    let new = match provider::read_new(&sub.input) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = provider::register(new, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                web::created(&ProviderView::new(&doc, lang)?)
            } else {
                let done = t!(
                    "corporate_plans.done.provider_registered",
                    name = doc.data.legal_name
                );
                Ok(web::to(&format!("/providers/{}", doc.id)).with_notice(done))
            }
        },
        show,
    )
}

/// What a provider's page shows, to the operator and to its owner.
fn provider_context(doc: &Doc<Provider>, lang: Lang) -> Result<Value> {
    let services: Vec<ServiceView> = catalogue::of_provider(&doc.id)?
        .iter()
        .map(|s| ServiceView::new(s, &doc.data.legal_name, lang))
        .collect();
    let sales: Vec<PurchaseView> = purchase::by("provider", &doc.id, 50, 0)?
        .iter()
        .map(|p| PurchaseView::new(p, lang))
        .collect();
    let payments: Vec<Value> = PROVIDER_PAYMENTS
        .query()
        .filter("provider", Cmp::Eq, doc.id.as_str())
        .order_by_desc("paid_at")
        .limit(50)
        .fetch()?
        .iter()
        .map(|p| {
            json!({
                "amount_cents": p.data.amount_cents,
                "amount_text": format_cents(p.data.amount_cents, lang),
                "reference": p.data.reference,
                "paid_utc": clock::DateTime::from_unix_ms(p.data.paid_at).to_string(),
            })
        })
        .collect();
    Ok(json!({
        "provider": ProviderView::new(doc, lang)?,
        "services": services,
        "sales": sales,
        "payments": payments,
        "summary": report::provider_summary(&doc.id, lang)?,
    }))
}

fn operator_page(id: &str, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let doc = provider::load(id)?;
    let mut context = provider_context(&doc, lang)?;
    context["is_operator"] = json!(true);
    context["categories"] = json!(category::choices(&[]));
    context["request_id"] = json!(store::new_id());
    Response::render_with_status(status, "provider.html", &with_form(context, form))
}

/// `GET /providers/{id}` (operators): services, sales, payments, the forms to add a service
/// and to pay.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    operator_page(params.get("id")?, 200, None, lang)
}

/// `GET /api/providers/{id}` (operators)
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    let doc = provider::load(params.get("id")?)?;
    Response::json(&provider_context(&doc, lang)?)
}

/// `POST /providers/{id}/services`, `POST /api/providers/{id}/services` (operators):
/// `{title, category, description?, price?}`; `201` with the service.
pub fn add_service(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "service", catalogue::JSON_FIELDS)?;
    let show = |status, form| operator_page(&id, status, Some(form), lang);
    let new = match catalogue::read_new(&sub.input, lang) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = catalogue::add(&id, new, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            if !sub.json {
                let done = t!("corporate_plans.done.service_added", title = doc.data.title);
                return Ok(web::to(&format!("/providers/{id}")).with_notice(done));
            }
            let name = provider::load(&id)?.data.legal_name;
            web::created(&ServiceView::new(&doc, &name, lang))
        },
        show,
    )
}

/// `POST /providers/{id}/pay`, `POST /api/providers/{id}/pay` (operators): `{amount?,
/// reference, request_id}`; without `amount`, everything owed. `201` with the payment and
/// what is still owed.
pub fn pay(request: Request, params: Params) -> Result<Response> {
    let (lang, user) = operator(&request)?;
    let id = params.get("id")?.to_owned();
    let sub = Submission::read(&request, "pay", payout::PAY_FIELDS)?;
    let show = |status, form| operator_page(&id, status, Some(form), lang);
    let payment = match payout::read_payment(&sub.input) {
        Ok(payment) => payment,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = payout::pay(&id, payment, &user, clock::now_ms(), lang);
    sub.answer(
        outcome,
        |doc| {
            if !sub.json {
                let amount = format_cents(doc.data.amount_cents, lang);
                let done = t!("corporate_plans.done.provider_paid", amount = amount);
                return Ok(web::to(&format!("/providers/{id}")).with_notice(done));
            }
            web::created(&json!({
                "id": doc.id,
                "amount_cents": doc.data.amount_cents,
                "reference": doc.data.reference,
                "owed_cents": provider::owed(&id)?,
            }))
        },
        show,
    )
}

/// `POST /providers/{id}/suspend`, `…/reactivate` (operators; providers registered here).
pub fn set_status(request: Request, params: Params) -> Result<Response> {
    let (lang, _) = operator(&request)?;
    let id = params.get("id")?;
    let status = if request.path().ends_with("/suspend") {
        Status::Suspended
    } else {
        Status::Active
    };
    let doc = provider::set_status(id, status, clock::now_ms())?;
    if wants_json(&request) {
        Response::json(&ProviderView::new(&doc, lang)?)
    } else {
        let name = doc.data.legal_name.clone();
        let done = match status {
            Status::Suspended => t!("corporate_plans.done.provider_suspended", name = name),
            _ => t!("corporate_plans.done.provider_reactivated", name = name),
        };
        Ok(web::to(&format!("/providers/{id}")).with_notice(done))
    }
}

/// What a provider's owner sees: each provider they act for.
fn owner_context(user: &User, lang: Lang) -> Result<Value> {
    let providers = provider::of_user(user)?
        .iter()
        .map(|doc| provider_context(doc, lang))
        .collect::<Result<Vec<_>>>()?;
    Ok(json!({ "providers": providers }))
}

fn owner_page(user: &User, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let context = owner_context(user, lang)?;
    Response::render_with_status(status, "provider_home.html", &with_form(context, form))
}

/// `GET /provider` (logged in): the claim form, or the caller's providers with their services
/// (to price), sales and payments.
pub fn owner(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    owner_page(&user, 200, None, lang)
}

/// `GET /api/provider` (logged in)
pub fn api_owner(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    Response::json(&owner_context(&user, lang)?)
}

/// `POST /provider/claim`, `POST /api/provider/claim` (logged in): `{code}`.
pub fn claim(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let sub = Submission::read(&request, "claim", &["code"])?;
    let outcome = provider::claim(&user, sub.input.one("code").unwrap_or_default());
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                Response::json(&ProviderView::new(&doc, lang)?)
            } else {
                let done = t!(
                    "corporate_plans.done.provider_claimed",
                    name = doc.data.legal_name
                );
                Ok(web::to("/provider").with_notice(done))
            }
        },
        |status, form| owner_page(&user, status, Some(form), lang),
    )
}

/// `POST /services/{id}/price`, `POST /api/services/{id}/price` (the provider's owner, or an
/// operator): `{price}`; an empty price takes the service out of the catalogue.
pub fn set_price(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?;
    let sub = Submission::read(&request, &format!("price-{id}"), catalogue::PRICE_FIELDS)?;
    let operator = OPERATORS.admits();
    let mine = provider::of_user(&user)?;
    if !operator && mine.is_empty() {
        return Err(Error::forbidden(t!("corporate_plans.web.prices")));
    }
    let show = |status, form| owner_page(&user, status, Some(form), lang);
    let mut problems = Problems::default();
    let price = catalogue::read_price(&sub.input, lang, &mut problems);
    if !problems.is_empty() {
        return sub.refused(problems, show);
    }
    let acting_for = (!operator).then_some(mine.as_slice());
    let outcome = catalogue::set_price(id, price, acting_for, clock::now_ms());
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                let name = PROVIDERS
                    .get(&doc.data.provider)?
                    .map(|p| p.data.legal_name)
                    .unwrap_or_default();
                Response::json(&ServiceView::new(&doc, &name, lang))
            } else {
                let done = if doc.data.price_cents.is_some() {
                    t!("corporate_plans.done.price_set", title = doc.data.title)
                } else {
                    t!("corporate_plans.done.price_removed", title = doc.data.title)
                };
                let back = if operator && mine.iter().all(|p| p.id != doc.data.provider) {
                    format!("/providers/{}", doc.data.provider)
                } else {
                    "/provider".to_owned()
                };
                Ok(web::to(&back).with_notice(done))
            }
        },
        show,
    )
}

/// `GET /providers/{id}/sales.csv` (the provider's owner, or an operator)
pub fn sales_csv(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?;
    let allowed = OPERATORS.admits() || provider::of_user(&user)?.iter().any(|p| p.id == id);
    if !allowed {
        return Err(Error::not_found(t!(
            "corporate_plans.web.not_your_provider",
            id = id
        )));
    }
    provider::load(id)?;
    Ok(report::provider_sales_csv(id, lang)?.download(format!("sales-{id}.csv")))
}
