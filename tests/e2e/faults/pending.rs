//! A redemption left `pending` by an earlier kernel's crash is settled from the ledger.

use std::collections::BTreeMap;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value as Json, json};

use super::redemptions::vouchers_recovering_soon;
use super::{FACE_EUROS, connect, documents};
use crate::support::{Server, TestInstance, add_user, eventually};
use crate::vouchers::{ANNA, balance, vouchers_at_a_shop};

/// shop's page says so.
/// A crash can leave a redemption `pending` in two ways: after its money moved, or before.
/// The state is made exactly (the server is stopped and the documents rewritten as a kill
/// between the plugin's writes leaves them): the cashier asking again completes the first
/// without moving money twice; the recovery job voids the second, which took nothing, and the
#[tokio::test(flavor = "multi_thread")]
async fn a_redemption_left_pending_by_a_crash_is_settled_from_the_ledger() {
    let instance = TestInstance::new("pending", &vouchers_recovering_soon());
    add_user(&instance, "operatore", "operator");
    add_user(&instance, "cassa", "merchant");
    let server = Server::start(&[instance.path()]);
    let (_, cashier, codes) = vouchers_at_a_shop(&server, FACE_EUROS, &[ANNA]).await;
    let code = codes[0].clone();
    let moved = json!({"code": code, "amount": 3, "request_id": "crash-moved-0001"});
    let (status, first) = cashier
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/redeem",
            &moved,
        )
        .await;
    assert_eq!(status, 201, "{first}");
    server.kill();

    let url = format!(
        "sqlite://{}?mode=rw",
        instance.path().join("data/trama.db").display()
    );
    let db = connect(&url).await;
    let moved_id = first["id"].as_str().expect("id").to_owned();
    let done = documents(&db, "pending", "vouchers", "redemptions").await[&moved_id].clone();
    let merchant = done["merchant"].as_str().expect("merchant").to_owned();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("ms");
    // Moved: the transfer went through, the document was still pending. Its last attempt is
    // put an hour ahead so that only the cashier's retry can settle it.
    let mut cut_after = done.clone();
    cut_after["status"] = json!("pending");
    cut_after["transfer_id"] = json!("");
    cut_after["remaining_cents"] = json!(0);
    cut_after["attempted_at"] = json!(now + 3_600_000);
    // Lost: the intent was written, the transfer never happened.
    let lost_id = format!("{merchant}-crash-lost-00001");
    let mut cut_before = cut_after.clone();
    cut_before["request_id"] = json!("crash-lost-00001");
    cut_before["transfer_key"] = json!(format!("redeem/{merchant}/crash-lost-00001"));
    cut_before["amount_cents"] = json!(200);
    cut_before["attempted_at"] = json!(now);
    let scope = "instance = 'pending' AND plugin = 'vouchers' AND collection = 'redemptions'";
    let statements = [
        format!(
            "INSERT INTO documents (instance, plugin, collection, doc_id, version, data, updated_at) SELECT instance, plugin, collection, '{lost_id}', 1, data, updated_at FROM documents WHERE {scope} AND doc_id = '{moved_id}'"
        ),
        format!(
            "INSERT INTO document_index (instance, plugin, collection, doc_id, field, value_text, value_num) SELECT instance, plugin, collection, '{lost_id}', field, value_text, value_num FROM document_index WHERE {scope} AND doc_id = '{moved_id}'"
        ),
        format!(
            "UPDATE documents SET data = '{cut_after}' WHERE {scope} AND doc_id = '{moved_id}'"
        ),
        format!(
            "UPDATE documents SET data = '{cut_before}' WHERE {scope} AND doc_id = '{lost_id}'"
        ),
        format!(
            "UPDATE document_index SET value_text = 'pending' WHERE {scope} AND field = 'status'"
        ),
    ];
    for statement in statements {
        db.execute_unprepared(&statement).await.expect(&statement);
    }
    db.close().await.ok();

    let server = Server::start(&[instance.path()]);
    let left = FACE_EUROS * 100 - 300;
    assert_eq!(balance(&cashier, &server, &code).await, left);
    // The cashier asks again: the same redemption, completed, and no second payment.
    let (status, again) = cashier
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/redeem",
            &moved,
        )
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(
        (&again["id"], &again["status"], &again["remaining_cents"]),
        (&first["id"], &json!("done"), &json!(left))
    );
    assert_eq!(balance(&cashier, &server, &code).await, left);
    // The recovery finds no transfer for the other one and voids it.
    let db = connect(&url.replace("mode=rw", "mode=ro")).await;
    let settled = eventually(Duration::from_secs(120), || {
        let (db, lost_id) = (&db, &lost_id);
        async move {
            documents(db, "pending", "vouchers", "redemptions").await[lost_id]["status"] == "void"
        }
    })
    .await;
    assert!(
        settled,
        "the recovery voided the redemption that took nothing"
    );
    let stored = documents(&db, "pending", "vouchers", "redemptions").await;
    assert_eq!(stored[&moved_id]["status"], "done");
    assert_eq!(stored[&moved_id]["transfer_id"], done["transfer_id"]);
    assert_eq!(balance(&cashier, &server, &code).await, left);
    let (status, page) = cashier.get_json(&server, "/p/vouchers/api/merchant").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["owed_cents"], 300, "only the done redemption is owed");
    let shown: BTreeMap<&str, (&Json, &Json)> = page["redemptions"]
        .as_array()
        .expect("redemptions")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id"),
                (&r["status"], &r["status_label"]),
            )
        })
        .collect();
    assert_eq!(shown[moved_id.as_str()].0, "done");
    assert_eq!(
        shown[lost_id.as_str()],
        (&json!("void"), &json!("annullata"))
    );
    let (status, html) = cashier.page(&server, "/p/vouchers/merchant").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<s>2,00 €</s> (annullata)"),
        "the shop's page shows the cancelled one struck out: {html}"
    );
    // Asking again for the cancelled one says so; it takes nothing.
    let (status, refused) = cashier
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/redeem",
            &json!({"code": code, "amount": 2, "request_id": "crash-lost-00001"}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("annullato"),
        "{refused}"
    );
    assert_eq!(balance(&cashier, &server, &code).await, left);
    db.close().await.ok();
    server.kill();
}
