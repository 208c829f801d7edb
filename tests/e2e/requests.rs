//! Requests as the kernel reads them: a form or query string of more fields than any real one
//! is refused at once, in the visitor's language, on kernel and plugin routes alike; scripts may
//! send their CSRF token in the `X-CSRF-Token` header wherever a browser sends `_csrf`; and a
//! path that names nothing gets the ordinary 404, never a bare plain-text refusal.

use serde_json::Value as Json;

use crate::support::{HELLO, Server, TestInstance, add_user, login};

/// A form body of `n` fields, after the CSRF token.
fn many_fields(token: &str, n: usize) -> String {
    let mut body = format!("_csrf={token}");
    for i in 0..n {
        body.push_str(&format!("&f{i}=x"));
    }
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_of_too_many_fields_is_refused_with_a_clear_answer() {
    let instance = TestInstance::new("fields", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let token = anna.csrf(&server).await;
    let hostile = many_fields(&token, 100_000);

    for path in ["/login", "/notifications/read", "/p/hello/greet"] {
        let page = anna
            .http
            .post(server.url(path))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(hostile.clone())
            .send()
            .await
            .expect("POST");
        assert_eq!(page.status().as_u16(), 400, "{path}");
        let text = page.text().await.expect("page");
        assert!(
            text.contains("Il modulo contiene troppi campi: al massimo 1000"),
            "{path}: {text}"
        );

        let api = anna
            .http
            .post(server.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(hostile.clone())
            .send()
            .await
            .expect("POST");
        assert_eq!(api.status().as_u16(), 400, "{path}");
        let envelope: Json = api.json().await.expect("JSON envelope");
        assert_eq!(envelope["error"]["kind"], "too_many_fields", "{path}");
    }

    // The same on a plugin's query string…
    let query: Vec<String> = (0..2_000).map(|i| format!("q{i}=1")).collect();
    let response = anna
        .http
        .get(server.url(&format!("/p/hello/?{}", query.join("&"))))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 400);

    // …while a form of ordinary size still goes through.
    let ordinary = anna
        .http
        .post(server.url("/notifications/read"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(many_fields(&token, 50))
        .send()
        .await
        .expect("POST");
    assert_eq!(ordinary.status().as_u16(), 303);
}

/// An empty form posted with `token` in the `X-CSRF-Token` header only.
async fn post_with_header(
    client: &crate::support::Client,
    server: &Server,
    path: &str,
    token: &str,
) -> reqwest::Response {
    client
        .http
        .post(server.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-csrf-token", token)
        .body("")
        .send()
        .await
        .expect("POST")
}

#[tokio::test(flavor = "multi_thread")]
async fn kernel_forms_take_the_csrf_token_from_the_header_too() {
    let instance = TestInstance::new("csrfheader", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let token = anna.csrf(&server).await;

    let forged = post_with_header(
        &anna,
        &server,
        "/notifications/read",
        "0000000000000000000000000000000000000000000000000000000000000000",
    )
    .await;
    assert_eq!(forged.status().as_u16(), 403);
    let accepted = post_with_header(&anna, &server, "/notifications/read", &token).await;
    assert_eq!(accepted.status().as_u16(), 303);

    // Logging out by header ends the session.
    let out = post_with_header(&anna, &server, "/logout", &token).await;
    assert!(out.status().is_redirection(), "{}", out.status());
    let (_, session) = anna.get_json(&server, "/session").await;
    assert!(session["user"].is_null(), "{session}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proposal_number_that_is_not_a_number_is_simply_not_found() {
    let instance = TestInstance::new("badpath", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;

    for path in [
        "/governance/proposals/abc",
        "/governance/proposals/99999999999999999999",
        "/governance/proposals/-",
    ] {
        let (status, envelope) = anna.get_json(&server, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(envelope["error"]["kind"], "not_found", "{path}: {envelope}");

        let (status, page) = anna.page(&server, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("<html"), "{path}: {page}");
    }
    let token = anna.csrf(&server).await;
    let vote = anna
        .http
        .post(server.url("/governance/proposals/12abc/vote"))
        .form(&[("_csrf", token.as_str()), ("choice", "approve")])
        .send()
        .await
        .expect("POST");
    assert_eq!(vote.status().as_u16(), 404);
    let envelope: Json = vote.json().await.expect("JSON envelope");
    assert_eq!(envelope["error"]["kind"], "not_found");
}
