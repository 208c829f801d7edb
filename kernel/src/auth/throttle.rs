//! Login throttling: a sliding window of recent login attempts per account and per client
//! address, kept in the instance's database so that every kernel node sharing one PostgreSQL
//! database sees the same counts (an attacker cannot spread guesses across nodes).
//!
//! Every attempt first *reserves* a row and only then counts the rows of its window, itself
//! included. Because the reservation is committed before the count, of any number of attempts
//! racing on any number of nodes at most the limit see a count within it: parallel requests
//! cannot buy extra guesses. A refused attempt removes its row again (waiting out the window
//! is enough to be let in), a successful login removes every row of its account (the account's
//! counter starts over), and a failed one leaves its row to be counted until it ages out.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::{Db, sql};

/// Failed logins to one account tolerated in [`WINDOW_MS`]. Five is enough for someone who
/// mistypes or mixes up two passwords, and keeps online guessing of one account to twenty
/// tries an hour, which argon2 plus the minimum password length make hopeless.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;

/// Failed logins from one client address tolerated in [`WINDOW_MS`], whatever the usernames.
/// Higher than the per-account limit because a school, a library or a mobile carrier puts many
/// people behind one address; low enough to stop one host spraying a common password across
/// many accounts.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// The sliding window (15 minutes): long enough to make guessing slow, short enough that a
/// person locked out by mistake (or by someone else's failures) is not stuck for long.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Which counter refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }
}

/// The outcome of [`begin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The attempt may check the password; it counts as a failure unless [`succeeded`] is called.
    Allowed(Attempt),
    /// Too many recent failures: refuse without checking the password.
    Refused {
        scope: Scope,
        /// Whole seconds until an attempt would be let in again (at least 1).
        retry_after_secs: u64,
    },
}

/// A reserved attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    id: String,
    /// How many attempts on the account the window holds, this one included: when it equals
    /// the limit and the password is wrong, the account is now locked (worth an audit entry).
    pub account_count: i64,
    /// The same for the client address.
    pub address_count: i64,
}

impl Attempt {
    /// Whether failing this attempt locks the account until the window passes.
    pub fn locks_account_on_failure(&self) -> bool {
        self.account_count == MAX_FAILURES_PER_ACCOUNT
    }

    /// Whether failing this attempt locks the client address until the window passes.
    pub fn locks_address_on_failure(&self) -> bool {
        self.address_count == MAX_FAILURES_PER_ADDRESS
    }
}

/// Reserves a login attempt on `username` from `address` at `now` (Unix milliseconds), or
/// refuses it when the account or the address is over its limit.
pub async fn begin(
    db: &Db,
    instance: &str,
    username: &str,
    address: &str,
    now: i64,
) -> Result<Admission, DbErr> {
    let id = crate::docstore::new_id();
    let since = now - WINDOW_MS;
    {
        let _guard = db.write_guard().await;
        // Sweep what has aged out on the way, so the table stays as small as the window.
        db.conn()
            .execute_raw(sql::stmt(
                db.backend(),
                "DELETE FROM login_attempts WHERE instance = ? AND at <= ?",
                vec![instance.into(), since.into()],
            ))
            .await?;
        db.conn()
            .execute_raw(sql::stmt(
                db.backend(),
                "INSERT INTO login_attempts (instance, id, username, address, at) \
                 VALUES (?, ?, ?, ?, ?)",
                vec![
                    instance.into(),
                    id.clone().into(),
                    username.into(),
                    address.into(),
                    now.into(),
                ],
            ))
            .await?;
    }
    let account = times(db, instance, "username", username, since).await?;
    let by_address = times(db, instance, "address", address, since).await?;
    let over = [
        (Scope::Account, &account, MAX_FAILURES_PER_ACCOUNT),
        (Scope::Address, &by_address, MAX_FAILURES_PER_ADDRESS),
    ]
    .into_iter()
    .filter(|(_, times, limit)| times.len() as i64 > *limit)
    .collect::<Vec<_>>();
    if over.is_empty() {
        return Ok(Admission::Allowed(Attempt {
            id,
            account_count: account.len() as i64,
            address_count: by_address.len() as i64,
        }));
    }
    remove(db, instance, "id", &id).await?;
    // Without this attempt's row, the window must lose `len - limit + 1` rows (the oldest
    // first) before a new attempt fits again; the longest wait of the scopes over wins.
    let (scope, retry_after_ms) = over
        .into_iter()
        .map(|(scope, times, limit)| {
            let mut others = times.clone();
            if let Some(own) = others.iter().rposition(|at| *at == now) {
                others.remove(own);
            }
            let index = usize::try_from(others.len() as i64 - limit).unwrap_or(0);
            let frees_at = others.get(index).map_or(now, |at| at + WINDOW_MS);
            (scope, frees_at - now)
        })
        .max_by_key(|(_, wait)| *wait)
        .unwrap_or((Scope::Account, WINDOW_MS));
    Ok(Admission::Refused {
        scope,
        retry_after_secs: u64::try_from(retry_after_ms)
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1),
    })
}

/// The password was right: the account's counter starts over.
pub async fn succeeded(
    db: &Db,
    instance: &str,
    username: &str,
    attempt: Attempt,
) -> Result<(), DbErr> {
    remove(db, instance, "id", &attempt.id).await?;
    remove(db, instance, "username", username).await
}

/// The attempt times of the window for one account or one address, oldest first.
async fn times(
    db: &Db,
    instance: &str,
    column: &'static str,
    value: &str,
    since: i64,
) -> Result<Vec<i64>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT at FROM login_attempts WHERE instance = ? AND {column} = ? AND at > ? \
                 ORDER BY at"
            ),
            vec![instance.into(), value.into(), since.into()],
        ))
        .await?;
    rows.iter().map(|row| row.try_get("", "at")).collect()
}

async fn remove(db: &Db, instance: &str, column: &'static str, value: &str) -> Result<(), DbErr> {
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            &format!("DELETE FROM login_attempts WHERE instance = ? AND {column} = ?"),
            vec![instance.into(), value.into()],
        ))
        .await?;
    Ok(())
}

#[cfg(test)]
#[path = "../../tests/common/pg.rs"]
mod pg;

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    async fn sqlite() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.expect("connect");
        (dir, db)
    }

    async fn fail(db: &Db, user: &str, addr: &str, now: i64) -> Admission {
        begin(db, "i1", user, addr, now).await.expect("begin")
    }

    fn allowed(admission: &Admission) -> bool {
        matches!(admission, Admission::Allowed(_))
    }

    /// The account locks after its limit, even for the right password, until the oldest
    /// failures leave the window; other accounts and other instances are untouched.
    async fn an_account_locks_after_its_failures_until_the_window_passes(db: &Db) {
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(allowed(&fail(db, "anna", "10.0.0.1", T0 + i * 1000).await));
        }
        let refused = fail(db, "anna", "10.0.0.2", T0 + 10_000).await;
        // The first failure (at T0) leaves the window at T0 + WINDOW: 15 min − 10 s from now.
        assert_eq!(
            refused,
            Admission::Refused {
                scope: Scope::Account,
                retry_after_secs: u64::try_from((WINDOW_MS - 10_000) / 1000).expect("secs"),
            }
        );
        // Refused attempts do not extend the lock.
        for _ in 0..10 {
            assert!(!allowed(&fail(db, "anna", "10.0.0.3", T0 + 20_000).await));
        }
        assert!(allowed(&fail(db, "bruno", "10.0.0.1", T0 + 20_000).await));
        assert!(allowed(
            &begin(db, "i2", "anna", "10.0.0.1", T0 + 20_000)
                .await
                .expect("begin")
        ));
        // Once the oldest failure is out of the window one attempt fits again, then it locks.
        assert!(allowed(
            &fail(db, "anna", "10.0.0.1", T0 + WINDOW_MS + 1).await
        ));
        assert!(!allowed(
            &fail(db, "anna", "10.0.0.1", T0 + WINDOW_MS + 2).await
        ));
    }

    /// A successful login clears the account's counter.
    async fn a_success_clears_the_account(db: &Db) {
        for i in 0..MAX_FAILURES_PER_ACCOUNT - 1 {
            assert!(allowed(&fail(db, "carla", "10.1.0.1", T0 + i).await));
        }
        let Admission::Allowed(attempt) = fail(db, "carla", "10.1.0.1", T0 + 100).await else {
            panic!("the fifth attempt is allowed");
        };
        assert!(attempt.locks_account_on_failure());
        succeeded(db, "i1", "carla", attempt).await.expect("ok");
        for i in 0..MAX_FAILURES_PER_ACCOUNT {
            assert!(allowed(&fail(db, "carla", "10.1.0.1", T0 + 200 + i).await));
        }
        assert!(!allowed(&fail(db, "carla", "10.1.0.1", T0 + 300).await));
    }

    /// One address spraying many usernames is stopped at its own limit, for every account.
    async fn an_address_locks_across_usernames(db: &Db) {
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(allowed(
                &fail(db, &format!("user{i}"), "10.2.0.1", T0 + i).await
            ));
        }
        match fail(db, "dario", "10.2.0.1", T0 + 1000).await {
            Admission::Refused { scope, .. } => assert_eq!(scope, Scope::Address),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(allowed(&fail(db, "dario", "10.2.0.2", T0 + 1000).await));
    }

    /// Attempts racing on two nodes (two pools on one database) never get more than the limit,
    /// counting those let in afterwards.
    async fn racing_attempts_get_no_extra_guesses(db: &Db, other_node: &Db) {
        let tries = (0..12).map(|i| {
            let node = if i % 2 == 0 {
                db.clone()
            } else {
                other_node.clone()
            };
            tokio::spawn(async move {
                begin(&node, "i1", "elena", &format!("10.3.0.{i}"), T0 + 5)
                    .await
                    .expect("begin")
            })
        });
        let mut let_in = 0;
        for try_ in tries {
            if allowed(&try_.await.expect("join")) {
                let_in += 1;
            }
        }
        assert!(let_in <= MAX_FAILURES_PER_ACCOUNT, "{let_in} let in");
        while allowed(&fail(db, "elena", "10.3.1.1", T0 + 6).await) {
            let_in += 1;
            assert!(let_in <= MAX_FAILURES_PER_ACCOUNT, "{let_in} let in");
        }
        assert_eq!(let_in, MAX_FAILURES_PER_ACCOUNT);
    }

    async fn suite(db: Db, other_node: Db) {
        an_account_locks_after_its_failures_until_the_window_passes(&db).await;
        a_success_clears_the_account(&db).await;
        an_address_locks_across_usernames(&db).await;
        racing_attempts_get_no_extra_guesses(&db, &other_node).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn login_throttling_on_sqlite() {
        let (dir, db) = sqlite().await;
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let other = Db::connect(&url).await.expect("second pool");
        suite(db, other).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn login_throttling_on_postgres_across_two_nodes() {
        let database = pg::PgDatabase::create().await;
        let db = Db::connect(&database.url).await.expect("node 1");
        let other = Db::connect(&database.url).await.expect("node 2");
        suite(db, other).await;
    }
}
