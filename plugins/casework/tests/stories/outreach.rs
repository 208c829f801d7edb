//! Welfare di iniziativa: for an open measure learned from vouchers' events, a care manager
//! sees the households of their own cases (a supervisor: of their teams') that the measure
//! would likely admit and that have not applied, and records the contacts made; nothing leaves
//! casework, every list is an audited read, and the statistics suppress small counts.

use serde_json::json;
use trama_testhost::Account;

use crate::common;

use common::{CODE, OTHER, host, open_case, publish_campaign, staff, submitted};

const THIRD: &str = "BNCLCU90M41F205Q";
const FOURTH: &str = "MRNLRA70C55L219W";
const FIFTH: &str = "PLLMRC75D12F839T";

fn names(answer: &serde_json::Value) -> Vec<String> {
    answer["households"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn listed(host: &trama_testhost::TestHost<casework::Casework>, who: &Account) -> Vec<String> {
    let answer = host
        .get(Some(who), "/api/outreach/food-1")
        .assert_status(200);
    names(&answer.body)
}

#[test]
fn the_list_holds_only_the_readers_households_likely_eligible_that_have_not_applied() {
    let host = host();
    let [carla, dario, nora, sara, admin] = staff(&host);
    let citizen = host.account("ugo", &["citizen"]);
    // ISEE up to 15.000 €, two people at least, residents.
    publish_campaign(&host, "food-1", 1, "Buoni spesa inverno", Some(1_500_000));

    let known = json!({ "isee": "9.000,00", "resident": "yes" });
    let anna = open_case(&host, &carla, "Anna Bianchi", CODE, known.clone());
    open_case(
        &host,
        &carla,
        "Bruno Ricco",
        OTHER,
        json!({ "isee": "20000,00", "resident": "yes" }),
    );
    open_case(&host, &carla, "Carlo Ignoto", THIRD, json!({}));
    open_case(&host, &carla, "Dora Domanda", FOURTH, known.clone());
    open_case(&host, &dario, "Elena Altrui", FIFTH, known.clone());
    // Dora applied (whenever her case was opened, the event finds it).
    host.deliver(
        "vouchers.application_submitted",
        "vouchers",
        &submitted("food-1", "food-1-d", FOURTH, host.now_ms()),
    )
    .expect("delivered");
    // An application of someone casework does not follow is not kept.
    host.deliver(
        "vouchers.application_submitted",
        "vouchers",
        &submitted("food-1", "food-1-z", "ZZZZZZ80A01H501U", host.now_ms()),
    )
    .expect("delivered");

    assert_eq!(listed(&host, &carla), ["Anna Bianchi", "Carlo Ignoto"]);
    assert_eq!(listed(&host, &dario), ["Elena Altrui"]);
    assert_eq!(
        listed(&host, &nora),
        ["Anna Bianchi", "Carlo Ignoto", "Elena Altrui"]
    );
    assert!(listed(&host, &sara).is_empty());
    let carlo = host
        .get(Some(&carla), "/api/outreach/food-1")
        .assert_status(200);
    assert_eq!(
        carlo.body["households"][1]["unknown"],
        json!(["ISEE non registrato", "residenza non registrata"])
    );
    // Every list is an audited read naming the cases shown.
    assert!(host.audited("food-1").iter().all(|a| a == "outreach.read"));
    assert_eq!(host.audited("food-1").len(), 5);
    // Nobody else, and no unknown measure.
    assert_eq!(host.get(Some(&citizen), "/api/outreach/food-1").status, 403);
    assert_eq!(host.get(Some(&admin), "/api/outreach/food-1").status, 403);
    assert_eq!(host.get(Some(&carla), "/api/outreach/nope").status, 404);
    // The page lists the open measure, the other page the households.
    let page = host.page(Some(&carla), "/outreach").assert_status(200);
    assert_eq!(page.body["measures"][0]["title"], "Buoni spesa inverno");
    let page = host
        .page(Some(&carla), "/outreach/food-1")
        .assert_status(200);
    assert_eq!(page.template.as_deref(), Some("outreach_list.html"));

    // A contact is recorded for one's own case; another care manager is told it does not exist.
    let contact =
        json!({ "case": anna, "date": "2026-11-30", "channel": "phone", "result": "helped" });
    host.post(
        Some(&carla),
        "/api/outreach/food-1/contacts",
        contact.clone(),
    )
    .assert_status(201);
    assert_eq!(
        host.post(Some(&dario), "/api/outreach/food-1/contacts", contact)
            .status,
        404
    );
    let refused = host.post(
        Some(&carla),
        "/api/outreach/food-1/contacts",
        json!({ "case": anna, "date": "2026-12-25", "channel": "fax", "result": "" }),
    );
    assert_eq!(refused.status, 422);
    let mut fields = refused.problem_fields();
    fields.sort_unstable();
    assert_eq!(fields, ["channel", "date", "result"]);
    let answer = host
        .get(Some(&carla), "/api/outreach/food-1")
        .assert_status(200);
    assert_eq!(
        answer.body["households"][0]["contacts"],
        json!([{ "date": "30/11/2026", "channel": "telefono", "result": "aiutata a presentare domanda" }])
    );
    assert!(
        host.audited(&anna)
            .contains(&"case.outreach_contact".to_owned())
    );

    // Nothing left casework: it publishes no event.
    assert!(host.published().is_empty());

    // The statistics count contacts with the same suppression.
    let stats = host.get(Some(&nora), "/api/stats").assert_status(200);
    assert_eq!(stats.body["services"]["households_contacted"], "< 5");
    assert_eq!(stats.body["services"]["contacts"][0]["count"], "< 5");
    assert_eq!(stats.body["services"]["contacts"][1]["count"], "0");
}

#[test]
fn the_isee_and_residence_are_recorded_and_refused_beside_their_fields() {
    let host = host();
    let carla = host.account("carla", &["care_manager"]);
    let refused = host.post(
        Some(&carla),
        "/api/cases",
        json!({ "name": "", "tax_code": CODE, "needs": ["Casa"], "team": "Nord", "consent": "yes", "isee": "tanti", "resident": "forse" }),
    );
    assert_eq!(refused.status, 422);
    let mut fields = refused.problem_fields();
    fields.sort_unstable();
    assert_eq!(fields, ["isee", "name", "resident"]);
    let case = open_case(&host, &carla, "Anna Bianchi", CODE, json!({}));
    let path = format!("/api/cases/{case}/profile");
    host.post(
        Some(&carla),
        &path,
        json!({ "isee": "12.345,67", "resident": "no" }),
    )
    .assert_status(201);
    let file = host
        .get(Some(&carla), &format!("/api/cases/{case}"))
        .assert_status(200);
    assert_eq!(file.body["profile"]["isee"], "12.345,67 €");
    assert_eq!(file.body["profile"]["resident"], "no");
    let dario = host.account("dario", &["care_manager"]);
    assert_eq!(
        host.post(Some(&dario), &path, json!({ "isee": "1" }))
            .status,
        404
    );
    // A newer notice replaces the older; an older one redelivered does not.
    publish_campaign(&host, "food-1", 2, "Buoni spesa (proroga)", None);
    publish_campaign(&host, "food-1", 1, "Buoni spesa", None);
    let page = host.page(Some(&carla), "/outreach").assert_status(200);
    assert_eq!(page.body["measures"][0]["title"], "Buoni spesa (proroga)");
}
