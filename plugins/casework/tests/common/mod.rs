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

pub fn host() -> TestHost<Casework> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({
            "needs": ["Casa", "Lavoro"],
            "teams": ["Nord", "Sud"],
            "consent_version": "2026-01",
            "consent_text": "Informativa di prova",
        }),
    )
    .expect("the manifest");
    host.set_time("2026-12-01T10:00:00+01:00");
    host
}

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
    let answer = host
        .post(Some(manager), "/api/cases", body)
        .assert_status(201);
    answer.body["id"].as_str().expect("an id").to_owned()
}

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

pub fn submitted(campaign: &str, application: &str, code: &str, at: i64) -> Json {
    serde_json::to_value(ApplicationSubmitted {
        campaign_id: campaign.to_owned(),
        application_id: application.to_owned(),
        person: person::key(code),
        submitted_at: at,
    })
    .expect("json")
}
