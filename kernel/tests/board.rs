//! Applying approved proposals on several nodes: a proposal re-checked against one overlay is
//! finished only if nothing else was applied since, so two nodes applying two proposals in the
//! same instant cannot both pass their re-checks against an overlay without the other. On
//! SQLite and on PostgreSQL, with two connection pools (two kernel nodes) on one database.

#[path = "common/pg.rs"]
mod pg;

use pg::PgDatabase;
use serde_json::json;
use trama::board::{Board, Change, Finish, Proposal, Status};
use trama::db::Db;

const INSTANCE: &str = "valdarno";

/// Files an approved proposal that sets `key` of the hello plugin to `value`.
async fn approved(board: &Board, key: &str, value: i64) -> i64 {
    let proposal = Proposal {
        number: 0,
        title: format!("{key} = {value}"),
        kind: "settings".into(),
        changes: vec![Change {
            path: vec![
                "plugins".into(),
                "hello".into(),
                "settings".into(),
                key.into(),
            ],
            value: json!(value),
        }],
        diff: String::new(),
        status: Status::Open,
        proposed_by: "u-1".into(),
        created_at: 0,
        closes_at: i64::MAX,
        decided_at: None,
        outcome: None,
    };
    let number = board.insert(&proposal).await.expect("insert");
    assert!(
        board
            .transition(number, Status::Open, Status::Approved, &json!({}))
            .await
            .expect("approve")
    );
    number
}

async fn claim(board: &Board, number: i64) {
    let until = i64::MAX / 2;
    assert!(board.claim_apply(number, until).await.expect("claim"));
}

/// One node re-checks and finishes, then another that checked against the same generation is
/// told its check is stale; checked again, it finishes after the first.
async fn a_finish_after_another_is_stale(one: Db, other: Db) {
    let (first, second) = (Board::new(one, INSTANCE), Board::new(other, INSTANCE));
    let a = approved(&first, "max_message_length", 300).await;
    let b = approved(&second, "max_message_length", 400).await;
    let checked = first.generation().await.expect("generation");
    claim(&first, a).await;
    claim(&second, b).await;
    assert_eq!(
        first
            .finish_applied(a, &json!({}), checked)
            .await
            .expect("finish"),
        Finish::Applied
    );
    assert_eq!(
        second
            .finish_applied(b, &json!({}), checked)
            .await
            .expect("finish"),
        Finish::Stale,
        "the second re-check was made against an overlay without the first"
    );
    let status = second.get(b).await.expect("get").expect("proposal").status;
    assert_eq!(status, Status::Applying, "a stale finish changes nothing");

    let now = second.generation().await.expect("generation");
    assert_ne!(now, checked);
    assert_eq!(
        second
            .finish_applied(b, &json!({}), now)
            .await
            .expect("finish"),
        Finish::Applied
    );
    let overlay = first.overlay().await.expect("overlay");
    let sources: Vec<&str> = overlay
        .changes()
        .iter()
        .map(|change| change.source.as_str())
        .collect();
    assert_eq!(
        sources,
        [format!("proposal #{a}"), format!("proposal #{b}")]
    );

    // Finishing what is no longer being applied is refused as a lost claim.
    let latest = first.generation().await.expect("generation");
    assert_eq!(
        first
            .finish_applied(a, &json!({}), latest)
            .await
            .expect("finish"),
        Finish::ClaimLost
    );
}

/// Two nodes finish two proposals checked against the same generation at the same instant,
/// many times over: each time exactly one is applied.
async fn two_nodes_racing_apply_exactly_one(one: Db, other: Db) {
    let (first, second) = (Board::new(one, INSTANCE), Board::new(other, INSTANCE));
    for round in 0..20 {
        let a = approved(&first, "greeting_count", round).await;
        let b = approved(&second, "greeting_count", round + 100).await;
        claim(&first, a).await;
        claim(&second, b).await;
        let checked = first.generation().await.expect("generation");
        let outcome = json!({});
        let (left, right) = tokio::join!(
            first.finish_applied(a, &outcome, checked),
            second.finish_applied(b, &outcome, checked),
        );
        let mut finishes = [left.expect("finish"), right.expect("finish")];
        finishes.sort_by_key(|finish| *finish == Finish::Applied);
        assert_eq!(
            finishes,
            [Finish::Stale, Finish::Applied],
            "round {round}: exactly one of two racing finishes is applied"
        );
        // The loser gives its claim back, as the governance worker does.
        for (board, number) in [(&first, a), (&second, b)] {
            board
                .transition(number, Status::Applying, Status::Approved, &outcome)
                .await
                .expect("release");
        }
    }
}

async fn sqlite_pair() -> (tempfile::TempDir, Db, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("board.db").display()
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
async fn a_finish_checked_against_an_outdated_generation_is_stale_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    a_finish_after_another_is_stale(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finish_checked_against_an_outdated_generation_is_stale_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    a_finish_after_another_is_stale(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_finishing_at_once_apply_exactly_one_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    two_nodes_racing_apply_exactly_one(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_finishing_at_once_apply_exactly_one_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    two_nodes_racing_apply_exactly_one(one, other).await;
}
