//! CSV exports: the register (public, one row per approved service), the minutes of each
//! decision and the list of decisions (committee). Each is a [`Sheet`] in the reader's
//! language, so that it opens in columns in an Italian spreadsheet (byte-order mark, `;`);
//! values keep their fixed keys (`active`, `approved`) for filtering.

use serde::Serialize;
use serde::de::DeserializeOwned;
use trama_sdk::csv::Sheet;
use trama_sdk::http::{Request, Response};
use trama_sdk::router::Params;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Result, clock, t};

use super::lang;
use crate::application::{self, APPLICATIONS};
use crate::minutes::{self, Case};
use crate::motion::{self, MOTIONS};
use crate::provider::{self, PROVIDERS};
use crate::roster;
use crate::time::iso;

/// The register's columns: the entry, then one of its services.
const REGISTER: [&str; 20] = [
    "admissions.csv.provider_id",
    "admissions.csv.legal_name",
    "admissions.csv.legal_form",
    "admissions.csv.tax_code",
    "admissions.csv.vat_number",
    "admissions.csv.address",
    "admissions.csv.email",
    "admissions.csv.pec",
    "admissions.csv.phone",
    "admissions.csv.website",
    "admissions.csv.categories",
    "admissions.csv.status",
    "admissions.csv.admitted_on",
    "admissions.csv.renewed_on",
    "admissions.csv.expires_on",
    "admissions.csv.ethics_code_version",
    "admissions.csv.service_id",
    "admissions.csv.service",
    "admissions.csv.service_category",
    "admissions.csv.service_description",
];

/// The columns of the list of decisions.
const DECISIONS: [&str; 15] = [
    "admissions.csv.decided_at_utc",
    "admissions.csv.case",
    "admissions.csv.case_id",
    "admissions.csv.subject",
    "admissions.csv.kind",
    "admissions.csv.outcome",
    "admissions.csv.entitled",
    "admissions.csv.excluded",
    "admissions.csv.quorum",
    "admissions.csv.in_favour",
    "admissions.csv.against",
    "admissions.csv.abstained",
    "admissions.csv.majority",
    "admissions.csv.closed_by",
    "admissions.csv.round",
];

/// `GET /register.csv` (public): every entry of the register, whatever its status, one row per
/// approved service (an entry without services gets one row).
pub fn register(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    let mut sheet = Sheet::new(lang);
    sheet.header(&REGISTER);
    for doc in &PROVIDERS.query().order_by("org.legal_name").fetch_all()? {
        let view = provider::ProviderView::new(doc);
        let head = [
            view.id.clone(),
            view.legal_name.clone(),
            view.legal_form.clone(),
            view.tax_code.clone(),
            view.vat_number.clone().unwrap_or_default(),
            view.address.clone(),
            view.email.clone(),
            view.pec.clone().unwrap_or_default(),
            view.phone.clone().unwrap_or_default(),
            view.website.clone().unwrap_or_default(),
            view.categories.join("; "),
            view.status.key().to_owned(),
            view.admitted_on.clone(),
            view.renewed_on.clone().unwrap_or_default(),
            view.expires_on.clone(),
            view.ethics_version.clone(),
        ];
        let services: Vec<[String; 4]> = if view.services.is_empty() {
            vec![Default::default()]
        } else {
            view.services
                .iter()
                .map(|s| {
                    [
                        s.id.clone(),
                        s.title.clone(),
                        s.category.clone(),
                        s.description.clone(),
                    ]
                })
                .collect()
        };
        for service in services {
            let fields: Vec<&str> = head
                .iter()
                .chain(service.iter())
                .map(String::as_str)
                .collect();
            sheet.row(&fields);
        }
    }
    Ok(sheet.download("register.csv"))
}

/// A member with a conflict of interest does not follow an open case (see the application
/// page); once it is decided its minutes are a record like any other.
fn refuse_conflicted_while_open(
    electorate: &roster::Electorate,
    member: &str,
    open: bool,
) -> Result<()> {
    if open && electorate.conflict_of(member).is_some() {
        return Err(trama_sdk::Error::forbidden(t!(
            "admissions.minutes.conflicted_while_open"
        )));
    }
    Ok(())
}

/// `GET /applications/{id}/minutes.csv` (committee)
pub fn application_minutes(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, member) = roster::require_member(clock::now_ms())?;
    let id = params.get("id")?;
    let doc = application::load(id)?;
    let app = &doc.data;
    let electorate = if app.decision.is_none() {
        let electorate = roster::electorate(&app.subject(), &app.conflicts)?;
        refuse_conflicted_while_open(&electorate, &member.id, app.status.is_open())?;
        Some(electorate)
    } else {
        None
    };
    let mut exchanges = Vec::new();
    for r in &app.requests {
        exchanges.push((
            "question",
            r.asked_by.clone(),
            r.question.as_str(),
            r.asked_at,
        ));
        if let (Some(answer), Some(at)) = (&r.answer, r.answered_at) {
            exchanges.push(("answer", app.username.clone(), answer.as_str(), at));
        }
    }
    let identifiers = match &app.org.vat_number {
        Some(vat) => format!("CF {} · P.IVA {vat}", app.org.tax_code),
        None => format!("CF {}", app.org.tax_code),
    };
    let case = Case {
        id: &doc.id,
        title: app.kind.label(),
        opened_at: app.submitted_at,
        subject: &app.org.legal_name,
        identifiers,
        ballot: &app.ballot,
        declared: &app.conflicts,
        comments: app
            .comments
            .iter()
            .map(|c| (c.name.as_str(), c.text.as_str(), c.at))
            .collect(),
        exchanges,
        decision: app.decision.as_ref(),
        electorate: electorate.as_ref(),
        status: app.status.key(),
    };
    Ok(minutes::write(&case, lang).download(format!("minutes-application-{id}.csv")))
}

/// `GET /motions/{id}/minutes.csv` (committee)
pub fn motion_minutes(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    let (_, member) = roster::require_member(clock::now_ms())?;
    let id = params.get("id")?;
    let doc = motion::load(id)?;
    let m = &doc.data;
    let provider = provider::load(&m.provider_id)?;
    let electorate = if m.decision.is_none() {
        let subject = provider.data.subject();
        let electorate = roster::electorate(&subject, &m.conflicts)?;
        refuse_conflicted_while_open(&electorate, &member.id, true)?;
        Some(electorate)
    } else {
        None
    };
    let mut exchanges = vec![(
        "question",
        m.proposer_name.clone(),
        m.reason.as_str(),
        m.opened_at,
    )];
    if let Some(statement) = &m.statement {
        exchanges.push((
            "statement",
            provider.data.username.clone(),
            statement.text.as_str(),
            statement.at,
        ));
    }
    let case = Case {
        id: &doc.id,
        title: m.kind.label(),
        opened_at: m.opened_at,
        subject: &m.provider_name,
        identifiers: format!("CF {}", provider.data.org.tax_code),
        ballot: &m.ballot,
        declared: &m.conflicts,
        comments: Vec::new(),
        exchanges,
        decision: m.decision.as_ref(),
        electorate: electorate.as_ref(),
        status: m.status.key(),
    };
    Ok(minutes::write(&case, lang).download(format!("minutes-proceeding-{id}.csv")))
}

/// Every decided case in `cases`.
fn decided<T: Serialize + DeserializeOwned>(cases: &Collection<T>) -> Result<Vec<Doc<T>>> {
    cases.query().filter("decided_at", Cmp::Gt, 0).fetch_all()
}

/// One decision, for the list.
struct Row {
    at: i64,
    fields: Vec<String>,
}

/// `GET /decisions.csv` (committee): every decision on applications and proceedings, oldest
/// first.
pub fn decisions(request: Request, _: Params) -> Result<Response> {
    let lang = lang(&request);
    roster::require_member(clock::now_ms())?;
    let mut rows: Vec<Row> = Vec::new();
    for doc in decided(&APPLICATIONS)? {
        if let Some(d) = &doc.data.decision {
            rows.push(row(
                d,
                "application",
                &doc.id,
                &doc.data.org.legal_name,
                &doc.data.kind.label(),
            ));
        }
    }
    for doc in decided(&MOTIONS)? {
        if let Some(d) = &doc.data.decision {
            rows.push(row(
                d,
                "proceeding",
                &doc.id,
                &doc.data.provider_name,
                &doc.data.kind.label(),
            ));
        }
    }
    rows.sort_by_key(|r| r.at);
    let mut sheet = Sheet::new(lang);
    sheet.header(&DECISIONS);
    for r in rows {
        sheet.row(&r.fields);
    }
    Ok(sheet.download("decisions.csv"))
}

fn row(d: &crate::decision::Decision, case: &str, id: &str, subject: &str, kind: &str) -> Row {
    Row {
        at: d.at,
        fields: vec![
            iso(d.at),
            case.to_owned(),
            id.to_owned(),
            subject.to_owned(),
            kind.to_owned(),
            d.outcome.key().to_owned(),
            d.count.electorate.to_string(),
            d.electorate.excluded.len().to_string(),
            d.quorum.to_string(),
            d.count.approve.to_string(),
            d.count.reject.to_string(),
            d.count.abstain.to_string(),
            d.rule.majority.key().to_owned(),
            match d.closed_by {
                crate::decision::ClosedBy::Votes => "votes",
                crate::decision::ClosedBy::Window => "window",
            }
            .to_owned(),
            d.round.to_string(),
        ],
    }
}
