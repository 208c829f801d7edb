//! The notification outbox (host API 1.2): a plugin's message reaches the recipient's inbox
//! once per key, escaped, and the mail relay drains it once.

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{Client, HELLO, Server, TestInstance, add_person, login, trama};

/// Anna, made from the command line: an account made through the sign-up form would also
/// queue its own confirmation mail, which is not the plugin's message counted here.
async fn anna(instance: &TestInstance, server: &Server) -> Client {
    add_person(instance, "anna@example.org", "Anna Rossi", "citizen");
    login(server, "anna@example.org").await
}

fn outbox(instance: &TestInstance, mark_sent: bool) -> Vec<Json> {
    let mut command = trama();
    command.arg("outbox").arg(instance.path());
    if mark_sent {
        command.arg("--mark-sent");
    }
    let output = command.output().expect("trama outbox");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_notifies_a_user_once_per_key_and_the_relay_sends_it_once() {
    let instance = TestInstance::new("notify", HELLO);
    let server = Server::start(&[instance.path()]);
    let anna = anna(&instance, &server).await;
    let message = json!({
        "subject": "Promemoria <b>lezione</b>",
        "body": "Domani alle 15:00\nBiblioteca civica",
        "key": "reminder/1",
    });
    let (status, first) = anna
        .send_json(&server, Method::POST, "/p/hello/api/notify", &message)
        .await;
    assert_eq!((status, &first), (200, &json!({"queued": true})));
    let (status, again) = anna
        .send_json(&server, Method::POST, "/p/hello/api/notify", &message)
        .await;
    assert_eq!(
        (status, &again),
        (200, &json!({"queued": false})),
        "the same key queues nothing new"
    );

    let (status, _) = anna
        .send_json(
            &server,
            Method::POST,
            "/p/hello/api/notify",
            &json!({"subject": "Prenotazione confermata", "body": "", "key": "refused/1", "then_refuse": true}),
        )
        .await;
    assert_eq!(status, 409);

    let (status, bad) = anna
        .send_json(
            &server,
            Method::POST,
            "/p/hello/api/notify",
            &json!({"subject": "due\nrighe", "body": "", "key": "reminder/2"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("subject"),
        "{bad}"
    );

    let (status, inbox) = anna.get_json(&server, "/notifications").await;
    assert_eq!(status, 200);
    let list = inbox["notifications"].as_array().expect("list");
    assert_eq!(list.len(), 1, "{inbox}");
    assert_eq!(list[0]["subject"], "Promemoria <b>lezione</b>");
    assert_eq!(list[0]["link"], "/p/hello/");

    let (status, page) = anna.page(&server, "/notifications").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Promemoria &lt;b&gt;lezione&lt;/b&gt;"),
        "{page}"
    );
    assert!(!page.contains("<b>lezione"), "the subject is escaped");
    assert!(page.contains("Segna tutte come lette"));
    let response = anna.post_form(&server, "/notifications/read", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, inbox) = anna.get_json(&server, "/notifications").await;
    assert!(inbox["notifications"][0]["read_at"].is_i64(), "{inbox}");

    let stranger = crate::support::Client::new();
    let response = stranger
        .http
        .get(server.url("/notifications"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        response.status().as_u16(),
        303,
        "anonymous visitors are sent to log in"
    );
    let (status, body) = stranger.get_json(&server, "/notifications").await;
    assert_eq!(
        (status, &body["error"]["kind"]),
        (401, &serde_json::json!("unauthenticated")),
        "an API client is told to log in: {body}"
    );

    let pending = outbox(&instance, true);
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["username"], "anna@example.org");
    assert_eq!(pending[0]["body"], "Domani alle 15:00\nBiblioteca civica");
    assert!(
        outbox(&instance, true).is_empty(),
        "a sent message is not sent again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_relays_draining_at_once_never_send_a_message_twice() {
    let instance = TestInstance::new("relays", HELLO);
    let server = Server::start(&[instance.path()]);
    let anna = anna(&instance, &server).await;
    for n in 0..40 {
        let message =
            json!({"subject": format!("Avviso {n}"), "body": "…", "key": format!("avviso/{n}")});
        let (status, _) = anna
            .send_json(&server, Method::POST, "/p/hello/api/notify", &message)
            .await;
        assert_eq!(status, 200);
    }
    let relays: Vec<_> = (0..2)
        .map(|_| {
            let path = instance.path().to_path_buf();
            std::thread::spawn(move || {
                let output = trama()
                    .arg("outbox")
                    .arg(&path)
                    .arg("--mark-sent")
                    .output()
                    .expect("trama outbox");
                assert!(
                    output.status.success(),
                    "{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .map(|line| {
                        let message: Json = serde_json::from_str(line).expect("JSON");
                        message["subject"].as_str().unwrap_or_default().to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut sent: Vec<String> = relays
        .into_iter()
        .flat_map(|relay| relay.join().expect("relay"))
        .collect();
    let printed = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!(
        (printed, sent.len()),
        (40, 40),
        "each message printed once, by one relay"
    );
    assert!(outbox(&instance, true).is_empty());
}
