//! A thousand employees are enrolled in one upload.

use serde_json::json;

use super::{ACME_VAT, API, PLUGIN, company_with_hr, summary};
use crate::support::{Server, TestInstance, add_user, id, login};

/// The largest upload a plan accepts, a thousand employees, is enrolled within one request.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_employees_are_enrolled_in_one_upload() {
    let instance = TestInstance::new("corporate-thousand", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;
    let company = company_with_hr(&operator, &hr, &server, "Grande Azienda spa", ACME_VAT).await;
    let (status, _) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{company}/deposits"),
            json!({"amount": "1.000.000", "reference": "TRN-1", "request_id": "deposit-big-00001"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, plan) = API.post(
        &hr,
        &server,
        "/api/plans",
        json!({"title": "Welfare", "budget": "600.000", "flat_credit": 500, "per_dependant": "100", "categories": ["health"], "refund_share": 20, "request_id": "plan-big-0000001"}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let mut table = String::from("username,full_name,dependants\n");
    for i in 0..1000 {
        table.push_str(&format!("dip{i:04},Dipendente {i},{}\n", i % 3));
    }
    let (status, report) = API
        .post_csv(
            &hr,
            &server,
            &format!("/api/plans/{}/enrolments/upload", id(&plan)),
            &table,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["enrolled_count"], 1000);
    // 1000 × 500 € + (333 × 1 + 333 × 2) dependants × 100 €.
    let s = summary(&hr, &server, &id(&plan)).await;
    assert_eq!(
        s["summary"]["allocated"]["cents"],
        50_000_000 + 999 * 10_000
    );
    assert_eq!(
        s["summary"]["in_wallets"]["cents"],
        50_000_000 + 999 * 10_000
    );
    assert_eq!(
        s["summary"]["budget_left"]["cents"],
        60_000_000 - 50_000_000 - 999 * 10_000
    );
    // The plan's page lists the first 200 and the export all of them.
    let (status, page) = hr
        .page(&server, &API.path(&format!("/plans/{}", id(&plan))))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("I primi 200 di 1000"), "{page}");
    let (status, employees) = API
        .text(&hr, &server, &format!("/plans/{}/employees.csv", id(&plan)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(employees.lines().count(), 1001);
    assert!(
        employees.contains("dip0999;Dipendente 999;;;0;In attesa di attivazione;"),
        "{employees}"
    );
}
