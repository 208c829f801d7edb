//! `docs/openapi.json` against a running server: every operation it describes is called,
//! and each answer must have a status the description lists and a body its schema accepts.
//! A change to the kernel's JSON that the description does not follow fails here, in CI.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::support::{Client, HELLO, PASSWORD, Server, TestInstance, add_user, login, repo_root};

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
    async fn check(
        &mut self,
        method: &str,
        path: &str,
        response: reqwest::Response,
    ) -> (u16, Json) {
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
            return (status, Json::Null);
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
        (status, value)
    }

    /// `GET url` as an API client, checked as the operation `get path`.
    async fn get(&mut self, client: &Client, url: String, path: &str) -> (u16, Json) {
        let response = client.http.get(url).send().await.expect("GET");
        self.check("get", path, response).await
    }

    /// `POST url` with a form (the CSRF token added when `token` is given), checked as the
    /// operation `post path`.
    async fn post_form(
        &mut self,
        client: &Client,
        url: String,
        path: &str,
        token: Option<&str>,
        fields: &[(&str, &str)],
    ) -> (u16, Json) {
        let mut form: Vec<(&str, &str)> = token.map(|t| ("_csrf", t)).into_iter().collect();
        form.extend_from_slice(fields);
        let response = client
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .expect("POST");
        self.check("post", path, response).await
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

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_description_matches_the_running_server() {
    let instance = TestInstance::table(
        "openapi",
        &format!(
            "{HELLO}\n[budget.funders.comune]\nname = \"Comune di Prova\"\nkind = \"municipality\"\n"
        ),
    );
    add_user(&instance, "cittadina", "citizen");
    add_user(&instance, "amministra", "admin");
    add_user(&instance, "comune", "citizen");
    crate::support::add_member(instance.path(), "comune");
    let server = Server::start(&[instance.path()]);
    let mut checker = Checker::new();
    let url = |path: &str| server.url(path);

    let anonymous = Client::new();
    let (_, health) = checker.get(&anonymous, url("/healthz"), "/healthz").await;
    assert_eq!(health, json!("ok"));
    let (_, session) = checker.get(&anonymous, url("/session"), "/session").await;
    assert_eq!(session["user"], Json::Null);
    for path in ["/me", "/notifications", "/governance"] {
        let (status, _) = checker.get(&anonymous, url(path), path).await;
        assert_eq!(status, 401, "{path} for an anonymous API client");
    }

    // The pages browsers get, and a sign-up (then the same name again).
    let (_, page) = checker.get(&anonymous, url("/login"), "/login").await;
    assert!(
        page.as_str().is_some_and(|html| html.contains("<form")),
        "{page}"
    );
    checker.get(&anonymous, url("/signup"), "/signup").await;
    let newcomer = Client::new();
    let token = newcomer.csrf(&server).await;
    let fields = [
        ("username", "nuovo"),
        ("display_name", "Nuovo Arrivato"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
        ("privacy_version", crate::support::privacy_version()),
    ];
    let (status, _) = checker
        .post_form(&newcomer, url("/signup"), "/signup", Some(&token), &fields)
        .await;
    assert_eq!(status, 303);
    let again = Client::new();
    let token = again.csrf(&server).await;
    let (status, _) = checker
        .post_form(&again, url("/signup"), "/signup", Some(&token), &fields)
        .await;
    assert_eq!(status, 409);

    // Login: a wrong password, a missing token, then the real thing.
    let token = anonymous.csrf(&server).await;
    let wrong = [("username", "cittadina"), ("password", "sbagliata")];
    let right = [("username", "cittadina"), ("password", PASSWORD)];
    let (status, _) = checker
        .post_form(&anonymous, url("/login"), "/login", Some(&token), &wrong)
        .await;
    assert_eq!(status, 401);
    let (status, _) = checker
        .post_form(&anonymous, url("/login"), "/login", None, &right)
        .await;
    assert_eq!(status, 403);
    let citizen = Client::new();
    let token = citizen.csrf(&server).await;
    let (status, _) = checker
        .post_form(&citizen, url("/login"), "/login", Some(&token), &right)
        .await;
    assert_eq!(status, 303);
    let (_, session) = checker.get(&citizen, url("/session"), "/session").await;
    assert_eq!(session["user"]["username"], "cittadina");

    // The person's own pages, with something in them.
    let (status, _) = citizen
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/notify",
            &json!({ "subject": "Prova <b>", "body": "Corpo", "key": "openapi-1" }),
        )
        .await;
    assert_eq!(status, 200);
    checker.get(&citizen, url("/me"), "/me").await;
    checker.get(&citizen, url("/me/wallet"), "/me/wallet").await;
    let (_, inbox) = checker
        .get(&citizen, url("/notifications"), "/notifications")
        .await;
    assert_eq!(inbox["notifications"][0]["subject"], "Prova <b>");
    let token = citizen.csrf(&server).await;
    let read = "/notifications/read";
    checker
        .post_form(&citizen, url(read), read, Some(&token), &[])
        .await;

    // The coordination table: a citizen is refused, a member proposes and votes.
    let (status, _) = checker
        .get(&citizen, url("/governance"), "/governance")
        .await;
    assert_eq!(status, 403);
    let member = login(&server, "comune").await;
    checker
        .get(&member, url("/governance"), "/governance")
        .await;
    let token = member.csrf(&server).await;
    let proposals = "/governance/proposals";
    let setting = [
        ("kind", "settings"),
        ("plugin", "hello"),
        ("key", "greeting"),
    ];
    let mut wrong_type = setting.to_vec();
    wrong_type.push(("value", "12"));
    let (status, _) = checker
        .post_form(
            &member,
            url(proposals),
            proposals,
            Some(&token),
            &wrong_type,
        )
        .await;
    assert_eq!(
        status, 422,
        "a setting of the wrong type is refused before the vote"
    );
    let mut valid = setting.to_vec();
    valid.extend([
        ("value", "\"Salve dal tavolo\""),
        ("rationale", "più caldo"),
    ]);
    let (status, proposal) = checker
        .post_form(&member, url(proposals), proposals, Some(&token), &valid)
        .await;
    assert_eq!(status, 201);
    let number = proposal["number"].as_i64().expect("a number");
    let one = "/governance/proposals/{number}";
    checker
        .get(
            &member,
            url(&format!("/governance/proposals/{number}")),
            one,
        )
        .await;
    let (status, _) = checker
        .get(&member, url("/governance/proposals/9999"), one)
        .await;
    assert_eq!(status, 404);
    let vote = "/governance/proposals/{number}/vote";
    let vote_url = || url(&format!("/governance/proposals/{number}/vote"));
    for (choice, expected) in [("forse", 422), ("approve", 200), ("approve", 409)] {
        let (status, body) = checker
            .post_form(
                &member,
                vote_url(),
                vote,
                Some(&token),
                &[("choice", choice)],
            )
            .await;
        assert_eq!(status, expected, "vote {choice}: {body}");
    }

    // The territory's fund: a citizen is refused, a member reads it (and its spreadsheet), an
    // administrator records a deposit once per key, a member may not.
    let budget = "/governance/budget";
    let (status, _) = checker.get(&citizen, url(budget), budget).await;
    assert_eq!(status, 403);
    let (status, _) = checker.get(&anonymous, url(budget), budget).await;
    assert_eq!(status, 401);
    let admin = login(&server, "amministra").await;
    let admin_token = admin.csrf(&server).await;
    let deposits = "/governance/budget/deposits";
    let deposit = |amount| {
        [
            ("funder", "comune"),
            ("amount", amount),
            ("key", "openapi-1"),
        ]
    };
    for (amount, expected) in [("dieci", 422), ("1.000,00", 201), ("1.000,00", 200)] {
        let (status, body) = checker
            .post_form(
                &admin,
                url(deposits),
                deposits,
                Some(&admin_token),
                &deposit(amount),
            )
            .await;
        assert_eq!(status, expected, "deposit {amount}: {body}");
    }
    let (status, _) = checker
        .post_form(
            &member,
            url(deposits),
            deposits,
            Some(&token),
            &deposit("5,00"),
        )
        .await;
    assert_eq!(status, 403);
    let (_, books) = checker.get(&member, url(budget), budget).await;
    assert_eq!(
        books["funders"][0]["cents"]["available"], 100_000,
        "{books}"
    );
    let sheet = "/governance/budget.csv";
    let (status, csv) = checker.get(&member, url(sheet), sheet).await;
    assert_eq!(status, 200);
    assert!(
        csv.as_str()
            .is_some_and(|text| text.starts_with('\u{feff}')),
        "{csv}"
    );

    // Plugin routes: the plugin's answer, and the kernel's error envelope.
    let plugin = "/p/{plugin}/{path}";
    let (status, _) = checker
        .get(&citizen, url("/p/hello/api/whoami"), plugin)
        .await;
    assert_eq!(status, 200);
    let (status, _) = checker.get(&citizen, url("/p/nessuno/api"), plugin).await;
    assert_eq!(status, 404);
    let token = citizen.csrf(&server).await;
    let greetings = url("/p/hello/api/greetings");
    let attempts = [
        (None, b"{\"name\":\"Ada\"}".to_vec(), 403),
        (Some(&token), vec![b' '; 2 * 1024 * 1024], 413),
        (Some(&token), b"{\"name\": 12}".to_vec(), 400),
    ];
    for (token, body, expected) in attempts {
        let mut request = citizen
            .http
            .post(&greetings)
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token.as_str());
        }
        let response = request.send().await.expect("POST");
        let (status, _) = checker.check("post", plugin, response).await;
        assert_eq!(status, expected);
    }
    // Other methods go to the plugin too (hello takes none of them on this path); methods
    // plugin routes never take are refused by the kernel with `Allow`.
    for method in ["put", "patch", "delete"] {
        let response = citizen
            .http
            .request(method.to_uppercase().parse().expect("method"), &greetings)
            .header("x-csrf-token", token.as_str())
            .send()
            .await
            .expect("request");
        let (status, _) = checker.check(method, plugin, response).await;
        assert!(status >= 400, "{method}: {status}");
    }
    let response = citizen
        .http
        .request(reqwest::Method::TRACE, &greetings)
        .send()
        .await
        .expect("TRACE");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("GET, HEAD, POST, PUT, PATCH, DELETE")
    );

    let token = citizen.csrf(&server).await;
    let (status, _) = checker
        .post_form(&citizen, url("/logout"), "/logout", Some(&token), &[])
        .await;
    assert_eq!(status, 303);

    checker.assert_all_seen();
}
