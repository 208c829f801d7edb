//! Families: a parent registers their children and follows their lessons and hours; operators
//! register families without an account, see every family and set allowances.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::submit::Submission;
use trama_sdk::{Result, clock, t};

use super::lessons::Lookup;
use super::{FormState, OPERATORS, created, lang, to, wants_json, with_form};
use crate::allowance::{self, Balance};
use crate::config::Settings;
use crate::edit;
use crate::family::{self, ChildView, FAMILIES, Family, FamilyView};
use crate::lesson::{BOOKINGS, Booking, BookingStatus, Sitting};
use trama_sdk::local;

/// Families per page of the operators' list.
const PAGE: u32 = 50;

/// A booking as its family sees it.
#[derive(Debug, Clone, Serialize)]
pub struct BookingView {
    pub id: String,
    pub lesson: String,
    pub child: String,
    pub child_name: String,
    #[serde(flatten)]
    pub sitting: Sitting,
    pub status: String,
    pub status_label: String,
    pub hours: String,
    pub can_cancel: bool,
    /// Whether cancelling now would use the hour.
    pub cancel_is_late: bool,
    /// Until when a cancellation gives the hour back (local time).
    pub free_cancel_until: String,
}

/// An allowance period as shown to people.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceView {
    pub period: String,
    pub label: String,
    pub granted: String,
    pub used: String,
    pub remaining: String,
    pub granted_minutes: u32,
    pub used_minutes: u32,
    pub remaining_minutes: u32,
    pub overridden: bool,
    pub note: String,
}

impl BalanceView {
    pub fn new(
        period: &str,
        balance: &Balance,
        note: &str,
        settings: &Settings,
        lang: Lang,
    ) -> Self {
        Self {
            period: period.to_owned(),
            label: allowance::period_label(settings.allowance_period, period, lang),
            granted: allowance::hours_text(balance.granted_minutes, lang),
            used: allowance::hours_text(balance.used_minutes, lang),
            remaining: allowance::hours_text(balance.remaining_minutes, lang),
            granted_minutes: balance.granted_minutes,
            used_minutes: balance.used_minutes,
            remaining_minutes: balance.remaining_minutes,
            overridden: balance.overridden,
            note: note.to_owned(),
        }
    }
}

/// The current period and the family's balance in it.
pub fn current_balance(
    family: &str,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<BalanceView> {
    let period = settings.allowance_period.period_of(local::today(now));
    let (doc, balance) = allowance::balance(family, &period, settings)?;
    let note = doc.map(|d| d.data.note).unwrap_or_default();
    Ok(BalanceView::new(&period, &balance, &note, settings, lang))
}

fn booking_views(
    bookings: &[Doc<Booking>],
    names: &HashMap<String, String>,
    settings: &Settings,
    now: i64,
    lang: Lang,
) -> Result<Vec<BookingView>> {
    let mut lookup = Lookup::default();
    let deadline_ms = i64::from(settings.cancellation_deadline_hours) * 3_600_000;
    let mut views = Vec::with_capacity(bookings.len());
    for doc in bookings {
        let b = &doc.data;
        let tutor = lookup.tutor(&b.tutor)?;
        let place = lookup
            .space(&b.space)?
            .map(|s| (s.name, s.address))
            .unwrap_or_default();
        let free_until = local::local(b.start_at - deadline_ms);
        views.push(BookingView {
            id: doc.id.clone(),
            lesson: b.lesson.clone(),
            child: b.child.clone(),
            child_name: names.get(&b.child).cloned().unwrap_or_default(),
            sitting: Sitting::new(&b.date, b.start, b.minutes, &b.subject, &b.level)
                .with_place(tutor, place),
            status: b.status.key().to_owned(),
            status_label: b.status.label(),
            hours: allowance::hours_text(u32::from(b.minutes), lang),
            can_cancel: b.status == BookingStatus::Booked && b.start_at > now,
            cancel_is_late: now > b.start_at - deadline_ms,
            free_cancel_until: format!(
                "{} {:02}:{:02}",
                free_until.date, free_until.hour, free_until.minute
            ),
        });
    }
    Ok(views)
}

/// Everything about a family for its page and the API.
fn family_context(doc: &Doc<Family>, operator: bool, lang: Lang) -> Result<Value> {
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let children = family::children_of(&doc.id)?;
    let names: HashMap<String, String> = children
        .iter()
        .map(|c| (c.id.clone(), c.data.full_name()))
        .collect();
    let bookings = BOOKINGS
        .query()
        .filter("family", Cmp::Eq, doc.id.as_str())
        .order_by_desc("start_at")
        .limit(300)
        .fetch()?;
    let views = booking_views(&bookings, &names, &settings, now, lang)?;
    let (mut upcoming, history): (Vec<BookingView>, Vec<BookingView>) = views
        .into_iter()
        .partition(|v| v.status == "booked" && v.can_cancel);
    upcoming.reverse();
    let periods: Vec<BalanceView> = allowance::history(&doc.id)?
        .iter()
        .map(|a| {
            let rule = settings.rule_minutes(
                u32::try_from(children.iter().filter(|c| c.data.active).count()).unwrap_or(0),
            );
            let balance = Balance::of(Some(&a.data), rule);
            BalanceView::new(&a.data.period, &balance, &a.data.note, &settings, lang)
        })
        .collect();
    Ok(json!({
        "family": FamilyView::new(doc),
        "children": children.iter().map(ChildView::new).collect::<Vec<_>>(),
        "upcoming": upcoming,
        "history": history,
        "balance": current_balance(&doc.id, &settings, now, lang)?,
        "periods": periods,
        "period_example": settings.allowance_period.example(),
        "choices": { "subjects": settings.subjects, "levels": settings.levels },
        "is_operator": operator,
        "cancellation_deadline_hours": settings.cancellation_deadline_hours,
    }))
}

fn render_family(
    doc: Option<&Doc<Family>>,
    operator: bool,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let context = match doc {
        Some(doc) => family_context(doc, operator, lang)?,
        None => {
            let settings = Settings::load()?;
            json!({
                "family": null,
                "children": [],
                "upcoming": [],
                "history": [],
                "periods": [],
                "choices": { "subjects": settings.subjects, "levels": settings.levels },
                "is_operator": operator,
                "cancellation_deadline_hours": settings.cancellation_deadline_hours,
            })
        }
    };
    Response::render_with_status(status, "family.html", &with_form(context, form))
}

/// `GET /family`: the caller's children, bookings and hours (and the form to add a child).
pub fn mine_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let doc = family::of_user(&user)?;
    render_family(doc.as_ref(), false, 200, None, lang)
}

/// `GET /api/family`: the caller's family (`null` before the first child).
pub fn api_mine(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    match family::of_user(&user)? {
        Some(doc) => Response::json(&family_context(&doc, false, lang)?),
        None => Response::json(&json!({ "family": null, "children": [] })),
    }
}

/// A child's registration or edit: the same fields and the same form on either page, with
/// the subjects always echoed as a list to tick the boxes again.
fn child_submission(request: &Request) -> Result<Submission> {
    Ok(Submission::read(request, "child", family::CHILD_FIELDS)?.with_lists(&["subjects"]))
}

/// Adds a child to `family` from a form or JSON, answering as the request wants.
fn add_child_to(
    sub: &Submission,
    family: &Doc<Family>,
    user: &User,
    operator: bool,
) -> Result<Response> {
    let draft = match family::read_child(&sub.input, &Settings::load()?) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| {
                render_family(Some(family), operator, status, Some(form), sub.lang)
            });
        }
    };
    let doc = family::add_child(&family.id, draft, clock::now_ms(), user)?;
    if sub.json {
        return created(&ChildView::new(&doc));
    }
    let done = t!("tutoring.done.child_added", name = doc.data.first_name);
    Ok(to(&family_home(family, user)).with_notice(done))
}

/// `POST /family/children` and `POST /api/family/children`: registers a child of the caller
/// (their family is created with the first child). `{first_name, last_name, level, subjects}`.
pub fn add_own_child(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    // Check the input before creating the family, so a mistake leaves nothing behind.
    let sub = child_submission(&request)?;
    if let Err(problems) = family::read_child(&sub.input, &Settings::load()?) {
        return sub.refused(problems, |status, form| {
            let doc = family::of_user(&user)?;
            render_family(doc.as_ref(), false, status, Some(form), sub.lang)
        });
    }
    let family = family::ensure_of_user(&user, clock::now_ms())?;
    add_child_to(&sub, &family, &user, false)
}

/// `POST /families/{id}/children` and `POST /api/families/{id}/children` (the family or an
/// operator).
pub fn add_child(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let operator = OPERATORS.admits();
    let family = family::visible(params.get("id")?, &user, operator)?;
    add_child_to(&child_submission(&request)?, &family, &user, operator)
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

/// A family on the operators' list.
#[derive(Debug, Clone, Serialize)]
struct FamilyRow {
    #[serde(flatten)]
    family: FamilyView,
    children: usize,
    balance: BalanceView,
}

fn family_rows(page: u32, lang: Lang) -> Result<Vec<FamilyRow>> {
    let settings = Settings::load()?;
    let now = clock::now_ms();
    family::page(PAGE, page.saturating_mul(PAGE))?
        .iter()
        .map(|doc| {
            Ok(FamilyRow {
                family: FamilyView::new(doc),
                children: family::children_of(&doc.id)?.len(),
                balance: current_balance(&doc.id, &settings, now, lang)?,
            })
        })
        .collect()
}

fn list_page_with(page: u32, status: u16, form: Option<FormState>, lang: Lang) -> Result<Response> {
    let rows = family_rows(page, lang)?;
    let total = FAMILIES.count()?;
    let context = json!({
        "families": rows,
        "page": page,
        "has_next": u64::from(page + 1) * u64::from(PAGE) < total,
        "total": total,
    });
    Response::render_with_status(status, "families.html", &with_form(context, form))
}

/// `GET /families?page=` (operators): families by name, with this period's hours.
pub fn list_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let query: PageQuery = request.parse_query()?;
    list_page_with(query.page.unwrap_or(0), 200, None, lang)
}

/// `GET /api/families?page=` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let query: PageQuery = request.parse_query()?;
    Response::json(&family_rows(query.page.unwrap_or(0), lang)?)
}

/// `POST /families` and `POST /api/families` (operators): a family without an account,
/// `{name, phone}`; `201` with the family.
pub fn register(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let json = wants_json(&request);
    let input = Input::from_request(&request, family::FAMILY_FIELDS)?;
    let (name, phone) = match family::read_family(&input) {
        Ok(found) => found,
        Err(problems) if json => return problems.into_json_response(lang),
        Err(problems) => {
            return list_page_with(
                0,
                422,
                Some(FormState::new("register", &problems, input.echo(), lang)),
                lang,
            );
        }
    };
    let doc = family::register_by_operator(name, phone, clock::now_ms(), &user)?;
    if json {
        created(&FamilyView::new(&doc))
    } else {
        let done = t!("tutoring.done.family_registered", name = doc.data.name);
        Ok(to(&format!("/families/{}", doc.id)).with_notice(done))
    }
}

/// `GET /families/{id}` (the family or an operator)
pub fn page(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let operator = OPERATORS.admits();
    let doc = family::visible(params.get("id")?, &user, operator)?;
    render_family(Some(&doc), operator, 200, None, lang)
}

/// `GET /api/families/{id}` (the family or an operator)
pub fn api_get(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let operator = OPERATORS.admits();
    let doc = family::visible(params.get("id")?, &user, operator)?;
    Response::json(&family_context(&doc, operator, lang)?)
}

/// `POST /families/{id}/allowance` and `POST /api/families/{id}/allowance` (operators):
/// `period` (the current one if empty), `hours` (empty: back to the rule of the settings),
/// `note`.
pub fn set_allowance(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let json = wants_json(&request);
    let family = family::load(params.get("id")?)?;
    let input = Input::from_request(&request, allowance::JSON_FIELDS)?;
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let mut problems = Problems::default();
    let kind = settings.allowance_period;
    let period = match input.one("period") {
        None => kind.period_of(local::today(now)),
        Some(text) => kind.parse(text).unwrap_or_else(|| {
            problems.push(
                "period",
                t!(
                    "tutoring.families.not_a_period",
                    text = text,
                    example = kind.example()
                ),
            );
            String::new()
        }),
    };
    let minutes = match input.one("hours") {
        None => None,
        Some(text) => match allowance::parse_hours(text) {
            Ok(minutes) => Some(minutes),
            Err(message) => {
                problems.push("hours", message);
                None
            }
        },
    };
    let note = input.one("note").unwrap_or_default().to_owned();
    if note.chars().count() > 300 {
        problems.push("note", t!("tutoring.families.note_length"));
    }
    if !problems.is_empty() {
        if json {
            return problems.into_json_response(lang);
        }
        return render_family(
            Some(&family),
            true,
            422,
            Some(FormState::new("allowance", &problems, input.echo(), lang)),
            lang,
        );
    }
    allowance::set_granted(&family.id, &period, minutes, &note, &user, now)?;
    if json {
        let (doc, balance) = allowance::balance(&family.id, &period, &settings)?;
        let note = doc.map(|d| d.data.note).unwrap_or_default();
        Response::json(&BalanceView::new(&period, &balance, &note, &settings, lang))
    } else {
        let done = t!("tutoring.done.allowance_set");
        Ok(to(&format!("/families/{}", family.id)).with_notice(done))
    }
}

/// `POST /families/{id}/feed` (the family or an operator): a new calendar address.
pub fn renew_feed(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let operator = OPERATORS.admits();
    let mut doc = family::visible(params.get("id")?, &user, operator)?;
    doc.data.feed_token = crate::tutor::new_feed_token();
    let doc = edit::save(
        &FAMILIES,
        doc,
        "family.feed_renewed",
        &json!({ "by": user.username }),
    )?;
    if wants_json(&request) {
        return Response::json(&FamilyView::new(&doc));
    }
    Ok(to(&family_home(&doc, &user)).with_notice(t!("tutoring.done.feed_renewed")))
}

pub(super) fn render_child(
    id: &str,
    user: &User,
    status: u16,
    form: Option<FormState>,
) -> Result<Response> {
    let (child, family) = family::child_for(id, user, OPERATORS.admits())?;
    let settings = Settings::load()?;
    let context = json!({
        "child": ChildView::new(&child),
        "family": FamilyView::new(&family),
        "own": family::is_member(&family.data, user),
        "choices": { "subjects": settings.subjects, "levels": settings.levels },
        "progress": super::progress::context(id)?,
    });
    Response::render_with_status(status, "child.html", &with_form(context, form))
}

/// `GET /children/{id}` (the family or an operator): the child's details to edit.
pub fn child_page(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    render_child(params.get("id")?, &user, 200, None)
}

/// `POST /children/{id}` and `POST /api/children/{id}` (the family or an operator): the same
/// fields as the registration, plus `active`.
pub fn update_child(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let (_, family) = family::child_for(&id, &user, OPERATORS.admits())?;
    let sub = child_submission(&request)?;
    let draft = match family::read_child(&sub.input, &Settings::load()?) {
        Ok(draft) => draft,
        Err(problems) => {
            return sub.refused(problems, |status, form| {
                render_child(&id, &user, status, Some(form))
            });
        }
    };
    let doc = family::update_child(&id, draft, &user)?;
    if sub.json {
        return Response::json(&ChildView::new(&doc));
    }
    let done = t!("tutoring.done.child_saved", name = doc.data.first_name);
    Ok(to(&family_home(&family, &user)).with_notice(done))
}

/// Where a change to `family` sends `user` back: their own family's page, or the family's
/// page in the office.
fn family_home(family: &Doc<Family>, user: &User) -> String {
    if family::is_member(&family.data, user) {
        "/family".to_owned()
    } else {
        format!("/families/{}", family.id)
    }
}
