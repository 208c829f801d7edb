//! One household, one award: an application held after a collision takes its household's
//! claims when the office approves it, so a third application listing the same people is held
//! in turn and cannot be approved beside it.

mod common;

use common::{ANNA, BRUNO, ELENA, host};
use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, TestHost};
use vouchers::Vouchers;

/// An application to the rent support template under `tax` for the household `members`
/// (birth date, relation, tax code).
fn file(
    host: &TestHost<Vouchers>,
    path: &str,
    who: &Account,
    tax: &str,
    members: &[(&str, &str, &str)],
) -> Answer {
    let rows: Vec<Json> = members
        .iter()
        .map(|(born, relation, code)| json!({"birth_date": born, "relation": relation, "tax_code": code}))
        .collect();
    host.post(
        Some(who),
        path,
        json!({
            "tax_code": tax, "household": rows, "isee": "12000", "ise": "20000",
            "rent_yearly": "6000", "registered_lease": true,
            "landlord_iban": "IT60X0542811101000000123456",
        }),
    )
}

#[test]
fn an_approved_held_application_holds_its_household_against_a_third() {
    let host = host();
    let operator = host.account("operatrice", &["operator"]);
    let created = host.post(
        Some(&operator),
        "/api/campaigns",
        json!({
            "title": "Contributo affitto 2026",
            "measure": "rent",
            "opens_on": "2026-01-11",
            "closes_on": "2026-01-22",
            "budget": "10.000",
            "template": "contributo-affitto",
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!(
        "/api/campaigns/{}/applications",
        created.body["id"].as_str().expect("id")
    );
    let id = |answer: &Answer| answer.body["id"].as_str().expect("id").to_owned();
    let step = |app: &str, what: &str, body: Json| {
        host.post(
            Some(&operator),
            &format!("/api/applications/{app}/{what}"),
            body,
        )
    };

    // Anna applies with her husband Bruno; Bruno applies too, and is held.
    let anna = host.account("anna", &["citizen"]);
    let first = file(
        &host,
        &path,
        &anna,
        ANNA,
        &[
            ("1985-12-10", "applicant", ""),
            ("1980-01-01", "partner", BRUNO),
        ],
    );
    assert_eq!(first.status, 201, "{}", first.body);
    let bruno = host.account("bruno", &["citizen"]);
    let second = file(
        &host,
        &path,
        &bruno,
        BRUNO,
        &[
            ("1980-01-01", "applicant", ""),
            ("1985-12-10", "partner", ANNA),
        ],
    );
    assert_eq!(second.status, 201, "{}", second.body);
    // The office settles Anna's (rejected: she moved) and approves Bruno's.
    let rejected = step(
        &id(&first),
        "reject",
        json!({"reason": "Residenza trasferita"}),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    let approved = step(&id(&second), "approve", json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);

    // Elena lists Anna in her household: held against Bruno's, now the household's holder,
    // and the office cannot approve it beside his.
    let elena = host.account("elena", &["citizen"]);
    let third = file(
        &host,
        &path,
        &elena,
        ELENA,
        &[
            ("1975-04-12", "applicant", ""),
            ("1985-12-10", "other", ANNA),
        ],
    );
    assert_eq!(third.status, 201, "{}", third.body);
    let seen = host.get(
        Some(&operator),
        &format!("/api/applications/{}", id(&third)),
    );
    assert_eq!(
        seen.body["contested_by"],
        json!(id(&second)),
        "{}",
        seen.body
    );
    let refused = step(&id(&third), "approve", json!({}));
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.message().contains(&id(&second)), "{}", refused.body);
}
