//! The reports and exports, then the plan closed and the unspent credit returned, to the cent.

use std::time::Duration;

use serde_json::{Value as Json, json};

use super::plan::Enrolled;
use super::spending::Spent;
use super::{API, company_balance, item, purchase, summary, wallet};
use crate::support::{eventually, id, notification};

/// The reports and exports agree; HR closes the plan and the credit goes back to the company.
pub(super) async fn reports_and_expiry(spent: Spent) {
    let Spent {
        enrolled:
            Enrolled {
                instance: _instance,
                server,
                operator,
                hr,
                hr_beta: _,
                acme_id,
                beta_id,
                plan_id,
                year,
                anna,
                anna_enrolment,
                bruno,
                bruno_enrolment,
            },
        owner,
        rival,
        gym_id,
        quarter,
        late,
    } = spent;
    let buy = |service: &Json, request_id: &str, price: &str| {
        purchase(&anna_enrolment, service, request_id, price)
    };

    // --- Reports --------------------------------------------------------------------------
    let report = summary(&hr, &server, &plan_id).await;
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
    let (status, employees) = API.text(&hr, &server, &employees_path).await;
    assert_eq!(status, 200);
    assert!(
        employees.starts_with(
            "\u{feff}Nome utente;Nome e cognome;Matricola;Livello;Familiari a carico;Stato;\
             Codice di attivazione;Credito (€);Acquisti (€);Rimborsato (€);\
             Rimborsi in attesa (€);Saldo (€)\r\n"
        ),
        "{employees}"
    );
    assert!(
        employees.contains("anna;Anna Rossi;M001;Q1;1;Attiva;;1100,00;230,50;300,00;0,00;569,50"),
        "{employees}"
    );
    assert!(
        employees.contains("carla;Carla Bianchi;M003;2;5;In attesa di attivazione;"),
        "{employees}"
    );
    // In English: `,`, decimal points and the column names and status keys of old.
    let (status, english) = API
        .text(&hr, &server, &format!("{employees_path}?lang=en"))
        .await;
    assert_eq!(status, 200);
    assert!(
        english.starts_with("\u{feff}username,full_name,employee_code,level,dependants,status,"),
        "{english}"
    );
    assert!(
        english.contains("anna,Anna Rossi,M001,Q1,1,active,,1100.00,230.50,300.00,0.00,569.50"),
        "{english}"
    );
    // Back to Italian (the choice is remembered for the account).
    let (_, italian) = API
        .text(&hr, &server, &format!("{employees_path}?lang=it"))
        .await;
    assert!(italian.starts_with("\u{feff}Nome utente;"), "{italian}");
    let (status, movements) = API
        .text(&hr, &server, &format!("/plans/{plan_id}/movements.csv"))
        .await;
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
    let (_, mine) = API.get(&owner, &server, "/api/provider").await;
    assert_eq!(
        mine["providers"][0]["provider"]["owed_cents"], 23_050,
        "{mine}"
    );
    assert_eq!(mine["providers"][0]["summary"]["sales_count"], 2);
    let (status, sales) = API
        .text(&owner, &server, &format!("/providers/{gym_id}/sales.csv"))
        .await;
    assert_eq!(status, 200);
    assert!(
        sales.starts_with(
            "\u{feff}Data e ora (UTC);Codice acquisto;Dipendente;Servizio;Categoria;Importo (€)\r\n"
        ),
        "{sales}"
    );
    assert!(sales.contains(";80,50\r\n"), "{sales}");
    assert_eq!(sales.lines().count(), 3, "{sales}");
    let (status, _) = API
        .text(&rival, &server, &format!("/providers/{gym_id}/sales.csv"))
        .await;
    assert_eq!(status, 404);
    let (status, paid) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{gym_id}/pay"),
            json!({"amount": "200", "reference": "TRN-GYM-1", "request_id": "pay-gym-000000001"}),
        )
        .await;
    assert_eq!(
        (status, &paid["owed_cents"]),
        (201, &json!(3_050)),
        "{paid}"
    );
    // Anna's movements: the credit, two purchases, two requests and the one rejected back.
    let (_, anna_wallet) = API
        .get(&anna, &server, &format!("/api/wallets/{anna_enrolment}"))
        .await;
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
    // HR closes the plan early; the job returns what is left to the company within a minute.
    let (status, closed) = API
        .post(
            &hr,
            &server,
            &format!("/api/plans/{plan_id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, &closed["state"]),
        (200, &json!("closing")),
        "{closed}"
    );
    let (status, refused) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&quarter, "buy-anna-00000005", "150.00"),
        )
        .await;
    assert_eq!(
        status, 422,
        "nothing can be bought on a closed plan: {refused}"
    );
    let expired = eventually(Duration::from_secs(100), || async {
        summary(&hr, &server, &plan_id).await["plan"]["state"] == "expired"
    })
    .await;
    assert!(expired, "the expire-plans job did not expire the plan");
    let report = summary(&hr, &server, &plan_id).await;
    // 1.869,50 from the wallets (Carla never activated hers) + 500,00 of budget never given.
    assert_eq!(report["summary"]["returned"]["cents"], 236_950, "{report}");
    assert_eq!(report["summary"]["in_wallets"]["cents"], 0);
    assert_eq!(report["summary"]["budget_left"]["cents"], 0);
    assert_eq!(wallet(&anna, &server, &anna_enrolment).await, (0, 0));
    assert_eq!(wallet(&bruno, &server, &bruno_enrolment).await, (0, 0));
    assert_eq!(
        company_balance(&operator, &server, &acme_id).await,
        700_000 + 236_950
    );
    // Bruno's request, rejected after the end, returns to the company, not to his wallet.
    let (status, rejected) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/reject", id(&late)),
            json!({"reason": "spesa non ammessa"}),
        )
        .await;
    assert_eq!(
        (status, &rejected["returned_to"]),
        (200, &json!("company")),
        "{rejected}"
    );
    assert_eq!(wallet(&bruno, &server, &bruno_enrolment).await, (0, 0));
    let told = notification(
        &bruno,
        &server,
        "Rimborso respinto: 100,00 € (ricevuta SC-9)",
    )
    .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap_or_default()
            .contains("l'importo è tornato all'azienda"),
        "{told}"
    );
    // Bruno's closed wallet and his request, as `/me` shows them.
    let mine = API.my_section(&bruno, &server, "/me").await;
    assert_eq!(
        item(&mine, &format!("Welfare {year} — Acme Meccanica srl"))["status"],
        "Piano chiuso, saldo 0,00 €"
    );
    assert_eq!(
        item(&mine, "Rimborso di 100,00 €")["status"],
        "Respinto: spesa non ammessa"
    );
    // Every cent of the 10.000 € deposit: 9.469,50 back in the account, 300 reimbursed,
    // 230,50 spent on services.
    assert_eq!(company_balance(&operator, &server, &acme_id).await, 946_950);
    assert_eq!([946_950, 30_000, 23_050].iter().sum::<i64>(), 1_000_000);
    // The company's other HR view agrees, and Beta's money was never touched.
    let (_, acme_view) = API.get(&hr, &server, "/api/hr").await;
    assert_eq!(acme_view["company"]["balance_cents"], 946_950);
    assert_eq!(company_balance(&operator, &server, &beta_id).await, 100_000);
}
