//! The campaign closes, its vouchers are spent at a shop, the shop is reimbursed, and every
//! figure of the dashboard and of the exports is right to the cent — the plugin's own logic,
//! run natively against the kernel's store, ledger and accounts (`trama-testhost`).

use crate::common;

use common::{
    ANNA, BRUNO, CARLA, DARIO, ELENA, VAT, amounts, application, applications, apply, close,
    codes_of, csv, id_of, opened, winter_campaign,
};
use serde_json::{Value as Json, json};
use trama_testhost::{Account, TestHost};
use vouchers::Vouchers;

/// The campaign of the story with its five applications in, ready to close.
struct Applied {
    host: TestHost<Vouchers>,
    operator: Account,
    anna: Account,
    carla: Account,
    id: String,
    anna_id: String,
    carla_id: String,
}

/// The winter food campaign (700 €, ISEE up to 15,000 €, residents only); Anna and Carla
/// eligible (Carla after review), Bruno ineligible, Elena and Dario filed by the operator.
fn applied() -> Applied {
    let (host, operator, id, path) = opened(winter_campaign());
    let [anna, bruno, carla] = host.accounts(["anna", "bruno", "carla"], &["citizen"]);
    let anna_app = host.post(
        Some(&anna),
        &path,
        apply(ANNA, 3, 1, "9.000,00", true, false),
    );
    assert_eq!(anna_app.body["status"], "eligible", "{}", anna_app.body);
    let bruno_app = host.post(
        Some(&bruno),
        &path,
        apply(BRUNO, 2, 0, "18.000,00", true, false),
    );
    assert_eq!(bruno_app.body["status"], "ineligible", "{}", bruno_app.body);
    let carla_app = host.post(Some(&carla), &path, apply(CARLA, 2, 1, "5000", true, true));
    assert_eq!(
        carla_app.body["status"], "needs_review",
        "{}",
        carla_app.body
    );
    let carla_id = id_of(&carla_app);
    let approved = host.post(
        Some(&operator),
        &format!("/api/applications/{carla_id}/approve"),
        json!({}),
    );
    assert_eq!(approved.body["status"], "eligible", "{}", approved.body);
    host.post(
        Some(&operator),
        &path,
        json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "no"}),
    ).assert_status(201);
    // Dario is not resident: filed, and ineligible. The same submission again is a conflict.
    let dario = json!({"on_behalf": true, "full_name": "Dario Marino", "tax_code": DARIO, "household_size": 1, "minors": 0, "isee": "1000", "resident": "no", "income_loss": "no"});
    let filed = host
        .post(Some(&operator), &path, dario.clone())
        .assert_status(201);
    assert_eq!(filed.body["status"], "ineligible", "{}", filed.body);
    assert_eq!(host.post(Some(&operator), &path, dario).status, 409);
    // The operator's campaign list names the applicants filed for.
    let page = host
        .page(Some(&operator), &format!("/campaigns/{id}"))
        .assert_status(200);
    let listed = page.body.to_string();
    assert!(
        listed.contains("Elena Pellegrini") && listed.contains("Dario Marino"),
        "{listed}"
    );
    Applied {
        host,
        operator,
        anna,
        carla,
        id,
        anna_id: id_of(&anna_app),
        carla_id,
    }
}

#[test]
fn closing_ranks_by_isee_funds_what_fits_and_splits_amounts_into_vouchers() {
    let Applied {
        host,
        operator,
        anna,
        carla,
        id,
        anna_id,
        carla_id,
    } = applied();
    let close = format!("/api/campaigns/{id}/close");

    // Closing ranks by ISEE: Carla (5 000), Anna (9 000), Elena (12 000). 285.50 + 385.50 =
    // 671 € fit in 700; Elena's 150 € do not (29 € are left).
    assert_eq!(host.post(Some(&anna), &close, json!({})).status, 403);
    let closed = host
        .post(Some(&operator), &close, json!({}))
        .assert_status(200);
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["close"]["ranked"], 3);
    assert_eq!(closed.body["close"]["funded"], 2);
    assert_eq!(closed.body["close"]["not_funded"], 1);
    assert_eq!(closed.body["close"]["committed_cents"], 67_100);
    assert_eq!(closed.body["close"]["issued_cents"], 67_100);
    // What the territory's indicators read: one event per household funded, adding up to what
    // the close issued, each with the band of its ISEE and never the figure.
    let issued: Vec<_> = host
        .published()
        .into_iter()
        .filter(|event| event.name == "vouchers.voucher_issued")
        .map(|event| event.payload)
        .collect();
    assert_eq!(issued.len(), 2);
    let total: i64 = issued
        .iter()
        .map(|p| p["amount_cents"].as_i64().expect("cents"))
        .sum();
    assert_eq!(total, 67_100);
    let mut bands: Vec<&str> = issued
        .iter()
        .map(|p| p["isee_band"].as_str().expect("a band"))
        .collect();
    bands.sort_unstable();
    assert_eq!(
        bands,
        ["0-7500", "7500-15000"],
        "Carla 5 000 €, Anna 9 000 €"
    );
    assert!(
        issued
            .iter()
            .all(|p| p.get("isee").is_none() && p.get("isee_cents").is_none())
    );
    // Closing again changes nothing.
    let again = host.post(Some(&operator), &close, json!({}));
    assert_eq!(
        (again.status, &again.body["close"]),
        (200, &closed.body["close"])
    );
    // No applications once closed.
    let late = host.account("late", &["citizen"]);
    let refused = host
        .post(
            Some(&late),
            &applications(&id),
            apply(DARIO, 1, 0, "1", true, false),
        )
        .assert_status(422);
    assert!(
        refused.message().contains("non accetta domande"),
        "{}",
        refused.body
    );

    let carla_app = application(&host, &carla, &carla_id);
    assert_eq!(carla_app.body["status"], "beneficiary");
    assert_eq!(carla_app.body["rank"], 1);
    assert_eq!(
        amounts(&carla_app.body),
        vec![5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50]
    );
    let anna_app = application(&host, &anna, &anna_id);
    assert_eq!(anna_app.body["status"], "beneficiary");
    assert_eq!(anna_app.body["rank"], 2);
    assert_eq!(
        amounts(&anna_app.body),
        vec![
            5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50
        ]
    );
    let list = host.get(
        Some(&operator),
        &format!("/api/campaigns/{id}/applications?status=not_funded"),
    );
    assert_eq!(list.body.as_array().map(Vec::len), Some(1), "{}", list.body);
    assert_eq!(list.body[0]["tax_code"], ELENA);
    assert_eq!(list.body[0]["rank"], 3);
    let list = host.get(
        Some(&operator),
        &format!("/api/campaigns/{id}/applications?status=ineligible"),
    );
    assert_eq!(list.body.as_array().map(Vec::len), Some(2), "{}", list.body);
    // Every voucher holds its face value, and codes are unique.
    let anna_codes = codes_of(&anna_app.body);
    for (code, cents) in anna_codes.iter().zip(amounts(&anna_app.body)) {
        let voucher = host.get(Some(&anna), &format!("/api/vouchers/{code}"));
        assert_eq!(voucher.body["balance_cents"], cents, "{}", voucher.body);
    }
    let mut all: Vec<String> = anna_codes
        .iter()
        .chain(codes_of(&carla_app.body).iter())
        .cloned()
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 20);

    // The beneficiaries' export opens in an Italian spreadsheet: a byte-order mark, `;`,
    // Italian headers, decimal commas; in rank order, with the number of vouchers.
    let export = csv(&host.get(
        Some(&operator),
        &format!("/campaigns/{id}/beneficiaries.csv"),
    ));
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 3, "{export}");
    assert!(
        lines[0].starts_with("\u{feff}posizione;codice fiscale;nome e cognome;importo (€);"),
        "{export}"
    );
    assert!(
        lines[1].starts_with(&format!("1;{CARLA};carla;285,50;9;BS-")),
        "{export}"
    );
    assert!(
        lines[2].starts_with(&format!("2;{ANNA};anna;385,50;11;BS-")),
        "{export}"
    );
    assert_eq!(
        host.get(Some(&anna), &format!("/campaigns/{id}/beneficiaries.csv"))
            .status,
        403
    );
}

#[test]
fn a_shop_redeems_vouchers_is_reimbursed_and_the_dashboard_adds_up_to_the_cent() {
    let Applied {
        host,
        operator,
        anna,
        id,
        anna_id,
        ..
    } = applied();
    close(&host, &operator, &id).assert_status(200);
    let anna_app = application(&host, &anna, &anna_id);
    let anna_codes = codes_of(&anna_app.body);

    // The operator registers a shop; the shopkeeper claims it with the one-time code.
    let shop = host
        .post(
            Some(&operator),
            "/api/merchants",
            json!({"name": "Alimentari Bottega", "vat_number": VAT, "address": "Via Roma 1"}),
        )
        .assert_status(201);
    let claim_code = shop.body["claim_code"]
        .as_str()
        .expect("claim code")
        .to_owned();
    let shop_id = id_of(&shop);
    let twice = host.post(
        Some(&operator),
        "/api/merchants",
        json!({"name": "Doppione", "vat_number": VAT, "address": "Via Roma 2"}),
    );
    assert_eq!(twice.status, 409, "the same VAT number twice");
    let shopkeeper = host.account("bottega", &["merchant"]);
    assert_eq!(
        host.post(
            Some(&anna),
            "/api/merchant/claim",
            json!({"code": claim_code})
        )
        .status,
        403,
        "claiming needs the merchant role"
    );
    let claimed = host
        .post(
            Some(&shopkeeper),
            "/api/merchant/claim",
            json!({"code": claim_code.to_lowercase()}),
        )
        .assert_status(200);
    assert_eq!(claimed.body["linked"], true);
    assert_eq!(
        host.audited(&shop_id),
        ["merchant.registered", "merchant.claimed"],
        "who linked the shop is in the audit trail"
    );
    let again = host.post(
        Some(&shopkeeper),
        "/api/merchant/claim",
        json!({"code": claim_code}),
    );
    assert_eq!(again.status, 409, "a code works once: {}", again.body);

    let redeem = |body: Json| host.post(Some(&shopkeeper), "/api/redeem", body);
    let balance = |code: &str| {
        let voucher = host
            .get(Some(&shopkeeper), &format!("/api/vouchers/{code}"))
            .assert_status(200);
        voucher.body["balance_cents"].as_i64().expect("balance")
    };
    // A partial redemption (the code as printed), then the rest of the same voucher.
    let first = &anna_codes[0];
    let printed = format!("BS-{}-{}-{}", &first[..4], &first[4..8], &first[8..]);
    let r1 = redeem(json!({"code": printed, "amount": "20,00", "request_id": "req-0000000001"}))
        .assert_status(201);
    assert_eq!(
        (
            r1.body["amount_cents"].as_i64(),
            r1.body["remaining_cents"].as_i64()
        ),
        (Some(2_000), Some(3_000))
    );
    // A retried request is the same redemption, not a second one.
    let replay = redeem(json!({"code": first, "amount": "20,00", "request_id": "req-0000000001"}));
    assert_eq!((replay.status, &replay.body["id"]), (201, &r1.body["id"]));
    let reused = redeem(json!({"code": first, "amount": "25,00", "request_id": "req-0000000001"}));
    assert_eq!(reused.status, 409, "a request id reused for another amount");
    assert_eq!(balance(first), 3_000);
    let r2 = redeem(json!({"code": first, "amount": 30, "request_id": "req-0000000002"}));
    assert_eq!(
        (r2.status, r2.body["remaining_cents"].as_i64()),
        (201, Some(0)),
        "{}",
        r2.body
    );
    // Spent vouchers and amounts beyond the balance are refused, saying what is left.
    let spent = redeem(json!({"code": first, "amount": "0,01", "request_id": "req-0000000003"}))
        .assert_status(409);
    assert!(
        spent.message().contains("speso per intero"),
        "{}",
        spent.body
    );
    let second = &anna_codes[1];
    let over = redeem(json!({"code": second, "amount": "60", "request_id": "req-0000000004"}))
        .assert_status(409);
    assert!(over.message().contains("restano 50,00 €"), "{}", over.body);
    assert_eq!(balance(second), 5_000);
    let unknown =
        redeem(json!({"code": "ZZZZ-ZZZZ-ZZZZ", "amount": "1", "request_id": "req-0000000005"}));
    assert_eq!(unknown.status, 404);
    // A citizen cannot redeem.
    host.post(
        Some(&anna),
        "/api/redeem",
        json!({"code": second, "amount": "1", "request_id": "req-0000000006"}),
    )
    .assert_status(403);
    let me = host.get(Some(&shopkeeper), "/api/merchant");
    assert_eq!(me.body["owed_cents"], 5_000, "{}", me.body);
    assert_eq!(me.body["redemptions"].as_array().map(Vec::len), Some(2));

    // The operator reimburses 30 €, then everything left; the owed balance never goes below 0.
    let reimburse = format!("/api/merchants/{shop_id}/reimburse");
    let pay = |body: Json| host.post(Some(&operator), &reimburse, body);
    let paid = pay(json!({"amount": "30", "reference": "TRN-0001", "request_id": "pay-00000001"}));
    assert_eq!(
        (paid.status, paid.body["owed_cents"].as_i64()),
        (201, Some(2_000)),
        "{}",
        paid.body
    );
    let replay =
        pay(json!({"amount": "30", "reference": "TRN-0001", "request_id": "pay-00000001"}));
    assert_eq!(
        (replay.status, replay.body["owed_cents"].as_i64()),
        (201, Some(2_000)),
        "paid once"
    );
    pay(json!({"amount": "25", "reference": "TRN-0002", "request_id": "pay-00000002"}))
        .assert_status(409);
    let rest = pay(json!({"reference": "TRN-0003", "request_id": "pay-00000003"}));
    assert_eq!(
        (
            rest.status,
            rest.body["amount_cents"].as_i64(),
            rest.body["owed_cents"].as_i64()
        ),
        (201, Some(2_000), Some(0))
    );

    // Every figure of the dashboard, to the cent.
    let dashboard = host
        .get(Some(&operator), "/api/dashboard")
        .assert_status(200);
    let c = &dashboard.body["campaigns"][0];
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
    let m = &dashboard.body["merchants"][0];
    assert_eq!(m["redeemed"]["cents"], 5_000);
    assert_eq!(m["reimbursed"]["cents"], 5_000);
    assert_eq!(m["owed"]["cents"], 0);
    assert_eq!(dashboard.body["totals"]["spent"]["cents"], 5_000);

    // The reimbursements' export: the two payments, the first with its reference and amount.
    let export = csv(&host.get(Some(&operator), "/reimbursements.csv"));
    assert_eq!(export.lines().count(), 3, "{export}");
    assert!(
        export.contains("TRN-0001") && export.contains(";30,00;"),
        "{export}"
    );
}
