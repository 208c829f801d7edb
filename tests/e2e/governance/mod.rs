//! The coordination table over HTTP on a running server: proposals checked before the vote,
//! votes that reach quorum, approved changes applied live (no restart), a failed upgrade that
//! keeps the old version, a disabled plugin whose data comes back, the effective manifest, and
//! a tampered audit row detected.

use std::path::Path;

use sea_orm::ConnectionTrait;
use serde_json::Value as Json;

use crate::support::{
    Client, Server, add_user, build_named_plugins, listed_copy, login, repo_root, trama,
};

mod offers;

/// The plugin the table switches on in the test: a real service of the platform.
const ENABLED_LIVE: &str = "tutoring";

/// A table's instance folder at `dir`: its id the folder's name, `registry` as its plugin
/// folder, a simple majority with a quorum of half the members open for `window`, `hello`
/// enabled, and `plugins` (more `[plugins.NAME]` tables).
fn table_folder(dir: &Path, registry: &Path, window: &str, plugins: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let id = dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("table");
    let manifest = format!(
        r#"[instance]
id = "{id}"
name = "Tavolo di prova"
hosts = ["127.0.0.1", "localhost"]

[registry]
plugins = ["{registry}"]
themes = "{themes}"

[governance]
quorum_percent = 50
majority = "simple"
voting_window = "{window}"

[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]

{plugins}"#,
        registry = registry.display(),
        themes = repo_root().join("themes").display(),
    );
    std::fs::write(dir.join("instance.toml"), manifest).expect("write manifest");
    dir.to_path_buf()
}

/// An instance with listed copies of `hello` and `rogue` 1.0.0, `rogue` 1.1.0 (whose upgrade
/// hook refuses to run) and `tutoring`.
fn instance_folder(root: &Path) -> std::path::PathBuf {
    let registry = root.join("table-plugins");
    listed_copy("hello", &registry.join("hello"), None);
    listed_copy("rogue", &registry.join("rogue"), None);
    listed_copy("rogue", &registry.join("rogue-1.1"), Some("1.1.0"));
    listed_copy(ENABLED_LIVE, &registry.join(ENABLED_LIVE), None);

    table_folder(
        &root.join("table"),
        &registry,
        "1h",
        r#"[plugins.rogue]
version = "=1.0.0"
capabilities = ["store", "events"]
"#,
    )
}

/// Files a proposal with the form; returns its number, or the status and page of a refusal.
async fn propose(
    client: &Client,
    server: &Server,
    fields: &[(&str, &str)],
) -> Result<i64, (u16, String)> {
    let response = client
        .post_form(server, "/governance/proposals", fields)
        .await;
    let status = response.status().as_u16();
    if status == 303 {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let number = location
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a proposal page: {location}"));
        return Ok(number);
    }
    Err((status, response.text().await.unwrap_or_default()))
}

async fn vote(client: &Client, server: &Server, number: i64, choice: &str) -> u16 {
    client
        .post_form(
            server,
            &format!("/governance/proposals/{number}/vote"),
            &[("choice", choice)],
        )
        .await
        .status()
        .as_u16()
}

async fn proposal(client: &Client, server: &Server, number: i64) -> Json {
    let (status, body) = client
        .get_json(server, &format!("/governance/proposals/{number}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["proposal"].clone()
}

async fn status_of(client: &Client, server: &Server, path: &str) -> u16 {
    client
        .http
        .get(server.url(path))
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

/// Proposal `number` once it is no longer waiting to be applied: approving it only wakes the
/// governance worker, which applies it outside the request of the deciding vote.
async fn settled(client: &Client, server: &Server, number: i64) -> Json {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let current = proposal(client, server, number).await;
        let status = current["status"].as_str().unwrap_or_default();
        if !matches!(status, "approved" | "applying") {
            return current;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "proposal #{number} is still {status} after two minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn run(args: &[&str], dir: &Path) -> std::process::Output {
    trama().args(args).arg(dir).output().expect("trama")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_changes_the_instance_live_by_proposal_and_vote() {
    build_named_plugins(&["hello", "rogue", ENABLED_LIVE]);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = instance_folder(root.path());
    for (user, organisation) in [
        ("comune", "Comune di Prova"),
        ("coop", "Cooperativa Sociale Il Faro"),
        ("cisl", "Sindacato"),
    ] {
        add_user_in(&dir, user);
        crate::support::add_member_for(&dir, user, organisation);
    }
    add_user_in(&dir, "citizen");
    let server = Server::start(&[&dir]);
    let comune = login(&server, "comune").await;
    let coop = login(&server, "coop").await;
    let cisl = login(&server, "cisl").await;
    let citizen = login(&server, "citizen").await;

    let (status, _) = citizen.get_json(&server, "/governance").await;
    assert_eq!(status, 403, "only members reach the table");
    let (status, page) = comune.page(&server, "/governance").await;
    assert_eq!(status, 200);
    assert!(page.contains("Comune di Prova") && page.contains("<label for=\"kind\">"));

    // The union's member reads the site in English: the table's notices reach them in English,
    // the others in Italian.
    let (status, _) = cisl.page(&server, "/governance?lang=en").await;
    assert_eq!(status, 200);

    // Enabling a plugin: checked, shown as a diff, voted, and live at once.
    let path = format!("/p/{ENABLED_LIVE}/");
    assert_eq!(status_of(&citizen, &server, &path).await, 404);
    let number = propose(
        &comune,
        &server,
        &[
            ("kind", "enable"),
            ("plugin", ENABLED_LIVE),
            ("rationale", "doposcuola per le famiglie"),
        ],
    )
    .await
    .expect("a valid proposal is opened");
    let open = proposal(&comune, &server, number).await;
    assert_eq!(open["status"], "open");
    let subject = |inbox: &Json| {
        inbox["notifications"][0]["subject"]
            .as_str()
            .map(str::to_owned)
    };
    let (_, inbox) = coop.get_json(&server, "/notifications").await;
    let expected = format!("Nuova proposta #{number}: ");
    assert!(
        subject(&inbox).is_some_and(|s| s.starts_with(&expected)),
        "{inbox}"
    );
    let (_, inbox) = cisl.get_json(&server, "/notifications").await;
    let expected = format!("New proposal #{number}: ");
    assert!(
        subject(&inbox).is_some_and(|s| s.starts_with(&expected)),
        "{inbox}"
    );
    let diff = open["diff"].as_str().expect("diff");
    assert!(
        diff.contains(&format!("+[plugins.{ENABLED_LIVE}]")),
        "{diff}"
    );
    assert!(diff.contains("+enabled = true"), "{diff}");
    assert_eq!(vote(&comune, &server, number, "approve").await, 303);
    assert_eq!(
        vote(&comune, &server, number, "reject").await,
        409,
        "one vote per member"
    );
    assert_eq!(
        proposal(&comune, &server, number).await["status"],
        "open",
        "1 of 3 is below the quorum"
    );
    assert_eq!(status_of(&citizen, &server, &path).await, 404);
    assert_eq!(vote(&coop, &server, number, "approve").await, 303);
    let decided = proposal(&coop, &server, number).await;
    assert!(
        matches!(
            decided["status"].as_str(),
            Some("approved" | "applying" | "applied")
        ),
        "the deciding vote approves: {decided}"
    );
    let applied = settled(&coop, &server, number).await;
    assert_eq!(applied["status"], "applied", "{applied}");
    assert_eq!(applied["outcome"]["tally"]["approve"], 2);
    assert_eq!(
        status_of(&citizen, &server, &path).await,
        200,
        "the plugin answers once the proposal is applied, without a restart"
    );
    assert_eq!(
        vote(&cisl, &server, number, "approve").await,
        409,
        "a decided proposal is closed"
    );

    // A settings change that does not validate never reaches a vote.
    let refused = propose(
        &coop,
        &server,
        &[
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "max_message_length"),
            ("value", "0"),
        ],
    )
    .await;
    let (status, page) = refused.expect_err("an invalid setting is refused");
    assert_eq!(status, 422);
    assert!(page.contains("max_message_length"), "{page}");
    let (_, listing) = comune.get_json(&server, "/governance").await;
    assert_eq!(
        listing["open"].as_array().map(Vec::len).unwrap_or(99)
            + listing["history"].as_array().map(Vec::len).unwrap_or(99),
        1,
        "no proposal was stored: {listing}"
    );
    let refused = propose(
        &coop,
        &server,
        &[
            ("kind", "upgrade"),
            ("plugin", "rogue"),
            ("version", "9.0.0"),
        ],
    )
    .await;
    assert_eq!(refused.expect_err("an unknown version is refused").0, 422);

    // A valid setting change, applied live.
    let number = propose(
        &cisl,
        &server,
        &[
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "greeting"),
            ("value", "Buongiorno dal tavolo"),
        ],
    )
    .await
    .expect("valid setting");
    vote(&cisl, &server, number, "approve").await;
    vote(&coop, &server, number, "approve").await;
    settled(&coop, &server, number).await;
    let (_, settings) = citizen.get_json(&server, "/p/hello/api/settings").await;
    assert_eq!(settings["greeting"], "Buongiorno dal tavolo");

    // Two proposals on one setting, open together: once the first is applied, the second would
    // no longer make the change the table voted on, so it is re-checked and not applied.
    let limit = |value: &'static str| {
        [
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "max_message_length"),
            ("value", value),
        ]
    };
    let first = propose(&cisl, &server, &limit("300")).await.expect("first");
    let second = propose(&comune, &server, &limit("400"))
        .await
        .expect("second");
    for number in [first, second] {
        assert_eq!(vote(&cisl, &server, number, "approve").await, 303);
        assert_eq!(vote(&coop, &server, number, "approve").await, 303);
    }
    assert_eq!(settled(&coop, &server, first).await["status"], "applied");
    let stale = settled(&coop, &server, second).await;
    assert_eq!(stale["status"], "failed", "{stale}");
    let reason = stale["outcome"]["error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("since the vote") && reason.contains("max_message_length = 300"),
        "{stale}"
    );
    let (_, settings) = citizen.get_json(&server, "/p/hello/api/settings").await;
    assert_eq!(settings["max_message_length"], 300);

    // An upgrade whose hook fails keeps the old version.
    let number = propose(
        &comune,
        &server,
        &[
            ("kind", "upgrade"),
            ("plugin", "rogue"),
            ("version", "1.1.0"),
        ],
    )
    .await
    .expect("the upgrade resolves and links");
    vote(&comune, &server, number, "approve").await;
    vote(&cisl, &server, number, "approve").await;
    let failed = settled(&comune, &server, number).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["outcome"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("refuses to upgrade"),
        "{failed}"
    );
    assert_eq!(
        status_of(&citizen, &server, "/p/rogue/ok").await,
        200,
        "the old version still serves"
    );

    // Disabling keeps the data; enabling brings it back.
    let (status, _) = citizen
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &serde_json::json!({"name": "Lia", "message": "ciao"}),
        )
        .await;
    assert_eq!(status, 201);
    let number = propose(&coop, &server, &[("kind", "disable"), ("plugin", "hello")])
        .await
        .expect("disable");
    vote(&coop, &server, number, "approve").await;
    vote(&cisl, &server, number, "approve").await;
    settled(&coop, &server, number).await;
    assert_eq!(
        status_of(&citizen, &server, "/p/hello/api/count").await,
        404
    );
    let number = propose(&coop, &server, &[("kind", "enable"), ("plugin", "hello")])
        .await
        .expect("enable again");
    vote(&comune, &server, number, "approve").await;
    vote(&cisl, &server, number, "approve").await;
    settled(&comune, &server, number).await;
    let (status, count) = citizen.get_json(&server, "/p/hello/api/count").await;
    assert_eq!(
        (status, count["greetings"].as_u64()),
        (200, Some(1)),
        "{count}"
    );

    // A rejected proposal changes nothing.
    let number = propose(
        &comune,
        &server,
        &[("kind", "disable"), ("plugin", ENABLED_LIVE)],
    )
    .await
    .expect("disable");
    vote(&coop, &server, number, "reject").await;
    vote(&cisl, &server, number, "reject").await;
    assert_eq!(
        proposal(&comune, &server, number).await["status"],
        "rejected"
    );
    assert_eq!(status_of(&citizen, &server, &path).await, 200);

    let (_, page) = comune.page(&server, "/governance").await;
    assert!(
        page.contains("Approvata e in vigore")
            && page.contains("Respinta")
            && page.contains("Approvata ma non applicabile"),
        "{page}"
    );
    server.kill();

    // `trama check` checks what `serve` would open: the file with the approved changes, every
    // enabled plugin linked.
    let checked = run(&["check"], &dir);
    let text = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        text.contains("change(s) approved by the coordination table"),
        "{text}"
    );
    assert!(
        text.lines().any(
            |line| line.trim_start().starts_with(&format!("{ENABLED_LIVE} "))
                && line.contains("(enabled, linked)")
        ),
        "the plugin the table enabled is checked as enabled: {text}"
    );

    // The effective manifest says where each value comes from, and exports as TOML.
    let shown = run(&["manifest", "show"], &dir);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        text.contains(&format!("[plugins.{ENABLED_LIVE}]")),
        "{text}"
    );
    assert!(
        text.contains("greeting = \"Buongiorno dal tavolo\"  # proposal #"),
        "{text}"
    );
    assert!(
        text.contains("version = \"=1.0.0\"  # instance.toml:"),
        "{text}"
    );
    let exported = run(&["manifest", "show", "--export"], &dir);
    let toml: toml::Table = String::from_utf8_lossy(&exported.stdout)
        .parse()
        .expect("valid TOML");
    assert_eq!(
        toml["plugins"][ENABLED_LIVE]["enabled"].as_bool(),
        Some(true)
    );
    assert_eq!(toml["plugins"]["rogue"]["version"].as_str(), Some("=1.0.0"));

    // After a restart the approved changes are still in effect.
    let server = Server::start(&[&dir]);
    assert_eq!(status_of(&Client::new(), &server, &path).await, 200);
    let (_, settings) = Client::new()
        .get_json(&server, "/p/hello/api/settings")
        .await;
    assert_eq!(settings["greeting"], "Buongiorno dal tavolo");
    server.kill();

    // Every step is in the tamper-evident audit log.
    let verify = run(&["audit", "verify"], &dir);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}?mode=rw",
        dir.join("data/trama.db").display()
    ))
    .await
    .expect("open db");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT action FROM audit_log WHERE action LIKE 'governance.%'",
        ))
        .await
        .expect("audit rows");
    let actions: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get("", "action").ok())
        .collect();
    for action in [
        "governance.member_added",
        "governance.proposed",
        "governance.voted",
        "governance.decided",
        "governance.applied",
        "governance.apply_failed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    db.execute_unprepared("UPDATE audit_log SET detail = '{\"choice\":\"reject\"}' WHERE seq = (SELECT MIN(seq) FROM audit_log WHERE action = 'governance.voted')")
        .await
        .expect("tamper");
    db.close().await.ok();
    let verify = run(&["audit", "verify"], &dir);
    assert!(!verify.status.success(), "a changed vote is detected");
}

fn add_user_in(dir: &Path, username: &str) {
    add_user(dir, username, "citizen");
}
