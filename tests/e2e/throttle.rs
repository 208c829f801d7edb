//! Password guessing, as an attacker and an owner meet it: guesses are slowed per account and
//! client, per address and per account across addresses (counted in the database, so every node
//! agrees), while a browser the owner already used always gets in (OWASP device cookies).

use sea_orm::ConnectionTrait;
use serde_json::Value as Json;

use crate::support::{
    Client, HELLO, PASSWORD, PgDatabase, Server, TestInstance, add_user, cache_dir, refusal, whoami,
};

/// A login attempt with `password`, from a browser; returns the response.
async fn try_login(
    client: &Client,
    server: &Server,
    path: &str,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let token = client.csrf(server).await;
    let mut request = client
        .http
        .post(server.url(path))
        .header("accept", "text/html")
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ]);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.expect("POST /login")
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After header in {:?}", response.headers()))
}

/// Who did what, as the test tells it: `(browser, forwarded address)`.
async fn attempt(
    who: (&Client, &str),
    server: &Server,
    username: &str,
    password: &str,
) -> reqwest::Response {
    try_login(who.0, server, "/login", username, password, Some(who.1)).await
}

/// The `login.locked` entries of the audit trail: (account, scope).
async fn locks(instance: &TestInstance) -> Vec<(String, String)> {
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.path().join("data/trama.db").display()
    );
    let db = sea_orm::Database::connect(url).await.expect("open db");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT subject, detail FROM audit_log WHERE action = 'login.locked' ORDER BY seq",
        ))
        .await
        .expect("audit rows");
    rows.iter()
        .map(|row| {
            let subject: String = row.try_get("", "subject").expect("subject");
            let detail: String = row.try_get("", "detail").expect("detail");
            let detail: Json = serde_json::from_str(&detail).expect("JSON detail");
            let scope = detail["scope"].as_str().unwrap_or_default().to_owned();
            (subject, scope)
        })
        .collect()
}

/// Guessing is slowed per account and client, per address and, more slowly, per account
/// across addresses; and no attacker can keep the owner out of the browser they already use.
#[tokio::test(flavor = "multi_thread")]
async fn guessing_is_throttled_but_cannot_lock_the_owner_out() {
    let instance = TestInstance::new("throttle", HELLO);
    for user in ["anna", "bruno", "carla"] {
        add_user(&instance, user, "citizen");
    }
    // Addresses come from X-Forwarded-For, as behind the territory's proxy.
    let server = Server::start_with_args(&[instance.path()], &cache_dir(), &["--trust-proxy"]);

    // Anna logs in on her phone, which is from then on a device she has used.
    let phone = Client::new();
    let response = attempt((&phone, "198.51.100.1"), &server, "anna", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303, "Anna logs in on her phone");
    let response = phone.post_form(&server, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303, "and logs out");

    // Someone else guesses: five wrong passwords are answered as usual…
    let guesser = Client::new();
    for _ in 0..5 {
        let response = attempt((&guesser, "203.0.113.9"), &server, "anna", "sbagliata!!").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    // …then from there even the right one is refused, with when to come back, in Italian,
    // in English and to an API client.
    let response = attempt((&guesser, "203.0.113.9"), &server, "anna", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429);
    let wait = retry_after(&response);
    assert!((1..=15 * 60).contains(&wait), "Retry-After {wait}");
    let page = response.text().await.expect("page");
    assert!(page.contains("Troppi tentativi di accesso"), "{page}");
    assert!(
        page.contains("<form method=\"post\" action=\"/login\""),
        "the login page"
    );
    let response = try_login(
        &guesser,
        &server,
        "/login?lang=en",
        "anna",
        PASSWORD,
        Some("203.0.113.9"),
    )
    .await;
    assert_eq!(response.status().as_u16(), 429);
    let page = response.text().await.expect("page");
    assert!(page.contains("Too many failed login attempts"), "{page}");
    let api = Client::new();
    let token = api.csrf(&server).await;
    let response = api
        .http
        .post(server.url("/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST");
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(refusal(response).await, (429, "too_many_attempts".into()));
    assert_eq!(whoami(&guesser, &server).await, None);

    // The guesses did not lock Anna out: she logs in on a new computer, elsewhere.
    let laptop = Client::new();
    let response = attempt((&laptop, "198.51.100.2"), &server, "anna", PASSWORD).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the owner elsewhere gets in"
    );

    // A botnet spreads guesses over many addresses: with the five above, thirty in the hour
    // meet the slower account-wide rate…
    for i in 0..25 {
        let bot = Client::new();
        let address = format!("192.0.2.{}", 100 + i);
        let response = attempt((&bot, &address), &server, "anna", "indovino!!").await;
        assert_eq!(response.status().as_u16(), 401, "guess {i}");
    }
    // …so a browser Anna never used is refused, and told to use a device she has used…
    let library = Client::new();
    let response = attempt((&library, "198.51.100.3"), &server, "anna", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429);
    let page = response.text().await.expect("page");
    assert!(page.contains("da dispositivi diversi"), "{page}");
    // …while her phone and her laptop still get in, and Bruno is untouched.
    for (device, address) in [(&phone, "198.51.100.1"), (&laptop, "198.51.100.4")] {
        let response = attempt((device, address), &server, "anna", PASSWORD).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "a device Anna used, from {address}"
        );
    }
    let response = attempt((&Client::new(), "203.0.113.9"), &server, "bruno", PASSWORD).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "Bruno logs in from the guesser's address"
    );

    // Empty fields are refused without counting: they guess nothing.
    for (username, password) in [("", "password123456"), ("carla", "")] {
        for _ in 0..25 {
            let response =
                attempt((&Client::new(), "192.0.2.50"), &server, username, password).await;
            assert_eq!(response.status().as_u16(), 401);
        }
    }

    // One address spraying a password over many usernames trips the address limit, and then
    // no account without a device cookie logs in from there.
    for i in 0..20 {
        let response = attempt(
            (&Client::new(), "192.0.2.50"),
            &server,
            &format!("utente{i}"),
            "password123456",
        )
        .await;
        assert_eq!(response.status().as_u16(), 401, "attempt {i}");
    }
    let response = attempt((&Client::new(), "192.0.2.50"), &server, "carla", PASSWORD).await;
    assert_eq!(response.status().as_u16(), 429);
    retry_after(&response);

    // Each lock is in the audit trail once, however many attempts it refused.
    assert_eq!(
        locks(&instance).await,
        [
            ("anna".to_owned(), "pair".to_owned()),
            ("anna".to_owned(), "account".to_owned()),
            ("utente19".to_owned(), "address".to_owned())
        ]
    );
}

/// A device cookie is bound to the accounts that logged in with it: a stolen or made-up one
/// does not lift the account-wide rate for another account.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_cookie_only_vouches_for_the_accounts_that_used_it() {
    let instance = TestInstance::new("devices", HELLO);
    for user in ["anna", "bruno"] {
        add_user(&instance, user, "citizen");
    }
    let server = Server::start_with_args(&[instance.path()], &cache_dir(), &["--trust-proxy"]);
    let attacker = Client::new();
    let response = attempt((&attacker, "203.0.113.1"), &server, "bruno", PASSWORD).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the attacker's own account"
    );
    let device = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("trama_device="))
        .expect("a device cookie on login")
        .to_owned();
    assert!(
        device.contains("HttpOnly") && device.contains("Max-Age="),
        "{device}"
    );
    for i in 0..30 {
        let address = format!("192.0.2.{}", 100 + i);
        let response = attempt((&Client::new(), &address), &server, "anna", "indovino!!").await;
        assert_eq!(response.status().as_u16(), 401, "guess {i}");
    }
    let response = attempt((&attacker, "203.0.113.2"), &server, "anna", "indovino!!").await;
    assert_eq!(
        response.status().as_u16(),
        429,
        "Bruno's device vouches only for Bruno"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_sharing_one_postgresql_database_count_the_same_failures() {
    let database = PgDatabase::create().await;
    let instance = TestInstance::new(
        "throttle-pg",
        &format!("[database]\nurl = \"{}\"\n{HELLO}", database.url),
    );
    add_user(&instance, "anna", "citizen");
    let first = Server::start(&[instance.path()]);
    let second = Server::start(&[instance.path()]);
    // Guesses spread over both nodes still add up…
    for i in 0..5 {
        let node = if i % 2 == 0 { &first } else { &second };
        let response = try_login(&Client::new(), node, "/login", "anna", "sbagliata!!", None).await;
        assert_eq!(response.status().as_u16(), 401, "attempt {i}");
    }
    // …and both refuse the next one.
    for node in [&first, &second] {
        let response = try_login(&Client::new(), node, "/login", "anna", PASSWORD, None).await;
        assert_eq!(response.status().as_u16(), 429);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let instance = TestInstance::new("proxy", HELLO);
    add_user(&instance, "carla", "citizen");
    let server = Server::start_with_args(&[instance.path()], &cache_dir(), &["--trust-proxy"]);
    for i in 0..20 {
        let response = try_login(
            &Client::new(),
            &server,
            "/login",
            &format!("utente{i}"),
            "password123456",
            Some("203.0.113.1"),
        )
        .await;
        assert_eq!(response.status().as_u16(), 401, "attempt {i}");
    }
    let response = try_login(
        &Client::new(),
        &server,
        "/login",
        "carla",
        PASSWORD,
        // What the client claimed, then what the proxy appended: the proxy's word counts.
        Some("10.0.0.1, 203.0.113.1"),
    )
    .await;
    assert_eq!(
        response.status().as_u16(),
        429,
        "the last hop is the client the proxy saw"
    );
    let response = try_login(
        &Client::new(),
        &server,
        "/login",
        "carla",
        PASSWORD,
        Some("203.0.113.2"),
    )
    .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "another client behind the proxy"
    );
}
