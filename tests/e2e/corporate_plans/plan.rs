//! Companies, HR codes and deposits; the plan; enrolment from a table with a bad row;
//! employees activating their enrolment.

use serde_json::json;

use super::{ACME_VAT, API, BETA_VAT, PLUGIN, company_balance, company_with_hr, this_year, wallet};
use crate::support::{Client, Server, TestInstance, add_user, id, login, sign_up};

/// The plan with its employees enrolled: who the rest of the story needs.
pub(super) struct Enrolled {
    pub(super) instance: TestInstance,
    pub(super) server: Server,
    pub(super) operator: Client,
    pub(super) hr: Client,
    pub(super) hr_beta: Client,
    pub(super) acme_id: String,
    pub(super) beta_id: String,
    pub(super) plan_id: String,
    pub(super) year: i32,
    pub(super) anna: Client,
    pub(super) anna_enrolment: String,
    pub(super) bruno: Client,
    pub(super) bruno_enrolment: String,
}

/// Two companies, Acme's deposit and plan, its employees enrolled from a table and activated.
pub(super) async fn deposit_plan_and_enrolment() -> Enrolled {
    let instance = TestInstance::new("corporate", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.acme", "company_hr");
    add_user(&instance, "hr.beta", "company_hr");
    add_user(&instance, "palestra", "citizen");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.acme").await;
    let hr_beta = login(&server, "hr.beta").await;

    // --- Companies, HR codes and deposits -------------------------------------------------
    let (status, refused) = API
        .post(
            &operator,
            &server,
            "/api/companies",
            json!({"name": "A", "vat_number": "01234567890"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["problems"].as_array().map(Vec::len), Some(2));
    let (status, _) = API.post(&hr, &server, "/api/companies", json!({})).await;
    assert_eq!(status, 403, "HR offices do not register companies");

    let (status, acme) = API
        .post(
            &operator,
            &server,
            "/api/companies",
            json!({"name": "Acme Meccanica srl", "vat_number": ACME_VAT}),
        )
        .await;
    assert_eq!(status, 201, "{acme}");
    let acme_id = id(&acme);
    let acme_code = acme["hr_code"].as_str().expect("code").to_owned();
    // Someone without the HR role cannot use the code.
    let stranger = sign_up(&server, "curioso", "Curioso").await;
    let (status, _) = API
        .post(
            &stranger,
            &server,
            "/api/hr/claim",
            json!({"code": acme_code}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, linked) = API
        .post(&hr, &server, "/api/hr/claim", json!({"code": acme_code}))
        .await;
    assert_eq!(
        (status, &linked["name"]),
        (200, &json!("Acme Meccanica srl")),
        "{linked}"
    );
    // A used code links nobody else.
    let (status, _) = API
        .post(
            &hr_beta,
            &server,
            "/api/hr/claim",
            json!({"code": acme_code}),
        )
        .await;
    assert_eq!(status, 404);
    let beta_id = company_with_hr(&operator, &hr_beta, &server, "Beta Servizi", BETA_VAT).await;

    let deposit = json!({"amount": "10.000,00", "reference": "TRN-ACME-1", "request_id": "deposit-acme-0001"});
    let (status, first) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{acme_id}/deposits"),
            deposit.clone(),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    // A double submission records one deposit.
    let (status, again) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{acme_id}/deposits"),
            deposit,
        )
        .await;
    assert_eq!((status, id(&again)), (201, id(&first)));
    assert_eq!(
        company_balance(&operator, &server, &acme_id).await,
        1_000_000
    );
    let (status, _) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{beta_id}/deposits"),
            json!({"amount": 1000, "reference": "TRN-BETA-1", "request_id": "deposit-beta-0001"}),
        )
        .await;
    assert_eq!(status, 201);

    // --- The plan ------------------------------------------------------------------------
    let year = this_year();
    let plan_body = |request_id: &str, budget: &str| {
        json!({
            "title": format!("Welfare {year}"),
            "year": year,
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
    let (status, refused) = API
        .post(
            &hr,
            &server,
            "/api/plans",
            plan_body("plan-acme-too-big", "20.000"),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("10.000,00"),
        "{refused}"
    );
    // A plan already over is refused, naming the field.
    let mut past = plan_body("plan-acme-past-01", "100");
    past["year"] = json!(year - 1);
    let (status, refused) = API.post(&hr, &server, "/api/plans", past).await;
    assert_eq!(status, 422);
    assert_eq!(refused["problems"][0]["field"], "ends_on", "{refused}");

    let (status, plan) = API
        .post(
            &hr,
            &server,
            "/api/plans",
            plan_body("plan-acme-0000001", "3.000,00"),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let plan_id = id(&plan);
    assert_eq!(plan["starts_on"], format!("{year}-01-01"));
    assert_eq!(plan["ends_on"], format!("{year}-12-31"));
    assert_eq!(plan["budget_left_cents"], 300_000);
    assert_eq!(company_balance(&operator, &server, &acme_id).await, 700_000);

    // --- Another company's HR sees nothing of it -----------------------------------------
    for path in [
        format!("/api/plans/{plan_id}"),
        format!("/api/plans/{plan_id}/employees"),
        format!("/api/plans/{plan_id}/reimbursements"),
    ] {
        let (status, _) = API.get(&hr_beta, &server, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _) = API
        .text(
            &hr_beta,
            &server,
            &format!("/plans/{plan_id}/employees.csv"),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = API
        .post(
            &hr_beta,
            &server,
            &format!("/api/plans/{plan_id}/enrolments"),
            json!({"username": "intruso", "full_name": "Intruso", "level": "Q1"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = API
        .post(
            &hr_beta,
            &server,
            &format!("/api/plans/{plan_id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, beta_view) = API.get(&hr_beta, &server, "/api/hr").await;
    assert_eq!(beta_view["plans"], json!([]), "{beta_view}");
    assert_eq!(beta_view["company"]["balance_cents"], 100_000);

    // --- Enrolment from a table with one bad row -----------------------------------------
    let table = "username;nome;matricola;livello;familiari a carico\n\
                 anna;Anna Rossi;M001;Q1;1\n\
                 bruno;Bruno Verdi;M002;Q7;0\n\
                 carla;Carla Bianchi;M003;2;5\n";
    let upload = format!("/api/plans/{plan_id}/enrolments/upload");
    let (status, report) = API.post_csv(&hr, &server, &upload, table).await;
    assert_eq!(status, 200, "{report}");
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
    let (status, again) = API.post_csv(&hr, &server, &upload, table).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            again["enrolled_count"].as_i64(),
            again["unchanged_count"].as_i64(),
            again["error_count"].as_i64()
        ),
        (Some(0), Some(2), Some(1))
    );
    // A file without the username column is refused as a whole.
    let (status, refused) = API
        .post_csv(&hr, &server, &upload, "nome;livello\nDario;Q1\n")
        .await;
    assert_eq!(status, 422, "{refused}");

    // The corrected row, one by one.
    let (status, bruno_enrolment) = API.post(
        &hr,
        &server,
        &format!("/api/plans/{plan_id}/enrolments"),
        json!({"username": "Bruno", "full_name": "Bruno Verdi", "employee_code": "M002", "level": "2", "dependants": 0}),
    )
    .await;
    assert_eq!(status, 201, "{bruno_enrolment}");
    assert_eq!(bruno_enrolment["credit_cents"], 60_000);
    assert_eq!(bruno_enrolment["reimbursable_cents"], 19_998);
    let bruno_code = bruno_enrolment["activation_code"]
        .as_str()
        .expect("code")
        .to_owned();
    // The budget has 3.000 − 1.100 − 800 − 600 = 500,00 left: a fourth employee does not fit.
    let (status, refused) = API
        .post(
            &hr,
            &server,
            &format!("/api/plans/{plan_id}/enrolments"),
            json!({"username": "dario", "full_name": "Dario Neri", "level": "Q1"}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("500,00"),
        "{refused}"
    );

    // --- Employees activate their enrolment ----------------------------------------------
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (_, me) = API.get(&anna, &server, "/api/me").await;
    assert_eq!(me["pending"][0]["id"], anna_enrolment.as_str(), "{me}");
    assert_eq!(me["wallets"], json!([]));
    let activate = format!("/api/enrolments/{anna_enrolment}/activate");
    let (status, _) = API
        .post(&anna, &server, &activate, json!({"code": bruno_code}))
        .await;
    assert_eq!(status, 422, "another employee's code is wrong here");
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let (status, _) = API
        .post(&bruno, &server, &activate, json!({"code": anna_code}))
        .await;
    assert_eq!(
        status, 404,
        "an enrolment of another username does not exist for bruno"
    );
    let (status, activated) = API
        .post(
            &anna,
            &server,
            &activate,
            json!({"code": anna_code.to_lowercase()}),
        )
        .await;
    assert_eq!(status, 200, "{activated}");
    assert_eq!(activated["balance_cents"], 110_000);
    let bruno_enrolment = id(&bruno_enrolment);
    let (status, _) = API
        .post(
            &bruno,
            &server,
            &format!("/api/enrolments/{bruno_enrolment}/activate"),
            json!({"code": bruno_code}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        wallet(&anna, &server, &anna_enrolment).await,
        (110_000, 36_663)
    );
    // Nobody else can look into Anna's wallet.
    let (status, _) = API
        .get(&bruno, &server, &format!("/api/wallets/{anna_enrolment}"))
        .await;
    assert_eq!(status, 404);

    Enrolled {
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
    }
}
