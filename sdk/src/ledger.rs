//! Money in integer cents on the kernel's double-entry ledger (host API 1.1).
//!
//! Accounts belong to the (instance, plugin) pair and are named by the plugin, e.g.
//! `campaign/42/budget`. Money only ever moves by a [`Transfer`] from one account to another,
//! so it cannot appear or vanish inside the books: it enters from an [`AccountKind::External`]
//! account (the funding body) and leaves through one (payments made). A
//! [`AccountKind::Funded`] account never goes below zero: the kernel refuses a transfer that
//! would overdraw it with [`LedgerError::InsufficientFunds`], atomically, however many
//! requests race for the same balance — so a plugin never checks a balance before spending it.
//!
//! Every transfer carries an idempotency key. Replaying a transfer with a key already used
//! returns the first transfer instead of moving the money again, which is what makes a retried
//! request, a redelivered event or a resumed job safe: derive the key from what the transfer
//! *is* (`close/{campaign}/{application}/{n}`), never from the time or a fresh id.
//!
//! Amounts are `i64` cents everywhere; there are no floats in this module.
//!
//! ```no_run
//! use trama_sdk::ledger::{self, AccountKind, TransferRequest};
//!
//! # fn main() -> trama_sdk::Result<()> {
//! ledger::open("funding", AccountKind::External)?;
//! ledger::open("campaign/42/budget", AccountKind::Funded)?;
//! ledger::transfer(
//!     &TransferRequest::new("funding", "campaign/42/budget", 1_000_000, "fund/42")
//!         .memo("budget of campaign 42"),
//! )?;
//! assert_eq!(ledger::balance("campaign/42/budget")?, 1_000_000);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::host::ledger as wit;

/// Longest account name (and idempotency key) the kernel accepts, in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Longest memo the kernel keeps, in bytes.
pub const MAX_MEMO_BYTES: usize = 1000;
/// Largest amount of one transfer: a hundred billion euros, far from `i64` overflow when
/// balances are summed.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000_000_000;

/// Why the kernel refused a ledger operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// The source account does not hold enough money; nothing moved.
    InsufficientFunds(String),
    /// An account that was never opened.
    UnknownAccount(String),
    /// Bad input: a non-positive amount, a malformed name, an account reopened with another kind.
    Invalid(String),
    /// The idempotency key was already used for a different transfer.
    Conflict(String),
    /// The kernel's database failed; retrying later may work.
    Internal(String),
}

impl From<wit::LedgerError> for LedgerError {
    fn from(err: wit::LedgerError) -> Self {
        match err {
            wit::LedgerError::InsufficientFunds(m) => Self::InsufficientFunds(m),
            wit::LedgerError::UnknownAccount(m) => Self::UnknownAccount(m),
            wit::LedgerError::Invalid(m) => Self::Invalid(m),
            wit::LedgerError::Conflict(m) => Self::Conflict(m),
            wit::LedgerError::Internal(m) => Self::Internal(m),
        }
    }
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsufficientFunds(m) => write!(f, "insufficient funds: {m}"),
            Self::UnknownAccount(m) => write!(f, "unknown account: {m}"),
            Self::Invalid(m) => write!(f, "invalid ledger request: {m}"),
            Self::Conflict(m) => write!(f, "ledger conflict: {m}"),
            Self::Internal(m) => write!(f, "ledger failure: {m}"),
        }
    }
}

impl std::error::Error for LedgerError {}

/// The status a user sees when a plugin lets a ledger error through with `?`.
///
/// - Insufficient funds is a state the caller can understand and act on (spend less, wait for
///   a top-up): `409 Conflict`, saying that nothing was moved.
/// - A reused idempotency key with a different transfer is also a `409`: the caller replayed a
///   request with other contents.
/// - An unknown account is a `404`: plugins usually name accounts after something the user
///   chose (a voucher code), so "there is no such thing" is the honest answer.
/// - An invalid request (a zero amount, a bad name) is a bug in the plugin, which should have
///   validated its input first, and a database failure is the kernel's: both are `500`.
///
/// A plugin that wants another message (say, the remaining balance) matches on the
/// [`LedgerError`] itself before converting.
impl From<LedgerError> for Error {
    fn from(err: LedgerError) -> Self {
        match err {
            LedgerError::InsufficientFunds(m) => Error::Conflict(format!(
                "there is not enough money for this, so nothing was moved: {m}"
            )),
            LedgerError::Conflict(m) => Error::Conflict(m),
            LedgerError::UnknownAccount(m) => Error::NotFound(m),
            LedgerError::Invalid(m) | LedgerError::Internal(m) => Error::Internal(m),
        }
    }
}

/// What an account may do with its balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// Never below zero: budgets, wallets, vouchers, what a merchant is owed.
    Funded,
    /// Outside the books (a funder, a payee): may go below zero, and usually does.
    External,
}

impl AccountKind {
    fn to_wit(self) -> wit::AccountKind {
        match self {
            Self::Funded => wit::AccountKind::Funded,
            Self::External => wit::AccountKind::External,
        }
    }

    fn from_wit(kind: wit::AccountKind) -> Self {
        match kind {
            wit::AccountKind::Funded => Self::Funded,
            wit::AccountKind::External => Self::External,
        }
    }
}

/// An account and its balance when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    /// Cents; negative only for [`AccountKind::External`] accounts.
    pub balance_cents: i64,
}

impl From<wit::Account> for Account {
    fn from(account: wit::Account) -> Self {
        Self {
            name: account.name,
            kind: AccountKind::from_wit(account.kind),
            balance_cents: account.balance,
        }
    }
}

/// A transfer the kernel recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: String,
    pub from: String,
    pub to: String,
    /// Cents, greater than zero.
    pub amount_cents: i64,
    pub memo: String,
    pub idempotency_key: String,
    /// Unix time in milliseconds.
    pub at: i64,
}

impl From<wit::TransferRecord> for Transfer {
    fn from(transfer: wit::TransferRecord) -> Self {
        Self {
            id: transfer.id,
            from: transfer.from,
            to: transfer.to,
            amount_cents: transfer.amount,
            memo: transfer.memo,
            idempotency_key: transfer.idempotency_key,
            at: transfer.at,
        }
    }
}

/// A transfer to make: `amount_cents` from `from` to `to`, under `idempotency_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequest {
    pub from: String,
    pub to: String,
    /// Cents, greater than zero.
    pub amount_cents: i64,
    /// The same key replays the first transfer instead of moving the money twice.
    pub idempotency_key: String,
    /// A note kept with the transfer, shown in histories.
    pub memo: String,
}

impl TransferRequest {
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        amount_cents: i64,
        idempotency_key: impl Into<String>,
    ) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            amount_cents,
            idempotency_key: idempotency_key.into(),
            memo: String::new(),
        }
    }

    /// Sets the memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.memo = memo.into();
        self
    }

    /// The mistakes the kernel would refuse as [`LedgerError::Invalid`], caught before the
    /// call so that the message names the transfer: an amount outside 1 cent to
    /// [`MAX_AMOUNT_CENTS`], an account name or key that is empty, too long or has control
    /// characters, a memo above [`MAX_MEMO_BYTES`], or a transfer from an account to itself.
    pub fn check(&self) -> Result<(), LedgerError> {
        check_name(&self.from)?;
        check_name(&self.to)?;
        if self.idempotency_key.trim().is_empty() {
            return Err(LedgerError::Invalid(format!(
                "the transfer of {} cents from `{}` to `{}` has no idempotency key",
                self.amount_cents, self.from, self.to
            )));
        }
        check_text("idempotency key", &self.idempotency_key)?;
        let what = || format!("the transfer `{}`", self.idempotency_key);
        if !(1..=MAX_AMOUNT_CENTS).contains(&self.amount_cents) {
            return Err(LedgerError::Invalid(format!(
                "{}: the amount must be between 1 and {MAX_AMOUNT_CENTS} cents, not {}",
                what(),
                self.amount_cents
            )));
        }
        if self.from == self.to {
            return Err(LedgerError::Invalid(format!(
                "{}: an account cannot transfer to itself (`{}`)",
                what(),
                self.from
            )));
        }
        if self.memo.len() > MAX_MEMO_BYTES {
            return Err(LedgerError::Invalid(format!(
                "{}: the memo has {} bytes, more than {MAX_MEMO_BYTES}",
                what(),
                self.memo.len()
            )));
        }
        Ok(())
    }

    fn to_wit(&self) -> wit::TransferRequest {
        wit::TransferRequest {
            from: self.from.clone(),
            to: self.to.clone(),
            amount: self.amount_cents,
            idempotency_key: self.idempotency_key.clone(),
            memo: self.memo.clone(),
        }
    }
}

/// Whether `name` is an account name the kernel accepts: 1 to 200 bytes of text, none of them a
/// control character.
pub fn check_name(name: &str) -> Result<(), LedgerError> {
    check_text("account name", name)
}

fn check_text(what: &str, text: &str) -> Result<(), LedgerError> {
    if text.is_empty() || text.len() > MAX_NAME_BYTES || text.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "the {what} `{}` must be 1 to {MAX_NAME_BYTES} bytes of printable text",
            text.escape_debug()
        )));
    }
    Ok(())
}

/// Opens account `name` of `kind` with a zero balance, or returns it if it already exists with
/// the same kind (so opening is safe to repeat). Reopening it with the other kind is
/// [`LedgerError::Invalid`].
pub fn open(name: &str, kind: AccountKind) -> Result<Account, LedgerError> {
    check_name(name)?;
    Ok(wit::open(name, kind.to_wit())?.into())
}

/// The account `name`, if it was opened.
pub fn get(name: &str) -> Result<Option<Account>, LedgerError> {
    Ok(wit::get(name)?.map(Account::from))
}

/// The balance of account `name` in cents: [`LedgerError::UnknownAccount`] if it was never
/// opened.
pub fn balance(name: &str) -> Result<i64, LedgerError> {
    get(name)?
        .map(|account| account.balance_cents)
        .ok_or_else(|| LedgerError::UnknownAccount(format!("there is no account `{name}`")))
}

/// Accounts whose name starts with `prefix`, sorted by name, `limit` at a time from `offset`.
pub fn list(prefix: &str, limit: u32, offset: u32) -> Result<Vec<Account>, LedgerError> {
    Ok(wit::accounts(prefix, limit, offset)?
        .into_iter()
        .map(Account::from)
        .collect())
}

/// Moves money, or replays the transfer already made under the same idempotency key.
pub fn transfer(request: &TransferRequest) -> Result<Transfer, LedgerError> {
    request.check()?;
    Ok(wit::transfer(&request.to_wit())?.into())
}

/// Makes every transfer or none: if one would overdraw its account, nothing moves. Returns
/// the transfers in the order of `requests`.
pub fn transfer_all(requests: &[TransferRequest]) -> Result<Vec<Transfer>, LedgerError> {
    for request in requests {
        request.check()?;
    }
    let requests: Vec<wit::TransferRequest> =
        requests.iter().map(TransferRequest::to_wit).collect();
    Ok(wit::transfer_all(&requests)?
        .into_iter()
        .map(Transfer::from)
        .collect())
}

/// Adds `cents` to the memorandum account `account` (negative: takes them off), against
/// `counterpart`, once per idempotency `key`. A memorandum account ("conto d'ordine") holds no
/// money, only a count kept in the books beside it — what a campaign's vouchers paid for, what
/// a plan's credit booked — so a report reads one balance instead of adding up records. Both
/// are external accounts, opened the first time they are needed.
pub fn tally(
    account: &str,
    counterpart: &str,
    cents: i64,
    key: &str,
    memo: impl Into<String>,
) -> Result<Transfer, LedgerError> {
    let (from, to) = if cents >= 0 {
        (counterpart, account)
    } else {
        (account, counterpart)
    };
    let request = TransferRequest::new(from, to, cents.saturating_abs(), key).memo(memo);
    match transfer(&request) {
        Err(LedgerError::UnknownAccount(_)) => {
            open(counterpart, AccountKind::External)?;
            open(account, AccountKind::External)?;
            transfer(&request)
        }
        other => other,
    }
}

/// Transfers into or out of account `name`, newest first, `limit` at a time from `offset`.
pub fn history(name: &str, limit: u32, offset: u32) -> Result<Vec<Transfer>, LedgerError> {
    Ok(wit::history(name, limit, offset)?
        .into_iter()
        .map(Transfer::from)
        .collect())
}

/// A funded account offered to the person whose credit it is, as a purse of their welfare
/// wallet (host API 1.10; see [`crate::wallet`]). The money stays in this plugin's books; the
/// offer says who may spend it, on which categories of the instance's catalogue, and on which
/// days. A plugin granted `wallet` then draws on it only in a call made by that person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurseOffer {
    /// The funded account that holds the credit.
    pub account: String,
    /// The account id of the person whose credit it is.
    pub holder: String,
    /// What the person reads on their wallet page (`Buono spesa · Comune di Monteserra`).
    pub label: String,
    /// The catalogue categories it may pay for; empty: any.
    pub categories: Vec<String>,
    /// First and last day it may be spent, `YYYY-MM-DD` in the instance's zone.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// Offers `offer.account` as a purse to `offer.holder`, or updates the offer; offering an
/// account again after [`withdraw`] offers it anew. Safe to repeat.
pub fn offer(offer: &PurseOffer) -> Result<(), LedgerError> {
    check_name(&offer.account)?;
    wit::offer(&wit::PurseOffer {
        account: offer.account.clone(),
        holder: offer.holder.clone(),
        label: offer.label.clone(),
        categories: offer.categories.clone(),
        valid_from: offer.valid_from.clone(),
        valid_until: offer.valid_until.clone(),
    })?;
    Ok(())
}

/// Stops offering `account`: no plugin draws on it any more (a voucher revoked or lapsed);
/// what it holds stays in this plugin's books.
pub fn withdraw(account: &str) -> Result<(), LedgerError> {
    check_name(account)?;
    Ok(wit::withdraw(account)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_errors_map_to_the_status_the_user_should_see() {
        let cases = [
            (LedgerError::InsufficientFunds("f".into()), 409),
            (LedgerError::Conflict("c".into()), 409),
            (LedgerError::UnknownAccount("u".into()), 404),
            (LedgerError::Invalid("i".into()), 500),
            (LedgerError::Internal("d".into()), 500),
        ];
        for (err, status) in cases {
            assert_eq!(Error::from(err).status(), status);
        }
    }

    #[test]
    fn insufficient_funds_says_that_nothing_moved() {
        let err = Error::from(LedgerError::InsufficientFunds(
            "`voucher/X` holds 300 cents".into(),
        ));
        assert_eq!(
            err.message(),
            "there is not enough money for this, so nothing was moved: `voucher/X` holds 300 cents"
        );
    }

    #[test]
    fn transfers_the_kernel_would_refuse_are_caught_with_a_clear_message() {
        let ok = TransferRequest::new("a", "b", 1, "k");
        assert_eq!(ok.check(), Ok(()));
        let zero = TransferRequest::new("a", "b", 0, "k");
        assert!(
            matches!(zero.check(), Err(LedgerError::Invalid(m)) if m.contains("between 1 and 10000000000000 cents, not 0"))
        );
        let huge = TransferRequest::new("a", "b", MAX_AMOUNT_CENTS + 1, "k");
        assert!(huge.check().is_err());
        let chatty = TransferRequest::new("a", "b", 5, "k").memo("m".repeat(MAX_MEMO_BYTES + 1));
        assert!(matches!(chatty.check(), Err(LedgerError::Invalid(m)) if m.contains("memo")));
        let keyless = TransferRequest::new("a", "b", 5, " ");
        assert!(
            matches!(keyless.check(), Err(LedgerError::Invalid(m)) if m.contains("no idempotency key"))
        );
        let to_itself = TransferRequest::new("a", "a", 5, "k");
        assert!(matches!(to_itself.check(), Err(LedgerError::Invalid(m)) if m.contains("itself")));
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(
            TransferRequest::new(long.as_str(), "b", 5, "k")
                .check()
                .is_err()
        );
        assert!(
            TransferRequest::new("a", "b", 5, long.as_str())
                .check()
                .is_err()
        );
        assert!(check_name(&"x".repeat(MAX_NAME_BYTES)).is_ok());
        // 100 two-byte characters are 200 bytes; 101 are too many.
        assert!(check_name(&"è".repeat(100)).is_ok());
        assert!(check_name(&"è".repeat(101)).is_err());
        assert!(check_name("bad\nname").is_err());
        assert!(check_name("").is_err());
    }

    #[test]
    fn the_memo_is_optional_and_kept() {
        let request = TransferRequest::new("funding", "budget", 100, "fund/1").memo("budget");
        assert_eq!(request.memo, "budget");
        assert_eq!(request.to_wit().amount, 100);
        assert_eq!(request.to_wit().memo, "budget");
    }

    #[test]
    fn accounts_and_transfers_serialize_with_cents_and_lowercase_kinds() {
        let account = Account {
            name: "voucher/ABC".into(),
            kind: AccountKind::Funded,
            balance_cents: 5000,
        };
        assert_eq!(
            serde_json::to_value(&account).ok(),
            Some(
                serde_json::json!({"name": "voucher/ABC", "kind": "funded", "balance_cents": 5000})
            )
        );
    }
}
