//! Applying approved proposals, one at a time per instance across every node.
//!
//! A node *claims* an approved proposal before it builds the instance with it, and only one
//! proposal of an instance may be claimed at a time: building runs install and upgrade hooks,
//! so a proposal must never be found out of date after its hooks ran. The claim lasts until a
//! deadline (a node that dies leaves it to the others) and is also the token that proves the
//! claim is still this node's when it finishes or gives up. Finishing is conditional too: on the
//! generation the proposal was re-checked against, so that a claim taken over after it ran out
//! cannot put a proposal in effect over a change it was not checked against.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde_json::Value as Json;

use super::Board;
use crate::db::sql;

/// A node's hold on the proposal it is applying: the deadline it claimed it until, which no
/// other claim of the same proposal can share (another node takes over only after it passed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim(i64);

/// How finishing an applied proposal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// In effect, numbered after every proposal before it; the instance's generation now.
    Applied { generation: (i64, i64) },
    /// Another proposal was applied since the re-check (possible only once a claim ran out and
    /// was taken over): give the claim back and check again against the new overlay.
    Stale,
    /// The claim ran out and another node took the proposal over.
    ClaimLost,
}

impl Board {
    /// Claims approved proposal `number` for applying until `until` (Unix ms), taking over a
    /// claim that ran out — unless another proposal of the instance is being applied under a
    /// live claim. `None`: someone else holds it, another proposal goes first, or it is no
    /// longer to apply.
    pub async fn claim_apply(&self, number: i64, until: i64) -> Result<Option<Claim>, DbErr> {
        let write = self.db.begin_owned_write().await?;
        let txn = write.txn();
        self.serialise(txn).await?;
        let now = crate::clock::now_ms();
        let done = txn
            .execute_raw(sql::stmt(
                self.db.backend(),
                "UPDATE proposals SET status = 'applying', claimed_until = ? \
                 WHERE instance = ? AND number = ? \
                 AND (status = 'approved' OR (status = 'applying' AND claimed_until < ?)) \
                 AND NOT EXISTS (SELECT 1 FROM proposals q WHERE q.instance = ? \
                   AND q.status = 'applying' AND q.claimed_until >= ? AND q.number <> ?)",
                vec![
                    until.into(),
                    self.id(),
                    number.into(),
                    now.into(),
                    self.id(),
                    now.into(),
                    number.into(),
                ],
            ))
            .await?;
        if done.rows_affected() != 1 {
            write.rollback().await?;
            return Ok(None);
        }
        write.commit().await?;
        Ok(Some(Claim(until)))
    }

    /// Records that claimed proposal `number` is in effect, numbering it after every proposal
    /// applied before, so the overlay keeps the order they took effect in whatever the clocks
    /// of the nodes say — but only while `claim` is still this node's, and only if no other
    /// proposal was applied since `checked` (the [`Board::generation`] it was re-checked
    /// against).
    pub async fn finish_applied(
        &self,
        number: i64,
        outcome: &Json,
        checked: (i64, i64),
        claim: Claim,
    ) -> Result<Finish, DbErr> {
        let write = self.db.begin_owned_write().await?;
        let txn = write.txn();
        self.serialise(txn).await?;
        if !self.holds(txn, number, claim).await? {
            write.rollback().await?;
            return Ok(Finish::ClaimLost);
        }
        let row = txn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT COUNT(CASE WHEN status = 'applied' AND kind <> 'allocate' THEN 1 END) AS applied, \
                 COALESCE(MAX(CASE WHEN status = 'applied' THEN applied_seq END), 0) AS latest, \
                 COALESCE(MAX(applied_seq), 0) AS highest FROM proposals WHERE instance = ?",
                vec![self.id()],
            ))
            .await?;
        let (applied, latest, highest): (i64, i64, i64) = match row {
            Some(row) => (
                row.try_get("", "applied")?,
                row.try_get("", "latest")?,
                row.try_get("", "highest")?,
            ),
            None => (0, 0, 0),
        };
        if latest != checked.1 {
            write.rollback().await?;
            return Ok(Finish::Stale);
        }
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "UPDATE proposals SET status = 'applied', decided_at = ?, outcome = ?, \
             applied_seq = ? WHERE instance = ? AND number = ? AND status = 'applying' \
             AND claimed_until = ?",
            vec![
                crate::clock::now_ms().into(),
                outcome.to_string().into(),
                (highest + 1).into(),
                self.id(),
                number.into(),
                claim.0.into(),
            ],
        ))
        .await?;
        write.commit().await?;
        Ok(Finish::Applied {
            generation: (applied + 1, highest + 1),
        })
    }

    /// Records that claimed allocation `number` is done: applied, but outside the overlay and
    /// its generation (it moved money, not configuration, so no node needs to rebuild);
    /// `false` if the claim is no longer this node's.
    pub async fn finish_allocated(
        &self,
        number: i64,
        outcome: &Json,
        claim: Claim,
    ) -> Result<bool, DbErr> {
        self.update_one(
            "UPDATE proposals SET status = 'applied', decided_at = ?, outcome = ? \
             WHERE instance = ? AND number = ? AND status = 'applying' AND claimed_until = ?",
            vec![
                crate::clock::now_ms().into(),
                outcome.to_string().into(),
                self.id(),
                number.into(),
                claim.0.into(),
            ],
        )
        .await
    }

    /// Records that claimed proposal `number` could not be applied, with `outcome` saying why;
    /// `false` if the claim is no longer this node's.
    pub async fn fail_applying(
        &self,
        number: i64,
        outcome: &Json,
        claim: Claim,
    ) -> Result<bool, DbErr> {
        self.update_one(
            "UPDATE proposals SET status = 'failed', decided_at = ?, outcome = ? \
             WHERE instance = ? AND number = ? AND status = 'applying' AND claimed_until = ?",
            vec![
                crate::clock::now_ms().into(),
                outcome.to_string().into(),
                self.id(),
                number.into(),
                claim.0.into(),
            ],
        )
        .await
    }

    /// Gives the claim on proposal `number` back: it is approved again, for whichever node
    /// looks next, with its decision left as it was. `false` if the claim was no longer ours.
    pub async fn release_claim(&self, number: i64, claim: Claim) -> Result<bool, DbErr> {
        self.update_one(
            "UPDATE proposals SET status = 'approved', claimed_until = NULL \
             WHERE instance = ? AND number = ? AND status = 'applying' AND claimed_until = ?",
            vec![self.id(), number.into(), claim.0.into()],
        )
        .await
    }

    /// Whether `claim` on proposal `number` is still the live one.
    async fn holds(
        &self,
        txn: &DatabaseTransaction,
        number: i64,
        claim: Claim,
    ) -> Result<bool, DbErr> {
        let row = txn
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT 1 AS held FROM proposals WHERE instance = ? AND number = ? \
                 AND status = 'applying' AND claimed_until = ?",
                vec![self.id(), number.into(), claim.0.into()],
            ))
            .await?;
        Ok(row.is_some())
    }

    /// Makes claims and finishes of this instance's proposals wait for each other, so each
    /// one's conditions read what the one before committed: PostgreSQL's READ COMMITTED would
    /// otherwise let two both pass (SQLite's single writer already serialises them).
    async fn serialise(&self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if self.db.backend() == sea_orm::DbBackend::Postgres {
            txn.execute_raw(sql::stmt(
                self.db.backend(),
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                vec![format!("trama-proposals:{}", self.instance).into()],
            ))
            .await?;
        }
        Ok(())
    }
}
