//! Events reach their subscribers, scheduled jobs run, and every change lands in a
//! tamper-evident audit log.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::{Client, HELLO, PgDatabase, Server, TestInstance, eventually, trama};

#[tokio::test(flavor = "multi_thread")]
async fn events_are_delivered_and_jobs_run() {
    delivered_and_run(TestInstance::new("events", HELLO)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_delivered_and_jobs_run_on_postgres() {
    let db = PgDatabase::create().await;
    delivered_and_run(TestInstance::new(
        "events-pg",
        &format!("[database]\nurl = \"{}\"\n{HELLO}", db.url),
    ))
    .await;
}

async fn delivered_and_run(instance: TestInstance) {
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    let (status, _) = client
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &json!({"name": "Paolo", "message": "ciao"}),
        )
        .await;
    assert_eq!(status, 201);
    let delivered = eventually(Duration::from_secs(15), || async {
        let (_, count) = client.get_json(&server, "/p/hello/api/count").await;
        count["events_seen"] == 1 && count["jobs_run"].as_u64().unwrap_or(0) >= 1
    })
    .await;
    let (_, count) = client.get_json(&server, "/p/hello/api/count").await;
    assert!(delivered, "event and job not seen: {count}");
    assert_eq!(count["greetings"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_records_changes_and_detects_tampering() {
    let instance = TestInstance::new("audit", HELLO);
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    for name in ["Anna", "Bruno"] {
        let (status, _) = client
            .send_json(
                &server,
                reqwest::Method::POST,
                "/p/hello/api/greetings",
                &json!({"name": name, "message": "ciao"}),
            )
            .await;
        assert_eq!(status, 201);
    }
    server.kill();

    let verify = || {
        trama()
            .args(["audit", "verify"])
            .arg(instance.path())
            .output()
            .expect("trama audit verify")
    };
    let output = verify();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("intact"));

    let url = format!(
        "sqlite://{}?mode=rw",
        instance.path().join("data/trama.db").display()
    );
    let db = sea_orm::Database::connect(url).await.expect("open db");
    // The kernel audits every change a plugin makes, whether or not the plugin does.
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT detail FROM audit_log WHERE action = 'plugin.changed' AND plugin = 'hello'",
        ))
        .await
        .expect("audit rows");
    let details: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get("", "detail").ok())
        .collect();
    assert!(
        details
            .iter()
            .filter(|detail| detail.contains("\"collection\":\"greetings\""))
            .count()
            >= 2,
        "each greeting's write is audited by the kernel: {details:?}"
    );
    let changed = db
        .execute_unprepared("UPDATE audit_log SET subject = 'someone else' WHERE action = 'greeting.created' AND seq = (SELECT MIN(seq) FROM audit_log WHERE action = 'greeting.created')")
        .await
        .expect("tamper");
    assert_eq!(changed.rows_affected(), 1);
    db.close().await.ok();

    let output = verify();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("altered"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
