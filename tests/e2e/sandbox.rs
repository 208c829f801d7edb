//! A misbehaving plugin is contained: stopped at its deadline or memory cap, its failure is
//! reported and audited, and every other request keeps being served.

use std::time::{Duration, Instant};

use crate::support::{Client, HELLO, Server, TestInstance};

fn rogue_instance(id: &str) -> TestInstance {
    TestInstance::new(
        id,
        &format!(
            r#"
[limits]
memory_mib = 32
http_deadline_ms = 1500

[plugins.rogue]
version = "^1.0"
capabilities = ["store"]
{HELLO}"#
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_loop_is_stopped_at_the_deadline_while_others_are_served() {
    let instance = rogue_instance("loop");
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    let (status, _) = client.get_json(&server, "/p/rogue/ok").await;
    assert_eq!(status, 200);

    let started = Instant::now();
    let looping = {
        let http = client.http.clone();
        let url = server.url("/p/rogue/loop");
        tokio::spawn(async move {
            let response = http.get(url).send().await.expect("loop request");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("json error");
            (status, body, started.elapsed())
        })
    };
    // While the loop burns its deadline, the instance keeps answering.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        let (status, _) = client.get_json(&server, "/p/hello/api/time").await;
        assert_eq!(status, 200);
    }
    assert!(
        !looping.is_finished(),
        "the loop is still running while hello answers"
    );
    let (status, body, elapsed) = looping.await.expect("join");
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"]["kind"], "plugin_timeout");
    assert!(
        elapsed >= Duration::from_millis(1400),
        "stopped too early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(6),
        "stopped too late: {elapsed:?}"
    );

    let (status, _) = client.get_json(&server, "/p/rogue/ok").await;
    assert_eq!(status, 200, "the plugin serves again after the trap");
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_hogs_panics_and_stack_overflows_are_contained() {
    let instance = rogue_instance("hog");
    let server = Server::start(&[instance.path()]);
    let client = Client::new();

    let (status, body) = client.get_json(&server, "/p/rogue/eat").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["kind"], "plugin_out_of_memory");

    let (status, body) = client.get_json(&server, "/p/rogue/panic").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["kind"], "plugin_failed");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("rogue") && !message.contains("wasm"),
        "no internals shown: {message}"
    );

    let (status, body) = client.get_json(&server, "/p/rogue/deep").await;
    assert_eq!(status, 500, "{body}");

    let (status, body) = client.get_json(&server, "/p/rogue/other").await;
    assert!(status >= 400, "an undeclared collection is refused: {body}");

    let (status, _) = client.get_json(&server, "/p/hello/api/time").await;
    assert_eq!(status, 200);
    let (status, _) = client.get_json(&server, "/p/rogue/ok").await;
    assert_eq!(status, 200);
}
