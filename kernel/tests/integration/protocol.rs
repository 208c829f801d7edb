//! The instance's protocol register (`trama::protocol`) on SQLite and on PostgreSQL: numbers
//! registered at once from two connection pools (two kernel nodes) never repeat and leave no
//! gap, whichever plugin takes them; a transaction that rolls back or gives its numbers back
//! (a refused request) leaves them to the next; each year in Rome's calendar starts from 1;
//! instances keep separate registers.

use crate::pg;

use pg::PgDatabase;
use trama::db::Db;
use trama::protocol::{self, Entry};

/// 12:00 on 1 March 2026 in Rome.
const MARCH_2026: i64 = 1_772_362_800_000;
/// 23:30 on 31 December 2026 in Rome (22:30 UTC), and an hour later, in 2027.
const NEW_YEARS_EVE: i64 = 1_798_756_200_000;
const NEW_YEAR: i64 = NEW_YEARS_EVE + 3_600_000;

/// Registers one entry in a transaction of its own on `db`, which commits unless `keep` is false.
async fn register(db: &Db, instance: &str, plugin: &str, at: i64, keep: bool) -> Entry {
    let write = db.begin_owned_write().await.expect("begin");
    let entry = protocol::register_in(write.txn(), instance, plugin, "a test", at)
        .await
        .expect("register");
    if keep {
        write.commit().await.expect("commit");
    } else {
        write.rollback().await.expect("rollback");
    }
    entry
}

async fn suite(db: Db, other_node: Db) {
    numbers_at_once_never_repeat_and_leave_no_gap(&db, &other_node).await;
    a_refused_request_gives_its_numbers_back(&db).await;
    each_year_starts_from_one(&db).await;
}

async fn numbers_at_once_never_repeat_and_leave_no_gap(db: &Db, other_node: &Db) {
    let calls = 60;
    let tasks: Vec<_> = (0..calls)
        .map(|i| {
            let node = if i % 2 == 0 {
                db.clone()
            } else {
                other_node.clone()
            };
            tokio::spawn(async move {
                let plugin = ["vouchers", "admissions", "corporate-plans"][i % 3];
                // One call in seven fails after registering: its number goes to another.
                let keep = i % 7 != 3;
                (
                    keep,
                    register(&node, "comune", plugin, MARCH_2026, keep).await,
                )
            })
        })
        .collect();
    let mut kept = Vec::new();
    for task in tasks {
        let (keep, entry) = task.await.expect("task");
        assert_eq!(entry.year, 2026);
        if keep {
            kept.push(entry.number);
        }
    }
    kept.sort_unstable();
    let expected: Vec<i64> = (1..=i64::try_from(kept.len()).expect("few")).collect();
    assert_eq!(kept, expected, "every number once, none skipped");
    let register = protocol::of_year(db.conn(), "comune", 2026)
        .await
        .expect("the register");
    let numbers: Vec<i64> = register.iter().map(|r| r.entry.number).collect();
    assert_eq!(numbers, expected, "the register lists what was kept");
    for plugin in ["vouchers", "admissions", "corporate-plans"] {
        assert!(
            register.iter().any(|r| r.plugin == plugin),
            "one sequence for every plugin of the instance: {plugin}"
        );
    }
    // Another instance on the same database has its own register.
    let elsewhere = register_one(db, "altro", MARCH_2026).await;
    assert_eq!(elsewhere.label(), "2026/000001");
}

async fn register_one(db: &Db, instance: &str, at: i64) -> Entry {
    register(db, instance, "vouchers", at, true).await
}

async fn a_refused_request_gives_its_numbers_back(db: &Db) {
    let before = register_one(db, "restituzioni", MARCH_2026).await;
    assert_eq!(before.number, 1);
    let write = db.begin_owned_write().await.expect("begin");
    let mut taken = Vec::new();
    for _ in 0..2 {
        taken.push(
            protocol::register_in(
                write.txn(),
                "restituzioni",
                "vouchers",
                "refused",
                MARCH_2026,
            )
            .await
            .expect("register"),
        );
    }
    assert_eq!(taken.iter().map(|e| e.number).collect::<Vec<_>>(), [2, 3]);
    protocol::give_back_in(write.txn(), "restituzioni", &taken)
        .await
        .expect("give back");
    // The call commits its other writes; the numbers are not among them.
    write.commit().await.expect("commit");
    let next = register_one(db, "restituzioni", MARCH_2026).await;
    assert_eq!(next.label(), "2026/000002");
    let register = protocol::of_year(db.conn(), "restituzioni", 2026)
        .await
        .expect("the register");
    assert_eq!(register.len(), 2, "{register:?}");
}

async fn each_year_starts_from_one(db: &Db) {
    let eve = register_one(db, "capodanno", NEW_YEARS_EVE).await;
    let eve_again = register_one(db, "capodanno", NEW_YEARS_EVE).await;
    let first = register_one(db, "capodanno", NEW_YEAR).await;
    assert_eq!(
        [eve.label(), eve_again.label(), first.label()],
        ["2026/000001", "2026/000002", "2027/000001"],
        "23:30 UTC on 31 December is already the new year in Rome"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn protocol_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("protocol.db").display()
    );
    let db = Db::connect(&url).await.expect("connect");
    // A second pool on the same file stands for a second process.
    let second = Db::connect(&url).await.expect("connect again");
    suite(db, second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn protocol_on_postgres_with_two_nodes() {
    let database = PgDatabase::create().await;
    let node_a = Db::connect(&database.url).await.expect("node a");
    let node_b = Db::connect(&database.url).await.expect("node b");
    suite(node_a.clone(), node_b.clone()).await;
    node_a.conn().clone().close().await.ok();
    node_b.conn().clone().close().await.ok();
}
