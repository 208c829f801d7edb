//! Charges: drawing a holder's purses for one booking, and paying them back when its price goes
//! down. Everything here runs inside the calling plugin's transaction, each charge in a
//! savepoint, so a charge that cannot finish (the receiving account was never opened) leaves no
//! draw behind.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::tell::{DRAWN, Moved};
use super::{Purse, Wallet, WalletError, clearing_account};
use crate::db::sql;
use crate::ledger::{AccountKind, LedgerError, MAX_AMOUNT_CENTS, TransferRequest};

/// Longest charge key and memo, in bytes.
const MAX_KEY_BYTES: usize = 150;
const MAX_MEMO_BYTES: usize = 500;
/// How many times one purse is read again when a concurrent charge emptied it between the read
/// and the debit; each retry sees a smaller balance, so this bounds nothing that matters.
const RACE_RETRIES: usize = 5;

/// What a plugin asks: see `wallet.charge-request` in `wit/plugin.wit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub category: String,
    pub amount: i64,
    pub owners: Vec<String>,
    pub to: String,
    pub key: String,
    pub memo: String,
}

/// What one purse paid of a charge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Draw {
    pub owner: String,
    pub account: String,
    pub label: String,
    /// Cents, what was paid back already taken off.
    pub amount: i64,
}

/// A charge as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Charge {
    /// The plugin that charged.
    pub charger: String,
    pub key: String,
    pub holder: String,
    pub category: String,
    /// The price in cents, after any reprice.
    pub amount: i64,
    pub drawn: Vec<Draw>,
    /// What the person pays directly.
    pub uncovered: i64,
    pub memo: String,
    pub at: i64,
}

fn check(request: &ChargeRequest) -> Result<(), WalletError> {
    if request.amount <= 0 || request.amount > MAX_AMOUNT_CENTS {
        return Err(WalletError::Invalid(format!(
            "amount {} cents must be between 1 and {MAX_AMOUNT_CENTS}",
            request.amount
        )));
    }
    check_key(&request.key)?;
    if request.memo.len() > MAX_MEMO_BYTES || request.memo.chars().any(char::is_control) {
        return Err(WalletError::Invalid(format!(
            "the memo of charge `{}` must be at most {MAX_MEMO_BYTES} bytes of printable text",
            request.key
        )));
    }
    if request.category.trim().is_empty() {
        return Err(WalletError::Invalid(format!(
            "charge `{}` names no category",
            request.key
        )));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), WalletError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES || key.chars().any(char::is_control) {
        return Err(WalletError::Invalid(format!(
            "a charge key must be 1 to {MAX_KEY_BYTES} bytes of printable text, not `{}`",
            key.escape_debug()
        )));
    }
    Ok(())
}

/// How much of `amount` each purse pays, in order, with the balances as read: the plan a quote
/// shows and a charge starts from.
fn plan(purses: &[Purse], amount: i64) -> Vec<(&Purse, i64)> {
    let mut left = amount;
    let mut plan = Vec::new();
    for purse in purses {
        if left == 0 {
            break;
        }
        let take = purse.balance.min(left);
        if take > 0 {
            plan.push((purse, take));
            left -= take;
        }
    }
    plan
}

impl Wallet {
    /// What charging `request` to `holder` would draw now, moving nothing.
    pub async fn quote(
        &self,
        conn: &impl ConnectionTrait,
        charger: &str,
        holder: &str,
        request: &ChargeRequest,
        today: &str,
    ) -> Result<Charge, WalletError> {
        check(request)?;
        let purses = self
            .spendable(
                conn,
                holder,
                &request.owners,
                Some(&request.category),
                today,
            )
            .await?;
        let drawn: Vec<Draw> = plan(&purses, request.amount)
            .into_iter()
            .map(|(purse, amount)| Draw {
                owner: purse.owner.clone(),
                account: purse.account.clone(),
                label: purse.label.clone(),
                amount,
            })
            .collect();
        let covered: i64 = drawn.iter().map(|d| d.amount).sum();
        Ok(Charge {
            charger: charger.to_owned(),
            key: request.key.clone(),
            holder: holder.to_owned(),
            category: request.category.clone(),
            amount: request.amount,
            drawn,
            uncovered: request.amount - covered,
            memo: request.memo.clone(),
            at: crate::clock::now_ms(),
        })
    }

    /// Draws `holder`'s purses for `request` on behalf of `charger`, in `txn`. Replaying a key
    /// returns the charge it recorded; the same key for another holder, category or amount is
    /// a conflict.
    pub async fn charge_in(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        charger: &str,
        holder: &str,
        request: &ChargeRequest,
        today: &str,
    ) -> Result<Charge, WalletError> {
        check(request)?;
        if let Some(previous) = self.recorded(txn, charger, &request.key).await? {
            let asked = self.asked(txn, charger, &request.key).await?;
            return if previous.holder == holder
                && previous.category == request.category
                && asked == request.amount
            {
                Ok(previous)
            } else {
                Err(WalletError::Conflict(format!(
                    "charge key `{}` was already used for another charge",
                    request.key
                )))
            };
        }
        match self.books(charger).get_in(txn, &request.to).await? {
            Some(account) if account.kind == AccountKind::Funded => {}
            Some(_) => {
                return Err(WalletError::Invalid(format!(
                    "`{}` is external: a charge is paid into a funded account",
                    request.to
                )));
            }
            None => return Err(WalletError::UnknownAccount(request.to.clone())),
        }
        crate::db::savepoint(txn, async |txn| {
            self.draw_all(txn, call, charger, holder, request, today)
                .await
        })
        .await?;
        self.recorded(txn, charger, &request.key)
            .await?
            .ok_or_else(|| WalletError::Internal("a charge vanished".into()))
    }

    async fn draw_all(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        charger: &str,
        holder: &str,
        request: &ChargeRequest,
        today: &str,
    ) -> Result<(), WalletError> {
        let purses = self
            .spendable(txn, holder, &request.owners, Some(&request.category), today)
            .await?;
        let mut left = request.amount;
        let mut draws: Vec<(Purse, i64, bool)> = Vec::new();
        let drawing = Drawing {
            call,
            charger,
            key: &request.key,
            to: &request.to,
            category: &request.category,
        };
        for purse in purses {
            if left == 0 {
                break;
            }
            let (took, told) = drawing.draw(self, txn, &purse, left, draws.len()).await?;
            if took > 0 {
                left -= took;
                draws.push((purse, took, told));
            }
        }
        let backend = self.db.backend();
        let values: Vec<Value> = vec![
            self.instance.clone().into(),
            charger.into(),
            request.key.clone().into(),
            holder.into(),
            request.category.clone().into(),
            request.amount.into(),
            request.amount.into(),
            left.into(),
            request.to.clone().into(),
            request.memo.clone().into(),
            crate::clock::now_ms().into(),
            call.into(),
        ];
        txn.execute_raw(sql::stmt(
            backend,
            "INSERT INTO wallet_charges (instance, charger, charge_key, holder, category, asked, amount, \
             uncovered, receiving, memo, at, call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        ))
        .await
        .map_err(|err| {
            if sql::is_unique_violation(&err) {
                WalletError::Conflict(format!(
                    "charge `{}` was recorded meanwhile by another call",
                    request.key
                ))
            } else {
                err.into()
            }
        })?;
        for (seq, (purse, took, told)) in draws.iter().enumerate() {
            let values: Vec<Value> = vec![
                self.instance.clone().into(),
                charger.into(),
                request.key.clone().into(),
                i64::try_from(seq).unwrap_or(i64::MAX).into(),
                purse.owner.clone().into(),
                purse.account.clone().into(),
                (*took).into(),
                i64::from(*told).into(),
            ];
            txn.execute_raw(sql::stmt(
                backend,
                "INSERT INTO wallet_draws (instance, charger, charge_key, seq, owner, account, drawn, refunded, told) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                values,
            ))
            .await?;
        }
        Ok(())
    }
}

/// One charge being drawn: who, under which key, into which account, for what.
struct Drawing<'a> {
    call: Option<&'a str>,
    charger: &'a str,
    key: &'a str,
    to: &'a str,
    category: &'a str,
}

impl Drawing<'_> {
    /// Moves up to `wanted` cents from `purse` to the charger's receiving account, whatever the
    /// purse holds at the moment of the debit: a concurrent charge that emptied it in between
    /// makes the ledger refuse, and the purse is read again. Returns the cents moved and
    /// whether the owner was told.
    async fn draw(
        &self,
        wallet: &Wallet,
        txn: &DatabaseTransaction,
        purse: &Purse,
        wanted: i64,
        seq: usize,
    ) -> Result<(i64, bool), WalletError> {
        let Drawing {
            call,
            charger,
            key,
            to,
            category,
        } = *self;
        let owner_books = wallet.books(&purse.owner);
        let charger_books = wallet.books(charger);
        owner_books
            .open_kernel_in(txn, &clearing_account(charger), AccountKind::External)
            .await?;
        charger_books
            .open_kernel_in(txn, &clearing_account(&purse.owner), AccountKind::External)
            .await?;
        let mut balance = purse.balance;
        for _ in 0..RACE_RETRIES {
            let take = balance.min(wanted);
            if take <= 0 {
                return Ok((0, false));
            }
            let entry = format!("~wallet/{charger}/{key}/{seq}");
            let out = TransferRequest {
                from: purse.account.clone(),
                to: clearing_account(charger),
                amount: take,
                idempotency_key: entry.clone(),
                memo: format!("wallet: {charger} {key}"),
            };
            match owner_books.transfer_kernel_in(txn, call, vec![out]).await {
                Ok(_) => {
                    let into = TransferRequest {
                        from: clearing_account(&purse.owner),
                        to: to.to_owned(),
                        amount: take,
                        idempotency_key: format!("~wallet/{}/{key}/{seq}", purse.owner),
                        memo: format!("wallet: {} {}", purse.owner, purse.account),
                    };
                    charger_books
                        .transfer_kernel_in(txn, call, vec![into])
                        .await?;
                    let moved = Moved {
                        account: &purse.account,
                        amount_cents: take,
                        charger,
                        charge: key,
                        category,
                        entry: &entry,
                    };
                    let told = wallet.tell(txn, call, &purse.owner, DRAWN, &moved).await?;
                    return Ok((take, told));
                }
                Err(LedgerError::InsufficientFunds(_)) => {
                    balance = owner_books
                        .get_in(txn, &purse.account)
                        .await?
                        .map_or(0, |a| a.balance);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(WalletError::Internal(format!(
            "purse `{}` kept changing under concurrent charges",
            purse.account
        )))
    }
}
