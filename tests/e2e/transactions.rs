//! One plugin call, one transaction: what a call writes — documents, events, its audit entry —
//! is there whole when the call succeeds and not at all when it fails, traps, runs out of time
//! or its client hangs up; the call reads its own writes; and `trama audit verify` proves that
//! no committed write lacks its entry. On SQLite and on PostgreSQL.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value as Json, json};

use crate::sandbox::assert_audit_intact;
use crate::support::{HELLO, PgDatabase, Server, trama, write_named_instance};

const ROGUE: &str = r#"
[plugins.rogue]
version = "^1.0"
capabilities = ["store", "log", "events"]
"#;

/// An instance `NAME` in a folder of its own, on `database` (empty for its SQLite file), with
/// rogue and hello, and a short HTTP deadline for rogue's endless loop.
fn instance(name: &str, database: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let plugins = format!("[limits]\nhttp_deadline_ms = 1500\n{ROGUE}{HELLO}");
    write_named_instance(root.path(), name, database, &plugins);
    root
}

/// The URL of the instance's database: `database`'s, or its SQLite file.
fn database_url(root: &Path, name: &str, pg: Option<&PgDatabase>) -> String {
    match pg {
        Some(pg) => pg.url.clone(),
        None => format!(
            "sqlite://{}?mode=ro",
            root.join(name).join("data/trama.db").display()
        ),
    }
}

async fn strings(url: &str, sql: &str) -> Vec<String> {
    let db = sea_orm::Database::connect(url)
        .await
        .expect("open database");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .expect("query");
    db.close().await.ok();
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("text"))
        .collect()
}

async fn writes_of_a_failed_call_are_not_kept(pg: Option<PgDatabase>) {
    let name = "atomico";
    let database = pg
        .as_ref()
        .map(|pg| format!("[database]\nurl = \"{}\"\n", pg.url))
        .unwrap_or_default();
    let root = instance(name, &database);
    let server = Server::start(&[root.path()]);
    let visitor = crate::many::Visitor::new(&server, &format!("{name}.localhost"));

    // A call reads what it has just written, before it commits.
    let (status, planted) = visitor
        .post_json("/p/rogue/plant/things/kept", &json!({"n": 1}))
        .await;
    assert_eq!(status, 200, "{planted}");
    assert_eq!(planted["read"], json!({"n": 1}), "{planted}");

    // Written, then failed: an error, a panic, a loop stopped at the deadline.
    for (how, expected) in [("fail", 409), ("panic", 500), ("loop", 504)] {
        let (status, body) = visitor
            .post_json(
                &format!("/p/rogue/plant-then/{how}/things/{how}"),
                &json!({"n": 2}),
            )
            .await;
        assert_eq!(status, expected, "{how}: {body}");
        let (status, peek) = visitor.get(&format!("/p/rogue/peek/things/{how}")).await;
        assert_eq!(
            (status, &peek["found"]),
            (200, &Json::Null),
            "{how}: the write of a failed call was kept: {peek}"
        );
    }
    let (_, peek) = visitor.get("/p/rogue/peek/things/kept").await;
    assert_eq!(peek["found"], json!({"n": 1}), "{peek}");
    server.kill();

    // One `plugin.changed` entry, for the one call that succeeded; the log is complete.
    let url = database_url(root.path(), name, pg.as_ref());
    let changed = strings(
        &url,
        "SELECT detail FROM audit_log WHERE action = 'plugin.changed' AND plugin = 'rogue'",
    )
    .await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].contains("\"kept\""), "{changed:?}");
    assert_audit_intact(&root.path().join(name));
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_of_a_failed_call_are_not_kept_on_sqlite() {
    writes_of_a_failed_call_are_not_kept(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_of_a_failed_call_are_not_kept_on_postgres() {
    writes_of_a_failed_call_are_not_kept(Some(PgDatabase::create().await)).await;
}

/// A payload off the schema its `plugin.toml` declares is refused at `publish`, with a message
/// naming the plugin, the event and the field; the plugin passes the refusal on, so its call
/// fails and keeps nothing — neither the document it wrote first nor the event. A payload that
/// matches goes through.
#[tokio::test(flavor = "multi_thread")]
async fn a_payload_off_its_schema_is_refused_and_nothing_of_the_call_is_kept() {
    let name = "schema";
    let root = instance(name, "");
    let server = Server::start(&[root.path()]);
    let visitor = crate::many::Visitor::new(&server, &format!("{name}.localhost"));

    let (status, body) = visitor
        .post_json(
            "/p/rogue/plant-then/publish/things/refused",
            &json!({"n": 1}),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    let said = body.to_string();
    for part in [
        "plugin `rogue`",
        "event `rogue.misbehaved`",
        "at /count",
        "is not of type",
    ] {
        assert!(
            said.contains(part),
            "the refusal should say {part:?}: {said}"
        );
    }
    let (_, peek) = visitor.get("/p/rogue/peek/things/refused").await;
    assert_eq!(
        peek["found"],
        Json::Null,
        "the write of the refused call was kept: {peek}"
    );

    let (status, body) = visitor
        .post_json(
            "/p/rogue/plant-then/publish-ok/things/kept",
            &json!({"n": 2}),
        )
        .await;
    assert_eq!((status, &body["published"]), (200, &json!(true)), "{body}");
    let (_, peek) = visitor.get("/p/rogue/peek/things/kept").await;
    assert_eq!(peek["found"], json!({"n": 2}), "{peek}");
    server.kill();

    let url = database_url(root.path(), name, None);
    let published = strings(
        &url,
        "SELECT payload FROM events WHERE source = 'rogue' ORDER BY published_at",
    )
    .await;
    assert_eq!(
        published.len(),
        1,
        "only the matching event is kept: {published:?}"
    );
    assert!(published[0].contains("\"count\":1"), "{published:?}");
}

/// Greetings posted by clients that hang up after 1 to 40 ms, many at once: whatever was
/// committed is whole — each greeting with its `hello.greeted` event and its audit entry, no
/// event without its greeting.
async fn clients_that_hang_up_leave_no_partial_call(pg: Option<PgDatabase>) {
    const REQUESTS: usize = 160;
    const AT_ONCE: usize = 32;
    let name = "riagganci";
    let database = pg
        .as_ref()
        .map(|pg| format!("[database]\nurl = \"{}\"\n", pg.url))
        .unwrap_or_default();
    let root = instance(name, &database);
    let server = Server::start(&[root.path()]);
    let host = format!("{name}.localhost");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .resolve(
            &host,
            std::net::SocketAddr::from(([127, 0, 0, 1], server.port())),
        )
        .build()
        .expect("client");
    let base = format!("http://{host}:{}", server.port());
    let session: Json = http
        .get(format!("{base}/session"))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("session JSON");
    let token = session["csrf_token"].as_str().expect("token").to_owned();
    let (cut, answered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..AT_ONCE {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        let (cut, answered, next) = (cut.clone(), answered.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= REQUESTS {
                    return;
                }
                let sent = http
                    .post(format!("{base}/p/hello/api/greetings"))
                    .header("x-csrf-token", &token)
                    .timeout(Duration::from_millis(1 + (n as u64 * 7) % 40))
                    .json(&json!({"name": format!("Persona {n}"), "message": "ciao"}))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().as_u16() == 201 => {
                        answered.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(response) => panic!("greeting {n}: {}", response.status()),
                    Err(err) if err.is_timeout() => {
                        cut.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(err) => panic!("greeting {n}: {err}"),
                }
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let cut = cut.load(Ordering::SeqCst);
    eprintln!(
        "{name}: {cut} of {REQUESTS} clients hung up, {} were answered",
        answered.load(Ordering::SeqCst)
    );
    assert!(cut > 0, "no client hung up mid-request");

    // Calls whose client hung up run to their end: wait until the greetings stop changing.
    let url = database_url(root.path(), name, pg.as_ref());
    let greetings_sql = format!(
        "SELECT doc_id FROM documents WHERE instance = '{name}' AND plugin = 'hello' \
         AND collection = 'greetings'"
    );
    let (mut last, mut settled) = (usize::MAX, false);
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = strings(&url, &greetings_sql).await.len();
        settled = now == last;
        if settled {
            break;
        }
        last = now;
    }
    assert!(settled, "the greetings kept changing");
    server.kill();

    let greetings: BTreeSet<String> = strings(&url, &greetings_sql).await.into_iter().collect();
    assert!(!greetings.is_empty(), "no greeting was committed");
    let greeted: BTreeSet<String> = strings(
        &url,
        &format!("SELECT payload FROM events WHERE instance = '{name}' AND name = 'hello.greeted'"),
    )
    .await
    .iter()
    .map(|payload| {
        let payload: Json = serde_json::from_str(payload).expect("payload");
        payload["id"].as_str().expect("greeting id").to_owned()
    })
    .collect();
    assert_eq!(
        greetings, greeted,
        "each committed greeting has its event, and each event its greeting"
    );
    assert_audit_intact(&root.path().join(name));
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_hang_up_leave_no_partial_call_on_sqlite() {
    clients_that_hang_up_leave_no_partial_call(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clients_that_hang_up_leave_no_partial_call_on_postgres() {
    clients_that_hang_up_leave_no_partial_call(Some(PgDatabase::create().await)).await;
}

/// A row written by a plugin call that has no `plugin.changed` entry (here, forged into the
/// database) makes `trama audit verify` fail and name the call, although the chain is intact.
#[tokio::test(flavor = "multi_thread")]
async fn audit_verify_finds_a_committed_write_without_its_entry() {
    let name = "completo";
    let root = instance(name, "");
    let server = Server::start(&[root.path()]);
    let visitor = crate::many::Visitor::new(&server, &format!("{name}.localhost"));
    let (status, _) = visitor
        .post_json("/p/rogue/plant/things/a", &json!({"n": 1}))
        .await;
    assert_eq!(status, 200);
    server.kill();
    let dir = root.path().join(name);
    assert_audit_intact(&dir);

    let url = format!("sqlite://{}?mode=rw", dir.join("data/trama.db").display());
    let db = sea_orm::Database::connect(url)
        .await
        .expect("open database");
    db.execute_unprepared(
        "UPDATE documents SET call_id = 'unaudited-call' WHERE plugin = 'rogue' AND doc_id = 'a'",
    )
    .await
    .expect("forge");
    db.close().await.ok();
    let output = trama()
        .args(["audit", "verify"])
        .arg(&dir)
        .output()
        .expect("trama audit verify");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("incomplete") && stderr.contains("unaudited-call"),
        "{stderr}"
    );
}
