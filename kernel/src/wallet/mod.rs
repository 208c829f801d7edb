//! The welfare wallet: one place where a person's credits from several plugins — public support
//! earmarked for categories (vouchers), company credit (corporate plans) — are seen together and
//! spent on one booking.
//!
//! **Purses.** A plugin *offers* one of its funded ledger accounts to the person whose credit it
//! is (`ledger.offer`, host API 1.10): label, the catalogue categories it may pay for, the days
//! it may be spent. The money stays in the owner's books; the offer only says who may spend it
//! and on what. Withdrawing the offer (a voucher revoked) stops every future draw.
//!
//! **Charges.** A plugin granted `wallet` (the catalogue of services) draws on the purses of the
//! person *making the call* — the call is the consent, so no plugin can spend anyone else's
//! credit — for one category, in the order of owners it is configured with and, within an owner,
//! the purse that lapses first. What the purses do not cover is left for the person to pay
//! directly. Each draw is two ledger transfers in the call's transaction: in the owner's books
//! from the purse to `~wallet/{charger}`, in the charger's books from `~wallet/{owner}` to the
//! charger's receiving account. Each plugin's books therefore stay balanced, the two clearing
//! accounts mirror each other, and the debit is the ledger's conditional update: however many
//! calls or kernel nodes race for a purse, it never goes below zero (see [`charge`]).
//!
//! **Repricing.** A price only ever goes down after the charge (a shared service whose group
//! grew, a booking declined or cancelled): [`Wallet::reprice_in`] lowers first what the person
//! pays directly, then pays the purses back, the last drawn first.

mod charge;
mod page;
mod record;
mod tell;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};

use crate::db::{Db, sql};
use crate::ledger::{AccountKind, Ledger, LedgerError};

pub use crate::event_store::Subscribers;
pub use charge::{Charge, ChargeRequest, Draw};
pub use page::{MOVEMENTS_SHOWN, Movement, Summary};
pub use tell::{DRAWN, REPAID, SOURCE};

/// Longest label of a purse, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Most categories one purse is earmarked for.
pub const MAX_CATEGORIES: usize = 50;
/// Longest category name, in characters.
pub const MAX_CATEGORY_CHARS: usize = 100;

/// Why the wallet refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// Nobody is logged in: a wallet is spent only by its holder.
    #[error("nobody is logged in: a wallet is spent only by its holder")]
    NoHolder,
    #[error("unknown account: {0}")]
    UnknownAccount(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Internal(String),
}

impl From<DbErr> for WalletError {
    fn from(err: DbErr) -> Self {
        WalletError::Internal(err.to_string())
    }
}

impl From<LedgerError> for WalletError {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::UnknownAccount(m) => WalletError::UnknownAccount(m),
            LedgerError::Invalid(m) | LedgerError::InsufficientFunds(m) => WalletError::Invalid(m),
            LedgerError::Conflict(m) => WalletError::Conflict(m),
            LedgerError::Internal(m) => WalletError::Internal(m),
        }
    }
}

/// What an owner offers: see `ledger.purse-offer` in `wit/plugin.wit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub account: String,
    pub holder: String,
    pub label: String,
    pub categories: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// A purse with what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Purse {
    pub owner: String,
    pub account: String,
    pub holder: String,
    pub label: String,
    pub categories: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub balance: i64,
    pub withdrawn: bool,
}

impl Purse {
    /// Whether it may be spent on `today` (`YYYY-MM-DD`, the instance's zone).
    pub fn open_on(&self, today: &str) -> bool {
        !self.withdrawn
            && self.valid_from.as_deref().is_none_or(|from| from <= today)
            && self
                .valid_until
                .as_deref()
                .is_none_or(|until| today <= until)
    }

    /// Why it cannot be spent on `today`, or `open`: `withdrawn` by its owner, `not_yet` before
    /// its first day, `lapsed` after its last, `empty` when nothing is left — in that order,
    /// so a purse the owner closed says so whatever its dates.
    pub fn state_on(&self, today: &str) -> &'static str {
        if self.withdrawn {
            "withdrawn"
        } else if self.valid_from.as_deref().is_some_and(|from| today < from) {
            "not_yet"
        } else if self
            .valid_until
            .as_deref()
            .is_some_and(|until| until < today)
        {
            "lapsed"
        } else if self.balance <= 0 {
            "empty"
        } else {
            "open"
        }
    }

    /// Whether it may pay for `category`.
    pub fn pays_for(&self, category: &str) -> bool {
        self.categories.is_empty() || self.categories.iter().any(|c| c == category)
    }
}

/// The instance's wallet: purses and charges of every plugin of one instance.
#[derive(Debug, Clone)]
pub struct Wallet {
    db: Db,
    instance: String,
    /// Who subscribes to what, to tell purses' owners what moved; `None`: nobody is told
    /// (the `/me/wallet` page, which only reads).
    subscribers: Option<Arc<Subscribers>>,
}

/// The clearing account, in one plugin's books, of what moved to or from `other`'s.
pub fn clearing_account(other: &str) -> String {
    format!("{}wallet/{other}", crate::ledger::KERNEL_PREFIX)
}

fn check_day(what: &str, day: Option<&str>) -> Result<(), WalletError> {
    match day {
        Some(day) if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() => {
            Err(WalletError::Invalid(format!(
                "{what} `{}` is not a day written YYYY-MM-DD",
                day.escape_debug()
            )))
        }
        _ => Ok(()),
    }
}

fn check_offer(offer: &Offer) -> Result<(), WalletError> {
    let label_chars = offer.label.chars().count();
    if offer.label.trim().is_empty()
        || label_chars > MAX_LABEL_CHARS
        || offer.label.chars().any(char::is_control)
    {
        return Err(WalletError::Invalid(format!(
            "the label of purse `{}` must be 1 to {MAX_LABEL_CHARS} printable characters",
            offer.account
        )));
    }
    if offer.categories.len() > MAX_CATEGORIES {
        return Err(WalletError::Invalid(format!(
            "purse `{}` names {} categories, at most {MAX_CATEGORIES}",
            offer.account,
            offer.categories.len()
        )));
    }
    if let Some(bad) = offer.categories.iter().find(|c| {
        c.trim().is_empty()
            || c.chars().count() > MAX_CATEGORY_CHARS
            || c.chars().any(char::is_control)
    }) {
        return Err(WalletError::Invalid(format!(
            "category `{}` of purse `{}` must be 1 to {MAX_CATEGORY_CHARS} printable characters",
            bad.escape_debug(),
            offer.account
        )));
    }
    check_day("first day", offer.valid_from.as_deref())?;
    check_day("last day", offer.valid_until.as_deref())?;
    if let (Some(from), Some(until)) = (&offer.valid_from, &offer.valid_until)
        && from > until
    {
        return Err(WalletError::Invalid(format!(
            "purse `{}` ends ({until}) before it starts ({from})",
            offer.account
        )));
    }
    Ok(())
}

const PURSE_COLUMNS: &str = "p.owner, p.account, p.holder, p.label, p.categories, p.valid_from, \
     p.valid_until, p.withdrawn, COALESCE(a.balance, 0) AS balance";

/// Purses joined with their ledger accounts, so the balance is the ledger's own.
const PURSES_FROM: &str = "FROM wallet_purses p LEFT JOIN ledger_accounts a \
     ON a.instance = p.instance AND a.plugin = p.owner AND a.name = p.account";

fn purse_from_row(row: &sea_orm::QueryResult) -> Result<Purse, DbErr> {
    let categories: String = row.try_get("", "categories")?;
    let withdrawn: i64 = row.try_get("", "withdrawn")?;
    Ok(Purse {
        owner: row.try_get("", "owner")?,
        account: row.try_get("", "account")?,
        holder: row.try_get("", "holder")?,
        label: row.try_get("", "label")?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        valid_from: row.try_get("", "valid_from")?,
        valid_until: row.try_get("", "valid_until")?,
        withdrawn: withdrawn != 0,
        balance: row.try_get("", "balance")?,
    })
}

impl Wallet {
    pub fn new(db: Db, instance: &str) -> Self {
        Self {
            db,
            instance: instance.to_owned(),
            subscribers: None,
        }
    }

    /// The wallet of a plugin call, which tells the owners that subscribe to [`DRAWN`] and
    /// [`REPAID`] what moved in their purses (see [`tell`]).
    pub fn telling(mut self, subscribers: Arc<Subscribers>) -> Self {
        self.subscribers = Some(subscribers);
        self
    }

    fn books(&self, plugin: &str) -> Ledger {
        Ledger::new(self.db.clone(), &self.instance, plugin)
    }

    /// Offers `owner`'s funded account `offer.account` to `offer.holder`, or updates the offer
    /// (and offers it again if it was withdrawn).
    pub async fn offer_in(
        &self,
        txn: &DatabaseTransaction,
        owner: &str,
        offer: &Offer,
    ) -> Result<(), WalletError> {
        check_offer(offer)?;
        match self.books(owner).get_in(txn, &offer.account).await? {
            None => return Err(WalletError::UnknownAccount(offer.account.clone())),
            Some(account) if account.kind != AccountKind::Funded => {
                return Err(WalletError::Invalid(format!(
                    "account `{}` is external: only a funded account holds a person's credit",
                    offer.account
                )));
            }
            Some(_) => {}
        }
        let backend = self.db.backend();
        let holder = txn
            .query_one_raw(sql::stmt(
                backend,
                "SELECT id FROM users WHERE instance = ? AND id = ?",
                vec![self.instance.clone().into(), offer.holder.clone().into()],
            ))
            .await?;
        if holder.is_none() {
            return Err(WalletError::Invalid(format!(
                "holder `{}` is not an account of this instance",
                offer.holder.escape_debug()
            )));
        }
        let categories = serde_json::to_string(&offer.categories)
            .map_err(|err| WalletError::Internal(err.to_string()))?;
        let values: Vec<Value> = vec![
            self.instance.clone().into(),
            owner.into(),
            offer.account.clone().into(),
            offer.holder.clone().into(),
            offer.label.clone().into(),
            categories.into(),
            offer.valid_from.clone().into(),
            offer.valid_until.clone().into(),
            crate::clock::now_ms().into(),
        ];
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO wallet_purses \
             (instance, owner, account, holder, label, categories, valid_from, valid_until, withdrawn, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) \
             ON CONFLICT (instance, owner, account) DO UPDATE SET holder = excluded.holder, \
             label = excluded.label, categories = excluded.categories, \
             valid_from = excluded.valid_from, valid_until = excluded.valid_until, withdrawn = 0",
            values,
        ))
        .await?;
        Ok(())
    }

    /// Stops offering `owner`'s `account`; unknown accounts are refused, a second withdrawal
    /// changes nothing.
    pub async fn withdraw_in(
        &self,
        txn: &DatabaseTransaction,
        owner: &str,
        account: &str,
    ) -> Result<(), WalletError> {
        let done = txn
            .execute_raw(sql::stmt(
                self.db.backend(),
                "UPDATE wallet_purses SET withdrawn = 1 WHERE instance = ? AND owner = ? AND account = ?",
                vec![self.instance.clone().into(), owner.into(), account.into()],
            ))
            .await?;
        if done.rows_affected() == 0 {
            return Err(WalletError::UnknownAccount(format!(
                "`{account}` is not offered as a purse"
            )));
        }
        Ok(())
    }

    /// Every purse offered to `holder`, spendable or not, by owner and account.
    pub async fn purses_of(
        &self,
        conn: &impl ConnectionTrait,
        holder: &str,
    ) -> Result<Vec<Purse>, WalletError> {
        let rows = conn
            .query_all_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {PURSE_COLUMNS} {PURSES_FROM} WHERE p.instance = ? AND p.holder = ? \
                     ORDER BY p.owner, p.account"
                ),
                vec![self.instance.clone().into(), holder.into()],
            ))
            .await?;
        Ok(rows.iter().map(purse_from_row).collect::<Result<_, _>>()?)
    }

    /// The purses of `holder` that can pay today and hold money, in drawing order: by
    /// `owners` (empty: every owner, by name), then the one that lapses first, then by account.
    /// With `category`, only those that may pay for it.
    pub async fn spendable(
        &self,
        conn: &impl ConnectionTrait,
        holder: &str,
        owners: &[String],
        category: Option<&str>,
        today: &str,
    ) -> Result<Vec<Purse>, WalletError> {
        let mut purses: Vec<Purse> = self
            .purses_of(conn, holder)
            .await?
            .into_iter()
            .filter(|p| p.balance > 0 && p.open_on(today))
            .filter(|p| owners.is_empty() || owners.contains(&p.owner))
            .filter(|p| category.is_none_or(|c| p.pays_for(c)))
            .collect();
        let rank = |p: &Purse| owners.iter().position(|o| *o == p.owner).unwrap_or(0);
        purses.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.owner.cmp(&b.owner))
                // A purse with no last day lapses last.
                .then_with(|| match (&a.valid_until, &b.valid_until) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
                .then_with(|| a.account.cmp(&b.account))
        });
        Ok(purses)
    }
}
