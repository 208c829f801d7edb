//! The outbox as the mail workers of several nodes and the administrators use it: a message is
//! claimed by one node at a time, a lease that ran out is taken over and its holder's late
//! outcome refused, failed messages are listed with their reason and sent again only when an
//! administrator retries them, and the lists page newest first. On SQLite and on PostgreSQL,
//! with two connection pools (two kernel nodes) on one database.

use crate::pg;

use pg::PgDatabase;
use trama::db::Db;
use trama::notify::delivery::{self, Claim, Outgoing};
use trama::notify::{self, MailState, Notification, Outbox};

const INSTANCE: &str = "valdarno";
const LEASE: i64 = 300_000;

/// An account and `n` messages queued for it; returns the account's id.
async fn queue(db: &Db, n: usize) -> String {
    let user = trama::auth::users::create(
        db,
        INSTANCE,
        trama::auth::users::NewUser {
            username: "anna@example.org",
            display_name: "Anna Rossi",
            password: "una password lunga",
            roles: &[],
        },
    )
    .await
    .expect("create the account");
    let outbox = Outbox::new(db.clone(), INSTANCE, "hello");
    for i in 0..n {
        let queued = outbox
            .send(Notification {
                recipient: user.id.clone(),
                subject: format!("Avviso {i}"),
                body: String::new(),
                key: format!("avviso/{i}"),
                link: None,
            })
            .await
            .expect("queue");
        assert!(queued);
        // Distinct creation times, so "newest first" has one answer.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    user.id
}

async fn due(db: &Db, now: i64) -> Vec<Outgoing> {
    delivery::due(db, INSTANCE, now, 100).await.expect("due")
}

/// This machine's clock: the external relay (`notify::pending`) measures leases on it.
fn clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn claim_of<'a>(message: &'a Outgoing, node: &'a str, attempt: i64) -> Claim<'a> {
    Claim {
        instance: INSTANCE,
        id: &message.message.id,
        node,
        attempt,
    }
}

async fn one_node_holds_a_message_until_its_lease_runs_out(one: Db, other: Db) {
    queue(&one, 1).await;
    let now = clock();
    let seen = due(&one, now).await;
    assert_eq!(seen.len(), 1);
    let message = &seen[0];
    assert_eq!(message.display_name, "Anna Rossi");
    assert!(
        delivery::claim(&one, INSTANCE, message, "node-a", now, now + LEASE)
            .await
            .expect("claim")
    );
    assert!(
        !delivery::claim(&other, INSTANCE, message, "node-b", now, now + LEASE)
            .await
            .expect("claim"),
        "the other node read the same row but loses the claim"
    );
    assert!(
        due(&other, now + 1).await.is_empty(),
        "a leased message is not due for anyone"
    );
    assert!(
        notify::pending(&other, INSTANCE, 10)
            .await
            .expect("pending")
            .is_empty(),
        "nor for the external relay"
    );

    // node-a stalls past its lease: node-b takes the message over as attempt 2.
    let later = now + LEASE;
    let again = due(&other, later).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1, "the first attempt counts");
    assert!(
        delivery::claim(&other, INSTANCE, &again[0], "node-b", later, later + LEASE)
            .await
            .expect("claim")
    );
    assert!(
        !delivery::mark_delivered(&one, claim_of(message, "node-a", 1), later + 5)
            .await
            .expect("late outcome"),
        "the stalled node's late outcome is refused"
    );
    assert!(
        delivery::mark_delivered(&other, claim_of(&again[0], "node-b", 2), later + 5)
            .await
            .expect("outcome")
    );
    let sent = notify::list(&one, INSTANCE, MailState::Sent, 0, 10)
        .await
        .expect("list");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].attempts, sent[0].claimed_by.as_deref()),
        (2, Some("node-b"))
    );
    assert!(due(&one, later + LEASE * 2).await.is_empty(), "sent once");
}

async fn failed_messages_wait_for_an_administrator(one: Db, other: Db) {
    queue(&one, 2).await;
    let now = clock();
    let seen = due(&one, now).await;
    let (first, second) = (&seen[0], &seen[1]);
    for message in [first, second] {
        assert!(
            delivery::claim(&one, INSTANCE, message, "node-a", now, now + LEASE)
                .await
                .expect("claim")
        );
    }
    assert!(
        delivery::fail(
            &one,
            claim_of(first, "node-a", 1),
            now + 1,
            "550 no such mailbox"
        )
        .await
        .expect("fail")
    );
    assert!(
        delivery::defer(
            &one,
            claim_of(second, "node-a", 1),
            now + 60_000,
            "451 busy"
        )
        .await
        .expect("defer")
    );
    assert!(
        due(&other, now + LEASE * 10).await.len() == 1,
        "only the deferred message is ever due again by itself"
    );
    let failed = notify::list(&other, INSTANCE, MailState::Failed, 0, 10)
        .await
        .expect("list");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].message.id, first.message.id);
    assert_eq!(failed[0].state, MailState::Failed);
    assert_eq!(failed[0].last_error.as_deref(), Some("550 no such mailbox"));
    assert_eq!(failed[0].attempts, 1);
    assert_eq!(
        notify::count(&other, INSTANCE, MailState::Failed)
            .await
            .expect("count"),
        1
    );
    assert!(
        !notify::mark_sent(&other, INSTANCE, &first.message.id)
            .await
            .expect("mark"),
        "the relay does not take a failed message"
    );

    assert!(
        !notify::retry(&other, INSTANCE, &second.message.id, None, "cli")
            .await
            .expect("retry"),
        "a pending message is not retried"
    );
    assert!(
        notify::retry(&other, INSTANCE, &first.message.id, None, "cli")
            .await
            .expect("retry")
    );
    assert!(
        !notify::retry(&other, INSTANCE, &first.message.id, None, "cli")
            .await
            .expect("retry"),
        "retried once"
    );
    let retried = trama::audit::Filter {
        action: Some("mail.retried".into()),
        ..Default::default()
    };
    let entries = trama::audit::search(&one, INSTANCE, &retried, None, 10)
        .await
        .expect("audit");
    assert_eq!(
        entries.len(),
        1,
        "the retry is audited once, with how it was asked"
    );
    assert_eq!(entries[0].subject, first.message.id);
    assert!(
        entries[0].detail.contains("\"cli\""),
        "{}",
        entries[0].detail
    );
    let pending = notify::list(&one, INSTANCE, MailState::Pending, 0, 10)
        .await
        .expect("list");
    let retried = pending
        .iter()
        .find(|d| d.message.id == first.message.id)
        .expect("pending again");
    assert_eq!(retried.attempts, 0, "attempts start again from zero");
    assert!(
        due(&one, now + 2)
            .await
            .iter()
            .any(|m| m.message.id == first.message.id),
        "due at once"
    );
    assert!(
        !notify::retry(&one, INSTANCE, "no-such-message", None, "cli")
            .await
            .expect("retry")
    );
}

async fn lists_page_newest_first(one: Db) {
    queue(&one, 5).await;
    let first = notify::list(&one, INSTANCE, MailState::Pending, 0, 2)
        .await
        .expect("list");
    let rest = notify::list(&one, INSTANCE, MailState::Pending, 2, 10)
        .await
        .expect("list");
    let subjects: Vec<&str> = first
        .iter()
        .chain(&rest)
        .map(|d| d.message.subject.as_str())
        .collect();
    assert_eq!(
        subjects,
        ["Avviso 4", "Avviso 3", "Avviso 2", "Avviso 1", "Avviso 0"]
    );
    assert_eq!(
        notify::count(&one, INSTANCE, MailState::Pending)
            .await
            .expect("count"),
        5
    );
    assert!(
        notify::list(&one, "another", MailState::Pending, 0, 10)
            .await
            .expect("list")
            .is_empty(),
        "another instance's list is its own"
    );
}

async fn sqlite_pair() -> (tempfile::TempDir, Db, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("trama.db").display()
    );
    let one = Db::connect(&url).await.expect("database");
    let other = Db::connect(&url).await.expect("database");
    (dir, one, other)
}

async fn postgres_pair() -> (PgDatabase, Db, Db) {
    let pg = PgDatabase::create().await;
    let one = Db::connect(&pg.url).await.expect("database");
    let other = Db::connect(&pg.url).await.expect("database");
    (pg, one, other)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_node_holds_a_message_until_its_lease_runs_out_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    one_node_holds_a_message_until_its_lease_runs_out(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_node_holds_a_message_until_its_lease_runs_out_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    one_node_holds_a_message_until_its_lease_runs_out(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_messages_wait_for_an_administrator_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    failed_messages_wait_for_an_administrator(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_messages_wait_for_an_administrator_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    failed_messages_wait_for_an_administrator(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_newest_first_on_sqlite() {
    let (_dir, one, _) = sqlite_pair().await;
    lists_page_newest_first(one).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_newest_first_on_postgres() {
    let (_pg, one, _) = postgres_pair().await;
    lists_page_newest_first(one).await;
}
