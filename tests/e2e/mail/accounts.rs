//! The account links travel by real mail: an invitation refused by the mailbox is listed on
//! the administrator's outbox page with the server's reason, sent again from there, and the
//! absolute link in the delivered mail completes the account. Changing one's address mails the
//! confirmation link to the new address and tells the old one, in the person's language.

use std::time::Duration;

use serde_json::json;

use super::{SmtpServer, mail_table, person, text, to};
use crate::support::{Client, HELLO, PASSWORD, Server, TestInstance, add_user, eventually, login};

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_invitation_is_retried_from_the_admin_page_and_its_link_completes_the_account() {
    // `reject…` is refused with 550 once, then accepted.
    let smtp = SmtpServer::start(&["--reject-times", "1"]);
    let instance = TestInstance::new("inviti", &format!("{HELLO}{}", mail_table(&smtp, "")));
    add_user(&instance, "amministrazione", "admin");
    let server = Server::start(&[instance.path()]);
    let admin = login(&server, "amministrazione").await;

    let response = admin
        .post_form(
            &server,
            "/admin/invitations",
            &[
                ("email", "reject.nina@example.org"),
                ("display_name", "Nina Neri"),
                ("role", "operator"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    // The refusal reaches the administrator's page with the server's words.
    let listed = eventually(Duration::from_secs(20), || async {
        let (_, outbox) = admin.get_json(&server, "/admin/outbox").await;
        outbox["counts"]["failed"] == 1
    })
    .await;
    let (_, outbox) = admin.get_json(&server, "/admin/outbox").await;
    assert!(listed, "{outbox:#}");
    let failed = &outbox["messages"][0];
    assert_eq!(failed["username"], "reject.nina@example.org");
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("550"),
        "{failed:#}"
    );
    let (_, page) = admin.page(&server, "/admin/outbox").await;
    assert!(
        page.contains("Non recapitati (1)") && page.contains("Invito a Test inviti"),
        "{page}"
    );

    let id = failed["id"].as_str().unwrap_or_default().to_owned();
    let response = admin
        .post_form(&server, &format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/outbox?state=pending"
    );
    let response = admin
        .post_form(&server, &format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_eq!(
        response.status().as_u16(),
        409,
        "a pending message is not retried twice"
    );

    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    let mail = to(&messages, "reject.nina@example.org");
    let plain = text(mail, "text");
    assert!(
        plain.contains("Nina Neri") && plain.contains("Sei stato invitato"),
        "{plain}"
    );
    let link = plain
        .split_whitespace()
        .find(|word| word.contains("/invite/"))
        .unwrap_or_else(|| panic!("no link in {plain}"));
    assert!(
        link.starts_with("https://127.0.0.1/invite/"),
        "an absolute link: {link}"
    );
    let path = &link["https://127.0.0.1".len()..];

    let nina = Client::new();
    let response = nina
        .post_form(
            &server,
            path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, session) = nina.get_json(&server, "/session").await;
    assert_eq!(session["user"]["roles"], json!(["operator"]));

    let (_, log) = admin
        .get_json(&server, "/admin/audit?action=mail.retried")
        .await;
    assert_eq!(log["entries"][0]["actor"], "amministrazione");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_address_tells_the_old_one_in_the_persons_language_with_nothing_to_click_away()
{
    let smtp = SmtpServer::start(&[]);
    let instance = TestInstance::new("cambio", &format!("{HELLO}{}", mail_table(&smtp, "")));
    let server = Server::start(&[instance.path()]);
    let anna = person(&instance, &server, "anna@example.org", "Anna Rossi").await;
    let john = person(&instance, &server, "john@example.org", "John Smith").await;
    let (status, _) = john.page(&server, "/?lang=en").await;
    assert_eq!(status, 200, "John chooses English");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .format("%d/%m/%Y")
        .to_string();

    for (who, new) in [
        (&anna, "anna.nuova@example.org"),
        (&john, "john.new@example.org"),
    ] {
        let response = who
            .post_form(
                &server,
                "/account/email",
                &[("email", new), ("current_password", PASSWORD)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let messages = smtp.wait_for(4, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 4, "{messages:#?}");

    // The new address gets the confirmation link, as before.
    let confirm = text(to(&messages, "anna.nuova@example.org"), "text");
    assert!(confirm.contains("/verify/"), "{confirm}");

    // The old one is told: what changed, when, and what to do if it was not her.
    let left = to(&messages, "anna@example.org");
    assert_eq!(
        left["headers"]["subject"],
        "Il tuo indirizzo su Test cambio è stato cambiato"
    );
    let plain = text(left, "text");
    for expected in [
        "Gentile Anna Rossi,",
        &format!("è stato cambiato il {today} "),
        "Se non sei stato tu, qualcuno conosce la tua password",
        "avvisa subito l'amministrazione di Test cambio",
        // The privacy notice, where the controller's contacts are.
        "https://127.0.0.1/privacy",
    ] {
        assert!(plain.contains(expected), "{expected:?} in:\n{plain}");
    }
    // Nothing in it undoes or opens anything: no one-time link of any kind.
    for link in ["/verify/", "/password/", "/invite/", "/account/"] {
        assert!(!plain.contains(link), "{link} in:\n{plain}");
        assert!(
            !text(left, "html").contains(link),
            "{link} in the HTML part"
        );
    }

    let english = text(to(&messages, "john@example.org"), "text");
    for expected in [
        "Dear John Smith,",
        &format!("was changed on {today} "),
        "If it was not you, someone knows your password",
    ] {
        assert!(english.contains(expected), "{expected:?} in:\n{english}");
    }

    // Each notice went to the address left, though the account now logs in with the new one.
    let (_, session) = anna.get_json(&server, "/session").await;
    assert_eq!(session["user"]["username"], "anna.nuova@example.org");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 4, "nothing is sent twice");
}
