//! Tutoring paths: a child's mark in one subject when homework help starts and when it ends —
//! a before/after outcome.
//!
//! The family or an operator starts a path for a child in a subject with the child's current
//! mark on the instance's scale (setting `grade_scale`, the lowest first: Italian school marks
//! by default, descriptive judgements for a primary school if the instance says so), and ends
//! it with the mark at the end (the next school report). Ending it publishes
//! `tutoring.path_completed` with both marks, the subject, the school level and the minutes of
//! lessons in that subject the child attended meanwhile — no child, family or tutor — which
//! the territory's `improved` indicator counts. A child has at most one open path per subject.
//! [`monthly`] counts the paths ended, by month in Rome, exactly as the events do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_contracts::tutoring::PathCompleted;
use trama_sdk::identity::User;
use trama_sdk::scale::Scale;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, events, local, t};

use crate::family::{CHILDREN, Child};
use crate::lesson::{BOOKINGS, BookingStatus};

/// One path of a child in a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Path {
    /// The child (indexed).
    pub child: String,
    /// The subject (indexed).
    pub subject: String,
    /// Whether it is still going (indexed).
    pub open: bool,
    /// The mark at the start, 1 to `levels`.
    pub grade_start: u8,
    /// The mark at the end, once ended.
    pub grade_end: Option<u8>,
    /// How many levels the scale had when it started.
    pub levels: u8,
    pub started_at: i64,
    pub started_by: String,
    pub ended_at: Option<i64>,
    /// `YYYY-MM` in Rome of the end (indexed); empty while open.
    #[serde(default)]
    pub ended_month: String,
    /// Minutes of lessons in the subject the child attended during the path, once ended.
    #[serde(default)]
    pub attended_minutes: u32,
    /// Whether its end published `tutoring.path_completed` (not when the scale changed length
    /// meanwhile).
    #[serde(default)]
    pub published: bool,
}

pub const PATHS: Collection<Path> = Collection::new("paths");

/// The paths of a child, newest first.
pub fn of_child(child: &str) -> Result<Vec<Doc<Path>>> {
    let mut paths = PATHS.query().filter("child", Cmp::Eq, child).fetch_all()?;
    paths.sort_by_key(|doc| std::cmp::Reverse(doc.data.started_at));
    Ok(paths)
}

/// The open path of `child` in `subject`, if any.
pub fn open_of(child: &str, subject: &str) -> Result<Option<Doc<Path>>> {
    Ok(of_child(child)?
        .into_iter()
        .find(|doc| doc.data.open && doc.data.subject == subject))
}

/// Starts a path of `child` in `subject` at `grade`; a conflict when one is open already.
pub fn start(
    child: &Doc<Child>,
    subject: &str,
    grade: u8,
    scale: &Scale,
    by: &User,
    now_ms: i64,
) -> Result<Doc<Path>> {
    // Two starts for one child at the same instant (two operators, two kernel nodes) take
    // turns on the child's record, so the second reads the path the first opened.
    CHILDREN.lock(&child.id)?;
    if open_of(&child.id, subject)?.is_some() {
        return Err(Error::conflict(t!(
            "tutoring.progress.already_open",
            subject = subject
        )));
    }
    let doc = PATHS.insert(Path {
        child: child.id.clone(),
        subject: subject.to_owned(),
        open: true,
        grade_start: grade,
        grade_end: None,
        levels: scale.levels(),
        started_at: now_ms,
        started_by: by.id.clone(),
        ended_at: None,
        ended_month: String::new(),
        attended_minutes: 0,
        published: false,
    })?;
    audit::record(
        "path.started",
        &doc.id,
        &serde_json::json!({ "child": child.id, "subject": subject, "grade": grade }),
    )?;
    Ok(doc)
}

/// Minutes of lessons in `subject` that `child` attended from `from_ms` on.
pub fn attended(child: &str, subject: &str, from_ms: i64) -> Result<u32> {
    Ok(BOOKINGS
        .query()
        .filter("child", Cmp::Eq, child)
        .fetch_all()?
        .iter()
        .filter(|b| {
            b.data.subject == subject
                && b.data.status == BookingStatus::Present
                && b.data.start_at >= from_ms
        })
        .map(|b| u32::from(b.data.minutes))
        .fold(0u32, u32::saturating_add))
}

/// Ends the open path of `child` in `subject` at `grade` and publishes its outcome; not found
/// when none is open. A path started on a scale of another length is ended without an event
/// (its two marks cannot be compared).
pub fn end(
    child: &Doc<Child>,
    subject: &str,
    grade: u8,
    scale: &Scale,
    now_ms: i64,
) -> Result<Doc<Path>> {
    let Some(mut doc) = open_of(&child.id, subject)? else {
        return Err(Error::not_found(t!(
            "tutoring.progress.none_open",
            subject = subject
        )));
    };
    let day = local::today(now_ms);
    doc.data.open = false;
    doc.data.grade_end = Some(grade);
    doc.data.ended_at = Some(now_ms);
    doc.data.ended_month = format!("{:04}-{:02}", day.year, day.month);
    doc.data.attended_minutes = attended(&child.id, subject, doc.data.started_at)?;
    let comparable = doc.data.levels == scale.levels();
    doc.data.published = comparable;
    doc.version = PATHS.put_if_version(&doc.id, &doc.data, doc.version)?;
    if comparable {
        events::publish_typed(&PathCompleted {
            subject: subject.to_owned(),
            level: child.data.level.clone(),
            grade_before: doc.data.grade_start,
            grade_after: grade,
            levels: scale.levels(),
            attended_minutes: doc.data.attended_minutes,
        })?;
    }
    audit::record(
        "path.ended",
        &doc.id,
        &serde_json::json!({
            "child": child.id,
            "subject": subject,
            "grade_start": doc.data.grade_start,
            "grade_end": grade,
            "published": comparable,
        }),
    )?;
    Ok(doc)
}

/// One month of ended paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Month {
    pub month: String,
    pub ended: u64,
    pub improved: u64,
    pub unchanged: u64,
    pub worse: u64,
}

/// The ended paths that published their outcome, by month of their end, oldest first: the
/// events `tutoring.path_completed` counted as the kernel's `improved` counts them.
pub fn monthly<'a>(paths: impl Iterator<Item = &'a Path>) -> Vec<Month> {
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    for path in paths {
        let Some(end) = path.grade_end.filter(|_| path.published) else {
            continue;
        };
        let month = months
            .entry(path.ended_month.clone())
            .or_insert_with(|| Month {
                month: path.ended_month.clone(),
                ..Month::default()
            });
        month.ended += 1;
        match end.cmp(&path.grade_start) {
            std::cmp::Ordering::Greater => month.improved += 1,
            std::cmp::Ordering::Equal => month.unchanged += 1,
            std::cmp::Ordering::Less => month.worse += 1,
        }
    }
    months.into_values().collect()
}

/// Every ended path.
pub fn ended() -> Result<Vec<Doc<Path>>> {
    PATHS.query().filter("open", Cmp::Eq, false).fetch_all()
}
