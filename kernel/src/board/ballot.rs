//! Casting a vote and deciding a proposal, each in one transaction that holds the proposal:
//! a vote is stored only while the proposal is open, and the tally that decides it counts
//! every vote stored before the decision — whatever the number of voters and nodes racing. The
//! audit entries of the vote and of the decision are written in that transaction too.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use serde_json::{Value as Json, json};
use trama_manifest::Governance;

use super::tally::{Tally, Verdict};
use super::{Board, Choice, Member, Status, count};
use crate::db::sql;

/// What casting a vote did.
#[derive(Debug, Clone, PartialEq)]
pub enum Cast {
    /// The proposal was decided, or its window closed, before the vote: nothing stored.
    Closed,
    /// The member had voted already: nothing stored.
    AlreadyVoted,
    /// Stored; `decided` when this vote settled the proposal.
    Counted { decided: Option<Decision> },
}

/// A proposal's decision as taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub tally: Tally,
    /// What is stored as the proposal's outcome.
    pub outcome: Json,
}

impl Board {
    /// Stores `member`'s vote on proposal `number` if it is still open at `now` and, in the
    /// same transaction, decides it if the votes now settle it under `rules`; `voted` is the
    /// vote's audit entry.
    pub async fn cast(
        &self,
        number: i64,
        member: &Member,
        choice: Choice,
        now: i64,
        rules: &Governance,
        voted: crate::audit::Entry,
    ) -> Result<Cast, DbErr> {
        let write = self.db.begin_owned_write().await?;
        let txn = write.txn();
        match self.hold_open(txn, number).await? {
            Some(closes_at) if now < closes_at => {}
            _ => {
                write.rollback().await?;
                return Ok(Cast::Closed);
            }
        }
        let stored = txn
            .execute_raw(sql::stmt(
                self.db.backend(),
                "INSERT INTO proposal_votes (instance, number, user_id, organisation, choice, cast_at) \
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (instance, number, user_id) DO NOTHING",
                vec![
                    self.id(),
                    number.into(),
                    member.user_id.clone().into(),
                    member.organisation.clone().into(),
                    choice.as_str().into(),
                    now.into(),
                ],
            ))
            .await?;
        if stored.rows_affected() == 0 {
            write.rollback().await?;
            return Ok(Cast::AlreadyVoted);
        }
        crate::audit::append_in(txn, &self.instance, vec![voted]).await?;
        let decided = self.decide_in(txn, number, rules, false, now).await?;
        write.commit().await?;
        Ok(Cast::Counted { decided })
    }

    /// Decides proposal `number` if it is open and its votes settle it (or, once `closed`,
    /// whatever they are), in one transaction with the tally; `None` if it stays open or was
    /// decided already.
    pub async fn settle(
        &self,
        number: i64,
        rules: &Governance,
        closed: bool,
        now: i64,
    ) -> Result<Option<Decision>, DbErr> {
        let write = self.db.begin_owned_write().await?;
        if self.hold_open(write.txn(), number).await?.is_none() {
            write.rollback().await?;
            return Ok(None);
        }
        let decided = self
            .decide_in(write.txn(), number, rules, closed, now)
            .await?;
        write.commit().await?;
        Ok(decided)
    }

    /// Holds proposal `number` until `txn` ends (a row lock on PostgreSQL; on SQLite the write
    /// transaction already excludes every other writer) and returns when it closes, if open.
    async fn hold_open(
        &self,
        txn: &DatabaseTransaction,
        number: i64,
    ) -> Result<Option<i64>, DbErr> {
        let backend = self.db.backend();
        let lock = if backend == sea_orm::DbBackend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = txn
            .query_one_raw(sql::stmt(
                backend,
                &format!(
                    "SELECT status, closes_at FROM proposals WHERE instance = ? AND number = ?{lock}"
                ),
                vec![self.id(), number.into()],
            ))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let status: String = row.try_get("", "status")?;
        if status != Status::Open.as_str() {
            return Ok(None);
        }
        Ok(Some(row.try_get("", "closes_at")?))
    }

    async fn decide_in(
        &self,
        txn: &DatabaseTransaction,
        number: i64,
        rules: &Governance,
        closed: bool,
        now: i64,
    ) -> Result<Option<Decision>, DbErr> {
        let members = self.members_in(txn).await?;
        // A member who lost their seat while the vote was open no longer counts, nor does
        // their vote: the table decides as it is seated when it decides.
        let seated: std::collections::HashSet<&str> = members
            .iter()
            .map(|member| member.user_id.as_str())
            .collect();
        let votes: Vec<_> = self
            .votes_in(txn, number)
            .await?
            .into_iter()
            .filter(|vote| seated.contains(vote.user_id.as_str()))
            .collect();
        let tally = count(members.len() as u64, &votes);
        let Some(verdict) = tally.verdict(rules, closed) else {
            return Ok(None);
        };
        let outcome = json!({ "tally": tally, "verdict": verdict });
        let to = match verdict {
            Verdict::Approved => Status::Approved,
            Verdict::Rejected => Status::Rejected,
            Verdict::NoQuorum => Status::Expired,
        };
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "UPDATE proposals SET status = ?, decided_at = ?, outcome = ? \
             WHERE instance = ? AND number = ? AND status = ?",
            vec![
                to.as_str().into(),
                now.into(),
                outcome.to_string().into(),
                self.id(),
                number.into(),
                Status::Open.as_str().into(),
            ],
        ))
        .await?;
        let decided = crate::audit::Entry {
            instance: self.instance.clone(),
            actor: None,
            plugin: None,
            action: "governance.decided".into(),
            subject: format!("proposal/{number}"),
            detail: outcome.to_string(),
        };
        crate::audit::append_in(txn, &self.instance, vec![decided]).await?;
        Ok(Some(Decision {
            verdict,
            tally,
            outcome,
        }))
    }
}
