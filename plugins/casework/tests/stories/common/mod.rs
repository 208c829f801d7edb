//! What the referral and outreach stories share: a desk with two teams, cases, and the events
//! vouchers publishes.
#![allow(dead_code)]

use casework::Casework;
use serde_json::{Value as Json, json};
use trama_contracts::person;
use trama_contracts::vouchers::{ApplicationSubmitted, CampaignPublished};
use trama_testhost::{Account, TestHost};

pub const CODE: &str = "RSSMRA80A01H501U";
pub const OTHER: &str = "VRDGPP80A01H501U";

/// A desk with the needs "Casa" and "Lavoro", the teams "Nord" and "Sud" and a consent text,
/// on 1 December 2026 at 10:00 in Rome.
pub fn host() -> TestHost<Casework> {
    host_with(json!({}))
}

/// The desk of [`host`] with some settings told otherwise (`needs`, `teams`, the attachments'
/// kinds, `review_days`…): each story sets up only what it is about.
pub fn host_with(settings: Json) -> TestHost<Casework> {
    let mut all = json!({
        "needs": ["Casa", "Lavoro"],
        "teams": ["Nord", "Sud"],
        "consent_version": "2026-01",
        "consent_text": "Informativa di prova",
    });
    if let (Some(all), Some(settings)) = (all.as_object_mut(), settings.as_object()) {
        all.extend(settings.clone());
    }
    let host = TestHost::with_settings(env!("CARGO_MANIFEST_DIR"), all).expect("the manifest");
    host.set_time("2026-12-01T10:00:00+01:00");
    host
}

/// The administrator puts staff member `username` in `team`: a supervisor sees that team's
/// cases only once this is done.
pub fn put_in_team(host: &TestHost<Casework>, admin: &Account, username: &str, team: &str) {
    host.post(
        Some(admin),
        "/api/staff",
        json!({ "username": username, "teams": [team] }),
    )
    .assert_status(201);
}

/// The shortest intake the desk accepts: Mario Rossi, codice fiscale `code`, in need of a home,
/// followed by `team`, who has consented.
pub fn brief_intake(code: &str, team: &str) -> Json {
    json!({ "name": "Mario Rossi", "tax_code": code, "needs": ["Casa"], "team": team, "consent": "yes" })
}

/// `manager` opens a case from the intake `body`, which must be accepted; answers its id.
pub fn open(host: &TestHost<Casework>, manager: &Account, body: Json) -> String {
    let answer = host
        .post(Some(manager), "/api/cases", body)
        .assert_status(201);
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// `manager` opens the case of `name` with codice fiscale `code`, a daughter at home, in need
/// of a home, followed by "Nord", with `extra` fields of the intake; answers its id.
pub fn open_case(
    host: &TestHost<Casework>,
    manager: &Account,
    name: &str,
    code: &str,
    extra: Json,
) -> String {
    let mut body = json!({
        "name": name,
        "tax_code": code,
        "household": ["Anna, figlia"],
        "needs": ["Casa"],
        "team": "Nord",
        "consent": "yes",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    open(host, manager, body)
}

/// `vouchers` publishes campaign `id` (a food measure open until 31 December, for households of
/// two or more residents, with ISEE up to `isee_max` cents when given).
pub fn publish_campaign(
    host: &TestHost<Casework>,
    id: &str,
    version: u32,
    title: &str,
    isee_max: Option<i64>,
) {
    let notice = CampaignPublished {
        campaign_id: id.to_owned(),
        notice_version: version,
        title: title.to_owned(),
        measure: "food".to_owned(),
        opens_on: "2026-11-15".to_owned(),
        closes_on: "2026-12-31".to_owned(),
        isee_max_cents: isee_max,
        household_min: Some(2),
        residence_required: true,
        rulebook: false,
        withdrawn: false,
    };
    host.deliver(
        "vouchers.campaign_published",
        "vouchers",
        &serde_json::to_value(notice).expect("json"),
    )
    .expect("delivered");
}

/// The event `vouchers` publishes when the person with `code` applies to `campaign`.
pub fn submitted(campaign: &str, application: &str, code: &str, at: i64) -> Json {
    serde_json::to_value(ApplicationSubmitted {
        campaign_id: campaign.to_owned(),
        application_id: application.to_owned(),
        person: person::key(code),
        submitted_at: at,
    })
    .expect("json")
}

/// The social services' staff of the stories about who sees what, in this order: Carla and
/// Dario, care managers (Dario must not see Carla's cases); Nora and Sara, supervisors of the
/// teams "Nord" and "Sud", each put in their team by the last one, the administrator.
pub fn staff(host: &TestHost<Casework>) -> [Account; 5] {
    let [carla, dario] = ["carla", "dario"].map(|name| host.account(name, &["care_manager"]));
    let [nora, sara] = ["nora", "sara"].map(|name| host.account(name, &["supervisor"]));
    let admin = host.account("admin", &["admin"]);
    put_in_team(host, &admin, "nora", "Nord");
    put_in_team(host, &admin, "sara", "Sud");
    [carla, dario, nora, sara, admin]
}

/// Mario Rossi's citizen account, his codice fiscale [`CODE`] known from his digital identity:
/// the person a case opened with `CODE` belongs to.
pub fn mario(host: &TestHost<Casework>) -> Account {
    let mario = host.account("mario", &["citizen"]);
    host.bind_fiscal_number(&mario, CODE);
    mario
}
