//! The territory's indicators (`[indicators]` of the manifest), computed month by month from
//! the events its plugins published, and the scientific committee's validations of their
//! definitions ([`validation`]).
//!
//! Events are kept: deliveries to subscribers are the only rows about them that change, and
//! nothing deletes them, so an indicator can always be recomputed from the first event on and
//! gives the same figures on every node. Their payloads carry what indicators need and no more
//! (ids, amounts, a band of ISEE, never a name).
//!
//! A month is a calendar month in Europe/Rome of the event's publication. Each cell (a month,
//! and a group when the indicator has `group_by`) holds its value and the number of
//! *subjects* behind it: the people or households counted, or for a sum the events added up
//! (one household's vouchers, one lesson's register). The open-data export suppresses a cell
//! with fewer than [`SMALL_CELL`] subjects, since a figure about one to four people may point at
//! them.
//!
//! Before/after outcomes: an event that closes a path (tutoring ended, a case reviewed) carries
//! the same measure twice, taken at the start and at the end, as two integer fields; an
//! `improved` indicator counts the events whose `after` is above their `before`, out of those
//! that carry both (its subjects).
//!
//! Satisfaction: an `at_least` indicator counts the events whose field reaches a threshold (a
//! questionnaire's score of 4 or more out of 5), out of those that carry it (its subjects), so
//! the share satisfied is its value over its subjects.

pub mod validation;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, TimeZone};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use serde_json::Value as Json;
use trama_manifest::{Aggregate, Indicator};

use crate::db::{Db, sql};

/// Fewer subjects than this in a cell and the open data show no figure for it.
pub const SMALL_CELL: i64 = 5;

/// The most months a series shows, ending with the current one.
pub const MAX_MONTHS: usize = 24;

/// One cell of a series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// In the stored unit: cents for euros, minutes for hours.
    pub value: i64,
    /// How many people, households or events the value stands for.
    pub subjects: i64,
}

impl Cell {
    /// Whether the open data hide this cell: some subjects, but fewer than [`SMALL_CELL`].
    pub fn small(&self) -> bool {
        self.subjects > 0 && self.subjects < SMALL_CELL
    }
}

/// An indicator's figures: each month (`YYYY-MM`, oldest first) with its cell per group. An
/// indicator without `group_by` has the one group `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Series {
    pub months: Vec<String>,
    pub groups: Vec<String>,
    /// By (month, group).
    pub cells: BTreeMap<(String, String), Cell>,
}

impl Series {
    pub fn cell(&self, month: &str, group: &str) -> Cell {
        self.cells
            .get(&(month.to_owned(), group.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// The month's figure over every group, values and subjects added (a distinct count adds
    /// each group's: groups are meant to be disjoint, like ISEE bands).
    pub fn total(&self, month: &str) -> Cell {
        self.groups
            .iter()
            .map(|group| self.cell(month, group))
            .fold(Cell::default(), |sum, cell| Cell {
                value: sum.value + cell.value,
                subjects: sum.subjects + cell.subjects,
            })
    }
}

/// The calendar month in Rome of the instant `at_ms`, as `YYYY-MM`.
pub fn month_of(at_ms: i64) -> String {
    match crate::clock::ZONE.timestamp_millis_opt(at_ms).single() {
        Some(at) => format!("{:04}-{:02}", at.year(), at.month()),
        None => "1970-01".to_owned(),
    }
}

/// The month after `month` (`YYYY-MM`).
fn next_month(month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or(("1970", "01"));
    let (year, m): (i32, u32) = (year.parse().unwrap_or(1970), m.parse().unwrap_or(1));
    if m >= 12 {
        format!("{:04}-01", year + 1)
    } else {
        format!("{year:04}-{:02}", m + 1)
    }
}

/// The months from `first` to `last`, both included, at most the last [`MAX_MONTHS`].
fn months_between(first: &str, last: &str) -> Vec<String> {
    let mut months = vec![first.to_owned()];
    while months.last().is_some_and(|m| m.as_str() < last) {
        let next = next_month(months.last().map_or(last, String::as_str));
        months.push(next);
    }
    let skip = months.len().saturating_sub(MAX_MONTHS);
    months.split_off(skip)
}

/// A payload value as the text of a group or a distinct value; `None` when missing or null.
fn text_of(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::Null => None,
        Json::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn integer(payload: &Json, field: &str) -> Option<i64> {
    payload.get(field).and_then(Json::as_i64)
}

/// The series of `indicator` from `events` (each its publication time and payload), with
/// months up to `now_ms`. Pure: the same events give the same figures on every node.
pub fn compute(indicator: &Indicator, events: &[(i64, Json)], now_ms: i64) -> Series {
    let last = month_of(now_ms);
    let first = events
        .iter()
        .map(|(at, _)| month_of(*at))
        .min()
        .unwrap_or_else(|| last.clone())
        .min(last.clone());
    let months = months_between(&first, &last);
    let mut groups = BTreeSet::new();
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    let mut distinct: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (at, payload) in events {
        let month = month_of(*at);
        if !months.contains(&month) {
            continue;
        }
        let group = match &indicator.group_by {
            Some(field) => text_of(payload.get(field)).unwrap_or_default(),
            None => String::new(),
        };
        groups.insert(group.clone());
        let key = (month, group);
        let cell = cells.entry(key.clone()).or_default();
        match &indicator.aggregate {
            Aggregate::Count => {
                cell.value += 1;
                cell.subjects += 1;
            }
            Aggregate::CountDistinct { field } => {
                let seen = distinct.entry(key).or_default();
                match payload.get(field) {
                    Some(Json::Array(items)) => {
                        seen.extend(items.iter().filter_map(|item| text_of(Some(item))));
                    }
                    other => seen.extend(text_of(other)),
                }
                cell.value = i64::try_from(seen.len()).unwrap_or(i64::MAX);
                cell.subjects = cell.value;
            }
            Aggregate::Sum { field } => {
                if let Some(amount) = integer(payload, field) {
                    cell.value = cell.value.saturating_add(amount);
                    cell.subjects += 1;
                }
            }
            Aggregate::Improved { before, after } => {
                if let (Some(b), Some(a)) = (integer(payload, before), integer(payload, after)) {
                    cell.subjects += 1;
                    if a > b {
                        cell.value += 1;
                    }
                }
            }
            Aggregate::AtLeast { field, min } => {
                if let Some(value) = integer(payload, field) {
                    cell.subjects += 1;
                    if value >= *min {
                        cell.value += 1;
                    }
                }
            }
        }
    }
    if groups.is_empty() || indicator.group_by.is_none() {
        groups.insert(String::new());
    }
    Series {
        months,
        groups: groups.into_iter().collect(),
        cells,
    }
}

/// The publication time and payload of every event named `event` in `instance`, oldest first.
pub async fn events_named(db: &Db, instance: &str, event: &str) -> Result<Vec<(i64, Json)>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            "SELECT published_at, payload FROM events WHERE instance = ? AND name = ? \
             ORDER BY published_at, id",
            vec![instance.into(), event.into()],
        ))
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let at: i64 = row.try_get("", "published_at")?;
        let payload: String = row.try_get("", "payload")?;
        // A payload matched its schema when it was published; one that no longer parses
        // counts for nothing rather than failing every indicator.
        if let Ok(payload) = serde_json::from_str(&payload) {
            events.push((at, payload));
        }
    }
    Ok(events)
}

/// The series of `indicator` in `instance`, from its stored events.
pub async fn series(db: &Db, instance: &str, indicator: &Indicator) -> Result<Series, DbErr> {
    let events = events_named(db, instance, &indicator.event).await?;
    Ok(compute(indicator, &events, crate::clock::now_ms()))
}

#[cfg(test)]
mod tests;
