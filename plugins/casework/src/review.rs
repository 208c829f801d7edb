//! Scheduled reviews of the personal plan. Every open case has a next review date — at the
//! opening, `review_days` (a setting) ahead; the care manager may set another; recording a
//! review sets the next one. The `review-reminders` job (daily) tells the care manager who
//! follows the case, through the kernel's outbox, when a review is due: the message's key is
//! `review/{case}/{date}`, and the kernel queues a key once, so a job that runs again sends
//! nothing twice, and a new date gets its own reminder. Dates are days in Rome's calendar,
//! written `YYYY-MM-DD`, which sort as they read.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::clock::Date;
use trama_sdk::i18n::{self, Lang};
use trama_sdk::identity::{self, User};
use trama_sdk::input::{Input, Problems};
use trama_sdk::notify::{self, Notification};
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, audit, choices, local, t};

use crate::case::{CASES, Case, State};
use crate::situation::{self, Scale};
use crate::web::BASE;

choices! {
    /// How the plan stands at a review.
    pub enum PlanState {
        OnTrack = "on_track" => "casework.review.plan.on_track",
        Adjusted = "adjusted" => "casework.review.plan.adjusted",
        Stalled = "stalled" => "casework.review.plan.stalled",
    }
}

/// When a case's plan is next reviewed (id: the case id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Due {
    /// `YYYY-MM-DD` (indexed).
    pub due: String,
}

pub const SCHEDULE: Collection<Due> = Collection::new("schedule");

/// A review of the plan, as the care manager recorded it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    /// The case id (indexed).
    pub case: String,
    pub at: i64,
    pub author: String,
    pub author_name: String,
    pub note: String,
    pub plan: PlanState,
    /// The next review it set, `YYYY-MM-DD`.
    pub next: String,
    /// The household's situation assessed at this review (see [`crate::situation`]); `None`
    /// when the scale is off, and in reviews recorded before assessments existed.
    #[serde(default)]
    pub situation: Option<u8>,
    /// The baseline it was compared with, when there was one: then `casework.case_reviewed`
    /// was published with both.
    #[serde(default)]
    pub before: Option<u8>,
}

pub const REVIEWS: Collection<Review> = Collection::new("reviews");

/// The daily job that sends the reminders.
pub const JOB: &str = "review-reminders";

/// The longest note of a review.
pub const MAX_NOTE: usize = 4000;

/// The day `days` after today in Rome.
pub fn days_ahead(now_ms: i64, days: u32) -> Date {
    local::today(now_ms).add_days(i64::from(days))
}

/// Sets the next review of `case`.
pub fn schedule(case: &str, due: Date) -> Result<()> {
    SCHEDULE.put(
        case,
        &Due {
            due: due.to_string(),
        },
    )?;
    Ok(())
}

/// The next review of `case`, if one is set.
pub fn next_of(case: &str) -> Result<Option<Date>> {
    Ok(SCHEDULE
        .get(case)?
        .and_then(|doc| Date::parse(&doc.data.due).ok()))
}

/// The next review as pages show it: the date in words, and whether it is past.
pub fn shown(due: Option<Date>, now_ms: i64, lang: Lang) -> serde_json::Value {
    match due {
        None => serde_json::Value::Null,
        Some(due) => json!({
            "date": due.to_string(),
            "when": local::long_date(due, lang),
            "overdue": due < local::today(now_ms),
        }),
    }
}

/// A date typed in `field`: a real day, from today to two years ahead.
pub fn check_date(
    input: &Input,
    field: &str,
    now_ms: i64,
    problems: &mut Problems,
) -> Option<Date> {
    let text = input.one(field).unwrap_or_default().trim();
    let Ok(date) = Date::parse(text) else {
        problems.push(field, t!("casework.review.problems.date"));
        return None;
    };
    let today = local::today(now_ms);
    if date < today || date > today.add_days(731) {
        problems.push(field, t!("casework.review.problems.range"));
        return None;
    }
    Some(date)
}

/// A review once checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub note: String,
    pub plan: PlanState,
    /// The next review.
    pub next: Date,
    /// The household's situation, on the scale (`None` when the scale is off).
    pub situation: Option<u8>,
}

/// A review once checked: the note, the plan's state, the next date (`review_days` ahead
/// when none is given) and the situation on `scale` (required while it is on).
pub fn check(
    input: &Input,
    now_ms: i64,
    review_days: u32,
    scale: &Scale,
) -> std::result::Result<Checked, Problems> {
    let mut problems = Problems::default();
    let note = input.one("note").unwrap_or_default().trim().to_owned();
    if note.is_empty() {
        problems.push("note", t!("casework.review.problems.note"));
    } else if note.chars().count() > MAX_NOTE {
        problems.push("note", t!("casework.problems.too_long", max = MAX_NOTE));
    }
    let plan = input.one("plan").and_then(PlanState::parse);
    if plan.is_none() {
        problems.push("plan", t!("casework.review.problems.plan"));
    }
    let next = match input.one("next").map(str::trim) {
        Some(text) if !text.is_empty() => check_date(input, "next", now_ms, &mut problems),
        _ => Some(days_ahead(now_ms, review_days)),
    };
    let situation = situation::read(scale, input, "situation", true, &mut problems);
    match (plan, next) {
        (Some(plan), Some(next)) if problems.is_empty() => Ok(Checked {
            note,
            plan,
            next,
            situation,
        }),
        _ => Err(problems),
    }
}

/// Records a review of `case` and schedules the next; audited as `case.reviewed` (with the
/// plan's state, the next date and the situation, never the note). An assessed review of a
/// case with a baseline publishes `casework.case_reviewed` (see [`crate::situation`]).
pub fn record(
    case: &Doc<Case>,
    checked: Checked,
    scale: &Scale,
    author: &User,
    now_ms: i64,
) -> Result<Doc<Review>> {
    let Checked {
        note,
        plan,
        next,
        situation,
    } = checked;
    let before = match situation {
        Some(level) => situation::before_review(&case.id, level, scale, now_ms)?,
        None => None,
    };
    let doc = REVIEWS.insert(Review {
        case: case.id.clone(),
        at: now_ms,
        author: author.id.clone(),
        author_name: author.display_name.clone(),
        note,
        plan,
        next: next.to_string(),
        situation,
        before,
    })?;
    schedule(&case.id, next)?;
    if let (Some(before), Some(after)) = (before, situation) {
        situation::publish(&case.data, before, after, scale, plan, now_ms)?;
    }
    audit::record(
        "case.reviewed",
        &case.id,
        &json!({
            "review": doc.id,
            "plan": plan.key(),
            "next": next.to_string(),
            "situation": situation,
            "before": before,
        }),
    )?;
    Ok(doc)
}

/// The reviews of a case, newest first.
pub fn of_case(case: &str) -> Result<Vec<Doc<Review>>> {
    let mut reviews = REVIEWS
        .query()
        .filter("case", Cmp::Eq, case)
        .order_by("at")
        .fetch_all()?;
    reviews.reverse();
    Ok(reviews)
}

/// What a run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reminded {
    pub queued: u32,
    pub already: u32,
}

/// Sends a reminder for every open case whose review is due today or earlier, to the care
/// manager who follows it now; a closed case leaves the schedule.
pub fn run(now_ms: i64) -> Result<Reminded> {
    let today = local::today(now_ms).to_string();
    let due = SCHEDULE
        .query()
        .filter("due", Cmp::Le, today.as_str())
        .fetch_all()?;
    let mut done = Reminded::default();
    for entry in due {
        let case = match CASES.get(&entry.id)? {
            Some(case) if case.data.status == State::Open => case,
            _ => {
                SCHEDULE.delete(&entry.id)?;
                continue;
            }
        };
        let Ok(date) = Date::parse(&entry.data.due) else {
            continue;
        };
        let manager = &case.data.care_manager;
        let locale = identity::locale_of(manager);
        let lang = Lang::from_locale(&locale);
        let when = local::long_date(date, lang);
        let subject = i18n::text_in(
            &locale,
            "casework.review.notice.subject",
            &[("when", &when)],
        );
        let body = i18n::text_in(&locale, "casework.review.notice.body", &[("when", &when)]);
        let queued = notify::send(&Notification {
            recipient: manager.clone(),
            subject: notify::cut(&subject, notify::MAX_SUBJECT),
            body: notify::cut(&body, notify::MAX_BODY),
            key: format!("review/{}/{}", entry.id, entry.data.due),
            link: Some(format!("{BASE}/cases/{}#review", entry.id)),
        })?;
        if queued {
            done.queued += 1;
            audit::record(
                "case.review_reminded",
                &entry.id,
                &json!({ "care_manager": manager, "due": entry.data.due }),
            )?;
        } else {
            done.already += 1;
        }
    }
    Ok(done)
}
