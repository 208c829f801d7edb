//! Campaign pages and API: the list, the creation form, a campaign's page (the application
//! form for citizens, the applications and the closing for operators), applying and closing;
//! the CSV exports are in [`super::exports`].

use serde::Deserialize;
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::input::Input;
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::{Step, Submission};
use trama_sdk::{Error, Result, clock, identity, t};

use super::{FormState, OPERATORS, created, exports, lang, to, wants_json, with_form};
use crate::application::{self, APPLICATIONS, Application, ApplicationView, Status};
use crate::campaign::{
    self, CAMPAIGNS, Campaign, CampaignView, CreateError, FieldView, Measure, Phase, State,
};
use crate::close::{self, Progress};
use crate::config::Settings;
use crate::rank::Criterion;
use crate::rulebook;
use crate::rules::Field;

/// Applications listed per page of a campaign.
const PAGE_SIZE: u32 = 50;
/// A campaign with at most this many applications is closed within the operator's request;
/// larger ones are left to the `close-campaigns` job, which has minutes instead of seconds.
const INLINE_CLOSE_LIMIT: u64 = 2000;
/// Work a request does on a closing before answering (the kernel stops requests at 5 s).
const HTTP_BUDGET_MS: i64 = 2500;
/// Other runs keep off a closing this long after a request starts it.
const HTTP_LEASE_MS: i64 = 10_000;

/// Every campaign, newest first: what the operators' page and the API list.
fn newest_first() -> Result<Vec<Doc<Campaign>>> {
    CAMPAIGNS
        .query()
        .order_by_desc("created_at")
        .limit(1000)
        .fetch()
}

/// `GET /campaigns` (operators): every campaign, newest first.
pub fn list_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let today = clock::today();
    let campaigns: Vec<CampaignView> = newest_first()?
        .iter()
        .map(|doc| CampaignView::new(doc, today, lang))
        .collect();
    Response::render("campaigns.html", &json!({ "campaigns": campaigns }))
}

/// `GET /api/campaigns`: operators see every campaign, everyone else the open ones.
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let today = clock::today();
    let operator = OPERATORS.admits();
    let campaigns: Vec<CampaignView> = newest_first()?
        .iter()
        .filter(|doc| operator || doc.data.phase(today) == Phase::Open)
        .map(|doc| CampaignView::new(doc, today, lang))
        .collect();
    Response::json(&campaigns)
}

/// `GET /api/campaigns/{id}`
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let doc = campaign::load(params.get("id")?)?;
    Response::json(&CampaignView::new(&doc, clock::today(), lang))
}

fn new_page(status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let today = clock::today();
    let measures: Vec<Value> = Measure::ALL
        .iter()
        .map(|m| json!({ "key": m.key(), "label": m.label() }))
        .collect();
    let fields: Vec<FieldView> = Field::ALL.iter().map(|f| FieldView::new(*f)).collect();
    let criteria: Vec<Value> = Criterion::ALL
        .iter()
        .map(|c| json!({ "key": c.key(), "label": c.label() }))
        .collect();
    let others: Vec<Value> = CAMPAIGNS
        .query()
        .order_by_desc("created_at")
        .limit(1000)
        .fetch()?
        .iter()
        .map(|doc| json!({ "id": doc.id, "title": doc.data.title }))
        .collect();
    let context = json!({
        "measures": measures,
        "shop_choices": super::shops::choices()?,
        "methods": methods(),
        "fields": fields,
        "criteria": criteria,
        "others": others,
        "defaults": {
            "opens_on": today.to_string(),
            "closes_on": today.add_days(30).to_string(),
            "base_amounts": "150; 250; 350; 400",
            "denominations": "50; 20; 10; 5",
            "review_rules": settings.default_review_rules.join("\n"),
        },
    });
    Response::render_with_status(status, "campaign_new.html", &with_form(context, form))
}

/// How a campaign can pay, for the forms' select.
pub(super) fn methods() -> Vec<Value> {
    crate::payment::Method::ALL
        .iter()
        .map(|m| json!({ "key": m.key(), "label": m.label() }))
        .collect()
}

/// `GET /campaigns/new` (operators)
pub fn new_form(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    new_page(200, None)
}

/// `POST /campaigns` (form) and `POST /api/campaigns` (JSON): `201` with the campaign, or a
/// redirect to its page.
pub fn create(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let sub = Submission::read(&request, "campaign", campaign::JSON_FIELDS)?.with_lists(&[
        "fields",
        "ranking",
        "excluded_campaigns",
        "shop_categories",
        "shop_merchants",
    ]);
    let settings = Settings::load()?;
    let from_rulebook = sub.input.has("rulebook") || sub.input.has("template");
    let page = |status, form| {
        if from_rulebook {
            super::rulebooks::new_page(status, Some(form))
        } else {
            new_page(status, Some(form))
        }
    };
    let draft = match campaign::validate(&sub.input, &settings.default_review_rules) {
        Ok(draft) => draft,
        Err(problems) => return sub.refused(problems, page),
    };
    match campaign::create(draft, &user.username, clock::now_ms()) {
        Ok(doc) => {
            let done = t!("vouchers.done.campaign_created", title = doc.data.title);
            sub.done(
                &CampaignView::new(&doc, clock::today(), lang),
                &format!("/campaigns/{}", doc.id),
            )
            .map(|answer| answer.with_notice(done))
        }
        Err(CreateError::Problems(problems)) => sub.refused(problems, page),
        // The store's, the ledger's or the audit's: nothing to fix in the form; the kernel says it.
        Err(CreateError::Other(err)) => Err(err),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page: Option<u32>,
    limit: Option<u32>,
    offset: Option<u32>,
}

fn status_filter(text: Option<&str>) -> Result<Option<Status>> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(key) => Status::parse(key).map(Some).ok_or_else(|| {
            Error::bad_request(t!("vouchers.application.unknown_status", key = key))
        }),
    }
}

/// `GET /campaigns/{id}`: the campaign, with the application form for citizens and the
/// applications, the on-behalf form and the closing for operators.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let id = params.get("id")?.to_owned();
    let query: ListQuery = request.parse_query()?;
    render_page(&id, &query, 200, None, lang)
}

/// The campaign's page again with a refused form of its own (`budget`, say).
pub(super) fn page_with_form(
    id: &str,
    status: u16,
    form: FormState,
    lang: Lang,
) -> Result<Response> {
    let no_query = ListQuery {
        status: None,
        page: None,
        limit: None,
        offset: None,
    };
    render_page(id, &no_query, status, Some(form), lang)
}

fn render_page(
    id: &str,
    query: &ListQuery,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let doc = campaign::load(id)?;
    let settings = Settings::load()?;
    let today = clock::today();
    let view = CampaignView::new(&doc, today, lang);
    let user = identity::caller();
    let operator = OPERATORS.admits();
    let mut context = json!({
        "campaign": view,
        "is_operator": operator,
        "logged_in": user.is_some(),
        "can_apply": user.is_some() && doc.data.phase(today) == Phase::Open,
        "municipality": settings.municipality_name,
        // Logged in with SPID or CIE: the application is under this number, not typed.
        "certified_tax_code": identity::fiscal_number(),
        // The idempotency key of the operator's "add budget" and "export" forms.
        "request_id": trama_sdk::store::new_id(),
        // "Dove si spende", when the campaign limits it.
        "where_to_spend": super::shops::where_to_spend(&doc.data.shops)?,
        "pays_by_transfer": doc.data.payment.method == crate::payment::Method::Transfer,
    });
    if let Some(user) = &user {
        let mine: Vec<ApplicationView> = APPLICATIONS
            .query()
            .filter("user_id", Cmp::Eq, user.id.as_str())
            .filter("campaign", Cmp::Eq, id)
            .limit(10)
            .fetch()?
            .iter()
            .map(|a| ApplicationView::new(a, Some(&doc.data), &settings.voucher_code_prefix, lang))
            .collect();
        context["mine"] = json!(mine);
    }
    if operator {
        let filter = status_filter(query.status.as_deref())?;
        let page = query.page.unwrap_or(0);
        let mut q = APPLICATIONS
            .query()
            .filter("campaign", Cmp::Eq, id)
            .limit(PAGE_SIZE + 1)
            .offset(page.saturating_mul(PAGE_SIZE));
        if let Some(status) = filter {
            q = q.filter("status", Cmp::Eq, status.key());
        }
        let mut rows = q.fetch()?;
        let has_next = rows.len() > PAGE_SIZE as usize;
        rows.truncate(PAGE_SIZE as usize);
        let rows: Vec<ApplicationView> = rows
            .iter()
            .map(|a| ApplicationView::new(a, Some(&doc.data), &settings.voucher_code_prefix, lang))
            .collect();
        let counts = crate::tally::counts(id)?;
        let statuses: Vec<Value> = Status::ALL
            .iter()
            .map(|s| {
                let count = counts.get(s).copied().unwrap_or(0);
                json!({ "key": s.key(), "label": s.label(), "count": count })
            })
            .collect();
        context["applications"] = json!(rows);
        let total: u64 = counts.values().sum();
        let beneficiaries = counts.get(&Status::Beneficiary).copied().unwrap_or(0);
        let parts = |rows: u64, per_part: u32| {
            (1..=rows.div_ceil(u64::from(per_part)).max(1)).collect::<Vec<u64>>()
        };
        context["application_parts"] = json!(parts(total, exports::APPLICATION_EXPORT_ROWS));
        context["beneficiary_parts"] = json!(parts(beneficiaries, exports::EXPORT_ROWS));
        context["statuses"] = json!(statuses);
        context["status_filter"] = json!(filter.map(Status::key));
        context["page"] = json!(page);
        context["has_next"] = json!(has_next);
        if doc.data.payment.method == crate::payment::Method::Transfer {
            context["transfers"] = super::transfers::overview(id, lang)?;
        }
        context["close_summary"] = doc
            .data
            .close
            .as_ref()
            .map_or(Value::Null, |state| close::summary(state, lang));
        // The edit form shows what the campaign says; its rules only while no application
        // froze them (see `revise`).
        let mut values = serde_json::Map::new();
        for name in [
            "isee_max",
            "household_min",
            "per_minor",
            "max_amount",
            "rulebook",
        ] {
            values.insert(name.to_owned(), Value::String(String::new()));
        }
        for (name, value) in crate::revise::edit::current_values(&doc.data) {
            values.insert(name, Value::String(value));
        }
        context["edit"] = Value::Object(values);
        context["rules_editable"] = json!(total == 0);
        context["extend_default"] = json!(campaign_later(&doc.data.closes_on, today));
    }
    Response::render_with_status(status, "campaign.html", &with_form(context, form))
}

/// The date an extension form proposes: a week after the closing date, or after today when
/// that is past.
fn campaign_later(closes_on: &str, today: clock::Date) -> String {
    let from = clock::Date::parse(closes_on)
        .ok()
        .filter(|day| *day >= today)
        .unwrap_or(today);
    from.add_days(7).to_string()
}

/// `POST /campaigns/{id}/apply` (form), `POST /campaigns/{id}/apply-on-behalf` (operators'
/// form) and `POST /api/campaigns/{id}/applications` (JSON, `on_behalf: true` for operators):
/// `201` with the application, or a redirect to it.
pub fn apply(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let doc = campaign::load(&id)?;
    let (fields, rows) = application::json_fields(&doc.data);
    let input = match rows {
        Some(rows) => Input::from_request_with_rows(
            &request,
            &fields,
            rows,
            rows,
            &rulebook::answer::MEMBER_FIELDS,
        )?,
        None => Input::from_request(&request, &fields)?,
    };
    let on_behalf = request.path().ends_with("/apply-on-behalf")
        || input.flag("on_behalf").map_err(|text| {
            Error::bad_request(t!("vouchers.application.on_behalf_not_yes_no", text = text))
        })?;
    if on_behalf {
        OPERATORS.require(lang)?;
    }
    let sub = Submission::of(
        &request,
        if on_behalf { "on_behalf" } else { "apply" },
        input,
    );
    let no_query = ListQuery {
        status: None,
        page: None,
        limit: None,
        offset: None,
    };
    let page = |status, form| render_page(&id, &no_query, status, Some(form), lang);
    // A person's form comes in two steps: the answers, checked and shown back as a summary
    // with the documents still to attach, then the confirmation. Programs and operators
    // filing at the desk send at once.
    let step = if on_behalf { Step::Send } else { sub.step() };
    if step == Step::Edit {
        return sub.edit(page);
    }
    if step == Step::Review {
        return match application::check_answers(&doc.data, &sub.input, &user) {
            Ok(checked) => render_review(&doc, &sub, &checked, 200, None, lang),
            Err(problems) => sub.refused(problems, page),
        };
    }
    let submission = match application::read_submission(&doc.data, &sub.input, on_behalf, &user) {
        Ok(submission) => submission,
        Err(problems) if on_behalf => return sub.refused(problems, page),
        Err(problems) => match application::check_answers(&doc.data, &sub.input, &user) {
            // Only the documents are wrong: the summary again, the problem at its field.
            Ok(checked) => {
                return sub.refused(problems, |status, form| {
                    render_review(&doc, &sub, &checked, status, Some(form), lang)
                });
            }
            // The answers themselves (changed since the summary): the form again.
            Err(_) => return sub.refused(problems, page),
        },
    };
    let filed = |app: Doc<Application>| {
        if !sub.json {
            let protocol = app.data.protocol.as_ref().map_or("", |p| p.label());
            let done = if app.data.on_behalf {
                t!(
                    "vouchers.done.applied_on_behalf",
                    name = app.data.full_name,
                    protocol = protocol,
                )
            } else {
                t!("vouchers.done.applied", protocol = protocol)
            };
            return Ok(to(&format!("/applications/{}", app.id)).with_notice(done));
        }
        let settings = Settings::load()?;
        created(&ApplicationView::new(
            &app,
            Some(&doc.data),
            &settings.voucher_code_prefix,
            lang,
        ))
    };
    sub.answer(
        application::submit(&doc, submission, &user, clock::today(), clock::now_ms()),
        filed,
        page,
    )
}

/// The summary of what a person is about to send (the second step of the form): their
/// answers in words, what they typed carried in hidden fields, the documents to attach, and
/// "Conferma e invia" or "Modifica".
fn render_review(
    doc: &Doc<Campaign>,
    sub: &Submission,
    checked: &application::Submission,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let view = CampaignView::new(doc, clock::today(), lang);
    let mut context = sub.review(application::summary::lines(&doc.data, checked, lang));
    context.insert("campaign".into(), serde_json::to_value(view)?);
    Response::render_with_status(
        status,
        "apply_review.html",
        &with_form(Value::Object(context), form),
    )
}

/// `POST /campaigns/{id}/close` and `POST /api/campaigns/{id}/close` (operators): starts the
/// closing and, for campaigns of up to 2000 applications, finishes it within the request.
/// JSON: `200` with `{state: "closed", close}` when closed, `202` with `{state: "closing",
/// close}` when the job is finishing it. Repeating it on a closed campaign changes nothing.
pub fn close(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let current = campaign::load(&id)?;
    if current.data.state == State::Cancelled {
        // A withdrawn notice is never ranked nor paid.
        return Err(Error::conflict(t!(
            "vouchers.revision.already_cancelled",
            title = current.data.title
        )));
    }
    let now = clock::now_ms();
    let doc = close::start(&id, &user.username, now)?;
    let progress = match doc.data.state {
        State::Closed | State::Active | State::Cancelled => None,
        State::Closing => {
            let count = APPLICATIONS
                .query()
                .filter("campaign", Cmp::Eq, id.as_str())
                .count()?;
            if count <= INLINE_CLOSE_LIMIT {
                let mut events = close::MAX_EVENTS;
                Some(close::advance(
                    &id,
                    now + HTTP_BUDGET_MS,
                    HTTP_LEASE_MS,
                    &mut events,
                )?)
            } else {
                None
            }
        }
    };
    let doc = campaign::load(&id)?;
    let done = doc.data.state == State::Closed;
    let message = match (done, progress) {
        (true, _) => t!("vouchers.closing.done"),
        (false, Some(Progress::Busy)) => t!("vouchers.closing.busy"),
        (false, _) => t!("vouchers.closing.background"),
    };
    if !wants_json(&request) {
        let back = Response::redirect(format!("{}/campaigns/{id}", super::BASE));
        return Ok(back.with_notice(message));
    }
    let summary = doc
        .data
        .close
        .as_ref()
        .map_or(Value::Null, |state| close::summary(state, lang));
    Response::json_with_status(
        if done { 200 } else { 202 },
        &json!({ "id": id, "state": doc.data.state, "close": summary, "message": message }),
    )
}

/// `GET /api/campaigns/{id}/applications[?status=S][&limit=L][&offset=O]` (operators):
/// applications in id order (by tax code: the cheapest order for the store to page through);
/// `limit` at most 1000 (default 100).
pub fn api_applications(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let id = params.get("id")?;
    let doc = campaign::load(id)?;
    let query: ListQuery = request.parse_query()?;
    let limit = query.limit.unwrap_or(100);
    if limit > 1000 {
        return Err(Error::invalid(
            "query parameter `limit`: at most 1000 applications per page",
        ));
    }
    let mut q = APPLICATIONS
        .query()
        .filter("campaign", Cmp::Eq, id)
        .limit(limit)
        .offset(query.offset.unwrap_or(0));
    if let Some(status) = status_filter(query.status.as_deref())? {
        q = q.filter("status", Cmp::Eq, status.key());
    }
    let settings = Settings::load()?;
    let rows: Vec<ApplicationView> = q
        .fetch()?
        .iter()
        .map(|a| ApplicationView::new(a, Some(&doc.data), &settings.voucher_code_prefix, lang))
        .collect();
    Response::json(&rows)
}
