//! A campaign written as a rulebook, through the real server's pages without JavaScript: the
//! operator creates it from a shipped template and tries it in the simulator, a citizen
//! applies with the household row by row and reads how the amount was worked out. The rules
//! themselves are the plugin's native tests (`plugins/vouchers/src/rulebook/tests.rs`,
//! `plugins/vouchers/tests/rulebooks.rs`).

use super::ANNA;
use crate::support::VOUCHERS;
use crate::support::{Server, TestInstance, add_user, login, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn a_rulebook_campaign_is_created_tried_and_applied_to_through_its_pages() {
    let instance = TestInstance::new("vouchers-rulebooks", VOUCHERS);
    add_user(&instance, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;

    let (status, page) = operator
        .page(&server, "/p/vouchers/campaigns/new-rulebook")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Bonus nido"),
        "the templates are offered: {page}"
    );

    // The simulator, before anything is published: two children under 3, ISEE 24,000 €.
    let (status, page) = operator
        .page(&server, "/p/vouchers/simulate?template=bonus-nido")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("name=\"household_1_birth_date\""), "{page}");
    let born = |years: i64| today_plus(-365 * years - 30);
    let (one, two) = (born(1), born(2));
    let response = operator
        .post_form(
            &server,
            "/p/vouchers/simulate",
            &[
                ("template", "bonus-nido"),
                ("run", "1"),
                ("household_1_birth_date", "1990-04-02"),
                ("household_1_relation", "applicant"),
                ("household_2_birth_date", &one),
                ("household_2_relation", "child"),
                ("household_3_birth_date", &two),
                ("household_3_relation", "child"),
                ("isee", "24.000"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.expect("page");
    assert!(page.contains("6.000,00 €"), "2 × 3,000 €: {page}");
    assert!(page.contains("Figli sotto i 3 anni"), "the steps: {page}");

    // Created from the template through the form.
    let response = operator
        .post_form(
            &server,
            "/p/vouchers/campaigns",
            &[
                ("title", "Bonus nido 2027"),
                ("measure", "bills"),
                ("opens_on", &today_plus(0)),
                ("closes_on", &today_plus(20)),
                ("budget", "30.000"),
                ("denominations", ""),
                ("template", "bonus-nido"),
                ("rulebook", ""),
            ],
        )
        .await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{:?}",
        response.text().await
    );
    let campaign = crate::support::location(&response);

    // A citizen applies on the page: a mistyped date comes back next to its row, what was
    // typed kept; then the application goes through.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, page) = anna.page(&server, &campaign).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Requisito: Nel nucleo c&#x27;è almeno un figlio sotto i 3 anni")
            || page.contains("Requisito: Nel nucleo c'è almeno un figlio sotto i 3 anni"),
        "the rules are published: {page}"
    );
    let apply = format!("{campaign}/apply");
    let mut form = [
        ("tax_code", ANNA.to_owned()),
        ("household_1_birth_date", "1985-12-10".to_owned()),
        ("household_1_relation", "applicant".to_owned()),
        ("household_2_birth_date", "31/02/2026".to_owned()),
        ("household_2_relation", "child".to_owned()),
        ("isee", "18.500,00".to_owned()),
    ];
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = anna.post_form(&server, &apply, &pairs).await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("«31/02/2026» non è una data"), "{page}");
    assert!(page.contains("value=\"18.500,00\""), "kept: {page}");
    form[3].1 = one.clone();
    let mut pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Confirmed from the summary at once (the summary itself: `forms.rs`).
    pairs.push(("_step", "send"));
    let response = anna.post_form(&server, &apply, &pairs).await;
    assert_eq!(response.status().as_u16(), 303);
    let application = crate::support::location(&response);
    let (status, page) = anna.page(&server, &application).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("3.000,00 €"), "one child, first band: {page}");
    assert!(page.contains("Come è stato calcolato"), "{page}");

    // The operator downloads the rulebook to share it.
    let id = campaign.rsplit('/').next().expect("id");
    let (status, text) = operator
        .page(
            &server,
            &format!("/p/vouchers/campaigns/{id}/rulebook.toml"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(text.contains("band('nido', isee)"), "{text}");
}
