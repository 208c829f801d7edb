//! The campaign closes, its vouchers are spent at a shop, the shop is reimbursed, and every
//! figure of the dashboard is right to the cent.

use serde_json::json;

use super::applications::Applied;
use super::{ANNA, API, CARLA, DARIO, ELENA, VAT, amounts, apply, balance, codes_of};
use crate::support::{login, sign_up};

/// The campaign closes, Anna spends her vouchers at a shop, the shop is reimbursed.
pub(super) async fn close_spend_and_reimburse(applied: Applied) {
    let Applied {
        instance: _instance,
        server,
        operator,
        anna,
        carla,
        id,
        anna_id,
        carla_id,
    } = applied;
    let path = format!("/api/campaigns/{id}/applications");

    // Closing ranks by ISEE: Carla (5 000), Anna (9 000), Elena (12 000). 285.50 + 385.50 =
    // 671 € fit in 700; Elena's 150 € do not (29 € are left).
    let (status, closed) = API
        .post(
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
    let (status, again) = API
        .post(
            &operator,
            &server,
            &format!("/api/campaigns/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!((status, &again["close"]), (200, &closed["close"]));
    // No applications once closed.
    let late = sign_up(&server, "late", "Late Comer").await;
    let (status, _) = API
        .post(&late, &server, &path, apply(DARIO, 1, 0, "1", true, false))
        .await;
    assert_eq!(status, 422);

    let (_, carla_app) = API
        .get(&carla, &server, &format!("/api/applications/{carla_id}"))
        .await;
    assert_eq!(carla_app["status"], "beneficiary");
    assert_eq!(carla_app["rank"], 1);
    assert_eq!(
        amounts(&carla_app),
        vec![5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50]
    );
    let (_, anna_app) = API
        .get(&anna, &server, &format!("/api/applications/{anna_id}"))
        .await;
    assert_eq!(anna_app["status"], "beneficiary");
    assert_eq!(anna_app["rank"], 2);
    assert_eq!(
        amounts(&anna_app),
        vec![
            5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 2_000, 1_000, 500, 50
        ]
    );
    let (_, list) = API
        .get(
            &operator,
            &server,
            &format!("/api/campaigns/{id}/applications?status=not_funded"),
        )
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["tax_code"], ELENA);
    assert_eq!(list[0]["rank"], 3);
    let (_, list) = API
        .get(
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
    let (status, shop) = API
        .post(
            &operator,
            &server,
            "/api/merchants",
            json!({"name": "Alimentari Bottega", "vat_number": VAT, "address": "Via Roma 1"}),
        )
        .await;
    assert_eq!(status, 201, "{shop}");
    let claim_code = shop["claim_code"].as_str().expect("claim code").to_owned();
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let (status, _) = API
        .post(
            &operator,
            &server,
            "/api/merchants",
            json!({"name": "Doppione", "vat_number": VAT, "address": "Via Roma 2"}),
        )
        .await;
    assert_eq!(status, 409, "the same VAT number twice");
    let shopkeeper = login(&server, "bottega").await;
    let (status, _) = API
        .post(
            &anna,
            &server,
            "/api/merchant/claim",
            json!({"code": claim_code}),
        )
        .await;
    assert_eq!(status, 403, "claiming needs the merchant role");
    let (status, claimed) = API
        .post(
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
    let (status, r1) = API
        .post(
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
    let (status, replay) = API
        .post(
            &shopkeeper,
            &server,
            "/api/redeem",
            json!({"code": first, "amount": "20,00", "request_id": "req-0000000001"}),
        )
        .await;
    assert_eq!((status, &replay["id"]), (201, &r1["id"]));
    let (status, _) = API
        .post(
            &shopkeeper,
            &server,
            "/api/redeem",
            json!({"code": first, "amount": "25,00", "request_id": "req-0000000001"}),
        )
        .await;
    assert_eq!(status, 409, "a request id reused for another amount");
    assert_eq!(balance(&shopkeeper, &server, first).await, 3_000);
    let (status, r2) = API
        .post(
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
    let (status, spent) = API
        .post(
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
    let (status, over) = API
        .post(
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
    let (status, _) = API
        .post(
            &shopkeeper,
            &server,
            "/api/redeem",
            json!({"code": "ZZZZ-ZZZZ-ZZZZ", "amount": "1", "request_id": "req-0000000005"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, me) = API.get(&shopkeeper, &server, "/api/merchant").await;
    assert_eq!(me["owed_cents"], 5_000);
    assert_eq!(me["redemptions"].as_array().map(Vec::len), Some(2));

    // The operator reimburses 30 €, then everything left; the owed balance never goes below 0.
    let reimburse = format!("/api/merchants/{shop_id}/reimburse");
    let (status, paid) = API
        .post(
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
    let (status, replay) = API
        .post(
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
    let (status, over) = API
        .post(
            &operator,
            &server,
            &reimburse,
            json!({"amount": "25", "reference": "TRN-0002", "request_id": "pay-00000002"}),
        )
        .await;
    assert_eq!(status, 409, "{over}");
    let (status, rest) = API
        .post(
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
    let (status, dashboard) = API.get(&operator, &server, "/api/dashboard").await;
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
