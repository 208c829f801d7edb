//! The monthly report (operators): page, JSON and CSV exports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::clock::Date;
use trama_sdk::http::{Request, Response};
use trama_sdk::i18n::Lang;
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, clock, t};

use super::{OPERATORS, lang};
use crate::allowance;
use crate::config::Settings;
use crate::family::{CHILDREN, FAMILIES};
use crate::lesson::{BOOKINGS, Booking, LESSONS, Lesson};
use crate::report::{self, Names, Report, Row};
use crate::space;
use crate::tutor;
use trama_sdk::csv::Sheet;
use trama_sdk::local;

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

/// The month asked for (`YYYY-MM`), this month in Rome by default.
fn month(request: &Request) -> Result<String> {
    let query: MonthQuery = request.parse_query()?;
    match query
        .month
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => {
            let today = local::today(clock::now_ms());
            Ok(format!("{:04}-{:02}", today.year, today.month))
        }
        Some(text) => {
            let valid = text.len() == 7 && Date::parse(&format!("{text}-01")).is_ok();
            if valid {
                Ok(text.to_owned())
            } else {
                Err(Error::bad_request(t!(
                    "tutoring.reports.not_a_month",
                    text = text
                )))
            }
        }
    }
}

/// Every document of `collection` whose `month` is `month`.
fn of_month<T: serde::Serialize + serde::de::DeserializeOwned>(
    collection: &Collection<T>,
    month: &str,
) -> Result<Vec<Doc<T>>> {
    collection
        .query()
        .filter("month", Cmp::Eq, month)
        .order_by("start_at")
        .fetch_all()
}

struct Month {
    report: Report,
    lessons: Vec<Doc<Lesson>>,
    bookings: Vec<Doc<Booking>>,
    names: Names,
}

fn load(month: &str) -> Result<Month> {
    let settings = Settings::load()?;
    let lessons = of_month(&LESSONS, month)?;
    let bookings = of_month(&BOOKINGS, month)?;
    let mut names = Names {
        tutors: tutor::all()?
            .into_iter()
            .map(|t| (t.id, t.data.name))
            .collect(),
        spaces: space::all()?
            .into_iter()
            .map(|s| (s.id, s.data.name))
            .collect(),
        families: BTreeMap::new(),
    };
    for b in &bookings {
        if !names.families.contains_key(&b.data.family) {
            let name = FAMILIES
                .get(&b.data.family)?
                .map(|f| f.data.name)
                .unwrap_or_default();
            names.families.insert(b.data.family.clone(), name);
        }
    }
    let report = report::build(
        month,
        &lessons,
        &bookings,
        &names,
        &settings,
        clock::now_ms(),
    );
    Ok(Month {
        report,
        lessons,
        bookings,
        names,
    })
}

/// A line of the report for the page: hours and euros written for people.
#[derive(Serialize)]
struct RowView<'a> {
    id: &'a str,
    name: &'a str,
    lessons: u32,
    hours: String,
    present: u32,
    absent: u32,
    late_cancelled: u32,
    charged_hours: String,
    cost: Option<String>,
}

impl<'a> RowView<'a> {
    fn new(row: &'a Row, lang: Lang) -> Self {
        Self {
            id: &row.id,
            name: &row.name,
            lessons: row.lessons,
            hours: allowance::hours_text(row.minutes, lang),
            present: row.present,
            absent: row.absent,
            late_cancelled: row.late_cancelled,
            charged_hours: allowance::hours_text(row.charged_minutes, lang),
            cost: row.cost_cents.map(|c| report::euros(c, lang)),
        }
    }
}

/// `GET /reports?month=YYYY-MM` (operators)
pub fn page(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let month = month(&request)?;
    let data = load(&month)?;
    let year: i32 = month.get(..4).and_then(|y| y.parse().ok()).unwrap_or(1970);
    let number: u8 = month.get(5..).and_then(|m| m.parse().ok()).unwrap_or(1);
    let shift = |delta: i32| {
        let index = year * 12 + i32::from(number) - 1 + delta;
        format!(
            "{:04}-{:02}",
            index.div_euclid(12),
            index.rem_euclid(12) + 1
        )
    };
    fn rows(rows: &[Row], lang: Lang) -> Vec<RowView<'_>> {
        rows.iter().map(|r| RowView::new(r, lang)).collect()
    }
    Response::render(
        "reports.html",
        &json!({
            "parts": {
                "tutors": rows(&data.report.tutors, lang),
                "spaces": rows(&data.report.spaces, lang),
                "families": rows(&data.report.families, lang),
            },
            "totals": RowView::new(&data.report.totals, lang),
            "report": data.report,
            "month_label": format!("{} {year}", local::month_name(number, lang)),
            "previous": shift(-1),
            "next": shift(1),
            "rate": report::euros(data.report.hourly_rate_cents, lang),
            "total_cost": data.report.totals.cost_cents.map(|c| report::euros(c, lang)),
        }),
    )
}

/// `GET /api/reports?month=YYYY-MM` (operators): the report with every row.
pub fn api(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let month = month(&request)?;
    Response::json(&load(&month)?.report)
}

/// `GET /reports/{families,tutors,spaces,lessons}.csv?month=YYYY-MM` (operators)
pub fn csv(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let file = params.get("file")?;
    let month = month(&request)?;
    let data = load(&month)?;
    let r = &data.report;
    let body = match file {
        "families.csv" => report::rows_csv("tutoring.csv.row_family", &r.families, None, lang),
        "tutors.csv" => {
            report::rows_csv("tutoring.csv.row_tutor", &r.tutors, Some(&r.totals), lang)
        }
        "spaces.csv" => {
            report::rows_csv("tutoring.csv.row_space", &r.spaces, Some(&r.totals), lang)
        }
        "lessons.csv" => lessons_csv(&data, lang)?,
        other => {
            return Err(Error::not_found(t!(
                "tutoring.reports.no_export",
                name = other
            )));
        }
    };
    Ok(Response::download(
        format!("tutoring-{month}-{file}"),
        "text/csv; charset=utf-8",
        body,
    ))
}

/// One row per child per lesson of the month: what an auditor checks the totals against.
fn lessons_csv(data: &Month, lang: Lang) -> Result<String> {
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "tutoring.csv.date",
        "tutoring.csv.start",
        "tutoring.csv.end",
        "tutoring.csv.lesson_id",
        "tutoring.csv.lesson_status",
        "tutoring.csv.subject",
        "tutoring.csv.level",
        "tutoring.csv.tutor",
        "tutoring.csv.space",
        "tutoring.csv.family",
        "tutoring.csv.child",
        "tutoring.csv.booking_status",
        "tutoring.csv.charged_hours",
    ]);
    let lessons: BTreeMap<&str, &Lesson> = data
        .lessons
        .iter()
        .map(|l| (l.id.as_str(), &l.data))
        .collect();
    let name = |map: &BTreeMap<String, String>, id: &str| map.get(id).cloned().unwrap_or_default();
    for doc in &data.bookings {
        let b = &doc.data;
        let child = CHILDREN
            .get(&b.child)?
            .map(|c| c.data.full_name())
            .unwrap_or_default();
        let status = lessons
            .get(b.lesson.as_str())
            .map(|l| format!("{:?}", l.status).to_lowercase())
            .unwrap_or_default();
        sheet.row(&[
            b.date.clone(),
            local::hhmm(b.start),
            local::hhmm(b.start + b.minutes),
            b.lesson.clone(),
            status,
            b.subject.clone(),
            b.level.clone(),
            name(&data.names.tutors, &b.tutor),
            name(&data.names.spaces, &b.space),
            name(&data.names.families, &b.family),
            child,
            b.status.key().to_owned(),
            crate::allowance::hours_text(b.charged_minutes(), lang),
        ]);
    }
    Ok(sheet.finish())
}
