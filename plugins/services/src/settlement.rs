//! Provider settlement: a monthly statement per provider of the bookings done that month, with
//! what people paid directly and what each credit source (the plugin whose purses paid through
//! the welfare wallet, see [`crate::payment`]) owes the provider, a column per source. An
//! operator marks a month's statement paid (the sources' share settled), with the transfer's
//! reference, once; audited, and the sources' share leaves `owed/{provider}` in the books.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trama_sdk::csv::Sheet;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::money::format_cents;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, local, t};

use crate::booking::{BOOKINGS, Booking};
use crate::service;

/// Statements marked paid, id `{provider}.{YYYY-MM}`.
pub const STATEMENTS: Collection<Paid> = Collection::new("statements");

/// An operator's record that a month's statement was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paid {
    pub provider: String,
    pub month: String,
    pub reference: String,
    pub paid_by: String,
    pub paid_at: i64,
    /// The total owed by credit sources when it was marked.
    pub sources_cents: i64,
}

/// `YYYY-MM`, checked.
pub fn parse_month(text: &str) -> Result<String> {
    let text = text.trim();
    let ok = text.len() == 7
        && text.as_bytes()[4] == b'-'
        && text[..4].parse::<u16>().is_ok()
        && text[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(Error::invalid(t!("services.problems.month")))
    }
}

/// The bookings provider `provider` did in `month`, oldest first.
pub fn done_in(provider: &str, month: &str) -> Result<Vec<Doc<Booking>>> {
    let mut done: Vec<_> = BOOKINGS
        .query()
        .filter("done_month", Cmp::Eq, month)
        .fetch_all()?
        .into_iter()
        .filter(|b| b.data.provider == provider)
        .collect();
    done.sort_by_key(|b| (b.data.start_at, b.id.clone()));
    Ok(done)
}

/// A credit source as an operator reads it: the two the default `wallet_owners` name, by
/// what they are; any other by its plugin's name.
pub fn source_label(source: &str) -> String {
    match source {
        "vouchers" => t!("services.source.vouchers"),
        "corporate-plans" => t!("services.source.corporate_plans"),
        other => other.to_owned(),
    }
}

/// The credit sources named in `bookings`, in a stable order (none today).
fn sources(bookings: &[Doc<Booking>]) -> Vec<String> {
    let mut names: Vec<String> = bookings
        .iter()
        .flat_map(|b| b.data.charge.sources.iter().map(|(s, _)| s.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The statement of `provider` for `month`, as its page and the API show it.
pub fn statement(provider: &str, month: &str, lang: Lang) -> Result<Value> {
    let bookings = done_in(provider, month)?;
    let names = sources(&bookings);
    let mut direct = 0;
    let mut owed: BTreeMap<String, i64> = BTreeMap::new();
    let mut rows = Vec::new();
    for b in &bookings {
        let title = service::load(&b.data.service)?.data.offer.title;
        direct += b.data.charge.paid_directly_cents;
        for (source, cents) in &b.data.charge.sources {
            *owed.entry(source.clone()).or_default() += cents;
        }
        rows.push(json!({
            "booking": b.id,
            "service": title,
            "when": b.data.start_at.map(local::numeric),
            "paid_directly_cents": b.data.charge.paid_directly_cents,
            "paid_directly": format_cents(b.data.charge.paid_directly_cents, lang),
            "credit": format_cents(b.data.charge.from_credit(), lang),
        }));
    }
    let sources_cents: i64 = owed.values().sum();
    let paid = STATEMENTS.get(&format!("{provider}.{month}"))?;
    Ok(json!({
        "provider": provider,
        "month": month,
        "rows": rows,
        "sources": names,
        "paid_directly_cents": direct,
        "paid_directly": format_cents(direct, lang),
        "owed": owed.iter().map(|(source, cents)| json!({
            "source": source_label(source),
            "amount": format_cents(*cents, lang),
        })).collect::<Vec<_>>(),
        "owed_cents": owed,
        "sources_cents": sources_cents,
        "sources_total": format_cents(sources_cents, lang),
        "paid": paid.map(|p| json!({
            "reference": p.data.reference,
            "at": local::numeric(p.data.paid_at),
        })),
    }))
}

/// The statement as a spreadsheet: a row per booking, a column for what was paid directly and
/// one per credit source.
pub fn sheet(provider: &str, month: &str, lang: Lang) -> Result<Sheet> {
    let bookings = done_in(provider, month)?;
    let names = sources(&bookings);
    let mut sheet = Sheet::new(lang);
    let raw: Vec<&str> = names.iter().map(String::as_str).collect();
    sheet.header_with(
        &[
            "services.statement.booking",
            "services.statement.service",
            "services.booking.when",
            "services.statement.paid_directly",
        ],
        &raw,
    );
    for b in &bookings {
        let title = service::load(&b.data.service)?.data.offer.title;
        let mut row = vec![
            b.id.clone(),
            title,
            b.data.start_at.map(local::numeric).unwrap_or_default(),
            sheet.cents(b.data.charge.paid_directly_cents),
        ];
        for name in &names {
            let cents = b
                .data
                .charge
                .sources
                .iter()
                .filter(|(s, _)| s == name)
                .map(|(_, c)| c)
                .sum();
            row.push(sheet.cents(cents));
        }
        sheet.row(&row);
    }
    Ok(sheet)
}

/// An operator marks the statement of `provider` for `month` paid, once; audited.
pub fn mark_paid(
    provider: &str,
    month: &str,
    reference: &str,
    by: &User,
    now: i64,
) -> Result<Doc<Paid>> {
    let reference = reference.trim();
    if reference.is_empty() || reference.chars().count() > 140 {
        return Err(Error::invalid(t!("services.problems.reference")));
    }
    let statement = statement(provider, month, Lang::It)?;
    let id = format!("{provider}.{month}");
    if STATEMENTS.get(&id)?.is_some() {
        return Err(Error::conflict(t!("services.statement.already_paid")));
    }
    let sources_cents = statement["sources_cents"].as_i64().unwrap_or(0);
    if sources_cents > 0 {
        // What the credit sources owe leaves the provider's account as it is paid out.
        use trama_sdk::ledger::{self, AccountKind, TransferRequest};
        ledger::open(crate::payment::PAID_OUT, AccountKind::External)?;
        ledger::transfer(
            &TransferRequest::new(
                crate::payment::owed_account(provider),
                crate::payment::PAID_OUT,
                sources_cents,
                format!("statement/{id}"),
            )
            .memo(format!("statement {id}: {reference}")),
        )?;
    }
    let doc = STATEMENTS.create(
        &id,
        Paid {
            provider: provider.to_owned(),
            month: month.to_owned(),
            reference: reference.to_owned(),
            paid_by: by.id.clone(),
            paid_at: now,
            sources_cents,
        },
    )?;
    audit::record(
        "statement.paid",
        &id,
        &json!({ "reference": reference, "sources_cents": doc.data.sources_cents }),
    )?;
    Ok(doc)
}
