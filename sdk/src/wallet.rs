//! The person's welfare wallet (host API 1.10, capability `wallet`): spending, on something the
//! person books, the purses other plugins offer them — public support earmarked for categories,
//! their company's welfare credit — and leaving the rest for them to pay directly.
//!
//! The kernel spends only the purses of the person making the call (the call is their
//! consent), for the category of what is booked, from the owners in the order the plugin gives
//! and within an owner the purse that lapses first. Every draw is a pair of ledger transfers in
//! the call's transaction, so a booking refused later in the same call spends nothing, and two
//! people racing for one purse can never overspend it. What the purses pay lands in `to`, a
//! funded account of this plugin (what it owes the provider on behalf of each owner).
//!
//! ```no_run
//! use trama_sdk::wallet::{self, ChargeRequest};
//! # fn book() -> trama_sdk::Result<()> {
//! # trama_sdk::ledger::open("owed/provider-7", trama_sdk::ledger::AccountKind::Funded)?;
//! let charge = wallet::charge(&ChargeRequest {
//!     category: "Baby sitting".into(),
//!     amount_cents: 4_500,
//!     owners: vec!["vouchers".into(), "corporate-plans".into()],
//!     to: "owed/provider-7".into(),
//!     key: "booking/01J9".into(),
//!     memo: "Baby sitting · Coop Aurora, 12/12/2026".into(),
//! })?;
//! // What no purse covered: the person pays it to the provider.
//! let _directly = charge.uncovered_cents;
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use crate::host::wallet as wit;
use crate::{Error, Result};

/// One purse of the caller's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purse {
    /// The plugin that offers it (`vouchers`).
    pub owner: String,
    pub account: String,
    pub label: String,
    pub categories: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub balance_cents: i64,
}

/// What to charge: see [`charge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    /// The catalogue category of what is paid.
    pub category: String,
    /// The whole price in cents.
    pub amount_cents: i64,
    /// The owners whose purses may pay, in the order they are drawn.
    pub owners: Vec<String>,
    /// The funded account of this plugin that receives what the purses pay.
    pub to: String,
    /// Names the charge in this plugin: a replay returns the first charge.
    pub key: String,
    /// Shown on the person's wallet page.
    pub memo: String,
}

/// What one purse paid of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    pub owner: String,
    pub account: String,
    pub label: String,
    pub amount_cents: i64,
}

/// A charge as the kernel recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub key: String,
    /// The account id of the person who paid.
    pub holder: String,
    pub category: String,
    /// The price in cents, after any [`reprice`].
    pub amount_cents: i64,
    pub drawn: Vec<Draw>,
    /// What the person pays directly.
    pub uncovered_cents: i64,
    /// Unix time in milliseconds.
    pub at: i64,
}

impl Charge {
    /// What the purses paid, in cents.
    pub fn from_credit_cents(&self) -> i64 {
        self.drawn.iter().map(|d| d.amount_cents).sum()
    }

    /// What `owner`'s purses paid, in cents.
    pub fn paid_by(&self, owner: &str) -> i64 {
        self.drawn
            .iter()
            .filter(|d| d.owner == owner)
            .map(|d| d.amount_cents)
            .sum()
    }
}

impl From<wit::ChargeRecord> for Charge {
    fn from(charge: wit::ChargeRecord) -> Self {
        Self {
            key: charge.key,
            holder: charge.holder,
            category: charge.category,
            amount_cents: charge.amount,
            drawn: charge
                .drawn
                .into_iter()
                .map(|d| Draw {
                    owner: d.owner,
                    account: d.account,
                    label: d.label,
                    amount_cents: d.amount,
                })
                .collect(),
            uncovered_cents: charge.uncovered,
            at: charge.at,
        }
    }
}

impl From<wit::WalletError> for Error {
    fn from(err: wit::WalletError) -> Self {
        match err {
            wit::WalletError::NoHolder => Error::unauthenticated(crate::i18n::text_for(
                crate::i18n::current(),
                "sdk.wallet.log_in",
                &[],
            )),
            wit::WalletError::Conflict(m) => Error::Conflict(m),
            wit::WalletError::UnknownAccount(m)
            | wit::WalletError::Invalid(m)
            | wit::WalletError::Internal(m) => Error::Internal(format!("wallet: {m}")),
        }
    }
}

fn to_wit(request: &ChargeRequest) -> wit::ChargeRequest {
    wit::ChargeRequest {
        category: request.category.clone(),
        amount: request.amount_cents,
        owners: request.owners.clone(),
        to: request.to.clone(),
        key: request.key.clone(),
        memo: request.memo.clone(),
    }
}

/// The caller's purses that can be spent today and hold money, in drawing order for `owners`
/// (empty: every owner); none when nobody is logged in.
pub fn purses(owners: &[String]) -> Result<Vec<Purse>> {
    Ok(wit::purses(owners)?
        .into_iter()
        .map(|p| Purse {
            owner: p.owner,
            account: p.account,
            label: p.label,
            categories: p.categories,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            balance_cents: p.balance,
        })
        .collect())
}

/// What [`charge`] would draw now, moving nothing: for the page that asks the person to confirm.
pub fn quote(request: &ChargeRequest) -> Result<Charge> {
    Ok(wit::quote(&to_wit(request))?.into())
}

/// Draws the caller's purses for `request`, all or nothing, in this call's transaction.
pub fn charge(request: &ChargeRequest) -> Result<Charge> {
    Ok(wit::charge(&to_wit(request))?.into())
}

/// Lowers charge `key` to `amount_cents` (0 cancels it): what the person pays directly goes
/// down first, then the purses are paid back, the last drawn first.
pub fn reprice(key: &str, amount_cents: i64) -> Result<Charge> {
    Ok(wit::reprice(key, amount_cents)?.into())
}

/// The charge this plugin recorded under `key`.
pub fn get(key: &str) -> Result<Option<Charge>> {
    Ok(wit::get(key)?.map(Charge::from))
}

/// The source of the kernel's wallet events; no plugin can publish as it.
pub const SOURCE: &str = "~wallet";
/// A purse paid part of a charge (subscribe to it in `plugin.toml` to be told).
pub const DRAWN: &str = "wallet.drawn";
/// Part of what a purse paid came back to it.
pub const REPAID: &str = "wallet.repaid";

/// What moved in one of this plugin's purses, as the kernel tells the purse's owner: a plugin
/// that offers purses subscribes to [`DRAWN`] and [`REPAID`] so that its own figures (what a
/// campaign's vouchers paid for, where a plan's money went) count the money spent through the
/// wallet too. Delivered at least once: book it under [`Moved::key`], the same at every
/// delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Moved {
    /// The purse: one of this plugin's funded accounts.
    pub account: String,
    /// Cents drawn, or paid back; always positive (see [`Moved::spent_cents`]).
    pub amount_cents: i64,
    /// The plugin that charged, and its key of the charge.
    pub charger: String,
    pub charge: String,
    /// The catalogue category the charge paid for.
    pub category: String,
    /// Unique to this movement.
    pub entry: String,
    /// Paid back rather than drawn.
    #[serde(skip)]
    pub repaid: bool,
}

impl Moved {
    /// The movement `event` tells of; `None` for any other event, and for one that merely
    /// carries the name without coming from the kernel.
    pub fn decode(event: &crate::events::Event) -> Result<Option<Moved>> {
        if event.source != SOURCE || (event.name != DRAWN && event.name != REPAID) {
            return Ok(None);
        }
        let mut moved: Moved = event.payload()?;
        moved.repaid = event.name == REPAID;
        Ok(Some(moved))
    }

    /// An idempotency key for what the owner books of this movement, `purpose` telling two
    /// bookings of one movement apart (`memo`, `lapsed`): the same at every delivery, and
    /// short enough for the ledger whatever the length of the charger's key.
    pub fn key(&self, purpose: &str) -> String {
        format!("wallet/{}/{purpose}", crate::code::short_id(&self.entry))
    }

    /// What the purse spent through this movement: the amount drawn, or minus the amount paid
    /// back.
    pub fn spent_cents(&self) -> i64 {
        if self.repaid {
            -self.amount_cents
        } else {
            self.amount_cents
        }
    }
}

#[cfg(test)]
mod moved_tests {
    use super::*;
    use crate::events::Event;

    const PAYLOAD: &str = r#"{"account":"voucher/AB12","amount_cents":1500,"charger":"services","charge":"booking/1","category":"Baby sitting","entry":"~wallet/services/booking/1/0"}"#;

    #[test]
    fn only_the_kernel_tells_of_a_purse_movement() {
        let drawn = Event::new("e1", DRAWN, SOURCE, PAYLOAD);
        let moved = Moved::decode(&drawn).unwrap().expect("a draw");
        assert_eq!(
            (moved.account.as_str(), moved.spent_cents()),
            ("voucher/AB12", 1500)
        );
        let back = Event::new("e2", REPAID, SOURCE, PAYLOAD);
        let back = Moved::decode(&back).unwrap().unwrap();
        assert_eq!(back.spent_cents(), -1500);
        assert_eq!(back.key("memo"), moved.key("memo"), "one key per movement");
        assert_ne!(back.key("memo"), back.key("lapsed"));
        let long = Moved {
            entry: format!("~wallet/services/{}/0/back/1200", "k".repeat(150)),
            ..moved.clone()
        };
        assert!(long.key("lapsed").len() < 40, "{}", long.key("lapsed"));
        let forged = Event::new("e3", DRAWN, "rogue", PAYLOAD);
        assert_eq!(Moved::decode(&forged).unwrap(), None);
        let other = Event::new("e4", "admissions.provider_accredited", SOURCE, "{}");
        assert_eq!(Moved::decode(&other).unwrap(), None);
    }
}
