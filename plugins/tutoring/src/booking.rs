//! Booking a child into a lesson (cancelling is in [`crate::cancel`], the other rules in
//! [`crate::rules`]).
//!
//! Every rule is enforced by one atomic batch of the kernel's store, not by what a page showed:
//!
//! - **the group's size**: the lesson document is rewritten "only if still at version n" with
//!   the new seat, so of two bookings for the last place one writes and the other finds the
//!   lesson changed, reads it again and is told the group is full;
//! - **no double booking**: opening a lesson creates its tutor's and its space's quarter-hour
//!   claims with "must not exist", and every booking its child's (see [`crate::lesson`]);
//! - **hours left**: the family's allowance document for the period is rewritten in the same
//!   batch with the lesson's minutes added (see [`crate::allowance`]);
//! - **level, subject, opening hours, availability, the booking window**: checked on the data
//!   read in the same attempt, which the batch's versions prove unchanged when it commits.
//!
//! A batch that loses a race changes nothing; the attempt is then repeated from fresh reads, so
//! the answer is the rule that now stops the booking (or a success, if a place is still free).

use trama_contracts::tutoring::LessonBooked;
use trama_sdk::checked::IntoResult;
use trama_sdk::clock::Date;
use trama_sdk::i18n;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{self, Batch, Doc};
use trama_sdk::{Error, Result, audit, events, t};

use crate::allowance::{self, ALLOWANCES, Allowance, Balance};
use crate::config::Settings;
use crate::family::{self, Child, Family};
use crate::lesson::{self, BOOKINGS, Booking, Claim, LESSONS, Lesson, LessonStatus, Seat};
use crate::rules::{already_booked, check_child_fits, check_joinable, check_space, check_tutor};
use crate::schedule;
use crate::space;
use crate::tutor;
use trama_sdk::local;

/// Members of a booking request in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "child", "subject", "lesson", "tutor", "space", "date", "start",
];

/// How many times a booking is tried again after losing a race. Each retry starts from fresh
/// reads, so a place that is really gone is reported as such on the next try.
pub(crate) const ATTEMPTS: usize = 20;

/// Where the child should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An existing group with room.
    Join { lesson: String },
    /// A new group with this tutor, in this space, at this time.
    Open {
        tutor: String,
        space: String,
        date: Date,
        start: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookRequest {
    pub child: String,
    /// Required to open a group; when joining, the group's subject (checked if given).
    pub subject: Option<String>,
    pub target: Target,
}

pub fn read(input: &Input) -> std::result::Result<BookRequest, Problems> {
    let mut problems = Problems::default();
    let child = input.one("child").unwrap_or_default().to_owned();
    if child.is_empty() {
        problems.push("child", t!("tutoring.booking.choose_child"));
    }
    let subject = input.one("subject").map(str::to_owned);
    let target = match input.one("lesson") {
        Some(lesson) => Target::Join {
            lesson: lesson.to_owned(),
        },
        None => {
            let mut need = |field: &str, message: fn() -> String| {
                let value = input.one(field).unwrap_or_default().to_owned();
                if value.is_empty() {
                    problems.push(field, message());
                }
                value
            };
            let tutor = need("tutor", || t!("tutoring.booking.choose_tutor"));
            let space = need("space", || t!("tutoring.booking.choose_space"));
            let date_text = need("date", || t!("tutoring.booking.choose_date"));
            let start_text = need("start", || t!("tutoring.booking.choose_time"));
            if subject.is_none() {
                problems.push("subject", t!("tutoring.booking.choose_subject"));
            }
            let date = if date_text.is_empty() {
                None
            } else {
                Date::parse(&date_text).ok().or_else(|| {
                    problems.push("date", t!("tutoring.booking.not_a_date", text = date_text));
                    None
                })
            };
            let start = if start_text.is_empty() {
                None
            } else {
                schedule::parse_time(&start_text)
                    .map_err(|err| problems.push("start", err))
                    .ok()
            };
            match (date, start) {
                (Some(date), Some(start)) => Target::Open {
                    tutor,
                    space,
                    date,
                    start,
                },
                // Placeholder: the problems above are returned instead.
                _ => Target::Join {
                    lesson: String::new(),
                },
            }
        }
    };
    problems.into_result(BookRequest {
        child,
        subject,
        target,
    })
}

/// A booking made.
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: Doc<Booking>,
    pub lesson: Doc<Lesson>,
    pub balance: Balance,
    /// Whether the booking opened a new group.
    pub opened: bool,
}

pub(crate) enum Attempt<T> {
    Done(T),
    /// The batch lost a race: read everything again.
    Raced,
}

pub(crate) fn busy() -> Error {
    Error::conflict(t!("tutoring.booking.busy"))
}

/// Books a child (see the module documentation); `operator` may book for any family.
pub fn book(
    request: &BookRequest,
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Booked> {
    for _ in 0..ATTEMPTS {
        if let Attempt::Done(booked) = attempt_booking(request, actor, operator, settings, now)? {
            let b = &booked.booking.data;
            audit::record(
                "booking.created",
                &booked.booking.id,
                &serde_json::json!({
                    "lesson": b.lesson, "child": b.child, "family": b.family,
                    "minutes": b.minutes, "period": b.period, "opened": booked.opened,
                    "by": actor.username,
                }),
            )?;
            events::publish_typed(&LessonBooked {
                booking_id: booked.booking.id.clone(),
                lesson_id: b.lesson.clone(),
                child_id: b.child.clone(),
                family_id: b.family.clone(),
                tutor_id: b.tutor.clone(),
                space_id: b.space.clone(),
                subject: b.subject.clone(),
                level: b.level.clone(),
                date: b.date.clone(),
                start: local::hhmm(b.start),
                minutes: b.minutes,
                start_at: b.start_at,
                opened_group: booked.opened,
                // The parent booking for their own family names themselves; an operator's
                // booking names nobody (the operator's number is not the family's).
                person: (!operator)
                    .then(trama_sdk::identity::fiscal_number)
                    .flatten()
                    .map(|code| trama_contracts::person::key(&code)),
            })?;
            return Ok(booked);
        }
    }
    Err(busy())
}

fn attempt_booking(
    request: &BookRequest,
    actor: &User,
    operator: bool,
    settings: &Settings,
    now: i64,
) -> Result<Attempt<Booked>> {
    let (child, family) = family::child_for(&request.child, actor, operator)?;
    if !child.data.active {
        return Err(Error::invalid(t!(
            "tutoring.booking.child_inactive",
            child = child.data.first_name
        )));
    }
    let (lesson_id, existing_version, mut lesson) = match &request.target {
        Target::Join { lesson: id } => {
            let doc = lesson::load(id)?;
            check_joinable(&doc, &child, request.subject.as_deref(), settings, now)?;
            (doc.id, Some(doc.version), doc.data)
        }
        Target::Open {
            tutor,
            space,
            date,
            start,
        } => {
            let subject = request.subject.as_deref().unwrap_or_default();
            let lesson = plan(
                tutor,
                space,
                *date,
                *start,
                subject,
                &child.data,
                settings,
                actor,
                now,
            )?;
            (store::new_id(), None, lesson)
        }
    };
    check_child_fits(&lesson, &child.data)?;
    let child_claims = lesson.child_claims(&child.id);
    if let Some(taken) = lesson::first_taken(&child_claims)? {
        if taken.data.lesson == lesson_id {
            return Err(already_booked(&child.data));
        }
        return Err(Error::conflict(t!(
            "tutoring.booking.child_overlap",
            child = child.data.first_name,
            when = lesson.when()
        )));
    }
    let id = lesson::booking_id(&lesson_id, &child.id);
    let previous = BOOKINGS.get(&id)?;
    if previous.as_ref().is_some_and(|p| p.data.status.charged()) {
        return Err(already_booked(&child.data));
    }
    let date = Date::parse(&lesson.date)?;
    let period = settings.allowance_period.period_of(date);
    let (allowance_doc, balance) = allowance::balance(&family.id, &period, settings)?;
    let minutes = u32::from(lesson.minutes);
    if balance.remaining_minutes < minutes {
        return Err(no_hours_left(
            &family.data,
            &period,
            &balance,
            minutes,
            settings,
        ));
    }
    let booking = Booking::new(
        &lesson_id,
        &lesson,
        &child.id,
        &family.id,
        period.clone(),
        now,
        &actor.username,
    );
    lesson.seats.push(Seat {
        child: child.id.clone(),
        family: family.id.clone(),
        booking: id.clone(),
    });
    let mut allowance = allowance_doc
        .as_ref()
        .map(|d| d.data.clone())
        .unwrap_or_else(|| Allowance::new(&family.id, &period, now));
    allowance.used_minutes += minutes;
    allowance.updated_at = now;

    let mut batch = Batch::new();
    match existing_version {
        Some(version) => batch.put_if_version(&LESSONS, &lesson_id, &lesson, version),
        None => {
            batch.create(&LESSONS, &lesson_id, &lesson);
            let claim = Claim {
                lesson: lesson_id.clone(),
                booking: None,
            };
            lesson::claim_all(&mut batch, &lesson.resource_claims(), &claim);
            &mut batch
        }
    };
    let lesson_write = 0;
    let booking_write = batch.len();
    match &previous {
        Some(p) => batch.put_if_version(&BOOKINGS, &id, &booking, p.version),
        None => batch.create(&BOOKINGS, &id, &booking),
    };
    let claim = Claim {
        lesson: lesson_id.clone(),
        booking: Some(id.clone()),
    };
    lesson::claim_all(&mut batch, &child_claims, &claim);
    let allowance_id = allowance::allowance_id(&family.id, &period);
    match &allowance_doc {
        Some(doc) => batch.put_if_version(&ALLOWANCES, &allowance_id, &allowance, doc.version),
        None => batch.create(&ALLOWANCES, &allowance_id, &allowance),
    };
    let versions = match batch.commit() {
        Ok(versions) => versions,
        Err(Error::Conflict(_)) => return Ok(Attempt::Raced),
        Err(err) => return Err(err),
    };
    let balance = Balance::of(
        Some(&allowance),
        settings.rule_minutes(family::active_children(&family.id)?),
    );
    Ok(Attempt::Done(Booked {
        booking: Doc {
            id,
            version: versions.get(booking_write).copied().unwrap_or(1),
            data: booking,
        },
        lesson: Doc {
            id: lesson_id,
            version: versions.get(lesson_write).copied().unwrap_or(1),
            data: lesson,
        },
        balance,
        opened: existing_version.is_none(),
    }))
}

fn no_hours_left(
    family: &Family,
    period: &str,
    balance: &Balance,
    needed: u32,
    settings: &Settings,
) -> Error {
    // The hours and the period are written as the caller reads numbers and months.
    let lang = i18n::current();
    let label = allowance::period_label(settings.allowance_period, period, lang);
    let h = |m| allowance::hours_text(m, lang);
    Error::conflict(t!(
        "tutoring.booking.no_hours_left",
        family = family.name,
        used = h(balance.used_minutes),
        granted = h(balance.granted_minutes),
        period = label,
        needed = h(needed)
    ))
}

/// A new lesson at the requested place and time, after checking the tutor, the space and the
/// booking window, and that the tutor and the space are still free then.
#[allow(clippy::too_many_arguments)]
fn plan(
    tutor_id: &str,
    space_id: &str,
    date: Date,
    start: u16,
    subject: &str,
    child: &Child,
    settings: &Settings,
    actor: &User,
    now: i64,
) -> Result<Lesson> {
    let minutes = settings.lesson_minutes;
    let end = start + minutes;
    if end > 24 * 60 {
        return Err(Error::invalid(t!("tutoring.booking.after_midnight")));
    }
    let today = local::today(now);
    let last = today.add_days(i64::from(settings.booking_horizon_days));
    if date < today || date > last {
        return Err(Error::invalid(t!(
            "tutoring.booking.window",
            from = today,
            to = last
        )));
    }
    let start_at = local::to_utc_ms(date, start);
    if start_at <= now {
        return Err(Error::invalid(t!("tutoring.booking.time_passed")));
    }
    let tutor = tutor::load(tutor_id)?;
    let space = space::load(space_id)?;
    check_tutor(&tutor.data, subject, &child.level, date, start, end)?;
    check_space(&space.data, date, start, end)?;
    let lesson = Lesson {
        tutor: tutor.id.clone(),
        space: space.id.clone(),
        subject: subject.to_owned(),
        level: child.level.clone(),
        date: date.to_string(),
        month: format!("{:04}-{:02}", date.year, date.month),
        start,
        minutes,
        start_at,
        end_at: local::to_utc_ms(date, end),
        status: LessonStatus::Scheduled,
        seats: Vec::new(),
        attendance: None,
        cancel_reason: None,
        created_at: now,
        created_by: actor.username.clone(),
    };
    let when = lesson.when();
    let tutor_claims = lesson::claim_ids("tutor", &tutor.id, &lesson.date, start, minutes);
    if let Some(taken) = lesson::first_taken(&tutor_claims)? {
        // Someone may have just opened the very group this family wanted: say so, since
        // joining it is what they most likely want now.
        let same_group = LESSONS.get(&taken.data.lesson)?.is_some_and(|other| {
            let o = &other.data;
            o.status == LessonStatus::Scheduled
                && o.start == start
                && o.subject == lesson.subject
                && o.level == lesson.level
        });
        return Err(Error::conflict(if same_group {
            t!(
                "tutoring.booking.tutor_busy_same_group",
                tutor = tutor.data.name,
                when = when
            )
        } else {
            t!(
                "tutoring.booking.tutor_busy",
                tutor = tutor.data.name,
                when = when
            )
        }));
    }
    let space_claims = lesson::claim_ids("space", &space.id, &lesson.date, start, minutes);
    if lesson::first_taken(&space_claims)?.is_some() {
        return Err(Error::conflict(t!(
            "tutoring.booking.space_taken",
            space = space.data.name,
            when = when
        )));
    }
    Ok(lesson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_joins_a_group_or_opens_one() {
        let join = read(&Input::from_strs(&[("child", "c1"), ("lesson", "l1")])).unwrap();
        assert_eq!(
            join.target,
            Target::Join {
                lesson: "l1".into()
            }
        );
        let open = read(&Input::from_strs(&[
            ("child", "c1"),
            ("subject", "Matematica"),
            ("tutor", "t1"),
            ("space", "s1"),
            ("date", "2025-03-31"),
            ("start", "15:00"),
        ]))
        .unwrap();
        assert!(matches!(open.target, Target::Open { start: 900, .. }));
        let problems = read(&Input::from_strs(&[
            ("tutor", "t1"),
            ("date", "31/03/2025"),
            ("start", "15:10"),
        ]))
        .unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["child", "space", "subject", "date", "start"]);
    }
}
