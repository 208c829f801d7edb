//! The HR office's pages and API: its company, its plans, enrolling employees (one by one or
//! from a table), deciding reimbursement requests, reports and exports. Operators may look at
//! any plan (to help a company), but only the company's HR acts on it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems, wants_json};
use trama_sdk::router::Params;
use trama_sdk::store::{self, Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Error, Result, clock, t, web};

use super::{FormState, OPERATORS, lang, with_form};
use crate::catalogue::SERVICES;
use crate::category;
use crate::company::{self, Company, CompanyView};
use crate::enrol::{self, EnrolmentView, Fields, RowError};
use crate::fields;
use crate::plan::{self, PLANS, Plan, PlanView};
use crate::provider::PROVIDERS;
use crate::reimbursement::{self, Decision, ReimbursementView};
use crate::report;

/// Employees listed on a plan's page (all of them are in the CSV export).
const PAGE_EMPLOYEES: usize = 200;

/// The categories a plan may choose: the known ones, then those of the active providers and
/// of the services on sale (the `admissions` plugin names its own).
fn category_choices() -> Result<Vec<category::CategoryView>> {
    let mut extra: Vec<String> = Vec::new();
    let mut add = |code: String| {
        if !extra.contains(&code) {
            extra.push(code);
        }
    };
    for doc in PROVIDERS
        .query()
        .filter("status", Cmp::Eq, "active")
        .limit(1000)
        .fetch()?
    {
        doc.data.categories.into_iter().for_each(&mut add);
    }
    for doc in SERVICES
        .query()
        .filter("listed", Cmp::Eq, true)
        .limit(1000)
        .fetch()?
    {
        add(doc.data.category);
    }
    Ok(category::choices(&extra))
}

fn plans_of(company: &str, lang: Lang) -> Result<Vec<PlanView>> {
    let today = clock::today();
    PLANS
        .query()
        .filter("company", Cmp::Eq, company)
        .order_by_desc("created_at")
        .limit(200)
        .fetch()?
        .iter()
        .map(|doc| PlanView::new(doc, today, lang))
        .collect()
}

/// `GET /hr`: the claim form for an HR account not yet linked; otherwise the company, its
/// plans and the form of a new plan.
pub fn hr_page(user: &User, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let context = match company::hr_company_of(user)? {
        None => {
            if !company::HR.admits() {
                // Forbidden, with the message saying what is missing.
                company::require_hr()?;
            }
            json!({ "linked": false })
        }
        Some(doc) => {
            let today = clock::today();
            json!({
                "linked": true,
                "company": CompanyView::new(&doc, lang)?,
                "plans": plans_of(&doc.id, lang)?,
                "categories": category_choices()?,
                "defaults": {
                    "year": today.year,
                    "starts_on": format!("{}-01-01", today.year),
                    "ends_on": format!("{}-12-31", today.year),
                },
                "request_id": store::new_id(),
            })
        }
    };
    Response::render_with_status(status, "hr.html", &with_form(context, form))
}

pub fn hr(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login_in(lang)?;
    hr_page(&user, 200, None, lang)
}

/// `GET /api/hr` (HR): the company and its plans.
pub fn api_hr(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, company) = company::require_hr()?;
    Response::json(&json!({
        "company": CompanyView::new(&company, lang)?,
        "plans": plans_of(&company.id, lang)?,
    }))
}

/// `POST /plans`, `POST /api/plans` (HR): a new plan; `201` with the plan.
pub fn create(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, company) = company::require_hr()?;
    let sub = Submission::read(&request, "plan", plan::JSON_FIELDS)?.with_lists(&["categories"]);
    let show = |status, form| hr_page(&user, status, Some(form), lang);
    let new = match plan::read_new(&sub.input, clock::today()) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = plan::create(&company, new, &user, clock::now_ms(), lang);
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                web::created(&PlanView::new(&doc, clock::today(), lang)?)
            } else {
                let done = t!("corporate_plans.done.plan_created", title = doc.data.title);
                Ok(web::to(&format!("/plans/{}", doc.id)).with_notice(done))
            }
        },
        show,
    )
}

/// Who is looking at a plan.
enum Viewer {
    Hr(Doc<Company>),
    Operator,
}

/// The plan `id` for its company's HR (who may act on it) or an operator (who may look).
fn viewed_plan(id: &str) -> Result<(Viewer, Doc<Plan>)> {
    let user = identity::require_login()?;
    if let Some(company) = company::hr_company_of(&user)? {
        let plan = plan::load_for(id, &company.id)?;
        return Ok((Viewer::Hr(company), plan));
    }
    if OPERATORS.admits() {
        return Ok((Viewer::Operator, plan::load(id)?));
    }
    // Neither HR of a company nor an operator: the message says what is missing.
    company::require_hr()?;
    Err(Error::forbidden(t!("corporate_plans.web.hr_office_only")))
}

/// The plan `id` of the caller's company, for HR to act on.
fn hr_plan(id: &str) -> Result<(User, Doc<Company>, Doc<Plan>)> {
    let (user, company) = company::require_hr()?;
    let plan = plan::load_for(id, &company.id)?;
    Ok((user, company, plan))
}

/// What an upload did, for the page and the API.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadReport {
    pub enrolled: Vec<Value>,
    pub unchanged: Vec<Value>,
    pub errors: Vec<RowError>,
    pub enrolled_count: usize,
    pub unchanged_count: usize,
    pub error_count: usize,
}

fn report_of(outcome: enrol::Outcome, mut errors: Vec<RowError>, lang: Lang) -> UploadReport {
    errors.extend(outcome.errors);
    errors.sort_by_key(|e| e.line);
    let enrolled: Vec<Value> = outcome
        .enrolled
        .iter()
        .map(|(line, doc)| {
            json!({
                "line": line,
                "id": doc.id,
                "username": doc.data.username,
                "full_name": doc.data.full_name,
                "credit_cents": doc.data.credit_cents,
                "credit_text": trama_sdk::money::format_cents(doc.data.credit_cents, lang),
                "reimbursable_cents": doc.data.reimbursable_cents,
                "activation_code": doc.data.activation_code.as_deref().map(crate::fields::shown_code),
            })
        })
        .collect();
    let unchanged: Vec<Value> = outcome
        .unchanged
        .iter()
        .map(|(line, id)| json!({ "line": line, "id": id }))
        .collect();
    UploadReport {
        enrolled_count: enrolled.len(),
        unchanged_count: unchanged.len(),
        error_count: errors.len(),
        enrolled,
        unchanged,
        errors,
    }
}

fn plan_context(viewer: &Viewer, plan: &Doc<Plan>, lang: Lang) -> Result<Value> {
    let today = clock::today();
    let mut employees = report::employee_lines(plan, lang)?;
    let total = employees.len();
    employees.truncate(PAGE_EMPLOYEES);
    let pending: Vec<ReimbursementView> = reimbursement::pending_of(&plan.id, 200)?
        .iter()
        .map(|doc| ReimbursementView::new(doc, lang))
        .collect();
    let decided: Vec<ReimbursementView> = reimbursement::by("plan", &plan.id, 50, 0)?
        .iter()
        .filter(|doc| doc.data.status != reimbursement::Status::Pending)
        .map(|doc| ReimbursementView::new(doc, lang))
        .collect();
    let (company, is_hr) = match viewer {
        Viewer::Hr(company) => (CompanyView::new(company, lang)?, true),
        Viewer::Operator => (
            CompanyView::new(&company::load(&plan.data.company)?, lang)?,
            false,
        ),
    };
    Ok(json!({
        "plan": PlanView::new(plan, today, lang)?,
        "company": company,
        "is_hr": is_hr,
        "summary": report::plan_summary(plan, lang)?,
        "employees": employees,
        "employees_total": total,
        "employees_shown": PAGE_EMPLOYEES.min(total),
        "pending": pending,
        "decided": decided,
        "over": plan.data.is_over(today),
    }))
}

fn plan_page(
    viewer: &Viewer,
    plan: &Doc<Plan>,
    status: u16,
    form: Option<FormState>,
    upload: Option<UploadReport>,
    lang: Lang,
) -> Result<Response> {
    let mut context = plan_context(viewer, plan, lang)?;
    context["request_id"] = json!(store::new_id());
    context["upload"] = json!(upload);
    Response::render_with_status(status, "plan.html", &with_form(context, form))
}

/// `GET /plans/{id}` (its HR, operators): the summary, the employees, the requests to decide,
/// the forms to enrol, top up and close.
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (viewer, plan) = viewed_plan(params.get("id")?)?;
    plan_page(&viewer, &plan, 200, None, None, lang)
}

/// `GET /api/plans/{id}` (its HR, operators): the plan and its summary.
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, plan) = viewed_plan(params.get("id")?)?;
    Response::json(&json!({
        "plan": PlanView::new(&plan, clock::today(), lang)?,
        "summary": report::plan_summary(&plan, lang)?,
    }))
}

/// `GET /api/plans/{id}/employees` (its HR, operators): every employee with what they spent.
pub fn api_employees(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, plan) = viewed_plan(params.get("id")?)?;
    Response::json(&report::employee_lines(&plan, lang)?)
}

/// `POST /plans/{id}/enrolments`, `POST /api/plans/{id}/enrolments` (HR): one employee,
/// `{username, full_name, employee_code?, level?, dependants?}`; `201` with the enrolment and
/// its activation code (`200` if the same employee was already enrolled the same way).
pub fn enrol_one(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, company, plan) = hr_plan(params.get("id")?)?;
    let sub = Submission::read(&request, "enrol", enrol::JSON_FIELDS)?;
    let viewer = Viewer::Hr(company);
    let show = |status, form| plan_page(&viewer, &plan, status, Some(form), None, lang);
    let new = match enrol::check(&Fields::from_input(&sub.input), &plan.data.rule, lang) {
        Ok(new) => new,
        Err(problems) => return sub.refused(problems, show),
    };
    let outcome = enrol::enrol(&plan, vec![(0, new)], &user, lang).and_then(|outcome| {
        if let Some((_, doc)) = outcome.enrolled.into_iter().next() {
            return Ok((201, doc));
        }
        if let Some((_, id)) = outcome.unchanged.into_iter().next() {
            let doc = enrol::load_for_company(&id, &plan.data.company)?;
            return Ok((200, doc));
        }
        let message = outcome
            .errors
            .into_iter()
            .next()
            .map(|e| e.message)
            .unwrap_or_default();
        Err(Error::conflict(message))
    });
    sub.answer(
        outcome,
        |(status, doc)| {
            if sub.json {
                Response::json_with_status(status, &EnrolmentView::new(&doc, lang)?)
            } else {
                let name = doc.data.full_name.clone();
                let done = if status == 201 {
                    t!("corporate_plans.done.enrolled", name = name)
                } else {
                    t!("corporate_plans.done.already_enrolled", name = name)
                };
                Ok(web::to(&format!("/plans/{}#employees", plan.id)).with_notice(done))
            }
        },
        show,
    )
}

/// The table of an upload: the form field `csv`, a JSON `{csv}`, or the body itself when it
/// is sent as `text/csv` (or `text/plain`).
fn upload_text(request: &Request) -> Result<(String, bool)> {
    let content_type = request.header("content-type").unwrap_or_default();
    if content_type.starts_with("text/csv") || content_type.starts_with("text/plain") {
        let text = String::from_utf8(request.body().to_vec())
            .map_err(|_| Error::bad_request(t!("corporate_plans.web.not_utf8")))?;
        return Ok((text, true));
    }
    let input = Input::from_request(request, &["csv"])?;
    let text = input
        .many("csv")
        .first()
        .map(|s| (*s).to_owned())
        .unwrap_or_default();
    Ok((text, input.json))
}

/// `POST /plans/{id}/enrolments/upload`, `POST /api/plans/{id}/enrolments/upload` (HR): a
/// table of employees (see [`crate::enrol`]). Answers with the report: who was enrolled (with
/// their activation codes), who was already, and each refused row with its line and why.
pub fn upload(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, company, plan) = hr_plan(params.get("id")?)?;
    let (text, json) = upload_text(&request)?;
    let json = json || request.path().starts_with("/api/");
    let viewer = Viewer::Hr(company);
    let result = enrol::check_table(&text, &plan.data.rule, lang).and_then(|checked| {
        let outcome = enrol::enrol(&plan, checked.rows, &user, lang)?;
        Ok(report_of(outcome, checked.errors, lang))
    });
    match result {
        Ok(report) if json => Response::json(&report),
        Ok(report) => {
            // Fresh figures: the page is drawn after the enrolments.
            let plan = plan::load(&plan.id)?;
            plan_page(&viewer, &plan, 200, None, Some(report), lang)
        }
        Err(err) if !json && err.belongs_in_form() => plan_page(
            &viewer,
            &plan,
            err.status(),
            Some(FormState::message(
                "upload",
                err.message(),
                serde_json::Map::from_iter([("csv".to_owned(), Value::String(text))]),
            )),
            None,
            lang,
        ),
        Err(err) => Err(err),
    }
}

/// `POST /plans/{id}/top-up`, `POST /api/plans/{id}/top-up` (HR): `{amount, request_id}`
/// from the company's account into the plan's budget.
pub fn top_up(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, company, plan) = hr_plan(params.get("id")?)?;
    let sub = Submission::read(&request, "top-up", plan::TOP_UP_FIELDS)?;
    let viewer = Viewer::Hr(company.clone());
    let show = |status, form| plan_page(&viewer, &plan, status, Some(form), None, lang);
    let mut problems = Problems::default();
    let amount = fields::read_amount(&sub.input, "amount", &mut problems);
    let request_id = fields::request_id(&sub.input, &mut problems);
    if !problems.is_empty() {
        return sub.refused(problems, show);
    }
    let outcome = plan::top_up(&company, &plan, amount, &request_id, clock::now_ms(), lang);
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                Response::json(&PlanView::new(&doc, clock::today(), lang)?)
            } else {
                let amount = trama_sdk::money::format_cents(amount, lang);
                let done = t!("corporate_plans.done.topped_up", amount = amount);
                Ok(web::to(&format!("/plans/{}", doc.id)).with_notice(done))
            }
        },
        show,
    )
}

/// `POST /plans/{id}/close`, `POST /api/plans/{id}/close` (HR): ends the plan today; the
/// `expire-plans` job returns the unspent credit within a minute.
pub fn close(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, _, plan) = hr_plan(params.get("id")?)?;
    let doc = plan::close_early(&plan, &user)?;
    if wants_json(&request) {
        Response::json(&PlanView::new(&doc, clock::today(), lang)?)
    } else {
        let done = t!("corporate_plans.done.plan_closed", title = doc.data.title);
        Ok(web::to(&format!("/plans/{}", doc.id)).with_notice(done))
    }
}

/// `GET /plans/{id}/employees.csv` (its HR, operators)
pub fn employees_csv(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, plan) = viewed_plan(params.get("id")?)?;
    Ok(report::employees_csv(&plan, lang)?.download(format!("employees-{}.csv", plan.id)))
}

/// `GET /plans/{id}/movements.csv` (its HR, operators)
pub fn movements_csv(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, plan) = viewed_plan(params.get("id")?)?;
    Ok(report::movements_csv(&plan, lang)?.download(format!("movements-{}.csv", plan.id)))
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

/// `GET /api/plans/{id}/reimbursements?status=pending|approved|rejected` (its HR, operators)
pub fn api_reimbursements(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, plan) = viewed_plan(params.get("id")?)?;
    let query: StatusQuery = request.parse_query()?;
    let docs = reimbursement::by("plan", &plan.id, 1000, 0)?;
    let views: Vec<ReimbursementView> = docs
        .iter()
        .filter(|doc| {
            query
                .status
                .as_deref()
                .is_none_or(|s| doc.data.status.key() == s)
        })
        .map(|doc| ReimbursementView::new(doc, lang))
        .collect();
    Response::json(&views)
}

/// `POST /reimbursements/{id}/approve` (`{note?}`) and `…/reject` (`{reason}`), also under
/// `/api/` (HR of the request's company).
pub fn decide(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, company) = company::require_hr()?;
    let id = params.get("id")?;
    let doc = reimbursement::load_for_company(id, &company.id)?;
    // Each decision is its own form on the plan's page, so a refusal comes back on its own.
    let approve = request.path().ends_with("/approve");
    let form = format!("{}-{id}", if approve { "approve" } else { "reject" });
    let sub = Submission::read(&request, &form, reimbursement::DECISION_FIELDS)?;
    let plan = plan::load_for(&doc.data.plan, &company.id)?;
    let viewer = Viewer::Hr(company);
    let show = |status, form| plan_page(&viewer, &plan, status, Some(form), None, lang);
    let decision = if approve {
        Decision::Approve(sub.input.one("note").map(str::to_owned))
    } else {
        match reimbursement::read_reason(&sub.input) {
            Ok(reason) => Decision::Reject(reason),
            Err(problems) => return sub.refused(problems, show),
        }
    };
    let outcome = reimbursement::decide(doc, decision, &user);
    sub.answer(
        outcome,
        |doc| {
            if sub.json {
                Response::json(&ReimbursementView::new(&doc, lang))
            } else {
                let done = match doc.data.status {
                    reimbursement::Status::Approved => {
                        t!("corporate_plans.done.reimbursement_approved")
                    }
                    _ => t!("corporate_plans.done.reimbursement_rejected"),
                };
                Ok(web::to(&format!("/plans/{}#requests", doc.data.plan)).with_notice(done))
            }
        },
        show,
    )
}

/// `POST /enrolments/{id}/new-code`, `POST /api/enrolments/{id}/new-code` (HR): a new
/// activation code for a pending enrolment.
pub fn new_code(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (user, company) = company::require_hr()?;
    let doc = enrol::load_for_company(params.get("id")?, &company.id)?;
    let doc = enrol::new_code(&doc, &user)?;
    if wants_json(&request) {
        Response::json(&EnrolmentView::new(&doc, lang)?)
    } else {
        let done = t!("corporate_plans.done.new_code", name = doc.data.full_name);
        Ok(web::to(&format!("/plans/{}#employees", doc.data.plan)).with_notice(done))
    }
}
