//! A legal representative who logged in with SPID applies to the admissions committee under
//! the fiscal number the login certified: the form shows it instead of asking it, another one
//! typed is refused, and the application names the certified one.

use super::rig::Provider;
use super::{as_mario, identity, serve, through_provider, visit};
use crate::admissions::ADMISSIONS;
use crate::support::{Client, TestInstance, privacy_version};

#[tokio::test]
async fn a_representative_logged_in_with_spid_applies_under_the_certified_number_only() {
    let provider = Provider::start("spid");
    let instance = TestInstance::new(
        "oidc-admissions",
        &format!("{}{ADMISSIONS}", identity(&provider.issuer, true)),
    );
    let server = serve(&instance);
    as_mario(&provider).await;
    let mario = Client::new();
    let callback = through_provider(&mario, &server, "/p/admissions/apply").await;
    assert_eq!(visit(&mario, &callback).await.0, 303);
    let accepted = mario
        .post_form(
            &server,
            "/privacy",
            &[
                ("version", privacy_version()),
                ("next", "/p/admissions/apply"),
            ],
        )
        .await;
    assert_eq!(accepted.status().as_u16(), 303);

    let (status, page, _) = visit(&mario, &server.url("/p/admissions/apply")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("RSSMRA80A01H501U") && page.contains("SPID o CIE"),
        "the certified number is shown: {page}"
    );
    assert!(
        !page.contains(r#"name="representative_tax_code""#),
        "and not asked: {page}"
    );

    let mut fields = vec![
        ("legal_name", "Bottega di Quartiere"),
        ("legal_form", "company"),
        ("tax_code", "01234567897"),
        ("vat_number", "01234567897"),
        ("street", "Piazza Grande 3"),
        ("postcode", "52100"),
        ("city", "Arezzo"),
        ("province", "ar"),
        ("email", "bottega@example.org"),
        ("representative_name", "Mario Rossi"),
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
    // Another representative's code, typed by hand (a form saved before, or a script).
    fields.push(("representative_tax_code", "RSSMRA85T10A562S"));
    let refused = mario
        .post_form(&server, "/p/admissions/apply", &fields)
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.expect("a page");
    assert!(
        page.contains("il legale rappresentante sei tu") && page.contains("RSSMRA80A01H501U"),
        "{page}"
    );

    fields.pop();
    fields.push(("_step", "send"));
    let filed = mario
        .post_form(&server, "/p/admissions/apply", &fields)
        .await;
    assert_eq!(filed.status().as_u16(), 303);
    let location = crate::support::header(&filed, "location");
    let (status, page, _) = visit(&mario, &server.url(&location)).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Mario Rossi") && page.contains("RSSMRA80A01H501U"),
        "the application names the certified representative: {page}"
    );
}
