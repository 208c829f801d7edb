//! One process, many territories: every instance folder under `instances/` is served on its own
//! host names, no request ever reaches another instance's data (own SQLite files, or one shared
//! PostgreSQL database), a broken manifest takes only its own instance offline, and SIGHUP
//! starts serving a folder added while the server runs.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::support::{HELLO, PgDatabase, Server, eventually};

/// Writes `root/NAME/instance.toml` with hello, answering on `NAME.localhost`.
fn write_instance(root: &Path, name: &str, database: &str) {
    crate::support::write_named_instance(root, name, database, HELLO);
}

/// A browser for one host name: it resolves `NAME.localhost` to the server and keeps that
/// host's cookies.
pub(crate) struct Visitor {
    http: reqwest::Client,
    base: String,
}

impl Visitor {
    pub(crate) fn new(server: &Server, host: &str) -> Self {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .resolve(host, addr)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            base: format!("http://{host}:{}", server.port()),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Json) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    /// The page at `path`, as a browser asks for it.
    pub(crate) async fn page(&self, path: &str) -> String {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("page")
    }

    async fn csrf(&self) -> String {
        let (_, session) = self.get("/session").await;
        session["csrf_token"].as_str().expect("token").to_owned()
    }

    /// POSTs `body` as JSON with this host's CSRF token.
    pub(crate) async fn post_json(&self, path: &str, body: &Json) -> (u16, Json) {
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
        (status, response.json().await.unwrap_or(Json::Null))
    }

    /// Signs up; returns the status and the session token the server set.
    async fn sign_up(&self, username: &str) -> (u16, String) {
        let token = self.csrf().await;
        let response = self
            .http
            .post(format!("{}/signup", self.base))
            .form(&[
                ("_csrf", token.as_str()),
                ("display_name", username),
                ("username", username),
                ("password", "una password lunga"),
                ("password_confirm", "una password lunga"),
                ("privacy_version", crate::support::privacy_version()),
            ])
            .send()
            .await
            .expect("POST /signup");
        let session = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("trama_session="))
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned();
        (response.status().as_u16(), session)
    }

    async fn greet(&self, name: &str, message: &str) -> u16 {
        let token = self.csrf().await;
        self.http
            .post(format!("{}/p/hello/api/greetings", self.base))
            .header("x-csrf-token", token)
            .json(&json!({"name": name, "message": message}))
            .send()
            .await
            .expect("POST")
            .status()
            .as_u16()
    }
}

async fn territories_never_see_each_other(database: &str) {
    let root = tempfile::tempdir().expect("tempdir");
    write_instance(root.path(), "alto", database);
    write_instance(root.path(), "basso", database);
    // A broken manifest takes only its own territory offline.
    write_instance(root.path(), "rotto", database);
    let rotto_toml = root.path().join("rotto/instance.toml");
    let good = std::fs::read_to_string(&rotto_toml).expect("read");
    std::fs::write(
        &rotto_toml,
        good.replace("version = \"^1.0\"", "version = \"^9\""),
    )
    .expect("break it");
    let server = Server::start(&[root.path()]);

    let alto = Visitor::new(&server, "alto.localhost");
    let basso = Visitor::new(&server, "basso.localhost");
    let (status, alto_session) = alto.sign_up("anna").await;
    assert_eq!(status, 303);
    assert!(!alto_session.is_empty(), "a session cookie is set");
    assert_eq!(alto.greet("Anna", "segreto di alto").await, 201);
    let (status, session) = alto.get("/session").await;
    assert_eq!(
        (status, &session["user"]["username"]),
        (200, &json!("anna"))
    );

    let (status, greetings) = basso.get("/p/hello/api/greetings").await;
    assert_eq!(status, 200);
    assert_eq!(greetings, json!([]), "basso sees none of alto's data");
    let (_, count) = basso.get("/p/hello/api/count").await;
    assert_eq!(count["greetings"], 0);
    let (_, session) = basso.get("/session").await;
    assert!(session["user"].is_null(), "no one is logged in on basso");
    // The same user name is a different person on another territory.
    assert_eq!(basso.sign_up("anna").await.0, 303, "anna is free on basso");
    let (_, greetings) = alto.get("/p/hello/api/greetings").await;
    assert_eq!(greetings.as_array().map(Vec::len), Some(1));

    // alto's session token presented to basso opens nothing.
    let stranger = Visitor::new(&server, "basso.localhost");
    let session: Json = stranger
        .http
        .get(format!("{}/session", stranger.base))
        .header("cookie", format!("trama_session={alto_session}"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(
        session["user"].is_null(),
        "a session of alto is nothing on basso: {session}"
    );
    let rotto = Visitor::new(&server, "rotto.localhost");
    let (status, _) = rotto.get("/session").await;
    assert_eq!(status, 404, "the broken territory is not served");

    // A folder added while running is served after SIGHUP; the fixed manifest too.
    write_instance(root.path(), "nuovo", database);
    std::fs::write(&rotto_toml, good).expect("fix it");
    server.hangup();
    let nuovo = Visitor::new(&server, "nuovo.localhost");
    let served = eventually(Duration::from_secs(60), || async {
        nuovo.get("/p/hello/api/count").await.0 == 200 && rotto.get("/session").await.0 == 200
    })
    .await;
    assert!(served, "nuovo and the fixed rotto are served after SIGHUP");
    let (_, count) = nuovo.get("/p/hello/api/count").await;
    assert_eq!(count["greetings"], 0);
    let (_, greetings) = alto.get("/p/hello/api/greetings").await;
    assert_eq!(
        greetings.as_array().map(Vec::len),
        Some(1),
        "alto kept serving"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn territories_with_their_own_sqlite_never_see_each_other() {
    territories_never_see_each_other("").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn territories_sharing_one_postgres_database_never_see_each_other() {
    let db = PgDatabase::create().await;
    territories_never_see_each_other(&format!("[database]\nurl = \"{}\"\n", db.url)).await;
}
