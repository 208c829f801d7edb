//! The public side: search, a service's page with its provider's card, and booking.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::lang;
use trama_sdk::input::{FormState, with_form};
use trama_sdk::router::Params;
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, identity};

use crate::booking;
use crate::config::Settings;
use crate::provider;
use crate::published;
use crate::rating;
use crate::search::{self, Query};
use crate::service::{self, PriceModel};
use crate::slot;

/// `GET /`: the search form and what it finds; no login needed.
pub fn home(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let query = Query::from_pairs(request.query());
    let (results, date_problem) = search::run(&query, clock::now_ms(), lang)?;
    let user = identity::caller();
    let providing = match &user {
        Some(user) => !provider::of_user(user)?.is_empty(),
        None => false,
    };
    Response::render(
        "index.html",
        &json!({
            "query": {
                "q": query.text, "category": query.category, "price": query.price,
                "place": query.place, "date": query.date,
            },
            "date_problem": date_problem,
            "categories": Settings::load()?.categories,
            "results": results,
            "logged_in": user.is_some(),
            "providing": providing,
            "operator": identity::has_role("operator"),
        }),
    )
}

/// `GET /api/services`: the same search as JSON (`q`, `category`, `price`, `place`, `date`).
pub fn search_api(request: Request, _: Params) -> Result<Response> {
    let query = Query::from_pairs(request.query());
    let (results, date_problem) = search::run(&query, clock::now_ms(), lang(&request))?;
    if let Some(problem) = date_problem {
        return Response::json_with_status(422, &json!({ "problems": { "date": problem } }));
    }
    Response::json(&json!({ "services": results }))
}

fn service_context(id: &str, lang: trama_sdk::i18n::Lang) -> Result<serde_json::Value> {
    let (service, provider) = service::visible(id)?;
    let now = clock::now_ms();
    let owners = Settings::load()?.wallet_owners;
    // What the caller's wallet would pay of `estimate`, for the line that offers it.
    let wallet = |estimate: i64| -> Result<Option<serde_json::Value>> {
        Ok(
            crate::payment::preview(&service.data, estimate, &owners)?.map(|(credit, directly)| {
                json!({
                    "credit": trama_sdk::money::format_cents(credit, lang),
                    "directly": trama_sdk::money::format_cents(directly, lang),
                })
            }),
        )
    };
    let mut slots = Vec::new();
    for s in slot::upcoming(id, now)? {
        let mut view = slot::view(&s, lang);
        let estimate = match service.data.offer.group {
            Some(group) => {
                // The share each would pay if one more joined.
                let members = (s.data.taken + 1).max(group.minimum);
                let share = crate::payment::amount(&service.data, Some(s.data.minutes), members, 0);
                view["share"] = json!(trama_sdk::money::format_cents(share, lang));
                share
            }
            None => crate::payment::amount(&service.data, Some(s.data.minutes), 1, 0),
        };
        if !s.data.is_full() {
            view["wallet"] = json!(wallet(estimate)?);
        }
        slots.push(view);
    }
    let request_wallet = if slots.is_empty() {
        wallet(crate::payment::amount(&service.data, None, 1, 0))?
    } else {
        None
    };
    Ok(json!({
        "service": service::view(&service, &provider, lang),
        "slots": slots,
        "paid": service.data.offer.price_model != PriceModel::Free,
        "wallet_used": !owners.is_empty(),
        "request_wallet": request_wallet,
        "ratings": rating::of_service(id, false)?,
        "logged_in": identity::caller().is_some(),
    }))
}

fn service_page(
    id: &str,
    lang: trama_sdk::i18n::Lang,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    Response::render_with_status(
        status,
        "service.html",
        &with_form(service_context(id, lang)?, form),
    )
}

/// `GET /services/{id}`: the service, its provider's card, its slots and ratings.
pub fn page(request: Request, params: Params) -> Result<Response> {
    service_page(params.get("id")?, lang(&request), 200, None)
}

/// `GET /api/services/{id}`
pub fn api(request: Request, params: Params) -> Result<Response> {
    Response::json(&service_context(params.get("id")?, lang(&request))?)
}

/// `POST /services/{id}/book` (+ `/api/`), logged in: `slot` (a seat in it) or none (a
/// request), and a `note` to the provider. `201` `{id, status}`.
pub fn book(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    let id = params.get("id")?.to_owned();
    let (service, provider) = service::visible(&id)?;
    let sub = Submission::read(&request, "book", &["slot", "note"])?;
    let show = |status, form| service_page(&id, lang, status, Some(form));
    let note: String = sub.input.one("note").unwrap_or("").trim().to_owned();
    if note.chars().count() > 1000 {
        let mut problems = trama_sdk::input::Problems::default();
        problems.push(
            "note",
            trama_sdk::t!("services.problems.too_long", max = 1000),
        );
        return sub.refused(problems, show);
    }
    let now = clock::now_ms();
    let slot_id = sub
        .input
        .one("slot")
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let outcome = match slot_id {
        Some(slot_id) => booking::book_slot(&user, &service, slot_id, &note, now),
        None => booking::request(&user, &service, &note, now),
    };
    let doc = match outcome.and_then(|doc| booking::pay(doc, &service.data, &provider.data)) {
        Ok(doc) => doc,
        Err(err) => return sub.failed(err, show),
    };
    published::booked(&doc, &service)?;
    let kind = if doc.data.slot.is_some() {
        "booked"
    } else {
        "requested"
    };
    booking::tell_provider(&provider, &service.data, &doc, kind)?;
    sub.done(
        &json!({ "id": doc.id, "status": doc.data.status.key() }),
        &format!("/bookings/{}", doc.id),
    )
}
