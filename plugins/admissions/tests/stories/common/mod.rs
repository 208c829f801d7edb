//! What the admissions stories share: the network's settings, a shop's application, and the
//! committee's story up to its decision (`tests/application.rs` tells it step by step).

// Each story file uses some of these.
#![allow(dead_code)]

use admissions::Admissions;
use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, TestHost};

/// Valid identifiers (their check characters are right).
pub const SHOP_VAT: &str = "01234567897";
pub const APS_TAX_CODE: &str = "02760100962";
pub const MARIO: &str = "RSSMRA85T10A562S";
pub const GIULIA: &str = "VRDGPP80A01H501U";

/// Monday 2 March 2026, 9:00 in Rome.
pub const NOW: &str = "2026-03-02T09:00:00+01:00";
pub const TODAY: &str = "2026-03-02";
/// The last day of a year's accreditation from today.
pub const IN_364_DAYS: &str = "2027-03-01";
pub const IN_180_DAYS: &str = "2026-08-29";

/// The network of the committee's story.
pub fn settings() -> Json {
    json!({
        "network_name": "Rete Valdarno Solidale",
        "ethics_code_version": "2025-1",
        "categories": ["alimentari", "assistenza domiciliare", "doposcuola"],
        "declarations": ["Dichiaro la regolarità contributiva (DURC).", "Dichiaro di applicare i contratti collettivi di settore."],
        "quorum_percent": 60,
        "majority": "simple",
        "voting_window": "7d",
        "voting_rounds": 1,
        "accreditation_validity": "365d",
        "reapply_after": "180d",
    })
}

pub fn host_with(settings: Json) -> TestHost<Admissions> {
    let host = TestHost::with_settings(env!("CARGO_MANIFEST_DIR"), settings).expect("the manifest");
    host.set_time(NOW);
    host
}

/// An application for a shop with VAT number `vat`, represented by `representative`.
pub fn shop(legal_name: &str, vat: &str, representative: &str) -> Json {
    json!({
        "legal_name": legal_name,
        "legal_form": "company",
        "tax_code": vat,
        "vat_number": vat,
        "street": "Via Roma 1",
        "postcode": "52025",
        "city": "Montevarchi",
        "province": "AR",
        "email": "info@bottega.example",
        "phone": "+39 055 123456",
        "representative_name": "Mario Rossi",
        "representative_tax_code": representative,
        "categories": ["alimentari"],
        "services": [
            {"title": "Spesa a domicilio", "category": "alimentari", "description": "Consegna a casa della spesa per anziani e persone fragili"},
            {"title": "Pacco solidale", "category": "alimentari", "description": "Pacco settimanale di prodotti di base per famiglie"}
        ],
        "declarations": [1, 2],
        "ethics_version": "2025-1",
        "accept_ethics": true,
    })
}

/// An application for the association APS Il Girasole (no VAT number), represented by
/// Giulia, for after-school help.
pub fn association() -> Json {
    let mut aps = shop("APS Il Girasole", APS_TAX_CODE, GIULIA);
    aps["legal_form"] = json!("aps");
    aps["vat_number"] = Json::Null;
    aps["categories"] = json!(["doposcuola"]);
    aps["services"] = json!([{"title": "Doposcuola", "category": "doposcuola", "description": "Aiuto compiti per ragazzi delle medie"}]);
    aps
}

/// The subjects of the notifications queued for `who`.
pub fn inbox(host: &TestHost<Admissions>, who: &Account) -> Vec<String> {
    host.notifications_to(who)
        .into_iter()
        .map(|n| n.subject)
        .collect()
}

/// Checks that `who` was told something whose subject holds `about`; a failure lists what
/// they were told.
#[track_caller]
pub fn assert_told(host: &TestHost<Admissions>, who: &Account, about: &str) {
    let subjects = inbox(host, who);
    assert!(
        subjects.iter().any(|subject| subject.contains(about)),
        "`{about}` among what {} was told: {subjects:?}",
        who.username
    );
}

/// The committee of the story: four members, Dario linked to the shop; the shopkeeper.
pub struct Committee {
    pub host: TestHost<Admissions>,
    pub anna: Account,
    pub bruno: Account,
    pub carla: Account,
    pub dario: Account,
    pub shopkeeper: Account,
}

impl Committee {
    /// The four seated members.
    pub fn members(&self) -> [&Account; 4] {
        [&self.anna, &self.bruno, &self.carla, &self.dario]
    }
}

/// The four members open the committee page, and Dario declares his link to the shop.
pub fn committee() -> Committee {
    let host = host_with(settings());
    let [anna, bruno, carla, dario] =
        ["anna", "bruno", "carla", "dario"].map(|member| host.account(member, &["committee"]));
    let shopkeeper = host.account("bottega", &["merchant"]);
    for member in [&anna, &bruno, &carla, &dario] {
        host.page(Some(member), "/committee").assert_status(200);
    }
    let profile = host.post(
        Some(&dario),
        "/api/committee/profile",
        json!({"links": [format!("IT{SHOP_VAT} cugino del titolare")]}),
    );
    assert_eq!(profile.status, 200, "{}", profile.body);
    Committee {
        host,
        anna,
        bruno,
        carla,
        dario,
        shopkeeper,
    }
}

/// The shopkeeper applies for Alimentari Bottega srl: the application, as taken.
pub fn shop_applies(committee: &Committee) -> Answer {
    committee
        .host
        .post(
            Some(&committee.shopkeeper),
            "/api/applications",
            shop("Alimentari Bottega srl", SHOP_VAT, MARIO),
        )
        .assert_status(201)
}

/// Application `id`, seen by the shopkeeper once the committee approved it: the provider
/// it made.
pub fn provider_of_approved(committee: &Committee, id: &str) -> String {
    let decided = committee.host.get(
        Some(&committee.shopkeeper),
        &format!("/api/applications/{id}"),
    );
    assert_eq!(decided.body["status"], "approved", "{}", decided.body);
    decided.body["provider_id"]
        .as_str()
        .expect("provider")
        .to_owned()
}

/// The shop applies and Anna and Bruno approve it: (application, provider).
pub fn approved(committee: &Committee) -> (String, String) {
    let host = &committee.host;
    let application = shop_applies(committee);
    let id = application.body["id"].as_str().expect("id").to_owned();
    for (member, reason) in [
        (&committee.anna, "Servizio utile e prezzi chiari"),
        (&committee.bruno, "Risposta esauriente"),
    ] {
        host.post(
            Some(member),
            &format!("/api/applications/{id}/vote"),
            json!({"choice": "approve", "reason": reason}),
        )
        .assert_status(200);
    }
    let provider = provider_of_approved(committee, &id);
    (id, provider)
}
