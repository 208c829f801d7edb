//! The account links travel by real mail: an invitation refused by the mailbox is listed on
//! the administrator's outbox page with the server's reason, sent again from there, and the
//! absolute link in the delivered mail completes the account.

use std::time::Duration;

use serde_json::json;

use super::{SmtpServer, mail_table, text, to};
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
        "/admin/outbox?state=pending&done=retried"
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
