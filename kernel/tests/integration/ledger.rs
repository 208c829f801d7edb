//! The ledger moves money exactly and never overspends, on SQLite and on PostgreSQL, under
//! concurrent requests and with two connection pools (two kernel nodes) on one database.

use crate::pg;

use pg::PgDatabase;
use trama::db::Db;
use trama::ledger::{AccountKind, Ledger, LedgerError, TransferRequest};

fn request(from: &str, to: &str, amount: i64, key: &str) -> TransferRequest {
    TransferRequest {
        from: from.into(),
        to: to.into(),
        amount,
        idempotency_key: key.into(),
        memo: String::new(),
    }
}

async fn balance(ledger: &Ledger, name: &str) -> i64 {
    ledger
        .get(name)
        .await
        .expect("get")
        .expect("account exists")
        .balance
}

/// Balances of every account of the plugin: they must always sum to zero.
async fn books_balance(ledger: &Ledger) -> i64 {
    ledger
        .list("", 1000, 0)
        .await
        .expect("list")
        .iter()
        .map(|a| a.balance)
        .sum()
}

async fn suite(db: Db, other_node: Db) {
    transfers_move_exact_amounts(&db).await;
    overspending_is_refused_atomically(&db).await;
    idempotency_keys_never_move_money_twice(&db).await;
    concurrent_spending_never_goes_below_zero(&db, &other_node).await;
    concurrent_retries_of_one_payment_pay_once(&db, &other_node).await;
    plugins_keep_separate_books(&db).await;
}

async fn transfers_move_exact_amounts(db: &Db) {
    let books = Ledger::new(db.clone(), "i1", "vouchers");
    books
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    books
        .open("campaign/1", AccountKind::Funded)
        .await
        .expect("open");
    books
        .open("voucher/A", AccountKind::Funded)
        .await
        .expect("open");
    // Reopening with the same kind is harmless; with another kind it is refused.
    assert_eq!(balance(&books, "campaign/1").await, 0);
    books
        .open("campaign/1", AccountKind::Funded)
        .await
        .expect("reopen");
    assert!(matches!(
        books.open("campaign/1", AccountKind::External).await,
        Err(LedgerError::Invalid(_))
    ));

    books
        .transfer(request("funding", "campaign/1", 1_000_000, "fund-1"))
        .await
        .expect("fund");
    books
        .transfer(request("campaign/1", "voucher/A", 15_050, "issue-A"))
        .await
        .expect("issue");
    assert_eq!(balance(&books, "funding").await, -1_000_000);
    assert_eq!(balance(&books, "campaign/1").await, 984_950);
    assert_eq!(balance(&books, "voucher/A").await, 15_050);
    assert_eq!(books_balance(&books).await, 0);

    let history = books.history("campaign/1", 10, 0).await.expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].idempotency_key, "issue-A", "newest first");

    for bad in [
        request("campaign/1", "voucher/A", 0, "zero"),
        request("campaign/1", "voucher/A", -5, "neg"),
        request("voucher/A", "voucher/A", 1, "self"),
    ] {
        assert!(matches!(
            books.transfer(bad).await,
            Err(LedgerError::Invalid(_))
        ));
    }
    assert!(matches!(
        books
            .transfer(request("campaign/1", "nowhere", 1, "lost"))
            .await,
        Err(LedgerError::UnknownAccount(_))
    ));
    assert_eq!(
        balance(&books, "campaign/1").await,
        984_950,
        "a refused transfer moves nothing"
    );
}

async fn overspending_is_refused_atomically(db: &Db) {
    let books = Ledger::new(db.clone(), "i2", "vouchers");
    books
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    books
        .open("budget", AccountKind::Funded)
        .await
        .expect("open");
    books.open("a", AccountKind::Funded).await.expect("open");
    books.open("b", AccountKind::Funded).await.expect("open");
    books
        .transfer(request("funding", "budget", 100, "f"))
        .await
        .expect("fund");
    let err = books
        .transfer_all(vec![
            request("budget", "a", 60, "x1"),
            request("budget", "b", 60, "x2"),
        ])
        .await
        .expect_err("120 out of 100");
    assert!(
        matches!(&err, LedgerError::InsufficientFunds(m) if m.contains("40")),
        "{err}"
    );
    assert_eq!(
        balance(&books, "budget").await,
        100,
        "the first half was rolled back"
    );
    assert_eq!(balance(&books, "a").await, 0);
    assert!(books.history("a", 10, 0).await.expect("history").is_empty());
}

async fn idempotency_keys_never_move_money_twice(db: &Db) {
    let books = Ledger::new(db.clone(), "i3", "vouchers");
    books
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    books.open("w", AccountKind::Funded).await.expect("open");
    let first = books
        .transfer(request("funding", "w", 500, "pay-1"))
        .await
        .expect("pay");
    let again = books
        .transfer(request("funding", "w", 500, "pay-1"))
        .await
        .expect("replay");
    assert_eq!(first, again);
    assert_eq!(balance(&books, "w").await, 500);
    assert!(matches!(
        books.transfer(request("funding", "w", 700, "pay-1")).await,
        Err(LedgerError::Conflict(_))
    ));
}

async fn concurrent_spending_never_goes_below_zero(db: &Db, other_node: &Db) {
    let books = Ledger::new(db.clone(), "i4", "vouchers");
    let other = Ledger::new(other_node.clone(), "i4", "vouchers");
    books
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    books
        .open("voucher", AccountKind::Funded)
        .await
        .expect("open");
    books.open("shop", AccountKind::Funded).await.expect("open");
    books
        .transfer(request("funding", "voucher", 5_000, "fund"))
        .await
        .expect("fund");

    // 200 redemptions of 1 € against a 50 € voucher, half through each node.
    let mut tasks = Vec::new();
    for n in 0..200 {
        let node = if n % 2 == 0 {
            books.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            node.transfer(request("voucher", "shop", 100, &format!("redeem-{n}")))
                .await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("join") {
            Ok(_) => ok += 1,
            Err(LedgerError::InsufficientFunds(_)) => refused += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, refused), (50, 150));
    assert_eq!(balance(&books, "voucher").await, 0);
    assert_eq!(balance(&other, "shop").await, 5_000);
    assert_eq!(books_balance(&books).await, 0);
}

/// A client retrying one payment on both nodes at once: every attempt reports the same
/// transfer and the money moves once (none reports a false "insufficient funds").
async fn concurrent_retries_of_one_payment_pay_once(db: &Db, other_node: &Db) {
    let books = Ledger::new(db.clone(), "i6", "vouchers");
    let other = Ledger::new(other_node.clone(), "i6", "vouchers");
    books
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    books
        .open("voucher", AccountKind::Funded)
        .await
        .expect("open");
    books.open("shop", AccountKind::Funded).await.expect("open");
    books
        .transfer(request("funding", "voucher", 700, "fund"))
        .await
        .expect("fund");
    let mut tasks = Vec::new();
    for n in 0..20 {
        let node = if n % 2 == 0 {
            books.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            node.transfer(request("voucher", "shop", 700, "checkout-42"))
                .await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.expect("join").expect("every retry succeeds").id);
    }
    assert_eq!(ids.len(), 1, "one transfer, reported to every attempt");
    assert_eq!(balance(&books, "voucher").await, 0);
    assert_eq!(balance(&books, "shop").await, 700);
}

async fn plugins_keep_separate_books(db: &Db) {
    let vouchers = Ledger::new(db.clone(), "i5", "vouchers");
    let plans = Ledger::new(db.clone(), "i5", "corporate-plans");
    let elsewhere = Ledger::new(db.clone(), "i5b", "vouchers");
    vouchers
        .open("funding", AccountKind::External)
        .await
        .expect("open");
    vouchers
        .open("budget", AccountKind::Funded)
        .await
        .expect("open");
    vouchers
        .transfer(request("funding", "budget", 10, "f"))
        .await
        .expect("fund");
    assert!(plans.get("budget").await.expect("get").is_none());
    assert!(elsewhere.get("budget").await.expect("get").is_none());
    plans
        .open("budget", AccountKind::Funded)
        .await
        .expect("same name, other plugin");
    assert!(matches!(
        plans
            .transfer(request("budget", "funding", 1, "steal"))
            .await,
        Err(LedgerError::InsufficientFunds(_) | LedgerError::UnknownAccount(_))
    ));
    assert_eq!(balance(&vouchers, "budget").await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ledger_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("ledger.db").display()
    );
    let db = Db::connect(&url).await.expect("connect");
    // One SQLite file has one writer: a second pool stands for a second process on the same
    // file (single-node deployments), and SQLite's own locking keeps it consistent.
    let second = Db::connect(&url).await.expect("connect again");
    suite(db, second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ledger_on_postgres_with_two_nodes() {
    let database = PgDatabase::create().await;
    let node_a = Db::connect(&database.url).await.expect("node a");
    let node_b = Db::connect(&database.url).await.expect("node b");
    suite(node_a.clone(), node_b.clone()).await;
    node_a.conn().clone().close().await.ok();
    node_b.conn().clone().close().await.ok();
}
