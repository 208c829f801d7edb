//! The message after an action (host API 1.8 `notice`) through the real server: a plugin's
//! redirect after a form leaves it for the next page, which shows it once and escaped; the page
//! after does not, nor does a program that posts the same through the JSON API. A citizen's
//! application gets a protocol number, named in the message and shown on the page's receipt.

use chrono::Datelike;

use crate::support::{
    Server, TestInstance, VOUCHERS, add_user, login, set_cookie, sign_up, today_plus,
};

/// The form of a rent campaign open from today for five days.
fn campaign_form(title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title.to_owned()),
        ("measure", "rent".to_owned()),
        ("opens_on", today_plus(0)),
        ("closes_on", today_plus(5)),
        ("budget", "1.000,00".to_owned()),
        ("fields", "household_size".to_owned()),
        ("fields", "rent".to_owned()),
        ("base_amounts", "300; 400".to_owned()),
        ("ranking", "household_desc".to_owned()),
        ("review_rules", String::new()),
    ]
}

/// The one-time message of a page, if it has one.
fn message(page: &str) -> Option<&str> {
    let start = page.find("<div class=\"alert alert-success\" role=\"status\">")?;
    let rest = &page[start..];
    let text = &rest[rest.find('>')? + 1..];
    Some(&text[..text.find("</div>")?])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_after_a_form_is_shown_on_the_next_page_once() {
    let instance = TestInstance::new("messaggi", VOUCHERS);
    add_user(&instance, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;
    // The login's own message (the privacy notice accepted) is read and gone.
    let (_, home) = operator.page(&server, "/").await;
    assert!(message(&home).is_some(), "{home}");

    // A title with markup: the message names it, escaped.
    let title = "Affitti <b>2026</b>";
    let form = campaign_form(title);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = operator
        .post_form(&server, "/p/vouchers/campaigns", &fields)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let cookie = set_cookie(&response, "trama_notice").expect("a message waits for the next page");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(
        !cookie.contains("Affitti"),
        "the browser holds a token, not the text: {cookie}"
    );
    let campaign = crate::support::location(&response);

    let (status, page) = operator.page(&server, &campaign).await;
    assert_eq!(status, 200);
    assert_eq!(
        message(&page),
        Some("Campagna «Affitti &lt;b&gt;2026&lt;/b&gt;» creata."),
        "{page}"
    );
    let (_, again) = operator.page(&server, &campaign).await;
    assert_eq!(message(&again), None, "shown once: {again}");

    // A citizen applies: the message names the protocol number, the page keeps the receipt.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (_, welcome) = anna.page(&server, "/").await;
    assert_eq!(
        message(&welcome),
        Some("Account creato: benvenuto, Anna Rossi!"),
        "{welcome}"
    );
    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .year();
    let response = anna
        .post_form(
            &server,
            &format!("{campaign}/apply"),
            &[
                ("tax_code", crate::vouchers::ANNA),
                ("household_size", "3"),
                ("rent", "500"),
                // Confirmed from the summary (the two steps: `vouchers/forms.rs`).
                ("_step", "send"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let application = crate::support::location(&response);
    let (_, page) = anna.page(&server, &application).await;
    let number = format!("{year}/000001");
    assert_eq!(
        message(&page),
        Some(
            format!("Domanda inviata: protocollo {number}. Trovi qui sotto la ricevuta.").as_str()
        ),
        "{page}"
    );
    let (_, again) = anna.page(&server, &application).await;
    assert_eq!(message(&again), None, "{again}");
    assert!(
        again.contains(&format!(
            "<strong class=\"receipt-number\">{number}</strong>"
        )),
        "the receipt stays on the application's page: {again}"
    );

    // A program posting through the API gets its JSON, and no message waits anywhere.
    let body = serde_json::json!({
        "title": "Bollette",
        "measure": "bills",
        "opens_on": today_plus(0),
        "closes_on": today_plus(5),
        "budget": "500,00",
        "fields": ["household_size"],
        "base_amounts": "200",
    });
    let (status, created) = operator
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/campaigns",
            &body,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, page) = operator.page(&server, &campaign).await;
    assert_eq!(message(&page), None, "{page}");
}
