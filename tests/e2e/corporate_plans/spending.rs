//! Providers and the catalogue, purchases, reimbursements approved and rejected, and what
//! the employee is told.

use serde_json::{Value as Json, json};

use super::plan::Enrolled;
use super::{API, GYM_VAT, SCHOOL_VAT, item, purchase, wallet};
use crate::support::{Client, id, login, notification, sign_up, today_plus};

/// The plan's money spent: who and what the reports and the expiry look at.
pub(super) struct Spent {
    pub(super) enrolled: Enrolled,
    /// The gym's owner.
    pub(super) owner: Client,
    /// Another provider's owner.
    pub(super) rival: Client,
    pub(super) gym_id: String,
    /// The gym's quarterly subscription.
    pub(super) quarter: Json,
    /// Bruno's request of 100 € just before the plan closes.
    pub(super) late: Json,
}

/// Providers join the catalogue; Anna buys and asks for reimbursements; HR decides.
pub(super) async fn purchases_and_reimbursements(enrolled: Enrolled) -> Spent {
    let Enrolled {
        instance,
        server,
        operator,
        hr,
        hr_beta,
        acme_id,
        beta_id,
        plan_id,
        year,
        anna,
        anna_enrolment,
        bruno,
        bruno_enrolment,
    } = enrolled;

    // --- Providers and the catalogue ------------------------------------------------------
    let (status, gym) = API.post(
        &operator,
        &server,
        "/api/providers",
        json!({"legal_name": "Palestra Centro ASD", "vat_number": GYM_VAT, "categories": ["sport", "education"]}),
    )
    .await;
    assert_eq!(status, 201, "{gym}");
    let gym_id = id(&gym);
    let service = |title: &str, category: &str, price: Json| json!({"title": title, "category": category, "price": price});
    let (status, quarter) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{gym_id}/services"),
            service("Abbonamento trimestrale", "sport", json!("150,00")),
        )
        .await;
    assert_eq!(status, 201, "{quarter}");
    let (status, english) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{gym_id}/services"),
            service("Corso di inglese", "education", Json::Null),
        )
        .await;
    assert_eq!(status, 201, "{english}");
    let (status, trip) = API
        .post(
            &operator,
            &server,
            &format!("/api/providers/{gym_id}/services"),
            service("Settimana bianca", "travel", json!(500)),
        )
        .await;
    assert_eq!(status, 201, "{trip}");
    // The provider's owner links their account and prices the course.
    let owner = login(&server, "palestra").await;
    let (status, _) = API
        .post(
            &owner,
            &server,
            &format!("/api/services/{}/price", id(&english)),
            json!({"price": "80,50"}),
        )
        .await;
    assert_eq!(status, 403, "not linked yet");
    let (status, _) = API
        .post(
            &owner,
            &server,
            "/api/provider/claim",
            json!({"code": gym["claim_code"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, priced) = API
        .post(
            &owner,
            &server,
            &format!("/api/services/{}/price", id(&english)),
            json!({"price": "80,50"}),
        )
        .await;
    assert_eq!(
        (status, &priced["price_cents"]),
        (200, &json!(8_050)),
        "{priced}"
    );
    // Another provider's owner cannot touch these prices.
    let (status, school) = API.post(&operator, &server, "/api/providers", json!({"legal_name": "Scuola di musica", "vat_number": SCHOOL_VAT, "categories": ["education"]})).await;
    assert_eq!(status, 201);
    let rival = sign_up(&server, "rivale", "Rivale").await;
    let (status, _) = API
        .post(
            &rival,
            &server,
            "/api/provider/claim",
            json!({"code": school["claim_code"]}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = API
        .post(
            &rival,
            &server,
            &format!("/api/services/{}/price", id(&quarter)),
            json!({"price": "1"}),
        )
        .await;
    assert_eq!(status, 404);

    let (_, catalogue) = API.get(&anna, &server, "/api/catalogue").await;
    let titles: Vec<&str> = catalogue["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["Corso di inglese", "Abbonamento trimestrale"],
        "{catalogue}"
    );

    // --- Purchases ------------------------------------------------------------------------
    let buy = |service: &Json, request_id: &str, price: &str| {
        purchase(&anna_enrolment, service, request_id, price)
    };
    let (status, bought) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&quarter, "buy-anna-00000001", "150.00"),
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["balance_cents"], 95_000);
    // A retried request pays once.
    let (status, replay) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&quarter, "buy-anna-00000001", "150.00"),
        )
        .await;
    assert_eq!((status, id(&replay)), (201, id(&bought)));
    assert_eq!(replay["balance_cents"], 95_000);
    // A price that changed since the page was shown is not charged.
    let (status, refused) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&english, "buy-anna-00000002", "70.00"),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    let (status, course) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&english, "buy-anna-00000003", "80.50"),
        )
        .await;
    assert_eq!(status, 201, "{course}");
    assert_eq!(course["balance_cents"], 86_950);
    // A category outside the plan.
    let (status, refused) = API
        .post(
            &anna,
            &server,
            "/api/purchases",
            buy(&trip, "buy-anna-00000004", "500"),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    // Bruno cannot pay with Anna's wallet.
    let (status, _) = API
        .post(
            &bruno,
            &server,
            "/api/purchases",
            buy(&quarter, "buy-bruno-0000001", "150.00"),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (86_950, 36_663)
    );

    // --- Reimbursements -------------------------------------------------------------------
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
    assert_eq!(school_fee["status"], "pending");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (56_950, 6_663)
    );
    // Beyond the reimbursable share: refused, saying how much is left.
    let (status, refused) = API
        .post(
            &anna,
            &server,
            "/api/reimbursements",
            claim("100", "FT 2/2025"),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("66,63"),
        "{refused}"
    );
    let (status, books) = API
        .post(&anna, &server, "/api/reimbursements", claim("50", "R-77"))
        .await;
    assert_eq!(status, 201, "{books}");
    // The same receipt written another way is the same request.
    let (status, same) = API
        .post(&anna, &server, "/api/reimbursements", claim("50", "r 77"))
        .await;
    assert_eq!((status, id(&same)), (201, id(&books)));
    let (status, _) = API
        .post(&anna, &server, "/api/reimbursements", claim("40", "R77"))
        .await;
    assert_eq!(status, 409, "a receipt already claimed for another amount");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (51_950, 1_663)
    );

    // HR decides: one approved, one rejected (with the money back in the wallet).
    let (status, _) = API
        .post(
            &hr_beta,
            &server,
            &format!("/api/reimbursements/{}/approve", id(&school_fee)),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "another company's HR");
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
    let (status, refused) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/reject", id(&books)),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        (status, &refused["problems"][0]["field"]),
        (422, &json!("reason"))
    );
    // Anna has switched the site to English: HR's rejection reaches her in English (what
    // HR writes stays as written), while the approval before it was Italian.
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
    assert_eq!(rejected["returned_to"], "wallet");
    let (status, _) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/approve", id(&books)),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "a decision is final");
    let (status, _) = API
        .post(
            &hr,
            &server,
            &format!("/api/reimbursements/{}/approve", id(&school_fee)),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "approving again changes nothing");
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (56_950, 6_663)
    );
    // Anna is told of each decision once, with HR's reason or note and a link to her wallet.
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
    // The kernel's "my applications and bookings" page lists her wallet and both requests.
    let mine = API.my_section(&anna, &server, "/me").await;
    assert_eq!(mine["title"], "Welfare aziendale", "{mine}");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(3), "{mine}");
    let wallet_item = item(&mine, &format!("Welfare {year} — Acme Meccanica srl"));
    assert_eq!(
        (&wallet_item["status"], &wallet_item["href"]),
        (
            &json!("Credito disponibile: 569,50 €"),
            &json!(wallet_path.as_str())
        ),
        "{mine}"
    );
    assert_eq!(
        item(&mine, "Rimborso di 50,00 €")["status"],
        "Respinto: la ricevuta non è leggibile"
    );
    assert_eq!(
        item(&mine, "Rimborso di 300,00 €")["status"],
        "Approvato: cedolino di marzo"
    );
    // In English too (and back to Italian for the rest).
    let mine = API.my_section(&anna, &server, "/me?lang=en").await;
    assert_eq!(
        item(&mine, &format!("Welfare {year} — Acme Meccanica srl"))["status"],
        "Credit available: €569.50"
    );
    assert_eq!(
        item(&mine, "Reimbursement of €50.00")["status"],
        "Rejected: la ricevuta non è leggibile"
    );
    API.my_section(&anna, &server, "/me?lang=it").await;
    // Someone not logged in is asked to log in.
    let (status, _) = API.get(&Client::new(), &server, "/api/mine").await;
    assert_eq!(status, 401);
    // Bruno asks for 100 € just before the plan is closed; HR will decide after the end.
    let (status, late) = API.post(
        &bruno,
        &server,
        "/api/reimbursements",
        json!({"enrolment": bruno_enrolment, "category": "sport", "amount": "100", "expense_date": today_plus(0), "receipt_reference": "SC-9"}),
    )
    .await;
    assert_eq!(status, 201, "{late}");
    assert_eq!(
        wallet(&bruno, &server, &bruno_enrolment).await,
        (50_000, 9_998)
    );

    Spent {
        enrolled: Enrolled {
            instance,
            server,
            operator,
            hr,
            hr_beta,
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
    }
}
