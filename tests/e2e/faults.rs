//! Crashes: the server is killed with SIGKILL in the middle of a burst of voucher redemptions
//! or of tutoring bookings, and restarted on the same data, with no client retrying anything.
//! Every operation a client was told succeeded is there, whole; no operation is there in part
//! (money without its record, a seat or an hour taken without its booking, a write without its
//! audit entry): a plugin call is one transaction. No voucher went below zero; the audit chain
//! survived and is complete. Redemptions left `pending` by earlier kernel versions (whose
//! host calls committed one by one) are still settled from the ledger by the recovery job.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value as Json, json};

use crate::sandbox::assert_audit_intact;
use crate::support::{Client, PgDatabase, Server, TestInstance, add_user, eventually};
use crate::vouchers::{ANNA, BRUNO, CARLA, DARIO, ELENA, VOUCHERS, balance, vouchers_at_a_shop};

/// Face value of each voucher, in euros.
const FACE_EUROS: i64 = 50;
/// Tills sending requests one after another until the server dies.
const TILLS: usize = 8;
/// Acknowledged redemptions to wait for before killing the server.
const ACKED_BEFORE_KILL: usize = 12;

/// One request as the till that sent it saw it.
#[derive(Debug, Clone)]
struct Sent {
    body: Json,
    /// The HTTP status and answer, or `None` when the connection died with the server.
    answer: Option<(u16, Json)>,
}

impl Sent {
    fn status(&self) -> Option<u16> {
        self.answer.as_ref().map(|(status, _)| *status)
    }
}

/// A redemption document as stored by the plugin.
#[derive(Debug)]
struct Stored {
    code: String,
    cents: i64,
    /// Empty until the redemption is `done`.
    transfer_id: String,
    /// `pending`, `done` or `void`.
    status: String,
}

/// A ledger transfer of the plugin.
#[derive(Debug)]
struct Transfer {
    id: String,
    from: String,
    to: String,
    cents: i64,
}

async fn connect(url: &str) -> DatabaseConnection {
    sea_orm::Database::connect(url)
        .await
        .expect("open the database")
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .expect("query")
}

/// The documents of a collection of `plugin`, by id.
async fn documents(
    db: &DatabaseConnection,
    instance: &str,
    plugin: &str,
    collection: &str,
) -> BTreeMap<String, Json> {
    rows(db, &format!("SELECT doc_id, data FROM documents WHERE instance = '{instance}' AND plugin = '{plugin}' AND collection = '{collection}'"))
        .await
        .iter()
        .map(|row| {
            let data: String = row.try_get("", "data").expect("data");
            (
                row.try_get("", "doc_id").expect("doc_id"),
                serde_json::from_str(&data).expect("JSON document"),
            )
        })
        .collect()
}

/// The redemption documents, by request id.
async fn stored_redemptions(db: &DatabaseConnection, instance: &str) -> BTreeMap<String, Stored> {
    documents(db, instance, "vouchers", "redemptions")
        .await
        .values()
        .map(|data| {
            (
                data["request_id"].as_str().expect("request_id").to_owned(),
                Stored {
                    code: data["code"].as_str().expect("code").to_owned(),
                    cents: data["amount_cents"].as_i64().expect("amount"),
                    transfer_id: data["transfer_id"].as_str().expect("transfer").to_owned(),
                    status: data["status"].as_str().expect("status").to_owned(),
                },
            )
        })
        .collect()
}

/// The plugin's transfers, by idempotency key.
async fn transfers(db: &DatabaseConnection, instance: &str) -> BTreeMap<String, Transfer> {
    rows(db, &format!("SELECT id, idempotency_key, from_account, to_account, amount FROM ledger_transfers WHERE instance = '{instance}' AND plugin = 'vouchers'"))
        .await
        .iter()
        .map(|row| {
            let get = |column: &str| -> String { row.try_get("", column).expect(column) };
            (
                get("idempotency_key"),
                Transfer {
                    id: get("id"),
                    from: get("from_account"),
                    to: get("to_account"),
                    cents: row.try_get("", "amount").expect("amount"),
                },
            )
        })
        .collect()
}

/// The balance of every ledger account of the plugin.
async fn balances(db: &DatabaseConnection, instance: &str) -> BTreeMap<String, i64> {
    rows(db, &format!("SELECT name, balance FROM ledger_accounts WHERE instance = '{instance}' AND plugin = 'vouchers'"))
        .await
        .iter()
        .map(|row| {
            (
                row.try_get("", "name").expect("name"),
                row.try_get("", "balance").expect("balance"),
            )
        })
        .collect()
}

/// `TILLS` tills POST to `path` one request after another — the `n`-th of till `t` is
/// `request(t, n)` — until the server is killed, which happens once `ACKED_BEFORE_KILL`
/// requests were answered `201`. Returns what every till saw.
async fn burst_until_killed(
    server: Server,
    client: &Client,
    path: &str,
    request: impl Fn(usize, usize) -> Json + Send + Sync + 'static,
) -> Vec<Sent> {
    let token = client.csrf(&server).await;
    let url = server.url(path);
    let acked = Arc::new(AtomicUsize::new(0));
    let dead = Arc::new(AtomicBool::new(false));
    let request = Arc::new(request);
    let mut tills = Vec::new();
    for till in 0..TILLS {
        let (http, url, token) = (client.http.clone(), url.clone(), token.clone());
        let (acked, dead, request) = (acked.clone(), dead.clone(), request.clone());
        tills.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for n in 0.. {
                if dead.load(Ordering::SeqCst) {
                    break;
                }
                let body = request(till, n);
                let answer = match http
                    .post(&url)
                    .header("x-csrf-token", &token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // The answer is acknowledged only once its body arrived whole.
                        response
                            .json::<Json>()
                            .await
                            .ok()
                            .map(|answer| (status, answer))
                    }
                    Err(_) => None,
                };
                if answer.as_ref().is_some_and(|(status, _)| *status == 201) {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                let cut = answer.is_none();
                sent.push(Sent { body, answer });
                if cut {
                    break;
                }
            }
            sent
        }));
    }
    let enough = eventually(Duration::from_secs(120), || {
        let acked = acked.clone();
        async move { acked.load(Ordering::SeqCst) >= ACKED_BEFORE_KILL }
    })
    .await;
    assert!(enough, "the tills got {ACKED_BEFORE_KILL} successes");
    server.kill();
    dead.store(true, Ordering::SeqCst);
    let mut sent = Vec::new();
    for till in tills {
        sent.extend(till.await.expect("till"));
    }
    let cut = sent.iter().filter(|s| s.answer.is_none()).count();
    assert!(cut > 0, "the kill interrupted requests in flight");
    for status in sent.iter().filter_map(Sent::status) {
        assert!(
            matches!(status, 201 | 409),
            "unexpected status {status}: {sent:?}"
        );
    }
    eprintln!(
        "{path}: {} acknowledged, {} refused, {cut} cut by the kill",
        sent.iter().filter(|s| s.status() == Some(201)).count(),
        sent.iter().filter(|s| s.status() == Some(409)).count(),
    );
    sent
}

/// The transfers that took money from a voucher for a merchant, by idempotency key.
fn redemption_transfers(
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
fn vouchers_recovering_soon() -> String {
    format!("{VOUCHERS}recovery_grace_seconds = 10\n")
}

/// A redemption the till sent: (request id, code, cents).
fn redemption(sent: &Sent) -> (String, String, i64) {
    let text = |key: &str| sent.body[key].as_str().expect(key).to_owned();
    (
        text("request_id"),
        text("code"),
        sent.body["amount"].as_i64().expect("amount") * 100,
    )
}

async fn redemptions_survive_a_crash(instance: TestInstance, id: &str, db_url: &str) {
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

/// A crash can leave a redemption `pending` in two ways: after its money moved, or before.
/// The state is made exactly (the server is stopped and the documents rewritten as a kill
/// between the plugin's writes leaves them): the cashier asking again completes the first
/// without moving money twice; the recovery job voids the second, which took nothing, and the
/// shop's page says so.
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

/// Tills book lessons for eight families, each at its own tutor and room, one hour after
/// another, until the server is killed.
async fn bookings_survive_a_crash(instance: TestInstance, id: &str, db_url: &str) {
    use crate::tutoring::{day, post, space, tutor};
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = crate::support::login(&server, "operatrice").await;
    let mut places = Vec::new();
    for till in 0..TILLS {
        let room = space(&operator, &server, &format!("Aula {till}"), 3).await;
        let (teacher, _) = tutor(
            &operator,
            &server,
            &format!("Tutor {till}"),
            &["Matematica"],
            &["Primaria"],
        )
        .await;
        let (status, family) = post(
            &operator,
            &server,
            "/api/families",
            json!({"name": format!("Famiglia {till}"), "phone": "0612345678"}),
        )
        .await;
        assert_eq!(status, 201, "{family}");
        let family = crate::tutoring::id(&family);
        let (status, child) = post(
            &operator,
            &server,
            &format!("/api/families/{family}/children"),
            json!({"first_name": format!("Bimbo {till}"), "last_name": "Prova", "level": "Primaria", "subjects": ["Matematica"]}),
        )
        .await;
        assert_eq!(status, 201, "{child}");
        places.push((crate::tutoring::id(&child), teacher, room));
    }
    // The n-th booking of a till opens a group on day 1 + n / 12 at 8:00 + n % 12 hours.
    let sent = burst_until_killed(
        server,
        &operator,
        "/p/tutoring/api/bookings",
        move |till, n| {
            let (child, teacher, room) = &places[till];
            json!({
                "child": child,
                "subject": "Matematica",
                "tutor": teacher,
                "space": room,
                "date": day(1 + i64::try_from(n / 12).expect("small")),
                "start": format!("{:02}:00", 8 + n % 12),
            })
        },
    )
    .await;

    let server = Server::start(&[instance.path()]);
    let db = connect(db_url).await;
    let lessons = documents(&db, id, "tutoring", "lessons").await;
    let bookings = documents(&db, id, "tutoring", "bookings").await;
    let claims = documents(&db, id, "tutoring", "claims").await;
    let allowances = documents(&db, id, "tutoring", "allowances").await;

    // Every acknowledged booking is there, in its lesson.
    for (_, answer) in sent
        .iter()
        .filter_map(|s| s.answer.as_ref())
        .filter(|(status, _)| *status == 201)
    {
        let lesson = answer["lesson_id"].as_str().expect("lesson id");
        let booking = bookings
            .values()
            .find(|b| b["lesson"] == lesson)
            .unwrap_or_else(|| panic!("acknowledged booking in {lesson} is missing: {answer}"));
        assert_eq!(booking["status"], "booked");
    }
    // Every booking is whole: its lesson holds its seat, its child's quarter hours are
    // claimed for it, and it is counted in its family's hours.
    let mut used: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (booking_id, booking) in &bookings {
        let lesson = &lessons[booking["lesson"].as_str().expect("lesson")];
        let seated = lesson["seats"]
            .as_array()
            .expect("seats")
            .iter()
            .any(|seat| seat["booking"] == booking_id.as_str());
        assert!(seated, "booking {booking_id} has a seat in {lesson}");
        let minutes = booking["minutes"].as_u64().expect("minutes");
        let claimed = claims
            .values()
            .filter(|claim| claim["booking"] == booking_id.as_str())
            .count();
        assert_eq!(
            u64::try_from(claimed).expect("small") * 15,
            minutes,
            "the child's quarter hours of {booking_id}"
        );
        *used
            .entry((
                booking["family"].as_str().expect("family").to_owned(),
                booking["period"].as_str().expect("period").to_owned(),
            ))
            .or_default() += minutes;
    }
    // Nothing is taken without a booking: no seat, no claim, no hour.
    for (lesson_id, lesson) in &lessons {
        for seat in lesson["seats"].as_array().expect("seats") {
            let booking = seat["booking"].as_str().expect("booking");
            assert!(
                bookings.contains_key(booking),
                "seat of {booking} in {lesson_id}"
            );
        }
    }
    for (claim_id, claim) in &claims {
        let lesson = claim["lesson"].as_str().expect("lesson");
        assert!(
            lessons.contains_key(lesson),
            "claim {claim_id} of a missing lesson"
        );
        if let Some(booking) = claim["booking"].as_str() {
            assert!(
                bookings.contains_key(booking),
                "claim {claim_id} of a missing booking"
            );
        }
    }
    for allowance in allowances.values() {
        let key = (
            allowance["family"].as_str().expect("family").to_owned(),
            allowance["period"].as_str().expect("period").to_owned(),
        );
        assert_eq!(
            allowance["used_minutes"].as_u64().expect("used"),
            used.get(&key).copied().unwrap_or(0),
            "hours used by {key:?}"
        );
    }
    // The restarted server serves the same lessons.
    for (lesson_id, lesson) in lessons.iter().take(3) {
        let (status, view) = operator
            .get_json(&server, &format!("/p/tutoring/api/lessons/{lesson_id}"))
            .await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(
            view["taken"],
            json!(lesson["seats"].as_array().map(Vec::len))
        );
    }
    db.close().await.ok();
    server.kill();
    assert_audit_intact(instance.path());
}

/// Enough funded hours that the families never run out during the burst.
const TUTORING_SETTINGS: &str = "allowance_hours_per_child = 1000";

#[tokio::test(flavor = "multi_thread")]
async fn bookings_survive_a_kill_9_on_sqlite() {
    let body = crate::tutoring::manifest(TUTORING_SETTINGS);
    let instance = TestInstance::new("crash-tutoring", &body);
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    );
    bookings_survive_a_crash(instance, "crash-tutoring", &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bookings_survive_a_kill_9_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!(
        "[database]\nurl = \"{}\"\n{}",
        db.url,
        crate::tutoring::manifest(TUTORING_SETTINGS)
    );
    bookings_survive_a_crash(
        TestInstance::new("crash-tutoring-pg", &body),
        "crash-tutoring-pg",
        &db.url,
    )
    .await;
}
