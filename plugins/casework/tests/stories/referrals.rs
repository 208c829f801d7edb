//! Referrals: the care manager refers the person of a case to a vouchers campaign, tutoring or
//! an outside body, and the referral follows the person's application and its decision, or a
//! booking, through the events vouchers and tutoring publish — each event once, however often
//! it is delivered — while an outside body's outcome is recorded by hand.

use casework::Casework;
use serde_json::{Value as Json, json};
use trama_contracts::person;
use trama_contracts::tutoring::LessonBooked;
use trama_contracts::vouchers::{ApplicationDecided, Decision};
use trama_testhost::{Account, TestHost};

use crate::common;

use common::{CODE, OTHER, host, mario, open_case, publish_campaign, staff, submitted};

fn decided(campaign: &str, application: &str, code: &str, decision: Decision, at: i64) -> Json {
    serde_json::to_value(ApplicationDecided {
        campaign_id: campaign.to_owned(),
        application_id: application.to_owned(),
        person: person::key(code),
        decision,
        decided_at: at,
    })
    .expect("json")
}

/// Vouchers' `decision`, taken now, on Mario's application `food-1-abc` to campaign `food-1`.
fn decided_now(host: &TestHost<Casework>, decision: Decision) -> Json {
    decided("food-1", "food-1-abc", CODE, decision, host.now_ms())
}

/// Vouchers delivers `decision` as its event `event`: the same `event` twice is a redelivery.
fn deliver_decision(host: &TestHost<Casework>, event: &str, decision: &Json) {
    host.deliver_with_id(event, "vouchers.application_decided", "vouchers", decision)
        .expect("delivered");
}

fn refer(host: &TestHost<Casework>, who: &Account, case: &str, body: Json) -> String {
    let answer = host
        .post(Some(who), &format!("/api/cases/{case}/referrals"), body)
        .assert_status(201);
    answer.body["id"].as_str().expect("an id").to_owned()
}

fn referrals(host: &TestHost<Casework>, who: &Account, case: &str) -> Vec<Json> {
    let file = host
        .get(Some(who), &format!("/api/cases/{case}"))
        .assert_status(200);
    file.body["referrals"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn states(host: &TestHost<Casework>, who: &Account, case: &str) -> Vec<String> {
    referrals(host, who, case)
        .iter()
        .map(|r| r["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_referral_to_a_campaign_follows_the_application_to_its_decision_each_event_once() {
    let host = host();
    let carla = host.person("carla", "Carla Bianchi", &["care_manager"]);
    let case = open_case(&host, &carla, "Mario Rossi", CODE, json!({}));
    let other = open_case(&host, &carla, "Giuseppe Verdi", OTHER, json!({}));
    publish_campaign(&host, "food-1", 1, "Buoni spesa inverno", Some(1_500_000));

    let id = refer(
        &host,
        &carla,
        &case,
        json!({ "service": "vouchers", "campaign": "food-1", "reason": "Spesa alimentare difficile" }),
    );
    refer(
        &host,
        &carla,
        &other,
        json!({ "service": "vouchers", "campaign": "food-1", "reason": "x" }),
    );
    let listed = referrals(&host, &carla, &case);
    assert_eq!(listed[0]["state"], "referred");
    assert_eq!(listed[0]["target"], "Buoni spesa inverno");
    assert_eq!(
        listed[0]["steps"][0]["when"], "01/12/2026 10:00",
        "Rome's time, Italian date"
    );
    assert!(host.audited(&case).contains(&"case.referred".to_owned()));

    // The person applies: the same event delivered twice moves the referral once.
    host.advance(std::time::Duration::from_secs(3600));
    let filed = submitted("food-1", "food-1-abc", CODE, host.now_ms());
    for _ in 0..2 {
        host.deliver_with_id("ev-1", "vouchers.application_submitted", "vouchers", &filed)
            .expect("delivered");
    }
    let listed = referrals(&host, &carla, &case);
    assert_eq!(listed[0]["state"], "applied");
    assert_eq!(listed[0]["steps"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed[0]["steps"][1]["when"], "01/12/2026 11:00");
    // Somebody else's application, or one to another campaign, moves nothing here.
    host.deliver(
        "vouchers.application_submitted",
        "vouchers",
        &submitted("food-2", "x", CODE, 1),
    )
    .expect("delivered");
    assert_eq!(states(&host, &carla, &other), ["referred"]);

    // Not funded at the closing, funded later when budget came back; a refusal after that is
    // no step back, and a redelivery of the first decision adds nothing.
    let not_funded = decided_now(&host, Decision::NotFunded);
    deliver_decision(&host, "ev-2", &not_funded);
    assert_eq!(states(&host, &carla, &case), ["not_funded"]);
    let granted = decided_now(&host, Decision::Granted);
    deliver_decision(&host, "ev-3", &granted);
    deliver_decision(&host, "ev-2", &not_funded);
    let refused = decided_now(&host, Decision::Refused);
    host.deliver("vouchers.application_decided", "vouchers", &refused)
        .expect("delivered");
    let listed = referrals(&host, &carla, &case);
    assert_eq!(listed[0]["state"], "granted");
    assert_eq!(listed[0]["steps"].as_array().map(Vec::len), Some(4));
    assert_eq!(listed[0]["id"], id);
    let moved = host
        .audited(&case)
        .iter()
        .filter(|a| *a == "case.referral_moved")
        .count();
    assert_eq!(moved, 3);

    // The other person's application refused at once by the automatic checks.
    host.deliver(
        "vouchers.application_submitted",
        "vouchers",
        &submitted("food-1", "food-1-x", OTHER, 1),
    )
    .expect("delivered");
    host.deliver(
        "vouchers.application_decided",
        "vouchers",
        &decided("food-1", "food-1-x", OTHER, Decision::Refused, 2),
    )
    .expect("delivered");
    assert_eq!(states(&host, &carla, &other), ["refused"]);

    // The page shows the referrals with their state in Italian.
    let page = host
        .page(Some(&carla), &format!("/cases/{case}"))
        .assert_status(200);
    assert_eq!(page.body["referrals"][0]["state_label"], "accolta");
}

#[test]
fn a_tutoring_referral_starts_when_the_parent_books_and_an_outside_one_by_hand() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let case = open_case(&host, &carla, "Mario Rossi", CODE, json!({}));
    let tutoring = refer(
        &host,
        &carla,
        &case,
        json!({ "service": "tutoring", "reason": "Compiti" }),
    );
    host.advance(std::time::Duration::from_secs(60));
    let outside = refer(
        &host,
        &carla,
        &case,
        json!({ "service": "outside", "name": "Caritas San Rocco", "contact": "0471 123456", "reason": "Vestiti" }),
    );
    let booked = |person: Option<String>| {
        serde_json::to_value(LessonBooked {
            booking_id: "b1".into(),
            lesson_id: "l1".into(),
            child_id: "c1".into(),
            family_id: "f1".into(),
            tutor_id: "t1".into(),
            space_id: "s1".into(),
            subject: "Matematica".into(),
            level: "Primaria".into(),
            date: "2026-12-03".into(),
            start: "16:00".into(),
            minutes: 60,
            start_at: 0,
            opened_group: true,
            person,
        })
        .expect("json")
    };
    // An operator's booking names nobody: nothing moves.
    host.deliver("tutoring.lesson_booked", "tutoring", &booked(None))
        .expect("delivered");
    assert_eq!(states(&host, &carla, &case), ["referred", "referred"]);
    host.deliver(
        "tutoring.lesson_booked",
        "tutoring",
        &booked(Some(person::key(CODE))),
    )
    .expect("delivered");
    assert_eq!(states(&host, &carla, &case), ["started", "referred"]);

    // An outside body's outcome is recorded by hand; tutoring's is not.
    let path = |r: &str| format!("/api/cases/{case}/referrals/{r}/outcome");
    let refused = host.post(
        Some(&carla),
        &path(&tutoring),
        json!({ "outcome": "refused" }),
    );
    assert_eq!(refused.status, 422);
    assert_eq!(refused.problem_fields(), ["outcome"]);
    host.post(
        Some(&carla),
        &path(&outside),
        json!({ "outcome": "started" }),
    )
    .assert_status(201);
    let listed = referrals(&host, &carla, &case);
    assert_eq!(listed[1]["state"], "started");
    assert_eq!(listed[1]["target"], "Caritas San Rocco (0471 123456)");
    // A referral of another case is not found through this one.
    let other = open_case(&host, &carla, "Giuseppe Verdi", OTHER, json!({}));
    let answer = host.post(
        Some(&carla),
        &format!("/api/cases/{other}/referrals/{outside}/outcome"),
        json!({ "outcome": "declined" }),
    );
    assert_eq!(answer.status, 404);
}

#[test]
fn referrals_are_refused_with_their_problems_and_to_anyone_outside_the_case_team() {
    let host = host();
    let [carla, dario, nora, sara, admin] = staff(&host);
    let mario = mario(&host);
    let case = open_case(&host, &carla, "Mario Rossi", CODE, json!({}));
    publish_campaign(&host, "food-1", 1, "Buoni spesa", None);

    let refused = host.post(
        Some(&carla),
        &format!("/api/cases/{case}/referrals"),
        json!({ "service": "vouchers", "campaign": "nope", "reason": "" }),
    );
    assert_eq!(refused.status, 422);
    let mut fields = refused.problem_fields();
    fields.sort_unstable();
    assert_eq!(fields, ["campaign", "reason"]);
    let refused = host.post(
        Some(&carla),
        &format!("/api/cases/{case}/referrals"),
        json!({ "service": "outside", "reason": "x" }),
    );
    assert_eq!(refused.problem_fields(), ["name"]);
    // The form comes back with the problem beside its field, in Italian.
    let form = host.submit(
        Some(&carla),
        &format!("/cases/{case}/referrals"),
        &[("service", "astrologia"), ("reason", "x")],
    );
    assert_eq!(form.status, 422);
    assert_eq!(
        form.body["form"]["problems"]["service"],
        "scegli il servizio a cui inviare la persona"
    );

    // Another care manager, a supervisor of another team, an administrator and the person
    // themselves: the case does not exist for them.
    let body = json!({ "service": "tutoring", "reason": "x" });
    for who in [&dario, &sara, &admin, &mario] {
        let answer = host.post(
            Some(who),
            &format!("/api/cases/{case}/referrals"),
            body.clone(),
        );
        assert_eq!(answer.status, 404, "{}", who.username);
    }
    // The team's supervisor refers too.
    refer(&host, &nora, &case, body.clone());
    // The person's summary shows no referral.
    let summary = host
        .get(Some(&mario), &format!("/api/cases/{case}"))
        .assert_status(200);
    assert!(summary.body.get("referrals").is_none());
    // A closed case takes no referral.
    host.post(
        Some(&carla),
        &format!("/api/cases/{case}/close"),
        json!({ "outcome": "achieved" }),
    )
    .assert_status(201);
    assert_eq!(
        host.post(Some(&carla), &format!("/api/cases/{case}/referrals"), body)
            .status,
        409
    );
}
