//! The territory's indicators on a running server: computed from the vouchers' events, they
//! match the plugin's own figures to the cent; only the scientific committee validates a
//! definition, and only validated ones reach the public page and the open data, where a figure
//! about fewer than five people is suppressed; a changed definition is unpublished until
//! validated again; the cooperative's administrators see every territory in the fleet report,
//! nobody else and on no other host. A before/after outcome (the households casework found
//! better off at a review than at intake) computed by the kernel from the events matches the
//! plugin's own count, and Monteserra's manifest declares its outcomes and satisfaction.

use serde_json::{Value as Json, json};

use crate::many::Visitor;
use crate::support::{
    Client, HELLO, Plugin, Server, TestInstance, VOUCHERS, accept_privacy, add_user, cache_dir,
    eventually, login, sign_up, today_plus, write_named_instance,
};
use crate::vouchers::{ANNA, BRUNO, CARLA, DARIO, ELENA};

const API: Plugin = Plugin("vouchers");

const INDICATORS: &str = r#"
[indicators.famiglie]
title = { it = "Famiglie con buoni spesa", en = "Households given vouchers" }
kind = "output"
event = "vouchers.voucher_issued"
aggregate = "count"
unit = "households"
target = 5
period = "monthly"

[indicators.euro-isee]
title = { it = "Buoni per fascia ISEE", en = "Vouchers by ISEE band" }
kind = "output"
event = "vouchers.voucher_issued"
aggregate = "sum"
field = "amount_cents"
group_by = "isee_band"
unit = "euro"
target = 1000
period = "monthly"

[indicators.spesi]
title = { it = "Buoni spesi nei negozi", en = "Vouchers spent at shops" }
kind = "output"
event = "vouchers.voucher_redeemed"
aggregate = "count"
unit = "items"
target = 10
period = "monthly"
"#;

const HELLO_INDICATOR: &str = r#"
[indicators.saluti]
title = { it = "Saluti ricevuti" }
kind = "output"
event = "hello.greeted"
aggregate = "count"
unit = "items"
target = 3
period = "monthly"
"#;

/// The month shown by an indicator's JSON for now: its last.
fn this_month(indicator: &Json) -> &Json {
    indicator["months"]
        .as_array()
        .and_then(|months| months.last())
        .expect("a month")
}

fn find<'a>(data: &'a Json, id: &str) -> Option<&'a Json> {
    data["indicators"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["id"] == id))
}

/// Five households apply with their ISEE (three up to 7.500 €, two up to 15.000 €) and the
/// campaign closes: what the plugin says it issued, in cents.
async fn issue_vouchers(server: &Server) -> i64 {
    let operator = login(server, "operatrice").await;
    let (status, campaign) = API
        .post(
            &operator,
            server,
            "/api/campaigns",
            json!({
                "title": "Buoni spesa",
                "measure": "food",
                "opens_on": today_plus(0),
                "closes_on": today_plus(1),
                "budget": 1000,
                "fields": ["isee"],
                "isee_max": "40.000",
                "base_amounts": [50],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let id = campaign["id"].as_str().expect("id").to_owned();
    for (i, (tax_code, isee)) in [
        (ANNA, "5.000,00"),
        (BRUNO, "6.000,00"),
        (CARLA, "7.000,00"),
        (DARIO, "9.000,00"),
        (ELENA, "12.000,00"),
    ]
    .into_iter()
    .enumerate()
    {
        let citizen = sign_up(server, &format!("famiglia{i}"), &format!("Famiglia {i}")).await;
        let (status, application) = API
            .post(
                &citizen,
                server,
                &format!("/api/campaigns/{id}/applications"),
                json!({ "tax_code": tax_code, "isee": isee }),
            )
            .await;
        assert_eq!(
            (status, &application["status"]),
            (201, &json!("eligible")),
            "{application}"
        );
    }
    let (status, closed) = API
        .post(
            &operator,
            server,
            &format!("/api/campaigns/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    closed["close"]["issued_cents"].as_i64().expect("issued")
}

async fn validate(client: &Client, server: &Server, id: &str) -> u16 {
    client
        .post_form(
            server,
            &format!("/governance/indicators/{id}/validate"),
            &[],
        )
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn indicators_match_the_plugin_are_validated_by_the_committee_and_published_suppressed() {
    let coop = TestInstance::new("coop", &format!("{VOUCHERS}{INDICATORS}"));
    let others = tempfile::tempdir().expect("tempdir");
    write_named_instance(
        others.path(),
        "collina",
        "",
        &format!("{HELLO}{HELLO_INDICATOR}"),
    );
    let collina = others.path().join("collina");
    add_user(&coop, "operatrice", "operator");
    add_user(&coop, "scienza", "scientific_committee");
    add_user(&coop, "admin", "admin");
    add_user(&coop, "curioso", "citizen");
    let server = Server::start_with_args(
        &[coop.path(), &collina],
        &cache_dir(),
        &["--fleet-report", "coop"],
    );
    let anyone = Client::new();

    // Nothing is published before the committee validates.
    let (status, public) = anyone.get_json(&server, "/indicators").await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["indicators"], json!([]), "{public}");

    let issued = issue_vouchers(&server).await;
    assert_eq!(issued, 25_000, "five vouchers of 50 €");

    // The dashboard's exact figures are the plugin's.
    let operator = login(&server, "operatrice").await;
    let (status, dashboard) = operator.get_json(&server, "/governance/indicators").await;
    assert_eq!(status, 200, "{dashboard}");
    let families = find(&dashboard, "famiglie").expect("famiglie");
    assert_eq!(this_month(families)["total"]["value"], 5, "{families}");
    assert_eq!(families["published"], false);
    let euros = find(&dashboard, "euro-isee").expect("euro-isee");
    assert_eq!(this_month(euros)["total"]["value"], issued, "{euros}");
    assert_eq!(euros["groups"], json!(["0-7500", "7500-15000"]), "{euros}");
    let bands = &this_month(euros)["groups"];
    assert_eq!(
        (bands[0]["value"].as_i64(), bands[1]["value"].as_i64()),
        (Some(15_000), Some(10_000))
    );
    let (status, page) = operator.page(&server, "/governance/indicators").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<svg") && page.contains("<table"),
        "a chart and its table: {page}"
    );
    assert!(
        page.contains("250,00 €") || page.contains("250,00"),
        "{page}"
    );

    // Only the committee validates; a citizen does not even read the dashboard.
    assert_eq!(validate(&operator, &server, "famiglie").await, 403);
    let curious = login(&server, "curioso").await;
    assert_eq!(
        curious.get_json(&server, "/governance/indicators").await.0,
        403
    );
    assert_eq!(validate(&curious, &server, "famiglie").await, 403);
    let committee = login(&server, "scienza").await;
    assert_eq!(validate(&committee, &server, "famiglie").await, 303);
    assert_eq!(validate(&committee, &server, "euro-isee").await, 303);
    assert_eq!(validate(&committee, &server, "nessuno").await, 404);

    // The public page: the two validated, with small cells suppressed.
    let (_, public) = anyone.get_json(&server, "/indicators").await;
    let ids: Vec<&str> = public["indicators"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, ["euro-isee", "famiglie"], "{public}");
    let families = find(&public, "famiglie").expect("famiglie");
    assert_eq!(
        this_month(families)["total"]["value"],
        5,
        "five households are shown"
    );
    assert_eq!(this_month(families)["met"], true);
    let euros = find(&public, "euro-isee").expect("euro-isee");
    let month = this_month(euros);
    assert_eq!(
        month["groups"][0]["suppressed"], true,
        "three households: {euros}"
    );
    assert_eq!(month["groups"][1]["value"], Json::Null, "two households");
    assert_eq!(
        month["total"]["suppressed"], true,
        "else the bands could be told apart"
    );
    let (status, page) = anyone.page(&server, "/indicators").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Famiglie con buoni spesa") && page.contains("<svg"),
        "{page}"
    );
    assert!(
        !page.contains("Buoni spesi nei negozi"),
        "never validated: {page}"
    );

    // The open data: a spreadsheet's CSV, the suppressed cells empty and noted.
    let response = anyone
        .http
        .get(server.url("/indicators/open-data.csv"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let csv = response.text().await.expect("csv");
    assert!(
        csv.starts_with("\u{feff}Indicatore;Titolo;Tipo;Mese;Gruppo;Valore;"),
        "{csv}"
    );
    assert!(
        csv.contains(";0-7500;;euro;1000,00;meno di 5 persone: non mostrato"),
        "{csv}"
    );
    assert!(csv.contains("famiglie;Famiglie con buoni spesa;"), "{csv}");
    assert!(!csv.contains("150,00") && !csv.contains("spesi"), "{csv}");
    // The table's export keeps the exact figures.
    let csv = operator
        .http
        .get(server.url("/governance/indicators.csv"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("csv");
    assert!(csv.contains(";0-7500;150,00;euro;1000,00;"), "{csv}");

    // A changed definition waits for a new validation.
    let manifest = coop.path().join("instance.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(&manifest, text.replace("target = 5\n", "target = 6\n")).expect("write");
    server.hangup();
    assert!(
        eventually(std::time::Duration::from_secs(60), || async {
            let (_, public) = anyone.get_json(&server, "/indicators").await;
            find(&public, "famiglie").is_none()
        })
        .await,
        "the changed indicator left the public page"
    );
    let (_, dashboard) = committee.get_json(&server, "/governance/indicators").await;
    assert_eq!(
        find(&dashboard, "famiglie").expect("famiglie")["published"],
        false
    );
    assert_eq!(validate(&committee, &server, "famiglie").await, 303);
    let (_, public) = anyone.get_json(&server, "/indicators").await;
    assert!(find(&public, "famiglie").is_some(), "{public}");

    // The fleet report: both territories, for the cooperative's administrators only.
    let admin = login(&server, "admin").await;
    let (status, fleet) = admin.get_json(&server, "/fleet/indicators").await;
    assert_eq!(status, 200, "{fleet}");
    let names: Vec<&str> = fleet["territories"]
        .as_array()
        .expect("territories")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["Territorio collina", "Test coop"], "{fleet}");
    assert_eq!(
        fleet["territories"][1]["indicators"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let csv = admin
        .http
        .get(server.url("/fleet/indicators.csv"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("csv");
    assert!(csv.starts_with("\u{feff}Territorio;Indicatore;"), "{csv}");
    assert!(csv.contains("Test coop;famiglie;"), "{csv}");
    assert_eq!(operator.get_json(&server, "/fleet/indicators").await.0, 403);
    let visitor = Visitor::new(&server, "collina.localhost");
    assert_eq!(
        visitor.get("/fleet/indicators").await.0,
        404,
        "not on another territory"
    );
    let (status, public) = visitor.get("/indicators").await;
    assert_eq!(
        (status, &public["indicators"]),
        (200, &json!([])),
        "collina validated nothing"
    );
}

const CASEWORK_OUTCOME: &str = r#"
[plugins.casework]
version = "^1.0"
capabilities = ["store", "settings", "identity", "audit", "seal", "notify", "files", "events"]

[indicators.nuclei-migliorati]
title = { it = "Nuclei in condizione migliore che all'accoglienza" }
kind = "outcome"
event = "casework.case_reviewed"
aggregate = "improved"
before = "before"
after = "after"
unit = "households"
target = 4
period = "monthly"
"#;

/// Valid codici fiscali of six people.
const CODES: [&str; 6] = [
    "RSSMRA80A01H501U",
    "VRDGPP80A01H501U",
    "BNCLRA85C41H501M",
    "FRRLCU90D15H501G",
    "GLLSFN75E20H501Y",
    "MRNPLA70H10H501A",
];

#[tokio::test(flavor = "multi_thread")]
async fn a_before_after_outcome_computed_from_casework_events_matches_the_plugins_count() {
    let instance = TestInstance::new("esiti", CASEWORK_OUTCOME);
    add_user(&instance, "carla", "care_manager");
    add_user(&instance, "amministra", "admin");
    let server = Server::start(&[instance.path()]);
    let carla = login(&server, "carla").await;
    accept_privacy(&carla, &server).await;
    let admin = login(&server, "amministra").await;
    accept_privacy(&admin, &server).await;

    // Six households assessed "Critica" (2 of 5) at intake; at their review five are better
    // off, one is worse.
    for (i, code) in CODES.into_iter().enumerate() {
        let (status, case) = carla
            .send_json(
                &server,
                reqwest::Method::POST,
                "/p/casework/api/cases",
                &json!({
                    "name": format!("Persona {i}"),
                    "tax_code": code,
                    "needs": ["Casa e abitare"],
                    "team": "Équipe Nord",
                    "consent": "yes",
                    "situation": 2,
                }),
            )
            .await;
        assert_eq!(status, 201, "{case}");
        let id = case["id"].as_str().expect("a case id");
        let (status, review) = carla
            .send_json(
                &server,
                reqwest::Method::POST,
                &format!("/p/casework/api/cases/{id}/reviews"),
                &json!({
                    "note": "Verifica del progetto",
                    "plan": "on_track",
                    "situation": if i < 5 { 4 } else { 1 },
                }),
            )
            .await;
        assert_eq!(status, 201, "{review}");
        assert_eq!(review["before"], 2, "{review}");
    }

    // The plugin's own count, as supervisors read it.
    let (status, outcomes) = admin.get_json(&server, "/p/casework/api/outcomes").await;
    assert_eq!(status, 200, "{outcomes}");
    let month = &outcomes["months"][0];
    let count = |key: &str| month[key].as_str().and_then(|n| n.parse::<i64>().ok());
    assert_eq!(
        (count("improved"), count("compared")),
        (Some(5), Some(6)),
        "{outcomes}"
    );

    // The kernel's, from the events: the same month, the same figures.
    let (status, dashboard) = admin.get_json(&server, "/governance/indicators").await;
    assert_eq!(status, 200, "{dashboard}");
    let better = find(&dashboard, "nuclei-migliorati").expect("the indicator");
    let kernel = this_month(better);
    assert_eq!(kernel["month"], month["month"], "{better}");
    assert_eq!(kernel["total"]["value"], 5, "{better}");
    assert_eq!(kernel["total"]["subjects"], 6, "{better}");
    assert_eq!(kernel["total"]["shown"], "5 su 6", "{better}");
    assert_eq!(kernel["met"], true, "the target is 4 households a month");
}

/// Monteserra's manifest as shipped checks, with an outcome of casework and the share of
/// satisfied answers to its questionnaires among its indicators.
#[test]
fn monteserra_measures_outcomes_and_satisfaction() {
    let monteserra = TestInstance::example("monteserra");
    let checked = match trama_manifest::check(monteserra.path()) {
        Ok(checked) => checked,
        Err(faults) => panic!("instances/monteserra/instance.toml: {faults}"),
    };
    let indicators = &checked.manifest.indicators.indicators;
    let better = &indicators["nuclei-migliorati"];
    assert_eq!(better.event, "casework.case_reviewed");
    assert_eq!(
        better.aggregate,
        trama_manifest::Aggregate::Improved {
            before: "before".into(),
            after: "after".into()
        }
    );
    assert!(better.target > 0);
    assert_eq!(
        indicators["voti-migliorati"].event,
        "tutoring.path_completed"
    );
    let satisfied = &indicators["soddisfazione"];
    assert_eq!(satisfied.event, "surveys.answered");
    assert_eq!(
        satisfied.aggregate,
        trama_manifest::Aggregate::AtLeast {
            field: "score".into(),
            min: 4
        }
    );
    assert!(satisfied.target > 0);
}
