//! Oversized bodies are refused with 413 and a clear answer.

use serde_json::json;

use crate::support::{HELLO, Server, TestInstance, add_user, login, refusal};

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_with_413_and_a_clear_answer() {
    let instance = TestInstance::new("limits", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let token = anna.csrf(&server).await;
    let big = "x".repeat(2 * 1024 * 1024);

    for path in ["/login", "/notifications/read", "/p/hello/greet"] {
        // A browser gets a page saying what went wrong…
        let response = anna
            .http
            .post(server.url(path))
            .header("accept", "text/html")
            .form(&[("_csrf", token.as_str()), ("message", big.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status().as_u16(), 413, "{path}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let page = response.text().await.expect("page");
        assert!(
            page.contains("La richiesta è troppo grande"),
            "{path}: {page}"
        );

        // …an API client the JSON envelope.
        let response = anna
            .http
            .post(server.url(path))
            .header("x-csrf-token", token.as_str())
            .header("content-type", "application/json")
            .body(format!("{{\"message\": \"{big}\"}}"))
            .send()
            .await
            .expect("POST");
        assert_eq!(
            refusal(response).await,
            (413, "payload_too_large".into()),
            "{path}"
        );
    }
    // Just under the limit, the plugin gets the request and answers for itself.
    let under = "x".repeat(1024 * 1024 - 200);
    let response = anna
        .http
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", token.as_str())
        .json(&json!({"name": "Lunga", "message": under}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 422, "the plugin's own answer");
}
