//! The approved shop enters the register: its entry, the exports, "my applications", the
//! minutes and the decisions (moved from `tests/e2e/admissions/register.rs`), natively against
//! the kernel's store (`trama-testhost`).

use crate::common;

use common::{
    Committee, IN_364_DAYS, SHOP_VAT, TODAY, committee, provider_of_approved, shop_applies,
};
use serde_json::{Value as Json, json};
use trama_sdk::http::{Method, Request};

/// A download's text, checking its content type.
fn csv(committee: &Committee, who: Option<&trama_testhost::Account>, path: &str) -> String {
    let answer = committee.host.get(who, path);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    let (_, kind, bytes) = answer.file.expect("a file");
    assert!(kind.starts_with("text/csv"), "{path}: {kind}");
    String::from_utf8(bytes).expect("UTF-8")
}

/// The shop applies; Anna comments, Bruno asks, the shop answers; Anna and Bruno approve.
fn decided(committee: &Committee) -> (String, String) {
    let host = &committee.host;
    let application = shop_applies(committee);
    let id = application.body["id"].as_str().expect("id").to_owned();
    let packet = application.body["services"][1]["id"]
        .as_str()
        .expect("service")
        .to_owned();
    let path = format!("/api/applications/{id}");
    let steps = [
        (
            &committee.anna,
            format!("{path}/comments"),
            json!({"text": "Conosco la bottega: è un punto di riferimento del quartiere."}),
        ),
        (
            &committee.bruno,
            format!("{path}/request-info"),
            json!({"question": "Il pacco solidale ha un prezzo?"}),
        ),
        (
            &committee.shopkeeper,
            format!("{path}/services/{packet}/withdraw"),
            json!({}),
        ),
        (
            &committee.shopkeeper,
            format!("{path}/answer"),
            json!({"answer": "Lo abbiamo ritirato."}),
        ),
        (
            &committee.anna,
            format!("{path}/vote"),
            json!({"choice": "approve", "reason": "Servizio utile e prezzi chiari"}),
        ),
        (
            &committee.bruno,
            format!("{path}/vote"),
            json!({"choice": "approve", "reason": "Risposta esauriente"}),
        ),
    ];
    for (who, step, body) in steps {
        let done = host.post(Some(who), &step, body);
        assert_eq!(done.status, 200, "{step}: {}", done.body);
    }
    let provider = provider_of_approved(committee, &id);
    (id, provider)
}

#[test]
fn the_register_lists_the_approved_services_for_a_year_publicly_and_in_both_exports() {
    let committee = committee();
    let host = &committee.host;
    let (_, provider_id) = decided(&committee);

    // The approved service only, a year of validity, public.
    let register = host.get(None, "/api/register").assert_status(200);
    let register = register.body;
    assert_eq!(register.as_array().map(Vec::len), Some(1), "{register}");
    let entry = &register[0];
    assert_eq!(entry["id"], provider_id.as_str());
    assert_eq!(entry["legal_name"], "Alimentari Bottega srl");
    assert_eq!(entry["status"], "active");
    assert_eq!(entry["admitted_on"], TODAY);
    assert_eq!(entry["expires_on"], IN_364_DAYS);
    assert_eq!(entry["services"].as_array().map(Vec::len), Some(1));
    assert_eq!(entry["services"][0]["title"], "Spesa a domicilio");

    // The exports open in columns in an Italian spreadsheet: a byte-order mark, `;`, Italian
    // headers; in English, `,` and English headers.
    let italian = csv(&committee, None, "/register.csv");
    assert_eq!(italian.lines().count(), 2, "{italian}");
    assert!(
        italian.starts_with("\u{feff}ID fornitore;Ragione sociale;Forma giuridica;Codice fiscale;"),
        "{italian}"
    );
    assert!(
        italian.contains(&format!(";{SHOP_VAT};{SHOP_VAT};"))
            && italian.contains("Spesa a domicilio"),
        "{italian}"
    );
    // The kernel gives the plugin the reader's language (`?lang=en` over HTTP).
    let english = committee
        .host
        .send(
            None,
            Request::new(Method::Get, "/register.csv").with_locale("en"),
        )
        .assert_status(200);
    let english = String::from_utf8(english.file.expect("a file").2).expect("UTF-8");
    assert!(
        english.starts_with("\u{feff}Provider ID,Legal name,Legal form,Tax code,"),
        "{english}"
    );
    assert!(
        english.contains(&format!(",{SHOP_VAT},{SHOP_VAT},")),
        "{english}"
    );
}

#[test]
fn the_shop_finds_its_application_and_its_entry_among_its_own() {
    let committee = committee();
    let host = &committee.host;
    let (id, provider_id) = decided(&committee);

    let mine = host
        .get(Some(&committee.shopkeeper), "/api/mine")
        .assert_status(200);
    let text = |item: &Json, name: &str| item[name].as_str().unwrap_or_default().to_owned();
    let mut items: Vec<(String, String, String)> = mine
        .body
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (text(i, "title"), text(i, "status"), text(i, "href")))
        .collect();
    items.sort();
    assert_eq!(
        items,
        vec![
            (
                "Domanda di ammissione — Alimentari Bottega srl".to_owned(),
                "Approvata".to_owned(),
                format!("/p/admissions/applications/{id}"),
            ),
            (
                "Iscrizione all'albo — Alimentari Bottega srl".to_owned(),
                format!("Accreditato, valido fino al {IN_364_DAYS}"),
                format!("/p/admissions/register/{provider_id}"),
            ),
        ]
    );
    // A committee member who applied for nothing has nothing there; a stranger must log in.
    assert_eq!(host.get(Some(&committee.anna), "/api/mine").body, json!([]));
    assert_eq!(host.get(None, "/api/mine").status, 401);
}

#[test]
fn the_minutes_record_who_was_entitled_excluded_every_vote_and_the_outcome() {
    let committee = committee();
    let (id, _) = decided(&committee);

    let minutes = csv(
        &committee,
        Some(&committee.anna),
        &format!("/applications/{id}/minutes.csv"),
    );
    assert!(
        minutes.starts_with("\u{feff}Sezione;Membro;Valore;Ora (UTC);Nota\r\n"),
        "{minutes}"
    );
    assert!(
        minutes.contains(
            "excluded;dario;dario;;ha dichiarato un legame con 01234567897 (cugino del titolare)"
        ),
        "{minutes}"
    );
    assert!(minutes.contains("vote;bruno;favorevole;"), "{minutes}");
    assert!(minutes.contains("comment;anna;"), "{minutes}");
    assert!(minutes.contains("answer;bottega;"), "{minutes}");
    assert!(minutes.contains("outcome;;approved;"), "{minutes}");
    let refused = committee.host.get(
        Some(&committee.shopkeeper),
        &format!("/applications/{id}/minutes.csv"),
    );
    assert_eq!(refused.status, 403, "minutes are the committee's");

    let decisions = csv(&committee, Some(&committee.carla), "/decisions.csv");
    assert_eq!(decisions.lines().count(), 2, "{decisions}");
    assert!(
        decisions.starts_with("\u{feff}Decisa il (UTC);Caso;ID caso;Soggetto;Tipo;Esito;"),
        "{decisions}"
    );
    assert!(
        decisions.contains(&format!(";application;{id};Alimentari Bottega srl;")),
        "{decisions}"
    );
}
