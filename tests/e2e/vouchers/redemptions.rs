//! The campaign closes, a shop redeems a voucher and is reimbursed, through the real server:
//! the wiring only. Ranking, the vouchers' amounts, every refusal and every figure of the
//! dashboard and of the exports, to the cent, are the plugin's native tests
//! (`plugins/vouchers/tests/redemptions.rs`); here the merchant role of a kernel account, the
//! pages, and the exports downloaded with the names of the kernel's accounts.

use serde_json::json;

use super::applications::Applied;
use super::{ANNA, API, CARLA, VAT, balance, codes_of};
use crate::support::login;

/// The campaign closes, Anna spends a voucher at a shop, the shop is reimbursed.
pub(super) async fn close_spend_and_reimburse(applied: Applied) {
    let Applied {
        instance: _instance,
        server,
        operator,
        anna,
        id,
        anna_id,
    } = applied;

    // Closing funds Carla and Anna (671 € of 700).
    let (status, closed) = API
        .post(
            &operator,
            &server,
            &format!("/api/campaigns/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["close"]["issued_cents"], 67_100, "{closed}");
    let (_, anna_app) = API
        .get(&anna, &server, &format!("/api/applications/{anna_id}"))
        .await;
    assert_eq!(anna_app["status"], "beneficiary", "{anna_app}");
    let first = codes_of(&anna_app)[0].clone();
    // Her page shows each voucher with a QR code for the shop to scan, named for screen readers
    // (the drawing itself is read back by a QR reader in the kernel's own tests).
    let (status, page) = anna
        .page(&server, &format!("/p/vouchers/applications/{anna_id}"))
        .await;
    assert_eq!(status, 200, "{page}");
    let shown = format!("BS-{}-{}-{}", &first[..4], &first[4..8], &first[8..]);
    assert!(
        page.contains(&format!(
            "role=\"img\" aria-label=\"Codice QR del buono {shown}\""
        )),
        "a QR code beside {shown}: {page}"
    );

    // The operator registers a shop; the shopkeeper's kernel account claims it.
    let (status, shop) = API
        .post(
            &operator,
            &server,
            "/api/merchants",
            json!({"name": "Alimentari Bottega", "vat_number": VAT, "address": "Via Roma 1"}),
        )
        .await;
    assert_eq!(status, 201, "{shop}");
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let shopkeeper = login(&server, "bottega").await;
    let (status, claimed) = API
        .post(
            &shopkeeper,
            &server,
            "/api/merchant/claim",
            json!({"code": shop["claim_code"]}),
        )
        .await;
    assert_eq!(status, 200, "{claimed}");
    // The shop's page offers the camera for the code where the browser can read QR codes; the
    // field is typed as ever without it.
    let (status, page) = shopkeeper.page(&server, "/p/vouchers/merchant").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<script src=\"/static/scan.js\" defer></script>")
            && page.contains("data-scan=\"Inquadra il codice QR\""),
        "{page}"
    );
    let (status, script) = shopkeeper.page(&server, "/static/scan.js").await;
    assert_eq!(status, 200, "the theme serves the scanner");
    assert!(script.contains("BarcodeDetector"), "{script}");

    // A voucher redeemed by its printed code; the shop is reimbursed.
    let printed = format!("BS-{}-{}-{}", &first[..4], &first[4..8], &first[8..]);
    let (status, redeemed) = API
        .post(
            &shopkeeper,
            &server,
            "/api/redeem",
            json!({"code": printed, "amount": "20,00", "request_id": "req-0000000001"}),
        )
        .await;
    assert_eq!(status, 201, "{redeemed}");
    assert_eq!(balance(&shopkeeper, &server, &first).await, 3_000);
    let (status, paid) = API
        .post(
            &operator,
            &server,
            &format!("/api/merchants/{shop_id}/reimburse"),
            json!({"reference": "TRN-0001", "request_id": "pay-00000001"}),
        )
        .await;
    assert_eq!(
        (
            status,
            paid["amount_cents"].as_i64(),
            paid["owed_cents"].as_i64()
        ),
        (201, Some(2_000), Some(0)),
        "{paid}"
    );

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
    // The beneficiaries carry the names their accounts signed up with.
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
    assert!(csv.contains("TRN-0001") && csv.contains(";20,00;"), "{csv}");
}
