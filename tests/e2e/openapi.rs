//! `docs/openapi.json` against a running server: every operation it describes is called,
//! and each answer must have a status the description lists and a body its schema accepts.
//! A change to the kernel's JSON that the description does not follow fails here, in CI.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_user, login, repo_root, trama,
};

/// The description, parsed.
fn description() -> Json {
    let text = std::fs::read_to_string(repo_root().join("docs/openapi.json"))
        .expect("read docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// Follows a local `$ref` (`#/components/...`) of a non-schema object, as OpenAPI allows for
/// responses and request bodies; returns the object and its JSON pointer.
fn resolve(doc: &Json, pointer: String) -> (&Json, String) {
    let value = doc
        .pointer(&pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the description"));
    match value.get("$ref").and_then(Json::as_str) {
        Some(target) => resolve(doc, target.trim_start_matches('#').to_owned()),
        None => (value, pointer),
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Records what was checked and checks each answer against the description.
struct Checker {
    doc: Json,
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    fn new() -> Self {
        Self {
            doc: description(),
            seen: BTreeSet::new(),
        }
    }

    /// Checks one answer of operation `method path` (the path as the description writes it).
    async fn check(&mut self, method: &str, path: &str, response: reqwest::Response) -> Json {
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.expect("response body");
        let operation = format!("/paths/{}/{method}", escape(path));
        let responses = self
            .doc
            .pointer(&format!("{operation}/responses"))
            .unwrap_or_else(|| panic!("{method} {path} is not in the description"));
        let key = if responses.get(status.to_string()).is_some() {
            status.to_string()
        } else if responses.get("default").is_some() && status >= 400 {
            "default".to_owned()
        } else {
            panic!("{method} {path} answered {status}, which the description does not list: {text}")
        };
        self.seen.insert((method.to_owned(), path.to_owned()));
        let (described, pointer) =
            resolve(&self.doc, format!("{operation}/responses/{}", escape(&key)));
        let Some(content) = described.get("content") else {
            return Json::Null;
        };
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        assert!(
            content.get(&media).is_some(),
            "{method} {path} {status} answered {media:?}; the description lists {:?}",
            content.as_object().map(|m| m.keys().collect::<Vec<_>>())
        );
        let value = if media == "application/json" {
            serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{method} {path} {status}: not JSON ({err}): {text}"))
        } else {
            Json::String(text)
        };
        let schema_pointer = format!("{pointer}/content/{}/schema", escape(&media));
        self.validate(
            &schema_pointer,
            &value,
            &format!("{method} {path} {status}"),
        );
        value
    }

    /// Validates `value` against the schema at `pointer`, resolving `$ref`s in the whole
    /// description (OpenAPI 3.1 schemas are JSON Schema 2020-12).
    fn validate(&self, pointer: &str, value: &Json, what: &str) {
        // The schema as the root of a document that also holds the components its `$ref`s
        // point to.
        let mut schema = self
            .doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no schema at {pointer} for {what}"))
            .clone();
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        schema["components"] = self.doc["components"].clone();
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|err| panic!("the schema of {what} does not compile: {err}"));
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|err| format!("{} at {}", err, err.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not match the description:\n{}\n{value:#}",
            errors.join("\n")
        );
    }

    /// Every operation of the description was exercised at least once.
    fn assert_all_seen(&self) {
        let mut described = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    described.insert((method.to_owned(), path.clone()));
                }
            }
        }
        let missing: Vec<_> = described.difference(&self.seen).collect();
        assert!(
            missing.is_empty(),
            "operations never called by this test: {missing:?}"
        );
    }
}

fn api(client: &Client) -> &reqwest::Client {
    &client.http
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_description_matches_the_running_server() {
    let instance = TestInstance::new("openapi", HELLO);
    add_user(&instance, "cittadina", "citizen");
    add_user(&instance, "comune", "citizen");
    let output = trama()
        .args(["governance", "add-member"])
        .arg(instance.path())
        .args(["--username", "comune", "--organisation", "Comune di Prova"])
        .output()
        .expect("trama governance add-member");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let server = Server::start(&[instance.path()]);
    let mut checker = Checker::new();

    let anonymous = Client::new();
    let response = api(&anonymous)
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("GET");
    assert_eq!(
        checker.check("get", "/healthz", response).await,
        json!("ok")
    );
    let response = api(&anonymous)
        .get(server.url("/session"))
        .send()
        .await
        .expect("GET");
    let session = checker.check("get", "/session", response).await;
    assert_eq!(session["user"], Json::Null);
    for path in ["/me", "/notifications", "/governance"] {
        let response = api(&anonymous)
            .get(server.url(path))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), 401, "{path} for an anonymous API client");
        checker.check("get", path, response).await;
    }

    // Login: a wrong password, a missing token, then the real thing.
    let token = anonymous.csrf(&server).await;
    let response = api(&anonymous)
        .post(server.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "cittadina"),
            ("password", "sbagliata"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 401);
    checker.check("post", "/login", response).await;
    let response = api(&anonymous)
        .post(server.url("/login"))
        .form(&[("username", "cittadina"), ("password", PASSWORD)])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 403);
    checker.check("post", "/login", response).await;
    let citizen = Client::new();
    let token = citizen.csrf(&server).await;
    let response = api(&citizen)
        .post(server.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "cittadina"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    checker.check("post", "/login", response).await;
    let response = api(&citizen)
        .get(server.url("/session"))
        .send()
        .await
        .expect("GET");
    let session = checker.check("get", "/session", response).await;
    assert_eq!(session["user"]["username"], "cittadina");

    // The person's own pages, with something in them.
    let (status, _) = citizen
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/notify",
            &json!({
                "subject": "Prova <b>", "body": "Corpo", "key": "openapi-1"
            }),
        )
        .await;
    assert_eq!(status, 200);
    let response = api(&citizen)
        .get(server.url("/me"))
        .send()
        .await
        .expect("GET");
    checker.check("get", "/me", response).await;
    let response = api(&citizen)
        .get(server.url("/notifications"))
        .send()
        .await
        .expect("GET");
    let inbox = checker.check("get", "/notifications", response).await;
    assert_eq!(inbox["notifications"][0]["subject"], "Prova <b>");
    let token = citizen.csrf(&server).await;
    let response = api(&citizen)
        .post(server.url("/notifications/read"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("POST");
    checker.check("post", "/notifications/read", response).await;

    // The coordination table: a citizen is refused, a member proposes and votes.
    let response = api(&citizen)
        .get(server.url("/governance"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 403);
    checker.check("get", "/governance", response).await;
    let member = login(&server, "comune").await;
    let response = api(&member)
        .get(server.url("/governance"))
        .send()
        .await
        .expect("GET");
    checker.check("get", "/governance", response).await;
    let token = member.csrf(&server).await;
    let response = api(&member)
        .post(server.url("/governance/proposals"))
        .form(&[
            ("_csrf", token.as_str()),
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "greeting"),
            ("value", "12"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(
        response.status(),
        422,
        "a setting of the wrong type is refused before the vote"
    );
    checker
        .check("post", "/governance/proposals", response)
        .await;
    let response = api(&member)
        .post(server.url("/governance/proposals"))
        .form(&[
            ("_csrf", token.as_str()),
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "greeting"),
            ("value", "\"Salve dal tavolo\""),
            ("rationale", "un saluto più caldo"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    let proposal = checker
        .check("post", "/governance/proposals", response)
        .await;
    let number = proposal["number"].as_i64().expect("a number");
    let path = "/governance/proposals/{number}";
    let response = api(&member)
        .get(server.url(&format!("/governance/proposals/{number}")))
        .send()
        .await
        .expect("GET");
    checker.check("get", path, response).await;
    let response = api(&member)
        .get(server.url("/governance/proposals/9999"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    checker.check("get", path, response).await;
    let vote = "/governance/proposals/{number}/vote";
    let url = server.url(&format!("/governance/proposals/{number}/vote"));
    let response = api(&member)
        .post(&url)
        .form(&[("_csrf", token.as_str()), ("choice", "forse")])
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_client_error());
    checker.check("post", vote, response).await;
    let response = api(&member)
        .post(&url)
        .form(&[("_csrf", token.as_str()), ("choice", "approve")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    checker.check("post", vote, response).await;
    let response = api(&member)
        .post(&url)
        .form(&[("_csrf", token.as_str()), ("choice", "approve")])
        .send()
        .await
        .expect("POST");
    assert!(
        response.status().is_client_error(),
        "a second vote is refused"
    );
    checker.check("post", vote, response).await;

    // Plugin routes: the plugin's answer, and the kernel's error envelope.
    let plugin = "/p/{plugin}/{path}";
    let response = api(&citizen)
        .get(server.url("/p/hello/api/whoami"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    checker.check("get", plugin, response).await;
    let response = api(&citizen)
        .get(server.url("/p/nessuno/api"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    checker.check("get", plugin, response).await;
    let response = api(&citizen)
        .post(server.url("/p/hello/api/greetings"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 403, "no CSRF token");
    checker.check("post", plugin, response).await;
    let token = citizen.csrf(&server).await;
    let response = api(&citizen)
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", &token)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 413);
    checker.check("post", plugin, response).await;
    let response = api(&citizen)
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", &token)
        .json(&json!({ "name": 12 }))
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_client_error());
    checker.check("post", plugin, response).await;

    let token = citizen.csrf(&server).await;
    let response = api(&citizen)
        .post(server.url("/logout"))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303);
    checker.check("post", "/logout", response).await;

    checker.assert_all_seen();
}
