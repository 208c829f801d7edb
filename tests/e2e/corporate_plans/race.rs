//! Fifty purchases racing for one wallet never take it below zero.

use serde_json::json;

use super::{ACME_VAT, API, GYM_VAT, PLUGIN, company_with_hr, wallet};
use crate::support::{PgDatabase, Server, TestInstance, add_user, id, login, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn fifty_purchases_racing_for_one_wallet_never_take_it_below_zero() {
    race_for_one_wallet(TestInstance::new("corporate-race", PLUGIN)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_purchases_racing_for_one_wallet_on_postgres() {
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{PLUGIN}", db.url);
    race_for_one_wallet(TestInstance::new("corporate-race-pg", &body)).await;
}

/// A 100 € wallet and a 7 € service: fifty purchases at once buy exactly fourteen, and 2 €
/// stay in the wallet; fifty reimbursement requests of 1 € race too, within a 10% share.
pub(super) async fn race_for_one_wallet(instance: TestInstance) {
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;
    let company = company_with_hr(&operator, &hr, &server, "Piccola Bottega", ACME_VAT).await;
    let (status, _) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{company}/deposits"),
            json!({"amount": 200, "reference": "TRN-1", "request_id": "deposit-race-0001"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, plan) = API.post(
        &hr,
        &server,
        "/api/plans",
        json!({"title": "Welfare", "budget": 200, "flat_credit": 100, "categories": ["sport"], "refund_share": 10, "request_id": "plan-race-000001"}),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let plan = id(&plan);
    let (status, enrolment) = API
        .post(
            &hr,
            &server,
            &format!("/api/plans/{plan}/enrolments"),
            json!({"username": "anna", "full_name": "Anna Rossi"}),
        )
        .await;
    assert_eq!(status, 201, "{enrolment}");
    let enrolment_id = id(&enrolment);
    let anna = login(&server, "anna").await;
    let (status, _) = API
        .post(
            &anna,
            &server,
            &format!("/api/enrolments/{enrolment_id}/activate"),
            json!({"code": enrolment["activation_code"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, provider) = API.post(
        &operator,
        &server,
        "/api/providers",
        json!({"legal_name": "Piscina comunale", "vat_number": GYM_VAT, "categories": ["sport"]}),
    )
    .await;
    assert_eq!(status, 201);
    let provider_id = id(&provider);
    let (status, swim) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{provider_id}/services"),
            json!({"title": "Ingresso in piscina", "category": "sport", "price": "7,00"}),
        )
        .await;
    assert_eq!(status, 201, "{swim}");

    let token = anna.csrf(&server).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let http = anna.http.clone();
        let token = token.clone();
        // Even tasks buy a 7 € swim, odd ones ask for 1 € back on a different receipt.
        let (url, body) = if i % 2 == 0 {
            (
                server.url(&API.path("/api/purchases")),
                json!({"enrolment": enrolment_id, "service": id(&swim), "request_id": format!("race-{i:08}")}),
            )
        } else {
            (
                server.url(&API.path("/api/reimbursements")),
                json!({"enrolment": enrolment_id, "category": "sport", "amount": 1, "expense_date": today_plus(0), "receipt_reference": format!("R{i}")}),
            )
        };
        tasks.push(tokio::spawn(async move {
            let response = http
                .post(url)
                .header("x-csrf-token", token)
                .json(&body)
                .send()
                .await
                .expect("request");
            (i % 2, response.status().as_u16())
        }));
    }
    let (mut bought, mut claimed, mut refused) = (0, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            (0, 201) => bought += 1,
            (1, 201) => claimed += 1,
            (_, 409) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // At most 10 € may be claimed (10% of 100 €); 7 € × bought + 1 € × claimed ≤ 100 €.
    assert!(
        claimed <= 10,
        "{claimed} claims of 1 € against a 10 € share"
    );
    assert_eq!(bought + claimed + refused, 100);
    let spent = 700 * bought + 100 * claimed;
    assert!(
        spent <= 10_000,
        "spent {spent} cents of a 10000-cent wallet"
    );
    let (balance, _) = wallet(&anna, &server, &enrolment_id).await;
    assert_eq!(balance, 10_000 - spent);
    // Nothing more fits: what is left is below the price, or the share is used up.
    assert!(
        balance < 700 && (balance < 100 || claimed == 10),
        "balance {balance}, claimed {claimed}"
    );
    let (_, providers) = API.get(&operator, &server, "/api/providers").await;
    assert_eq!(providers[0]["owed_cents"], 700 * bought, "{providers}");
    let (_, pending) = API
        .get(
            &hr,
            &server,
            &format!("/api/plans/{plan}/reimbursements?status=pending"),
        )
        .await;
    assert_eq!(pending.as_array().map(Vec::len), Some(claimed as usize));
}
