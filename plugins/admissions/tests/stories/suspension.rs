//! The committee suspends an accredited shop and rejects an association, which may not apply
//! again before 180 days (moved from `tests/e2e/admissions/suspension.rs`), natively against
//! the kernel's store, accounts and events (`trama-testhost`).

use crate::common;

use common::{IN_180_DAYS, approved, association, committee};
use serde_json::json;

#[test]
fn a_motion_heard_and_carried_suspends_the_shop_and_tells_the_network() {
    let committee = committee();
    let host = &committee.host;
    let (_, provider_id) = approved(&committee);

    let motion = host
        .post(
            Some(&committee.anna),
            &format!("/api/register/{provider_id}/motions"),
            json!({"kind": "suspend", "reason": "Segnalazioni ripetute di prezzi non esposti"}),
        )
        .assert_status(201);
    let motion_id = motion.body["id"].as_str().expect("motion").to_owned();
    // Dario is conflicted on the proceeding too.
    host.post(
        Some(&committee.dario),
        &format!("/api/motions/{motion_id}/vote"),
        json!({"choice": "reject", "reason": "Li conosco, sono corretti"}),
    )
    .assert_status(403);
    // The shop states its case.
    host.post(
        Some(&committee.shopkeeper),
        &format!("/api/motions/{motion_id}/statement"),
        json!({"text": "I cartellini sono stati esposti da lunedì."}),
    )
    .assert_status(200);
    for member in [&committee.anna, &committee.carla] {
        host.post(
            Some(member),
            &format!("/api/motions/{motion_id}/vote"),
            json!({"choice": "approve", "reason": "Verifica del comitato in corso"}),
        )
        .assert_status(200);
    }
    let motion = host.get(Some(&committee.anna), &format!("/api/motions/{motion_id}"));
    assert_eq!(motion.body["status"], "approved", "{}", motion.body);

    // The shop leaves the public register, and is listed among the suspended.
    let entry = host.get(None, &format!("/api/register/{provider_id}"));
    assert_eq!(entry.body["status"], "suspended", "{}", entry.body);
    let register = host.get(None, "/api/register");
    assert_eq!(
        register.body.as_array().map(Vec::len),
        Some(0),
        "{}",
        register.body
    );
    let suspended = host.get(None, "/api/register?status=suspended");
    assert_eq!(
        suspended.body.as_array().map(Vec::len),
        Some(1),
        "{}",
        suspended.body
    );
    let mine = host.get(Some(&committee.shopkeeper), "/api/mine");
    assert!(
        mine.body
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["status"]
                .as_str()
                .is_some_and(|s| s.starts_with("Sospeso"))),
        "the shop sees its suspension: {}",
        mine.body
    );
    // The network is told, so that the vouchers plugin stops the merchant.
    let names: Vec<String> = host.published().into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        vec![
            "admissions.provider_accredited",
            "admissions.provider_suspended"
        ]
    );
    let suspended = &host.published()[1].payload;
    assert_eq!(
        suspended["provider_id"],
        provider_id.as_str(),
        "{suspended}"
    );

    // The minutes of the proceeding.
    let minutes = host
        .get(
            Some(&committee.bruno),
            &format!("/motions/{motion_id}/minutes.csv"),
        )
        .assert_status(200);
    let minutes = String::from_utf8(minutes.file.expect("a file").2).expect("UTF-8");
    assert!(
        minutes.contains("statement;bottega;") && minutes.contains("outcome;;approved;"),
        "{minutes}"
    );
}

#[test]
fn an_association_is_rejected_with_reasons_and_may_not_apply_again_for_180_days() {
    let committee = committee();
    let host = &committee.host;
    let coop = host.account("coop", &["citizen"]);
    let aps = association();
    let application = host
        .post(Some(&coop), "/api/applications", aps.clone())
        .assert_status(201);
    let aps_id = application.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/applications/{aps_id}");

    // Four members, quorum 3: one vote against decides nothing yet.
    host.post(
        Some(&committee.anna),
        &format!("{path}/vote"),
        json!({"choice": "reject", "reason": "Nessun educatore qualificato indicato"}),
    )
    .assert_state(200, "voting");
    // Carla declares a link the roster could not know: three entitled, quorum 2.
    host.post(
        Some(&committee.carla),
        &format!("{path}/conflict"),
        json!({"note": "Sono volontaria dell'associazione"}),
    )
    .assert_status(200);
    let seen = host.get(Some(&committee.anna), &path);
    assert_eq!(seen.body["committee"]["electorate"], 3, "{}", seen.body);
    assert_eq!(seen.body["committee"]["quorum"], 2, "{}", seen.body);
    host.post(
        Some(&committee.carla),
        &format!("{path}/vote"),
        json!({"choice": "approve"}),
    )
    .assert_status(403);
    // A second vote against meets the quorum, and Dario alone could not change the result.
    let rejected = host
        .post(
            Some(&committee.bruno),
            &format!("{path}/vote"),
            json!({"choice": "reject", "reason": "Manca l'assicurazione dei volontari"}),
        )
        .assert_status(200);
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.body);
    let minutes = host.get(
        Some(&committee.carla),
        &format!("/applications/{aps_id}/minutes.csv"),
    );
    let minutes = String::from_utf8(minutes.file.expect("a file").2).expect("UTF-8");
    assert!(
        minutes.contains("declared_conflict;carla;;") && minutes.contains("Sono volontaria"),
        "{minutes}"
    );
    let seen = host.get(Some(&coop), &path);
    assert_eq!(
        seen.body["decision"]["reasons"],
        json!([
            "Nessun educatore qualificato indicato",
            "Manca l'assicurazione dei volontari"
        ])
    );
    assert!(
        seen.body["reapply_from_iso"]
            .as_str()
            .is_some_and(|d| d.starts_with(IN_180_DAYS)),
        "{}",
        seen.body
    );
    assert!(host.published().is_empty(), "a rejection accredits no one");
    let again = host
        .post(Some(&coop), "/api/applications", aps.clone())
        .assert_status(422);
    assert!(again.message().contains("180 giorni"), "{}", again.body);

    // After the 180 days it may.
    host.advance(std::time::Duration::from_secs(181 * 24 * 3600));
    host.post(Some(&coop), "/api/applications", aps)
        .assert_status(201);
}
