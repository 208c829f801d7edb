//! The coordination table's records: members, proposals, votes, and the overlay that the
//! applied proposals add up to.
//!
//! This is storage: it sits below the instance, which reads its overlay and generation at
//! start, and below [`crate::governance`], which runs the process (propose, vote, decide,
//! apply) on top of it.

mod apply;
mod ballot;
mod tally;

pub use apply::{Claim, Finish};
pub use ballot::{Cast, Decision};
pub use tally::{Tally, Verdict};

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use trama_manifest::{Overlay, OverlayChange};

use crate::db::{Db, sql};

/// A member of the coordination table.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub organisation: String,
    pub joined_at: i64,
}

/// One value a proposal sets, stored as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub path: Vec<String>,
    pub value: Json,
    /// For a setting: the value in effect when the proposal was made (its default when the
    /// instance gave none), so the proposal can say "from … to …" after it is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Json>,
}

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Open for votes.
    Open,
    /// Approved; to be applied.
    Approved,
    /// Claimed by one node that is applying it; another takes over if the claim runs out
    /// (a crash mid-way).
    Applying,
    /// Approved and in effect: part of the overlay.
    Applied,
    /// Approved, but applying it failed; nothing changed.
    Failed,
    Rejected,
    /// The window closed without quorum; nothing changed.
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Approved => "approved",
            Status::Applying => "applying",
            Status::Applied => "applied",
            Status::Failed => "failed",
            Status::Rejected => "rejected",
            Status::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "open" => Status::Open,
            "approved" => Status::Approved,
            "applying" => Status::Applying,
            "applied" => Status::Applied,
            "failed" => Status::Failed,
            "rejected" => Status::Rejected,
            _ => Status::Expired,
        }
    }
}

/// A vote's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Approve,
    Reject,
    Abstain,
}

impl Choice {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Choice::Approve),
            "reject" => Some(Choice::Reject),
            "abstain" => Some(Choice::Abstain),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Approve => "approve",
            Choice::Reject => "reject",
            Choice::Abstain => "abstain",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub number: i64,
    pub title: String,
    pub kind: String,
    pub changes: Vec<Change>,
    /// The effective manifest before and after, as a unified diff.
    pub diff: String,
    pub status: Status,
    pub proposed_by: String,
    pub created_at: i64,
    pub closes_at: i64,
    pub decided_at: Option<i64>,
    /// The tally and the reason of the decision, once decided.
    pub outcome: Option<Json>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vote {
    pub user_id: String,
    pub display_name: String,
    pub organisation: String,
    pub choice: Choice,
    pub cast_at: i64,
}

fn proposal_from_row(row: &QueryResult) -> Result<Proposal, DbErr> {
    let changes: String = row.try_get("", "changes")?;
    let outcome: Option<String> = row.try_get("", "outcome")?;
    let status: String = row.try_get("", "status")?;
    Ok(Proposal {
        number: row.try_get("", "number")?,
        title: row.try_get("", "title")?,
        kind: row.try_get("", "kind")?,
        changes: serde_json::from_str(&changes)
            .map_err(|err| DbErr::Custom(format!("proposal changes: {err}")))?,
        diff: row.try_get("", "diff")?,
        status: Status::parse(&status),
        proposed_by: row.try_get("", "proposed_by")?,
        created_at: row.try_get("", "created_at")?,
        closes_at: row.try_get("", "closes_at")?,
        decided_at: row.try_get("", "decided_at")?,
        outcome: outcome.and_then(|text| serde_json::from_str(&text).ok()),
    })
}

const PROPOSAL_COLUMNS: &str = "number, title, kind, changes, diff, status, proposed_by, \
     created_at, closes_at, decided_at, outcome";

/// `votes` counted against a table of `members`.
pub fn count(members: u64, votes: &[Vote]) -> Tally {
    let mut tally = Tally {
        members,
        ..Tally::default()
    };
    for vote in votes {
        match vote.choice {
            Choice::Approve => tally.approve += 1,
            Choice::Reject => tally.reject += 1,
            Choice::Abstain => tally.abstain += 1,
        }
    }
    tally
}

/// The governance tables of one instance.
#[derive(Debug, Clone)]
pub struct Board {
    db: Db,
    instance: String,
}

impl Board {
    pub fn new(db: Db, instance: &str) -> Self {
        Self {
            db,
            instance: instance.to_owned(),
        }
    }

    fn id(&self) -> Value {
        self.instance.clone().into()
    }

    /// Adds (or updates the organisation of) a member and grants the role `governance`,
    /// together with the audit `entry` that records it.
    pub async fn add_member(
        &self,
        user_id: &str,
        organisation: &str,
        entry: crate::audit::Entry,
    ) -> Result<(), DbErr> {
        let _guard = self.db.write_guard().await;
        let txn = self.db.begin_write().await?;
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "INSERT INTO governance_members (instance, user_id, organisation, joined_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (instance, user_id) DO UPDATE SET organisation = excluded.organisation",
            vec![
                self.id(),
                user_id.into(),
                organisation.into(),
                crate::clock::now_ms().into(),
            ],
        ))
        .await?;
        txn.execute_raw(sql::stmt(
            self.db.backend(),
            "INSERT INTO user_roles (instance, user_id, role) VALUES (?, ?, 'governance') \
             ON CONFLICT (instance, user_id, role) DO NOTHING",
            vec![self.id(), user_id.into()],
        ))
        .await?;
        crate::audit::append_in(&txn, &self.instance, vec![entry]).await?;
        txn.commit().await
    }

    /// Takes member `user_id`'s seat and the role `governance` away, together with the audit
    /// entry `entry` makes of the member; `None` if they held no seat (nothing written). Their
    /// votes on open proposals no longer count (see `decide_in`).
    pub async fn remove_member(
        &self,
        user_id: &str,
        entry: impl FnOnce(&Member) -> crate::audit::Entry,
    ) -> Result<Option<Member>, DbErr> {
        let _guard = self.db.write_guard().await;
        let txn = self.db.begin_write().await?;
        let Some(member) = self
            .members_in(&txn)
            .await?
            .into_iter()
            .find(|member| member.user_id == user_id)
        else {
            txn.rollback().await?;
            return Ok(None);
        };
        for statement in [
            "DELETE FROM governance_members WHERE instance = ? AND user_id = ?",
            "DELETE FROM user_roles WHERE instance = ? AND user_id = ? AND role = 'governance'",
        ] {
            txn.execute_raw(sql::stmt(
                self.db.backend(),
                statement,
                vec![self.id(), user_id.into()],
            ))
            .await?;
        }
        crate::audit::append_in(&txn, &self.instance, vec![entry(&member)]).await?;
        txn.commit().await?;
        Ok(Some(member))
    }

    pub async fn members(&self) -> Result<Vec<Member>, DbErr> {
        self.members_in(self.db.conn()).await
    }

    async fn members_in(&self, conn: &impl ConnectionTrait) -> Result<Vec<Member>, DbErr> {
        let rows = conn
            .query_all_raw(sql::stmt(
                self.db.backend(),
                "SELECT m.user_id, u.username, u.display_name, m.organisation, m.joined_at \
                 FROM governance_members m JOIN users u ON u.instance = m.instance AND u.id = m.user_id \
                 WHERE m.instance = ? ORDER BY m.organisation, u.display_name",
                vec![self.id()],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    user_id: row.try_get("", "user_id")?,
                    username: row.try_get("", "username")?,
                    display_name: row.try_get("", "display_name")?,
                    organisation: row.try_get("", "organisation")?,
                    joined_at: row.try_get("", "joined_at")?,
                })
            })
            .collect()
    }

    pub async fn member(&self, user_id: &str) -> Result<Option<Member>, DbErr> {
        Ok(self
            .members()
            .await?
            .into_iter()
            .find(|member| member.user_id == user_id))
    }

    /// Stores a new open proposal and returns its number (one more than the highest so far).
    pub async fn insert(&self, proposal: &Proposal) -> Result<i64, DbErr> {
        let changes = serde_json::to_string(&proposal.changes)
            .map_err(|err| DbErr::Custom(err.to_string()))?;
        let _guard = self.db.write_guard().await;
        // Two nodes may number a proposal at once: the primary key decides, the loser retries.
        for _ in 0..5 {
            let next = self
                .db
                .conn()
                .query_one_raw(sql::stmt(
                    self.db.backend(),
                    "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM proposals WHERE instance = ?",
                    vec![self.id()],
                ))
                .await?
                .map(|row| row.try_get::<i64>("", "next"))
                .transpose()?
                .unwrap_or(1);
            let inserted = self
                .db
                .conn()
                .execute_raw(sql::stmt(
                    self.db.backend(),
                    "INSERT INTO proposals (instance, number, title, kind, changes, diff, status, proposed_by, created_at, closes_at) \
                     VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (instance, number) DO NOTHING",
                    vec![
                        self.id(),
                        next.into(),
                        proposal.title.clone().into(),
                        proposal.kind.clone().into(),
                        changes.clone().into(),
                        proposal.diff.clone().into(),
                        proposal.proposed_by.clone().into(),
                        proposal.created_at.into(),
                        proposal.closes_at.into(),
                    ],
                ))
                .await?;
            if inserted.rows_affected() == 1 {
                return Ok(next);
            }
        }
        Err(DbErr::Custom(
            "could not number the proposal: too many proposals at once".into(),
        ))
    }

    pub async fn get(&self, number: i64) -> Result<Option<Proposal>, DbErr> {
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE instance = ? AND number = ?"
                ),
                vec![self.id(), number.into()],
            ))
            .await?;
        row.as_ref().map(proposal_from_row).transpose()
    }

    /// Every proposal, newest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<Proposal>, DbErr> {
        let rows = self
            .db
            .conn()
            .query_all_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE instance = ? \
                     ORDER BY number DESC LIMIT ?"
                ),
                vec![self.id(), i64::from(limit).into()],
            ))
            .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// Proposals in `status`, oldest first.
    pub async fn with_status(&self, status: Status) -> Result<Vec<Proposal>, DbErr> {
        let rows = self
            .db
            .conn()
            .query_all_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE instance = ? AND status = ? \
                     ORDER BY number"
                ),
                vec![self.id(), status.as_str().into()],
            ))
            .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// Records a vote; `Ok(false)` if the member already voted on this proposal.
    pub async fn votes(&self, number: i64) -> Result<Vec<Vote>, DbErr> {
        self.votes_in(self.db.conn(), number).await
    }

    async fn votes_in(&self, conn: &impl ConnectionTrait, number: i64) -> Result<Vec<Vote>, DbErr> {
        let rows = conn
            .query_all_raw(sql::stmt(
                self.db.backend(),
                "SELECT v.user_id, u.display_name, v.organisation, v.choice, v.cast_at \
                 FROM proposal_votes v JOIN users u ON u.instance = v.instance AND u.id = v.user_id \
                 WHERE v.instance = ? AND v.number = ? ORDER BY v.cast_at, v.user_id",
                vec![self.id(), number.into()],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let choice: String = row.try_get("", "choice")?;
                Ok(Vote {
                    user_id: row.try_get("", "user_id")?,
                    display_name: row.try_get("", "display_name")?,
                    organisation: row.try_get("", "organisation")?,
                    choice: Choice::parse(&choice).unwrap_or(Choice::Abstain),
                    cast_at: row.try_get("", "cast_at")?,
                })
            })
            .collect()
    }

    /// Moves a proposal from `from` to `to`; `Ok(false)` if another request (or node) moved it
    /// first, so exactly one of them acts on the decision.
    pub async fn transition(
        &self,
        number: i64,
        from: Status,
        to: Status,
        outcome: &Json,
    ) -> Result<bool, DbErr> {
        self.update_one(
            "UPDATE proposals SET status = ?, decided_at = ?, outcome = ? \
             WHERE instance = ? AND number = ? AND status = ?",
            vec![
                to.as_str().into(),
                crate::clock::now_ms().into(),
                outcome.to_string().into(),
                self.id(),
                number.into(),
                from.as_str().into(),
            ],
        )
        .await
    }

    /// Runs a conditional `UPDATE` of one proposal in its own write; whether it matched, so
    /// that of two requests (or nodes) making the same move exactly one wins.
    async fn update_one(&self, statement: &str, values: Vec<Value>) -> Result<bool, DbErr> {
        let _guard = self.db.write_guard().await;
        let done = self
            .db
            .conn()
            .execute_raw(sql::stmt(self.db.backend(), statement, values))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The changes of every applied proposal, in the order they took effect. Allocations
    /// (kind `allocate`) moved money, not configuration: they are not part of it.
    pub async fn overlay(&self) -> Result<Overlay, DbErr> {
        let mut overlay = Overlay::new();
        for proposal in self.applied().await? {
            for change in proposal.changes {
                overlay
                    .push(OverlayChange {
                        path: change.path,
                        value: change.value,
                        source: format!("proposal #{}", proposal.number),
                    })
                    .map_err(|err| {
                        DbErr::Custom(format!("proposal #{}: {err}", proposal.number))
                    })?;
            }
        }
        Ok(overlay)
    }

    async fn applied(&self) -> Result<Vec<Proposal>, DbErr> {
        let rows = self
            .db
            .conn()
            .query_all_raw(sql::stmt(
                self.db.backend(),
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE instance = ? AND status = 'applied' \
                     AND kind <> 'allocate' ORDER BY applied_seq, number"
                ),
                vec![self.id()],
            ))
            .await?;
        rows.iter().map(proposal_from_row).collect()
    }

    /// A value that changes whenever a proposal changing the configuration is applied, so that
    /// every node can tell cheaply whether its overlay is current.
    pub async fn generation(&self) -> Result<(i64, i64), DbErr> {
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT COUNT(*) AS applied, COALESCE(MAX(applied_seq), 0) AS latest \
                 FROM proposals WHERE instance = ? AND status = 'applied' AND kind <> 'allocate'",
                vec![self.id()],
            ))
            .await?;
        match row {
            Some(row) => Ok((row.try_get("", "applied")?, row.try_get("", "latest")?)),
            None => Ok((0, 0)),
        }
    }
}
