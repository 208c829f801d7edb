//! Paying out what a plugin owes someone, once per request.
//!
//! A plugin that owes money (to the shops where vouchers were spent, to the providers whose
//! services employees bought) keeps it in a funded account, `…/owed`, and an operator records
//! the bank transfers that settle it: the money moves from there to an external account, and a
//! record of the payment is stored under an id made from the form's request id. A
//! double-clicked "paid" button, or a retried API call, must pay once and answer the same
//! payment; asking for more than is owed must move nothing. [`pay`] is that flow, written once:
//! the plugin says where the money goes, what it stores and how it words a refusal.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ledger::{self, LedgerError, Transfer, TransferRequest};
use crate::store::{Collection, Doc};
use crate::{Error, Result};

/// An operator's payment as the plugin read it from a form or JSON (each plugin checks the
/// fields in its own words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// `None`: everything owed.
    pub amount_cents: Option<i64>,
    /// The bank transfer's reference (CRO/TRN).
    pub reference: String,
    /// What makes a retried payment idempotent.
    pub request_id: String,
}

/// One payout asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout<'a> {
    /// The funded account holding what is owed.
    pub from: &'a str,
    /// The external account the money leaves the books to.
    pub to: &'a str,
    /// The amount asked for, in cents; `None` for everything owed.
    pub requested: Option<i64>,
    /// The transfer's idempotency key, made from the request id like the record's id.
    pub transfer_key: String,
    pub memo: String,
}

/// Why a payout moved nothing; the plugin words each in its own catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request id names an earlier payment of another amount.
    Reused,
    /// Nothing is owed (or the amount asked for is not positive).
    NothingOwed,
    /// Less is owed than asked for.
    OwedLess { owed_cents: i64, amount_cents: i64 },
    /// The ledger refused the transfer key as already used for another transfer (a replay
    /// racing the first payment, with another amount); the ledger's own words.
    TransferKeyUsed(String),
}

/// A stored payment, as [`pay`] reads it back on a replay.
pub trait Paid {
    /// The amount the payment moved, in cents.
    fn amount_cents(&self) -> i64;
}

/// Pays `payout` and stores its record under `record_id` in `records`, built by `record` from
/// the transfer made. A replay of the same request answers the payment already stored (or
/// [`Refusal::Reused`] when it asks for another amount); a concurrent replay that stored the
/// record first is the answer too. `what` names the record in the internal error for a record
/// that vanished meanwhile; `refuse` words each [`Refusal`].
pub fn pay<T, R>(
    records: &Collection<T>,
    record_id: &str,
    what: &str,
    payout: &Payout<'_>,
    refuse: impl Fn(Refusal) -> Error,
    record: R,
) -> Result<Doc<T>>
where
    T: Paid + Serialize + DeserializeOwned,
    R: FnOnce(Transfer) -> T,
{
    if let Some(done) = records.get(record_id)? {
        return match replayed(payout.requested, done.data.amount_cents()) {
            Ok(()) => Ok(done),
            Err(refusal) => Err(refuse(refusal)),
        };
    }
    let owed_cents = ledger::get(payout.from)?.map_or(0, |a| a.balance_cents);
    let amount_cents = amount(payout.requested, owed_cents).map_err(&refuse)?;
    let request = TransferRequest::new(payout.from, payout.to, amount_cents, &payout.transfer_key)
        .memo(payout.memo.clone());
    let transfer = ledger::transfer(&request).map_err(|err| match err {
        LedgerError::InsufficientFunds(_) => refuse(Refusal::OwedLess {
            owed_cents,
            amount_cents,
        }),
        LedgerError::Conflict(message) => refuse(Refusal::TransferKeyUsed(message)),
        other => other.into(),
    })?;
    records.create_or_get(record_id, record(transfer), what)
}

/// A replay is answered with the payment it repeats, unless it asks for another amount.
fn replayed(requested: Option<i64>, paid_cents: i64) -> std::result::Result<(), Refusal> {
    match requested {
        Some(cents) if cents != paid_cents => Err(Refusal::Reused),
        _ => Ok(()),
    }
}

/// The amount to pay: the one asked for, or everything owed.
fn amount(requested: Option<i64>, owed_cents: i64) -> std::result::Result<i64, Refusal> {
    match requested.unwrap_or(owed_cents) {
        cents if cents <= 0 => Err(Refusal::NothingOwed),
        cents => Ok(cents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_answers_the_first_payment_unless_the_amount_differs() {
        assert_eq!(replayed(None, 500), Ok(()));
        assert_eq!(replayed(Some(500), 500), Ok(()));
        assert_eq!(replayed(Some(400), 500), Err(Refusal::Reused));
    }

    #[test]
    fn without_an_amount_everything_owed_is_paid() {
        assert_eq!(amount(None, 1_250), Ok(1_250));
        assert_eq!(amount(Some(300), 1_250), Ok(300));
        assert_eq!(amount(None, 0), Err(Refusal::NothingOwed));
        // More than is owed is for the ledger to refuse, which moves nothing.
        assert_eq!(amount(Some(2_000), 1_250), Ok(2_000));
    }
}
