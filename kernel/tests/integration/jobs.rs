//! Scheduled jobs run once per due time across nodes, on SQLite and on PostgreSQL: two
//! connection pools (two nodes) whose clocks disagree race for the same slots, and a node that
//! stops in the middle of a run has its slot taken over only once its claim expired.

use crate::pg;

use std::time::Duration;

use pg::PgDatabase;
use trama::db::Db;
use trama::events::{ClaimedSlot, JobSlot, due_slot};

const CLAIM_MS: i64 = 6_000;

fn slot(at: i64) -> JobSlot {
    JobSlot {
        instance: "i1".into(),
        plugin: "hello".into(),
        job: "tidy".into(),
        slot: at,
    }
}

async fn suite(node_a: Db, node_b: Db) {
    skewed_clocks_never_run_a_due_time_twice(&node_a, &node_b).await;
    concurrent_claims_of_one_slot_let_one_node_win(&node_a, &node_b).await;
    a_stopped_run_is_taken_over_only_after_its_claim_expired(&node_a, &node_b).await;
}

/// Node B's clock runs 1.3 s ahead of A's and the period is 2 s: they still agree on which
/// due times exist, and each runs once, by whichever node asks first.
async fn skewed_clocks_never_run_a_due_time_twice(a: &Db, b: &Db) {
    let every = Duration::from_secs(2);
    let skew = 1_300;
    let mut runs = Vec::new();
    for tick in 0..40_i64 {
        let now_a = 10_000_000 + tick * 250;
        let now_b = now_a + skew;
        for (node, db, now) in [("node-a", a, now_a), ("node-b", b, now_b)] {
            let due = slot(due_slot(now, every));
            if let Some(claimed) = due.claim(db, node, now, CLAIM_MS).await.expect("claim") {
                assert!(
                    due.finish(db, node, claimed.attempt, now, None)
                        .await
                        .expect("finish")
                );
                runs.push(due.slot);
            }
        }
    }
    let unique: std::collections::BTreeSet<i64> = runs.iter().copied().collect();
    assert_eq!(unique.len(), runs.len(), "each due time ran once: {runs:?}");
    // 40 ticks of 250 ms cover 10 s plus the skew: six due times.
    assert_eq!(runs.len(), 6, "{runs:?}");
}

async fn concurrent_claims_of_one_slot_let_one_node_win(a: &Db, b: &Db) {
    let due = slot(20_000_000);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (db, node) = if i % 2 == 0 {
            (a.clone(), "node-a")
        } else {
            (b.clone(), "node-b")
        };
        let due = due.clone();
        tasks.push(tokio::spawn(async move {
            due.claim(&db, node, 20_000_100, CLAIM_MS)
                .await
                .expect("claim")
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.expect("task").is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1, "one claim of twenty concurrent ones wins");
}

async fn a_stopped_run_is_taken_over_only_after_its_claim_expired(a: &Db, b: &Db) {
    let due = slot(30_000_000);
    let started = 30_000_010;
    let claimed = due
        .claim(a, "node-a", started, CLAIM_MS)
        .await
        .expect("claim");
    assert_eq!(
        claimed,
        Some(ClaimedSlot {
            attempt: 1,
            taken_over_from: None
        })
    );
    // node-a stops without finishing. While its claim lives, nobody else runs the slot.
    let alive = due
        .claim(b, "node-b", started + CLAIM_MS, CLAIM_MS)
        .await
        .expect("claim");
    assert_eq!(alive, None, "a live claim is respected");
    let expired = started + CLAIM_MS + 1;
    let taken = due
        .claim(b, "node-b", expired, CLAIM_MS)
        .await
        .expect("claim");
    assert_eq!(
        taken,
        Some(ClaimedSlot {
            attempt: 2,
            taken_over_from: Some("node-a".into())
        })
    );
    // Only one node takes it over.
    assert_eq!(
        due.claim(a, "node-c", expired, CLAIM_MS)
            .await
            .expect("claim"),
        None
    );
    // node-a waking up late cannot record an outcome over node-b's claim.
    assert!(
        !due.finish(a, "node-a", 1, expired, Some("late"))
            .await
            .expect("finish")
    );
    assert!(
        due.finish(b, "node-b", 2, expired + 10, None)
            .await
            .expect("finish")
    );
    // A finished slot is never run again, however late anyone asks.
    assert_eq!(
        due.claim(a, "node-a", expired + 10 * CLAIM_MS, CLAIM_MS)
            .await
            .expect("claim"),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn job_slots_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("trama.db").display()
    );
    let a = Db::connect(&url).await.expect("connect");
    let b = Db::connect(&url).await.expect("connect");
    suite(a, b).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn job_slots_on_postgres() {
    let db = PgDatabase::create().await;
    let a = Db::connect(&db.url).await.expect("connect");
    let b = Db::connect(&db.url).await.expect("connect");
    suite(a, b).await;
}
