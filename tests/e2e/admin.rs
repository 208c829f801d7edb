//! `/admin` as an instance administrator uses it: accounts found among many, roles granted and
//! revoked (and refused when nothing declares them), accounts disabled with their sessions,
//! the coordination table's seats, the audit log and its check, the effective manifest.

use serde_json::{Value as Json, json};

use crate::support::{Client, HELLO, PASSWORD, Server, TestInstance, add_user, login, trama};

const RIDES: &str = r#"
[plugins.rides]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "clock"]
[plugins.rides.settings]
rides_per_month = 3
"#;

/// The id of the account `username`, as the administrator finds it.
async fn account_id(admin: &Client, server: &Server, username: &str) -> String {
    let (status, found) = admin
        .get_json(server, &format!("/admin/accounts?q={username}"))
        .await;
    assert_eq!(status, 200, "{found}");
    found["accounts"]
        .as_array()
        .and_then(|accounts| accounts.iter().find(|a| a["username"] == username))
        .and_then(|account| account["id"].as_str())
        .unwrap_or_else(|| panic!("{username} not found: {found}"))
        .to_owned()
}

/// Grants or revokes `role` through the account page's form, as a browser does.
async fn change_role(
    admin: &Client,
    server: &Server,
    id: &str,
    role: &str,
    action: &str,
) -> reqwest::Response {
    admin
        .post_form(
            server,
            &format!("/admin/accounts/{id}/roles"),
            &[("role", role), ("action", action)],
        )
        .await
}

async fn drivers(operator: &Client, server: &Server) -> Json {
    let (status, drivers) = operator.get_json(server, "/p/rides/api/drivers").await;
    assert_eq!(status, 200, "{drivers}");
    drivers
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_grants_and_revokes_a_plugins_role_and_nothing_undeclared() {
    let instance = TestInstance::new("admin-roles", &format!("{HELLO}{RIDES}"));
    add_user(&instance, "amministrazione", "admin");
    add_user(&instance, "otto", "operator");
    add_user(&instance, "dario", "citizen");
    let server = Server::start(&[instance.path()]);

    // Only administrators: a visitor is sent to log in, anyone else is refused.
    let (status, _) = Client::new().page(&server, "/admin/accounts").await;
    assert_eq!(status, 303);
    let otto = login(&server, "otto").await;
    let (status, page) = otto.page(&server, "/admin/accounts").await;
    assert_eq!(status, 403);
    assert!(
        page.contains("riservata all&#x27;amministrazione")
            || page.contains("riservata all'amministrazione"),
        "{page}"
    );

    let admin = login(&server, "amministrazione").await;
    let dario = account_id(&admin, &server, "dario").await;
    assert_eq!(drivers(&otto, &server).await, json!([]));

    // The account page offers the plugin's role with its title and what it is for.
    let (status, page) = admin
        .page(&server, &format!("/admin/accounts/{dario}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Autista: compare nell"), "{page}");
    assert!(page.contains("Amministratore: gestisce account"), "{page}");

    // Granted in the browser: the driver is at work at once, and the page says it was done.
    let response = change_role(&admin, &server, &dario, "driver", "grant").await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(location, format!("/admin/accounts/{dario}"));
    let (_, page) = admin.page(&server, &location).await;
    assert!(page.contains("Ruolo assegnato."), "{page}");
    let (_, page) = admin.page(&server, &location).await;
    assert!(
        !page.contains("Ruolo assegnato."),
        "said once, not on every visit: {page}"
    );
    assert_eq!(
        drivers(&otto, &server).await,
        json!([{ "username": "dario", "name": "dario" }])
    );

    // Revoked: gone from the operators' list at once.
    let response = change_role(&admin, &server, &dario, "driver", "revoke").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(drivers(&otto, &server).await, json!([]));

    // A role nothing declares is refused in words, and not granted.
    let response = change_role(&admin, &server, &dario, "drivr", "grant").await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap_or_default();
    assert!(
        page.contains("drivr") && page.contains("non esiste"),
        "{page}"
    );
    let (_, account) = admin
        .get_json(&server, &format!("/admin/accounts/{dario}"))
        .await;
    assert_eq!(account["account"]["roles"], json!(["citizen"]));

    // A forged form (no CSRF token) changes nothing.
    let forged = admin
        .http
        .post(server.url(&format!("/admin/accounts/{dario}/roles")))
        .form(&[("role", "admin"), ("action", "grant")])
        .send()
        .await
        .expect("POST");
    assert_eq!(forged.status().as_u16(), 403);
    let (_, account) = admin
        .get_json(&server, &format!("/admin/accounts/{dario}"))
        .await;
    assert_eq!(account["account"]["roles"], json!(["citizen"]));

    // Every change is in the audit log with who made it.
    let (status, log) = admin.get_json(&server, "/admin/audit?action=role.").await;
    assert_eq!(status, 200);
    let entries: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["action"].as_str().unwrap_or(""),
                        e["actor"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        entries,
        [
            ("role.revoked", "amministrazione"),
            ("role.granted", "amministrazione")
        ]
    );

    // The command line checks roles the same way, before asking for a password.
    let output = trama()
        .args(["user", "add"])
        .arg(instance.path())
        .args([
            "--username",
            "nuovo",
            "--display-name",
            "Nuovo",
            "--role",
            "drivr",
        ])
        .output()
        .expect("trama user add");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`drivr`") && stderr.contains("driver"),
        "{stderr}"
    );
    let output = trama()
        .args(["user", "grant"])
        .arg(instance.path())
        .args(["--username", "dario", "--role", "driver"])
        .output()
        .expect("trama user grant");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        drivers(&otto, &server).await,
        json!([{ "username": "dario", "name": "dario" }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_account_is_logged_out_at_once_and_the_last_admin_stays() {
    let instance = TestInstance::new("admin-disable", HELLO);
    add_user(&instance, "amministrazione", "admin");
    add_user(&instance, "dario", "citizen");
    let server = Server::start(&[instance.path()]);
    let admin = login(&server, "amministrazione").await;
    let dario_client = login(&server, "dario").await;
    let dario = account_id(&admin, &server, "dario").await;
    let (_, account) = admin
        .get_json(&server, &format!("/admin/accounts/{dario}"))
        .await;
    assert_eq!(account["sessions"], 1);

    let response = admin
        .post_form(
            &server,
            &format!("/admin/accounts/{dario}/status"),
            &[("disabled", "1")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, session) = dario_client.get_json(&server, "/session").await;
    assert_eq!(
        session["user"],
        Json::Null,
        "the open session ended with the account"
    );

    // The right password learns that the account is disabled; a wrong one learns nothing more.
    let again = Client::new();
    let response = again
        .post_form(
            &server,
            "/login",
            &[("username", "dario"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 403);
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("disattivato"), "{page}");
    let response = again
        .post_form(
            &server,
            "/login",
            &[
                ("username", "dario"),
                ("password", "una password sbagliata"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 401);

    // Enabled again, the person logs in as before.
    let response = admin
        .post_form(
            &server,
            &format!("/admin/accounts/{dario}/status"),
            &[("disabled", "0")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    login(&server, "dario").await;

    // The only administrator can neither disable themselves nor give up the role.
    let me = account_id(&admin, &server, "amministrazione").await;
    let response = admin
        .post_form(
            &server,
            &format!("/admin/accounts/{me}/status"),
            &[("disabled", "1")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    let response = change_role(&admin, &server, &me, "admin", "revoke").await;
    assert_eq!(response.status().as_u16(), 409);
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("almeno un amministratore"), "{page}");
    let (status, _) = admin.page(&server, "/admin").await;
    assert_eq!(status, 200, "still an administrator");

    let (_, log) = admin
        .get_json(&server, "/admin/audit?action=account.")
        .await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions[..2], ["account.enabled", "account.disabled"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn seats_the_audit_check_and_the_manifest_need_no_shell() {
    let instance = TestInstance::new("admin-seats", HELLO);
    add_user(&instance, "amministrazione", "admin");
    add_user(&instance, "gina", "citizen");
    let server = Server::start(&[instance.path()]);
    let admin = login(&server, "amministrazione").await;

    let response = admin
        .post_form(
            &server,
            "/admin/seats",
            &[
                ("username", "gina"),
                ("organisation", "Fondazione del territorio"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let gina = login(&server, "gina").await;
    let (status, page) = gina.page(&server, "/governance").await;
    assert_eq!(status, 200);
    assert!(page.contains("Fondazione del territorio"), "{page}");

    let (_, seats) = admin.get_json(&server, "/admin/seats").await;
    let gina_id = seats["members"][0]["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let response = admin
        .post_form(&server, &format!("/admin/seats/{gina_id}/remove"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, _) = gina.page(&server, "/governance").await;
    assert_eq!(status, 403, "no seat, no table");

    // A seat for someone without an account is refused in words.
    let response = admin
        .post_form(
            &server,
            "/admin/seats",
            &[("username", "nessuno"), ("organisation", "Ente")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);

    let response = admin.post_form(&server, "/admin/audit/verify", &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("Il registro è integro"), "{page}");
    assert!(page.contains("governance.member_removed"), "{page}");

    let (status, page) = admin.page(&server, "/admin/manifest").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("[plugins.hello]") && page.contains("Buongiorno dal test"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_are_found_and_paged_among_many() {
    let instance = TestInstance::new("admin-many", HELLO);
    add_user(&instance, "amministrazione", "admin");
    // Start once so that the database exists, then add many accounts as a bulk import would.
    let server = Server::start(&[instance.path()]);
    let url = format!(
        "sqlite://{}?mode=rw",
        instance.path().join("data/trama.db").display()
    );
    let db = trama::db::Db::connect(&url).await.expect("database");
    for i in 0..120 {
        let values: Vec<sea_orm::Value> = vec![
            "admin-many".into(),
            format!("id-{i:03}").into(),
            format!("persona{i:03}@example.org").into(),
            format!("Persona {i:03}").into(),
            "!".into(),
            0_i64.into(),
        ];
        sea_orm::ConnectionTrait::execute_raw(
            db.conn(),
            trama::db::sql::stmt(
                db.backend(),
                "INSERT INTO users (instance, id, username, display_name, password_hash, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
                values,
            ),
        )
        .await
        .expect("insert");
    }
    let admin = login(&server, "amministrazione").await;

    let (_, first) = admin.get_json(&server, "/admin/accounts").await;
    assert_eq!(
        (first["total"].as_u64(), first["pages"].as_u64()),
        (Some(121), Some(3))
    );
    assert_eq!(first["accounts"].as_array().map(Vec::len), Some(50));
    let (_, last) = admin.get_json(&server, "/admin/accounts?page=3").await;
    assert_eq!(last["accounts"].as_array().map(Vec::len), Some(21));
    assert_eq!(last["accounts"][20]["username"], "persona119@example.org");

    // Text matches username or name in any case; `_` and `%` are only themselves.
    let (_, found) = admin
        .get_json(&server, "/admin/accounts?q=PERSONA%2011")
        .await;
    assert_eq!(found["total"], 10);
    let (_, none) = admin.get_json(&server, "/admin/accounts?q=%25").await;
    assert_eq!(none["total"], 0);
    let (_, admins) = admin.get_json(&server, "/admin/accounts?role=admin").await;
    assert_eq!(admins["total"], 1);

    // The page links to the next one, keeping the filter.
    let (_, page) = admin.page(&server, "/admin/accounts?q=persona").await;
    assert!(
        page.contains("Account trovati: 120 (pagina 1 di 3)."),
        "{page}"
    );
    assert!(
        page.contains("q=persona&amp;role=&amp;state=&amp;page=2"),
        "{page}"
    );
}
