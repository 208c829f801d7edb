//! What the person's wallet page shows: every purse offered to them and what was charged to
//! them, newest first, with the totals a person checks first.

use sea_orm::ConnectionTrait;

use super::charge::Charge;
use super::{Purse, Wallet, WalletError};
use crate::db::sql;

/// Most charges the page lists.
pub const MOVEMENTS_SHOWN: u32 = 100;

/// One charge as the person reads it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Movement {
    pub charge: Charge,
    /// What the purses paid of it.
    pub from_credit: i64,
}

/// A person's wallet.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Purses that can be spent today, then the others (lapsed, withdrawn, not yet open, empty).
    pub usable: Vec<Purse>,
    pub other: Vec<Purse>,
    /// What the usable purses hold, in cents.
    pub available: i64,
    pub movements: Vec<Movement>,
    /// Over the movements listed: what credits paid and what the person paid directly.
    pub paid_by_credit: i64,
    pub paid_directly: i64,
}

impl Wallet {
    /// The wallet of `holder` on `today` (`YYYY-MM-DD`, the instance's zone).
    pub async fn summary(
        &self,
        conn: &impl ConnectionTrait,
        holder: &str,
        today: &str,
    ) -> Result<Summary, WalletError> {
        let (usable, other): (Vec<Purse>, Vec<Purse>) = self
            .purses_of(conn, holder)
            .await?
            .into_iter()
            .partition(|p| p.open_on(today) && p.balance > 0);
        let available = usable.iter().map(|p| p.balance).sum();
        let rows = conn
            .query_all_raw(sql::stmt(
                self.db.backend(),
                "SELECT charger, charge_key FROM wallet_charges WHERE instance = ? AND holder = ? \
                 ORDER BY at DESC, charge_key DESC LIMIT ?",
                vec![
                    self.instance.clone().into(),
                    holder.into(),
                    i64::from(MOVEMENTS_SHOWN).into(),
                ],
            ))
            .await?;
        let mut movements = Vec::with_capacity(rows.len());
        for row in rows {
            let charger: String = row.try_get("", "charger")?;
            let key: String = row.try_get("", "charge_key")?;
            if let Some(charge) = self.recorded(conn, &charger, &key).await? {
                let from_credit = charge.drawn.iter().map(|d| d.amount).sum();
                movements.push(Movement {
                    charge,
                    from_credit,
                });
            }
        }
        let paid_by_credit = movements.iter().map(|m| m.from_credit).sum();
        let paid_directly = movements.iter().map(|m| m.charge.uncovered).sum();
        Ok(Summary {
            usable,
            other,
            available,
            movements,
            paid_by_credit,
            paid_directly,
        })
    }
}
