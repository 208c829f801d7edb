//! A plan from the deposit to the expiry through the real server: the wiring only. The
//! plugin's own rules — every refusal, amount and report, to the cent — are its native tests
//! (`plugins/corporate-plans/tests/`); here is what needs the kernel: the table uploaded as a
//! `text/csv` body, employees signing up, the language each account chose reaching its
//! notifications, exports and `/me`, the kernel's inbox, and the `expire-plans` job run by
//! the kernel's scheduler.

use std::time::Duration;

use serde_json::json;

use super::{
    ACME_VAT, API, GYM_VAT, PLUGIN, company_balance, company_with_hr, item, purchase, summary,
    this_year, wallet,
};
use crate::support::{
    Client, Server, TestInstance, add_user, eventually, id, login, notification, sign_up,
    today_plus,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_from_the_deposit_to_the_expiry_through_the_kernel() {
    let instance = TestInstance::new("corporate", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.acme", "company_hr");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.acme").await;

    // The company, its deposit and its plan.
    let acme_id = company_with_hr(&operator, &hr, &server, "Acme Meccanica srl", ACME_VAT).await;
    let (status, deposit) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{acme_id}/deposits"),
            json!({"amount": "10.000,00", "reference": "TRN-ACME-1", "request_id": "deposit-acme-0001"}),
        )
        .await;
    assert_eq!(status, 201, "{deposit}");
    let year = this_year();
    let (status, plan) = API
        .post(
            &hr,
            &server,
            "/api/plans",
            json!({
                "title": format!("Welfare {year}"),
                "year": year,
                "budget": "3.000,00",
                "level_credits": ["Q1 = 1.000", "2 = 600"],
                "per_dependant": "100",
                "max_dependants": 2,
                "categories": ["sport", "education"],
                "refund_share": "33,33",
                "request_id": "plan-acme-0000001",
            }),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let plan_id = id(&plan);

    // The table reaches the plugin as a `text/csv` body.
    let table = "username;nome;matricola;livello;familiari a carico\n\
                 anna;Anna Rossi;M001;Q1;1\n\
                 carla;Carla Bianchi;M003;2;5\n";
    let (status, report) = API
        .post_csv(
            &hr,
            &server,
            &format!("/api/plans/{plan_id}/enrolments/upload"),
            table,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["enrolled_count"], 2, "{report}");
    let anna_code = report["enrolled"][0]["activation_code"].clone();
    let anna_enrolment = id(&report["enrolled"][0]);

    // Anna signs up with the username HR enrolled and activates her wallet.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, activated) = API
        .post(
            &anna,
            &server,
            &format!("/api/enrolments/{anna_enrolment}/activate"),
            json!({"code": anna_code}),
        )
        .await;
    assert_eq!(status, 200, "{activated}");
    assert_eq!(activated["balance_cents"], 110_000);

    // She buys a service and asks for two reimbursements.
    let (status, gym) = API.post(
        &operator,
        &server,
        "/api/providers",
        json!({"legal_name": "Palestra Centro ASD", "vat_number": GYM_VAT, "categories": ["sport"]}),
    )
    .await;
    assert_eq!(status, 201, "{gym}");
    let (status, quarter) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{}/services", id(&gym)),
            json!({"title": "Abbonamento trimestrale", "category": "sport", "price": "150,00"}),
        )
        .await;
    assert_eq!(status, 201, "{quarter}");
    let (status, bought) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            purchase(&anna_enrolment, &quarter, "buy-anna-00000001", "150.00"),
        )
        .await;
    assert_eq!(
        (status, &bought["balance_cents"]),
        (201, &json!(95_000)),
        "{bought}"
    );
    let claim = |amount: &str, receipt: &str| json!({"enrolment": anna_enrolment, "category": "education", "amount": amount, "expense_date": today_plus(0), "receipt_reference": receipt, "description": "retta"});
    let (status, school_fee) = API
        .post(
            &anna,
            &server,
            "/api/reimbursements",
            claim("300,00", "FT 1/2025"),
        )
        .await;
    assert_eq!(status, 201, "{school_fee}");
    let (status, books) = API
        .post(&anna, &server, "/api/reimbursements", claim("50", "R-77"))
        .await;
    assert_eq!(status, 201, "{books}");

    // HR decides. Anna has switched the site to English before the rejection: it reaches her
    // in English (what HR writes stays as written), the approval before it in Italian.
    let (status, approved) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/approve", id(&school_fee)),
            json!({"note": "cedolino di marzo"}),
        )
        .await;
    assert_eq!(
        (status, &approved["status"]),
        (200, &json!("approved")),
        "{approved}"
    );
    let (status, _) = anna.page(&server, "/?lang=en").await;
    assert_eq!(status, 200);
    let (status, rejected) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/reject", id(&books)),
            json!({"reason": "la ricevuta non è leggibile"}),
        )
        .await;
    let (status_back, _) = anna.page(&server, "/?lang=it").await;
    assert_eq!(status_back, 200);
    assert_eq!(
        (status, &rejected["status"]),
        (200, &json!("rejected")),
        "{rejected}"
    );
    // 1.100 − 150 − 300 − 50 + 50 back = 650,00; 366,63 − 300 = 66,63 still reimbursable.
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (65_000, 6_663)
    );
    // The kernel's inbox: each decision once, the rejection with a link to her wallet.
    let wallet_path = API.path(&format!("/wallets/{anna_enrolment}"));
    let (_, inbox) = anna.get_json(&server, "/notifications").await;
    assert_eq!(
        inbox["notifications"].as_array().map(Vec::len),
        Some(2),
        "{inbox}"
    );
    let told = notification(
        &anna,
        &server,
        "Reimbursement rejected: €50.00 (receipt R-77)",
    )
    .await;
    let body = told["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("Reason: la ricevuta non è leggibile"),
        "{told}"
    );
    assert!(body.contains("back in your credit"), "{told}");
    assert_eq!(told["link"], wallet_path.as_str());
    let told = notification(
        &anna,
        &server,
        "Rimborso approvato: 300,00 € (ricevuta FT 1/2025)",
    )
    .await;
    assert!(
        told["body"]
            .as_str()
            .unwrap_or_default()
            .contains("Nota: cedolino di marzo"),
        "{told}"
    );

    // The kernel's "my applications and bookings" page gathers her wallet and both requests,
    // in the language asked for.
    let mine = API.my_section(&anna, &server, "/me").await;
    assert_eq!(mine["title"], "Welfare aziendale", "{mine}");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(3), "{mine}");
    let wallet_item = item(&mine, &format!("Welfare {year} — Acme Meccanica srl"));
    assert_eq!(
        (&wallet_item["status"], &wallet_item["href"]),
        (
            &json!("Credito disponibile: 650,00 €"),
            &json!(wallet_path.as_str())
        ),
        "{mine}"
    );
    let mine = API.my_section(&anna, &server, "/me?lang=en").await;
    assert_eq!(
        item(&mine, &format!("Welfare {year} — Acme Meccanica srl"))["status"],
        "Credit available: €650.00"
    );
    assert_eq!(
        item(&mine, "Reimbursement of €50.00")["status"],
        "Rejected: la ricevuta non è leggibile"
    );
    API.my_section(&anna, &server, "/me?lang=it").await;
    // Someone not logged in is asked to log in.
    let (status, _) = API.get(&Client::new(), &server, "/api/mine").await;
    assert_eq!(status, 401);

    // The export downloads in the account's language, and the choice is remembered.
    let employees_path = format!("/plans/{plan_id}/employees.csv");
    let (status, english) = API
        .text(&hr, &server, &format!("{employees_path}?lang=en"))
        .await;
    assert_eq!(status, 200);
    assert!(
        english
            .contains("anna,Anna Rossi,M001,Q1,1,active,,1100.00,150.00,0.00,300.00,0.00,650.00"),
        "{english}"
    );
    let (_, remembered) = API.text(&hr, &server, &employees_path).await;
    assert!(remembered.starts_with("\u{feff}username,"), "{remembered}");
    let (_, italian) = API
        .text(&hr, &server, &format!("{employees_path}?lang=it"))
        .await;
    assert!(italian.starts_with("\u{feff}Nome utente;"), "{italian}");

    // HR closes the plan; the kernel's scheduler runs `expire-plans` within a minute and the
    // unspent credit goes back: 10.000 − 150 spent − 300 reimbursed = 9.550,00.
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
    let expired = eventually(Duration::from_secs(100), || async {
        summary(&hr, &server, &plan_id).await["plan"]["state"] == "expired"
    })
    .await;
    assert!(expired, "the expire-plans job did not expire the plan");
    assert_eq!(wallet(&anna, &server, &anna_enrolment).await, (0, 0));
    assert_eq!(company_balance(&operator, &server, &acme_id).await, 955_000);
}
