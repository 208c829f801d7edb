//! A citizen in a real browser: `tests/browser/citizen.mjs` drives Debian's headless Chromium
//! (through playwright-core) against a real server. She signs up with the sign-up form, applies
//! to an open vouchers campaign with the campaign's form, with JavaScript turned off, and reads
//! the status of her application; axe-core checks the main pages on the way and fails on any
//! serious or critical accessibility violation. Once per theme: the default one, and the
//! territorial themes of Borgo Marino (on the example instance `instances/borgo-marino`) and of
//! Valle Serena. Screenshots and axe reports land in `target/browser-artifacts/<theme>/`.
//! The other stories (an operator's account, a member of the table, a service from publication
//! to rating, every role's pages) run their own scripts the same way.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{Client, Server, TestInstance, add_user, login, repo_root, today_plus};

const VOUCHERS: &str = r#"
[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
voucher_code_prefix = "BS"
"#;

/// The campaign the citizen applies to; `citizen.mjs` answers household 3, one minor, ISEE
/// 9.000,00 € and resident, so she is eligible for 350 € + 30 € = 380 €.
const CAMPAIGN: &str = "Buoni spesa inverno";
/// The name `citizen.mjs` signs up with.
const CITIZEN: &str = "Giulia Esposito";

/// One browser at a time: the machine is small, and Chromium per test would starve the servers.
static BROWSER: Mutex<()> = Mutex::new(());

/// How long one run of the script may take before it is stopped as hung. The roles' crawl
/// visits some 250 pages, each checked by axe and at two widths and photographed: about four
/// minutes on two cores shared with the rest of the suite, more when the machine is busier.
/// A hung browser is still stopped, only later.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(600);

/// A test instance with the vouchers plugin and `theme`.
fn themed_instance(id: &str, theme: &str) -> TestInstance {
    let instance = TestInstance::new(id, VOUCHERS);
    let manifest = instance.path().join("instance.toml");
    let text = std::fs::read_to_string(&manifest).expect("read manifest");
    let themed = text.replacen(
        "locale = \"it\"\n",
        &format!("locale = \"it\"\ntheme = \"{theme}\"\n"),
        1,
    );
    assert_ne!(
        text, themed,
        "the test manifest has no `locale` line to put the theme after"
    );
    std::fs::write(&manifest, themed).expect("write manifest");
    instance
}

/// An operator opens the campaign through the API, as in `vouchers.rs`; returns its id.
async fn open_campaign(server: &Server, operator: &Client) -> String {
    let (status, campaign) = operator
        .send_json(
            server,
            Method::POST,
            "/p/vouchers/api/campaigns",
            &json!({
                "title": CAMPAIGN,
                "measure": "food",
                "opens_on": today_plus(-1),
                "closes_on": today_plus(10),
                "budget": "5.000,00",
                "fields": ["household_size", "minors", "isee", "resident"],
                "isee_max": "15.000",
                "residence_required": true,
                "base_amounts": ["150", "250", "350", "400"],
                "per_minor": "30",
                "max_amount": 500,
                "denominations": "50; 20; 10",
                "ranking": ["isee_asc"],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    assert_eq!(campaign["phase"], "open", "{campaign}");
    campaign["id"].as_str().expect("campaign id").to_owned()
}

/// Fails with what to do when the browser test's tools are missing: never skips.
fn browser_tools(root: &Path) -> PathBuf {
    let browser_dir = root.join("tests").join("browser");
    let modules = browser_dir.join("node_modules");
    for package in ["playwright-core", "axe-core"] {
        assert!(
            modules.join(package).is_dir(),
            "the browser test needs the npm package {package}: run `npm ci --prefix tests/browser`"
        );
    }
    let chromium = std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        chromium.is_file(),
        "the browser test needs Chromium at {}: run `apt-get install -y chromium` (or set CHROMIUM_PATH)",
        chromium.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|out| out.status.success()),
        "the browser test needs Node.js 18 or later: run `apt-get install -y nodejs npm` ({node:?})"
    );
    browser_dir.join("citizen.mjs")
}

/// Runs `citizen.mjs` against `server`, one browser at a time, and asserts it passed; returns
/// its output.
fn run_citizen(script: &Path, server: &Server, theme: &str) -> String {
    let mut args: Vec<String> = ["--campaign", CAMPAIGN, "--expect-status", "Ammissibile"]
        .map(str::to_owned)
        .to_vec();
    // Every page she can reach is audited once, on the default theme (the territorial themes
    // change colours and the frame, which their own runs audit on the main pages).
    if theme == "default" {
        args.push("--crawl".to_owned());
    }
    let output = run_script(script, server, theme, &args);
    let artifacts = repo_root()
        .join("target")
        .join("browser-artifacts")
        .join(theme);
    for shot in ["01-home.png", "07-summary.png", "08-application.png"] {
        let bytes = std::fs::read(artifacts.join(shot))
            .unwrap_or_else(|err| panic!("screenshot {shot} missing ({err}):\n{output}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
    output
}

/// Runs the browser `script` against `server` with `args` after the base URL and the artifacts
/// folder (`target/browser-artifacts/<name>`), one browser at a time, and asserts it passed;
/// returns its output.
fn run_script(script: &Path, server: &Server, name: &str, args: &[String]) -> String {
    let theme = name;
    let root = repo_root();
    let artifacts = root.join("target").join("browser-artifacts").join(name);
    // Stale screenshots from an earlier run would mislead whoever looks at a failure.
    if artifacts.exists() {
        std::fs::remove_dir_all(&artifacts).expect("clear the artifacts folder");
    }
    let _one_browser = BROWSER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut child = Command::new("node")
        .arg(script)
        .arg(&server.base)
        .arg(&artifacts)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    // Read both pipes on their own threads so a chatty script cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = format!(
        "{}{}",
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default()
    );
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!(
            "the browser test failed on the {theme} theme ({status}); artifacts in {}:\n{output}",
            artifacts.display()
        ),
        None => panic!(
            "the browser test on the {theme} theme did not finish within {} s; artifacts in {}:\n{output}",
            SCRIPT_DEADLINE.as_secs(),
            artifacts.display()
        ),
    }
    println!("{output}");
    output
}

/// The whole journey on one instance: the operator opens a campaign, the citizen goes through
/// the browser, and the operator then sees her application with the right status and amount.
async fn citizen_applies_in_a_browser(instance: TestInstance, theme: &str) {
    let script = browser_tools(&repo_root());
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let campaign = open_campaign(&server, &operator).await;

    let output = run_citizen(&script, &server, theme);
    assert!(output.contains("all passed"), "{output}");
    if theme == "default" {
        assert!(
            output.contains("crawl citizen: "),
            "the pages she can reach were crawled: {output}"
        );
    }

    // What the browser submitted is what the municipality received.
    let (status, applications) = operator
        .get_json(
            &server,
            &format!("/p/vouchers/api/campaigns/{campaign}/applications"),
        )
        .await;
    assert_eq!(status, 200, "{applications}");
    let applications = applications.as_array().expect("a list of applications");
    assert_eq!(applications.len(), 1, "{applications:?}");
    let application: &Json = &applications[0];
    assert_eq!(application["full_name"], CITIZEN, "{application}");
    assert_eq!(application["status"], "eligible", "{application}");
    assert_eq!(application["amount_cents"], 38_000, "{application}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_signs_up_and_applies_in_a_real_browser_with_the_default_theme() {
    let instance = TestInstance::new("browser-default", VOUCHERS);
    citizen_applies_in_a_browser(instance, "default").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_borgo_marino_example_instance_works_and_is_accessible_in_a_real_browser() {
    citizen_applies_in_a_browser(TestInstance::example("borgo-marino"), "borgo-marino").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_valle_serena_theme_works_and_is_accessible_in_a_real_browser() {
    let instance = themed_instance("browser-valle-serena", "valle-serena");
    citizen_applies_in_a_browser(instance, "valle-serena").await;
}

/// An operator's account from invitation to revocation, both sides in the browser
/// (`tests/browser/operator.mjs`): invited by the administrator, the operator chooses a
/// password from the mailed link, works, loses the role and is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_invited_operator_works_until_the_role_is_revoked_in_a_real_browser() {
    let root = repo_root();
    let script = browser_tools(&root).with_file_name("operator.mjs");
    let instance = TestInstance::new("browser-operator", VOUCHERS);
    crate::support::add_person(
        &instance,
        "amministrazione@example.org",
        "Amministrazione",
        "admin",
    );
    let server = Server::start(&[instance.path()]);
    let args: Vec<String> = vec![
        "--trama".into(),
        env!("CARGO_BIN_EXE_trama").into(),
        "--instance".into(),
        instance.path().display().to_string(),
        "--admin".into(),
        "amministrazione@example.org".into(),
        "--password".into(),
        crate::support::PASSWORD.into(),
    ];
    let output = run_script(&script, &server, "operator", &args);
    assert!(output.contains("all passed"), "{output}");

    // What the browser did is what the instance recorded, with its actor.
    let admin = login(&server, "amministrazione@example.org").await;
    let (_, log) = admin.get_json(&server, "/admin/audit?action=role.").await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .map(|list| list.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"role.revoked"), "{log}");
}

/// A member of the coordination table changes a service's setting in the browser
/// (`tests/browser/member.mjs`), without JavaScript: services by title, no test plugin, the
/// setting chosen by its description, a refused value at its field, the proposal in words.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_of_the_table_proposes_a_setting_in_a_real_browser() {
    let root = repo_root();
    let script = browser_tools(&root).with_file_name("member.mjs");
    crate::support::build_named_plugins(&["tutoring"]);
    let instance = TestInstance::new(
        "browser-member",
        r#"[governance]
quorum_percent = 50
majority = "simple"
voting_window = "7d"

[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]
"#,
    );
    add_user(&instance, "comune", "citizen");
    crate::support::add_member(instance.path(), "comune");
    let server = Server::start(&[instance.path()]);
    let args: Vec<String> = vec![
        "--member".into(),
        "comune".into(),
        "--password".into(),
        crate::support::PASSWORD.into(),
    ];
    let output = run_script(&script, &server, "member", &args);
    assert!(output.contains("all passed"), "{output}");

    // What the browser filed is what the table stores: a whole number, not text.
    let member = login(&server, "comune").await;
    let (_, table) = member.get_json(&server, "/governance").await;
    let filed = &table["open"][0]["changes"][0];
    assert_eq!(filed["value"], 5, "{table}");
}

/// A service from publication to rating, the provider and the citizen each in a real browser
/// (`tests/browser/services.mjs`): the provider the admissions committee accredited publishes a
/// service and a photo of it from its desk (a PDF refused beside the field), the citizen finds
/// it by a word, opens it and books a time, the provider confirms it and marks it done once it
/// has started, and the citizen rates it; every page on the way audited.
#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_searches_books_and_rates_a_service_the_provider_gave_in_a_real_browser() {
    let root = repo_root();
    let script = browser_tools(&root).with_file_name("services.mjs");
    let instance = TestInstance::new("browser-services", crate::services::PLUGINS);
    add_user(&instance, "membro", "committee");
    add_user(&instance, "tata", "citizen");
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let member = login(&server, "membro").await;
    let owner = login(&server, "tata").await;
    crate::services::accredited(&server, &member, &owner).await;
    let args: Vec<String> = ["--provider", "tata", "--citizen", "anna", "--password"]
        .into_iter()
        .chain([crate::support::PASSWORD])
        .map(str::to_owned)
        .collect();
    let output = run_script(&script, &server, "services", &args);
    assert!(output.contains("all passed"), "{output}");

    // What the browsers did is what the catalogue holds: the photo, the rating, the amount.
    let (_, found) = owner
        .get_json(&server, "/p/services/api/services?q=serale")
        .await;
    let service = &found["services"][0];
    assert_eq!(service["rating"], 4.0, "{found}");
    assert_eq!(
        service["photos"][0]["alt"], "La sala giochi con i tappeti colorati",
        "{found}"
    );
    let anna = login(&server, "anna").await;
    let (_, mine) = anna.get_json(&server, "/p/services/api/bookings").await;
    assert_eq!(mine["bookings"][0]["status"], "done", "{mine}");
    // 12,00 € an hour for half an hour.
    assert_eq!(mine["bookings"][0]["paid_directly_cents"], 600, "{mine}");
}

/// Every role of a territory running the four services (the example instance Monteserra), each
/// in a real browser without JavaScript (`tests/browser/crawl.mjs`): every page each can reach
/// from the home page is audited (axe-core, no sideways scrolling at 320 and 390 px, labels
/// beside their controls) and photographed for people to look at.
#[tokio::test(flavor = "multi_thread")]
async fn every_role_reaches_only_accessible_pages_that_fit_a_phone_in_a_real_browser() {
    let root = repo_root();
    let script = browser_tools(&root).with_file_name("crawl.mjs");
    crate::support::build_named_plugins(&[
        "vouchers",
        "tutoring",
        "admissions",
        "corporate-plans",
        "casework",
        "surveys",
        "services",
    ]);
    let instance = TestInstance::example("monteserra");
    let people = [
        ("citizen", "cittadina", "citizen"),
        ("operator", "operatore", "operator"),
        ("merchant", "negozio", "merchant"),
        ("tutor", "tutor", "tutor"),
        ("committee", "commissione", "committee"),
        ("hr", "personale", "company_hr"),
        ("table", "tavolo", "governance"),
        ("care", "assistente", "care_manager"),
    ];
    for (_, username, role) in people {
        add_user(&instance, username, role);
    }
    crate::support::add_member(instance.path(), "tavolo");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;
    crate::support::accept_privacy(&operator, &server).await;
    open_campaign(&server, &operator).await;
    // A case file with a confidential note, so the care manager's crawl reaches its pages.
    let care = login(&server, "assistente").await;
    crate::support::accept_privacy(&care, &server).await;
    let (status, case) = care
        .send_json(
            &server,
            Method::POST,
            "/p/casework/api/cases",
            &json!({
                "name": "Maria Rossi",
                "tax_code": "RSSMRA80A01H501U",
                "needs": ["Casa e abitare", "Salute"],
                "team": "Équipe Monteserra alta",
                "household": ["Anna Rossi, figlia"],
                "consent": "yes",
            }),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    let case_id = case["id"].as_str().expect("a case id");
    let (status, note) = care
        .send_json(
            &server,
            Method::POST,
            &format!("/p/casework/api/cases/{case_id}/notes"),
            &json!({ "text": "Colloquio con la figlia", "sensitive": "yes" }),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    let list = people
        .iter()
        .map(|(who, username, _)| format!("{who}={username}"))
        .collect::<Vec<_>>()
        .join(",");
    let args: Vec<String> = vec![
        "--password".into(),
        crate::support::PASSWORD.into(),
        "--people".into(),
        list,
    ];
    let output = run_script(&script, &server, "roles", &args);
    assert!(output.contains("all passed"), "{output}");
    for (who, _, _) in people {
        assert!(
            output.contains(&format!("crawl {who}: ")),
            "{who}'s pages were crawled: {output}"
        );
    }
}
