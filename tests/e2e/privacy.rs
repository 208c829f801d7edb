//! Privacy (GDPR): the notice accepted at sign-up and again when it changes, "download my data"
//! gathered from the kernel and every plugin, and an erasure asked by the person and carried
//! out by the administrator while the audit chain stays intact.

use std::io::Read;
use std::path::Path;

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_person, login, privacy_version,
};

/// Copies `from` into `to`, folders included.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// An instance whose theme `territorio` has its own notice at `version`, in a themes folder of
/// its own (the default theme copied beside it).
fn territory_with_notice(version: &str) -> (TestInstance, tempfile::TempDir) {
    let themes = tempfile::tempdir().expect("tempdir");
    let root = crate::support::repo_root();
    copy_tree(&root.join("themes/default"), &themes.path().join("default"));
    write_notice(themes.path(), version);
    let instance = TestInstance::new("riservatezza", HELLO);
    let manifest_path = instance.path().join("instance.toml");
    let manifest = std::fs::read_to_string(&manifest_path).expect("manifest");
    let manifest = manifest
        .replace(
            &format!("themes = \"{}\"", root.join("themes").display()),
            &format!("themes = \"{}\"", themes.path().display()),
        )
        .replace("locale = \"it\"", "locale = \"it\"\ntheme = \"territorio\"");
    std::fs::write(&manifest_path, manifest).expect("write manifest");
    (instance, themes)
}

fn write_notice(themes: &Path, version: &str) {
    let folder = themes.join("territorio/privacy");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join("notice.toml"),
        format!("version = \"{version}\"\nupdated = 2026-12-01\n"),
    )
    .expect("notice.toml");
    std::fs::write(
        folder.join("it.md"),
        "# Informativa di {{ instance.name }}\n\nIl titolare è il Comune. <script>alert(1)</script>\n",
    )
    .expect("it.md");
}

async fn get_html(client: &Client, server: &Server, path: &str) -> reqwest::Response {
    client
        .http
        .get(server.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_notice_is_accepted_at_sign_up_and_asked_again_when_its_version_changes() {
    let (instance, themes) = territory_with_notice("1");
    let server = Server::start(&[instance.path()]);

    let visitor = Client::new();
    let (status, notice) = visitor.page(&server, "/privacy").await;
    assert_eq!(status, 200);
    assert!(
        notice.contains("Informativa di Test riservatezza"),
        "{notice}"
    );
    assert!(
        notice.contains("&lt;script&gt;"),
        "markup in the notice is shown as text"
    );
    assert!(!notice.contains("<script>alert"), "{notice}");
    assert!(notice.contains("Versione 1"), "{notice}");

    let mut fields = vec![
        ("display_name", "Anna Rossi"),
        ("username", "anna@example.org"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    let response = visitor.post_form(&server, "/signup", &fields).await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "no sign-up without the notice accepted"
    );
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("informativa sulla privacy"), "{page}");
    fields.push(("privacy_version", "0"));
    let response = visitor.post_form(&server, "/signup", &fields).await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "an old version is not this notice"
    );
    fields.pop();
    fields.push(("privacy_version", "1"));
    let response = visitor.post_form(&server, "/signup", &fields).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the refused attempts created nothing"
    );
    let response = get_html(&visitor, &server, "/p/hello/").await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "accepted at sign-up: no question"
    );
    drop(server);

    // The territory publishes a new notice: Anna is asked again, on her next page.
    write_notice(themes.path(), "2");
    let server = Server::start(&[instance.path()]);
    let response = get_html(&visitor, &server, "/p/hello/?x=1").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::support::location(&response),
        "/privacy?next=%2Fp%2Fhello%2F%3Fx%3D1"
    );
    let (status, whoami) = visitor.get_json(&server, "/p/hello/api/whoami").await;
    assert_eq!(status, 200, "an API client is not sent to a page: {whoami}");
    let (_, page) = visitor.page(&server, "/privacy?next=/p/hello/").await;
    assert!(page.contains("è cambiata"), "{page}");
    assert!(
        page.contains("Ho letto l&#x27;informativa, continua")
            || page.contains("Ho letto l'informativa, continua"),
        "{page}"
    );
    let (status, account) = visitor.page(&server, "/account").await;
    assert_eq!(status, 200, "her account page stays open: {account}");

    let stale = [("version", "1"), ("next", "/p/hello/")];
    let response = visitor.post_form(&server, "/privacy", &stale).await;
    assert_eq!(
        response.status().as_u16(),
        409,
        "the version read is not the one in force"
    );
    let evil = [("version", "2"), ("next", "https://evil.example/")];
    let response = visitor.post_form(&server, "/privacy", &evil).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::support::location(&response),
        "/",
        "never to another site"
    );
    let response = get_html(&visitor, &server, "/p/hello/").await;
    assert_eq!(response.status().as_u16(), 200);

    // Both agreements are kept, with their versions, in what Anna can download.
    let files = download(&visitor, &server).await;
    let account: Json = serde_json::from_str(&files["account.json"]).expect("account.json");
    let versions: Vec<&str> = account["privacy_agreements"]
        .as_array()
        .map(|list| list.iter().filter_map(|a| a["version"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(versions, ["1", "2"], "{account}");
}

/// Anna's download, as file name → text.
async fn download(client: &Client, server: &Server) -> std::collections::BTreeMap<String, String> {
    let response = client.post_form(server, "/account/data", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| crate::support::header(&response, name);
    assert_eq!(header("content-type"), "application/zip");
    assert!(header("content-disposition").starts_with("attachment; filename=\"dati-"));
    let bytes = response.bytes().await.expect("body");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut files = std::collections::BTreeMap::new();
    for n in 0..zip.len() {
        let mut file = zip.by_index(n).expect("entry");
        let mut text = String::new();
        file.read_to_string(&mut text).expect("utf-8");
        let name = file.name().expect("a file name").into_owned();
        files.insert(name, text);
    }
    files
}

/// An instance where Anna and Bruno (citizens) have each left a greeting, beside an
/// administrator; Anna and Bruno logged in.
async fn anna_and_bruno_greet(id: &str) -> (TestInstance, Server, Client, Client) {
    let instance = TestInstance::new(id, HELLO);
    add_person(&instance, "anna@example.org", "Anna Rossi", "citizen");
    add_person(&instance, "bruno@example.org", "Bruno Bianchi", "citizen");
    add_person(&instance, "admin@example.org", "Amministrazione", "admin");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna@example.org").await;
    let bruno = login(&server, "bruno@example.org").await;
    for (who, name) in [(&anna, "Anna"), (&bruno, "Bruno")] {
        let greeting = json!({ "name": name, "message": format!("saluti da {name}") });
        let (status, body) = who
            .send_json(&server, Method::POST, "/p/hello/api/greetings", &greeting)
            .await;
        assert_eq!(status, 201, "{body}");
    }
    (instance, server, anna, bruno)
}

#[tokio::test(flavor = "multi_thread")]
async fn download_my_data_gathers_the_kernel_and_every_plugin_and_is_audited() {
    let (_instance, server, anna, _bruno) = anna_and_bruno_greet("miei-dati").await;

    let files = download(&anna, &server).await;
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        ["LEGGIMI.txt", "account.json", "services/hello.json"]
    );
    let account: Json = serde_json::from_str(&files["account.json"]).expect("account.json");
    assert_eq!(account["account"]["username"], "anna@example.org");
    assert_eq!(account["roles"], json!(["citizen"]));
    assert_eq!(
        account["privacy_agreements"][0]["version"],
        privacy_version()
    );
    let created = account["account"]["created_at"]
        .as_str()
        .unwrap_or_default();
    assert!(
        created.ends_with("+01:00") || created.ends_with("+02:00"),
        "times in Rome's zone: {created}"
    );
    assert!(
        files["account.json"].contains("privacy.accepted"),
        "the audit entries about her are hers too"
    );
    let hello: Json = serde_json::from_str(&files["services/hello.json"]).expect("hello.json");
    let names: Vec<&str> = hello["greetings"]
        .as_array()
        .map(|list| list.iter().filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Anna"], "only her own greetings: {hello}");
    assert!(
        !files
            .values()
            .any(|text| text.contains("bruno@example.org"))
    );

    let stranger = Client::new();
    let response = stranger.post_form(&server, "/account/data", &[]).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "a visitor is sent to log in"
    );
    assert!(crate::support::location(&response).starts_with("/login"));
    let response = crate::support::post_form_with(&anna, &server, "/account/data", None, &[]).await;
    assert_eq!(
        response.status().as_u16(),
        403,
        "a forged request gets nothing"
    );

    let admin = login(&server, "admin@example.org").await;
    let (status, log) = admin
        .get_json(&server, "/admin/audit?action=privacy.downloaded")
        .await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "one download, recorded: {log}");
    assert_eq!(entries[0]["actor"], "anna@example.org");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_asked_by_the_person_is_carried_out_by_the_administrator() {
    let (_instance, server, anna, bruno) = anna_and_bruno_greet("oblio").await;

    let response = anna.post_form(&server, "/account/erasure", &[]).await;
    assert_eq!(response.status().as_u16(), 422, "the box must be ticked");
    let response = anna
        .post_form(&server, "/account/erasure", &[("confirm", "yes")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(crate::support::location(&response), "/account");
    let (_, page) = anna.page(&server, "/account").await;
    assert!(page.contains("Hai chiesto la cancellazione"), "{page}");

    let admin = login(&server, "admin@example.org").await;
    let (_, overview) = admin.get_json(&server, "/admin").await;
    assert_eq!(overview["erasure_pending"], 1, "{overview}");
    let (_, pending) = admin
        .get_json(&server, "/admin/accounts?state=erasure")
        .await;
    let accounts = pending["accounts"].as_array().cloned().unwrap_or_default();
    assert_eq!(accounts.len(), 1, "{pending}");
    let anna_id = accounts[0]["id"].as_str().unwrap_or_default().to_owned();
    let erase = format!("/admin/accounts/{anna_id}/erase");

    let response = admin
        .post_form(
            &server,
            &erase,
            &[("confirm_username", "bruno@example.org")],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "the wrong username erases nothing"
    );
    let (status, _) = anna.get_json(&server, "/p/hello/api/whoami").await;
    assert_eq!(status, 200, "Anna is still logged in");

    let (_, me) = admin.get_json(&server, "/admin/accounts?q=admin%40").await;
    let admin_id = me["accounts"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let response = admin
        .post_form(
            &server,
            &format!("/admin/accounts/{admin_id}/erase"),
            &[("confirm_username", "admin@example.org")],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        409,
        "an administrator is not erased"
    );

    let response = admin
        .post_form(&server, &erase, &[("confirm_username", "anna@example.org")])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::support::location(&response),
        format!("/admin/accounts/{anna_id}")
    );

    let (status, _) = anna.get_json(&server, "/p/hello/api/whoami").await;
    let (_, who) = anna.get_json(&server, "/session").await;
    assert!(
        who["user"].is_null(),
        "her sessions ended ({status}): {who}"
    );
    let again = Client::new();
    let response = again
        .post_form(
            &server,
            "/login",
            &[("username", "anna@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_ne!(response.status().as_u16(), 303, "nobody logs in as her");
    let (_, greetings) = bruno.get_json(&server, "/p/hello/api/greetings").await;
    let names: Vec<&str> = greetings
        .as_array()
        .map(|list| list.iter().filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        ["Bruno"],
        "her greetings are gone, Bruno's stay: {greetings}"
    );

    let (_, shown) = admin
        .get_json(&server, &format!("/admin/accounts/{anna_id}"))
        .await;
    let username = shown["account"]["username"].as_str().unwrap_or_default();
    assert!(username.starts_with("cancellato-"), "{shown}");
    assert!(!shown.to_string().contains("Anna Rossi"), "{shown}");
    assert!(shown["erasure"]["erased_at"].is_i64(), "{shown}");

    let response = admin
        .post_form(&server, &erase, &[("confirm_username", username)])
        .await;
    assert_eq!(response.status().as_u16(), 409, "erased once");

    let (_, log) = admin
        .get_json(&server, "/admin/audit?action=privacy.erased")
        .await;
    let entry = &log["entries"][0];
    assert_eq!(entry["actor"], "admin@example.org", "{log}");
    let detail: Json =
        serde_json::from_str(entry["detail"].as_str().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(detail["services"][0]["plugin"], "hello", "{detail}");
    assert_eq!(detail["services"][0]["erased"], 1, "{detail}");
    let response = admin.post_form(&server, "/admin/audit/verify", &[]).await;
    let page = response.text().await.unwrap_or_default();
    assert!(
        page.contains("Il registro è integro"),
        "the chain survives: {page}"
    );
}

/// Every page's footer links the legal notes, the accessibility statement and the contacts,
/// public pages in the territory's words: its own where its theme has them (the contacts here),
/// the default theme's otherwise, naming the instance; markup in a territory's text is shown as
/// text.
#[tokio::test(flavor = "multi_thread")]
async fn the_footer_links_the_territory_s_legal_notes_accessibility_statement_and_contacts() {
    let (instance, themes) = territory_with_notice("1");
    let folder = themes.path().join("territorio/pages/contacts");
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(
        folder.join("it.md"),
        "# Contatti\n\nUfficio Servizi Sociali, Piazza Grande 1. <script>alert(1)</script>\n",
    )
    .expect("contacts");
    let server = Server::start(&[instance.path()]);
    let visitor = Client::new();

    let home = get_html(&visitor, &server, "/")
        .await
        .text()
        .await
        .expect("home");
    for link in [
        "<a href=\"/note-legali\">Note legali</a>",
        "<a href=\"/accessibilita\">Dichiarazione di accessibilità</a>",
        "<a href=\"/contatti\">Contatti</a>",
    ] {
        assert!(home.contains(link), "{link} in the footer: {home}");
    }
    let legal = get_html(&visitor, &server, "/note-legali").await;
    assert_eq!(legal.status().as_u16(), 200);
    let legal = legal.text().await.expect("legal");
    assert!(
        legal.contains("<h1>Note legali</h1>") && legal.contains("GNU Affero"),
        "the default theme's notes: {legal}"
    );
    let accessibility = get_html(&visitor, &server, "/accessibilita")
        .await
        .text()
        .await
        .expect("statement");
    assert!(
        accessibility.contains("WCAG 2.1") && accessibility.contains("Difensore civico"),
        "{accessibility}"
    );
    let contacts = get_html(&visitor, &server, "/contatti")
        .await
        .text()
        .await
        .expect("contacts");
    assert!(
        contacts.contains("Ufficio Servizi Sociali, Piazza Grande 1.")
            && contacts.contains("&lt;script&gt;")
            && !contacts.contains("<script>alert"),
        "the territory's own contacts, markup shown as text: {contacts}"
    );

    // Someone logged in who has not accepted the notice yet is sent to it from other pages,
    // but may read these first.
    crate::support::add_user(&instance, "anna", "citizen");
    let anna = Client::new();
    let login = anna
        .post_form(
            &server,
            "/login",
            &[("username", "anna"), ("password", crate::support::PASSWORD)],
        )
        .await;
    assert_eq!(login.status().as_u16(), 303);
    let home = get_html(&anna, &server, "/").await;
    assert!(
        crate::support::location(&home).starts_with("/privacy"),
        "the notice first"
    );
    for page in ["/note-legali", "/accessibilita", "/contatti"] {
        let response = get_html(&anna, &server, page).await;
        assert_eq!(response.status().as_u16(), 200, "{page} before accepting");
    }
}
