//! A citizen-facing instance serves plugin routes, and what they store survives a restart.

use serde_json::json;

use crate::support::{Client, HELLO, PgDatabase, Server, TestInstance};

#[tokio::test(flavor = "multi_thread")]
async fn plugin_data_survives_a_server_restart() {
    let instance = TestInstance::new("persist", HELLO);
    survives_restart(instance).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_data_survives_a_server_restart_on_postgres() {
    let db = PgDatabase::create().await;
    let instance = TestInstance::new(
        "persist-pg",
        &format!("[database]\nurl = \"{}\"\n{HELLO}", db.url),
    );
    survives_restart(instance).await;
}

async fn survives_restart(instance: TestInstance) {
    let server = Server::start(&[instance.path()]);
    let client = Client::new();

    let (status, created) = client
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &json!({"name": "Giulia", "message": "Ciao a tutti"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["version"], 1);

    // A crash, not a clean shutdown: everything acknowledged must be on disk.
    server.kill();
    let server = Server::start(&[instance.path()]);
    let (status, list) = client.get_json(&server, "/p/hello/api/greetings").await;
    assert_eq!(status, 200);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["name"], "Giulia");
    assert_eq!(list[0]["message"], "Ciao a tutti");
}

#[tokio::test(flavor = "multi_thread")]
async fn home_lists_services_and_plugin_pages_render_in_the_theme() {
    let instance = TestInstance::new("pages", HELLO);
    let server = Server::start(&[instance.path()]);
    let client = Client::new();

    let (status, home) = client.page(&server, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("<html lang=\"it\">"), "{home}");
    assert!(
        home.contains("href=\"/p/hello/\""),
        "home lists the hello service: {home}"
    );

    let (status, page) = client.page(&server, "/p/hello/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Buongiorno dal test"),
        "the greeting setting is shown: {page}"
    );
    assert!(
        page.contains("name=\"_csrf\""),
        "forms carry the CSRF token"
    );

    // A form post goes through, and what it wrote is escaped on the way back.
    let response = client
        .post_form(
            &server,
            "/p/hello/greet",
            &[
                ("name", "<script>alert(1)</script>"),
                ("message", "Saluti & baci"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = client.page(&server, "/p/hello/").await;
    assert!(
        !page.contains("<script>alert(1)</script>"),
        "input is escaped"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );

    // English is available on request and remembered.
    let (_, english) = client.page(&server, "/?lang=en").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("Available services"));
    let (_, still_english) = client.page(&server, "/").await;
    assert!(still_english.contains("<html lang=\"en\">"));
    // The plugin's refusal comes from its catalogue, in the chosen language.
    let (status, refused) = client
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/hello/api/greetings",
            &json!({ "name": "", "message": "ciao" }),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        refused["error"]["message"], "The field `name` must have 1 to 80 characters (it has 0).",
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_pages_and_plugins_answer_404() {
    let instance = TestInstance::new("missing", HELLO);
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    let (status, body) = client.get_json(&server, "/p/nonexistent/").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["kind"], "not_found");
    let (status, _) = client
        .get_json(&server, "/p/hello/api/greetings/nope")
        .await;
    assert_eq!(status, 404);
}

/// Every `.cwasm` file under `dir`, with its modification time.
fn cached_components(dir: &std::path::Path) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "cwasm") {
                let modified = entry.metadata().and_then(|m| m.modified()).expect("mtime");
                found.push((path, modified));
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn compiled_components_are_cached_and_reused_across_restarts() {
    let instance = TestInstance::new("cache", HELLO);
    let cache = tempfile::tempdir().expect("cache dir");
    let server = Server::start_with_cache(&[instance.path()], cache.path());
    let first = cached_components(cache.path());
    assert_eq!(
        first.len(),
        1,
        "one compiled component for hello: {first:?}"
    );
    server.kill();

    let server = Server::start_with_cache(&[instance.path()], cache.path());
    let (status, _) = Client::new().get_json(&server, "/p/hello/api/time").await;
    assert_eq!(status, 200);
    assert_eq!(
        cached_components(cache.path()),
        first,
        "the cached file was reused, not rewritten"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_s_language_follows_them_to_another_browser() {
    let instance = TestInstance::new("lingua", HELLO);
    let server = Server::start(&[instance.path()]);
    let phone = crate::support::sign_up(&server, "marta", "Marta Bianchi").await;
    let (_, page) = phone.page(&server, "/").await;
    assert!(page.contains("<html lang=\"it\">"), "Italian by default");
    let (_, page) = phone.page(&server, "/?lang=en").await;
    assert!(page.contains("<html lang=\"en\">"));
    let laptop = crate::support::login(&server, "marta").await;
    let (_, page) = laptop.page(&server, "/").await;
    assert!(
        page.contains("<html lang=\"en\">"),
        "the account's choice applies on a new browser"
    );
    let (_, page) = Client::new().page(&server, "/").await;
    assert!(
        page.contains("<html lang=\"it\">"),
        "visitors get the instance's language"
    );
}
