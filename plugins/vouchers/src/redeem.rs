//! Redeeming vouchers at a merchant.
//!
//! A redemption moves money with one ledger `transfer_all` of two entries, under idempotency
//! keys made from the merchant and the request id (a hidden field of the form, or `request_id`
//! in JSON):
//!
//! - `voucher/{code}` → `merchant/{id}/owed`: the money. The voucher's account is funded, so
//!   the ledger refuses, atomically, anything beyond what is left — two hundred cashiers racing
//!   for one voucher cannot spend a cent more than it holds.
//! - `memo/counterpart` → `memo/campaign/{id}/redeemed`: a memorandum entry ("conto
//!   d'ordine") between two external accounts. It moves no real money; it keeps, atomically with
//!   the redemption, the running total spent per campaign that the dashboard shows without
//!   adding up every voucher.
//!
//! ## Never half done
//!
//! A plugin call is one transaction (host API 1.3): the transfers, the `redemptions` document
//! `{merchant}-{request id}`, the event and the audit entry commit together or not at all. A
//! refused transfer (not enough left, a spent voucher) fails the call, so a refused attempt
//! leaves nothing. A retried request finds its document and gets the same answer; the same
//! request sent twice at once meets the transfer's idempotency key, which waits for the first
//! and then moves no money a second time.
//!
//! Earlier versions, whose host calls each committed on their own, wrote the document
//! `pending` before the money moved and completed it after, so a crash could leave one
//! `pending`. Such documents may still be in a database: a request that finds its own
//! continues it (replaying the transfer under its key moves no money twice), and the job
//! `recover-redemptions` ([`recover`]) settles the others once they are older than the
//! setting `recovery_grace_seconds` — `done` when the voucher's history holds the transfer,
//! `void` ("annullata": nothing was taken) when it does not.
//!
//! Only `done` redemptions count: totals come from the ledger, which holds exactly their
//! transfers, and pages show the others with their status ("in corso", "annullata").
//! Documents written by earlier versions have no status and read as `done`.

use serde::{Deserialize, Serialize};
use trama_contracts::vouchers::VoucherRedeemed;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::ledger::{self, AccountKind, LedgerError, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, events, log, t};

use crate::merchant::{self, MerchantStatus};
use crate::voucher::{self, MEMO_COUNTERPART};
use trama_sdk::code;

mod request;
#[cfg(test)]
mod tests;
mod view;

pub use request::{Request, read};
pub use view::RedemptionView;

pub const REDEMPTIONS: Collection<Redemption> = Collection::new("redemptions");
pub const JSON_FIELDS: &[&str] = &["code", "amount", "request_id"];

trama_sdk::choices! {
    /// Where a redemption stands (see the module docs). Stored lowercase; `status` is indexed.
    #[derive(Default)]
    pub enum RedemptionStatus {
        /// Written before the money moves; the transfer may or may not have happened yet.
        Pending = "pending" => "vouchers.redemption_status.pending",
        /// The money moved. The default, because documents written before there was a status were
        /// only ever written after their transfer.
        #[default]
        Done = "done" => "vouchers.redemption_status.done",
        /// Resolved after a failure: no money moved, and none will under this request id.
        Void = "void" => "vouchers.redemption_status.void",
    }
}

/// A redemption as stored. `merchant`, `campaign`, `code`, `at` and `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub code: String,
    pub merchant: String,
    pub campaign: String,
    pub application: String,
    /// Asked while `pending`, taken once `done`.
    pub amount_cents: i64,
    /// What was left on the voucher when the redemption was completed (read just after the
    /// transfer, so a redemption racing on the same voucher may already show in it); 0 until
    /// then.
    pub remaining_cents: i64,
    /// The ledger transfer; empty until `done`.
    pub transfer_id: String,
    pub request_id: String,
    pub at: i64,
    pub by: String,
    #[serde(default)]
    pub status: RedemptionStatus,
    /// The idempotency key of the transfer (empty in documents from before it was stored:
    /// [`Redemption::key`] derives it).
    #[serde(default)]
    pub transfer_key: String,
    /// When a request last worked on it: the recovery leaves it alone for the grace period
    /// after this.
    #[serde(default)]
    pub attempted_at: i64,
}

impl Redemption {
    /// The idempotency key of the transfer.
    pub fn key(&self) -> String {
        if self.transfer_key.is_empty() {
            transfer_key(&self.merchant, &self.request_id)
        } else {
            self.transfer_key.clone()
        }
    }

    /// Whether `request` is the one this document was written for (a retry), rather than a
    /// request id reused for another redemption.
    pub fn same_request(&self, request: &Request) -> bool {
        self.code == request.code && self.amount_cents == request.amount_cents
    }

    /// A pending redemption no request has worked on for `grace_ms`: the request that wrote
    /// it is over, so what the ledger holds for it is final.
    pub fn is_stale(&self, now: i64, grace_ms: i64) -> bool {
        self.status == RedemptionStatus::Pending
            && self.attempted_at.max(self.at).saturating_add(grace_ms) <= now
    }

    /// This redemption's transfer among `history` (a page of its voucher's transfers): the
    /// one under its key, from its voucher, of its amount.
    pub fn find_transfer<'a>(
        &self,
        history: &'a [ledger::Transfer],
    ) -> Option<&'a ledger::Transfer> {
        let key = self.key();
        let from = voucher::account(&self.code);
        history.iter().find(|transfer| {
            transfer.idempotency_key == key
                && transfer.from == from
                && transfer.amount_cents == self.amount_cents
        })
    }

    /// The redemption once its transfer went through.
    pub fn completed(mut self, transfer_id: &str, amount_cents: i64, remaining_cents: i64) -> Self {
        self.status = RedemptionStatus::Done;
        self.transfer_id = transfer_id.to_owned();
        self.amount_cents = amount_cents;
        self.remaining_cents = remaining_cents;
        self
    }
}

/// The idempotency key of a redemption's transfer (its memorandum entry adds `/memo`).
pub fn transfer_key(merchant: &str, request_id: &str) -> String {
    format!("redeem/{merchant}/{request_id}")
}

/// Redeems `request` at the caller's merchant. `404` for an unknown code, `403` for a caller
/// without an active merchant, `422` outside the voucher's window or at a shop its campaign
/// does not admit ([`crate::campaign::Shops`]), `409` when the voucher holds less than asked (saying how much
/// it holds) or is spent, when the request id was used for something else, or when the same
/// request is being handled right now. Refusals are in the caller's language; `lang` formats
/// the amounts they name.
pub fn redeem(caller: &User, request: Request, now: i64, lang: Lang) -> Result<Doc<Redemption>> {
    let shop = merchant::of_user(caller)?
        .ok_or_else(|| Error::forbidden(t!("vouchers.redeem.not_linked")))?;
    if shop.data.status != MerchantStatus::Active {
        return Err(Error::forbidden(t!(
            "vouchers.redeem.merchant_inactive",
            name = shop.data.name,
            status = shop.data.status.label().to_lowercase(),
        )));
    }
    let doc_id = format!("{}-{}", shop.id, request.request_id);
    // Held until the call ends: a retry of the same request, or the recovery settling an old
    // pending document, waits for this call and then sees what it did.
    let earlier = REDEMPTIONS.lock(&doc_id)?;
    let intent = match &earlier {
        Some(found) if !found.data.same_request(&request) => return Err(reused()),
        Some(found) => match found.data.status {
            RedemptionStatus::Done => return Ok(found.clone()),
            RedemptionStatus::Void => return Err(voided()),
            // Left by an earlier version cut by a crash: continued under its own key.
            RedemptionStatus::Pending => found.data.clone(),
        },
        None => {
            let Some(voucher) = voucher::VOUCHERS.get(&request.code)? else {
                return Err(Error::not_found(t!(
                    "vouchers.voucher.not_found",
                    code = code::display(&request.code, ""),
                )));
            };
            // Outside its window (a later instalment, or past its last day) a voucher is not
            // money to spend; checked on the instance's calendar.
            if let Some(refusal) = voucher.data.window().refusal(trama_sdk::local::today(now)) {
                return Err(Error::invalid(refusal));
            }
            // A campaign may limit where its vouchers are spent (categories, named shops).
            let campaign = crate::campaign::CAMPAIGNS.get(&voucher.data.campaign)?;
            if let Some(campaign) = campaign.filter(|c| !c.data.shops.admits(&shop.id, &shop.data))
            {
                return Err(Error::invalid(t!(
                    "vouchers.shops.refused",
                    name = shop.data.name,
                    title = campaign.data.title,
                )));
            }
            Redemption {
                code: request.code.clone(),
                merchant: shop.id.clone(),
                campaign: voucher.data.campaign.clone(),
                application: voucher.data.application.clone(),
                amount_cents: request.amount_cents,
                remaining_cents: 0,
                transfer_id: String::new(),
                request_id: request.request_id.clone(),
                at: now,
                by: caller.username.clone(),
                status: RedemptionStatus::Pending,
                transfer_key: transfer_key(&shop.id, &request.request_id),
                attempted_at: now,
            }
        }
    };
    let transfer = move_money(&intent, &shop.data.name)
        .map_err(|err| refusal(&err, &intent, lang).unwrap_or_else(|| err.into()))?;
    let remaining_cents =
        ledger::get(&voucher::account(&intent.code))?.map_or(0, |a| a.balance_cents);
    let done = intent.completed(&transfer.id, transfer.amount_cents, remaining_cents);
    let written = match &earlier {
        Some(found) => REDEMPTIONS.put_if_version(&doc_id, &done, found.version),
        None => REDEMPTIONS
            .create(&doc_id, done.clone())
            .map(|doc| doc.version),
    };
    match written {
        Ok(version) => {
            let doc = Doc {
                id: doc_id,
                version,
                data: done,
            };
            announce(&doc)?;
            Ok(doc)
        }
        // The same request, sent twice at once: the other call committed it first (and its
        // transfer is the one this call found under the key).
        Err(Error::Conflict(_)) => match REDEMPTIONS.get(&doc_id)? {
            Some(found)
                if found.data.same_request(&request)
                    && found.data.status == RedemptionStatus::Done =>
            {
                Ok(found)
            }
            _ => Err(busy()),
        },
        Err(err) => Err(err),
    }
}

/// The two transfers of a redemption. The shop's and the campaign's accounts are opened when
/// they are created; should one be missing (data from before that), it is opened here once and
/// the transfers tried again.
fn move_money(
    redemption: &Redemption,
    shop_name: &str,
) -> std::result::Result<ledger::Transfer, LedgerError> {
    let account = voucher::account(&redemption.code);
    let owed = merchant::owed_account(&redemption.merchant);
    let spent = voucher::spent_account(&redemption.campaign);
    let key = redemption.key();
    let shown = code::display(&redemption.code, "");
    let transfers = [
        TransferRequest::new(&*account, &*owed, redemption.amount_cents, key.clone())
            .memo(format!("voucher {shown} at {shop_name}")),
        TransferRequest::new(
            MEMO_COUNTERPART,
            &*spent,
            redemption.amount_cents,
            format!("{key}/memo"),
        )
        .memo(format!("spent on voucher {shown}")),
    ];
    let attempt = match ledger::transfer_all(&transfers) {
        Err(LedgerError::UnknownAccount(_)) => {
            ledger::open(&owed, AccountKind::Funded)?;
            ledger::open(MEMO_COUNTERPART, AccountKind::External)?;
            ledger::open(&spent, AccountKind::External)?;
            ledger::transfer_all(&transfers)
        }
        other => other,
    };
    attempt?
        .into_iter()
        .next()
        .ok_or_else(|| LedgerError::Internal("the ledger recorded no transfer".into()))
}

/// The user's answer to a ledger refusal, or `None` for a failure that is not theirs (the
/// database), answered as an internal error.
fn refusal(err: &LedgerError, redemption: &Redemption, lang: Lang) -> Option<Error> {
    let shown = code::display(&redemption.code, "");
    match err {
        LedgerError::InsufficientFunds(_) => {
            let left = ledger::get(&voucher::account(&redemption.code))
                .ok()
                .flatten()
                .map_or(0, |a| a.balance_cents);
            Some(Error::conflict(if left == 0 {
                t!("vouchers.redeem.fully_spent", code = shown)
            } else {
                t!(
                    "vouchers.redeem.not_enough",
                    code = shown,
                    left = format_cents(left, lang),
                    amount = format_cents(redemption.amount_cents, lang),
                )
            }))
        }
        LedgerError::UnknownAccount(_) => Some(Error::conflict(t!("vouchers.redeem.being_issued"))),
        LedgerError::Conflict(_) => Some(reused()),
        LedgerError::Invalid(_) | LedgerError::Internal(_) => None,
    }
}

/// The event and the audit entry of a completed redemption, written by whoever completed it.
fn announce(doc: &Doc<Redemption>) -> Result<()> {
    events::publish_typed(&VoucherRedeemed {
        redemption_id: doc.id.clone(),
        code: doc.data.code.clone(),
        campaign_id: doc.data.campaign.clone(),
        merchant_id: doc.data.merchant.clone(),
        amount_cents: doc.data.amount_cents,
        remaining_cents: doc.data.remaining_cents,
    })?;
    audit::record(
        "voucher.redeemed",
        &doc.data.code,
        &serde_json::json!({
            "merchant": doc.data.merchant,
            "amount_cents": doc.data.amount_cents,
            "remaining_cents": doc.data.remaining_cents,
            "redemption": doc.id,
        }),
    )
}

/// A request id already used for a different redemption.
fn reused() -> Error {
    Error::conflict(t!("vouchers.redeem.reused"))
}

/// The same request is being handled by another call right now.
fn busy() -> Error {
    Error::conflict(t!("vouchers.redeem.busy"))
}

/// The request was cancelled by the recovery after a failure: nothing was taken.
fn voided() -> Error {
    Error::conflict(t!("vouchers.redeem.voided"))
}

/// How many pending redemptions one run of the recovery looks at: each may publish one event,
/// far below the kernel's cap per call, and the next run takes the rest.
pub const RECOVERY_BATCH: u32 = 200;
/// Transfers read at a time from a voucher's history (a voucher has a handful).
const HISTORY_PAGE: u32 = 100;

/// What one run of the recovery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Pending redemptions whose transfer was found: now `done`.
    pub done: u32,
    /// Pending redemptions with no transfer: now `void`.
    pub voided: u32,
    /// Pending redemptions still within the grace period, or changed by a request meanwhile.
    pub left: u32,
}

/// Resolves the `pending` redemptions untouched for `grace_ms` (see the module docs). One that
/// fails is logged and left for the next run.
pub fn recover(now: i64, grace_ms: i64) -> Result<Recovered> {
    let pending = REDEMPTIONS
        .query()
        .filter("status", Cmp::Eq, "pending")
        .order_by("at")
        .limit(RECOVERY_BATCH)
        .fetch()?;
    let mut outcome = Recovered::default();
    for doc in pending {
        if !doc.data.is_stale(now, grace_ms) {
            outcome.left += 1;
            continue;
        }
        let id = doc.id.clone();
        match recover_one(doc) {
            Ok(Some(RedemptionStatus::Done)) => outcome.done += 1,
            Ok(Some(_)) => outcome.voided += 1,
            Ok(None) => outcome.left += 1,
            Err(err) => {
                outcome.left += 1;
                log::error(format!(
                    "could not resolve the pending redemption {id}; the next run tries again: {err}"
                ));
            }
        }
    }
    Ok(outcome)
}

/// Settles one stale pending redemption by what the ledger holds; `None` when a request
/// changed the document meanwhile (it finishes the work itself).
fn recover_one(doc: Doc<Redemption>) -> Result<Option<RedemptionStatus>> {
    // Under the same lock as a request for it, and read again: a request that completed it
    // meanwhile has the last word.
    let Some(doc) = REDEMPTIONS.lock(&doc.id)? else {
        return Ok(None);
    };
    if doc.data.status != RedemptionStatus::Pending {
        return Ok(None);
    }
    let account = voucher::account(&doc.data.code);
    let mut found = None;
    let mut offset = 0;
    loop {
        let page = match ledger::history(&account, HISTORY_PAGE, offset) {
            Ok(page) => page,
            Err(LedgerError::UnknownAccount(_)) => Vec::new(),
            Err(err) => return Err(err.into()),
        };
        if let Some(transfer) = doc.data.find_transfer(&page) {
            found = Some(transfer.clone());
            break;
        }
        if page.len() < HISTORY_PAGE as usize {
            break;
        }
        offset += HISTORY_PAGE;
    }
    match found {
        Some(transfer) => {
            let remaining = ledger::get(&account)?.map_or(0, |a| a.balance_cents);
            let done = doc
                .data
                .clone()
                .completed(&transfer.id, transfer.amount_cents, remaining);
            match REDEMPTIONS.put_if_version(&doc.id, &done, doc.version) {
                Ok(version) => {
                    let doc = Doc {
                        id: doc.id,
                        version,
                        data: done,
                    };
                    log::info(format!(
                        "pending redemption {} completed: its transfer {} went through",
                        doc.id, doc.data.transfer_id
                    ));
                    announce(&doc)?;
                    Ok(Some(RedemptionStatus::Done))
                }
                Err(Error::Conflict(_)) => Ok(None),
                Err(err) => Err(err),
            }
        }
        None => {
            let mut void = doc.data.clone();
            void.status = RedemptionStatus::Void;
            match REDEMPTIONS.put_if_version(&doc.id, &void, doc.version) {
                Ok(_) => {
                    log::info(format!(
                        "pending redemption {} voided: no money was taken",
                        doc.id
                    ));
                    audit::record(
                        "voucher.redemption_voided",
                        &void.code,
                        &serde_json::json!({
                            "merchant": void.merchant,
                            "amount_cents": void.amount_cents,
                            "redemption": doc.id,
                        }),
                    )?;
                    Ok(Some(RedemptionStatus::Void))
                }
                Err(Error::Conflict(_)) => Ok(None),
                Err(err) => Err(err),
            }
        }
    }
}
