//! Fuzzing the plugin request/response boundary over real HTTP: arbitrary methods, paths,
//! queries, headers and bodies (broken JSON, broken forms, invalid UTF-8) go through the
//! kernel into a real plugin and back. Whatever arrives, the answer is a refusal that says
//! what is wrong, never a crash, and the server keeps serving everyone else.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value as Json, json};

use crate::support::{Client, HELLO, Server, TestInstance, add_user, login};

/// One request as a fuzzer writes it.
#[derive(Debug, Clone)]
struct Wild {
    method: reqwest::Method,
    path: String,
    query: Vec<(String, String)>,
    content_type: Option<String>,
    accept_html: bool,
    body: Vec<u8>,
}

/// Path segments mixing the plugin's real routes with junk, escapes and traversal attempts.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "api",
            "greetings",
            "batch",
            "count",
            "whoami",
            "admin",
            "notify",
            "settings",
            "time",
            "greet",
            "export.csv",
            "..",
            ".",
            "%2e%2e",
            "%00",
            "%ff",
            "%2F",
            "ciao%20mondo",
            "ä",
            "%e2%82%ac",
            "<script>",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9._~-]{1,12}",
        "[0-9a-f]{28}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        "(?s).{0,300}".prop_map(String::into_bytes),
        Just(b"{\"name\": \"Ada\"}".to_vec()),
        Just(b"{\"name\": 12, \"message\": [1,2]}".to_vec()),
        Just(b"{\"name\": \"\\ud800\"}".to_vec()),
        Just(b"[{\"op\":\"create\"}]".to_vec()),
        Just(b"name=%ff%fe&name=Ada&message=%".to_vec()),
        Just(b"=&&==&%zz=1&_csrf=x".to_vec()),
        (1_usize..40).prop_map(|depth| format!(
            "{}{}",
            "[".repeat(depth * 10),
            "]".repeat(depth * 10)
        )
        .into_bytes()),
    ]
}

fn wild() -> impl Strategy<Value = Wild> {
    (
        proptest::sample::select(vec![
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
            reqwest::Method::DELETE,
        ]),
        proptest::collection::vec(segment(), 0..4),
        proptest::collection::vec(("[a-z_]{0,6}", "(?s).{0,12}"), 0..3),
        proptest::option::of(proptest::sample::select(vec![
            "application/json",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin1",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/json; charset=utf-16",
        ])),
        any::<bool>(),
        body(),
    )
        .prop_map(
            |(method, segments, query, content_type, accept_html, body)| Wild {
                method,
                path: format!("/p/hello/{}", segments.join("/")),
                query,
                content_type: content_type.map(str::to_owned),
                accept_html,
                body,
            },
        )
}

async fn send(client: &Client, server: &Server, token: &str, wild: &Wild) -> (u16, String) {
    let mut request = client
        .http
        .request(wild.method.clone(), server.url(&wild.path))
        .query(&wild.query)
        .header("x-csrf-token", token)
        .header(
            "accept",
            if wild.accept_html {
                "text/html"
            } else {
                "application/json"
            },
        )
        .body(wild.body.clone());
    if let Some(content_type) = &wild.content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = String::from_utf8_lossy(&response.bytes().await.expect("body")).into_owned();
    (status, text)
}

#[test]
fn wild_requests_to_a_plugin_get_clear_answers_and_never_crash_anything() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let instance = TestInstance::new("boundary", HELLO);
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let client = runtime.block_on(login(&server, "operatrice"));
    let token = runtime.block_on(client.csrf(&server));

    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let answered = std::cell::RefCell::new(std::collections::BTreeMap::<u16, usize>::new());
    let outcome = runner.run(&wild(), |wild| {
        let (status, text) = runtime.block_on(send(&client, &server, &token, &wild));
        *answered.borrow_mut().entry(status / 100 * 100).or_default() += 1;
        if status >= 500 {
            return Err(TestCaseError::fail(format!(
                "{status} for {wild:?}: {text}"
            )));
        }
        if status >= 400 && !wild.accept_html && wild.method != reqwest::Method::HEAD {
            // A refusal to a program is the error envelope, with a reason a person can read.
            let envelope: Json = serde_json::from_str(&text).map_err(|err| {
                TestCaseError::fail(format!("{status} for {wild:?} is not JSON ({err}): {text}"))
            })?;
            let message = envelope["error"]["message"].as_str().unwrap_or_default();
            if envelope["error"]["kind"].as_str().is_none() || message.trim().is_empty() {
                return Err(TestCaseError::fail(format!(
                    "{status} for {wild:?}: {text}"
                )));
            }
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // The generator reaches the plugin both with requests it serves and with ones it refuses.
    // About 15 to 25 of the 300 cases are served (a GET of the root or of a real route); a CI
    // run drew 9, so `> 10` failed by chance a few runs in a hundred. Three is low enough that
    // chance alone does not fail it, while a generator that stopped reaching real routes does.
    let answered = answered.into_inner();
    assert!(
        answered.get(&200).is_some_and(|n| *n >= 3) && answered.get(&400).is_some_and(|n| *n > 10),
        "answers by class: {answered:?}"
    );

    // Still serving, and nothing the fuzzer sent broke the plugin's own data.
    runtime.block_on(async {
        let (status, created) = client
            .send_json(
                &server,
                reqwest::Method::POST,
                "/p/hello/api/greetings",
                &json!({ "name": "Dopo", "message": "ancora qui" }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let (status, listed) = client
            .get_json(&server, "/p/hello/api/greetings?name=Dopo")
            .await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    });
}
