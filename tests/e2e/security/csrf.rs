//! Forms and plugin routes refuse requests forged from another site.

use reqwest::Method;
use serde_json::json;

use super::{WRONG_TOKEN, kernel_instance};
use crate::support::{
    Client, PASSWORD, Server, add_member, add_user, login, post_form_with, send_json_with, whoami,
};

/// Every forged variant (no token, a made-up one, another visitor's) is refused with 403 and
/// changes nothing; `accepted` is then expected with the client's own token.
pub(super) async fn forged_forms_refused(
    client: &Client,
    other: &Client,
    server: &Server,
    path: &str,
    fields: &[(&str, &str)],
) {
    let theirs = other.csrf(server).await;
    assert_ne!(
        theirs,
        client.csrf(server).await,
        "two visitors, two tokens"
    );
    for (what, token) in [
        ("no token", None),
        ("a made-up token", Some(WRONG_TOKEN)),
        ("another visitor's token", Some(theirs.as_str())),
    ] {
        let response = post_form_with(client, server, path, token, fields).await;
        assert_eq!(
            response.status().as_u16(),
            403,
            "POST {path} with {what} must be refused"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_and_plugin_routes_refuse_requests_forged_from_another_site() {
    let instance = kernel_instance("csrf");
    add_user(&instance, "membro", "governance");
    add_member(instance.path(), "membro");
    add_user(&instance, "altro", "citizen");
    let server = Server::start(&[instance.path()]);

    // Login and sign-up, anonymous: the double-submit cookie must match the form.
    let visitor = Client::new();
    let stranger = Client::new();
    let credentials = [("username", "membro"), ("password", PASSWORD)];
    forged_forms_refused(&visitor, &stranger, &server, "/login", &credentials).await;
    assert_eq!(whoami(&visitor, &server).await, None);
    let signup = [
        ("display_name", "Nuova Persona"),
        ("username", "nuova"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
        ("privacy_version", crate::support::privacy_version()),
    ];
    forged_forms_refused(&visitor, &stranger, &server, "/signup", &signup).await;
    let response = visitor.post_form(&server, "/signup", &signup).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the refused sign-ups created nothing"
    );
    assert_eq!(whoami(&visitor, &server).await.as_deref(), Some("nuova"));

    // Logged in: the token derives from the session; another account's token is refused.
    let member = login(&server, "membro").await;
    let other = login(&server, "altro").await;
    forged_forms_refused(&member, &other, &server, "/notifications/read", &[]).await;
    // The account's own forms: a forged one changes nothing and hands out nothing.
    let privacy = [
        ("version", crate::support::privacy_version()),
        ("next", "/"),
    ];
    forged_forms_refused(&member, &other, &server, "/privacy", &privacy).await;
    forged_forms_refused(&member, &other, &server, "/account/data", &[]).await;
    forged_forms_refused(
        &member,
        &other,
        &server,
        "/account/erasure",
        &[("confirm", "yes")],
    )
    .await;
    let email = [
        ("email", "rubato@example.org"),
        ("current_password", PASSWORD),
    ];
    forged_forms_refused(&member, &other, &server, "/account/email", &email).await;
    let (_, account) = member.page(&server, "/account").await;
    assert!(
        !account.contains("Hai chiesto la cancellazione"),
        "no erasure was asked: {account}"
    );
    assert_eq!(whoami(&member, &server).await.as_deref(), Some("membro"));
    let response = member.post_form(&server, "/notifications/read", &[]).await;
    assert_eq!(response.status().as_u16(), 303);

    let proposal = [
        ("kind", "settings"),
        ("plugin", "hello"),
        ("key", "greeting"),
        ("value", "Salve"),
        ("rationale", "un saluto più formale"),
    ];
    forged_forms_refused(&member, &other, &server, "/governance/proposals", &proposal).await;
    let (_, listing) = member.get_json(&server, "/governance").await;
    assert_eq!(
        listing["open"].as_array().map(Vec::len),
        Some(0),
        "refused proposals were not filed: {listing}"
    );
    let response = member
        .post_form(&server, "/governance/proposals", &proposal)
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "with its token it is filed"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let vote = format!("{location}/vote");
    forged_forms_refused(&member, &other, &server, &vote, &[("choice", "approve")]).await;
    let response = member
        .post_form(&server, &vote, &[("choice", "approve")])
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "with its token the vote counts"
    );

    // Plugin routes: forms (`_csrf`) and JSON (`X-CSRF-Token`).
    let greeting = [("name", "Forgiato"), ("message", "da un altro sito")];
    forged_forms_refused(&member, &other, &server, "/p/hello/greet", &greeting).await;
    let body = json!({"name": "Forgiato", "message": "da un altro sito"});
    let theirs = other.csrf(&server).await;
    for (what, token) in [
        ("no token", None),
        ("a made-up token", Some(WRONG_TOKEN)),
        ("another visitor's token", Some(theirs.as_str())),
    ] {
        let (status, answer) =
            send_json_with(&member, &server, "/p/hello/api/greetings", token, &body).await;
        assert_eq!(status, 403, "JSON with {what}: {answer}");
        assert_eq!(answer["error"]["kind"], "csrf", "{answer}");
    }
    let (_, count) = member.get_json(&server, "/p/hello/api/count").await;
    assert_eq!(count["greetings"], 0, "nothing forged was stored: {count}");
    let response = member.post_form(&server, "/p/hello/greet", &greeting).await;
    assert_eq!(response.status().as_u16(), 303, "the real form works");
    let (status, _) = member
        .send_json(&server, Method::POST, "/p/hello/api/greetings", &body)
        .await;
    assert_eq!(status, 201, "the real API call works");

    // Logout last: a forged one leaves the session alone.
    forged_forms_refused(&member, &other, &server, "/logout", &[]).await;
    assert_eq!(whoami(&member, &server).await.as_deref(), Some("membro"));
    let response = member.post_form(&server, "/logout", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(whoami(&member, &server).await, None);
}
