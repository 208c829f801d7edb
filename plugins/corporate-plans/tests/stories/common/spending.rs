//! The second step: providers join, Anna buys and asks for reimbursements, HR decides.

use super::*;

/// The plan's money spent: who and what the reports and the expiry look at.
pub struct Spent {
    pub enrolled: Enrolled,
    /// Another provider's owner.
    pub rival: Account,
    pub gym_id: String,
    /// The gym's quarterly subscription.
    pub quarter: Json,
    /// Bruno's request of 100 € just before the plan closes.
    pub late: Json,
}

/// Providers join the catalogue; Anna buys and asks for reimbursements; HR decides.
pub fn purchases_and_reimbursements(enrolled: Enrolled) -> Spent {
    let Enrolled {
        host,
        operator,
        hr,
        hr_beta,
        owner,
        anna,
        anna_enrolment,
        bruno,
        bruno_enrolment,
        ..
    } = &enrolled;

    // --- Providers and the catalogue ------------------------------------------------------
    let gym = host.post(
        Some(operator),
        "/api/providers",
        json!({"legal_name": "Palestra Centro ASD", "vat_number": GYM_VAT, "categories": ["sport", "education"]}),
    ).assert_status(201);
    let gym_id = id(&gym);
    let services = format!("/api/providers/{gym_id}/services");
    let service = |title: &str, category: &str, price: Json| {
        let added = host
            .post(
                Some(operator),
                &services,
                json!({"title": title, "category": category, "price": price}),
            )
            .assert_status(201);
        added.body
    };
    let quarter = service("Abbonamento trimestrale", "sport", json!("150,00"));
    let english = service("Corso di inglese", "education", Json::Null);
    let trip = service("Settimana bianca", "travel", json!(500));
    // The provider's owner links their account and prices the course.
    let price = format!(
        "/api/services/{}/price",
        english["id"].as_str().expect("id")
    );
    assert_eq!(
        host.post(Some(owner), &price, json!({"price": "80,50"}))
            .status,
        403,
        "not linked yet"
    );
    host.post(
        Some(owner),
        "/api/provider/claim",
        json!({"code": gym.body["claim_code"]}),
    )
    .assert_status(200);
    let priced = host.post(Some(owner), &price, json!({"price": "80,50"}));
    assert_eq!(
        (priced.status, &priced.body["price_cents"]),
        (200, &json!(8_050)),
        "{}",
        priced.body
    );
    // Another provider's owner cannot touch these prices.
    let school = host.post(
        Some(operator),
        "/api/providers",
        json!({"legal_name": "Scuola di musica", "vat_number": SCHOOL_VAT, "categories": ["education"]}),
    ).assert_status(201);
    let rival = host.account("rivale", &["citizen"]);
    host.post(
        Some(&rival),
        "/api/provider/claim",
        json!({"code": school.body["claim_code"]}),
    )
    .assert_status(200);
    host.post(
        Some(&rival),
        &format!(
            "/api/services/{}/price",
            quarter["id"].as_str().expect("id")
        ),
        json!({"price": "1"}),
    )
    .assert_status(404);

    // The catalogue: the plan's categories only, priced services only.
    let catalogue = host.get(Some(anna), "/api/catalogue");
    let titles: Vec<&str> = catalogue.body["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        vec!["Corso di inglese", "Abbonamento trimestrale"],
        "{}",
        catalogue.body
    );

    // --- Purchases ------------------------------------------------------------------------
    let buy = |service: &Json, request_id: &str, price: &str| {
        host.post(
            Some(anna),
            "/api/purchases",
            purchase(anna_enrolment, service, request_id, price),
        )
    };
    let bought = buy(&quarter, "buy-anna-00000001", "150.00").assert_status(201);
    assert_eq!(bought.body["balance_cents"], 95_000);
    // A retried request pays once.
    let replay = buy(&quarter, "buy-anna-00000001", "150.00");
    assert_eq!((replay.status, id(&replay)), (201, id(&bought)));
    assert_eq!(replay.body["balance_cents"], 95_000);
    // A price that changed since the page was shown is not charged.
    buy(&english, "buy-anna-00000002", "70.00").assert_status(409);
    let course = buy(&english, "buy-anna-00000003", "80.50").assert_status(201);
    assert_eq!(course.body["balance_cents"], 86_950);
    // A category outside the plan.
    buy(&trip, "buy-anna-00000004", "500").assert_status(422);
    // Bruno cannot pay with Anna's wallet.
    host.post(
        Some(bruno),
        "/api/purchases",
        purchase(anna_enrolment, &quarter, "buy-bruno-0000001", "150.00"),
    )
    .assert_status(404);
    assert_eq!(wallet(host, anna, anna_enrolment), (86_950, 36_663));

    // --- Reimbursements -------------------------------------------------------------------
    let claim = |amount: &str, receipt: &str| {
        host.post(
            Some(anna),
            "/api/reimbursements",
            json!({"enrolment": anna_enrolment, "category": "education", "amount": amount, "expense_date": TODAY, "receipt_reference": receipt, "description": "retta"}),
        )
    };
    let school_fee = claim("300,00", "FT 1/2025").assert_status(201);
    assert_eq!(school_fee.body["status"], "pending");
    assert_eq!(wallet(host, anna, anna_enrolment), (56_950, 6_663));
    // Beyond the reimbursable share: refused, saying how much is left.
    let refused = claim("100", "FT 2/2025").assert_status(409);
    assert!(refused.message().contains("66,63"), "{}", refused.body);
    let books = claim("50", "R-77").assert_status(201);
    // The same receipt written another way is the same request.
    let same = claim("50", "r 77");
    assert_eq!((same.status, id(&same)), (201, id(&books)));
    let other = claim("40", "R77");
    assert_eq!(
        other.status, 409,
        "a receipt already claimed for another amount"
    );
    assert_eq!(wallet(host, anna, anna_enrolment), (51_950, 1_663));

    // HR decides: one approved, one rejected (with the money back in the wallet).
    let decide = |who: &Account, request: &Answer, decision: &str, body: Json| {
        host.post(
            Some(who),
            &format!("/api/reimbursements/{}/{decision}", id(request)),
            body,
        )
    };
    let foreign = decide(hr_beta, &school_fee, "approve", json!({}));
    assert_eq!(foreign.status, 404, "another company's HR");
    let by_anna = decide(anna, &school_fee, "approve", json!({}));
    assert_eq!(by_anna.status, 403, "an employee does not decide");
    decide(
        hr,
        &school_fee,
        "approve",
        json!({"note": "cedolino di marzo"}),
    )
    .assert_state(200, "approved");
    let refused = decide(hr, &books, "reject", json!({"reason": ""}));
    assert_eq!(
        (refused.status, &refused.body["problems"][0]["field"]),
        (422, &json!("reason"))
    );
    let rejected = decide(
        hr,
        &books,
        "reject",
        json!({"reason": "la ricevuta non è leggibile"}),
    )
    .assert_state(200, "rejected");
    assert_eq!(rejected.body["returned_to"], "wallet");
    let final_ = decide(hr, &books, "approve", json!({}));
    assert_eq!(final_.status, 409, "a decision is final");
    let again = decide(hr, &school_fee, "approve", json!({}));
    assert_eq!(again.status, 200, "approving again changes nothing");
    assert_eq!(wallet(host, anna, anna_enrolment), (56_950, 6_663));

    // Anna is told of each decision once, with HR's reason or note.
    let to_anna = host.notifications_to(anna).len();
    assert_eq!(to_anna, 2, "{:?}", host.notifications());
    let told = notice(host, anna, "Rimborso respinto: 50,00 € (ricevuta R-77)");
    assert!(
        told.body.contains("Motivo: la ricevuta non è leggibile"),
        "{told:?}"
    );
    assert!(
        told.body.contains("L'importo è tornato nel tuo credito"),
        "{told:?}"
    );
    let told = notice(
        host,
        anna,
        "Rimborso approvato: 300,00 € (ricevuta FT 1/2025)",
    );
    assert!(told.body.contains("Nota: cedolino di marzo"), "{told:?}");
    // What the kernel's "my applications and bookings" page lists: her wallet and both requests.
    let mine = host.get(Some(anna), "/api/mine").assert_status(200);
    let mine = mine.body;
    assert_eq!(mine.as_array().map(Vec::len), Some(3), "{mine}");
    let wallet_item = item(&mine, &format!("Welfare {YEAR} — Acme Meccanica srl"));
    assert_eq!(
        wallet_item["status"], "Credito disponibile: 569,50 €",
        "{mine}"
    );
    assert!(
        wallet_item["href"]
            .as_str()
            .is_some_and(|href| href.ends_with(&format!("/wallets/{anna_enrolment}"))),
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
    // Someone not logged in is asked to log in.
    assert_eq!(host.get(None, "/api/mine").status, 401);
    // Bruno asks for 100 € just before the plan is closed; HR will decide after the end.
    let late = host.post(
        Some(bruno),
        "/api/reimbursements",
        json!({"enrolment": bruno_enrolment, "category": "sport", "amount": "100", "expense_date": TODAY, "receipt_reference": "SC-9"}),
    ).assert_status(201);
    assert_eq!(wallet(host, bruno, bruno_enrolment), (50_000, 9_998));

    Spent {
        enrolled,
        rival,
        gym_id,
        quarter,
        late: late.body,
    }
}
