//! The social case file on a real server: a sensitive note is kept sealed with the deployment's
//! master key (host API 1.9), never in plain text in the database; only the assigned care manager
//! reads it, and the read is audited; and a territory that keeps case files does not start
//! without its key file.

use reqwest::Method;
use serde_json::json;

use crate::support::{Server, TestInstance, accept_privacy, add_user, login};

const CASEWORK: &str = r#"
[plugins.casework]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "seal", "events"]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_sensitive_note_is_sealed_at_rest_and_read_only_by_its_care_manager() {
    let instance = TestInstance::new("cartelle", CASEWORK);
    add_user(&instance, "carla", "care_manager");
    add_user(&instance, "dario", "care_manager");
    add_user(&instance, "sara", "supervisor");
    add_user(&instance, "amministra", "admin");
    let server = Server::start(&[instance.path()]);
    let carla = login(&server, "carla").await;
    let dario = login(&server, "dario").await;
    for person in [&carla, &dario] {
        accept_privacy(person, &server).await;
    }

    let (status, case) = carla
        .send_json(
            &server,
            Method::POST,
            "/p/casework/api/cases",
            &json!({
                "name": "Maria Rossi",
                "tax_code": "RSSMRA80A01H501U",
                "needs": ["Casa e abitare"],
                "team": "Équipe Nord",
                "consent": "yes",
            }),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().expect("a case id").to_owned();
    let secret = "Riferisce minacce dal padrone di casa";
    let (status, note) = carla
        .send_json(
            &server,
            Method::POST,
            &format!("/p/casework/api/cases/{id}/notes"),
            &json!({ "text": secret, "sensitive": "yes" }),
        )
        .await;
    assert_eq!(status, 201, "{note}");

    // The care manager reads it; another care manager does not even learn the case exists.
    let (status, file) = carla
        .get_json(&server, &format!("/p/casework/api/cases/{id}"))
        .await;
    assert_eq!(status, 200, "{file}");
    assert!(file.to_string().contains(secret), "{file}");
    let (status, _) = dario
        .get_json(&server, &format!("/p/casework/api/cases/{id}"))
        .await;
    assert_eq!(status, 404);

    // The North team's supervisor sees the case with the form to give it to someone else.
    let sara = login(&server, "sara").await;
    accept_privacy(&sara, &server).await;
    let admin = login(&server, "amministra").await;
    accept_privacy(&admin, &server).await;
    let (status, staff) = admin
        .send_json(
            &server,
            Method::POST,
            "/p/casework/api/staff",
            &json!({ "username": "sara", "teams": ["Équipe Nord"] }),
        )
        .await;
    assert_eq!(status, 201, "{staff}");
    let (status, page) = sara.page(&server, &format!("/p/casework/cases/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Affida la cartella")
            && page.contains("<option value=\"dario\">")
            && page.contains(secret),
        "{page}"
    );

    // The statistics: one case, shown as "< 5", and no median from it.
    let (status, stats) = sara.page(&server, "/p/casework/stats").await;
    assert_eq!(status, 200, "{stats}");
    assert!(
        stats.contains("alla chiusura") && stats.contains("non mostrato: cartelle misurate 0"),
        "{stats}"
    );
    server.kill();

    // In the database: the note only as sealed text, and the care manager's read in the audit.
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    ))
    .await
    .expect("open db");
    use sea_orm::ConnectionTrait;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT data FROM documents WHERE plugin = 'casework' AND collection = 'notes'",
        ))
        .await
        .expect("notes");
    let stored: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get("", "data").ok())
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        !stored[0].contains("minacce") && stored[0].contains("ts1."),
        "{stored:?}"
    );
    let reads = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT action FROM audit_log WHERE action = 'case.read.assigned'",
        ))
        .await
        .expect("audit rows");
    assert!(!reads.is_empty(), "the care manager's read is audited");
    db.close().await.ok();

    // Without the key file the territory does not start, and says what is missing.
    crate::support::build_plugins_of(&[instance.path()]);
    let output = crate::support::trama()
        .env("TRAMA_SEAL_KEYS_FILE", "")
        .args(["serve", "--listen", "127.0.0.1:0", "--no-build"])
        .arg(instance.path())
        .output()
        .expect("run trama serve");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("grants `seal` to `casework`") && said.contains("TRAMA_SEAL_KEYS_FILE"),
        "{said}"
    );
}
