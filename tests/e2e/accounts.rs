//! Sign-up, login, CSRF and roles as a citizen and an administrator meet them.

use std::io::Write;
use std::process::Stdio;

use serde_json::json;

use crate::support::{Client, HELLO, Server, TestInstance, trama};

#[tokio::test(flavor = "multi_thread")]
async fn unsafe_requests_without_the_csrf_token_are_refused() {
    let instance = TestInstance::new("csrf", HELLO);
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    client.csrf(&server).await;

    let response = client
        .http
        .post(server.url("/p/hello/greet"))
        .form(&[("name", "Eve"), ("message", "forged")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 403);

    let response = client
        .http
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", "0".repeat(64))
        .json(&json!({"name": "Eve", "message": "forged"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 403);

    let (_, list) = client.get_json(&server, "/p/hello/api/greetings").await;
    assert_eq!(list, json!([]), "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn citizens_sign_up_and_only_admins_reach_admin_routes() {
    let instance = TestInstance::new("roles", HELLO);

    // The first administrator is created from the command line.
    let mut add = trama()
        .args(["user", "add"])
        .arg(instance.path())
        .args([
            "--username",
            "admin",
            "--display-name",
            "Amministrazione",
            "--role",
            "admin",
            "--role",
            "operator",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("trama user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(b"una password lunga\n")
        .expect("write password");
    let output = add.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let server = Server::start(&[instance.path()]);

    let anonymous = Client::new();
    let (status, who) = anonymous.get_json(&server, "/p/hello/api/whoami").await;
    assert_eq!((status, &who["user"]), (200, &json!(null)));
    let (status, _) = anonymous.get_json(&server, "/p/hello/api/admin").await;
    assert_eq!(status, 401);

    let citizen = Client::new();
    let response = citizen
        .post_form(
            &server,
            "/signup",
            &[
                ("display_name", "Maria Rossi"),
                ("username", "maria"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
                ("privacy_version", crate::support::privacy_version()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, who) = citizen.get_json(&server, "/p/hello/api/whoami").await;
    assert_eq!(who["user"]["username"], "maria");
    // A plugin sees only the roles it declares (hello: `admin`): the citizen holds none of them.
    assert_eq!(who["user"]["roles"], json!([]));
    assert_eq!(who["is_admin"], false);
    let (status, _) = citizen.get_json(&server, "/p/hello/api/admin").await;
    assert_eq!(status, 403);

    // The same username cannot be taken twice.
    let other = Client::new();
    let response = other
        .post_form(
            &server,
            "/signup",
            &[
                ("display_name", "Altra Maria"),
                ("username", "maria"),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
                ("privacy_version", crate::support::privacy_version()),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);

    let admin = Client::new();
    let response = admin
        .post_form(
            &server,
            "/login",
            &[("username", "admin"), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 401);
    let response = admin
        .post_form(
            &server,
            "/login",
            &[
                ("username", "admin"),
                ("password", "una password lunga"),
                ("next", "/p/hello/"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/p/hello/");
    let (status, _) = admin.get_json(&server, "/p/hello/api/admin").await;
    assert_eq!(status, 200);
    // The administrator also holds `operator`, which hello does not declare: not its business.
    let (_, who) = admin.get_json(&server, "/p/hello/api/whoami").await;
    assert_eq!(who["user"]["roles"], json!(["admin"]));

    // Logging out ends the session on the server, not just in the browser.
    let response = admin.post_form(&server, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, _) = admin.get_json(&server, "/p/hello/api/admin").await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_cookie_set_before_login_is_not_reused() {
    let instance = TestInstance::new("fixation", HELLO);
    let server = Server::start(&[instance.path()]);
    let client = Client::new();
    let response = client
        .post_form(
            &server,
            "/signup",
            &[
                ("display_name", "Luca Bianchi"),
                ("username", "luca"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
                ("privacy_version", crate::support::privacy_version()),
            ],
        )
        .await;
    let first: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .filter(|c| c.starts_with("trama_session="))
        .collect();
    assert_eq!(first.len(), 1);
    assert!(first[0].contains("HttpOnly"), "{first:?}");
    assert!(first[0].contains("SameSite=Lax"), "{first:?}");
    let response = client
        .post_form(
            &server,
            "/login",
            &[("username", "luca"), ("password", "correct horse battery")],
        )
        .await;
    let second: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .filter(|c| c.starts_with("trama_session="))
        .collect();
    assert_eq!(second.len(), 1);
    assert_ne!(first[0], second[0], "login issues a fresh session token");
}

/// A CSRF cookie planted by a neighbouring site (cookie tossing) does not let it forge requests
/// of a logged-in user: their token derives from the session.
#[tokio::test(flavor = "multi_thread")]
async fn a_planted_csrf_cookie_does_not_forge_requests_of_a_logged_in_user() {
    use reqwest::cookie::CookieStore;

    let instance = TestInstance::new("tossing", HELLO);
    let server = Server::start(&[instance.path()]);
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let session: serde_json::Value = http
        .get(server.url("/session"))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let anonymous = session["csrf_token"].as_str().expect("token").to_owned();
    let response = http
        .post(server.url("/signup"))
        .form(&[
            ("_csrf", anonymous.as_str()),
            ("display_name", "Sara Verdi"),
            ("username", "sara"),
            ("password", "correct horse battery"),
            ("password_confirm", "correct horse battery"),
            ("privacy_version", crate::support::privacy_version()),
        ])
        .send()
        .await
        .expect("signup");
    assert_eq!(response.status().as_u16(), 303);

    let url: reqwest::Url = server.base.parse().expect("url");
    let cookies = jar.cookies(&url).expect("cookies");
    let session_cookie = cookies
        .to_str()
        .expect("ascii")
        .split("; ")
        .find(|c| c.starts_with("trama_session="))
        .expect("logged in")
        .to_owned();
    let planted = "a".repeat(64);
    let forged = reqwest::Client::new()
        .post(server.url("/p/hello/api/greetings"))
        .header("cookie", format!("{session_cookie}; trama_csrf={planted}"))
        .header("x-csrf-token", &planted)
        .json(&json!({"name": "Eve", "message": "forged"}))
        .send()
        .await
        .expect("forged post");
    assert_eq!(forged.status().as_u16(), 403);

    let session: serde_json::Value = http
        .get(server.url("/session"))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let token = session["csrf_token"].as_str().expect("token");
    assert_ne!(token, anonymous, "a logged-in session has its own token");
    let genuine = http
        .post(server.url("/p/hello/api/greetings"))
        .header("x-csrf-token", token)
        .json(&json!({"name": "Sara", "message": "ciao"}))
        .send()
        .await
        .expect("post");
    assert_eq!(genuine.status().as_u16(), 201);
}

/// Logging in without asking for a page, a shopkeeper starts on the shop's page and a tutor on
/// their lessons — their work — while an operator, whom both the vouchers and the tutoring
/// service would claim, starts on the home page that lists both (on an instance with vouchers
/// alone, on its dashboard); a citizen starts on the home page and a login that asked for a
/// page goes there.
#[tokio::test(flavor = "multi_thread")]
async fn each_role_lands_on_its_work_after_logging_in() {
    let both = format!(
        "{}{}",
        crate::support::VOUCHERS,
        crate::tutoring::manifest("")
    );
    let instance = TestInstance::new("landing", &both);
    let alone = TestInstance::new("landing-vouchers", crate::support::VOUCHERS);
    for (name, role) in [
        ("operatrice", "operator"),
        ("bottega", "merchant"),
        ("giulia", "tutor"),
        ("anna", "citizen"),
    ] {
        crate::support::add_user(&instance, name, role);
    }
    crate::support::add_user(&alone, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let vouchers_alone = Server::start(&[alone.path()]);
    for (server, name, next, lands) in [
        (&server, "operatrice", None, "/"),
        (&server, "bottega", None, "/p/vouchers/merchant"),
        (&server, "giulia", None, "/p/tutoring/tutor"),
        (&server, "anna", None, "/"),
        (&server, "operatrice", Some("/me"), "/me"),
        (&vouchers_alone, "operatore", None, "/p/vouchers/dashboard"),
    ] {
        let client = Client::new();
        let mut form = vec![("username", name), ("password", crate::support::PASSWORD)];
        form.extend(next.map(|next| ("next", next)));
        let response = client.post_form(server, "/login", &form).await;
        assert_eq!(response.status().as_u16(), 303, "login of {name}");
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default();
        assert_eq!(location, lands, "{name} asking for {next:?}");
    }
}
