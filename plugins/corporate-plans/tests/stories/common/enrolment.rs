//! The first step: two companies, Acme's deposit and plan, its employees enrolled and active.

use super::*;

/// The plan with its employees enrolled: who the rest of the story needs.
pub struct Enrolled {
    pub host: Host,
    pub operator: Account,
    pub hr: Account,
    pub hr_beta: Account,
    pub owner: Account,
    pub acme_id: String,
    pub beta_id: String,
    pub plan_id: String,
    pub anna: Account,
    pub anna_enrolment: String,
    pub bruno: Account,
    pub bruno_enrolment: String,
}

impl Enrolled {
    /// HR's summary of Acme's plan.
    pub fn plan_summary(&self) -> Json {
        summary(&self.host, &self.hr, &self.plan_id)
    }

    /// Anna's wallet: its balance, and what she may still claim as reimbursements.
    pub fn anna_wallet(&self) -> (i64, i64) {
        wallet(&self.host, &self.anna, &self.anna_enrolment)
    }

    /// What Acme has left with the cooperative, in cents.
    pub fn acme_balance(&self) -> i64 {
        company_balance(&self.host, &self.operator, &self.acme_id)
    }
}

/// Two companies, Acme's deposit and plan, its employees enrolled from a table and activated.
pub fn deposit_plan_and_enrolment() -> Enrolled {
    let host = host();
    let operator = host.account("coop", &["operator"]);
    let hr = host.account("hr.acme", &["company_hr"]);
    let hr_beta = host.account("hr.beta", &["company_hr"]);
    let owner = host.account("palestra", &["citizen"]);

    // --- Companies, HR codes and deposits -------------------------------------------------
    let refused = host
        .post(
            Some(&operator),
            "/api/companies",
            json!({"name": "A", "vat_number": "01234567890"}),
        )
        .assert_status(422);
    assert_eq!(refused.body["problems"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        host.post(Some(&hr), "/api/companies", json!({})).status,
        403,
        "HR offices do not register companies"
    );
    let acme = host
        .post(
            Some(&operator),
            "/api/companies",
            json!({"name": "Acme Meccanica srl", "vat_number": ACME_VAT}),
        )
        .assert_status(201);
    let acme_id = id(&acme);
    let acme_code = acme.body["hr_code"].as_str().expect("code").to_owned();
    // Someone without the HR role cannot use the code.
    let stranger = host.account("curioso", &["citizen"]);
    let claim = json!({"code": acme_code});
    assert_eq!(
        host.post(Some(&stranger), "/api/hr/claim", claim.clone())
            .status,
        403
    );
    let linked = host.post(Some(&hr), "/api/hr/claim", claim.clone());
    assert_eq!(
        (linked.status, &linked.body["name"]),
        (200, &json!("Acme Meccanica srl")),
        "{}",
        linked.body
    );
    // A used code links nobody else.
    assert_eq!(
        host.post(Some(&hr_beta), "/api/hr/claim", claim).status,
        404
    );
    let beta_id = company_with_hr(&host, &operator, &hr_beta, "Beta Servizi", BETA_VAT);

    let deposit = json!({"amount": "10.000,00", "reference": "TRN-ACME-1", "request_id": "deposit-acme-0001"});
    let deposits = format!("/api/companies/{acme_id}/deposits");
    let first = host
        .post(Some(&operator), &deposits, deposit.clone())
        .assert_status(201);
    // A double submission records one deposit.
    let again = host.post(Some(&operator), &deposits, deposit);
    assert_eq!((again.status, id(&again)), (201, id(&first)));
    assert_eq!(company_balance(&host, &operator, &acme_id), 1_000_000);
    // HR cannot deposit money it has not paid.
    assert_eq!(
        host.post(
            Some(&hr),
            &deposits,
            json!({"amount": 1, "reference": "X", "request_id": "deposit-acme-hr01"})
        )
        .status,
        403
    );
    host.post(
        Some(&operator),
        &format!("/api/companies/{beta_id}/deposits"),
        json!({"amount": 1000, "reference": "TRN-BETA-1", "request_id": "deposit-beta-0001"}),
    )
    .assert_status(201);

    // --- The plan ------------------------------------------------------------------------
    let plan_body = |request_id: &str, budget: &str| {
        json!({
            "title": format!("Welfare {YEAR}"),
            "year": YEAR,
            "budget": budget,
            "level_credits": ["Q1 = 1.000", "2 = 600"],
            "per_dependant": "100",
            "max_dependants": 2,
            "categories": ["sport", "education"],
            "refund_share": "33,33",
            "request_id": request_id,
        })
    };
    // More than the company holds: nothing is drawn.
    let refused = host
        .post(
            Some(&hr),
            "/api/plans",
            plan_body("plan-acme-too-big", "20.000"),
        )
        .assert_status(409);
    assert!(refused.message().contains("10.000,00"), "{}", refused.body);
    // A plan already over is refused, naming the field.
    let mut past = plan_body("plan-acme-past-01", "100");
    past["year"] = json!(YEAR - 1);
    let refused = host.post(Some(&hr), "/api/plans", past).assert_status(422);
    assert_eq!(
        refused.body["problems"][0]["field"], "ends_on",
        "{}",
        refused.body
    );

    let plan = host
        .post(
            Some(&hr),
            "/api/plans",
            plan_body("plan-acme-0000001", "3.000,00"),
        )
        .assert_status(201);
    let plan_id = id(&plan);
    assert_eq!(plan.body["starts_on"], format!("{YEAR}-01-01"));
    assert_eq!(plan.body["ends_on"], format!("{YEAR}-12-31"));
    assert_eq!(plan.body["budget_left_cents"], 300_000);
    assert_eq!(company_balance(&host, &operator, &acme_id), 700_000);

    // --- Another company's HR sees nothing of it -----------------------------------------
    for path in [
        format!("/api/plans/{plan_id}"),
        format!("/api/plans/{plan_id}/employees"),
        format!("/api/plans/{plan_id}/reimbursements"),
    ] {
        assert_eq!(host.get(Some(&hr_beta), &path).status, 404, "{path}");
    }
    let (status, _) = download(
        &host,
        &hr_beta,
        &format!("/plans/{plan_id}/employees.csv"),
        "it",
    );
    assert_eq!(status, 404);
    host.post(
        Some(&hr_beta),
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "intruso", "full_name": "Intruso", "level": "Q1"}),
    )
    .assert_status(404);
    host.post(
        Some(&hr_beta),
        &format!("/api/plans/{plan_id}/close"),
        json!({}),
    )
    .assert_status(404);
    let beta_view = host.get(Some(&hr_beta), "/api/hr");
    assert_eq!(beta_view.body["plans"], json!([]), "{}", beta_view.body);
    assert_eq!(beta_view.body["company"]["balance_cents"], 100_000);

    // --- Enrolment from a table with one bad row -----------------------------------------
    let table = "username;nome;matricola;livello;familiari a carico\n\
                 anna;Anna Rossi;M001;Q1;1\n\
                 bruno;Bruno Verdi;M002;Q7;0\n\
                 carla;Carla Bianchi;M003;2;5\n";
    let upload_path = format!("/api/plans/{plan_id}/enrolments/upload");
    let report = upload(&host, &hr, &upload_path, table).assert_status(200);
    let report = report.body;
    assert_eq!(report["enrolled_count"], 2, "{report}");
    assert_eq!(report["error_count"], 1);
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["username"], "bruno");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Q7"),
        "{report}"
    );
    let enrolled = report["enrolled"].as_array().expect("enrolled");
    // Anna: Q1 1.000 + 1 dependant × 100 = 1.100,00, of which floor(33,33%) = 366,63 reimbursable.
    assert_eq!(
        (
            enrolled[0]["username"].as_str(),
            enrolled[0]["credit_cents"].as_i64()
        ),
        (Some("anna"), Some(110_000))
    );
    assert_eq!(enrolled[0]["reimbursable_cents"], 36_663);
    // Carla: level 2 600 + 5 dependants counted up to 2 = 800,00; 266,64 reimbursable.
    assert_eq!(
        (
            enrolled[1]["username"].as_str(),
            enrolled[1]["credit_cents"].as_i64()
        ),
        (Some("carla"), Some(80_000))
    );
    assert_eq!(enrolled[1]["reimbursable_cents"], 26_664);
    let anna_code = enrolled[0]["activation_code"]
        .as_str()
        .expect("code")
        .to_owned();
    let anna_enrolment = enrolled[0]["id"].as_str().expect("id").to_owned();
    // Uploading the same table again enrols nobody twice.
    let again = upload(&host, &hr, &upload_path, table).assert_status(200);
    assert_eq!(
        (
            again.body["enrolled_count"].as_i64(),
            again.body["unchanged_count"].as_i64(),
            again.body["error_count"].as_i64()
        ),
        (Some(0), Some(2), Some(1))
    );
    // A file without the username column is refused as a whole.
    let refused = upload(&host, &hr, &upload_path, "nome;livello\nDario;Q1\n");
    assert_eq!(refused.status, 422, "{}", refused.body);

    // The corrected row, one by one.
    let bruno_enrolment = host.post(
        Some(&hr),
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "Bruno", "full_name": "Bruno Verdi", "employee_code": "M002", "level": "2", "dependants": 0}),
    ).assert_status(201);
    assert_eq!(bruno_enrolment.body["credit_cents"], 60_000);
    assert_eq!(bruno_enrolment.body["reimbursable_cents"], 19_998);
    let bruno_code = bruno_enrolment.body["activation_code"]
        .as_str()
        .expect("code")
        .to_owned();
    // The budget has 3.000 − 1.100 − 800 − 600 = 500,00 left: a fourth employee does not fit.
    let refused = host
        .post(
            Some(&hr),
            &format!("/api/plans/{plan_id}/enrolments"),
            json!({"username": "dario", "full_name": "Dario Neri", "level": "Q1"}),
        )
        .assert_status(409);
    assert!(refused.message().contains("500,00"), "{}", refused.body);

    // --- Employees activate their enrolment ----------------------------------------------
    // Anna opens her account after HR enrolled her username.
    let anna = host.account("anna", &["citizen"]);
    let me = host.get(Some(&anna), "/api/me");
    assert_eq!(
        me.body["pending"][0]["id"],
        anna_enrolment.as_str(),
        "{}",
        me.body
    );
    assert_eq!(me.body["wallets"], json!([]));
    let activate = format!("/api/enrolments/{anna_enrolment}/activate");
    let wrong = host.post(Some(&anna), &activate, json!({"code": bruno_code}));
    assert_eq!(wrong.status, 422, "another employee's code is wrong here");
    let bruno = host.account("bruno", &["citizen"]);
    let theirs = host.post(Some(&bruno), &activate, json!({"code": anna_code}));
    assert_eq!(
        theirs.status, 404,
        "an enrolment of another username does not exist for bruno"
    );
    let activated = host
        .post(
            Some(&anna),
            &activate,
            json!({"code": anna_code.to_lowercase()}),
        )
        .assert_status(200);
    assert_eq!(activated.body["balance_cents"], 110_000);
    let bruno_enrolment = id(&bruno_enrolment);
    host.post(
        Some(&bruno),
        &format!("/api/enrolments/{bruno_enrolment}/activate"),
        json!({"code": bruno_code}),
    )
    .assert_status(200);
    assert_eq!(wallet(&host, &anna, &anna_enrolment), (110_000, 36_663));
    // Nobody else can look into Anna's wallet.
    assert_eq!(
        host.get(Some(&bruno), &format!("/api/wallets/{anna_enrolment}"))
            .status,
        404
    );

    Enrolled {
        host,
        operator,
        hr,
        hr_beta,
        owner,
        acme_id,
        beta_id,
        plan_id,
        anna,
        anna_enrolment,
        bruno,
        bruno_enrolment,
    }
}
