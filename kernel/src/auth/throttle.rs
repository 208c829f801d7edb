//! Login throttling that slows guessing without handing attackers a way to lock owners out
//! (OWASP Authentication and Credential Stuffing cheat sheets): failures are counted
//!
//! - per account *and* client: five in 15 minutes stop that client on that account only;
//! - per client address across accounts: twenty in 15 minutes stop one host spraying a common
//!   password over many usernames;
//! - per account across every untrusted client: thirty in an hour, a slower global rate that
//!   caps a botnet spreading guesses over thousands of addresses.
//!
//! A browser where the account logged in before shows a device cookie ([`super::devices`]); its
//! failures count only against itself, so neither the account-wide rate nor a busy shared
//! address (a school, a carrier's NAT) can keep the owner out of their own device.
//!
//! The counts live in the instance's database so that every kernel node sharing one PostgreSQL
//! database sees the same ones. Every attempt first *reserves* a row and only then counts the
//! rows of its windows, itself included: of any number of attempts racing on any number of
//! nodes at most the limit see a count within it. A refused attempt removes its row again
//! (waiting is enough to be let in); a successful login removes the rows of its account and
//! client (that pair starts over, while guesses from elsewhere keep counting); a failed one
//! leaves its row until it ages out.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::{Db, sql};

/// How many failures a counter tolerates in how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

const MINUTE_MS: i64 = 60 * 1000;

/// One account from one client: enough for someone who mistypes or mixes up two passwords;
/// twenty tries an hour, which argon2 and the minimum password length make hopeless.
pub const PER_PAIR: Limit = Limit {
    max: 5,
    window_ms: 15 * MINUTE_MS,
};

/// One client address, whatever the usernames: higher than [`PER_PAIR`] because a school, a
/// library or a mobile carrier puts many people behind one address.
pub const PER_ADDRESS: Limit = Limit {
    max: 20,
    window_ms: 15 * MINUTE_MS,
};

/// One account from every untrusted client together: slower, so that it only binds an attack
/// spread over many addresses, and it never binds the owner's trusted browser.
pub const PER_ACCOUNT: Limit = Limit {
    max: 30,
    window_ms: 60 * MINUTE_MS,
};

/// The longest window: rows older than this count for nothing and are swept.
const LONGEST_WINDOW_MS: i64 = 60 * MINUTE_MS;

/// Which counter refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This account from this client.
    Pair,
    /// This client address, across accounts.
    Address,
    /// This account, across untrusted clients.
    Account,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Pair => "pair",
            Scope::Address => "address",
            Scope::Account => "account",
        }
    }

    fn limit(self) -> Limit {
        match self {
            Scope::Pair => PER_PAIR,
            Scope::Address => PER_ADDRESS,
            Scope::Account => PER_ACCOUNT,
        }
    }
}

/// Who is trying to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client<'a> {
    /// A browser without a valid device cookie for the account, known by its address key.
    Address(&'a str),
    /// A browser where the account logged in before: its device key
    /// ([`super::devices::recognise`]).
    Device(&'a str),
}

impl Client<'_> {
    /// The value stored in the `address` column: device keys start with `device:`, which no
    /// address key does, so the two never mix in a count.
    fn key(&self) -> &str {
        match self {
            Client::Address(key) | Client::Device(key) => key,
        }
    }

    fn trusted(&self) -> bool {
        matches!(self, Client::Device(_))
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
    key: String,
    /// The counters that reach their limit with this attempt: if the password is wrong, these
    /// are now locked (worth one audit entry each, not one per refused attempt).
    pub locks_on_failure: Vec<Scope>,
}

/// Reserves a login attempt on `username` by `client` at `now` (Unix milliseconds), or refuses
/// it when one of its counters is over its limit.
pub async fn begin(
    db: &Db,
    instance: &str,
    username: &str,
    client: Client<'_>,
    now: i64,
) -> Result<Admission, DbErr> {
    let id = crate::docstore::new_id();
    let key = client.key().to_owned();
    {
        let _guard = db.write_guard().await;
        // Sweep what has aged out on the way, so the table stays as small as the window.
        db.conn()
            .execute_raw(sql::stmt(
                db.backend(),
                "DELETE FROM login_attempts WHERE instance = ? AND at <= ?",
                vec![instance.into(), (now - LONGEST_WINDOW_MS).into()],
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
                    key.clone().into(),
                    now.into(),
                ],
            ))
            .await?;
    }
    let on_account = rows(db, instance, "username", username, now - LONGEST_WINDOW_MS).await?;
    let mut counts = vec![(
        Scope::Pair,
        within(&on_account, Scope::Pair, now, |k| k == key),
    )];
    if !client.trusted() {
        let from_address = rows(db, instance, "address", &key, now - PER_ADDRESS.window_ms).await?;
        counts.push((
            Scope::Address,
            within(&from_address, Scope::Address, now, |_| true),
        ));
        let untrusted = |k: &str| !k.starts_with("device:");
        counts.push((
            Scope::Account,
            within(&on_account, Scope::Account, now, untrusted),
        ));
    }
    let over: Vec<_> = counts
        .iter()
        .filter(|(scope, times)| times.len() as i64 > scope.limit().max)
        .collect();
    if over.is_empty() {
        let locks_on_failure = counts
            .iter()
            .filter(|(scope, times)| times.len() as i64 == scope.limit().max)
            .map(|(scope, _)| *scope)
            .collect();
        return Ok(Admission::Allowed(Attempt {
            id,
            key,
            locks_on_failure,
        }));
    }
    remove(db, instance, "id = ?", vec![id.into()]).await?;
    // Without this attempt's row, a window must lose `len - max + 1` rows (the oldest first)
    // before a new attempt fits again; the longest wait of the counters over wins.
    let (scope, retry_after_ms) = over
        .into_iter()
        .map(|(scope, times)| {
            let Limit { max, window_ms } = scope.limit();
            let mut others = times.clone();
            if let Some(own) = others.iter().rposition(|at| *at == now) {
                others.remove(own);
            }
            let index = usize::try_from(others.len() as i64 - max).unwrap_or(0);
            let frees_at = others.get(index).map_or(now, |at| at + window_ms);
            (*scope, frees_at - now)
        })
        .max_by_key(|(_, wait)| *wait)
        .unwrap_or((Scope::Pair, PER_PAIR.window_ms));
    Ok(Admission::Refused {
        scope,
        retry_after_secs: u64::try_from(retry_after_ms)
            .unwrap_or(0)
            .div_ceil(1000)
            .max(1),
    })
}

/// The password was right: this account's counter for this client starts over. Failures from
/// other clients keep counting, so a guesser gains nothing when the owner logs in.
pub async fn succeeded(
    db: &Db,
    instance: &str,
    username: &str,
    attempt: Attempt,
) -> Result<(), DbErr> {
    remove(
        db,
        instance,
        "(id = ? OR (username = ? AND address = ?))",
        vec![attempt.id.into(), username.into(), attempt.key.into()],
    )
    .await
}

/// The password could not be checked (every hasher busy, a database error): the attempt did
/// not happen and must not count, or a storm of busy answers would lock people out.
pub async fn abandoned(db: &Db, instance: &str, attempt: Attempt) -> Result<(), DbErr> {
    remove(db, instance, "id = ?", vec![attempt.id.into()]).await
}

/// The times, oldest first, of the rows within `scope`'s window whose client key passes `keep`.
fn within(rows: &[(String, i64)], scope: Scope, now: i64, keep: impl Fn(&str) -> bool) -> Vec<i64> {
    let since = now - scope.limit().window_ms;
    rows.iter()
        .filter(|(key, at)| *at > since && keep(key))
        .map(|(_, at)| *at)
        .collect()
}

/// The (client key, time) rows since `since` for one account or one client, oldest first.
async fn rows(
    db: &Db,
    instance: &str,
    column: &'static str,
    value: &str,
    since: i64,
) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db
        .conn()
        .query_all_raw(sql::stmt(
            db.backend(),
            &format!(
                "SELECT address, at FROM login_attempts \
                 WHERE instance = ? AND {column} = ? AND at > ? ORDER BY at"
            ),
            vec![instance.into(), value.into(), since.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "address")?, row.try_get("", "at")?)))
        .collect()
}

async fn remove(
    db: &Db,
    instance: &str,
    condition: &str,
    mut values: Vec<sea_orm::Value>,
) -> Result<(), DbErr> {
    values.insert(0, instance.into());
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            &format!("DELETE FROM login_attempts WHERE instance = ? AND {condition}"),
            values,
        ))
        .await?;
    Ok(())
}

#[cfg(test)]
#[path = "../../tests/integration/pg.rs"]
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
        begin(db, "i1", user, Client::Address(addr), now)
            .await
            .expect("begin")
    }

    fn allowed(admission: &Admission) -> bool {
        matches!(admission, Admission::Allowed(_))
    }

    fn refused_by(admission: &Admission) -> Option<Scope> {
        match admission {
            Admission::Refused { scope, .. } => Some(*scope),
            Admission::Allowed(_) => None,
        }
    }

    /// One client is stopped on one account after its failures, even with the right password,
    /// until they leave the window; the owner elsewhere, other accounts and other instances
    /// are untouched.
    async fn a_client_locks_on_an_account_while_the_owner_elsewhere_gets_in(db: &Db) {
        for i in 0..PER_PAIR.max {
            assert!(allowed(&fail(db, "anna", "10.0.0.1", T0 + i * 1000).await));
        }
        let refused = fail(db, "anna", "10.0.0.1", T0 + 10_000).await;
        // The first failure (at T0) leaves the window at T0 + WINDOW: 15 min − 10 s from now.
        assert_eq!(
            refused,
            Admission::Refused {
                scope: Scope::Pair,
                retry_after_secs: u64::try_from((PER_PAIR.window_ms - 10_000) / 1000)
                    .expect("secs"),
            }
        );
        // Refused attempts do not extend the lock.
        for _ in 0..10 {
            assert!(!allowed(&fail(db, "anna", "10.0.0.1", T0 + 20_000).await));
        }
        assert!(allowed(&fail(db, "anna", "10.0.0.2", T0 + 20_000).await));
        assert!(allowed(&fail(db, "bruno", "10.0.0.1", T0 + 20_000).await));
        let other_instance = begin(db, "i2", "anna", Client::Address("10.0.0.1"), T0 + 20_000);
        assert!(allowed(&other_instance.await.expect("begin")));
        // Once the oldest failure is out of the window one attempt fits again, then it locks.
        let later = T0 + PER_PAIR.window_ms;
        assert!(allowed(&fail(db, "anna", "10.0.0.1", later + 1).await));
        assert!(!allowed(&fail(db, "anna", "10.0.0.1", later + 2).await));
    }

    /// A successful login clears its own client's counter on the account, not the failures
    /// made from elsewhere.
    async fn a_success_clears_its_own_pair_only(db: &Db) {
        for i in 0..PER_PAIR.max - 1 {
            assert!(allowed(&fail(db, "carla", "10.1.0.1", T0 + i).await));
            assert!(allowed(&fail(db, "carla", "10.1.0.9", T0 + i).await));
        }
        let Admission::Allowed(attempt) = fail(db, "carla", "10.1.0.1", T0 + 100).await else {
            panic!("the fifth attempt is allowed");
        };
        assert_eq!(attempt.locks_on_failure, [Scope::Pair]);
        succeeded(db, "i1", "carla", attempt).await.expect("ok");
        for i in 0..PER_PAIR.max {
            assert!(allowed(&fail(db, "carla", "10.1.0.1", T0 + 200 + i).await));
        }
        assert!(!allowed(&fail(db, "carla", "10.1.0.1", T0 + 300).await));
        assert!(allowed(&fail(db, "carla", "10.1.0.9", T0 + 300).await));
        assert!(!allowed(&fail(db, "carla", "10.1.0.9", T0 + 301).await));
    }

    /// One address spraying many usernames is stopped at its own limit, for every account.
    async fn an_address_locks_across_usernames(db: &Db) {
        for i in 0..PER_ADDRESS.max {
            let user = format!("user{i}");
            assert!(allowed(&fail(db, &user, "10.2.0.1", T0 + i).await));
        }
        let refused = fail(db, "dario", "10.2.0.1", T0 + 1000).await;
        assert_eq!(refused_by(&refused), Some(Scope::Address));
        assert!(allowed(&fail(db, "dario", "10.2.0.2", T0 + 1000).await));
    }

    /// Guesses spread over many addresses meet the slower account-wide rate; the owner's
    /// trusted browser still gets in, and its own failures stop only itself.
    async fn a_botnet_meets_the_account_rate_but_not_the_owners_browser(db: &Db) {
        for i in 0..PER_ACCOUNT.max {
            let address = format!("10.4.{}.{}", i / 200, i % 200);
            assert!(allowed(
                &fail(db, "franca", &address, T0 + i * 60_000).await
            ));
        }
        let refused = fail(db, "franca", "10.4.9.9", T0 + 30 * 60_000).await;
        assert_eq!(refused_by(&refused), Some(Scope::Account));
        let Admission::Refused {
            retry_after_secs, ..
        } = refused
        else {
            unreachable!()
        };
        // The first of the thirty (at T0) leaves the hour at T0 + 60 min: 30 min from now.
        assert_eq!(retry_after_secs, 30 * 60);
        let owner = Client::Device("device:0123456789abcdef");
        let at = T0 + 30 * 60_000;
        for i in 0..PER_PAIR.max {
            let attempt = begin(db, "i1", "franca", owner, at + i)
                .await
                .expect("begin");
            assert!(allowed(&attempt), "the owner's browser, attempt {i}");
        }
        let attempt = begin(db, "i1", "franca", owner, at + 10)
            .await
            .expect("begin");
        assert_eq!(refused_by(&attempt), Some(Scope::Pair));
        let another = Client::Device("device:fedcba9876543210");
        let attempt = begin(db, "i1", "franca", another, at + 10)
            .await
            .expect("begin");
        assert!(allowed(&attempt), "another browser of the family");
    }

    /// Attempts whose password could not be checked (every hasher busy) do not count: a storm
    /// of busy answers locks no one out.
    async fn unchecked_attempts_do_not_count(db: &Db) {
        for i in 0..PER_ADDRESS.max * 2 {
            let Admission::Allowed(attempt) = fail(db, "gina", "10.5.0.1", T0 + i).await else {
                panic!("unchecked attempt {i} was counted");
            };
            abandoned(db, "i1", attempt).await.expect("abandon");
        }
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
                begin(&node, "i1", "elena", Client::Address("10.3.0.1"), T0 + 5)
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
        assert!(let_in <= PER_PAIR.max, "{let_in} let in");
        while allowed(&fail(db, "elena", "10.3.0.1", T0 + 6).await) {
            let_in += 1;
            assert!(let_in <= PER_PAIR.max, "{let_in} let in");
        }
        assert_eq!(let_in, PER_PAIR.max);
    }

    async fn suite(db: Db, other_node: Db) {
        a_client_locks_on_an_account_while_the_owner_elsewhere_gets_in(&db).await;
        a_success_clears_its_own_pair_only(&db).await;
        an_address_locks_across_usernames(&db).await;
        a_botnet_meets_the_account_rate_but_not_the_owners_browser(&db).await;
        unchecked_attempts_do_not_count(&db).await;
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
