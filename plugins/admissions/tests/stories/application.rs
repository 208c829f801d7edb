//! A shop applies; the committee comments, asks for information, refuses a conflicted member's
//! vote and decides (moved from `tests/e2e/admissions/application.rs`), natively against the
//! kernel's store, accounts and outbox (`trama-testhost`).

use crate::common;

use common::{GIULIA, MARIO, SHOP_VAT, assert_told, host_with, settings, shop};
use serde_json::json;

#[test]
fn every_holder_of_the_role_is_on_the_roster_and_a_declared_link_is_checked() {
    let host = host_with(settings());
    let [anna, bruno, carla, dario] =
        ["anna", "bruno", "carla", "dario"].map(|member| host.account(member, &["committee"]));
    let shopkeeper = host.account("bottega", &["merchant"]);

    // Every holder of the `committee` role is on the roster, whether or not they have opened
    // the committee page yet: the quorum is a share of all of them.
    host.page(Some(&anna), "/committee");
    let committee = host.get(Some(&anna), "/api/committee").assert_status(200);
    let roster = committee.body["roster"].as_array().expect("roster");
    assert_eq!(roster.len(), 4, "{}", committee.body);
    assert_eq!(
        roster.iter().filter(|m| m["joined"].is_null()).count(),
        3,
        "three members have not opened the page yet: {}",
        committee.body
    );
    for member in [&bruno, &carla, &dario] {
        assert_eq!(host.page(Some(member), "/committee").status, 200);
    }
    let committee = host.get(Some(&anna), "/api/committee");
    assert!(
        committee.body["roster"]
            .as_array()
            .expect("roster")
            .iter()
            .all(|m| !m["joined"].is_null()),
        "{}",
        committee.body
    );

    // A link must name a valid identifier.
    let profile = host.post(
        Some(&dario),
        "/api/committee/profile",
        json!({"links": [format!("IT{SHOP_VAT} cugino del titolare"), "12345 sbagliato"]}),
    );
    assert_eq!(
        (profile.status, profile.problem_fields()),
        (422, vec!["links"]),
        "{}",
        profile.body
    );
    let profile = host.post(
        Some(&dario),
        "/api/committee/profile",
        json!({"links": [format!("IT{SHOP_VAT} cugino del titolare")]}),
    );
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["links"][0]["identifier"], SHOP_VAT);
    let committee = host.get(Some(&anna), "/api/committee");
    assert_eq!(committee.body["roster"].as_array().map(Vec::len), Some(4));
    // Someone without the role is not on the committee.
    assert_eq!(host.get(Some(&shopkeeper), "/api/committee").status, 403);
}

#[test]
fn wrong_identifiers_and_an_outdated_ethics_code_are_refused_and_named() {
    let committee = common::committee();
    let host = &committee.host;

    // The form shows the ethics code's version.
    let form = host
        .page(Some(&committee.shopkeeper), "/apply")
        .assert_status(200);
    assert!(form.body.to_string().contains("2025-1"), "{}", form.body);

    let mut wrong = shop("Alimentari Bottega srl", "01234567890", "RSSMRA85T10A562T");
    wrong["ethics_version"] = json!("2024-1");
    wrong["declarations"] = json!([1]);
    let refused = host
        .post(Some(&committee.shopkeeper), "/api/applications", wrong)
        .assert_status(422);
    let fields = refused.problem_fields();
    for field in [
        "tax_code",
        "vat_number",
        "representative_tax_code",
        "declarations",
        "ethics_version",
    ] {
        assert!(
            fields.contains(&field),
            "{field} not named in {}",
            refused.body
        );
    }
}

#[test]
fn the_committee_comments_asks_refuses_a_conflicted_vote_and_decides_at_the_quorum() {
    let committee = common::committee();
    let host = &committee.host;
    let [anna, bruno, carla, dario] = committee.members();
    let shopkeeper = &committee.shopkeeper;

    let application = host
        .post(
            Some(shopkeeper),
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
        )
        .assert_status(201);
    let application = application.body;
    assert_eq!(application["status"], "voting");
    assert_eq!(application["kind"], "admission");
    assert!(
        application["committee"].is_null(),
        "the applicant sees no committee data"
    );
    let id = application["id"].as_str().expect("id").to_owned();
    let packet = application["services"][1]["id"]
        .as_str()
        .expect("service id")
        .to_owned();
    // One application at a time per organisation.
    host.post(
        Some(shopkeeper),
        "/api/applications",
        shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
    )
    .assert_status(409);
    // Members are told of the new application.
    assert_told(host, anna, "Nuova domanda da esaminare");

    // Nobody else sees it; the committee does, with Dario excluded for his declared link.
    let citizen = host.account("cittadina", &["citizen"]);
    let path = format!("/api/applications/{id}");
    assert_eq!(host.get(Some(&citizen), &path).status, 404);
    let seen = host.get(Some(anna), &path).assert_status(200);
    assert_eq!(seen.body["committee"]["electorate"], 3);
    assert_eq!(seen.body["committee"]["quorum"], 2);
    assert_eq!(seen.body["committee"]["excluded"][0]["name"], "dario");

    // A comment stays within the committee; a conflicted member may not comment.
    let commented = host
        .post(
            Some(anna),
            &format!("{path}/comments"),
            json!({"text": "Conosco la bottega: è un punto di riferimento del quartiere."}),
        )
        .assert_status(200);
    assert_eq!(
        commented.body["committee"]["comments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let mine = host.get(Some(shopkeeper), &path).body;
    assert!(mine["committee"].is_null() && !mine.to_string().contains("punto di riferimento"));
    host.post(
        Some(dario),
        &format!("{path}/comments"),
        json!({"text": "Ottimi cugini"}),
    )
    .assert_status(403);

    // A request for information suspends the vote until the applicant answers.
    host.post(
        Some(bruno),
        &format!("{path}/request-info"),
        json!({"question": "Il pacco solidale ha un prezzo? Indicatelo o ritiratelo dal catalogo."}),
    ).assert_state(200, "info_requested");
    host.post(
        Some(anna),
        &format!("{path}/vote"),
        json!({"choice": "approve"}),
    )
    .assert_status(409);
    let mine = host.get(Some(shopkeeper), "/api/my-applications");
    assert_eq!(
        mine.body[0]["pending_question"],
        "Il pacco solidale ha un prezzo? Indicatelo o ritiratelo dal catalogo."
    );
    assert_told(host, shopkeeper, "chiede un'integrazione");
    // Only the applicant answers.
    assert_eq!(
        host.post(
            Some(anna),
            &format!("{path}/answer"),
            json!({"answer": "io"})
        )
        .status,
        403
    );
    let withdrawn = host
        .post(
            Some(shopkeeper),
            &format!("{path}/services/{packet}/withdraw"),
            json!({}),
        )
        .assert_status(200);
    assert_eq!(withdrawn.body["services"][1]["withdrawn"], true);
    host.post(
        Some(shopkeeper),
        &format!("{path}/answer"),
        json!({"answer": "Lo abbiamo ritirato: per ora offriamo solo la spesa a domicilio."}),
    )
    .assert_state(200, "voting");

    // The conflicted member's vote is refused, saying why.
    let refused = host
        .post(
            Some(dario),
            &format!("{path}/vote"),
            json!({"choice": "approve"}),
        )
        .assert_status(403);
    assert!(
        refused.message().contains("conflitto di interessi"),
        "{}",
        refused.body
    );
    assert!(refused.message().contains(SHOP_VAT), "{}", refused.body);
    // … and while the application is open he does not follow the committee's work on it.
    let seen = host.get(Some(dario), &path).assert_status(200);
    assert!(seen.body["committee"].is_null(), "{}", seen.body);
    assert_eq!(
        host.get(Some(dario), &format!("/applications/{id}/minutes.csv"))
            .status,
        403
    );

    // One vote in favour is below the quorum of 2: nothing is decided yet.
    let voted = host
        .post(
            Some(anna),
            &format!("{path}/vote"),
            json!({"choice": "approve", "reason": "Servizio utile e prezzi chiari"}),
        )
        .assert_state(200, "voting");
    assert_eq!(voted.body["committee"]["count"]["approve"], 1);
    // A vote against needs a motivation.
    let refused = host.post(
        Some(carla),
        &format!("{path}/vote"),
        json!({"choice": "reject"}),
    );
    assert_eq!(
        (refused.status, refused.problem_fields()),
        (422, vec!["reason"])
    );
    assert!(host.published().is_empty(), "{:?}", host.published());
    // The second vote in favour meets the quorum and Carla could no longer change the result.
    let decided = host
        .post(
            Some(bruno),
            &format!("{path}/vote"),
            json!({"choice": "approve", "reason": "Risposta esauriente"}),
        )
        .assert_status(200);
    assert_eq!(decided.body["status"], "approved", "{}", decided.body);
    assert_eq!(decided.body["decision"]["closed_by"], "votes");
    assert_eq!(
        decided.body["decision"]["reasons"],
        json!(["Servizio utile e prezzi chiari", "Risposta esauriente"])
    );
    host.post(
        Some(carla),
        &format!("{path}/vote"),
        json!({"choice": "reject", "reason": "tardi"}),
    )
    .assert_status(409);

    // The applicant is told, and the network learns of an accredited provider.
    assert_told(host, shopkeeper, "Domanda approvata");
    let published = host.published();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].name, "admissions.provider_accredited");
    assert_eq!(
        published[0].payload["provider_id"], decided.body["provider_id"],
        "{published:?}"
    );
}

#[test]
fn a_representative_logged_in_with_spid_applies_under_the_certified_fiscal_number_only() {
    let host = host_with(settings());
    let shopkeeper = host.account("bottega", &["merchant"]);
    host.bind_fiscal_number(&shopkeeper, &format!("TINIT-{MARIO}"));

    // The form shows the certified number instead of asking it.
    let form = host.page(Some(&shopkeeper), "/apply").assert_status(200);
    assert_eq!(form.body["certified_tax_code"], MARIO, "{}", form.body);

    // Another representative's number is refused, saying which number counts and why.
    let refused = host
        .post(
            Some(&shopkeeper),
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, GIULIA),
        )
        .assert_status(422);
    assert_eq!(refused.problem_fields(), vec!["representative_tax_code"]);
    let said = refused.body.to_string();
    assert!(said.contains(MARIO) && said.contains("SPID"), "{said}");

    // Nothing typed: the application names the certified number.
    let mut own = shop("Alimentari Bottega srl", SHOP_VAT, MARIO);
    own.as_object_mut()
        .expect("an object")
        .remove("representative_tax_code");
    let filed = host
        .post(Some(&shopkeeper), "/api/applications", own)
        .assert_status(201);
    assert_eq!(filed.body["org"]["representative_tax_code"], MARIO);

    // Someone who logged in with a password is still asked for the number.
    let other = host.account("emporio", &["merchant"]);
    let form = host.page(Some(&other), "/apply");
    assert!(form.body["certified_tax_code"].is_null(), "{}", form.body);
}
