//! What the vouchers stories share: people's codici fiscali, an application, the winter
//! campaign of the story, a campaign opened by the operator, its closing, a claimed shop,
//! and reading the answers.

#![allow(dead_code)] // Each test file uses its own part of this module.

use serde_json::{Value as Json, json};
use trama_testhost::{Account, Answer, Notice, TestHost};
use vouchers::Vouchers;

/// Valid codici fiscali (their check letters are right).
pub const ANNA: &str = "RSSMRA85T10A562S";
pub const BRUNO: &str = "VRDGPP80A01H501U";
pub const CARLA: &str = "BNCLCU90M41F205Q";
pub const DARIO: &str = "MRNLRA70C55L219W";
pub const ELENA: &str = "PLLMRC75D12F839T";
/// A valid partita IVA.
pub const VAT: &str = "01234567897";

/// The plugin on 12 January 2026, with the instance's settings: vouchers are printed as
/// `BS-XXXX-XXXX-XXXX`.
pub fn host() -> TestHost<Vouchers> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({"municipality_name": "Comune di Prova", "voucher_code_prefix": "BS"}),
    )
    .expect("the manifest and settings");
    host.set_time("2026-01-12T10:00:00+01:00");
    host
}

/// The winter food notice of the stories: its title, measure, budget (700 €) and days (from
/// 11 to 22 January 2026), without its rules.
pub fn winter_notice() -> Json {
    json!({
        "title": "Buoni spesa inverno",
        "measure": "food",
        "opens_on": "2026-01-11",
        "closes_on": "2026-01-22",
        "budget": "700,00",
    })
}

/// The winter food campaign of the story: 700 €, ISEE up to 15,000 €, residents only, open
/// from 11 to 22 January 2026.
pub fn winter_campaign() -> Json {
    with(winter_notice(), winter_rules())
}

/// The winter notice's questions, amounts and rules (`tests/fixtures/winter-rules.json`),
/// which the kernel's end-to-end test and the applications bench post as well.
pub fn winter_rules() -> Json {
    serde_json::from_str(include_str!("../../fixtures/winter-rules.json"))
        .expect("winter-rules.json is JSON")
}

/// `body` with the fields of `extra` added or replaced: a story's variant of a campaign.
pub fn with(mut body: Json, extra: Json) -> Json {
    if let (Some(target), Some(more)) = (body.as_object_mut(), extra.as_object()) {
        target.extend(more.clone());
    }
    body
}

/// The plugin of [`host`] and its operator `operatrice`, who runs the campaigns.
pub fn host_and_operator() -> (TestHost<Vouchers>, Account) {
    let host = host();
    let operator = host.account("operatrice", &["operator"]);
    (host, operator)
}

/// The opening of most stories: the plugin of [`host`], its operator `operatrice`, and the
/// campaign of `body` she created (it must be created) — `(host, operator, id, path)`, the
/// path being where citizens apply to it.
pub fn opened(body: Json) -> (TestHost<Vouchers>, Account, String, String) {
    let (host, operator) = host_and_operator();
    let id = create(&host, &operator, body);
    let path = applications(&id);
    (host, operator, id, path)
}

/// Creates the campaign of `body` as `operator`, who must succeed: the campaign as answered.
pub fn created(host: &TestHost<Vouchers>, operator: &Account, body: Json) -> Answer {
    host.post(Some(operator), "/api/campaigns", body)
        .assert_status(201)
}

/// Creates the campaign of `body` as `operator`, who must succeed: its id.
pub fn create(host: &TestHost<Vouchers>, operator: &Account, body: Json) -> String {
    id_of(&created(host, operator, body))
}

/// Where citizens apply to campaign `id`.
pub fn applications(id: &str) -> String {
    format!("/api/campaigns/{id}/applications")
}

/// Application `id` as `who` reads it.
pub fn application(host: &TestHost<Vouchers>, who: &Account, id: &str) -> Answer {
    host.get(Some(who), &format!("/api/applications/{id}"))
}

/// The day after the winter campaign's closing day, and the closing job run on it.
pub fn close_after_the_closing_day(host: &TestHost<Vouchers>) {
    host.set_time(AFTER_CLOSING);
    host.run_job("close-campaigns").expect("the closing");
}

/// The morning after the story's closing day (22 January 2026).
pub const AFTER_CLOSING: &str = "2026-01-23T08:00:00+01:00";

/// The operator closes campaign `id` now, by hand.
pub fn close(host: &TestHost<Vouchers>, operator: &Account, id: &str) -> Answer {
    host.post(
        Some(operator),
        &format!("/api/campaigns/{id}/close"),
        json!({}),
    )
}

/// The shop `Alimentari Bottega` registered by `operator` and claimed by `shopkeeper`: the
/// registration's answer.
pub fn claimed_shop(host: &TestHost<Vouchers>, operator: &Account, shopkeeper: &Account) -> Answer {
    let shop = host.post(
        Some(operator),
        "/api/merchants",
        json!({"name": "Alimentari Bottega", "vat_number": VAT, "address": "Via Roma 1"}),
    );
    let claim = json!({"code": shop.body["claim_code"]});
    host.post(Some(shopkeeper), "/api/merchant/claim", claim)
        .assert_status(200);
    shop
}

/// The rent grant of the shipped `contributo-affitto` template, 10,000 € from 11 to 22
/// January 2026, with the fields of `extra`.
pub fn rent_campaign(extra: Json) -> Json {
    with(
        json!({
            "title": "Contributo affitto 2026",
            "measure": "rent",
            "opens_on": "2026-01-11",
            "closes_on": "2026-01-22",
            "budget": "10.000",
            "template": "contributo-affitto",
        }),
        extra,
    )
}

/// The households of the rent stories, member by member (birth date, relation, tax code):
/// Anna with her husband Bruno, as she lists it.
pub const ANNA_AND_BRUNO: &[(&str, &str, &str)] = &[
    ("1985-12-10", "applicant", ""),
    ("1980-01-01", "partner", BRUNO),
];
/// The same household as Bruno lists it.
pub const BRUNO_AND_ANNA: &[(&str, &str, &str)] = &[
    ("1980-01-01", "applicant", ""),
    ("1985-12-10", "partner", ANNA),
];
/// Elena, who lists Anna in her household too.
pub const ELENA_AND_ANNA: &[(&str, &str, &str)] = &[
    ("1975-04-12", "applicant", ""),
    ("1985-12-10", "other", ANNA),
];

/// An application to the rent grant under `tax` for the household `members` (birth date,
/// relation, tax code): ISEE 12,000 €, ISE 20,000 €, rent 6,000 € a year.
pub fn rent_household(tax: &str, members: &[(&str, &str, &str)]) -> Json {
    let rows: Vec<Json> = members
        .iter()
        .map(|(born, relation, code)| json!({"birth_date": born, "relation": relation, "tax_code": code}))
        .collect();
    json!({
        "tax_code": tax, "household": rows, "isee": "12000", "ise": "20000",
        "rent_yearly": "6000", "registered_lease": true,
        "landlord_iban": "IT60X0542811101000000123456",
    })
}

/// An application for `tax`: household size, minors, ISEE, residence, loss of income.
pub fn apply(
    tax: &str,
    household: u32,
    minors: u32,
    isee: &str,
    resident: bool,
    loss: bool,
) -> Json {
    json!({
        "tax_code": tax,
        "household_size": household,
        "minors": minors,
        "isee": isee,
        "resident": resident,
        "income_loss": loss,
    })
}

/// `who` applies to the campaign at `path` (its applications' API) with `body`, and the
/// application is filed: the `201` answer.
#[track_caller]
pub fn filed(host: &TestHost<Vouchers>, who: &Account, path: &str, body: Json) -> Answer {
    host.post(Some(who), path, body).assert_status(201)
}

/// The one message `who` was sent, checked to be about `subject`: an outcome is told once.
#[track_caller]
pub fn only_message(host: &TestHost<Vouchers>, who: &Account, subject: &str) -> Notice {
    let mut sent = host.notifications_to(who);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let message = sent.remove(0);
    assert_eq!(message.subject, subject, "{message:?}");
    message
}

/// The amounts of an application's vouchers, in cents.
pub fn amounts(application: &Json) -> Vec<i64> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["amount_cents"].as_i64().expect("cents"))
        .collect()
}

/// The codes of an application's vouchers.
pub fn codes_of(application: &Json) -> Vec<String> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_owned())
        .collect()
}

pub fn id_of(answer: &Answer) -> String {
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// The text of a CSV download.
pub fn csv(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, _, bytes) = answer.file.as_ref().expect("a download");
    String::from_utf8(bytes.clone()).expect("UTF-8")
}
