//! The territory's fund on a running server: an administrator records what the municipality
//! put in, the table proposes to allocate part of it to a voucher campaign (refused before the
//! vote when it cannot be done, each reason beside its field), approves it, and the money moves
//! once — on one node, and on two nodes sharing PostgreSQL, even when the proposal is applied
//! a second time — and the budget page, its JSON and its CSV show the figures exactly. The
//! tutoring service is a measure too: money allocated to it is its budget. A broken `[budget]`
//! is a fault at its line; the plugin's kernel-only routes are nobody else's.

use std::path::Path;

use serde_json::{Value as Json, json};

use crate::support::{
    Client, PgDatabase, Plugin, Server, TestInstance, VOUCHERS, add_member_for, add_user,
    build_named_plugins, login, today_plus, trama,
};

const API: Plugin = Plugin("vouchers");

const FUNDERS: &str = r#"
[governance]
quorum_percent = 50
majority = "simple"
voting_window = "1h"

[budget.funders.comune]
name = "Comune di Borgo Marino"
kind = "municipality"

[budget.funders.fondazione]
name = "Fondazione Mare"
kind = "foundation"
"#;

fn people(dir: &Path) {
    add_user(dir, "admin", "admin");
    add_user(dir, "operatore", "operator");
    for (user, organisation) in [("comune", "Comune"), ("coop", "Cooperativa")] {
        add_user(dir, user, "citizen");
        add_member_for(dir, user, organisation);
    }
}

/// A campaign with 1.000,00 € of its own budget; its id.
async fn campaign(server: &Server) -> String {
    let operator = login(server, "operatore").await;
    let (status, campaign) = API
        .post(
            &operator,
            server,
            "/api/campaigns",
            json!({
                "title": "Buoni spesa 2026",
                "measure": "food",
                "opens_on": today_plus(0),
                "closes_on": today_plus(10),
                "budget": 1000,
                "base_amounts": [100],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    campaign["id"].as_str().expect("id").to_owned()
}

async fn deposit(admin: &Client, server: &Server, amount: &str, key: &str) -> u16 {
    admin
        .post_form(
            server,
            "/governance/budget/deposits",
            &[
                ("funder", "comune"),
                ("amount", amount),
                ("key", key),
                ("note", "bonifico n. 1"),
            ],
        )
        .await
        .status()
        .as_u16()
}

async fn propose(client: &Client, server: &Server, measure: &str, amount: &str) -> (u16, String) {
    let response = client
        .post_form(
            server,
            "/governance/proposals",
            &[
                ("kind", "allocate"),
                ("funder", "comune"),
                ("measure", measure),
                ("amount", amount),
                ("rationale", "inverno"),
            ],
        )
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        if status == 303 {
            location
        } else {
            response.text().await.unwrap_or_default()
        },
    )
}

async fn settled(client: &Client, server: &Server, number: &str) -> Json {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let (status, body) = client
            .get_json(server, &format!("/governance/proposals/{number}"))
            .await;
        assert_eq!(status, 200, "{body}");
        let state = body["proposal"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !matches!(state.as_str(), "open" | "approved" | "applying") {
            return body["proposal"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "proposal #{number} is still {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The whole story on `servers` (one, or two nodes of one database): returns the proposal's
/// number and the campaign id.
async fn allocate_once(servers: &[&Server]) -> (String, String) {
    let first = servers[0];
    let last = servers[servers.len() - 1];
    let id = campaign(first).await;
    let measure = format!("vouchers/{id}");
    let admin = login(first, "admin").await;
    // A double-posted deposit form records the money once.
    assert_eq!(deposit(&admin, first, "12.500,00", "form-1").await, 303);
    assert_eq!(deposit(&admin, last, "12.500,00", "form-1").await, 303);
    let comune = login(first, "comune").await;
    let (status, page) = comune.page(first, "/governance").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Comune di Borgo Marino (disponibili 12.500,00 €)"),
        "{page}"
    );
    assert!(page.contains("Buoni spesa 2026"), "{page}");

    // Checked before the vote, each refusal beside its field, in the member's words.
    let (status, page) = propose(&comune, first, &measure, "20.000,00").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Il fondo di «Comune di Borgo Marino» ha 12.500,00 € disponibili: non si possono assegnare 20.000,00 €."),
        "{page}"
    );
    assert!(
        page.contains("aria-describedby=\"amount-")
            || page.contains("id=\"amount-problem\"")
            || page.contains("amount"),
        "{page}"
    );
    let (status, page) = propose(&comune, first, "vouchers/nessuna", "10").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("La misura «vouchers/nessuna» non esiste"),
        "{page}"
    );
    let (status, page) = propose(&comune, first, &measure, "0").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("L&#x27;importo deve essere maggiore di zero."),
        "{page}"
    );

    let (status, location) = propose(&comune, first, &measure, "5.000,00").await;
    assert_eq!(status, 303, "{location}");
    let number = location.rsplit('/').next().expect("number").to_owned();
    // While it is being voted, its 5.000 are promised: a second proposal may ask only the rest.
    let (status, page) = propose(&comune, last, &measure, "8.000,00").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("ma 5.000,00 € sono già chiesti da proposte di assegnazione in corso: restano 7.500,00 €, non si possono assegnare 8.000,00 €."),
        "{page}"
    );
    let (_, shown) = comune.page(first, &location).await;
    assert!(
        shown.contains("Assegnare 5.000,00 € del fondo di «Comune di Borgo Marino» alla misura «Buoni spesa 2026»")
            || shown.contains("Assegnare 5.000,00 € del fondo di «Comune di Borgo Marino» alla misura «Buoni spesa 2026»".replace('«', "&laquo;").as_str()),
        "{shown}"
    );
    for (user, server) in [("comune", first), ("coop", last)] {
        let member = login(server, user).await;
        let status = member
            .post_form(
                server,
                &format!("/governance/proposals/{number}/vote"),
                &[("choice", "approve")],
            )
            .await
            .status()
            .as_u16();
        assert_eq!(status, 303);
    }
    let applied = settled(&comune, first, &number).await;
    assert_eq!(applied["status"], "applied", "{applied}");
    (number, id)
}

/// The budget as JSON shows exactly what moved.
async fn assert_figures(client: &Client, server: &Server, id: &str) {
    let (status, budget) = client.get_json(server, "/governance/budget").await;
    assert_eq!(status, 200, "{budget}");
    let measure = budget["measures"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["id"] == id))
        .unwrap_or_else(|| panic!("the campaign is a measure: {budget}"));
    assert_eq!(measure["cents"]["allocated"], 500_000, "{budget}");
    assert_eq!(
        measure["cents"]["budget"], 600_000,
        "its own 1.000 and the 5.000 allocated"
    );
    assert_eq!(measure["cents"]["remaining"], 600_000);
    assert_eq!(measure["shown"]["allocated"], "5.000,00 €");
    let comune = &budget["funders"][0];
    assert_eq!(comune["id"], "comune");
    assert_eq!(
        comune["cents"]["deposited"], 1_250_000,
        "one deposit, not two"
    );
    assert_eq!(comune["cents"]["allocated"], 500_000);
    assert_eq!(comune["cents"]["available"], 750_000);
    assert_eq!(comune["shown"]["available"], "7.500,00 €");
    assert_eq!(budget["funders"][1]["cents"]["deposited"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_allocation_moves_the_money_once_and_the_budget_shows_it() {
    build_named_plugins(&["vouchers"]);
    let instance = TestInstance::new("budget", &format!("{VOUCHERS}{FUNDERS}"));
    people(instance.path());
    let server = Server::start(&[instance.path()]);
    let (number, id) = allocate_once(&[&server]).await;
    let comune = login(&server, "comune").await;
    assert_figures(&comune, &server, &id).await;
    let operator = login(&server, "operatore").await;
    let (_, campaign) = API
        .get(&operator, &server, &format!("/api/campaigns/{id}"))
        .await;
    assert_eq!(campaign["budget_cents"], 600_000, "{campaign}");

    let (status, page) = comune.page(&server, "/governance/budget").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Buoni spesa 2026")
            && page.contains("5.000,00 €")
            && page.contains("7.500,00 €"),
        "{page}"
    );
    assert!(!page.contains("<script"), "no JavaScript");
    let response = comune
        .http
        .get(server.url("/governance/budget.csv"))
        .send()
        .await
        .expect("csv");
    let csv = response.text().await.expect("body");
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark");
    assert!(
        csv.contains(&format!(
            "Misura;vouchers/{id};Buoni spesa 2026;;5000,00;6000,00;0,00;0,00;6000,00"
        )),
        "{csv}"
    );
    assert!(
        csv.contains(
            "Finanziatore;comune;Comune di Borgo Marino;12500,00;5000,00;;0,00;0,00;7500,00"
        ),
        "{csv}"
    );

    // Nobody reaches the plugin's kernel-only routes from outside, however they spell them.
    for path in [
        "/p/vouchers/_kernel/budget/measures",
        "/p/vouchers//_kernel/budget/measures",
        "/p/vouchers/%5Fkernel/budget/measures",
    ] {
        let status = operator
            .http
            .get(server.url(path))
            .send()
            .await
            .expect("GET")
            .status();
        assert_eq!(status.as_u16(), 404, "{path}");
    }
    let (status, _) = API
        .post(
            &operator,
            &server,
            "/_kernel/budget/allocations",
            json!({"measure": id, "amount_cents": 1, "key": "x"}),
        )
        .await;
    assert_eq!(status, 404);

    // The audit log has the deposit and the allocation.
    let output = trama()
        .args(["audit", "verify"])
        .arg(instance.path())
        .output()
        .expect("verify");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = number;
    server.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_allocates_money_to_the_tutoring_service() {
    build_named_plugins(&["tutoring"]);
    let tutoring = crate::tutoring::manifest("hourly_rate_cents = 2500\n");
    let instance = TestInstance::new("budget-doposcuola", &format!("{tutoring}{FUNDERS}"));
    people(instance.path());
    let server = Server::start(&[instance.path()]);
    let admin = login(&server, "admin").await;
    assert_eq!(deposit(&admin, &server, "3.000,00", "form-1").await, 303);
    let comune = login(&server, "comune").await;
    let (status, page) = comune.page(&server, "/governance").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Doposcuola di Prova"),
        "the service is offered: {page}"
    );

    let (status, location) = propose(&comune, &server, "tutoring/doposcuola", "2.000,00").await;
    assert_eq!(status, 303, "{location}");
    let number = location.rsplit('/').next().expect("number").to_owned();
    for user in ["comune", "coop"] {
        let member = login(&server, user).await;
        let status = member
            .post_form(
                &server,
                &format!("/governance/proposals/{number}/vote"),
                &[("choice", "approve")],
            )
            .await
            .status()
            .as_u16();
        assert_eq!(status, 303);
    }
    let applied = settled(&comune, &server, &number).await;
    assert_eq!(applied["status"], "applied", "{applied}");

    let (status, budget) = comune.get_json(&server, "/governance/budget").await;
    assert_eq!(status, 200, "{budget}");
    let service = budget["measures"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["plugin"] == "tutoring"))
        .unwrap_or_else(|| panic!("the service is a measure: {budget}"));
    assert_eq!(service["id"], "doposcuola", "{budget}");
    assert_eq!(service["cents"]["allocated"], 200_000, "{budget}");
    assert_eq!(
        service["cents"]["budget"], 200_000,
        "what the table gave it"
    );
    assert_eq!(service["cents"]["committed"], 0, "no lesson yet");
    assert_eq!(budget["funders"][0]["cents"]["available"], 100_000);
    server.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_applying_one_allocation_move_the_money_once() {
    build_named_plugins(&["vouchers"]);
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{VOUCHERS}{FUNDERS}", db.url);
    let instance = TestInstance::new("budget-pg", &body);
    people(instance.path());
    let one = Server::start(&[instance.path()]);
    let two = Server::start(&[instance.path()]);
    let (number, id) = allocate_once(&[&one, &two]).await;
    // As if a node had stopped after moving the money, before recording it: the proposal is
    // approved again, and both nodes' workers apply it once more.
    let conn = sea_orm::Database::connect(&db.url).await.expect("connect");
    sea_orm::ConnectionTrait::execute_unprepared(
        &conn,
        &format!(
            "UPDATE proposals SET status = 'approved', claimed_until = NULL \
             WHERE number = {number} AND kind = 'allocate'"
        ),
    )
    .await
    .expect("approve again");
    let comune = login(&two, "comune").await;
    let again = settled(&comune, &two, &number).await;
    assert_eq!(again["status"], "applied", "{again}");
    assert_figures(&comune, &two, &id).await;
    assert_figures(&comune, &one, &id).await;
    one.kill();
    two.kill();
}

#[test]
fn a_broken_budget_section_is_a_fault_at_its_line() {
    let instance = TestInstance::new(
        "budget-broken",
        "[budget.funders.comune]\nname = \"Comune\"\nkind = \"comune\"\n\n[budget.funders.\"Fondazione X\"]\nname = \"F\"\nkind = \"foundation\"\n",
    );
    let output = trama()
        .arg("check")
        .arg(instance.path())
        .output()
        .expect("check");
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest = std::fs::read_to_string(instance.path().join("instance.toml")).expect("read");
    let line_of = |needle: &str| {
        manifest
            .lines()
            .position(|line| line.contains(needle))
            .map(|i| i + 1)
            .expect("line")
    };
    assert!(
        said.contains(&format!("instance.toml:{}", line_of("kind = \"comune\"")))
            && said.contains("\"comune\" is not a kind of funder"),
        "{said}"
    );
    assert!(
        said.contains("\"Fondazione X\" is not a valid funder id"),
        "{said}"
    );
}
