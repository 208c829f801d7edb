//! A misbehaving plugin is contained: stopped at its deadline, memory cap or stack limit, its
//! oversized answer refused; each failure, and each reach for what it was not granted, is in
//! the audit log; and every other request keeps being served. It reaches only its own
//! documents — not another plugin's, not another instance's on the same database — and only
//! the host interfaces its instance granted.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::many::Visitor;
use crate::support::{
    Client, HELLO, PgDatabase, Server, TestInstance, build_named_plugins, repo_root, trama,
};

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
capabilities = ["store", "events"]
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

    // More loops than the server has worker threads (one per core): calls run on the workers,
    // so this only passes if a looping plugin gives its worker up while it burns its deadline.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let started = Instant::now();
    let loops: Vec<_> = (0..cores + 2)
        .map(|_| {
            let http = client.http.clone();
            let url = server.url("/p/rogue/loop");
            tokio::spawn(async move {
                let response = http.get(url).send().await.expect("loop request");
                let status = response.status().as_u16();
                let text = response.text().await.expect("loop answer");
                let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
                (status, body, started.elapsed())
            })
        })
        .collect();
    // While the loops burn their deadline, the instance keeps answering, promptly.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut answered = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        let (status, _) = client.get_json(&server, "/p/hello/api/time").await;
        assert_eq!(status, 200);
        assert!(
            asked.elapsed() < Duration::from_millis(500),
            "hello waited {:?} behind the loops",
            asked.elapsed()
        );
        answered.push(started.elapsed());
    }
    let mut stopped = Vec::new();
    for looping in loops {
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
        stopped.push(elapsed);
    }
    let first_stop = stopped.iter().min().copied().unwrap_or_default();
    assert!(
        answered.iter().all(|at| *at < first_stop),
        "hello answered at {answered:?}, not all while the loops ran (the first stopped at {first_stop:?})"
    );

    let (status, _) = client.get_json(&server, "/p/rogue/ok").await;
    assert_eq!(status, 200, "the plugin serves again after the trap");

    let failures = plugin_failures(instance.path(), "rogue").await;
    assert!(
        failures
            .iter()
            .any(|failure| failure.contains("did not answer within")),
        "the stopped loop is in the audit log: {failures:?}"
    );
}

/// The `detail` of every `plugin.failed` entry of `plugin` in the instance's audit log, oldest
/// first: what an operator reads to learn that a plugin misbehaved.
async fn plugin_failures(instance: &Path, plugin: &str) -> Vec<String> {
    audit_details(instance, "plugin.failed", plugin).await
}

/// The `detail` of every `action` entry of `plugin` in the instance's audit log, oldest first.
async fn audit_details(instance: &Path, action: &str, plugin: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let url = format!(
        "sqlite://{}?mode=ro",
        instance.join("data/trama.db").display()
    );
    let db = sea_orm::Database::connect(url).await.expect("open db");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            "SELECT detail FROM audit_log WHERE action = ? AND plugin = ? ORDER BY seq",
            [action.into(), plugin.into()],
        ))
        .await
        .expect("audit rows");
    db.close().await.ok();
    rows.iter()
        .map(|row| row.try_get("", "detail").expect("detail"))
        .collect()
}

/// `trama audit verify` on the instance succeeds: the hash chain is intact, and every row a
/// plugin call committed has the call's audit entry.
pub(crate) fn assert_audit_intact(instance: &Path) {
    let output = trama()
        .args(["audit", "verify"])
        .arg(instance)
        .output()
        .expect("trama audit verify");
    assert!(
        output.status.success()
            && String::from_utf8_lossy(&output.stdout).contains("intact and complete"),
        "audit verify: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
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
    assert_eq!(body["error"]["kind"], "plugin_failed");

    let (status, body) = client.get_json(&server, "/p/rogue/other").await;
    assert!(status >= 400, "an undeclared collection is refused: {body}");

    // 20 MiB of JSON: the kernel refuses to pass it on.
    let response = client
        .http
        .get(server.url("/p/rogue/huge"))
        .send()
        .await
        .expect("GET /huge");
    assert_eq!(response.status().as_u16(), 502);
    let body = response.bytes().await.expect("body");
    assert!(
        body.len() < 64 * 1024,
        "none of the oversized answer reaches the client: {} bytes",
        body.len()
    );
    let body: Json = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(body["error"]["kind"], "plugin_response_too_large");

    let (status, _) = client.get_json(&server, "/p/hello/api/time").await;
    assert_eq!(status, 200);
    let (status, _) = client.get_json(&server, "/p/rogue/ok").await;
    assert_eq!(status, 200);

    // Each containment is in the audit log, in order, with what happened.
    let failures = plugin_failures(instance.path(), "rogue").await;
    let expected = [
        "ran out of memory",
        "crashed",
        "overflowed its stack",
        "more than the 16777216 allowed",
    ];
    assert_eq!(failures.len(), expected.len(), "{failures:?}");
    for (failure, expected) in failures.iter().zip(expected) {
        assert!(failure.contains(expected), "{expected:?} in {failure}");
    }
    // The reach for an undeclared collection is refused and reported too.
    let refused = audit_details(instance.path(), "plugin.refused", "rogue").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("`not_declared`"), "{refused:?}");
    server.kill();
    assert_audit_intact(instance.path());
}

/// Creates a greeting with `hello`; returns its id.
async fn greet(client: &Client, server: &Server, name: &str, message: &str) -> String {
    let (status, greeting) = client
        .send_json(
            server,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &json!({"name": name, "message": message}),
        )
        .await;
    assert_eq!(status, 201, "{greeting}");
    greeting["id"].as_str().expect("id").to_owned()
}

/// `identity.holders` lists the people of the plugin's own roles, and only those: a plugin
/// cannot enumerate the accounts of an instance.
#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_lists_the_holders_of_its_own_roles_only() {
    let instance = TestInstance::new("holders", crate::support::HELLO);
    crate::support::add_user(&instance, "zeta", "admin");
    crate::support::add_user(&instance, "alfa", "admin");
    crate::support::add_user(&instance, "cittadina", "citizen");
    let server = Server::start(&[instance.path()]);
    let client = crate::support::login(&server, "cittadina").await;

    let (status, holders) = client.get_json(&server, "/p/hello/api/holders/admin").await;
    assert_eq!(status, 200, "{holders}");
    let names: Vec<&str> = holders
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|holder| holder["username"].as_str())
        .collect();
    assert_eq!(names, ["alfa", "zeta"], "every admin, by username");

    // hello does not declare `citizen`: the kernel refuses, and audits the attempt.
    let (status, refused) = client
        .get_json(&server, "/p/hello/api/holders/citizen")
        .await;
    assert_eq!(status, 500, "{refused}");
    assert!(!refused.to_string().contains("cittadina"), "{refused}");
    let reported = audit_details(instance.path(), "plugin.refused", "hello").await;
    assert!(
        reported.len() == 1 && reported[0].contains("role `citizen` is not declared"),
        "{reported:?}"
    );
    server.kill();
    assert_audit_intact(instance.path());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_cannot_read_or_overwrite_another_plugins_documents() {
    let instance = rogue_instance("neighbours");
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    let id = greet(&client, &server, "Anna", "un segreto di hello").await;

    // rogue declares a collection with the same name as hello's: it still sees only its own.
    let (status, peek) = client
        .get_json(&server, &format!("/p/rogue/peek/greetings/{id}"))
        .await;
    assert_eq!((status, &peek["found"]), (200, &Json::Null), "{peek}");
    let (status, list) = client.get_json(&server, "/p/rogue/list/greetings").await;
    assert_eq!((status, &list["ids"]), (200, &json!([])), "{list}");
    // A collection of hello that rogue did not declare is refused outright.
    let (status, refused) = client.get_json(&server, "/p/rogue/list/seen_events").await;
    assert!(status >= 400, "{refused}");
    let reported = audit_details(instance.path(), "plugin.refused", "rogue").await;
    assert!(
        reported.len() == 1 && reported[0].contains("`seen_events`"),
        "the attempt is in the audit log: {reported:?}"
    );

    // Writing under the same collection and id lands in rogue's documents, not over hello's.
    let (status, planted) = client
        .send_json(
            &server,
            reqwest::Method::POST,
            &format!("/p/rogue/plant/greetings/{id}"),
            &json!({"name": "Anna", "message": "sovrascritto"}),
        )
        .await;
    assert_eq!(status, 200, "{planted}");
    let (status, greeting) = client
        .get_json(&server, &format!("/p/hello/api/greetings/{id}"))
        .await;
    assert_eq!(status, 200, "{greeting}");
    assert_eq!(
        greeting["message"], "un segreto di hello",
        "hello's data is intact"
    );
    let (_, greetings) = client.get_json(&server, "/p/hello/api/greetings").await;
    assert_eq!(greetings.as_array().map(Vec::len), Some(1), "{greetings}");
    let (_, peek) = client
        .get_json(&server, &format!("/p/rogue/peek/greetings/{id}"))
        .await;
    assert_eq!(
        peek["found"]["message"], "sovrascritto",
        "rogue reads its own copy"
    );
}

const ROGUE: &str = r#"
[plugins.rogue]
version = "^1.0"
capabilities = ["store", "events"]
"#;

async fn instances_on_one_database_never_see_each_others_documents(database: &str) {
    let root = tempfile::tempdir().expect("tempdir");
    for name in ["alto", "basso"] {
        crate::support::write_named_instance(
            root.path(),
            name,
            database,
            &format!("{ROGUE}{HELLO}"),
        );
    }
    let server = Server::start(&[root.path()]);
    let alto = Visitor::new(&server, "alto.localhost");
    let basso = Visitor::new(&server, "basso.localhost");

    let (status, planted) = alto
        .post_json("/p/rogue/plant/things/segreto", &json!({"of": "alto"}))
        .await;
    assert_eq!(status, 200, "{planted}");
    let (status, peek) = basso.get("/p/rogue/peek/things/segreto").await;
    assert_eq!(
        (status, &peek["found"]),
        (200, &Json::Null),
        "by id: {peek}"
    );
    let (status, list) = basso.get("/p/rogue/list/things").await;
    assert_eq!(
        (status, &list["ids"]),
        (200, &json!([])),
        "by query: {list}"
    );

    // basso writes the same id: two documents, each instance reads its own.
    let (status, _) = basso
        .post_json("/p/rogue/plant/things/segreto", &json!({"of": "basso"}))
        .await;
    assert_eq!(status, 200);
    for (visitor, owner) in [(&alto, "alto"), (&basso, "basso")] {
        let (_, peek) = visitor.get("/p/rogue/peek/things/segreto").await;
        assert_eq!(peek["found"]["of"], owner, "{peek}");
        let (_, list) = visitor.get("/p/rogue/list/things").await;
        assert_eq!(list["docs"], json!([{"of": owner}]), "{list}");
    }
    // Nor does hello's data of one instance show in the other.
    let token = alto
        .post_json(
            "/p/hello/api/greetings",
            &json!({"name": "Anna", "message": "di alto"}),
        )
        .await;
    assert_eq!(token.0, 201, "{}", token.1);
    let (_, greetings) = basso.get("/p/hello/api/greetings").await;
    assert_eq!(greetings, json!([]));
    let (_, list) = basso.get("/p/rogue/list/greetings").await;
    assert_eq!(list["ids"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_sharing_one_sqlite_file_never_see_each_others_documents() {
    instances_on_one_database_never_see_each_others_documents(
        "[database]\nurl = \"sqlite://../shared.db\"\n",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_sharing_one_postgres_database_never_see_each_others_documents() {
    let db = PgDatabase::create().await;
    instances_on_one_database_never_see_each_others_documents(&format!(
        "[database]\nurl = \"{}\"\n",
        db.url
    ))
    .await;
}

/// Runs `trama serve` on `dirs` expecting it to give up; returns what it said.
fn serve_refusal(dirs: &[&Path]) -> String {
    let output = trama()
        .arg("serve")
        .args(dirs)
        .args(["--listen", "127.0.0.1:0", "--no-build", "--cache-dir"])
        .arg(crate::support::cache_dir())
        .output()
        .expect("trama serve");
    assert!(!output.status.success(), "serve refuses to start");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_capability_the_instance_did_not_grant_keeps_only_that_instance_offline() {
    build_named_plugins(&["hello", "rogue"]);
    let root = tempfile::tempdir().expect("tempdir");
    // rogue's plugin.toml declares `store`; this instance grants only `events`.
    crate::support::write_named_instance(
        root.path(),
        "avaro",
        "",
        "[plugins.rogue]\nversion = \"^1.0\"\ncapabilities = [\"events\"]\n",
    );
    // A rogue whose plugin.toml hides that its component imports `store`: the manifest
    // check cannot see it; linking the component does.
    // Its registry lies outside `root`, where `trama serve` looks for instance folders.
    let registry_root = tempfile::tempdir().expect("tempdir");
    let liar = registry_root.path().join("rogue");
    std::fs::create_dir_all(&liar).expect("mkdir");
    let rogue = repo_root().join("plugins/rogue");
    let meta = std::fs::read_to_string(rogue.join("plugin.toml"))
        .expect("rogue plugin.toml")
        .replace(
            r#"capabilities = ["store", "log", "events"]"#,
            r#"capabilities = ["log", "events"]"#,
        );
    assert!(
        meta.contains(r#"capabilities = ["log", "events"]"#),
        "{meta}"
    );
    std::fs::write(liar.join("plugin.toml"), meta).expect("write");
    std::fs::copy(rogue.join("plugin.wasm"), liar.join("plugin.wasm")).expect("copy");
    crate::support::write_named_instance(
        root.path(),
        "bugiardo",
        "",
        "[plugins.rogue]\nversion = \"^1.0\"\ncapabilities = [\"events\"]\n",
    );
    let bugiardo = root.path().join("bugiardo");
    let manifest = std::fs::read_to_string(bugiardo.join("instance.toml")).expect("read");
    let registry = repo_root().join("plugins").display().to_string();
    std::fs::write(
        bugiardo.join("instance.toml"),
        manifest.replace(&registry, &registry_root.path().display().to_string()),
    )
    .expect("write");
    crate::support::write_named_instance(root.path(), "sano", "", &format!("{ROGUE}{HELLO}"));
    let avaro = root.path().join("avaro");

    // `trama check` names the plugin, the capability and where to grant it.
    let output = trama().arg("check").arg(&avaro).output().expect("check");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("plugin `rogue` needs capability `store`")
            && said.contains("plugins.rogue.capabilities"),
        "{said}"
    );
    let said = serve_refusal(&[&avaro]);
    assert!(
        said.contains("plugin `rogue` needs capability `store`"),
        "{said}"
    );

    // The lie passes the manifest's own checks, but the component imports what its plugin.toml
    // does not declare: `trama check` links it as `serve` does, and both name that file.
    let liar_toml = liar.join("plugin.toml").display().to_string();
    let output = trama().arg("check").arg(&bugiardo).output().expect("check");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("plugin `rogue`: its component imports `trama:plugin/store")
            && said.contains(&format!(
                "but {liar_toml} does not declare the `store` capability"
            )),
        "{said}"
    );
    let said = serve_refusal(&[&bugiardo]);
    assert!(
        said.contains("plugin `rogue`: its component imports `trama:plugin/store")
            && said.contains(&format!(
                "but {liar_toml} does not declare the `store` capability"
            )),
        "{said}"
    );

    // Served together, the two refused instances stay offline and the third serves.
    let server = Server::start(&[root.path()]);
    let sano = Visitor::new(&server, "sano.localhost");
    assert_eq!(sano.get("/p/rogue/ok").await.0, 200);
    assert_eq!(sano.get("/p/hello/api/time").await.0, 200);
    for refused in ["avaro", "bugiardo"] {
        let visitor = Visitor::new(&server, &format!("{refused}.localhost"));
        assert_eq!(
            visitor.get("/p/rogue/ok").await.0,
            404,
            "{refused} is not served"
        );
    }
}
