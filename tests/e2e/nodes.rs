//! Scale-out: two `trama serve` processes (nodes `node-a` and `node-b`) serve the same instance
//! folder, whose manifest points at one PostgreSQL database, as they would behind a load
//! balancer. A session opened on one node is valid on the other, an event is delivered once
//! whichever node received the request, a job runs once per due time whichever node polls first,
//! the ledger is never overspent, and a node killed in the middle of its work leaves nothing
//! behind that the other node does not finish.
//!
//! The instance uses a copy of the `hello` plugin whose job `tidy` runs every two seconds
//! instead of every hour, so that several due times pass during a test.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PASSWORD, PgDatabase, Server, TestInstance, add_user, build_named_plugins,
    cache_dir, eventually, repo_root, trama,
};

/// The period of the `tidy` job in the copy of `hello`.
const PERIOD_MS: i64 = 2_000;

/// One instance folder on one fresh PostgreSQL database, served by as many nodes as a test
/// starts.
struct Cluster {
    id: String,
    instance: tempfile::TempDir,
    _registry: tempfile::TempDir,
    pg: DatabaseConnection,
    _db: PgDatabase,
}

impl Cluster {
    /// Writes the instance (with `limits` as its `[limits]` body) and creates its tables with
    /// `trama migrate`, as a deployment does once before starting the nodes.
    async fn new(id: &str, limits: &str) -> Self {
        build_named_plugins(&["hello"]);
        let registry = tempfile::tempdir().expect("tempdir");
        copy_hello_with_a_short_job(registry.path());
        let db = PgDatabase::create().await;
        let instance = tempfile::tempdir().expect("tempdir");
        let manifest = format!(
            r#"[instance]
id = "{id}"
name = "Test {id}"
hosts = ["127.0.0.1", "localhost"]
locale = "it"

[registry]
plugins = ["{plugins}"]
themes = "{themes}"

[database]
url = "{url}"

{limits}
{HELLO}"#,
            plugins = registry.path().display(),
            themes = repo_root().join("themes").display(),
            url = db.url,
            limits = crate::support::story_rates(&format!("[limits]\n{limits}\n")),
        );
        std::fs::write(instance.path().join("instance.toml"), manifest).expect("write manifest");
        let migrate = trama()
            .arg("migrate")
            .arg(instance.path())
            .output()
            .expect("trama migrate");
        assert!(
            migrate.status.success(),
            "{}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        let pg = sea_orm::Database::connect(&db.url)
            .await
            .expect("connect to the test database");
        Self {
            id: id.to_owned(),
            instance,
            _registry: registry,
            pg,
            _db: db,
        }
    }

    fn path(&self) -> &Path {
        self.instance.path()
    }

    /// Starts `trama serve --node-id NAME` on the instance folder.
    fn node(&self, name: &str) -> Server {
        Server::start_with_args(&[self.path()], &cache_dir(), &["--node-id", name])
    }

    async fn rows(&self, sql: &str) -> Vec<sea_orm::QueryResult> {
        self.pg
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.id.clone().into()],
            ))
            .await
            .expect("query")
    }

    /// Every row of `job_run_log` for `hello`'s job.
    async fn job_runs(&self) -> Vec<JobRun> {
        self.rows(
            "SELECT slot, node, attempt, started_at, finished_at, error FROM job_run_log \
             WHERE instance = $1 AND plugin = 'hello' AND job = 'tidy' ORDER BY slot",
        )
        .await
        .iter()
        .map(|row| JobRun {
            slot: row.try_get("", "slot").expect("slot"),
            node: row.try_get("", "node").expect("node"),
            attempt: row.try_get("", "attempt").expect("attempt"),
            started_at: row.try_get("", "started_at").expect("started_at"),
            finished_at: row.try_get("", "finished_at").expect("finished_at"),
            error: row.try_get("", "error").expect("error"),
        })
        .collect()
    }

    /// Every delivery of the instance, oldest event first.
    async fn deliveries(&self) -> Vec<Delivery> {
        self.rows(
            "SELECT d.event_id, d.status, d.attempts, d.node, d.delivered_at \
             FROM event_deliveries d JOIN events e ON e.instance = d.instance AND e.id = d.event_id \
             WHERE d.instance = $1 ORDER BY e.published_at, e.id",
        )
        .await
        .iter()
        .map(|row| Delivery {
            event_id: row.try_get("", "event_id").expect("event_id"),
            status: row.try_get("", "status").expect("status"),
            attempts: row.try_get("", "attempts").expect("attempts"),
            node: row.try_get("", "node").expect("node"),
            delivered_at: row.try_get("", "delivered_at").expect("delivered_at"),
        })
        .collect()
    }

    /// The value of one of `hello`'s counters, read from the database.
    async fn counter(&self, name: &str) -> u64 {
        let rows = self
            .pg
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT data FROM documents WHERE instance = $1 AND plugin = 'hello' \
                 AND collection = 'counters' AND doc_id = $2",
                [self.id.clone().into(), name.into()],
            ))
            .await
            .expect("query");
        rows.first().map_or(0, |row| {
            let data: String = row.try_get("", "data").expect("data");
            let data: Json = serde_json::from_str(&data).expect("JSON");
            data["value"].as_u64().expect("a counter value")
        })
    }

    /// The database server's clock, in Unix milliseconds (the clock the nodes schedule by).
    async fn now_ms(&self) -> i64 {
        let row = self
            .pg
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT) AS now",
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get("", "now").expect("now")
    }
}

#[derive(Debug)]
struct JobRun {
    slot: i64,
    node: String,
    attempt: i64,
    started_at: i64,
    finished_at: Option<i64>,
    error: Option<String>,
}

#[derive(Debug)]
struct Delivery {
    event_id: String,
    status: String,
    attempts: i64,
    node: Option<String>,
    delivered_at: Option<i64>,
}

/// Copies the built `hello` plugin (its templates and event schemas too) into `registry/hello`, its job due every two seconds. Without
/// its sources the copy is served as it is (the servers run with `--no-build`).
fn copy_hello_with_a_short_job(registry: &Path) {
    let source = repo_root().join("plugins/hello");
    let target = registry.join("hello");
    std::fs::create_dir_all(target.join("templates")).expect("mkdir");
    let meta = std::fs::read_to_string(source.join("plugin.toml")).expect("read plugin.toml");
    assert!(meta.contains("every = \"1h\""), "hello's job runs hourly");
    std::fs::write(
        target.join("plugin.toml"),
        meta.replace(
            "every = \"1h\"",
            &format!("every = \"{}s\"", PERIOD_MS / 1000),
        ),
    )
    .expect("write plugin.toml");
    std::fs::copy(source.join("plugin.wasm"), target.join("plugin.wasm")).expect("copy wasm");
    std::fs::create_dir_all(target.join("events")).expect("mkdir");
    for dir in ["templates", "events"] {
        for entry in std::fs::read_dir(source.join(dir)).expect(dir) {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), target.join(dir).join(entry.file_name()))
                .expect("copy a file of the plugin");
        }
    }
}

/// The session token the server set on `response`.
fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("trama_session="))
        .and_then(|value| value.split(';').next())
        .filter(|token| !token.is_empty())
        .expect("a session cookie")
        .to_owned()
}

/// `/session` on `node` presenting only the session cookie `token`.
async fn session_with(node: &Server, token: &str) -> Json {
    reqwest::Client::new()
        .get(node.url("/session"))
        .header("cookie", format!("trama_session={token}"))
        .send()
        .await
        .expect("GET /session")
        .json()
        .await
        .expect("session JSON")
}

async fn greet(client: &Client, node: &Server, name: &str) {
    let (status, body) = client
        .send_json(
            node,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &json!({"name": name, "message": "ciao"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn events_seen(client: &Client, node: &Server) -> u64 {
    let (_, count) = client.get_json(node, "/p/hello/api/count").await;
    count["events_seen"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_opened_on_one_node_is_valid_on_the_other_until_logged_out_there() {
    let cluster = Cluster::new("nodes-sessions", "").await;
    add_user(cluster.path(), "anna", "citizen");
    let a = cluster.node("node-a");
    let b = cluster.node("node-b");

    let browser = Client::new();
    let response = browser
        .post_form(
            &a,
            "/login",
            &[("username", "anna"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "login on node A");
    let token = session_cookie(&response);
    for node in [&a, &b] {
        let session = session_with(node, &token).await;
        assert_eq!(session["user"]["username"], "anna", "{session}");
    }

    // Logging out on B, with the same cookie and B's CSRF token for it.
    let csrf = session_with(&b, &token).await["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_owned();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(b.url("/logout"))
        .header("cookie", format!("trama_session={token}"))
        .header("accept", "text/html")
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(response.status().as_u16(), 303, "logout on node B");
    for node in [&a, &b] {
        let session = session_with(node, &token).await;
        assert!(
            session["user"].is_null(),
            "the session ended on both nodes: {session}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_published_on_either_node_are_delivered_once_and_seen_from_both() {
    let cluster = Cluster::new("nodes-events", "").await;
    let a = cluster.node("node-a");
    let b = cluster.node("node-b");
    let client = Client::new();
    for i in 0..6 {
        let node = if i % 2 == 0 { &a } else { &b };
        greet(&client, node, &format!("Persona {i}")).await;
    }
    let seen = eventually(Duration::from_secs(60), || async {
        events_seen(&client, &a).await == 6 && events_seen(&client, &b).await == 6
    })
    .await;
    assert!(
        seen,
        "all six events reach the subscriber: {:?}",
        cluster.deliveries().await
    );
    for node in [&a, &b] {
        let (_, count) = client.get_json(node, "/p/hello/api/count").await;
        assert_eq!(count["greetings"], 6, "{count}");
    }
    let deliveries = cluster.deliveries().await;
    assert_eq!(
        deliveries.len(),
        6,
        "one delivery per event: {deliveries:?}"
    );
    for delivery in &deliveries {
        assert_eq!(delivery.status, "done", "{delivery:?}");
        assert_eq!(
            delivery.attempts, 1,
            "claimed and delivered by one node, once: {delivery:?}"
        );
        assert!(
            matches!(delivery.node.as_deref(), Some("node-a" | "node-b")),
            "the delivery names the node that delivered it: {delivery:?}"
        );
        assert!(delivery.delivered_at.is_some(), "{delivery:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_runs_once_per_due_time_whichever_node_polls_first() {
    let cluster = Cluster::new("nodes-jobs", "").await;
    let a = cluster.node("node-a");
    let b = cluster.node("node-b");
    let both_up = cluster.now_ms().await;
    // Several periods with both nodes polling, each on its own timing.
    let ran = eventually(Duration::from_secs(90), || async {
        cluster
            .job_runs()
            .await
            .iter()
            .filter(|run| run.slot > both_up && run.finished_at.is_some())
            .count()
            >= 6
    })
    .await;
    assert!(ran, "six due times passed: {:?}", cluster.job_runs().await);
    a.kill();
    b.kill();

    let runs = cluster.job_runs().await;
    let slots: BTreeSet<i64> = runs.iter().map(|run| run.slot).collect();
    assert_eq!(slots.len(), runs.len(), "no due time ran twice: {runs:?}");
    for run in &runs {
        assert_eq!(run.slot % PERIOD_MS, 0, "slots are due times: {run:?}");
        assert!(run.started_at >= run.slot, "not run before due: {run:?}");
        assert_eq!(run.attempt, 1, "no run was taken over: {run:?}");
        assert_eq!(run.error, None, "{run:?}");
    }
    // While both nodes ran, the due times ran one after another. A due time passes unrun only
    // if neither node polled during its whole period (both starved of CPU for 2 s, which a
    // loaded 2-core CI machine can do once); more than one such gap is a scheduling fault.
    let while_both: Vec<i64> = slots
        .iter()
        .copied()
        .filter(|slot| *slot > both_up)
        .collect();
    let skipped: i64 = while_both
        .windows(2)
        .map(|pair| (pair[1] - pair[0]) / PERIOD_MS - 1)
        .sum();
    assert!(skipped <= 1, "{skipped} due times were skipped: {runs:?}");
    // Every run of the job is in the log: the job's own counter agrees with it (a node killed
    // in the middle of a run may have counted it without recording its end).
    let finished = runs.iter().filter(|run| run.finished_at.is_some()).count() as u64;
    let counted = cluster.counter("jobs_run").await;
    assert!(
        finished <= counted && counted <= runs.len() as u64,
        "jobs_run = {counted}, log: {runs:?}"
    );
    let by_node: BTreeSet<&str> = runs.iter().map(|run| run.node.as_str()).collect();
    assert!(
        by_node
            .iter()
            .all(|node| ["node-a", "node-b"].contains(node)),
        "{runs:?}"
    );
    eprintln!("due times run by: {by_node:?}");
}

/// The requests of two hundred cashiers split between two nodes against one 50 € voucher: the
/// database alone keeps it from being overspent (`vouchers::race_for_one_voucher` checks the
/// acknowledged spends, the final balance and the merchant's credit to the cent).
#[tokio::test(flavor = "multi_thread")]
async fn spends_split_across_two_nodes_never_overspend_a_voucher() {
    let db = PgDatabase::create().await;
    let body = format!(
        "[database]\nurl = \"{}\"\n{}",
        db.url,
        crate::vouchers::VOUCHERS
    );
    crate::vouchers::race_for_one_voucher(TestInstance::new("vouchers-two-nodes", &body), true)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_mid_delivery_leaves_its_delivery_and_the_jobs_to_the_other() {
    // Claims last the deadline plus as much again: 6 s here.
    let cluster = Cluster::new(
        "nodes-kill",
        "event_deadline_ms = 3000\njob_deadline_ms = 3000",
    )
    .await;
    let mut nodes = vec![
        ("node-a", cluster.node("node-a")),
        ("node-b", cluster.node("node-b")),
    ];
    let client = Client::new();
    greet(&client, &nodes[0].1, "Prima").await;
    let counted = eventually(Duration::from_secs(60), || async {
        cluster.counter("events_seen").await == 1
    })
    .await;
    assert!(counted, "the first event is delivered");

    // Fault injection: the database holds the subscriber's counter, so the next delivery hangs
    // inside the subscriber's write while its node holds the claim.
    let hold = cluster.pg.begin().await.expect("begin");
    hold.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT data FROM documents WHERE instance = $1 AND plugin = 'hello' \
         AND collection = 'counters' AND doc_id = 'events_seen' FOR UPDATE",
        [cluster.id.clone().into()],
    ))
    .await
    .expect("lock the counter");
    greet(&client, &nodes[0].1, "Seconda").await;
    let found = eventually(Duration::from_secs(60), || async {
        cluster
            .deliveries()
            .await
            .get(1)
            .is_some_and(|delivery| delivery.attempts == 1 && delivery.status == "pending")
    })
    .await;
    assert!(
        found,
        "the second delivery is claimed: {:?}",
        cluster.deliveries().await
    );
    let deliveries = cluster.deliveries().await;
    let claimed = &deliveries[1];
    let event_id = claimed.event_id.clone();
    let holder = claimed
        .node
        .clone()
        .expect("a claimed delivery names its node");

    // SIGKILL the node holding the claim; then the database lets writes through again.
    let index = nodes
        .iter()
        .position(|(name, _)| *name == holder)
        .expect("the holder is one of the nodes");
    let (_, dead) = nodes.remove(index);
    let (survivor_name, survivor) = nodes.pop().expect("the other node");
    dead.kill();
    let killed_at = cluster.now_ms().await;
    hold.rollback().await.expect("release the counter");

    // The survivor takes the delivery over once the dead node's claim expires.
    let taken_over = eventually(Duration::from_secs(60), || async {
        cluster.deliveries().await.iter().any(|delivery| {
            delivery.event_id == event_id
                && delivery.status == "done"
                && delivery.node.as_deref() == Some(survivor_name)
        })
    })
    .await;
    assert!(
        taken_over,
        "{survivor_name} delivered what {holder} left: {:?}",
        cluster.deliveries().await
    );
    let delivery = cluster
        .deliveries()
        .await
        .into_iter()
        .find(|delivery| delivery.event_id == event_id)
        .expect("the delivery");
    assert_eq!(
        delivery.attempts, 2,
        "one attempt by the dead node, one by the survivor: {delivery:?}"
    );
    assert_eq!(events_seen(&client, &survivor).await, 2);

    // The survivor runs every due time after the kill on its own, and new events too.
    let ran = eventually(Duration::from_secs(60), || async {
        cluster
            .job_runs()
            .await
            .iter()
            .filter(|run| run.slot > killed_at && run.finished_at.is_some())
            .count()
            >= 3
    })
    .await;
    assert!(ran, "jobs go on: {:?}", cluster.job_runs().await);
    let after: Vec<JobRun> = cluster
        .job_runs()
        .await
        .into_iter()
        .filter(|run| run.slot > killed_at)
        .collect();
    assert!(
        after.iter().all(|run| run.node == survivor_name),
        "only {survivor_name} is left to run the job: {after:?}"
    );
    greet(&client, &survivor, "Terza").await;
    let delivered = eventually(Duration::from_secs(60), || async {
        events_seen(&client, &survivor).await == 3
    })
    .await;
    assert!(delivered, "{:?}", cluster.deliveries().await);
}
