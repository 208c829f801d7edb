//! Crashes: the server is killed with SIGKILL in the middle of a burst of voucher redemptions
//! or of tutoring bookings, and restarted on the same data, with no client retrying anything.
//! Every operation a client was told succeeded is there, whole; no operation is there in part
//! (money without its record, a seat or an hour taken without its booking, a write without its
//! audit entry): a plugin call is one transaction. No voucher went below zero; the audit chain
//! survived and is complete. Redemptions left `pending` by earlier kernel versions (whose
//! host calls committed one by one) are still settled from the ledger by the recovery job.

mod bookings;
mod pending;
mod redemptions;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value as Json;

use crate::support::{Client, Server, eventually};

/// Face value of each voucher, in euros.
pub(super) const FACE_EUROS: i64 = 50;
/// Tills sending requests one after another until the server dies.
pub(super) const TILLS: usize = 8;
/// Acknowledged redemptions to wait for before killing the server.
pub(super) const ACKED_BEFORE_KILL: usize = 12;

/// One request as the till that sent it saw it.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) body: Json,
    /// The HTTP status and answer, or `None` when the connection died with the server.
    pub(super) answer: Option<(u16, Json)>,
}

impl Sent {
    pub(super) fn status(&self) -> Option<u16> {
        self.answer.as_ref().map(|(status, _)| *status)
    }
}

/// A redemption document as stored by the plugin.
#[derive(Debug)]
pub(super) struct Stored {
    pub(super) code: String,
    pub(super) cents: i64,
    /// Empty until the redemption is `done`.
    pub(super) transfer_id: String,
    /// `pending`, `done` or `void`.
    pub(super) status: String,
}

/// A ledger transfer of the plugin.
#[derive(Debug)]
pub(super) struct Transfer {
    pub(super) id: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) cents: i64,
}

pub(super) async fn connect(url: &str) -> DatabaseConnection {
    sea_orm::Database::connect(url)
        .await
        .expect("open the database")
}

pub(super) async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .await
    .expect("query")
}

/// The documents of a collection of `plugin`, by id.
pub(super) async fn documents(
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
pub(super) async fn stored_redemptions(
    db: &DatabaseConnection,
    instance: &str,
) -> BTreeMap<String, Stored> {
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
pub(super) async fn transfers(
    db: &DatabaseConnection,
    instance: &str,
) -> BTreeMap<String, Transfer> {
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
pub(super) async fn balances(db: &DatabaseConnection, instance: &str) -> BTreeMap<String, i64> {
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
pub(super) async fn burst_until_killed(
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
