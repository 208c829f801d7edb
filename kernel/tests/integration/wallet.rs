//! The welfare wallet spends a person's purses from two plugins exactly: in the order and for
//! the categories they are offered, never beyond what they hold — also when charges race from
//! two kernel nodes on one database — and pays them back when a price goes down. Each plugin's
//! books stay balanced and the clearing accounts of two plugins mirror each other. An owner
//! that subscribes is told of each movement of its purses, and nobody else is.

use crate::pg;

use std::collections::BTreeSet;
use std::sync::Arc;

use pg::PgDatabase;
use sea_orm::ConnectionTrait;
use serde_json::Value as Json;
use trama::db::Db;
use trama::ledger::{AccountKind, Ledger, TransferRequest};
use trama::wallet::{
    ChargeRequest, DRAWN, Offer, REPAID, Subscribers, Wallet, WalletError, clearing_account,
};

const INSTANCE: &str = "monteserra";
const TODAY: &str = "2026-12-05";

async fn person(db: &Db, id: &str) {
    db.conn()
        .execute_unprepared(&format!(
            "INSERT INTO users (instance, id, username, display_name, password_hash, created_at) \
             VALUES ('{INSTANCE}', '{id}', '{id}', '{id}', '-', 0)"
        ))
        .await
        .expect("a person");
}

/// Opens `account` in `plugin`'s books with `cents` from its funding, and offers it to `holder`.
async fn purse(db: &Db, plugin: &str, account: &str, cents: i64, offer: Offer) {
    let books = Ledger::new(db.clone(), INSTANCE, plugin);
    books
        .open("funding", AccountKind::External)
        .await
        .expect("funding");
    books
        .open(account, AccountKind::Funded)
        .await
        .expect("account");
    books
        .transfer(TransferRequest {
            from: "funding".into(),
            to: account.into(),
            amount: cents,
            idempotency_key: format!("fund/{account}"),
            memo: String::new(),
        })
        .await
        .expect("funded");
    let write = db.begin_owned_write().await.expect("write");
    Wallet::new(db.clone(), INSTANCE)
        .offer_in(
            write.txn(),
            plugin,
            &Offer {
                account: account.into(),
                ..offer
            },
        )
        .await
        .expect("offered");
    write.commit().await.expect("commit");
}

fn offer(holder: &str, label: &str, categories: &[&str]) -> Offer {
    Offer {
        account: String::new(),
        holder: holder.into(),
        label: label.into(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        valid_from: None,
        valid_until: None,
    }
}

fn request(category: &str, amount: i64, key: &str) -> ChargeRequest {
    ChargeRequest {
        category: category.into(),
        amount,
        owners: vec!["vouchers".into(), "corporate-plans".into()],
        to: "received".into(),
        key: key.into(),
        memo: format!("booking {key}"),
    }
}

async fn services_books(db: &Db) -> Ledger {
    let books = Ledger::new(db.clone(), INSTANCE, "services");
    books
        .open("received", AccountKind::Funded)
        .await
        .expect("received");
    books
}

/// The wallet of a call: vouchers subscribes to both movements, rides (no purses) to draws,
/// corporate plans to nothing.
fn wallet(db: &Db) -> Wallet {
    let both: BTreeSet<String> = [DRAWN, REPAID].map(str::to_owned).into();
    let drawn: BTreeSet<String> = [DRAWN.to_owned()].into();
    let none = BTreeSet::new();
    let subscribers = Subscribers::new([
        ("vouchers", &both),
        ("rides", &drawn),
        ("corporate-plans", &none),
    ]);
    Wallet::new(db.clone(), INSTANCE).telling(Arc::new(subscribers))
}

/// The wallet's events so far, oldest first: name, who gets it, payload.
async fn told(db: &Db) -> Vec<(String, String, Json)> {
    let rows = db
        .conn()
        .query_all_raw(sea_orm::Statement::from_string(
            db.backend(),
            format!(
                "SELECT e.name, d.subscriber, e.payload FROM events e \
                 LEFT JOIN event_deliveries d ON d.instance = e.instance AND d.event_id = e.id \
                 WHERE e.instance = '{INSTANCE}' AND e.source = '~wallet' ORDER BY e.published_at, e.id"
            ),
        ))
        .await
        .expect("events");
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get("", "payload").expect("payload");
            (
                row.try_get("", "name").expect("name"),
                row.try_get::<Option<String>>("", "subscriber")
                    .expect("subscriber")
                    .unwrap_or_default(),
                serde_json::from_str(&payload).expect("JSON"),
            )
        })
        .collect()
}

async fn charge(
    db: &Db,
    holder: &str,
    request: &ChargeRequest,
) -> Result<trama::wallet::Charge, WalletError> {
    let write = db.begin_owned_write().await.expect("write");
    let charged = wallet(db)
        .charge_in(write.txn(), None, "services", holder, request, TODAY)
        .await;
    if charged.is_ok() {
        write.commit().await.expect("commit");
    }
    charged
}

async fn reprice(db: &Db, key: &str, amount: i64) -> Result<trama::wallet::Charge, WalletError> {
    let write = db.begin_owned_write().await.expect("write");
    let repriced = wallet(db)
        .reprice_in(write.txn(), None, "services", key, amount)
        .await;
    if repriced.is_ok() {
        write.commit().await.expect("commit");
    }
    repriced
}

async fn balance(db: &Db, plugin: &str, account: &str) -> i64 {
    Ledger::new(db.clone(), INSTANCE, plugin)
        .get(account)
        .await
        .expect("get")
        .map_or(0, |a| a.balance)
}

async fn books_sum(db: &Db, plugin: &str) -> i64 {
    Ledger::new(db.clone(), INSTANCE, plugin)
        .list("", 1000, 0)
        .await
        .expect("list")
        .iter()
        .map(|a| a.balance)
        .sum()
}

async fn suite(db: Db, other_node: Db) {
    a_booking_is_paid_from_two_sources_exactly(&db).await;
    earmarks_days_and_withdrawals_are_respected(&db).await;
    a_lower_price_pays_the_person_first_then_the_last_purse(&db).await;
    charges_racing_from_two_nodes_never_overspend(&db, &other_node).await;
    for plugin in ["vouchers", "corporate-plans", "services"] {
        assert_eq!(
            books_sum(&db, plugin).await,
            0,
            "the books of {plugin} balance"
        );
    }
    assert_eq!(
        balance(&db, "vouchers", &clearing_account("services")).await,
        -balance(&db, "services", &clearing_account("vouchers")).await,
        "the clearing accounts mirror each other"
    );
}

async fn a_booking_is_paid_from_two_sources_exactly(db: &Db) {
    person(db, "anna").await;
    purse(
        db,
        "vouchers",
        "voucher/A1",
        3_000,
        offer("anna", "Buono Comune", &["Baby sitting"]),
    )
    .await;
    purse(
        db,
        "corporate-plans",
        "credit/anna",
        5_000,
        offer("anna", "Welfare aziendale", &[]),
    )
    .await;
    let books = services_books(db).await;
    let quote = {
        let wallet = Wallet::new(db.clone(), INSTANCE);
        wallet
            .quote(
                db.conn(),
                "services",
                "anna",
                &request("Baby sitting", 10_000, "q"),
                TODAY,
            )
            .await
            .expect("quote")
    };
    assert_eq!(quote.uncovered, 2_000);
    assert_eq!(
        balance(db, "vouchers", "voucher/A1").await,
        3_000,
        "a quote moves nothing"
    );

    let charged = charge(db, "anna", &request("Baby sitting", 10_000, "booking/1"))
        .await
        .expect("charged");
    let drawn: Vec<(&str, i64)> = charged
        .drawn
        .iter()
        .map(|d| (d.owner.as_str(), d.amount))
        .collect();
    assert_eq!(drawn, vec![("vouchers", 3_000), ("corporate-plans", 5_000)]);
    assert_eq!(
        charged.uncovered, 2_000,
        "the person pays the rest directly"
    );
    assert_eq!(balance(db, "vouchers", "voucher/A1").await, 0);
    assert_eq!(balance(db, "corporate-plans", "credit/anna").await, 0);
    assert_eq!(
        books.get("received").await.expect("get").map(|a| a.balance),
        Some(8_000)
    );

    // A replay returns the first charge; the same key for another amount is refused.
    let again = charge(db, "anna", &request("Baby sitting", 10_000, "booking/1"))
        .await
        .expect("replayed");
    assert_eq!(again, charged);
    assert!(matches!(
        charge(db, "anna", &request("Baby sitting", 9_000, "booking/1")).await,
        Err(WalletError::Conflict(_))
    ));
    assert_eq!(
        balance(db, "services", "received").await,
        8_000,
        "nothing moved twice"
    );

    // Vouchers is told what its voucher paid, in the charge's transaction and to it alone;
    // corporate plans, which does not subscribe, and rides, which owns no purse, hear nothing.
    let events = told(db).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let (name, to, payload) = &events[0];
    assert_eq!((name.as_str(), to.as_str()), (DRAWN, "vouchers"));
    assert_eq!(payload["account"], "voucher/A1");
    assert_eq!(payload["amount_cents"], 3_000);
    assert_eq!(payload["charger"], "services");
    assert_eq!(payload["charge"], "booking/1");
    assert_eq!(payload["category"], "Baby sitting");
    assert_eq!(payload["entry"], "~wallet/services/booking/1/0");
}

async fn earmarks_days_and_withdrawals_are_respected(db: &Db) {
    person(db, "bruno").await;
    purse(
        db,
        "vouchers",
        "voucher/B-taxi",
        1_000,
        offer("bruno", "Buono trasporto", &["Trasporto"]),
    )
    .await;
    purse(
        db,
        "vouchers",
        "voucher/B-old",
        1_000,
        Offer {
            valid_until: Some("2026-11-30".into()),
            ..offer("bruno", "Buono scaduto", &[])
        },
    )
    .await;
    purse(
        db,
        "vouchers",
        "voucher/B-later",
        1_000,
        Offer {
            valid_from: Some("2027-01-01".into()),
            ..offer("bruno", "Seconda rata", &[])
        },
    )
    .await;
    purse(
        db,
        "vouchers",
        "voucher/B-soon",
        700,
        Offer {
            valid_until: Some("2026-12-20".into()),
            ..offer("bruno", "Buono di dicembre", &[])
        },
    )
    .await;
    purse(
        db,
        "vouchers",
        "voucher/B-open",
        700,
        offer("bruno", "Buono senza scadenza", &[]),
    )
    .await;
    purse(
        db,
        "corporate-plans",
        "credit/bruno",
        500,
        offer("bruno", "Welfare", &[]),
    )
    .await;

    // Not the taxi voucher, not the lapsed one, not the later one; December's before the one
    // that never lapses; the company's credit last.
    let charged = charge(db, "bruno", &request("Baby sitting", 1_600, "booking/b1"))
        .await
        .expect("charged");
    let drawn: Vec<(&str, i64)> = charged
        .drawn
        .iter()
        .map(|d| (d.account.as_str(), d.amount))
        .collect();
    assert_eq!(
        drawn,
        vec![
            ("voucher/B-soon", 700),
            ("voucher/B-open", 700),
            ("credit/bruno", 200)
        ]
    );

    // A withdrawn purse pays for nothing.
    let write = db.begin_owned_write().await.expect("write");
    Wallet::new(db.clone(), INSTANCE)
        .withdraw_in(write.txn(), "vouchers", "voucher/B-taxi")
        .await
        .expect("withdrawn");
    write.commit().await.expect("commit");
    let taxi = charge(db, "bruno", &request("Trasporto", 500, "booking/b2"))
        .await
        .expect("charged");
    let drawn: Vec<&str> = taxi.drawn.iter().map(|d| d.account.as_str()).collect();
    assert_eq!(drawn, vec!["credit/bruno"]);
    assert_eq!(taxi.uncovered, 200);

    // Another person's purses are never drawn, and nobody can offer to an unknown account.
    person(db, "carla").await;
    let carla = charge(db, "carla", &request("Baby sitting", 300, "booking/c1"))
        .await
        .expect("charged");
    assert!(carla.drawn.is_empty());
    assert_eq!(carla.uncovered, 300);
    let write = db.begin_owned_write().await.expect("write");
    let refused = Wallet::new(db.clone(), INSTANCE)
        .offer_in(
            write.txn(),
            "vouchers",
            &Offer {
                account: "voucher/A1".into(),
                ..offer("nobody-here", "x", &[])
            },
        )
        .await;
    assert!(matches!(refused, Err(WalletError::Invalid(m)) if m.contains("nobody-here")));
}

async fn a_lower_price_pays_the_person_first_then_the_last_purse(db: &Db) {
    // anna's booking/1: vouchers 3,000 + company 5,000 + 2,000 directly.
    let cut = reprice(db, "booking/1", 9_000).await.expect("repriced");
    assert_eq!((cut.amount, cut.uncovered), (9_000, 1_000));
    assert_eq!(balance(db, "corporate-plans", "credit/anna").await, 0);
    let cut = reprice(db, "booking/1", 4_000).await.expect("repriced");
    assert_eq!(cut.uncovered, 0);
    let drawn: Vec<(&str, i64)> = cut
        .drawn
        .iter()
        .map(|d| (d.owner.as_str(), d.amount))
        .collect();
    assert_eq!(drawn, vec![("vouchers", 3_000), ("corporate-plans", 1_000)]);
    assert_eq!(balance(db, "corporate-plans", "credit/anna").await, 4_000);
    assert_eq!(
        balance(db, "services", "received").await,
        4_000 + 1_600 + 300
    );
    assert!(
        matches!(
            reprice(db, "booking/1", 5_000).await,
            Err(WalletError::Invalid(_))
        ),
        "a price never goes up after the charge"
    );
    let before = told(db).await.len();
    let cancelled = reprice(db, "booking/1", 0).await.expect("cancelled");
    assert!(cancelled.drawn.is_empty());
    assert_eq!(balance(db, "vouchers", "voucher/A1").await, 3_000);
    assert_eq!(balance(db, "corporate-plans", "credit/anna").await, 5_000);
    // Only the voucher's payment back is told, once, under an entry of its own.
    let events = told(db).await;
    let back: Vec<&(String, String, Json)> = events[before..]
        .iter()
        .filter(|(name, _, _)| name == REPAID)
        .collect();
    assert_eq!(back.len(), 1, "{events:?}");
    assert_eq!(back[0].1, "vouchers");
    assert_eq!(back[0].2["amount_cents"], 3_000);
    assert_eq!(back[0].2["entry"], "~wallet/services/booking/1/0/back/0");
}

async fn charges_racing_from_two_nodes_never_overspend(db: &Db, other_node: &Db) {
    person(db, "dario").await;
    purse(
        db,
        "vouchers",
        "voucher/D",
        10_000,
        offer("dario", "Buono", &[]),
    )
    .await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let node = if n % 2 == 0 {
            db.clone()
        } else {
            other_node.clone()
        };
        tasks.push(tokio::spawn(async move {
            let request = ChargeRequest {
                owners: vec!["vouchers".into()],
                ..request("Baby sitting", 1_000, &format!("race/{n}"))
            };
            let mut last = None;
            for _ in 0..200 {
                match charge(&node, "dario", &request).await {
                    Ok(charge) => return charge,
                    // SQLite's busy writer or a PostgreSQL serialization failure: the call is
                    // tried again, as the kernel retries a plugin call.
                    Err(WalletError::Internal(err)) => {
                        last = Some(err);
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            panic!("charge {n} kept failing: {last:?}")
        }));
    }
    let mut from_credit = 0;
    let mut directly = 0;
    for task in tasks {
        let charge = task.await.expect("task");
        from_credit += charge.drawn.iter().map(|d| d.amount).sum::<i64>();
        directly += charge.uncovered;
    }
    assert_eq!(from_credit, 10_000, "the purse paid exactly what it held");
    assert_eq!(directly, 20 * 1_000 - 10_000);
    assert_eq!(balance(db, "vouchers", "voucher/D").await, 0);
}

async fn sqlite_pair() -> (tempfile::TempDir, Db, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("wallet.db").display()
    );
    let one = Db::connect(&url).await.expect("database");
    let other = Db::connect(&url).await.expect("database");
    (dir, one, other)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wallet_on_sqlite() {
    let (_dir, one, other) = sqlite_pair().await;
    suite(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wallet_on_postgres() {
    let pg = PgDatabase::create().await;
    let one = Db::connect(&pg.url).await.expect("database");
    let other = Db::connect(&pg.url).await.expect("database");
    suite(one, other).await;
}
