//! The forms work without JavaScript and show what to fix.

use super::{ADMISSIONS, MARIO, SHOP_VAT};
use crate::support::{Server, TestInstance, add_user, login, sign_up};

#[tokio::test(flavor = "multi_thread")]
async fn forms_work_without_javascript_and_show_what_to_fix() {
    let instance = TestInstance::new("admissions-forms", ADMISSIONS);
    add_user(&instance, "anna", "committee");
    add_user(&instance, "bruno", "committee");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;
    let bruno = login(&server, "bruno").await;
    for member in [&anna, &bruno] {
        member.page(&server, "/p/admissions/committee").await;
    }
    let applicant = sign_up(&server, "negozio", "Negozio di Quartiere").await;
    let fields = [
        ("legal_name", "Bottega di Quartiere"),
        ("legal_form", "company"),
        ("tax_code", SHOP_VAT),
        ("vat_number", "0123456789"),
        ("street", "Piazza Grande 3"),
        ("postcode", "52100"),
        ("city", "Arezzo"),
        ("province", "ar"),
        ("email", "bottega@example.org"),
        ("representative_name", "Mario Rossi"),
        ("representative_tax_code", MARIO),
        ("categories", "alimentari"),
        ("service_1_title", "Consegna"),
        ("service_1_category", "alimentari"),
        (
            "service_1_description",
            "Consegna a domicilio gratuita sopra i 20 euro",
        ),
        ("declarations", "1"),
        ("declarations", "2"),
        ("ethics_version", "2025-1"),
        ("accept_ethics", "yes"),
    ];
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &fields)
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("una partita IVA ha 11 cifre"), "{page}");
    assert!(
        page.contains("value=\"Bottega di Quartiere\""),
        "what was typed is kept: {page}"
    );
    assert!(
        page.contains("Consegna a domicilio gratuita"),
        "the service rows are kept: {page}"
    );

    let mut fixed = fields.to_vec();
    fixed.retain(|(k, _)| *k != "vat_number");
    fixed.push(("vat_number", SHOP_VAT));
    // Right, the answers come back as a summary to check; nothing is stored yet.
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &fixed)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let summary = response.text().await.expect("page");
    assert!(
        summary.contains("Controlla la domanda prima di inviarla")
            && summary.contains("<dd>Bottega di Quartiere</dd>")
            && summary.contains(&format!("<dd>{SHOP_VAT}</dd>"))
            && summary.contains("Consegna (alimentari): Consegna a domicilio gratuita")
            && summary.contains("<dd>Tutte sottoscritte (2)</dd>")
            && summary.contains("aria-current=\"step\"")
            && summary.contains("name=\"service_1_title\" value=\"Consegna\""),
        "{summary}"
    );
    let (_, mine) = applicant.get_json(&server, "/p/admissions/api/mine").await;
    assert_eq!(
        mine.as_array().map(Vec::len),
        Some(0),
        "stored before sending: {mine}"
    );
    // "Modifica" brings the form back filled in.
    let mut edit = fixed.clone();
    edit.push(("_step", "edit"));
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &edit)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let form = response.text().await.expect("page");
    assert!(
        form.contains("value=\"Bottega di Quartiere\"")
            && form.contains(">Consegna a domicilio gratuita"),
        "{form}"
    );
    fixed.push(("_step", "send"));
    let response = applicant
        .post_form(&server, "/p/admissions/apply", &fixed)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = crate::support::location(&response);
    assert!(
        location.starts_with("/p/admissions/applications/"),
        "{location}"
    );
    let (status, page) = applicant.page(&server, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("In esame, votazione aperta"), "{page}");

    // The committee sees the vote form; a vote against without a motivation is shown again.
    let (_, page) = anna.page(&server, &location).await;
    assert!(page.contains(&format!("{location}/vote")), "{page}");
    let response = anna
        .post_form(
            &server,
            &format!("{location}/vote"),
            &[("choice", "reject")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("un voto contrario va motivato"), "{page}");
    for member in [&anna, &bruno] {
        let response = member
            .post_form(
                &server,
                &format!("{location}/vote"),
                &[("choice", "reject"), ("reason", "Catalogo troppo generico")],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
    }
    let (_, page) = applicant.page(&server, &location).await;
    assert!(
        page.contains("Respinta") && page.contains("Catalogo troppo generico"),
        "{page}"
    );
}
