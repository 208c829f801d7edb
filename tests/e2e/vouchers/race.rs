//! Two hundred cashiers racing for one voucher spend exactly its value.

use serde_json::json;

use super::{ANNA, API, VAT, amounts, balance, codes_of};
use crate::support::VOUCHERS;
use crate::support::{
    Client, PgDatabase, Server, TestInstance, add_user, login, sign_up, today_plus,
};

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
    let (status, campaign) = API
        .post(
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
        let (status, application) = API
            .post(
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
    let (status, _) = API
        .post(
            &operator,
            server,
            &format!("/api/campaigns/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let mut codes = Vec::new();
    for application in applications {
        let (_, application) = API
            .get(
                &operator,
                server,
                &format!("/api/applications/{application}"),
            )
            .await;
        assert_eq!(amounts(&application), vec![euros * 100], "{application}");
        codes.extend(codes_of(&application));
    }

    let (status, shop) = API
        .post(
            &operator,
            server,
            "/api/merchants",
            json!({"name": "Cassa veloce", "vat_number": VAT, "address": "Piazza Grande 1"}),
        )
        .await;
    assert_eq!(status, 201);
    let cashier = login(server, "cassa").await;
    let (status, _) = API
        .post(
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
    let (_, me) = API.get(&cashier, &server, "/api/merchant").await;
    assert_eq!(me["owed_cents"], 5_000);
    let (_, dashboard) = API.get(&operator, &server, "/api/dashboard").await;
    assert_eq!(dashboard["campaigns"][0]["spent"]["cents"], 5_000);
    assert_eq!(dashboard["merchants"][0]["redeemed"]["cents"], 5_000);
}
