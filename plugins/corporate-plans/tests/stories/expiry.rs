//! The reports and exports, then the plan closed and the unspent credit returned to the
//! company, to the cent.

use crate::common;

use std::time::Duration;

use common::{Enrolled, Spent, YEAR, company_balance, download, item, notice, purchase, wallet};
use serde_json::json;

#[test]
fn the_reports_agree_and_closing_the_plan_returns_every_unspent_cent_to_the_company() {
    let Spent {
        enrolled: plan,
        rival,
        gym_id,
        quarter,
        late,
    } = common::purchases_and_reimbursements(common::deposit_plan_and_enrolment());
    let Enrolled {
        host,
        operator,
        hr,
        owner,
        plan_id,
        anna,
        anna_enrolment,
        bruno,
        bruno_enrolment,
        ..
    } = &plan;

    // --- Reports --------------------------------------------------------------------------
    let report = plan.plan_summary();
    let s = &report["summary"];
    assert_eq!(s["funded"]["cents"], 300_000, "{report}");
    assert_eq!(s["budget_left"]["cents"], 50_000);
    assert_eq!(s["allocated"]["cents"], 250_000);
    assert_eq!(s["purchases"]["cents"], 23_050);
    assert_eq!(s["reimbursed"]["cents"], 30_000);
    assert_eq!(s["reimbursements_pending"]["cents"], 10_000);
    // 2.500 − 230,50 − 300 − 100 on hold = 1.869,50 in the wallets.
    assert_eq!(s["in_wallets"]["cents"], 186_950);
    assert_eq!(
        (
            s["employees_active"].as_i64(),
            s["employees_pending"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // The exports open right in an Italian spreadsheet: a byte-order mark (accents), `;`
    // between fields, Italian headers and statuses, decimal commas.
    let employees_path = format!("/plans/{plan_id}/employees.csv");
    let (status, employees) = download(host, hr, &employees_path, "it");
    assert_eq!(status, 200, "{employees}");
    assert!(
        employees.starts_with(
            "\u{feff}Nome utente;Nome e cognome;Matricola;Livello;Familiari a carico;Stato;\
             Codice di attivazione;Credito (€);Acquisti (€);Prenotato nel catalogo (€);\
             Rimborsato (€);Rimborsi in attesa (€);Saldo (€)\r\n"
        ),
        "{employees}"
    );
    assert!(
        employees
            .contains("anna;Anna Rossi;M001;Q1;1;Attiva;;1100,00;230,50;0,00;300,00;0,00;569,50"),
        "{employees}"
    );
    assert!(
        employees.contains("carla;Carla Bianchi;M003;2;5;In attesa di attivazione;"),
        "{employees}"
    );
    // In English: `,`, decimal points and the column names and status keys of old.
    let (status, english) = download(host, hr, &employees_path, "en");
    assert_eq!(status, 200);
    assert!(
        english.starts_with("\u{feff}username,full_name,employee_code,level,dependants,status,"),
        "{english}"
    );
    assert!(
        english
            .contains("anna,Anna Rossi,M001,Q1,1,active,,1100.00,230.50,0.00,300.00,0.00,569.50"),
        "{english}"
    );
    let (status, movements) = download(host, hr, &format!("/plans/{plan_id}/movements.csv"), "it");
    assert_eq!(status, 200);
    assert!(
        movements.starts_with("\u{feff}Data e ora (UTC);Tipo;Nome utente;Dipendente;"),
        "{movements}"
    );
    assert_eq!(movements.lines().count(), 1 + 2 + 3, "{movements}");
    assert!(
        movements.contains("Corso di inglese;;80,50;Eseguito"),
        "{movements}"
    );
    assert!(movements.contains(";Respinto;"), "{movements}");
    // The provider sees its sales and what it is owed; the operator pays part of it.
    let mine = host.get(Some(owner), "/api/provider").body;
    assert_eq!(
        mine["providers"][0]["provider"]["owed_cents"], 23_050,
        "{mine}"
    );
    assert_eq!(mine["providers"][0]["summary"]["sales_count"], 2);
    let sales_path = format!("/providers/{gym_id}/sales.csv");
    let (status, sales) = download(host, owner, &sales_path, "it");
    assert_eq!(status, 200);
    assert!(
        sales.starts_with(
            "\u{feff}Data e ora (UTC);Codice acquisto;Dipendente;Servizio;Categoria;Importo (€)\r\n"
        ),
        "{sales}"
    );
    assert!(sales.contains(";80,50\r\n"), "{sales}");
    assert_eq!(sales.lines().count(), 3, "{sales}");
    let (status, _) = download(host, &rival, &sales_path, "it");
    assert_eq!(status, 404);
    let paid = host.post(
        Some(operator),
        &format!("/api/providers/{gym_id}/pay"),
        json!({"amount": "200", "reference": "TRN-GYM-1", "request_id": "pay-gym-000000001"}),
    );
    assert_eq!(
        (paid.status, &paid.body["owed_cents"]),
        (201, &json!(3_050)),
        "{}",
        paid.body
    );
    // Anna's movements: the credit, two purchases, two requests and the one rejected back.
    let anna_wallet = host
        .get(Some(anna), &format!("/api/wallets/{anna_enrolment}"))
        .body;
    let amounts: Vec<i64> = anna_wallet["movements"]
        .as_array()
        .expect("movements")
        .iter()
        .filter_map(|m| m["amount_cents"].as_i64())
        .collect();
    assert_eq!(
        amounts,
        vec![5_000, -5_000, -30_000, -8_050, -15_000, 110_000],
        "{anna_wallet}"
    );

    // --- Expiry ---------------------------------------------------------------------------
    // HR closes the plan early; nothing more can be bought; the job returns what is left.
    let closed = host.post(Some(hr), &format!("/api/plans/{plan_id}/close"), json!({}));
    assert_eq!(
        (closed.status, &closed.body["state"]),
        (200, &json!("closing")),
        "{}",
        closed.body
    );
    let refused = host.post(
        Some(anna),
        "/api/purchases",
        purchase(anna_enrolment, &quarter, "buy-anna-00000005", "150.00"),
    );
    assert_eq!(
        refused.status, 422,
        "nothing can be bought on a closed plan: {}",
        refused.body
    );
    host.advance(Duration::from_secs(60));
    host.run_job("expire-plans").expect("the job");
    let report = plan.plan_summary();
    assert_eq!(report["plan"]["state"], "expired", "{report}");
    // 1.869,50 from the wallets (Carla never activated hers) + 500,00 of budget never given.
    assert_eq!(report["summary"]["returned"]["cents"], 236_950, "{report}");
    assert_eq!(report["summary"]["in_wallets"]["cents"], 0);
    assert_eq!(report["summary"]["budget_left"]["cents"], 0);
    assert_eq!(plan.anna_wallet(), (0, 0));
    assert_eq!(wallet(host, bruno, bruno_enrolment), (0, 0));
    assert_eq!(plan.acme_balance(), 700_000 + 236_950);
    // Running the job again returns nothing twice.
    host.run_job("expire-plans").expect("the job again");
    assert_eq!(plan.acme_balance(), 700_000 + 236_950);
    // Bruno's request, rejected after the end, returns to the company, not to his wallet.
    let rejected = host.post(
        Some(hr),
        &format!(
            "/api/reimbursements/{}/reject",
            late["id"].as_str().expect("id")
        ),
        json!({"reason": "spesa non ammessa"}),
    );
    assert_eq!(
        (rejected.status, &rejected.body["returned_to"]),
        (200, &json!("company")),
        "{}",
        rejected.body
    );
    assert_eq!(wallet(host, bruno, bruno_enrolment), (0, 0));
    let told = notice(host, bruno, "Rimborso respinto: 100,00 € (ricevuta SC-9)");
    assert!(
        told.body.contains("l'importo è tornato all'azienda"),
        "{told:?}"
    );
    // Bruno's closed wallet and his request, as `/me` shows them.
    let mine = host.get(Some(bruno), "/api/mine").body;
    assert_eq!(
        item(&mine, &format!("Welfare {YEAR} — Acme Meccanica srl"))["status"],
        "Piano chiuso, saldo 0,00 €"
    );
    assert_eq!(
        item(&mine, "Rimborso di 100,00 €")["status"],
        "Respinto: spesa non ammessa"
    );
    // Every cent of the 10.000 € deposit: 9.469,50 back in the account, 300 reimbursed,
    // 230,50 spent on services.
    assert_eq!(plan.acme_balance(), 946_950);
    let report = plan.plan_summary();
    let cents = |figure: &str| report["summary"][figure]["cents"].as_i64().expect(figure);
    assert_eq!(
        (cents("reimbursed"), cents("purchases")),
        (30_000, 23_050),
        "{report}"
    );
    assert_eq!(
        plan.acme_balance() + cents("reimbursed") + cents("purchases"),
        1_000_000
    );
    // The company's HR view agrees, and Beta's money was never touched.
    let acme_view = host.get(Some(hr), "/api/hr").body;
    assert_eq!(acme_view["company"]["balance_cents"], 946_950);
    assert_eq!(company_balance(host, operator, &plan.beta_id), 100_000);
}

#[test]
fn a_plan_left_open_expires_on_its_own_after_its_last_day() {
    let plan = common::deposit_plan_and_enrolment();
    let host = &plan.host;
    // During the year the job leaves the plan alone.
    host.run_job("expire-plans").expect("the job");
    assert_eq!(plan.plan_summary()["plan"]["state"], "active");
    assert_eq!(plan.anna_wallet(), (110_000, 36_663));
    // On New Year's Day the plan is over: the wallets and the budget left go back.
    host.set_time(&format!("{}-01-01T10:00:00+01:00", YEAR + 1));
    host.run_job("expire-plans").expect("the job");
    let report = plan.plan_summary();
    assert_eq!(report["plan"]["state"], "expired", "{report}");
    // 1.100 (Anna) + 600 (Bruno) + 800 (Carla, never activated) + 500 never given = 3.000.
    assert_eq!(report["summary"]["returned"]["cents"], 300_000, "{report}");
    assert_eq!(plan.anna_wallet(), (0, 0));
    assert_eq!(plan.acme_balance(), 1_000_000);
}
