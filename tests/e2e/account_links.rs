//! Accounts without the shell: an invitation accepted through its mailed link, an address
//! confirmed, a forgotten password reset (once, capped, without telling who has an account),
//! one's sessions listed and ended, a password changed. The links are read from the outbox as
//! the mail relay reads them (`trama outbox`).

use std::path::Path;

use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PASSWORD, Server, TestInstance, add_user, login, sign_up, trama,
};

/// The messages waiting in the outbox of the instance at `dir`, oldest first.
fn outbox(dir: &Path) -> Vec<Json> {
    let output = trama()
        .args(["outbox"])
        .arg(dir)
        .output()
        .expect("trama outbox");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The link of the newest message to `username` whose subject starts with `subject`.
fn link_to(dir: &Path, username: &str, subject: &str) -> String {
    outbox(dir)
        .iter()
        .rev()
        .find(|m| {
            m["username"] == username
                && m["subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(subject))
        })
        .and_then(|m| m["link"].as_str())
        .unwrap_or_else(|| panic!("no message `{subject}` to {username}: {:?}", outbox(dir)))
        .to_owned()
}

async fn roles(client: &Client, server: &Server) -> Json {
    let (_, session) = client.get_json(server, "/session").await;
    session["user"]["roles"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_operator_chooses_a_password_and_works_until_the_role_is_revoked() {
    let instance = TestInstance::new("invite", HELLO);
    add_user(&instance, "amministrazione", "admin");
    let server = Server::start(&[instance.path()]);
    let admin = login(&server, "amministrazione").await;

    // A role nothing declares is refused on the form, and no account is made.
    let response = admin
        .post_form(
            &server,
            "/admin/invitations",
            &[
                ("email", "nuova@comune.example.it"),
                ("display_name", "Nuova Operatrice"),
                ("role", "operatore"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(outbox(instance.path()).is_empty());

    let response = admin
        .post_form(
            &server,
            "/admin/invitations",
            &[
                ("email", "Nuova@Comune.example.it"),
                ("display_name", "Nuova Operatrice"),
                ("role", "operator"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let account_page = response.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    let (_, page) = admin.page(&server, &account_page).await;
    assert!(
        page.contains("Invito inviato.") && page.contains("Invito in attesa"),
        "{page}"
    );

    let link = link_to(
        instance.path(),
        "nuova@comune.example.it",
        "Invito a Test invite",
    );
    assert!(link.starts_with("/invite/"), "{link}");

    // Until the invitation is accepted there is no password that logs in.
    let stranger = Client::new();
    let response = stranger
        .post_form(
            &server,
            "/login",
            &[("username", "nuova@comune.example.it"), ("password", "!")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 401);

    let invited = Client::new();
    let (status, page) = invited.page(&server, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("nuova@comune.example.it"), "{page}");
    let response = invited
        .post_form(
            &server,
            &link,
            &[("password", "corta"), ("password_confirm", "corta")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("almeno 10 caratteri")
    );
    let response = invited
        .post_form(
            &server,
            &link,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(roles(&invited, &server).await, json!(["operator"]));

    // The link worked once.
    let (status, page) = Client::new().page(&server, &link).await;
    assert_eq!(status, 410);
    assert!(page.contains("non è più valido"), "{page}");

    // Revoked, the operator is refused at once, in the same session.
    let id = account_page
        .trim_start_matches("/admin/accounts/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let response = admin
        .post_form(
            &server,
            &format!("/admin/accounts/{id}/roles"),
            &[("role", "operator"), ("action", "revoke")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(roles(&invited, &server).await, json!([]));

    // Inviting the same address again is refused: the account exists.
    let response = admin
        .post_form(
            &server,
            "/admin/invitations",
            &[
                ("email", "nuova@comune.example.it"),
                ("display_name", "Ancora"),
                ("role", "operator"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forgotten_password_is_reset_once_and_nobody_learns_who_has_an_account() {
    let instance = TestInstance::new("reset", HELLO);
    let server = Server::start(&[instance.path()]);
    let maria = sign_up(&server, "maria@example.org", "Maria Rossi").await;

    // Sign-up mails the link that confirms the address.
    let (_, page) = maria.page(&server, "/account").await;
    assert!(page.contains("Non ancora confermato"), "{page}");
    let confirm = link_to(
        instance.path(),
        "maria@example.org",
        "Conferma il tuo indirizzo",
    );
    // Opening the link (as a mail scanner does) changes nothing; the button confirms.
    let opener = Client::new();
    let (status, page) = opener.page(&server, &confirm).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Conferma l&#x27;indirizzo") || page.contains("Conferma l'indirizzo"),
        "{page}"
    );
    let (_, page) = maria.page(&server, "/account").await;
    assert!(page.contains("Non ancora confermato"), "{page}");
    let response = opener.post_form(&server, &confirm, &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("confermato"), "{page}");
    let response = opener.post_form(&server, &confirm, &[]).await;
    assert_eq!(response.status().as_u16(), 410, "a link works once");
    let (_, page) = maria.page(&server, "/account").await;
    assert!(page.contains("Confermato"), "{page}");

    // The answer is the same for an account and for no account.
    let visitor = Client::new();
    let known = visitor
        .post_form(
            &server,
            "/password/forgot",
            &[("username", "maria@example.org")],
        )
        .await;
    let unknown = visitor
        .post_form(
            &server,
            "/password/forgot",
            &[("username", "nessuno@example.org")],
        )
        .await;
    assert_eq!(
        (known.status().as_u16(), unknown.status().as_u16()),
        (200, 200)
    );
    let (known, unknown) = (
        known.text().await.unwrap_or_default(),
        unknown.text().await.unwrap_or_default(),
    );
    assert!(known.contains("Se esiste un account"), "{known}");
    assert_eq!(
        known.replace(char::is_whitespace, ""),
        unknown.replace(char::is_whitespace, "")
    );

    let reset = link_to(instance.path(), "maria@example.org", "Nuova password");
    let new_password = "una nuova password lunga";
    let response = visitor
        .post_form(
            &server,
            &reset,
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login");
    let (_, page) = visitor.page(&server, "/login").await;
    assert!(
        page.contains("Password cambiata: accedi con la nuova password."),
        "the login page says the new password is ready: {page}"
    );
    let (_, session) = maria.get_json(&server, "/session").await;
    assert_eq!(
        session["user"],
        Json::Null,
        "the reset ended the open session"
    );
    let response = visitor
        .post_form(
            &server,
            &reset,
            &[
                ("password", "un'altra password ancora"),
                ("password_confirm", "un'altra password ancora"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 410, "a link works once");

    let again = Client::new();
    let response = again
        .post_form(
            &server,
            "/login",
            &[("username", "maria@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 401, "the old password is gone");
    let response = again
        .post_form(
            &server,
            "/login",
            &[
                ("username", "maria@example.org"),
                ("password", new_password),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    // At most three reset mails an hour reach one mailbox, however often someone asks.
    for _ in 0..4 {
        visitor
            .post_form(
                &server,
                "/password/forgot",
                &[("username", "maria@example.org")],
            )
            .await;
    }
    let resets = outbox(instance.path())
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Nuova password"))
        })
        .count();
    assert_eq!(resets, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn my_sessions_are_listed_and_the_others_ended() {
    let instance = TestInstance::new("sessions", HELLO);
    add_user(&instance, "luca@example.org", "citizen");
    let server = Server::start(&[instance.path()]);
    let phone = Client::new();
    let laptop = Client::new();
    for (client, agent) in [(&phone, "Telefono di Luca"), (&laptop, "Portatile di Luca")] {
        let token = client.csrf(&server).await;
        let response = client
            .http
            .post(server.url("/login"))
            .header("user-agent", agent)
            .form(&[
                ("_csrf", token.as_str()),
                ("username", "luca@example.org"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(response.status().as_u16(), 303);
    }
    let (status, page) = phone.page(&server, "/account").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Telefono di Luca") && page.contains("Portatile di Luca"),
        "{page}"
    );

    let response = phone
        .post_form(
            &server,
            "/account/password",
            &[
                ("current_password", "sbagliata sbagliata"),
                ("password", "una nuova password lunga"),
                ("password_confirm", "una nuova password lunga"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);

    let response = phone.post_form(&server, "/account/sessions/end", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, laptop_session) = laptop.get_json(&server, "/session").await;
    assert_eq!(laptop_session["user"], Json::Null);
    let (_, phone_session) = phone.get_json(&server, "/session").await;
    assert_eq!(phone_session["user"]["username"], "luca@example.org");

    let response = phone
        .post_form(
            &server,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "una nuova password lunga"),
                ("password_confirm", "una nuova password lunga"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/account");
    let (_, page) = phone.page(&server, "/account").await;
    assert!(page.contains("Password cambiata"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_changes_with_the_password_and_is_confirmed_through_the_new_one() {
    let instance = TestInstance::new("indirizzo", HELLO);
    add_user(&instance, "gia@example.org", "citizen");
    let server = Server::start(&[instance.path()]);
    let luca = sign_up(&server, "luca@example.org", "Luca Verdi").await;

    let change = |email: &'static str, password: &'static str| {
        [("email", email), ("current_password", password)]
    };
    let response = luca
        .post_form(
            &server,
            "/account/email",
            &change("nuovo@example.org", "sbagliata"),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422, "the password is asked");
    let response = luca
        .post_form(
            &server,
            "/account/email",
            &change("non un indirizzo", PASSWORD),
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let response = luca
        .post_form(
            &server,
            "/account/email",
            &change("gia@example.org", PASSWORD),
        )
        .await;
    assert_eq!(response.status().as_u16(), 409, "another account's address");
    let (_, session) = luca.get_json(&server, "/session").await;
    assert_eq!(
        session["user"]["username"], "luca@example.org",
        "nothing changed yet"
    );
    let old_link = link_to(
        instance.path(),
        "luca@example.org",
        "Conferma il tuo indirizzo",
    );

    let response = luca
        .post_form(
            &server,
            "/account/email",
            &change("Luca.Nuovo@Example.org", PASSWORD),
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, session) = luca.get_json(&server, "/session").await;
    assert_eq!(
        session["user"]["username"], "luca.nuovo@example.org",
        "her session stays"
    );
    let (_, page) = luca.page(&server, "/account").await;
    assert!(page.contains("Non ancora confermato"), "{page}");
    let response = luca.post_form(&server, &old_link, &[]).await;
    assert_eq!(
        response.status().as_u16(),
        410,
        "the link mailed to the old address is spent"
    );
    let confirm = link_to(
        instance.path(),
        "luca.nuovo@example.org",
        "Conferma il tuo indirizzo",
    );
    let response = luca.post_form(&server, &confirm, &[]).await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, page) = luca.page(&server, "/account").await;
    assert!(page.contains("Confermato"), "{page}");
    login(&server, "luca.nuovo@example.org").await;
    let old = Client::new()
        .post_form(
            &server,
            "/login",
            &[("username", "luca@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_ne!(
        old.status().as_u16(),
        303,
        "the old address no longer logs in"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn guessing_the_password_through_the_account_page_is_throttled_like_the_login() {
    let instance = TestInstance::new("indovina", HELLO);
    let server = Server::start(&[instance.path()]);
    let sara = sign_up(&server, "sara@example.org", "Sara Neri").await;
    let guess = |password: &'static str| {
        [
            ("current_password", password),
            ("password", "una nuova password lunga"),
            ("password_confirm", "una nuova password lunga"),
        ]
    };
    for n in 0..5 {
        let response = sara
            .post_form(&server, "/account/password", &guess("tentativo"))
            .await;
        assert_eq!(response.status().as_u16(), 422, "guess {n}");
    }
    let response = sara
        .post_form(&server, "/account/password", &guess(PASSWORD))
        .await;
    assert_eq!(
        response.status().as_u16(),
        429,
        "locked, even with the right password"
    );
    assert!(response.headers().contains_key("retry-after"));
    let response = sara
        .post_form(
            &server,
            "/account/email",
            &[
                ("email", "altro@example.org"),
                ("current_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        429,
        "the address form shares the count"
    );
    let (_, session) = sara.get_json(&server, "/session").await;
    assert_eq!(
        session["user"]["username"], "sara@example.org",
        "nothing changed"
    );
}
