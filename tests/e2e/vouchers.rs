//! The `vouchers` plugin over HTTP: a whole campaign from its creation to the reimbursement of
//! a merchant, with every balance checked to the cent, and two hundred cashiers racing for one
//! voucher.

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{Client, PgDatabase, Server, TestInstance, add_user, login, sign_up};

pub(crate) use crate::support::VOUCHERS;

/// Valid codici fiscali (their check letters are right).
pub(crate) const ANNA: &str = "RSSMRA85T10A562S";
pub(crate) const BRUNO: &str = "VRDGPP80A01H501U";
pub(crate) const CARLA: &str = "BNCLCU90M41F205Q";
pub(crate) const DARIO: &str = "MRNLRA70C55L219W";
pub(crate) const ELENA: &str = "PLLMRC75D12F839T";
/// A valid partita IVA.
const VAT: &str = "01234567897";

fn today_plus(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn post(client: &Client, server: &Server, path: &str, body: Json) -> (u16, Json) {
    client
        .send_json(server, Method::POST, &format!("/p/vouchers{path}"), &body)
        .await
}

async fn get(client: &Client, server: &Server, path: &str) -> (u16, Json) {
    client.get_json(server, &format!("/p/vouchers{path}")).await
}

fn amounts(application: &Json) -> Vec<i64> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["amount_cents"].as_i64().expect("cents"))
        .collect()
}

fn codes_of(application: &Json) -> Vec<String> {
    application["vouchers"]
        .as_array()
        .expect("vouchers")
        .iter()
        .map(|v| v["code"].as_str().expect("code").to_owned())
        .collect()
}

pub(crate) async fn balance(client: &Client, server: &Server, code: &str) -> i64 {
    let (status, voucher) = get(client, server, &format!("/api/vouchers/{code}")).await;
    assert_eq!(status, 200, "{voucher}");
    voucher["balance_cents"].as_i64().expect("balance")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_from_the_applications_to_the_reimbursement_of_a_merchant() {
    let instance = TestInstance::new("vouchers", VOUCHERS);
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "bottega", "merchant");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;

    // A citizen cannot create campaigns.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, _) = post(&anna, &server, "/api/campaigns", json!({})).await;
    assert_eq!(status, 403);

    // Every broken field is named.
    let (status, refused) = post(
        &operator,
        &server,
        "/api/campaigns",
        json!({"title": "x", "measure": "cake", "budget": "dieci", "fields": ["isee"], "isee_max": "15000", "residence_required": true}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> = refused["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    for field in [
        "title",
        "measure",
        "opens_on",
        "closes_on",
        "budget",
        "residence_required",
        "base_amounts",
    ] {
        assert!(fields.contains(&field), "{field} not named in {refused}");
    }

    let (status, campaign) = post(
        &operator,
        &server,
        "/api/campaigns",
        json!({
            "title": "Buoni spesa inverno",
            "measure": "food",
            "opens_on": today_plus(-1),
            "closes_on": today_plus(10),
            "budget": "700,00",
            "fields": ["household_size", "minors", "isee", "resident", "income_loss"],
            "isee_max": "15.000",
            "residence_required": true,
            "base_amounts": ["150", "250", "350", "400"],
            "per_minor": "35,50",
            "max_amount": 500,
            "denominations": "50; 20; 10; 5",
            "ranking": ["isee_asc"],
            "review_rules": ["income_loss = yes"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{campaign}");
    assert_eq!(campaign["budget_cents"], 70_000);
    assert_eq!(campaign["phase"], "open");
    let id = campaign["id"].as_str().expect("id").to_owned();

    // The budget is in the ledger from the start.
    let (_, dashboard) = get(&operator, &server, "/api/dashboard").await;
    assert_eq!(dashboard["campaigns"][0]["remaining"]["cents"], 70_000);
    assert_eq!(dashboard["campaigns"][0]["issued"]["cents"], 0);

    let apply = |tax: &str, household: u32, minors: u32, isee: &str, resident: bool, loss: bool| {
        json!({
            "tax_code": tax,
            "household_size": household,
            "minors": minors,
            "isee": isee,
            "resident": resident,
            "income_loss": loss,
        })
    };
    let path = format!("/api/campaigns/{id}/applications");

    // Anna: eligible, 350 + 35.50 = 385.50 €.
    let (status, anna_app) = post(
        &anna,
        &server,
        &path,
        apply(ANNA, 3, 1, "9.000,00", true, false),
    )
    .await;
    assert_eq!(status, 201, "{anna_app}");
    assert_eq!(anna_app["status"], "eligible");
    assert_eq!(anna_app["amount_cents"], 38_550);

    // A mistyped tax code is refused before anything is stored.
    let (status, refused) = post(
        &anna,
        &server,
        &path,
        apply("RSSMRA85T10A562T", 3, 1, "9000", true, false),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(refused["problems"][0]["field"], "tax_code");

    // The same tax code cannot apply twice.
    let (status, duplicate) = post(
        &anna,
        &server,
        &path,
        apply(ANNA, 1, 0, "1000", true, false),
    )
    .await;
    assert_eq!(status, 409, "{duplicate}");

    // Bruno: ineligible, with the reason in plain words.
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let (status, bruno_app) = post(
        &bruno,
        &server,
        &path,
        apply(BRUNO, 2, 0, "18.000,00", true, false),
    )
    .await;
    assert_eq!(status, 201, "{bruno_app}");
    assert_eq!(bruno_app["status"], "ineligible");
    assert_eq!(
        bruno_app["reasons"],
        json!(["ISEE 18.000,00 € sopra la soglia di 15.000,00 €"])
    );

    // Carla: lost her income, so her application goes to review: 250 + 35.50 = 285.50 €.
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let (status, carla_app) = post(
        &carla,
        &server,
        &path,
        apply(CARLA, 2, 1, "5000", true, true),
    )
    .await;
    assert_eq!(status, 201, "{carla_app}");
    assert_eq!(carla_app["status"], "needs_review");
    let carla_id = carla_app["id"].as_str().expect("id").to_owned();

    // Citizens cannot review; the operator asks, Carla answers, the operator approves.
    let (status, _) = post(
        &carla,
        &server,
        &format!("/api/applications/{carla_id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, asked) = post(
        &operator,
        &server,
        &format!("/api/applications/{carla_id}/request-info"),
        json!({"question": "Può allegare la lettera di licenziamento?"}),
    )
    .await;
    assert_eq!((status, &asked["status"]), (200, &json!("info_requested")));
    let (_, mine) = get(&carla, &server, "/api/my-applications").await;
    assert_eq!(
        mine[0]["question"],
        "Può allegare la lettera di licenziamento?"
    );
    // The kernel's "my applications and bookings" page gathers it from the plugin.
    let (status, me) = carla.get_json(&server, "/me").await;
    assert_eq!(status, 200, "{me}");
    let vouchers_section = &me["services"][0];
    assert_eq!(vouchers_section["plugin"], "vouchers", "{me}");
    assert_eq!(
        vouchers_section["items"].as_array().map(Vec::len),
        Some(1),
        "{me}"
    );
    let item_href = vouchers_section["items"][0]["href"]
        .as_str()
        .unwrap_or_default();
    assert!(item_href.starts_with("/p/vouchers/applications/"), "{me}");
    let (status, page) = carla.page(&server, "/me").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Le mie domande e prenotazioni") && page.contains(item_href),
        "{page}"
    );
    let (status, answered) = post(
        &carla,
        &server,
        &format!("/api/applications/{carla_id}/answer"),
        json!({"answer": "Sì, la porto in Comune domani."}),
    )
    .await;
    assert_eq!((status, &answered["status"]), (200, &json!("needs_review")));
    let (status, approved) = post(
        &operator,
        &server,
        &format!("/api/applications/{carla_id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!((status, &approved["status"]), (200, &json!("eligible")));
    // Approving twice is a conflict, not a second approval.
    let (status, _) = post(
        &operator,
        &server,
        &format!("/api/applications/{carla_id}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);

    // Elena has no account: the operator files for her (150 €, eligible, ranked last).
    let (status, elena_app) = post(
        &operator,
        &server,
        &path,
        json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "no"}),
    )
    .await;
    assert_eq!(status, 201, "{elena_app}");
    assert_eq!(elena_app["on_behalf"], true);
    assert_eq!(elena_app["filed_by"], "operatrice");
    // Filing on someone's behalf needs the operator role.
    let (status, _) = post(
        &anna,
        &server,
        &path,
        json!({"on_behalf": true, "full_name": "Dario Marino", "tax_code": DARIO, "household_size": 1, "minors": 0, "isee": "1", "resident": "no", "income_loss": "no"}),
    )
    .await;
    assert_eq!(status, 403);

    // Two simultaneous submissions for Dario: exactly one gets through.
    let dario = json!({"on_behalf": true, "full_name": "Dario Marino", "tax_code": DARIO, "household_size": 1, "minors": 0, "isee": "1000", "resident": "no", "income_loss": "no"});
    let (first, second) = tokio::join!(
        post(&operator, &server, &path, dario.clone()),
        post(&operator, &server, &path, dario.clone())
    );
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", first.1, second.1);

    // The application page renders for its citizen and not for others.
    let anna_id = anna_app["id"].as_str().expect("id").to_owned();
    let (status, page) = anna
        .page(&server, &format!("/p/vouchers/applications/{anna_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Buoni spesa inverno"), "{page}");
    let (status, _) = get(&bruno, &server, &format!("/api/applications/{anna_id}")).await;
    assert_eq!(status, 404);
    let (status, page) = operator
        .page(&server, &format!("/p/vouchers/campaigns/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Elena Pellegrini") && page.contains("Dario Marino"),
        "{page}"
    );

    // Closing ranks by ISEE: Carla (5 000), Anna (9 000), Elena (12 000). 285.50 + 385.50 =
    // 671 € fit in 700; Elena's 150 € do not (29 € are left).
    let (status, closed) = post(
        &operator,
        &server,
        &format!("/api/campaigns/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["close"]["ranked"], 3);
    assert_eq!(closed["close"]["funded"], 2);
    assert_eq!(closed["close"]["not_funded"], 1);
    assert_eq!(closed["close"]["committed_cents"], 67_100);
    assert_eq!(closed["close"]["issued_cents"], 67_100);
    // Closing again changes nothing.
    let (status, again) = post(
        &operator,
        &server,
        &format!("/api/campaigns/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!((status, &again["close"]), (200, &closed["close"]));
    // No applications once closed.
    let late = sign_up(&server, "late", "Late Comer").await;
    let (status, _) = post(&late, &server, &path, apply(DARIO, 1, 0, "1", true, false)).await;
    assert_eq!(status, 422);

    let (_, carla_app) = get(&carla, &server, &format!("/api/applications/{carla_id}")).await;
    assert_eq!(carla_app["status"], "beneficiary");
    assert_eq!(carla_app["rank"], 1);
    assert_eq!(
        amounts(&carla_app),
        vec![5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50]
    );
    let (_, anna_app) = get(&anna, &server, &format!("/api/applications/{anna_id}")).await;
    assert_eq!(anna_app["status"], "beneficiary");
    assert_eq!(anna_app["rank"], 2);
    assert_eq!(
        amounts(&anna_app),
        vec![
            5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50
        ]
    );
    let (_, list) = get(
        &operator,
        &server,
        &format!("/api/campaigns/{id}/applications?status=not_funded"),
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["tax_code"], ELENA);
    assert_eq!(list[0]["rank"], 3);
    let (_, list) = get(
        &operator,
        &server,
        &format!("/api/campaigns/{id}/applications?status=ineligible"),
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    // Every voucher holds its face value.
    let anna_codes = codes_of(&anna_app);
    for (code, cents) in anna_codes.iter().zip(amounts(&anna_app)) {
        assert_eq!(balance(&anna, &server, code).await, cents);
    }
    // Codes are unique.
    let mut all: Vec<String> = anna_codes
        .iter()
        .chain(codes_of(&carla_app).iter())
        .cloned()
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20);

    // The operator registers a shop; the shopkeeper claims it with the one-time code.
    let (status, shop) = post(
        &operator,
        &server,
        "/api/merchants",
        json!({"name": "Alimentari Bottega", "vat_number": VAT, "address": "Via Roma 1"}),
    )
    .await;
    assert_eq!(status, 201, "{shop}");
    let claim_code = shop["claim_code"].as_str().expect("claim code").to_owned();
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let (status, _) = post(
        &operator,
        &server,
        "/api/merchants",
        json!({"name": "Doppione", "vat_number": VAT, "address": "Via Roma 2"}),
    )
    .await;
    assert_eq!(status, 409, "the same VAT number twice");
    let shopkeeper = login(&server, "bottega").await;
    let (status, _) = post(
        &anna,
        &server,
        "/api/merchant/claim",
        json!({"code": claim_code}),
    )
    .await;
    assert_eq!(status, 403, "claiming needs the merchant role");
    let (status, claimed) = post(
        &shopkeeper,
        &server,
        "/api/merchant/claim",
        json!({"code": claim_code.to_lowercase()}),
    )
    .await;
    assert_eq!(status, 200, "{claimed}");
    assert_eq!(claimed["linked"], true);

    // A partial redemption, then the rest of the same voucher.
    let first = &anna_codes[0];
    let printed = format!("BS-{}-{}-{}", &first[..4], &first[4..8], &first[8..]);
    let (status, r1) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": printed, "amount": "20,00", "request_id": "req-0000000001"}),
    )
    .await;
    assert_eq!(status, 201, "{r1}");
    assert_eq!(
        (r1["amount_cents"].as_i64(), r1["remaining_cents"].as_i64()),
        (Some(2_000), Some(3_000))
    );
    // A retried request is the same redemption, not a second one.
    let (status, replay) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": first, "amount": "20,00", "request_id": "req-0000000001"}),
    )
    .await;
    assert_eq!((status, &replay["id"]), (201, &r1["id"]));
    let (status, _) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": first, "amount": "25,00", "request_id": "req-0000000001"}),
    )
    .await;
    assert_eq!(status, 409, "a request id reused for another amount");
    assert_eq!(balance(&shopkeeper, &server, first).await, 3_000);
    let (status, r2) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": first, "amount": 30, "request_id": "req-0000000002"}),
    )
    .await;
    assert_eq!(
        (status, r2["remaining_cents"].as_i64()),
        (201, Some(0)),
        "{r2}"
    );
    // Spent vouchers and amounts beyond the balance are refused, saying what is left.
    let (status, spent) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": first, "amount": "0,01", "request_id": "req-0000000003"}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        spent["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("speso per intero"),
        "{spent}"
    );
    let second = &anna_codes[1];
    let (status, over) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": second, "amount": "60", "request_id": "req-0000000004"}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        over["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("restano 50,00 €"),
        "{over}"
    );
    assert_eq!(balance(&shopkeeper, &server, second).await, 5_000);
    let (status, _) = post(
        &shopkeeper,
        &server,
        "/api/redeem",
        json!({"code": "ZZZZ-ZZZZ-ZZZZ", "amount": "1", "request_id": "req-0000000005"}),
    )
    .await;
    assert_eq!(status, 404);
    let (_, me) = get(&shopkeeper, &server, "/api/merchant").await;
    assert_eq!(me["owed_cents"], 5_000);
    assert_eq!(me["redemptions"].as_array().map(Vec::len), Some(2));

    // The operator reimburses 30 €, then everything left; the owed balance never goes below 0.
    let reimburse = format!("/api/merchants/{shop_id}/reimburse");
    let (status, paid) = post(
        &operator,
        &server,
        &reimburse,
        json!({"amount": "30", "reference": "TRN-0001", "request_id": "pay-00000001"}),
    )
    .await;
    assert_eq!(
        (status, paid["owed_cents"].as_i64()),
        (201, Some(2_000)),
        "{paid}"
    );
    let (status, replay) = post(
        &operator,
        &server,
        &reimburse,
        json!({"amount": "30", "reference": "TRN-0001", "request_id": "pay-00000001"}),
    )
    .await;
    assert_eq!(
        (status, replay["owed_cents"].as_i64()),
        (201, Some(2_000)),
        "paid once"
    );
    let (status, over) = post(
        &operator,
        &server,
        &reimburse,
        json!({"amount": "25", "reference": "TRN-0002", "request_id": "pay-00000002"}),
    )
    .await;
    assert_eq!(status, 409, "{over}");
    let (status, rest) = post(
        &operator,
        &server,
        &reimburse,
        json!({"reference": "TRN-0003", "request_id": "pay-00000003"}),
    )
    .await;
    assert_eq!(
        (
            status,
            rest["amount_cents"].as_i64(),
            rest["owed_cents"].as_i64()
        ),
        (201, Some(2_000), Some(0))
    );

    // Every figure of the dashboard, to the cent.
    let (status, dashboard) = get(&operator, &server, "/api/dashboard").await;
    assert_eq!(status, 200);
    let c = &dashboard["campaigns"][0];
    assert_eq!(c["budget"]["cents"], 70_000);
    assert_eq!(c["issued"]["cents"], 67_100);
    assert_eq!(c["spent"]["cents"], 5_000);
    assert_eq!(c["outstanding"]["cents"], 62_100);
    assert_eq!(c["remaining"]["cents"], 2_900);
    assert_eq!(c["applications"], 5);
    let count = |status: &str| {
        c["by_status"]
            .as_array()
            .and_then(|list| list.iter().find(|s| s["status"] == status))
            .and_then(|s| s["count"].as_u64())
    };
    assert_eq!(count("beneficiary"), Some(2));
    assert_eq!(count("not_funded"), Some(1));
    assert_eq!(count("ineligible"), Some(2));
    let m = &dashboard["merchants"][0];
    assert_eq!(m["redeemed"]["cents"], 5_000);
    assert_eq!(m["reimbursed"]["cents"], 5_000);
    assert_eq!(m["owed"]["cents"], 0);
    assert_eq!(dashboard["totals"]["spent"]["cents"], 5_000);

    // The pages and exports render.
    for path in [
        "/",
        "/dashboard",
        "/merchants",
        "/campaigns",
        "/campaigns/new",
    ] {
        let (status, page) = operator.page(&server, &format!("/p/vouchers{path}")).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
    let (status, page) = shopkeeper.page(&server, "/p/vouchers/merchant").await;
    assert_eq!(status, 200);
    assert!(page.contains("Alimentari Bottega"), "{page}");
    let (status, page) = anna.page(&server, "/p/vouchers/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Le mie domande") && page.contains("Beneficiario"),
        "{page}"
    );
    let csv = operator
        .http
        .get(server.url(&format!("/p/vouchers/campaigns/{id}/beneficiaries.csv")))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    // For an Italian spreadsheet: a byte-order mark, `;`, Italian headers, decimal commas.
    assert!(
        lines[0].starts_with("\u{feff}posizione;codice fiscale;nome e cognome;importo (€);"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("1;{CARLA};Carla Bianchi;285,50;9;BS-")),
        "{csv}"
    );
    assert!(
        lines[2].starts_with(&format!("2;{ANNA};Anna Rossi;385,50;11;BS-")),
        "{csv}"
    );
    let csv = operator
        .http
        .get(server.url("/p/vouchers/reimbursements.csv"))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("TRN-0001") && csv.contains(";30,00;"), "{csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_work_without_javascript_and_show_what_to_fix() {
    let instance = TestInstance::new("vouchers-forms", VOUCHERS);
    add_user(&instance, "operatore", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatore").await;
    let response = operator
        .post_form(
            &server,
            "/p/vouchers/campaigns",
            &[
                ("title", "Affitti"),
                ("measure", "rent"),
                ("opens_on", &today_plus(0)),
                ("closes_on", &today_plus(5)),
                ("budget", "abc"),
                ("fields", "household_size"),
                ("base_amounts", "300"),
                ("review_rules", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("«abc» non è un importo in euro"), "{page}");
    assert!(
        page.contains("value=\"Affitti\""),
        "the typed title is kept: {page}"
    );

    let response = operator
        .post_form(
            &server,
            "/p/vouchers/campaigns",
            &[
                ("title", "Affitti"),
                ("measure", "rent"),
                ("opens_on", &today_plus(0)),
                ("closes_on", &today_plus(5)),
                ("budget", "1.000,00"),
                ("fields", "household_size"),
                ("fields", "rent"),
                ("base_amounts", "300; 400"),
                ("ranking", "household_desc"),
                ("ranking", ""),
                ("review_rules", "rent > 800"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with("/p/vouchers/campaigns/"), "{location}");

    let citizen = sign_up(&server, "mario", "Mario Rossi").await;
    let response = citizen
        .post_form(
            &server,
            &format!("{location}/apply"),
            &[
                ("tax_code", "RSSMRA85T10A562T"),
                ("household_size", "3"),
                ("rent", "900"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("il carattere di controllo non corrisponde"),
        "{page}"
    );
    let response = citizen
        .post_form(
            &server,
            &format!("{location}/apply"),
            &[
                ("tax_code", ANNA),
                ("household_size", "3"),
                ("rent", "900,00"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let application = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (status, page) = citizen.page(&server, &application).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("In istruttoria"),
        "rent above 800 goes to review: {page}"
    );
    let (status, page) = operator.page(&server, &application).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("/request-info"),
        "the operator sees the review forms: {page}"
    );
    let response = operator
        .post_form(&server, &format!("{application}/reject"), &[("reason", "")])
        .await;
    assert_eq!(
        response.status().as_u16(),
        422,
        "a rejection needs a reason"
    );
    let response = operator
        .post_form(
            &server,
            &format!("{application}/reject"),
            &[("reason", "Contratto non registrato")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = citizen.page(&server, &application).await;
    assert!(page.contains("Contratto non registrato"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_cashiers_racing_for_one_voucher_spend_exactly_its_value() {
    race_for_one_voucher(TestInstance::new("vouchers-race", VOUCHERS), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_cashiers_racing_for_one_voucher_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{VOUCHERS}", db.url);
    race_for_one_voucher(TestInstance::new("vouchers-race-pg", &body), false).await;
}

/// A closed campaign that funded one voucher of `euros` for each of `tax_codes` (applied for by
/// citizens who sign up as `cittadino0`, `cittadino1`, …), and a shop linked to the account
/// `cassa`. The instance needs the accounts `operatore` (operator) and `cassa` (merchant).
/// Returns the operator, the cashier and the codes of the vouchers.
pub(crate) async fn vouchers_at_a_shop(
    server: &Server,
    euros: i64,
    tax_codes: &[&str],
) -> (Client, Client, Vec<String>) {
    let operator = login(server, "operatore").await;
    let (status, campaign) = post(
        &operator,
        server,
        "/api/campaigns",
        json!({
            "title": "Buoni per la cassa",
            "measure": "food",
            "opens_on": today_plus(0),
            "closes_on": today_plus(1),
            "budget": euros * i64::try_from(tax_codes.len()).expect("few"),
            "base_amounts": [euros],
            "review_rules": [],
        }),
    )
    .await;
    assert_eq!(status, 201, "{campaign}");
    let id = campaign["id"].as_str().expect("id").to_owned();
    let mut applications = Vec::new();
    for (i, tax_code) in tax_codes.iter().enumerate() {
        let citizen = sign_up(server, &format!("cittadino{i}"), &format!("Cittadino {i}")).await;
        let (status, application) = post(
            &citizen,
            server,
            &format!("/api/campaigns/{id}/applications"),
            json!({"tax_code": tax_code}),
        )
        .await;
        assert_eq!(
            (status, &application["status"]),
            (201, &json!("eligible")),
            "{application}"
        );
        applications.push(application["id"].as_str().expect("id").to_owned());
    }
    let (status, _) = post(
        &operator,
        server,
        &format!("/api/campaigns/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let mut codes = Vec::new();
    for application in applications {
        let (_, application) = get(
            &operator,
            server,
            &format!("/api/applications/{application}"),
        )
        .await;
        assert_eq!(amounts(&application), vec![euros * 100], "{application}");
        codes.extend(codes_of(&application));
    }

    let (status, shop) = post(
        &operator,
        server,
        "/api/merchants",
        json!({"name": "Cassa veloce", "vat_number": VAT, "address": "Piazza Grande 1"}),
    )
    .await;
    assert_eq!(status, 201);
    let cashier = login(server, "cassa").await;
    let (status, _) = post(
        &cashier,
        server,
        "/api/merchant/claim",
        json!({"code": shop["claim_code"]}),
    )
    .await;
    assert_eq!(status, 200);
    (operator, cashier, codes)
}

/// Two hundred requests of 1 € each, at once, against one 50 € voucher from one shop; with
/// `second_node`, every other request goes to a second `trama serve` on the same database (the multi-node test in `nodes.rs`).
pub(crate) async fn race_for_one_voucher(instance: TestInstance, second_node: bool) {
    add_user(&instance, "operatore", "operator");
    add_user(&instance, "cassa", "merchant");
    let server = Server::start(&[instance.path()]);
    let (operator, cashier, codes) = vouchers_at_a_shop(&server, 50, &[ANNA]).await;
    let code = codes[0].clone();

    let token = cashier.csrf(&server).await;
    let url = server.url("/p/vouchers/api/redeem");
    // Cookies do not depend on the port: the cashier's session works on both nodes.
    let other = second_node.then(|| Server::start(&[instance.path()]));
    let other_url = other
        .as_ref()
        .map(|node| node.url("/p/vouchers/api/redeem"));
    let mut tasks = Vec::new();
    for i in 0..200 {
        let http = cashier.http.clone();
        let url = match (&other_url, i % 2) {
            (Some(other_url), 1) => other_url.clone(),
            _ => url.clone(),
        };
        let (token, code) = (token.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .header("x-csrf-token", token)
                .json(
                    &json!({"code": code, "amount": "1,00", "request_id": format!("race-{i:08}")}),
                )
                .send()
                .await
                .expect("redeem");
            response.status().as_u16()
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            201 => ok += 1,
            409 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, refused), (50, 150));
    assert_eq!(balance(&cashier, &server, &code).await, 0);
    let (_, me) = get(&cashier, &server, "/api/merchant").await;
    assert_eq!(me["owed_cents"], 5_000);
    let (_, dashboard) = get(&operator, &server, "/api/dashboard").await;
    assert_eq!(dashboard["campaigns"][0]["spent"]["cents"], 5_000);
    assert_eq!(dashboard["merchants"][0]["redeemed"]["cents"], 5_000);
}
