//! An instance of every plugin, populated with people of every role and records of their own
//! whose free text is the attacker's payload.

use reqwest::Method;
use serde_json::{Value as Json, json};

use super::PAYLOAD;
use crate::support::{
    Client, Server, TestInstance, add_member, add_user, login, sign_up, today_plus,
};

// --- Crawling every page and form, as every role ------------------------------------------

/// Every plugin of `plugins/` a territory would run, configured as their own tests do.
pub(super) const ALL_PLUGINS: &str = r#"
[governance]
quorum_percent = 50
majority = "simple"
voting_window = "1h"

[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]

[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"

[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]
[plugins.tutoring.settings]
service_name = "Doposcuola di Prova"
subjects = ["Italiano", "Matematica"]
levels = ["Primaria", "Secondaria di primo grado"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "protocol"]
[plugins.admissions.settings]
network_name = "Rete di prova"
ethics_code_version = "2025-1"
categories = ["alimentari", "doposcuola"]
declarations = ["Dichiaro la regolarità contributiva (DURC)."]

[plugins.corporate-plans]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "log", "clock", "protocol"]
[plugins.corporate-plans.settings]
cooperative_name = "Cooperativa di prova"
"#;

pub(super) const PLUGINS: [&str; 5] = [
    "hello",
    "vouchers",
    "tutoring",
    "admissions",
    "corporate-plans",
];

/// Valid identifiers (their check characters are right).
pub(super) const PERSON_TAX_CODE: &str = "RSSMRA85T10A562S";
pub(super) const VAT: &str = "01234567897";
pub(super) const OTHER_VAT: &str = "02760100962";
pub(super) const THIRD_VAT: &str = "09876543217";

/// Everyone the crawl logs in as. The privileged ones are every role a plugin (or the kernel)
/// defines; `cittadina` has data of her own (an application, a child, a booking…) and
/// `estranea` is another citizen with none.
pub(super) struct Cast {
    pub(super) privileged: Vec<(&'static str, Client)>,
    pub(super) citizen: Client,
    pub(super) stranger: Client,
}

/// A territory with every plugin, its people, and records in every plugin whose free-text
/// fields hold [`PAYLOAD`] (so that every list and detail page has something to escape).
pub(super) async fn populated(id: &str) -> (TestInstance, Server, Cast) {
    let instance = TestInstance::new(id, ALL_PLUGINS);
    for (user, role) in [
        ("operatrice", "operator"),
        ("amministra", "admin"),
        ("comitato", "committee"),
        ("bottega", "merchant"),
        ("insegnante", "tutor"),
        ("risorse", "company_hr"),
        ("fornitore", "citizen"),
        ("membro", "governance"),
    ] {
        add_user(&instance, user, role);
    }
    add_member(instance.path(), "membro");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let citizen = sign_up(&server, "cittadina", PAYLOAD).await;
    let stranger = sign_up(&server, "estranea", "Estranea").await;
    let merchant = login(&server, "bottega").await;
    let tutor = login(&server, "insegnante").await;
    let hr = login(&server, "risorse").await;
    let committee = login(&server, "comitato").await;
    let provider = login(&server, "fornitore").await;
    let post = async |client: &Client, path: &str, body: Json| -> Json {
        let (status, answer) = client.send_json(&server, Method::POST, path, &body).await;
        assert!(status < 300, "seeding {path}: {status} {answer}");
        answer
    };

    post(
        &citizen,
        "/p/hello/api/greetings",
        json!({"name": PAYLOAD, "message": PAYLOAD}),
    )
    .await;

    // Vouchers: a campaign, an application, a merchant linked to its account.
    let campaign = post(
        &operator,
        "/p/vouchers/api/campaigns",
        json!({
            "title": PAYLOAD,
            "measure": "food",
            "opens_on": today_plus(-1),
            "closes_on": today_plus(10),
            "budget": "700,00",
            "fields": ["household_size", "isee"],
            "isee_max": "15.000",
            "residence_required": false,
            "base_amounts": ["150", "250"],
            "denominations": "50; 20; 10",
            "ranking": ["isee_asc"],
            "review_rules": [],
        }),
    )
    .await;
    let campaign = campaign["id"].as_str().expect("campaign id").to_owned();
    post(
        &citizen,
        &format!("/p/vouchers/api/campaigns/{campaign}/applications"),
        json!({"tax_code": PERSON_TAX_CODE, "household_size": 2, "isee": "9.000"}),
    )
    .await;
    let shop = post(
        &operator,
        "/p/vouchers/api/merchants",
        json!({"name": PAYLOAD, "vat_number": VAT, "address": PAYLOAD}),
    )
    .await;
    post(
        &merchant,
        "/p/vouchers/api/merchant/claim",
        json!({"code": shop["claim_code"]}),
    )
    .await;

    // Tutoring: a room, a tutor linked to their account, a child booked into a group.
    let space = post(
        &operator,
        "/p/tutoring/api/spaces",
        json!({"name": PAYLOAD, "address": PAYLOAD, "capacity": 10, "opening": ["lun-dom 08:00-20:00"]}),
    )
    .await;
    let teacher = post(
        &operator,
        "/p/tutoring/api/tutors",
        json!({"name": PAYLOAD, "subjects": ["Matematica"], "levels": ["Primaria"], "availability": ["lun-dom 08:00-20:00"]}),
    )
    .await;
    post(
        &tutor,
        "/p/tutoring/api/tutor/claim",
        json!({"code": teacher["claim_code"]}),
    )
    .await;
    let child = post(
        &citizen,
        "/p/tutoring/api/family/children",
        json!({"first_name": PAYLOAD, "last_name": PAYLOAD, "level": "Primaria", "subjects": ["Matematica"]}),
    )
    .await;
    post(
        &citizen,
        "/p/tutoring/api/bookings",
        json!({"child": child["id"], "subject": "Matematica", "tutor": teacher["id"], "space": space["id"], "date": today_plus(3), "start": "16:00"}),
    )
    .await;

    // Admissions: an application with a comment of the committee.
    let application = post(
        &provider,
        "/p/admissions/api/applications",
        json!({
            "legal_name": PAYLOAD,
            "legal_form": "company",
            "tax_code": OTHER_VAT,
            "vat_number": OTHER_VAT,
            "street": PAYLOAD,
            "postcode": "52025",
            "city": PAYLOAD,
            "province": "AR",
            "email": "info@bottega.example",
            "phone": "+39 055 123456",
            "representative_name": PAYLOAD,
            "representative_tax_code": PERSON_TAX_CODE,
            "categories": ["alimentari"],
            "services": [{"title": PAYLOAD, "category": "alimentari", "description": PAYLOAD}],
            "declarations": [1],
            "ethics_version": "2025-1",
            "accept_ethics": true,
        }),
    )
    .await;
    let application = application["id"]
        .as_str()
        .expect("application id")
        .to_owned();
    post(
        &committee,
        &format!("/p/admissions/api/applications/{application}/comments"),
        json!({"text": PAYLOAD}),
    )
    .await;

    // Corporate plans: a company with its HR office, a provider with a service, a plan with
    // the citizen enrolled.
    let company = post(
        &operator,
        "/p/corporate-plans/api/companies",
        json!({"name": PAYLOAD, "vat_number": THIRD_VAT}),
    )
    .await;
    post(
        &hr,
        "/p/corporate-plans/api/hr/claim",
        json!({"code": company["hr_code"]}),
    )
    .await;
    let company = company["id"].as_str().expect("company id").to_owned();
    post(
        &operator,
        &format!("/p/corporate-plans/api/companies/{company}/deposits"),
        json!({"amount": 5000, "reference": PAYLOAD, "request_id": "deposit-0001"}),
    )
    .await;
    let gym = post(
        &operator,
        "/p/corporate-plans/api/providers",
        json!({"legal_name": PAYLOAD, "vat_number": VAT, "categories": ["sport"]}),
    )
    .await;
    let gym = gym["id"].as_str().expect("provider id").to_owned();
    post(
        &operator,
        &format!("/p/corporate-plans/api/providers/{gym}/services"),
        json!({"title": PAYLOAD, "category": "sport", "price": "10,00"}),
    )
    .await;
    let year = time::OffsetDateTime::now_utc().year();
    let plan = post(
        &hr,
        "/p/corporate-plans/api/plans",
        json!({
            "title": PAYLOAD,
            "year": year,
            "budget": "3.000",
            "level_credits": ["Q1 = 1.000"],
            "per_dependant": "100",
            "max_dependants": 2,
            "categories": ["sport"],
            "refund_share": "33,33",
            "request_id": "plan-0001",
        }),
    )
    .await;
    let plan = plan["id"].as_str().expect("plan id").to_owned();
    let enrolment = post(
        &hr,
        &format!("/p/corporate-plans/api/plans/{plan}/enrolments"),
        json!({"username": "cittadina", "full_name": PAYLOAD, "level": "Q1"}),
    )
    .await;
    post(
        &citizen,
        &format!(
            "/p/corporate-plans/api/enrolments/{}/activate",
            enrolment["id"].as_str().expect("enrolment id")
        ),
        json!({"code": enrolment["activation_code"]}),
    )
    .await;

    let cast = Cast {
        privileged: vec![
            ("operator", operator),
            ("admin", login(&server, "amministra").await),
            ("committee", committee),
            ("merchant", merchant),
            ("tutor", tutor),
            ("company_hr", hr),
            ("governance", login(&server, "membro").await),
        ],
        citizen,
        stranger,
    };
    (instance, server, cast)
}
