//! The plugin's pages work without JavaScript and show what to fix.

use super::ANNA;
use crate::support::VOUCHERS;
use crate::support::{Server, TestInstance, add_user, login, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn forms_work_without_javascript_and_show_what_to_fix() {
    let instance = TestInstance::new("vouchers-forms", VOUCHERS);
    add_user(&instance, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;
    let response = operator
        .post_form(
            &server,
            "/p/vouchers/campaigns",
            &[
                ("title", "Affitti"),
                ("measure", "rent"),
                ("opens_on", &today_plus(0)),
                ("closes_on", &today_plus(5)),
                ("budget", "abc"),
                ("fields", "household_size"),
                ("base_amounts", "300"),
                ("review_rules", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("«abc» non è un importo in euro"), "{page}");
    assert!(
        page.contains("value=\"Affitti\""),
        "the typed title is kept: {page}"
    );

    let response = operator
        .post_form(
            &server,
            "/p/vouchers/campaigns",
            &[
                ("title", "Affitti"),
                ("measure", "rent"),
                ("opens_on", &today_plus(0)),
                ("closes_on", &today_plus(5)),
                ("budget", "1.000,00"),
                ("fields", "household_size"),
                ("fields", "rent"),
                ("base_amounts", "300; 400"),
                ("ranking", "household_desc"),
                ("ranking", ""),
                ("review_rules", "rent > 800"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = crate::support::location(&response);
    assert!(location.starts_with("/p/vouchers/campaigns/"), "{location}");

    let citizen = sign_up(&server, "mario", "Mario Rossi").await;
    let response = citizen
        .post_form(
            &server,
            &format!("{location}/apply"),
            &[
                ("tax_code", "RSSMRA85T10A562T"),
                ("household_size", "3"),
                ("rent", "900"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("il carattere di controllo non corrisponde"),
        "{page}"
    );
    // Right answers are shown back as a summary to check before anything is stored: in
    // words, with "Conferma e invia" and "Modifica le risposte", what was typed carried along.
    let answers = [
        ("tax_code", ANNA),
        ("household_size", "3"),
        ("rent", "900,00"),
    ];
    let response = citizen
        .post_form(&server, &format!("{location}/apply"), &answers)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let summary = response.text().await.expect("page");
    assert!(
        summary.contains("Controlla la domanda prima di inviarla")
            && summary.contains(&format!("<dd>{ANNA}</dd>"))
            && summary.contains("<input type=\"hidden\" name=\"rent\" value=\"900,00\">")
            && summary.contains("aria-current=\"step\"")
            && summary.contains("value=\"send\">Conferma e invia</button>"),
        "{summary}"
    );
    let (_, mine) = citizen
        .get_json(&server, "/p/vouchers/api/my-applications")
        .await;
    assert_eq!(mine, serde_json::json!([]), "nothing stored yet");
    // "Modifica" brings the form back as it was filled.
    let mut editing = answers.to_vec();
    editing.push(("_step", "edit"));
    let response = citizen
        .post_form(&server, &format!("{location}/apply"), &editing)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let form = response.text().await.expect("page");
    assert!(
        form.contains("value=\"900,00\"") && form.contains("Continua: controlla la domanda"),
        "{form}"
    );
    let mut sending = answers.to_vec();
    sending.push(("_step", "send"));
    let response = citizen
        .post_form(&server, &format!("{location}/apply"), &sending)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let application = crate::support::location(&response);
    let (status, page) = citizen.page(&server, &application).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("In istruttoria"),
        "rent above 800 goes to review: {page}"
    );
    let (status, page) = operator.page(&server, &application).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("/request-info"),
        "the operator sees the review forms: {page}"
    );
    // Rejecting is a second, deliberate step: the form waits inside a closed disclosure named
    // for the action, its button saying what it confirms.
    let confirm = |page: &str| {
        let opening = page
            .find("<details class=\"confirm\"")
            .expect("a disclosure");
        let form = page.find(&format!("action=\"{application}/reject\""));
        let closing = page[opening..].find("</details>").map(|at| opening + at);
        assert!(
            matches!((form, closing), (Some(form), Some(closing)) if opening < form && form < closing),
            "the rejection form inside the disclosure: {page}"
        );
        page[opening..].starts_with("<details class=\"confirm\" open>")
    };
    assert!(!confirm(&page), "closed at first");
    assert!(page.contains("Conferma il rigetto"), "{page}");
    let response = operator
        .post_form(&server, &format!("{application}/reject"), &[("reason", "")])
        .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "a rejection needs a reason"
    );
    let page = response.text().await.expect("page");
    assert!(confirm(&page), "open again where the reason is missing");
    let response = operator
        .post_form(
            &server,
            &format!("{application}/reject"),
            &[("reason", "Contratto non registrato")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = citizen.page(&server, &application).await;
    assert!(page.contains("Contratto non registrato"), "{page}");
}
