//! Applying approved proposals on several nodes: one proposal of an instance is applied at a
//! time, a claim that ran out is taken over and its holder's late finish refused, and a
//! proposal re-checked against one overlay is finished only if nothing else was applied since.
//! On SQLite and on PostgreSQL, with two connection pools (two kernel nodes) on one database.

use crate::pg;

use pg::PgDatabase;
use serde_json::json;
use trama::board::{Board, Change, Claim, Finish, Proposal, Status};
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
            before: None,
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

const LATER: i64 = i64::MAX / 2;

async fn claim(board: &Board, number: i64, until: i64) -> Claim {
    board
        .claim_apply(number, until)
        .await
        .expect("claim")
        .unwrap_or_else(|| panic!("proposal #{number} could not be claimed"))
}

fn applied(finish: Finish) -> (i64, i64) {
    match finish {
        Finish::Applied { generation } => generation,
        other => panic!("expected the proposal applied, got {other:?}"),
    }
}

/// One proposal of an instance is applied at a time across nodes: while one is claimed, no
/// other can be, so none is ever found out of date after its hooks ran.
async fn one_proposal_is_applied_at_a_time(one: Db, other: Db) {
    let (first, second) = (Board::new(one, INSTANCE), Board::new(other, INSTANCE));
    let a = approved(&first, "max_message_length", 300).await;
    let b = approved(&second, "max_message_length", 400).await;
    let checked = first.generation().await.expect("generation");
    let held = claim(&first, a, LATER).await;
    assert_eq!(
        second.claim_apply(b, LATER).await.expect("claim"),
        None,
        "another proposal is being applied"
    );
    assert_eq!(
        second.claim_apply(a, LATER).await.expect("claim"),
        None,
        "the live claim is not taken over"
    );
    let now = applied(
        first
            .finish_applied(a, &json!({}), checked, held)
            .await
            .expect("finish"),
    );
    assert_eq!(now, first.generation().await.expect("generation"));
    assert_ne!(now, checked);

    let held = claim(&second, b, LATER).await;
    applied(
        second
            .finish_applied(b, &json!({}), now, held)
            .await
            .expect("finish"),
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
}

/// A claim that ran out: the proposal is taken over by another node, and the first node's
/// late finish is refused; a finish checked against an outdated generation is stale.
async fn claims_that_ran_out(one: Db, other: Db) {
    let (first, second) = (Board::new(one, INSTANCE), Board::new(other, INSTANCE));
    let a = approved(&first, "greeting_count", 1).await;
    let b = approved(&second, "greeting_count", 2).await;
    let checked = first.generation().await.expect("generation");
    // The first node claims `a` and stalls past its claim.
    let stalled = claim(&first, a, 1).await;
    // Meanwhile the other node applies `b`: the expired claim no longer holds it back.
    let held = claim(&second, b, LATER).await;
    applied(
        second
            .finish_applied(b, &json!({}), checked, held)
            .await
            .expect("finish"),
    );
    // The first node wakes up: what it checked is out of date.
    assert_eq!(
        first
            .finish_applied(a, &json!({}), checked, stalled)
            .await
            .expect("finish"),
        Finish::Stale
    );
    assert!(first.release_claim(a, stalled).await.expect("release"));
    let proposal = first.get(a).await.expect("get").expect("proposal");
    assert_eq!(proposal.status, Status::Approved, "back in the queue");

    // A node whose claim was taken over can neither finish nor give it back.
    let stalled = claim(&first, a, 1).await;
    let taken = claim(&second, a, LATER).await;
    let now = first.generation().await.expect("generation");
    assert_eq!(
        first
            .finish_applied(a, &json!({}), now, stalled)
            .await
            .expect("finish"),
        Finish::ClaimLost
    );
    assert!(!first.release_claim(a, stalled).await.expect("release"));
    assert!(
        !first
            .fail_applying(a, &json!({"error": "late"}), stalled)
            .await
            .expect("fail")
    );
    applied(
        second
            .finish_applied(a, &json!({}), now, taken)
            .await
            .expect("finish"),
    );
}

/// Two nodes claim two approved proposals in the same instant, many times over: each time
/// exactly one gets to apply.
async fn two_nodes_racing_claim_exactly_one(one: Db, other: Db) {
    let (first, second) = (Board::new(one, INSTANCE), Board::new(other, INSTANCE));
    for round in 0..20 {
        let a = approved(&first, "greeting_count", round).await;
        let b = approved(&second, "greeting_count", round + 100).await;
        let (left, right) =
            tokio::join!(first.claim_apply(a, LATER), second.claim_apply(b, LATER),);
        let claims = [(a, left.expect("claim")), (b, right.expect("claim"))];
        let won: Vec<(i64, Claim)> = claims
            .iter()
            .filter_map(|(number, held)| held.map(|held| (*number, held)))
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one of two racing claims wins"
        );
        let (number, held) = won[0];
        let checked = first.generation().await.expect("generation");
        applied(
            first
                .finish_applied(number, &json!({}), checked, held)
                .await
                .expect("finish"),
        );
        let loser = if number == a { b } else { a };
        let held = claim(&first, loser, LATER).await;
        let checked = first.generation().await.expect("generation");
        applied(
            first
                .finish_applied(loser, &json!({}), checked, held)
                .await
                .expect("finish"),
        );
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
async fn one_proposal_is_applied_at_a_time_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    one_proposal_is_applied_at_a_time(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_proposal_is_applied_at_a_time_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    one_proposal_is_applied_at_a_time(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_that_ran_out_are_taken_over_and_late_finishes_refused_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    claims_that_ran_out(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claims_that_ran_out_are_taken_over_and_late_finishes_refused_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    claims_that_ran_out(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_claiming_at_once_get_exactly_one_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    two_nodes_racing_claim_exactly_one(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_claiming_at_once_get_exactly_one_on_postgres() {
    let (_pg, one, other) = postgres_pair().await;
    two_nodes_racing_claim_exactly_one(one, other).await;
}
