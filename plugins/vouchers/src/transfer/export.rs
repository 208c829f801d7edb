//! Export batches: the orders of a campaign not yet sent to the treasury, gathered into one
//! SEPA file ([`super::pain001`]) the operator downloads and hands to the treasury, and later
//! marks paid.
//!
//! Making a batch takes a lock on the campaign, so two operators exporting at once never put
//! one order in two files; a request repeated with the same `request_id` gets the batch it
//! made. The file is written from the stored orders each time it is downloaded, with the
//! batch's own id (`MsgId`) and creation time, so downloading a batch again gives the same
//! file. Marking a batch paid moves its total `campaign/{id}/transfers` → `treasury` under
//! the key `treasury/{batch id}` and marks its orders paid, in one call (one transaction).
//! Both are audited (`transfers.exported`, `transfers.paid`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trama_sdk::ledger::{self, AccountKind, TransferRequest};
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, local, store, t};

use super::pain001::{self, Credit, Debtor, Message, PaymentGroup};
use super::{OrderStatus, TRANSFERS, TREASURY, TransferOrder, account};
use crate::campaign::CAMPAIGNS;
use crate::config::Settings;
use crate::payment::Method;

pub const BATCHES: Collection<ExportBatch> = Collection::new("transfer_batches");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Downloaded for the treasury; not yet confirmed paid.
    #[default]
    Exported,
    /// The operator confirmed the treasury paid it.
    Paid,
}

/// A batch as stored, under its id (the file's `MsgId`). `campaign` and `request_id` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportBatch {
    pub campaign: String,
    pub request_id: String,
    pub count: u32,
    pub total_cents: i64,
    pub created_at: i64,
    pub created_by: String,
    #[serde(default)]
    pub status: BatchStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_by: Option<String>,
}

/// The municipality as the paying party, from the settings: refused, with what to set, while
/// `treasury_iban` is unset or wrong.
pub fn debtor() -> Result<Debtor> {
    let settings = Settings::load()?;
    let given = settings.treasury_iban.trim();
    if given.is_empty() {
        return Err(Error::invalid(t!("vouchers.transfer.treasury_unset")));
    }
    let iban = crate::rulebook::answer::iban(given)
        .ok_or_else(|| Error::invalid(t!("vouchers.transfer.treasury_invalid", iban = given)))?;
    let bic = settings.treasury_bic.trim().to_ascii_uppercase();
    let bic = if bic.is_empty() {
        None
    } else if matches!(bic.len(), 8 | 11) && bic.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Some(bic)
    } else {
        return Err(Error::invalid(t!(
            "vouchers.transfer.bic_invalid",
            bic = bic
        )));
    };
    Ok(Debtor {
        name: settings.municipality_name,
        iban,
        bic,
    })
}

/// The batch `id` of campaign `campaign`, or a 404 that names it.
pub fn load(campaign: &str, id: &str) -> Result<Doc<ExportBatch>> {
    BATCHES
        .get(id)?
        .filter(|b| b.data.campaign == campaign)
        .ok_or_else(|| Error::not_found(t!("vouchers.transfer.no_such_batch", id = id)))
}

/// The orders of batch `id`, by day and id (the file's order).
pub fn orders_of(id: &str) -> Result<Vec<Doc<TransferOrder>>> {
    let mut orders = TRANSFERS.query().filter("batch", Cmp::Eq, id).fetch_all()?;
    orders.sort_by(|a, b| (&a.data.due_on, &a.id).cmp(&(&b.data.due_on, &b.id)));
    Ok(orders)
}

/// Puts every order of `campaign` not yet exported into a new batch (see the module docs).
/// `422` while the treasury's IBAN is not set or the campaign does not pay by transfer, `409`
/// when there is nothing to export.
pub fn create(campaign: &str, request_id: &str, actor: &str, now: i64) -> Result<Doc<ExportBatch>> {
    debtor()?;
    let doc = CAMPAIGNS
        .lock(campaign)?
        .ok_or_else(|| Error::not_found(t!("vouchers.campaign.not_found", id = campaign)))?;
    if doc.data.payment.method != Method::Transfer {
        return Err(Error::invalid(t!(
            "vouchers.transfer.not_transfer_campaign"
        )));
    }
    if let Some(made) = BATCHES
        .query()
        .filter("campaign", Cmp::Eq, campaign)
        .filter("request_id", Cmp::Eq, request_id)
        .fetch()?
        .into_iter()
        .next()
    {
        return Ok(made);
    }
    let orders = TRANSFERS
        .query()
        .filter("campaign", Cmp::Eq, campaign)
        .filter("status", Cmp::Eq, OrderStatus::Ordered.key())
        .fetch_all()?;
    if orders.is_empty() {
        return Err(Error::conflict(t!("vouchers.transfer.nothing_to_export")));
    }
    let id = store::new_id();
    let data = ExportBatch {
        campaign: campaign.to_owned(),
        request_id: request_id.to_owned(),
        count: u32::try_from(orders.len()).unwrap_or(u32::MAX),
        total_cents: orders.iter().map(|o| o.data.amount_cents).sum(),
        created_at: now,
        created_by: actor.to_owned(),
        status: BatchStatus::Exported,
        paid_at: None,
        paid_by: None,
    };
    let mut batch = Batch::new();
    batch.create(&BATCHES, &id, &data);
    for order in &orders {
        let mut next = order.data.clone();
        next.status = OrderStatus::Exported;
        next.batch = Some(id.clone());
        batch.put_if_version(&TRANSFERS, &order.id, &next, order.version);
    }
    let versions = batch.commit()?;
    audit::record(
        "transfers.exported",
        &id,
        &serde_json::json!({
            "campaign": campaign,
            "count": data.count,
            "total_cents": data.total_cents,
        }),
    )?;
    Ok(Doc {
        id,
        version: versions.first().copied().unwrap_or(1),
        data,
    })
}

/// `2026-01-23T10:00:00+01:00`: the instant `ms` in Rome's time, with its offset.
fn iso_local(ms: i64) -> String {
    let t = local::local(ms);
    let offset = local::offset_minutes(ms);
    format!(
        "{}T{:02}:{:02}:{:02}+{:02}:{:02}",
        t.date,
        t.hour,
        t.minute,
        t.second,
        offset / 60,
        offset % 60
    )
}

/// The SEPA file of batch `id` of `campaign`: its name and bytes.
pub fn file(campaign: &str, id: &str) -> Result<(String, Vec<u8>)> {
    let batch = load(campaign, id)?;
    let debtor = debtor()?;
    // Nothing is asked to be paid before the day the batch was made.
    let first_day = local::today(batch.data.created_at).to_string();
    let mut days: BTreeMap<String, Vec<Credit>> = BTreeMap::new();
    for order in orders_of(id)? {
        let o = order.data;
        let day = if o.due_on < first_day {
            first_day.clone()
        } else {
            o.due_on
        };
        days.entry(day).or_default().push(Credit {
            end_to_end_id: order.id,
            amount_cents: o.amount_cents,
            name: o.payee_name,
            iban: o.iban,
            remittance: o.remittance,
        });
    }
    let message = Message {
        id: id.to_owned(),
        created: iso_local(batch.data.created_at),
        debtor,
        groups: days
            .into_iter()
            .map(|(execution_date, credits)| PaymentGroup {
                execution_date,
                credits,
            })
            .collect(),
    };
    let bytes = pain001::write(&message)
        .map_err(|err| Error::internal(format!("writing the SEPA file of batch {id}: {err}")))?;
    Ok((format!("pain001-{id}.xml"), bytes))
}

/// Marks batch `id` of `campaign` paid by the treasury (see the module docs); a batch already
/// paid is returned as it is.
pub fn mark_paid(campaign: &str, id: &str, actor: &str, now: i64) -> Result<Doc<ExportBatch>> {
    load(campaign, id)?;
    let mut batch = BATCHES
        .lock(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.transfer.no_such_batch", id = id)))?;
    if batch.data.status == BatchStatus::Paid {
        return Ok(batch);
    }
    ledger::open(TREASURY, AccountKind::External)?;
    ledger::transfer(
        &TransferRequest::new(
            account(campaign),
            TREASURY,
            batch.data.total_cents,
            format!("treasury/{id}"),
        )
        .memo(format!(
            "treasury paid batch {id} ({} orders)",
            batch.data.count
        )),
    )?;
    let mut writes = Batch::new();
    for order in orders_of(id)? {
        let mut next = order.data.clone();
        next.status = OrderStatus::Paid;
        writes.put_if_version(&TRANSFERS, &order.id, &next, order.version);
    }
    batch.data.status = BatchStatus::Paid;
    batch.data.paid_at = Some(now);
    batch.data.paid_by = Some(actor.to_owned());
    writes.put_if_version(&BATCHES, id, &batch.data, batch.version);
    let versions = writes.commit()?;
    batch.version = versions.last().copied().unwrap_or(batch.version + 1);
    audit::record(
        "transfers.paid",
        id,
        &serde_json::json!({
            "campaign": campaign,
            "count": batch.data.count,
            "total_cents": batch.data.total_cents,
            "by": actor,
        }),
    )?;
    Ok(batch)
}
