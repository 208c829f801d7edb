//! A campaign's CSV exports for operators: its applications and its beneficiaries, in parts
//! a request can write within the kernel's deadline.

use serde::Deserialize;
use trama_sdk::csv::Sheet;
use trama_sdk::http::{Request, Response};
use trama_sdk::local;
use trama_sdk::router::Params;
use trama_sdk::store::Cmp;
use trama_sdk::{Error, Result};

use super::{OPERATORS, lang};
use crate::application::{APPLICATIONS, Status};
use crate::campaign;
use crate::config::Settings;

/// Rows read per store query by the exports.
const EXPORT_PAGE: u32 = 1000;
/// Rows per file of an export. A query over a large campaign takes a fraction of a second and
/// a request must answer within the kernel's deadline, so a large campaign is exported in parts
/// (`?part=2`, …), which the campaign page links. The beneficiaries' part N is the plan chunk
/// N-1 of the closing, hence the same size.
pub const EXPORT_ROWS: u32 = crate::close::CHUNK as u32;
/// Rows per part of the applications' export: paging through the store costs more the further
/// a part is (about 2 s for the last part of 100,000 applications at this size).
pub const APPLICATION_EXPORT_ROWS: u32 = 2500;

#[derive(Deserialize)]
struct ExportQuery {
    /// From 1.
    part: Option<u32>,
}

/// The first row of the part asked for (of `rows` rows each), and the file name's suffix.
fn export_part(request: &Request, rows: u32) -> Result<(u32, String)> {
    let query: ExportQuery = request.parse_query()?;
    match query.part {
        None | Some(1) => Ok((0, String::new())),
        Some(0) => Err(Error::not_found("parts are numbered from 1")),
        Some(n) => Ok(((n - 1).saturating_mul(rows), format!("-part{n}"))),
    }
}

/// `GET /campaigns/{id}/applications.csv[?part=N]` (operators): applications in id order (by
/// tax code), 2500 per part.
pub fn export_applications(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let (first, suffix) = export_part(&request, APPLICATION_EXPORT_ROWS)?;
    let id = params.get("id")?;
    let doc = campaign::load(id)?;
    let mut sheet = Sheet::new(lang);
    let header = [
        "vouchers.csv.id",
        "vouchers.csv.tax_code",
        "vouchers.csv.full_name",
        "vouchers.csv.status",
        "vouchers.csv.reasons",
        "vouchers.csv.amount_eur",
        "vouchers.csv.rank",
        "vouchers.csv.submitted_at",
        "vouchers.csv.filed_by",
        "vouchers.csv.on_behalf",
    ];
    // The campaign's own questions follow, named by their field keys.
    let fields: Vec<&str> = doc.data.fields.iter().map(|f| f.key()).collect();
    sheet.header_with(&header, &fields);
    let end = first.saturating_add(APPLICATION_EXPORT_ROWS);
    let mut offset = first;
    while offset < end {
        let take = EXPORT_PAGE.min(end - offset);
        let page = APPLICATIONS
            .query()
            .filter("campaign", Cmp::Eq, id)
            .limit(take)
            .offset(offset)
            .fetch()?;
        for app in &page {
            let a = &app.data;
            let reasons: Vec<String> = a.reasons.iter().map(|r| r.describe(lang)).collect();
            let mut row = vec![
                app.id.clone(),
                a.tax_code.clone(),
                a.full_name.clone(),
                a.status.key().to_owned(),
                reasons.join("; "),
                sheet.cents(a.amount_cents),
                a.rank.map(|r| r.to_string()).unwrap_or_default(),
                local::numeric(a.submitted_at),
                a.filed_by.clone(),
                sheet.yes_no(a.on_behalf),
            ];
            for field in &doc.data.fields {
                row.push(match (field.kind(), a.answers.number(*field)) {
                    (_, None) => String::new(),
                    (crate::rules::Kind::Euros, Some(cents)) => sheet.cents(cents),
                    (crate::rules::Kind::YesNo, Some(n)) => sheet.yes_no(n != 0),
                    (crate::rules::Kind::Count, Some(n)) => n.to_string(),
                });
            }
            sheet.row(&row);
        }
        if page.len() < take as usize {
            break;
        }
        offset += take;
    }
    Ok(sheet.download(format!("applications-{id}{suffix}.csv")))
}

/// `GET /campaigns/{id}/beneficiaries.csv[?part=N]` (operators): beneficiaries in ranking
/// order, 5000 per part, each with its vouchers (`code:amount` separated by `|`).
pub fn export_beneficiaries(request: Request, params: Params) -> Result<Response> {
    let lang = lang(&request);
    OPERATORS.require(lang)?;
    let (first, suffix) = export_part(&request, EXPORT_ROWS)?;
    let id = params.get("id")?;
    campaign::load(id)?;
    let settings = Settings::load()?;
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "vouchers.csv.rank",
        "vouchers.csv.tax_code",
        "vouchers.csv.full_name",
        "vouchers.csv.amount_eur",
        "vouchers.csv.vouchers",
        "vouchers.csv.voucher_codes",
    ]);
    // The closing's plan holds the ranking, funded applications first, in chunks as large as
    // a part: part N is the funded entries of chunk N-1, each read by id (no scan) — and the
    // ones not funded then, which budget added or returned may have funded since.
    let chunk = first / EXPORT_ROWS;
    let plan = crate::close::PLANS.get(&crate::close::plan_id(id, chunk))?;
    let funded = plan.iter().flat_map(|p| p.data.entries.iter()).filter(|e| {
        matches!(
            e.outcome,
            crate::close::Outcome::Funded | crate::close::Outcome::NotFunded
        )
    });
    for entry in funded {
        let Some(app) = APPLICATIONS.get(&entry.application_id(id))? else {
            continue;
        };
        let a = &app.data;
        if a.status != Status::Beneficiary {
            // Still being issued.
            continue;
        }
        let codes: Vec<String> = a
            .vouchers
            .iter()
            .map(|v| {
                format!(
                    "{}:{}",
                    trama_sdk::code::display(&v.code, &settings.voucher_code_prefix),
                    sheet.cents(v.amount_cents)
                )
            })
            .collect();
        // A campaign paying by transfer lists its orders (id and amount) where vouchers go.
        let codes: Vec<String> = codes
            .into_iter()
            .chain(
                a.transfers
                    .iter()
                    .map(|o| format!("{}:{}", o.id, sheet.cents(o.amount_cents))),
            )
            .collect();
        let total: i64 = a.vouchers.iter().map(|v| v.amount_cents).sum::<i64>()
            + a.transfers.iter().map(|o| o.amount_cents).sum::<i64>();
        let total = sheet.cents(total);
        sheet.row(&[
            entry.rank.to_string(),
            a.tax_code.clone(),
            a.full_name.clone(),
            total,
            (a.vouchers.len() + a.transfers.len()).to_string(),
            codes.join("|"),
        ]);
    }
    Ok(sheet.download(format!("beneficiaries-{id}{suffix}.csv")))
}
