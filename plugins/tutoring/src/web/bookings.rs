//! Booking: the search for groups and free times, the booking itself, and cancelling.

use serde::Deserialize;
use serde_json::{Value, json};
use trama_sdk::clock::Date;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::identity::{self, User};
use trama_sdk::input::Input;
use trama_sdk::router::Params;
use trama_sdk::store::Doc;
use trama_sdk::{Error, Result, clock, t};

use super::{FormState, OPERATORS, lang, to, wants_json, with_form};
use crate::allowance;
use crate::booking::{self, Booked};
use crate::cancel;
use crate::config::Settings;
use crate::family::{self, Child, ChildView, Family};
use crate::slots::{self, Search};
use trama_sdk::local;

/// Longest search, in days.
const MAX_DAYS: u32 = 31;

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    child: Option<String>,
    subject: Option<String>,
    from: Option<String>,
    days: Option<u32>,
}

/// A family and the children that can be booked for.
struct Bookable {
    family: Option<Doc<Family>>,
    children: Vec<Doc<Child>>,
}

/// The children the caller may book for on this page: their own family's, or for an operator
/// the family of the child asked for.
fn bookable_children(user: &User, operator: bool, asked: Option<&str>) -> Result<Bookable> {
    let family = match asked.filter(|c| !c.is_empty()) {
        Some(child) => Some(family::child_for(child, user, operator)?.1),
        None => family::of_user(user)?,
    };
    let children = match &family {
        Some(f) => family::children_of(&f.id)?
            .into_iter()
            .filter(|c| c.data.active)
            .collect(),
        None => Vec::new(),
    };
    Ok(Bookable { family, children })
}

fn run_search(
    query: &SearchQuery,
    child: &Doc<Child>,
    settings: &Settings,
    now: i64,
) -> Result<Option<Search>> {
    let Some(subject) = query.subject.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let Some(subject) = settings
        .subjects
        .iter()
        .find(|s| s.eq_ignore_ascii_case(subject))
    else {
        return Err(Error::bad_request(t!(
            "tutoring.search.unknown_subject",
            subject = subject
        )));
    };
    let from = match query
        .from
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(text) => Date::parse(text)?,
        None => local::today(now),
    };
    let days = query.days.unwrap_or(14).clamp(1, MAX_DAYS);
    Ok(Some(slots::search(
        child, subject, from, days, settings, now,
    )?))
}

fn search_page_with(
    user: &User,
    query: &SearchQuery,
    status: u16,
    form: Option<FormState>,
    lang: Lang,
) -> Result<Response> {
    let operator = OPERATORS.admits();
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let Bookable { family, children } = bookable_children(user, operator, query.child.as_deref())?;
    let chosen = match query.child.as_deref().filter(|c| !c.is_empty()) {
        Some(id) => children.iter().find(|c| c.id == id),
        None if children.len() == 1 => children.first(),
        None => None,
    };
    let search = match chosen {
        Some(child) => run_search(query, child, &settings, now)?,
        None => None,
    };
    let balance = match &family {
        Some(f) => Some(super::families::current_balance(
            &f.id, &settings, now, lang,
        )?),
        None => None,
    };
    let context = json!({
        "family": family.as_ref().map(family::FamilyView::new),
        "own": family.as_ref().is_some_and(|f| family::is_member(&f.data, user)),
        "children": children.iter().map(ChildView::new).collect::<Vec<_>>(),
        "child": chosen.map(ChildView::new),
        "subject": query.subject.clone().unwrap_or_default(),
        "from": query.from.clone().unwrap_or_else(|| local::today(now).to_string()),
        "days": query.days.unwrap_or(14).clamp(1, MAX_DAYS),
        "search": search,
        "balance": balance,
        "lesson_minutes": settings.lesson_minutes,
        "cancellation_deadline_hours": settings.cancellation_deadline_hours,
    });
    Response::render_with_status(status, "book.html", &with_form(context, form))
}

/// `GET /book?child=&subject=&from=&days=`: choose a child and a subject, see the groups with
/// room and the times a new group could start, and book.
pub fn search_page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let query: SearchQuery = request.parse_query()?;
    search_page_with(&user, &query, 200, None, lang)
}

/// `GET /api/slots?child=&subject=&from=&days=`: `{from, to, groups, openings}`.
pub fn api_slots(request: Request, _: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let query: SearchQuery = request.parse_query()?;
    let Some(child_id) = query.child.as_deref().filter(|c| !c.is_empty()) else {
        return Err(Error::bad_request(
            "query parameter `child`: the child to book for is required",
        ));
    };
    if query.subject.as_deref().is_none_or(str::is_empty) {
        return Err(Error::bad_request(
            "query parameter `subject`: the subject is required",
        ));
    }
    let (child, _) = family::child_for(child_id, &user, OPERATORS.admits())?;
    let settings = Settings::load()?;
    let search = run_search(&query, &child, &settings, clock::now_ms())?;
    Response::json(&search)
}

fn booked_json(booked: &Booked, settings: &Settings, lang: Lang) -> Value {
    let b = &booked.booking.data;
    json!({
        "id": booked.booking.id,
        "lesson_id": b.lesson,
        "status": b.status.key(),
        "child": b.child,
        "family": b.family,
        "tutor_id": b.tutor,
        "space_id": b.space,
        "subject": b.subject,
        "level": b.level,
        "date": b.date,
        "start": local::hhmm(b.start),
        "end": local::hhmm(b.start + b.minutes),
        "minutes": b.minutes,
        "period": b.period,
        "opened_group": booked.opened,
        "seats_taken": booked.lesson.data.seats.len(),
        "remaining_minutes": booked.balance.remaining_minutes,
        "remaining_hours": allowance::hours_text(booked.balance.remaining_minutes, lang),
        "period_label": allowance::period_label(settings.allowance_period, &b.period, lang),
    })
}

/// `POST /bookings` and `POST /api/bookings`: `{child, lesson}` joins a group; `{child,
/// subject, tutor, space, date, start}` opens one. `201` with the booking; `409` when the
/// group is full, the tutor, the space or the child is taken then, or the family has no hours
/// left; `422` when a rule forbids it (level, subject, opening hours).
pub fn book(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = identity::require_login()?;
    let json = wants_json(&request);
    let input = Input::from_request(&request, booking::JSON_FIELDS)?;
    let settings = Settings::load()?;
    let back = |status: u16, form: FormState| {
        let query = SearchQuery {
            child: input.one("child").map(str::to_owned),
            subject: input.one("subject").map(str::to_owned),
            from: input.one("from").map(str::to_owned),
            days: None,
        };
        search_page_with(&user, &query, status, Some(form), lang)
    };
    let request_data = match booking::read(&input) {
        Ok(data) => data,
        Err(problems) if json => return problems.into_json_response(lang),
        Err(problems) => return back(422, FormState::new("book", &problems, input.echo(), lang)),
    };
    let operator = OPERATORS.admits();
    match booking::book(&request_data, &user, operator, &settings, clock::now_ms()) {
        Ok(booked) if json => {
            Response::json_with_status(201, &booked_json(&booked, &settings, lang))
        }
        Ok(booked) => {
            let family = family::load(&booked.booking.data.family)?;
            let back = if family::is_member(&family.data, &user) {
                "/family".to_owned()
            } else {
                format!("/families/{}", family.id)
            };
            Ok(to(&back).with_notice(t!("tutoring.done.booked")))
        }
        Err(err) if !json && err.belongs_in_form() => back(
            err.status(),
            FormState::message("book", err.message(), input.echo()),
        ),
        Err(err) => Err(err),
    }
}

/// `POST /bookings/{id}/cancel` and `POST /api/bookings/{id}/cancel` (the family or an
/// operator): `{booking_id, status, late, lesson_dissolved}`; `late` means the hour stays used.
pub fn cancel(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let settings = Settings::load()?;
    let operator = OPERATORS.admits();
    let cancelled = cancel::cancel(&id, &user, operator, &settings, clock::now_ms())?;
    if wants_json(&request) {
        return Response::json(&cancelled);
    }
    let family = crate::lesson::BOOKINGS
        .get(&id)?
        .and_then(|b| family::FAMILIES.get(&b.data.family).ok().flatten());
    let back = match family {
        Some(f) if !family::is_member(&f.data, &user) => format!("/families/{}", f.id),
        _ => "/family".to_owned(),
    };
    Ok(to(&back).with_notice(t!("tutoring.done.booking_cancelled")))
}
