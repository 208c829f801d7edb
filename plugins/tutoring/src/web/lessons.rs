//! Lessons: the operators' list, a lesson's page (its register for the tutor, its calling off
//! for operators), and the reminders run on demand.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::clock::Date;
use trama_sdk::http::{Request, Response};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Error, Result, clock, t};

use super::{FormState, OPERATORS, lang, to, wants_json, with_form};
use crate::attendance;
use crate::cancel::{self, CANCEL_FIELDS};
use crate::config::Settings;
use crate::family::{self, CHILDREN, FAMILIES};
use crate::input;
use crate::lesson::{self, BOOKINGS, BookingStatus, LESSONS, Lesson, LessonStatus};
use crate::reminders;
use crate::rules;
use crate::schedule;
use crate::space::{SPACES, Space};
use crate::tutor::TUTORS;
use trama_sdk::local;

/// A child in a lesson, for those who may see them.
#[derive(Debug, Clone, Serialize)]
pub struct SeatView {
    pub child: String,
    pub name: String,
    pub family: String,
    pub family_name: String,
    pub booking: String,
    pub status: String,
    pub status_label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LessonView {
    pub id: String,
    pub date: String,
    pub weekday: String,
    pub start: String,
    pub end: String,
    pub minutes: u16,
    pub subject: String,
    pub level: String,
    pub tutor_id: String,
    pub tutor: String,
    pub space_id: String,
    pub space: String,
    pub address: String,
    pub status: LessonStatus,
    pub status_label: String,
    pub taken: usize,
    pub capacity: u32,
    /// The children the viewer may see (all for operators and the tutor, their own for a family).
    pub children: Vec<SeatView>,
    /// Whether the register can be taken now.
    pub register_open: bool,
    /// When the register opens, local time.
    pub register_opens: String,
    pub cancel_reason: Option<String>,
}

/// Names and rooms read once for a list of lessons (or bookings, or calendar events), which
/// name the same tutors and spaces over and over.
#[derive(Default)]
pub struct Lookup {
    tutors: HashMap<String, String>,
    spaces: HashMap<String, Option<Space>>,
    children: HashMap<String, (String, String)>,
    families: HashMap<String, String>,
}

impl Lookup {
    pub(crate) fn tutor(&mut self, id: &str) -> Result<String> {
        if !self.tutors.contains_key(id) {
            let name = TUTORS.get(id)?.map(|t| t.data.name).unwrap_or_default();
            self.tutors.insert(id.to_owned(), name);
        }
        Ok(self.tutors.get(id).cloned().unwrap_or_default())
    }

    pub(crate) fn space(&mut self, id: &str) -> Result<Option<Space>> {
        if !self.spaces.contains_key(id) {
            let space = SPACES.get(id)?.map(|s| s.data);
            self.spaces.insert(id.to_owned(), space);
        }
        Ok(self.spaces.get(id).cloned().flatten())
    }

    /// `name, address` of a space, as calendars show where a lesson is; empty for a space
    /// that is gone.
    pub(crate) fn place(&mut self, id: &str) -> Result<String> {
        Ok(self
            .space(id)?
            .map(|s| format!("{}, {}", s.name, s.address))
            .unwrap_or_default())
    }

    /// (full name, short name) of a child.
    fn child(&mut self, id: &str) -> Result<(String, String)> {
        if !self.children.contains_key(id) {
            let names = CHILDREN
                .get(id)?
                .map(|c| (c.data.full_name(), c.data.short_name()))
                .unwrap_or_default();
            self.children.insert(id.to_owned(), names);
        }
        Ok(self.children.get(id).cloned().unwrap_or_default())
    }

    fn family(&mut self, id: &str) -> Result<String> {
        if !self.families.contains_key(id) {
            let name = FAMILIES.get(id)?.map(|f| f.data.name).unwrap_or_default();
            self.families.insert(id.to_owned(), name);
        }
        Ok(self.families.get(id).cloned().unwrap_or_default())
    }
}

/// Who is looking at a lesson, which decides the children they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer<'a> {
    /// Operators and the lesson's tutor: every child, with full names for operators.
    Staff { full_names: bool },
    /// A family: only its own children.
    Family(&'a str),
}

impl LessonView {
    pub fn new(
        doc: &Doc<Lesson>,
        viewer: Viewer<'_>,
        lookup: &mut Lookup,
        settings: &Settings,
        now: i64,
    ) -> Result<Self> {
        let l = &doc.data;
        let space = lookup.space(&l.space)?;
        let mut children = Vec::new();
        for seat in &l.seats {
            let visible = match viewer {
                Viewer::Staff { .. } => true,
                Viewer::Family(family) => seat.family == family,
            };
            if !visible {
                continue;
            }
            let (full, short) = lookup.child(&seat.child)?;
            let name = match viewer {
                Viewer::Staff { full_names: false } => short,
                _ => full,
            };
            let booking = BOOKINGS.get(&seat.booking)?;
            let status = booking.as_ref().map(|b| b.data.status);
            children.push(SeatView {
                child: seat.child.clone(),
                name,
                family: seat.family.clone(),
                family_name: match viewer {
                    Viewer::Staff { full_names: true } => lookup.family(&seat.family)?,
                    _ => String::new(),
                },
                booking: seat.booking.clone(),
                status: status.map(|s| s.key().to_owned()).unwrap_or_default(),
                status_label: status.map(BookingStatus::label).unwrap_or_default(),
            });
        }
        let opens = attendance::opens_at(l, settings);
        let local = local::local(opens);
        let weekday = Date::parse(&l.date).map(local::weekday).unwrap_or(1);
        Ok(Self {
            id: doc.id.clone(),
            date: l.date.clone(),
            weekday: schedule::day_long_name(weekday),
            start: local::hhmm(l.start),
            end: local::hhmm(l.end()),
            minutes: l.minutes,
            subject: l.subject.clone(),
            level: l.level.clone(),
            tutor_id: l.tutor.clone(),
            tutor: lookup.tutor(&l.tutor)?,
            space_id: l.space.clone(),
            space: space.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            address: space
                .as_ref()
                .map(|s| s.address.clone())
                .unwrap_or_default(),
            status: l.status,
            status_label: l.status.label(),
            taken: l.seats.len(),
            capacity: rules::capacity(settings, space.as_ref()),
            children,
            register_open: l.status != LessonStatus::Cancelled
                && !l.seats.is_empty()
                && now >= opens,
            register_opens: format!("{} {:02}:{:02}", local.date, local.hour, local.minute),
            cancel_reason: l.cancel_reason.clone(),
        })
    }
}

/// Views of many lessons for staff.
pub fn staff_views(
    lessons: &[Doc<Lesson>],
    full_names: bool,
    settings: &Settings,
    now: i64,
) -> Result<Vec<LessonView>> {
    let mut lookup = Lookup::default();
    lessons
        .iter()
        .map(|doc| {
            LessonView::new(
                doc,
                Viewer::Staff { full_names },
                &mut lookup,
                settings,
                now,
            )
        })
        .collect()
}

/// The lesson `id` with the way the caller sees it: operators and its tutor see it all, a family
/// with a child in it sees its own children; anyone else gets a 404.
fn visible(id: &str, user: &User) -> Result<(Doc<Lesson>, Access)> {
    let doc = lesson::load(id)?;
    if OPERATORS.admits() {
        return Ok((doc, Access::Operator));
    }
    if attendance::is_tutor_of(&doc.data, user)? {
        return Ok((doc, Access::Tutor));
    }
    if let Some(family) = family::of_user(user)?
        && doc.data.seats.iter().any(|s| s.family == family.id)
    {
        return Ok((doc, Access::Family(family.id)));
    }
    Err(lesson::not_found(id))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    Operator,
    Tutor,
    Family(String),
}

impl Access {
    fn viewer(&self) -> Viewer<'_> {
        match self {
            Access::Operator => Viewer::Staff { full_names: true },
            Access::Tutor => Viewer::Staff { full_names: false },
            Access::Family(id) => Viewer::Family(id),
        }
    }
}

fn render(id: &str, user: &User, status: u16, form: Option<FormState>) -> Result<Response> {
    let settings = Settings::load()?;
    let now = clock::now_ms();
    let (doc, access) = visible(id, user)?;
    let view = LessonView::new(
        &doc,
        access.viewer(),
        &mut Lookup::default(),
        &settings,
        now,
    )?;
    let staff = matches!(access, Access::Operator | Access::Tutor);
    let context = json!({
        "lesson": view,
        "is_operator": access == Access::Operator,
        "can_register": staff && view.register_open,
        "can_cancel": access == Access::Operator && doc.data.status == LessonStatus::Scheduled,
        "can_cancel_booking": matches!(access, Access::Family(_)) && doc.data.status == LessonStatus::Scheduled && doc.data.start_at > now,
    });
    Response::render_with_status(status, "lesson.html", &with_form(context, form))
}

/// `GET /lessons/{id}`
pub fn page(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    render(params.get("id")?, &user, 200, None)
}

/// `GET /api/lessons/{id}`
pub fn api_get(_: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let settings = Settings::load()?;
    let (doc, access) = visible(params.get("id")?, &user)?;
    Response::json(&LessonView::new(
        &doc,
        access.viewer(),
        &mut Lookup::default(),
        &settings,
        clock::now_ms(),
    )?)
}

/// The answer to a staff action on lesson `id` that worked (a register taken, a lesson called
/// off): the lesson as staff see it for programs, a redirect to its page for people.
fn staff_done(
    id: &str,
    doc: &Doc<Lesson>,
    json: bool,
    full_names: bool,
    settings: &Settings,
    done: String,
) -> Result<Response> {
    if !json {
        return Ok(to(&format!("/lessons/{id}")).with_notice(done));
    }
    Response::json(&LessonView::new(
        doc,
        Viewer::Staff { full_names },
        &mut Lookup::default(),
        settings,
        clock::now_ms(),
    )?)
}

/// `POST /lessons/{id}/attendance` and `POST /api/lessons/{id}/attendance` (the lesson's tutor
/// or an operator): `present` lists the children who came; every other child is absent.
pub fn record_attendance(request: Request, params: Params) -> Result<Response> {
    let user = identity::require_login()?;
    let id = params.get("id")?.to_owned();
    let json = wants_json(&request);
    let input = Input::from_request(&request, attendance::JSON_FIELDS)?;
    let settings = Settings::load()?;
    let present = attendance::read(&input);
    match attendance::record(
        &id,
        &present,
        &user,
        OPERATORS.admits(),
        &settings,
        clock::now_ms(),
    ) {
        Ok(doc) => {
            let done = t!("tutoring.done.attendance_recorded");
            staff_done(&id, &doc, json, false, &settings, done)
        }
        Err(err) if !json && err.belongs_in_form() && !matches!(err, Error::NotFound(_)) => render(
            &id,
            &user,
            err.status(),
            Some(FormState::message(
                "attendance",
                err.message(),
                input.echo(),
            )),
        ),
        Err(err) => Err(err),
    }
}

/// `POST /lessons/{id}/cancel` and `POST /api/lessons/{id}/cancel` (operators): `reason`.
pub fn cancel_lesson(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let id = params.get("id")?.to_owned();
    let json = wants_json(&request);
    let input = Input::from_request(&request, CANCEL_FIELDS)?;
    let mut problems = Problems::default();
    let reason = input::text(
        &input,
        "reason",
        (3, 300),
        &mut problems,
        &t!("tutoring.lessons.reason_length"),
    );
    if !problems.is_empty() {
        if json {
            return problems.into_json_response(lang);
        }
        return render(
            &id,
            &user,
            422,
            Some(FormState::new("cancel", &problems, input.echo(), lang)),
        );
    }
    let settings = Settings::load()?;
    match cancel::cancel_lesson(&id, &reason, &user, &settings, clock::now_ms()) {
        Ok(doc) => {
            let done = t!("tutoring.done.lesson_cancelled");
            staff_done(&id, &doc, json, true, &settings, done)
        }
        Err(err) if !json && matches!(err, Error::Conflict(_)) => render(
            &id,
            &user,
            err.status(),
            Some(FormState::message("cancel", err.message(), input.echo())),
        ),
        Err(err) => Err(err),
    }
}

#[derive(Deserialize)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    tutor: Option<String>,
}

/// The range asked for, by default from today for two weeks; at most 92 days.
fn range(query: &RangeQuery, now: i64) -> Result<(Date, Date)> {
    let today = local::today(now);
    let parse = |text: &Option<String>, default: Date| match text.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some(text) => Date::parse(text),
    };
    let from = parse(&query.from, today)?;
    let to = parse(&query.to, from.add_days(13))?;
    if to < from || from.days_until(to) > 92 {
        return Err(Error::bad_request(t!("tutoring.lessons.range")));
    }
    Ok((from, to))
}

fn lessons_in(from: Date, to: Date, tutor: Option<&str>) -> Result<Vec<Doc<Lesson>>> {
    let mut query = LESSONS
        .query()
        .filter("date", Cmp::Ge, from.to_string())
        .filter("date", Cmp::Le, to.to_string());
    if let Some(tutor) = tutor.filter(|t| !t.is_empty()) {
        query = query.filter("tutor", Cmp::Eq, tutor);
    }
    query.order_by("start_at").limit(1000).fetch()
}

/// What the operators' list of lessons shows, as a page or in JSON: the query, the range it
/// asks for, and the lessons of that range as staff see them.
fn listed(request: &Request) -> Result<(RangeQuery, Date, Date, Vec<LessonView>)> {
    let lang = lang(request);
    OPERATORS.require(lang)?;
    let query: RangeQuery = request.parse_query()?;
    let now = clock::now_ms();
    let (from, to) = range(&query, now)?;
    let settings = Settings::load()?;
    let lessons = lessons_in(from, to, query.tutor.as_deref())?;
    let views = staff_views(&lessons, true, &settings, now)?;
    Ok((query, from, to, views))
}

/// `GET /lessons?from=&to=&tutor=` (operators)
pub fn list_page(request: Request, _: Params) -> Result<Response> {
    let (query, from, to, lessons) = listed(&request)?;
    Response::render(
        "lessons.html",
        &json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "lessons": lessons,
            "tutors": crate::tutor::all()?.iter().map(|t| json!({"id": t.id, "name": t.data.name})).collect::<Vec<_>>(),
            "tutor_filter": query.tutor.unwrap_or_default(),
        }),
    )
}

/// `GET /api/lessons?from=&to=&tutor=` (operators)
pub fn api_list(request: Request, _: Params) -> Result<Response> {
    let (_, _, _, lessons) = listed(&request)?;
    Response::json(&lessons)
}

/// `POST /reminders/run` and `POST /api/reminders/run` (operators): sends the reminders due
/// now, as the `reminders` job does every ten minutes.
pub fn run_reminders(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let user = OPERATORS.require(lang)?;
    let settings = Settings::load()?;
    let sent = reminders::run(&settings, clock::now_ms())?;
    trama_sdk::audit::record(
        "reminders.run",
        "reminders",
        &json!({ "queued": sent.queued, "already_sent": sent.already_sent, "by": user.username }),
    )?;
    if wants_json(&request) {
        Response::json(&sent)
    } else {
        let done = t!("tutoring.done.reminders_sent", count = sent.queued);
        Ok(to("/lessons").with_notice(done))
    }
}
