//! Charges as recorded: reading them back, and lowering their price (paying purses back).

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::charge::{Charge, Draw};
use super::tell::{Moved, REPAID};
use super::{Wallet, WalletError, clearing_account};
use crate::db::sql;
use crate::ledger::TransferRequest;

/// One draw as stored, with what was paid back of it.
struct Stored {
    seq: i64,
    owner: String,
    account: String,
    drawn: i64,
    refunded: i64,
    /// The owner was told of the draw, and so is told of what comes back.
    told: bool,
}

impl Wallet {
    /// The charge `charger` recorded under `key`, with its draws net of what was paid back.
    pub async fn recorded(
        &self,
        conn: &impl ConnectionTrait,
        charger: &str,
        key: &str,
    ) -> Result<Option<Charge>, WalletError> {
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT holder, category, amount, uncovered, memo, at FROM wallet_charges \
                 WHERE instance = ? AND charger = ? AND charge_key = ?",
                self.key_values(charger, key),
            ))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut drawn = Vec::new();
        for stored in self.draws(conn, charger, key).await? {
            let amount = stored.drawn - stored.refunded;
            if amount > 0 {
                drawn.push(Draw {
                    label: self.label(conn, &stored.owner, &stored.account).await?,
                    owner: stored.owner,
                    account: stored.account,
                    amount,
                });
            }
        }
        Ok(Some(Charge {
            charger: charger.to_owned(),
            key: key.to_owned(),
            holder: row.try_get("", "holder")?,
            category: row.try_get("", "category")?,
            amount: row.try_get("", "amount")?,
            drawn,
            uncovered: row.try_get("", "uncovered")?,
            memo: row.try_get("", "memo")?,
            at: row.try_get("", "at")?,
        }))
    }

    /// The amount first asked under `key` (a replay is compared with it, not with a reprice).
    pub(super) async fn asked(
        &self,
        conn: &impl ConnectionTrait,
        charger: &str,
        key: &str,
    ) -> Result<i64, WalletError> {
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT asked FROM wallet_charges WHERE instance = ? AND charger = ? AND charge_key = ?",
                self.key_values(charger, key),
            ))
            .await?;
        Ok(row
            .map(|row| row.try_get("", "asked"))
            .transpose()?
            .unwrap_or(0))
    }

    fn key_values(&self, charger: &str, key: &str) -> Vec<Value> {
        vec![self.instance.clone().into(), charger.into(), key.into()]
    }

    async fn draws(
        &self,
        conn: &impl ConnectionTrait,
        charger: &str,
        key: &str,
    ) -> Result<Vec<Stored>, WalletError> {
        let rows = conn
            .query_all_raw(sql::stmt(
                self.db.backend(),
                "SELECT seq, owner, account, drawn, refunded, told FROM wallet_draws \
                 WHERE instance = ? AND charger = ? AND charge_key = ? ORDER BY seq",
                self.key_values(charger, key),
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Stored {
                    seq: row.try_get("", "seq")?,
                    owner: row.try_get("", "owner")?,
                    account: row.try_get("", "account")?,
                    drawn: row.try_get("", "drawn")?,
                    refunded: row.try_get("", "refunded")?,
                    told: row.try_get::<i64>("", "told")? != 0,
                })
            })
            .collect()
    }

    /// The label of a purse, as its owner last offered it.
    async fn label(
        &self,
        conn: &impl ConnectionTrait,
        owner: &str,
        account: &str,
    ) -> Result<String, WalletError> {
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT label FROM wallet_purses WHERE instance = ? AND owner = ? AND account = ?",
                vec![self.instance.clone().into(), owner.into(), account.into()],
            ))
            .await?;
        Ok(row
            .map(|row| row.try_get("", "label"))
            .transpose()?
            .unwrap_or_else(|| account.to_owned()))
    }

    /// Lowers charge `key` of `charger` to `amount` cents: first what the person pays directly,
    /// then the purses are paid back, the last drawn first. A price never goes up after the
    /// charge: that would spend the person's credit without their call.
    pub async fn reprice_in(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        charger: &str,
        key: &str,
        amount: i64,
    ) -> Result<Charge, WalletError> {
        // Taken first so that two calls repricing one charge (or more nodes) pay back in turn,
        // each reading what the other paid back.
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "UPDATE wallet_charges SET amount = amount WHERE instance = ? AND charger = ? AND charge_key = ?",
            self.key_values(charger, key),
        ))
        .await?;
        let Some(charge) = self.recorded(txn, charger, key).await? else {
            return Err(WalletError::Invalid(format!(
                "no charge is recorded under `{}`",
                key.escape_debug()
            )));
        };
        if amount < 0 || amount > charge.amount {
            return Err(WalletError::Invalid(format!(
                "charge `{key}` can only go down, from {} cents to between 0 and {0}, not {amount}",
                charge.amount
            )));
        }
        if amount == charge.amount {
            return Ok(charge);
        }
        let receiving = self.receiving(txn, charger, key).await?;
        let cut = charge.amount - amount;
        let from_person = cut.min(charge.uncovered);
        let mut back = cut - from_person;
        crate::db::savepoint(txn, async |txn| {
            let mut stored = self.draws(txn, charger, key).await?;
            stored.reverse();
            for draw in stored {
                if back == 0 {
                    break;
                }
                let give = (draw.drawn - draw.refunded).min(back);
                if give <= 0 {
                    continue;
                }
                self.pay_back(txn, call, charger, key, &receiving, &draw, give)
                    .await?;
                if draw.told {
                    let entry = format!(
                        "~wallet/{charger}/{key}/{}/back/{}",
                        draw.seq, draw.refunded
                    );
                    let moved = Moved {
                        account: &draw.account,
                        amount_cents: give,
                        charger,
                        charge: key,
                        category: &charge.category,
                        entry: &entry,
                    };
                    self.tell(txn, call, &draw.owner, REPAID, &moved).await?;
                }
                back -= give;
            }
            let mut values = vec![amount.into(), from_person.into()];
            values.extend(self.key_values(charger, key));
            txn.execute_raw(sql::stmt(
                self.db.backend(),
                "UPDATE wallet_charges SET amount = ?, uncovered = uncovered - ? \
                 WHERE instance = ? AND charger = ? AND charge_key = ?",
                values,
            ))
            .await?;
            Ok::<(), WalletError>(())
        })
        .await?;
        self.recorded(txn, charger, key)
            .await?
            .ok_or_else(|| WalletError::Internal("a charge vanished".into()))
    }

    async fn receiving(
        &self,
        conn: &impl ConnectionTrait,
        charger: &str,
        key: &str,
    ) -> Result<String, WalletError> {
        let row = conn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT receiving FROM wallet_charges WHERE instance = ? AND charger = ? AND charge_key = ?",
                self.key_values(charger, key),
            ))
            .await?
            .ok_or_else(|| WalletError::Internal("a charge vanished".into()))?;
        Ok(row.try_get("", "receiving")?)
    }

    /// Pays `give` cents of `draw` back: out of the charger's receiving account into its
    /// clearing account, and in the owner's books back into the purse. Keyed by what was paid
    /// back before, so each payment back is its own transfer.
    #[allow(clippy::too_many_arguments)]
    async fn pay_back(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        charger: &str,
        key: &str,
        receiving: &str,
        draw: &Stored,
        give: i64,
    ) -> Result<(), WalletError> {
        let seq = draw.seq;
        let before = draw.refunded;
        let out = TransferRequest {
            from: receiving.to_owned(),
            to: clearing_account(&draw.owner),
            amount: give,
            idempotency_key: format!("~wallet/{}/{key}/{seq}/back/{before}", draw.owner),
            memo: format!("wallet: paid back to {} {}", draw.owner, draw.account),
        };
        self.books(charger)
            .transfer_kernel_in(txn, call, vec![out])
            .await
            .map_err(|err| match err {
                crate::ledger::LedgerError::InsufficientFunds(m) => WalletError::Invalid(format!(
                    "what charge `{key}` paid has already left `{receiving}`: {m}"
                )),
                other => other.into(),
            })?;
        let into = TransferRequest {
            from: clearing_account(charger),
            to: draw.account.clone(),
            amount: give,
            idempotency_key: format!("~wallet/{charger}/{key}/{seq}/back/{before}"),
            memo: format!("wallet: paid back by {charger} {key}"),
        };
        self.books(&draw.owner)
            .transfer_kernel_in(txn, call, vec![into])
            .await?;
        let mut values = vec![give.into()];
        values.extend(self.key_values(charger, key));
        values.push(seq.into());
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "UPDATE wallet_draws SET refunded = refunded + ? \
             WHERE instance = ? AND charger = ? AND charge_key = ? AND seq = ?",
            values,
        ))
        .await?;
        Ok(())
    }
}
