//! Rate limits a territory sets in `[limits]`: accounts created per client address and writes
//! to plugins per account. A burst up to the limit goes through; the next is refused with 429,
//! `Retry-After` and a sentence in the visitor's language, and nothing is written.

use reqwest::Method;
use serde_json::json;

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_user, cache_dir, login, refusal,
};

fn limited(id: &str) -> TestInstance {
    TestInstance::new(
        id,
        &format!(
            "[limits]\nsignups_per_hour_per_address = 3\nwrites_per_minute_per_account = 4\n{HELLO}"
        ),
    )
}

async fn sign_up_from(server: &Server, username: &str, address: &str) -> reqwest::Response {
    let client = Client::new();
    let token = client.csrf(server).await;
    client
        .http
        .post(server.url("/signup"))
        .header("accept", "text/html")
        .header("x-forwarded-for", address)
        .form(&[
            ("_csrf", token.as_str()),
            ("display_name", "Persona Nuova"),
            ("username", username),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("privacy_version", crate::support::privacy_version()),
        ])
        .send()
        .await
        .expect("POST /signup")
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ups_from_one_address_are_limited_per_hour() {
    let instance = limited("rates-signup");
    let server = Server::start_with_args(&[instance.path()], &cache_dir(), &["--trust-proxy"]);
    // Mistakes in the form (a bad username) are answered without counting against the rate.
    for _ in 0..5 {
        let response = sign_up_from(&server, "nome con spazi", "198.51.100.7").await;
        assert_eq!(response.status().as_u16(), 422);
    }
    for i in 0..3 {
        let response = sign_up_from(&server, &format!("classe{i}"), "198.51.100.7").await;
        assert_eq!(response.status().as_u16(), 303, "sign-up {i}");
    }
    let response = sign_up_from(&server, "classe3", "198.51.100.7").await;
    assert_eq!(response.status().as_u16(), 429);
    let wait: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("Retry-After");
    // One sign-up comes back every hour / 3.
    assert!((19 * 60..=20 * 60).contains(&wait), "Retry-After {wait}");
    let page = response.text().await.expect("page");
    assert!(page.contains("molti account in poco tempo"), "{page}");
    assert!(
        page.contains("value=\"classe3\""),
        "the form keeps what was typed: {page}"
    );

    // An API client gets the envelope; nothing was created; another address signs up.
    let api = Client::new();
    let token = api.csrf(&server).await;
    let response = api
        .http
        .post(server.url("/signup"))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[
            ("_csrf", token.as_str()),
            ("display_name", "Persona Nuova"),
            ("username", "classe4"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("privacy_version", crate::support::privacy_version()),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(refusal(response).await, (429, "rate_limited".into()));
    let response = sign_up_from(&server, "classe3", "198.51.100.8").await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the name refused above was never taken"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_to_plugins_are_limited_per_account() {
    let instance = limited("rates-writes");
    for user in ["anna", "bruno"] {
        add_user(&instance, user, "citizen");
    }
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let greet = |n: usize| json!({"name": format!("Anna {n}"), "message": "ciao"});
    for n in 0..4 {
        let (status, answer) = anna
            .send_json(&server, Method::POST, "/p/hello/api/greetings", &greet(n))
            .await;
        assert_eq!(status, 201, "write {n}: {answer}");
    }
    let (status, answer) = anna
        .send_json(&server, Method::POST, "/p/hello/api/greetings", &greet(4))
        .await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["kind"], "rate_limited", "{answer}");
    // Reading goes on; the refused write was not stored; another account writes.
    let (status, count) = anna.get_json(&server, "/p/hello/api/count").await;
    assert_eq!(
        (status, count["greetings"].as_i64()),
        (200, Some(4)),
        "{count}"
    );
    let bruno = login(&server, "bruno").await;
    let (status, _) = bruno
        .send_json(&server, Method::POST, "/p/hello/api/greetings", &greet(9))
        .await;
    assert_eq!(status, 201, "Bruno has his own rate");
    // A browser gets the page, in English when asked, with Retry-After.
    let token = anna.csrf(&server).await;
    let response = anna
        .http
        .post(server.url("/p/hello/greet?lang=en"))
        .header("accept", "text/html")
        .form(&[
            ("_csrf", token.as_str()),
            ("name", "Anna"),
            ("message", "ciao"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let page = response.text().await.expect("page");
    assert!(page.contains("Too many actions in a short time"), "{page}");
}
