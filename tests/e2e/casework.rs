//! The social case file on a real server: a sensitive note is kept sealed with the deployment's
//! master key (host API 1.9), never in plain text in the database, and so is every document;
//! only the assigned care manager reads the note, and the read is audited; and a territory that
//! keeps case files does not start without its key file. Two territories served by one process
//! keep their case files apart, and a citizen's online request is taken by a care manager, which
//! opens their case and tells them.

use reqwest::Method;
use serde_json::json;

use crate::support::{
    PASSWORD, Server, TestInstance, accept_privacy, add_person, add_user, login, privacy_version,
    sign_up,
};

const CASEWORK: &str = r#"
[plugins.casework]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "seal", "notify", "files", "events"]
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

/// A browser on one territory of a server that serves several (`NAME.localhost`).
struct Territory {
    http: reqwest::Client,
    base: String,
}

impl Territory {
    fn new(server: &Server, host: &str) -> Self {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .resolve(host, addr)
                .timeout(std::time::Duration::from_secs(60))
                .build()
                .expect("client"),
            base: format!("http://{host}:{}", server.port()),
        }
    }

    async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    async fn csrf(&self) -> String {
        let (_, session) = self.get("/session").await;
        session["csrf_token"].as_str().expect("token").to_owned()
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> u16 {
        let token = self.csrf().await;
        let mut form = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST form")
            .status()
            .as_u16()
    }

    async fn post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let token = self.csrf().await;
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", token)
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Logs `username` in and accepts the privacy notice.
    async fn login(&self, username: &str) {
        let status = self
            .form("/login", &[("username", username), ("password", PASSWORD)])
            .await;
        assert_eq!(status, 303, "login of {username} on {}", self.base);
        let status = self
            .form("/privacy", &[("version", privacy_version()), ("next", "/")])
            .await;
        assert_eq!(status, 303, "privacy notice accepted");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_care_manager_of_one_territory_never_sees_a_case_of_another_served_by_the_same_process() {
    let root = tempfile::tempdir().expect("tempdir");
    for name in ["alto", "basso"] {
        crate::support::write_named_instance(root.path(), name, "", CASEWORK);
        // The same username on both: the accounts are each territory's own.
        add_user(root.path().join(name), "carla", "care_manager");
    }
    let server = Server::start(&[root.path()]);
    let alto = Territory::new(&server, "alto.localhost");
    let basso = Territory::new(&server, "basso.localhost");
    alto.login("carla").await;
    basso.login("carla").await;

    let (status, case) = basso
        .post(
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
    let path = format!("/p/casework/api/cases/{id}");
    let (status, file) = basso.get(&path).await;
    assert_eq!(
        (status, &file["person"]["name"]),
        (200, &json!("Maria Rossi"))
    );

    // On alto the case does not exist: not by id, not in the desk's lists, not as a duplicate.
    let (status, _) = alto.get(&path).await;
    assert_eq!(status, 404);
    let (status, _) = alto
        .post(
            &format!("{path}/notes"),
            &json!({ "text": "x", "sensitive": "no" }),
        )
        .await;
    assert_eq!(status, 404);
    let (status, opened) = alto
        .post(
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
    assert_eq!(status, 201, "no duplicate across territories: {opened}");
    assert_ne!(opened["id"], json!(id));
    let (status, mine) = basso
        .get(&format!(
            "/p/casework/api/cases/{}",
            opened["id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(status, 404, "{mine}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizens_online_request_is_taken_and_becomes_their_case() {
    let instance = TestInstance::new("richieste", CASEWORK);
    add_person(&instance, "carla", "Carla Bianchi", "care_manager");
    add_user(&instance, "ugo", "care_manager");
    let server = Server::start(&[instance.path()]);
    let mario = sign_up(&server, "mario", "Mario Rossi").await;
    let carla = login(&server, "carla").await;

    // The service page offers the form; the person sends it as a browser does.
    let (status, page) = mario.page(&server, "/p/casework/ask").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("name=\"tax_code\"") && page.contains("Informativa"),
        "{page}"
    );
    let response = mario
        .post_form(
            &server,
            "/p/casework/requests",
            &[
                ("name", "Mario Rossi"),
                ("tax_code", "RSSMRA80A01H501U"),
                ("phone", "333 1234567"),
                ("needs", "Casa e abitare"),
                ("needs", "Lavoro e reddito"),
                ("text", "Ho ricevuto lo sfratto"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = crate::support::location(&response);
    let id = location
        .rsplit('/')
        .next()
        .expect("the request's id")
        .to_owned();
    let (status, mine) = mario.get_json(&server, "/p/casework/api/mine").await;
    assert_eq!(status, 200);
    assert_eq!(mine[0]["status"], "in attesa", "{mine}");

    // The care manager finds it from the desk, in the queue, and takes it from its page.
    let (status, desk) = carla.page(&server, "/p/casework/").await;
    assert_eq!(status, 200);
    assert!(
        desk.contains("/p/casework/requests") && desk.contains("i-manager-hint"),
        "{desk}"
    );
    let (status, queue) = carla.page(&server, "/p/casework/requests").await;
    assert_eq!(status, 200);
    assert!(
        queue.contains("Mario Rossi") && queue.contains(&id),
        "{queue}"
    );
    let (status, request) = carla
        .page(&server, &format!("/p/casework/requests/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(request.contains("Ho ricevuto lo sfratto"), "{request}");
    let response = carla
        .post_form(
            &server,
            &format!("/p/casework/requests/{id}/take"),
            &[("care_manager", ""), ("team", "Équipe Sud")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let case_page = crate::support::location(&response);
    assert!(case_page.contains("/p/casework/cases/"), "{case_page}");
    let (status, file) = carla.page(&server, &case_page).await;
    assert_eq!(status, 200);
    assert!(
        file.contains("RSSMRA80A01H501U")
            && file.contains("Équipe Sud")
            && file.contains("Prossima verifica"),
        "{file}"
    );

    // A document the person may see: a WebP (not taken by default) is refused beside the field,
    // a PDF kept; the person downloads it, and the refused review form comes back filled in.
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0\x30\x01\0\x9d\x01\x2a\x01\0\x01\0";
    let upload = format!("{case_page}/attachments");
    let refused = carla
        .post_multipart(
            &server,
            &upload,
            &[("shareable", "yes")],
            &[("file", "foto.webp", "image/webp", WEBP)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.expect("page");
    assert!(
        page.contains("id=\"f-file-error\"") && page.contains("PDF, JPEG, PNG"),
        "{page}"
    );
    let kept = carla
        .post_multipart(
            &server,
            &upload,
            &[("title", "Lettera di sfratto"), ("shareable", "yes")],
            &[("file", "sfratto.pdf", "application/pdf", PDF)],
        )
        .await;
    assert_eq!(kept.status().as_u16(), 303);
    let (_, file) = carla.page(&server, &case_page).await;
    let link = file
        .split("href=\"")
        .find(|part| part.contains("/attachments/"))
        .and_then(|part| part.split('"').next())
        .expect("a link to the document")
        .to_owned();
    let review = carla
        .post_form(
            &server,
            &format!("{case_page}/reviews"),
            &[("note", "Primo colloquio"), ("plan", "")],
        )
        .await;
    assert_eq!(review.status().as_u16(), 422);
    let page = review.text().await.expect("page");
    assert!(
        page.contains("Primo colloquio") && page.contains("v-plan-error"),
        "{page}"
    );

    // The person is told, and finds their case on their own page.
    let (status, inbox) = mario.get_json(&server, "/notifications").await;
    assert_eq!(status, 200);
    let told = inbox["notifications"].as_array().expect("a list");
    assert_eq!(told.len(), 1, "{inbox}");
    assert!(
        told[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("presa in carico")
    );
    let (status, mine) = mario.get_json(&server, "/p/casework/api/mine").await;
    assert_eq!(status, 200);
    let states: Vec<&str> = mine
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|item| item["status"].as_str())
        .collect();
    assert!(
        states.contains(&"presa in carico") && states.contains(&"aperta"),
        "{mine}"
    );
    let (status, summary) = mario.page(&server, &case_page).await;
    assert_eq!(status, 200);
    assert!(
        summary.contains("La tua cartella sociale") && summary.contains("Lettera di sfratto"),
        "{summary}"
    );
    let response = mario
        .http
        .get(server.url(&link))
        .send()
        .await
        .expect("download");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.bytes().await.expect("bytes").as_ref(), PDF);
    // What it downloaded was opened by the kernel: casework's files are sealed at rest.
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    ))
    .await
    .expect("open db");
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &db,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT body, seal_key FROM files WHERE plugin = 'casework'",
        ),
    )
    .await
    .expect("files");
    assert_eq!(rows.len(), 1);
    let body: Vec<u8> = rows[0].try_get("", "body").expect("body");
    let key: Option<i64> = rows[0].try_get("", "seal_key").expect("seal_key");
    assert!(key.is_some() && !body.windows(8).any(|w| w == &PDF[..8]));
    db.close().await.ok();
    // A care manager outside the team sees neither the request nor the case.
    let ugo = login(&server, "ugo").await;
    let (status, _) = ugo
        .get_json(&server, &format!("/p/casework/api/requests/{id}"))
        .await;
    assert_eq!(status, 404, "a taken request is its team's");
    let case_api = case_page.replace("/p/casework/cases/", "/p/casework/api/cases/");
    let (status, _) = ugo.get_json(&server, &case_api).await;
    assert_eq!(status, 404);
}
