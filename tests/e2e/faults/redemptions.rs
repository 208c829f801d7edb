//! Voucher redemptions survive a kill -9, on SQLite and on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{
    ACKED_BEFORE_KILL, FACE_EUROS, Sent, Stored, Transfer, balances, burst_until_killed, connect,
    stored_redemptions, transfers,
};
use crate::sandbox::assert_audit_intact;
use crate::support::{PgDatabase, Server, TestInstance, add_user};
use crate::vouchers::{ANNA, BRUNO, CARLA, DARIO, ELENA, VOUCHERS, balance, vouchers_at_a_shop};

/// The transfers that took money from a voucher for a merchant, by idempotency key.
pub(super) fn redemption_transfers(
    ledger: &BTreeMap<String, Transfer>,
) -> impl Iterator<Item = (&String, &Transfer)> {
    ledger.iter().filter(|(key, transfer)| {
        key.starts_with("redeem/")
            && !key.ends_with("/memo")
            && transfer.from.starts_with("voucher/")
            && transfer.to.starts_with("merchant/")
            && transfer.to.ends_with("/owed")
    })
}

/// Vouchers on an instance whose recovery settles a redemption left pending 10 seconds after
/// its last attempt (above the 5 s HTTP deadline) instead of 2 minutes, so the test need not
/// wait that long.
pub(super) fn vouchers_recovering_soon() -> String {
    format!("{VOUCHERS}recovery_grace_seconds = 10\n")
}

/// A redemption the till sent: (request id, code, cents).
pub(super) fn redemption(sent: &Sent) -> (String, String, i64) {
    let text = |key: &str| sent.body[key].as_str().expect(key).to_owned();
    (
        text("request_id"),
        text("code"),
        sent.body["amount"].as_i64().expect("amount") * 100,
    )
}

pub(super) async fn redemptions_survive_a_crash(instance: TestInstance, id: &str, db_url: &str) {
    add_user(&instance, "operatore", "operator");
    add_user(&instance, "cassa", "merchant");
    let server = Server::start(&[instance.path()]);
    let (_, cashier, codes) =
        vouchers_at_a_shop(&server, FACE_EUROS, &[ANNA, BRUNO, CARLA, DARIO, ELENA]).await;
    let tills_codes = codes.clone();
    // Each till redeems 1 to 3 € at a time, under a new request id each time.
    let sent = burst_until_killed(
        server,
        &cashier,
        "/p/vouchers/api/redeem",
        move |till, n| {
            json!({
                "code": tills_codes[(till + n) % tills_codes.len()],
                "amount": 1 + (till + n) % 3,
                "request_id": format!("till{till}-{n:04}"),
            })
        },
    )
    .await;
    let acked: Vec<(String, String, i64)> = sent
        .iter()
        .filter(|s| s.status() == Some(201))
        .map(redemption)
        .collect();
    let cut: Vec<(String, String, i64)> = sent
        .iter()
        .filter(|s| s.answer.is_none())
        .map(redemption)
        .collect();
    assert!(acked.len() >= ACKED_BEFORE_KILL);

    // Restarted on the same data; nobody retries the requests the kill cut.
    let server = Server::start(&[instance.path()]);
    let db = connect(db_url).await;
    let stored = stored_redemptions(&db, id).await;
    let ledger = transfers(&db, id).await;

    // Every acknowledged redemption is there, done, as it was acknowledged.
    for (request_id, code, cents) in &acked {
        let doc = stored
            .get(request_id)
            .unwrap_or_else(|| panic!("acknowledged {request_id} is missing"));
        assert_eq!(
            (doc.code.as_str(), doc.cents, doc.status.as_str()),
            (code.as_str(), *cents, "done"),
            "{request_id}"
        );
    }
    // No money moved without its record: every redemption transfer has its document, done
    // with that transfer — a plugin call is one transaction, so the kill left none half done.
    for (key, transfer) in redemption_transfers(&ledger) {
        let request_id = key.rsplit('/').next().expect("request id");
        let doc = stored
            .get(request_id)
            .unwrap_or_else(|| panic!("transfer {key} has no redemption document"));
        assert!(
            doc.status == "done" && doc.transfer_id == transfer.id,
            "transfer {key} has {doc:?}"
        );
        assert_eq!(
            (transfer.from.as_str(), transfer.cents),
            (format!("voucher/{}", doc.code).as_str(), doc.cents),
            "{key}"
        );
    }
    let pending: Vec<&Stored> = stored.values().filter(|doc| doc.status != "done").collect();
    assert!(
        pending.is_empty(),
        "{id}: the kill ({} cut requests) left redemptions half done: {pending:?}",
        cut.len()
    );
    let by_id: BTreeMap<&str, &Transfer> = ledger.values().map(|t| (t.id.as_str(), t)).collect();
    // Done ⇔ its money moved: each done redemption has its transfer and its memorandum entry,
    // and each redemption transfer belongs to a done redemption; a void one took nothing.
    for (request_id, doc) in stored.iter().filter(|(_, doc)| doc.status == "done") {
        let transfer = by_id
            .get(doc.transfer_id.as_str())
            .unwrap_or_else(|| panic!("redemption {request_id} has no transfer"));
        assert_eq!(
            (transfer.from.as_str(), transfer.cents),
            (format!("voucher/{}", doc.code).as_str(), doc.cents),
            "{request_id}"
        );
        assert!(transfer.to.starts_with("merchant/"), "{transfer:?}");
        let memo = ledger
            .iter()
            .find(|(key, _)| key.ends_with(&format!("/{request_id}/memo")))
            .unwrap_or_else(|| panic!("redemption {request_id} has no memorandum entry"));
        assert!(memo.1.to.starts_with("memo/campaign/"), "{memo:?}");
        assert_eq!(memo.1.cents, doc.cents);
    }
    let redeemed: BTreeSet<String> = redemption_transfers(&ledger)
        .map(|(key, _)| key.rsplit('/').next().expect("request id").to_owned())
        .collect();
    let done: BTreeSet<String> = stored
        .iter()
        .filter(|(_, doc)| doc.status == "done")
        .map(|(request_id, _)| request_id.clone())
        .collect();
    assert_eq!(
        redeemed, done,
        "a redemption is done exactly when its money moved"
    );
    let memos = ledger
        .keys()
        .filter(|key| key.starts_with("redeem/") && key.ends_with("/memo"))
        .count();
    assert_eq!(memos, done.len(), "one memorandum entry per redemption");
    // A cancelled redemption shows on the shop's page as such, and takes nothing.
    let (status, page) = cashier.get_json(&server, "/p/vouchers/api/merchant").await;
    assert_eq!(status, 200, "{page}");
    for shown in page["redemptions"].as_array().expect("redemptions") {
        let id = shown["id"].as_str().expect("id");
        let (_, doc) = stored
            .iter()
            .find(|(request_id, _)| id.ends_with(&format!("-{request_id}")))
            .unwrap_or_else(|| panic!("{id} is not stored"));
        assert_eq!(shown["status"], doc.status.as_str(), "{shown}");
        assert_eq!(shown["done"], doc.status == "done", "{shown}");
    }

    // The money adds up to the cent: each voucher holds its face value minus exactly what
    // its redemptions took, and none went below zero.
    let accounts = balances(&db, id).await;
    let mut spent_total = 0;
    for code in &codes {
        let spent: i64 = stored
            .values()
            .filter(|doc| &doc.code == code && doc.status == "done")
            .map(|doc| doc.cents)
            .sum();
        let left = accounts[&format!("voucher/{code}")];
        assert!(left >= 0, "voucher {code} went below zero: {left}");
        assert_eq!(left, FACE_EUROS * 100 - spent, "voucher {code}");
        assert_eq!(balance(&cashier, &server, code).await, left);
        spent_total += spent;
    }
    let owed: i64 = accounts
        .iter()
        .filter(|(name, _)| name.starts_with("merchant/") && name.ends_with("/owed"))
        .map(|(_, cents)| cents)
        .sum();
    assert_eq!(
        owed, spent_total,
        "the shop is owed exactly what was redeemed"
    );
    let memo: i64 = accounts
        .iter()
        .filter(|(name, _)| name.starts_with("memo/campaign/"))
        .map(|(_, cents)| cents)
        .sum();
    assert_eq!(memo, spent_total, "the campaign's spent total agrees");
    db.close().await.ok();
    server.kill();
    assert_audit_intact(instance.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn redemptions_survive_a_kill_9_on_sqlite() {
    let instance = TestInstance::new("crash", &vouchers_recovering_soon());
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    );
    redemptions_survive_a_crash(instance, "crash", &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redemptions_survive_a_kill_9_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!(
        "[database]\nurl = \"{}\"\n{}",
        db.url,
        vouchers_recovering_soon()
    );
    redemptions_survive_a_crash(TestInstance::new("crash-pg", &body), "crash-pg", &db.url).await;
}
