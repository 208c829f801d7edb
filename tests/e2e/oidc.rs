//! Logging in through an OpenID Connect provider (`[identity]`), against a real one:
//! `oidc-provider` started by the tests (`oidc/rig.rs`), which requires PKCE and sends the
//! fiscal number as SPID/CIE gateways do ("TINIT-…"), in the ID token or from UserInfo only. A
//! citizen logs in, is given an account with the fiscal number bound and keeps it on the next
//! login, reads the privacy notice before anything else, and a plugin reads the number through
//! `identity.fiscal-number`; UserInfo about another subject, a missing, altered, replayed or
//! foreign `state`, a token for another nonce, an altered token and a provider publishing the
//! wrong key are refused with nothing written; the password form can be turned off.

use std::path::Path;

use reqwest::Url;
use serde_json::Value as Json;

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_user, cache_dir, privacy_version, trama,
    whoami,
};

mod admissions;
mod casework_catalogue;
mod rig;

use rig::{PUBLIC_URL, Provider, SECRET_VAR};

/// The provider's table in the test manifests.
fn identity(issuer: &str, password_login: bool) -> String {
    format!(
        r#"
[identity]
password_login = {password_login}

[identity.providers.spid]
label = "Entra con SPID"
issuer = "{issuer}"
client_id = "{client}"
client_secret_env = "{SECRET_VAR}"
scopes = ["openid", "profile", "email"]
"#,
        client = rig::CLIENT_ID,
    )
}

fn territory(provider: &Provider, password_login: bool) -> TestInstance {
    TestInstance::new(
        "oidc",
        &format!("{}{HELLO}", identity(&provider.issuer, password_login)),
    )
}

/// The server, with the client secret in its environment and its public address set there.
fn serve(instance: &TestInstance) -> Server {
    Server::start_with_env(
        &[instance.path()],
        &cache_dir(),
        &[],
        &[
            (SECRET_VAR, rig::CLIENT_SECRET),
            ("TRAMA_INSTANCE__PUBLIC_URL", PUBLIC_URL),
        ],
    )
}

/// Starts a login through `spid` in `client` and follows the provider until it sends the
/// browser back: the callback address, carried to the server's real port.
async fn through_provider(client: &Client, server: &Server, next: &str) -> String {
    let start = client
        .http
        .get(server.url(&format!("/login/oidc/spid?next={next}")))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET /login/oidc/spid");
    assert_eq!(
        start.status().as_u16(),
        303,
        "the login starts with a redirect"
    );
    let mut location = crate::support::location(&start);
    for _ in 0..10 {
        if let Some(rest) = location.strip_prefix(PUBLIC_URL) {
            return server.url(rest);
        }
        let response = client
            .http
            .get(&location)
            .send()
            .await
            .expect("the provider answers");
        assert!(
            response.status().is_redirection(),
            "the provider stopped at {location}: {}",
            response.status()
        );
        let next = crate::support::location(&response);
        location = Url::parse(&location)
            .and_then(|base| base.join(&next))
            .expect("a location")
            .to_string();
    }
    panic!("the provider never sent the browser back");
}

/// GETs `url` as a browser: status and page.
async fn visit(client: &Client, url: &str) -> (u16, String, Option<String>) {
    let response = client
        .http
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET");
    let status = response.status().as_u16();
    let redirect = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.unwrap_or_default(), redirect)
}

/// Rows of `table` in the instance's database (SQLite, next to its manifest).
async fn rows(instance: &Path, table: &str) -> i64 {
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.join("data/trama.db").display()
    );
    let db = trama::db::Db::connect(&url).await.expect("the database");
    let row = sea_orm::ConnectionTrait::query_one_raw(
        db.conn(),
        sea_orm::Statement::from_string(db.backend(), format!("SELECT COUNT(*) AS n FROM {table}")),
    )
    .await
    .expect("count")
    .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn hello_whoami(client: &Client, server: &Server) -> Json {
    client.get_json(server, "/p/hello/api/whoami").await.1
}

const MARIO: (&str, &str, &str, &str, &str) = (
    "spid-mario-0001",
    "TINIT-RSSMRA80A01H501U",
    "Mario",
    "Rossi",
    "mario.rossi@example.org",
);

async fn as_mario(provider: &Provider) {
    let (sub, fiscal, given, family, email) = MARIO;
    provider.person(sub, fiscal, given, family, email).await;
}

#[tokio::test]
async fn a_citizen_logs_in_through_the_provider_and_keeps_the_same_account() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    // Checking the instance needs no secret: only serving reads it.
    let check = trama()
        .arg("check")
        .arg(instance.path())
        .env_remove(SECRET_VAR)
        .output()
        .expect("trama check");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let server = serve(&instance);
    as_mario(&provider).await;

    let browser = Client::new();
    let (_, login_page) = browser.page(&server, "/login").await;
    assert!(
        login_page.contains(r#"href="/login/oidc/spid""#) && login_page.contains("Entra con SPID"),
        "one button per provider, a real link with its text: {login_page}"
    );
    let callback = through_provider(&browser, &server, "/p/hello/").await;
    let (status, _, next) = visit(&browser, &callback).await;
    assert_eq!(status, 303, "the callback logs in");
    assert_eq!(
        next.as_deref(),
        Some("/p/hello/"),
        "and goes where the login was asked from"
    );
    assert_eq!(
        whoami(&browser, &server).await.as_deref(),
        Some("mario.rossi@example.org"),
        "the account is named after the e-mail the provider gave"
    );
    let who = hello_whoami(&browser, &server).await;
    assert_eq!(who["user"]["display_name"], "Mario Rossi");
    let (_, session) = browser.get_json(&server, "/session").await;
    assert_eq!(session["user"]["roles"], serde_json::json!(["citizen"]));
    assert_eq!(
        who["fiscal_number"], "RSSMRA80A01H501U",
        "the plugin reads the bound fiscal number, prefix gone: {who}"
    );
    let first_id = who["user"]["id"].clone();

    // Another browser, another day: the same account, no second binding.
    let other = Client::new();
    let callback = through_provider(&other, &server, "/").await;
    assert_eq!(visit(&other, &callback).await.0, 303);
    assert_eq!(hello_whoami(&other, &server).await["user"]["id"], first_id);
    assert_eq!(rows(instance.path(), "identity_bindings").await, 1);
    assert_eq!(rows(instance.path(), "users").await, 1);

    // Someone who logged in with a password has no fiscal number for plugins to read.
    add_user(instance.path(), "operatrice", "operator");
    let operator = crate::support::login(&server, "operatrice").await;
    assert_eq!(
        hello_whoami(&operator, &server).await["fiscal_number"],
        Json::Null
    );

    assert_eq!(
        provider.pkce_methods().await,
        vec![Json::from("S256"), Json::from("S256")],
        "every authorization request carried an S256 PKCE challenge (the provider requires one)"
    );
    assert_eq!(
        provider.userinfo_calls().await,
        0,
        "the ID token had the number: UserInfo was not asked"
    );
}

#[tokio::test]
async fn a_fiscal_number_released_only_by_userinfo_is_read_there_for_the_same_subject_only() {
    // The gateway puts only `sub` in the ID token; the person's data comes from UserInfo.
    let provider = Provider::start_with("spid", &["--claims-from", "userinfo"]);
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;

    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/").await;
    let (status, page, _) = visit(&browser, &callback).await;
    assert_eq!(status, 303, "the callback logs in: {page}");
    assert_eq!(provider.userinfo_calls().await, 1, "UserInfo was asked");
    let who = hello_whoami(&browser, &server).await;
    assert_eq!(
        who["fiscal_number"], "RSSMRA80A01H501U",
        "the number UserInfo gave is bound: {who}"
    );
    assert_eq!(who["user"]["display_name"], "Mario Rossi", "{who}");
    assert_eq!(
        whoami(&browser, &server).await.as_deref(),
        Some("mario.rossi@example.org"),
        "the e-mail UserInfo gave names the account"
    );

    // UserInfo answering about another subject (a substituted access token) is refused, and
    // nothing is bound to the other number.
    provider.tamper("userinfo").await;
    let other = Client::new();
    let callback = through_provider(&other, &server, "/").await;
    let (status, page, _) = visit(&other, &callback).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("non è valida"), "{page}");
    assert_eq!(whoami(&other, &server).await, None);
    assert_eq!(rows(instance.path(), "identity_bindings").await, 1);
    assert_eq!(rows(instance.path(), "users").await, 1);
}

#[tokio::test]
async fn an_account_made_by_a_provider_login_reads_the_privacy_notice_first_and_then_goes_on() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;
    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/p/hello/").await;
    let (status, _, next) = visit(&browser, &callback).await;
    assert_eq!((status, next.as_deref()), (303, Some("/p/hello/")));

    // The first page the new account reaches is the notice, which remembers where it was going.
    let (status, _, next) = visit(&browser, &server.url("/p/hello/")).await;
    assert_eq!(status, 303);
    assert_eq!(next.as_deref(), Some("/privacy?next=%2Fp%2Fhello%2F"));
    let (status, page, _) = visit(&browser, &server.url("/privacy?next=%2Fp%2Fhello%2F")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"name="version""#),
        "a form to accept it: {page}"
    );
    assert!(
        page.contains(r#"value="/p/hello/""#)
            || page.contains(r#"value="&#x2F;p&#x2F;hello&#x2F;""#),
        "it goes on to the page asked: {page}"
    );
    assert_eq!(
        rows(instance.path(), "consents").await,
        0,
        "nothing agreed yet"
    );

    let response = browser
        .post_form(
            &server,
            "/privacy",
            &[("version", privacy_version()), ("next", "/p/hello/")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(crate::support::header(&response, "location"), "/p/hello/");
    let (status, page, _) = visit(&browser, &server.url("/p/hello/")).await;
    assert_eq!(status, 200, "where Mario was going: {page}");
    assert_eq!(
        consented(instance.path()).await,
        vec![privacy_version().to_owned()],
        "the agreement is recorded with the notice's version"
    );

    // The next login through the provider asks nothing again.
    let other = Client::new();
    let callback = through_provider(&other, &server, "/p/hello/").await;
    assert_eq!(visit(&other, &callback).await.0, 303);
    assert_eq!(visit(&other, &server.url("/p/hello/")).await.0, 200);
}

/// The notice versions the instance's accounts agreed to.
async fn consented(instance: &Path) -> Vec<String> {
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.join("data/trama.db").display()
    );
    let db = trama::db::Db::connect(&url).await.expect("the database");
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        db.conn(),
        sea_orm::Statement::from_string(db.backend(), "SELECT version FROM consents".to_owned()),
    )
    .await
    .expect("consents");
    rows.iter()
        .map(|row| row.try_get::<String>("", "version").expect("version"))
        .collect()
}

#[tokio::test]
async fn a_callback_with_a_missing_altered_or_foreign_state_is_refused() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;
    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/").await;
    let url = Url::parse(&callback).expect("a URL");
    let state: String = url
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .expect("a state");

    let without = callback.replace(&format!("state={state}"), "");
    let (status, page, _) = visit(&browser, &without).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Riprova"),
        "a page offering to try again: {page}"
    );
    assert!(page.contains(r#"href="/login/oidc/spid""#), "{page}");

    let mut altered = state.clone();
    altered.replace_range(0..1, if altered.starts_with('A') { "B" } else { "A" });
    let (status, page, _) = visit(&browser, &callback.replace(&state, &altered)).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("è scaduto"), "said in Italian: {page}");

    // The callback carried to another browser (login CSRF) opens nothing there, and spends
    // the login.
    let stranger = Client::new();
    assert_eq!(visit(&stranger, &callback).await.0, 400);
    assert_eq!(whoami(&stranger, &server).await, None);
    assert_eq!(visit(&browser, &callback).await.0, 400);
    assert_eq!(rows(instance.path(), "users").await, 0);
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;
    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/").await;
    assert_eq!(visit(&browser, &callback).await.0, 303);
    let (status, page, _) = visit(&browser, &callback).await;
    assert_eq!(status, 400, "the same state twice: {page}");
    // A client that is not a browser gets the envelope.
    let (status, body) = browser
        .get_json(&server, &callback.replace(&server.url(""), ""))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["kind"], "oidc_state");
}

#[tokio::test]
async fn a_token_for_another_nonce_is_refused() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;
    provider.tamper("nonce").await;
    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/").await;
    let (status, page, _) = visit(&browser, &callback).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("non è valida"), "{page}");
    assert_eq!(whoami(&browser, &server).await, None);
    assert_eq!(rows(instance.path(), "users").await, 0);
    assert_eq!(rows(instance.path(), "identity_bindings").await, 0);
}

#[tokio::test]
async fn an_altered_token_or_a_wrong_key_is_refused_with_nothing_written() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, true);
    let server = serve(&instance);
    as_mario(&provider).await;
    for mode in ["token", "jwks"] {
        provider.tamper(mode).await;
        let browser = Client::new();
        let callback = through_provider(&browser, &server, "/").await;
        let (status, page, _) = visit(&browser, &callback).await;
        assert_eq!(status, 403, "{mode}: {page}");
        assert_eq!(whoami(&browser, &server).await, None, "{mode}");
    }
    assert_eq!(rows(instance.path(), "users").await, 0);
    assert_eq!(rows(instance.path(), "identity_bindings").await, 0);
    assert_eq!(
        rows(instance.path(), "oidc_logins").await,
        0,
        "each login was spent"
    );
    // The same provider behaving again logs the person in.
    provider.tamper("none").await;
    let browser = Client::new();
    let callback = through_provider(&browser, &server, "/").await;
    assert_eq!(visit(&browser, &callback).await.0, 303);
    assert!(whoami(&browser, &server).await.is_some());
}

#[tokio::test]
async fn with_the_password_form_off_only_the_provider_logs_people_in() {
    let provider = Provider::start("spid");
    let instance = territory(&provider, false);
    add_user(instance.path(), "operatrice", "operator");
    // Started without the client secret: the login through the provider says it cannot work.
    let server = Server::start_with_env(
        &[instance.path()],
        &cache_dir(),
        &[],
        &[("TRAMA_INSTANCE__PUBLIC_URL", PUBLIC_URL)],
    );
    let browser = Client::new();
    let (_, page) = browser.page(&server, "/login").await;
    assert!(
        !page.contains(r#"name="password""#),
        "no password form: {page}"
    );
    assert!(page.contains("Entra con SPID"), "{page}");
    let refused = browser
        .post_form(
            &server,
            "/login",
            &[("username", "operatrice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    let page = refused.text().await.expect("a page");
    assert!(page.contains("si entra soltanto con"), "{page}");
    assert_eq!(whoami(&browser, &server).await, None);

    let (status, page, _) = visit(&browser, &server.url("/login/oidc/spid")).await;
    assert_eq!(status, 502, "no secret, no login: {page}");
    assert!(page.contains("non risponde"), "{page}");
}
