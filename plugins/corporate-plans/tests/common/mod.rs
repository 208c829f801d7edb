//! The welfare plan of Acme Meccanica, step by step, run natively against the kernel's store,
//! ledger, accounts and outbox (`trama-testhost`): each step asserts what it does and hands
//! the next one who and what it needs. Each test file runs the steps it builds on.

#![allow(dead_code)] // Each test file uses the steps it needs.

use serde_json::{Value as Json, json};
use trama_sdk::http::{Method, Request};
use trama_testhost::{Account, Answer, TestHost};

pub use corporate_plans::CorporatePlans;

pub type Host = TestHost<CorporatePlans>;

/// Valid partite IVA (their check digits are right).
pub const ACME_VAT: &str = "01234567897";
pub const BETA_VAT: &str = "02760100962";
pub const GYM_VAT: &str = "09876543217";
pub const SCHOOL_VAT: &str = "12345678903";

/// The year of the story, and the day it starts.
pub const YEAR: i32 = 2026;
pub const TODAY: &str = "2026-03-10";

/// The plugin as the story's instance configures it, on 10 March 2026.
pub fn host() -> Host {
    let host = Host::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({"cooperative_name": "Cooperativa Trama"}),
    )
    .expect("the plugin's manifest and settings");
    host.set_time("2026-03-10T10:00:00+01:00");
    host
}

pub fn id(answer: &Answer) -> String {
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// The balance of an employee's wallet, and what they may still claim as reimbursements.
pub fn wallet(host: &Host, who: &Account, enrolment: &str) -> (i64, i64) {
    let answer = host
        .get(Some(who), &format!("/api/wallets/{enrolment}"))
        .assert_status(200);
    (
        answer.body["wallet"]["balance_cents"]
            .as_i64()
            .expect("balance"),
        answer.body["wallet"]["reimbursable_left_cents"]
            .as_i64()
            .expect("reimbursable"),
    )
}

pub fn company_balance(host: &Host, operator: &Account, company: &str) -> i64 {
    let answer = host
        .get(Some(operator), &format!("/api/companies/{company}"))
        .assert_status(200);
    answer.body["company"]["balance_cents"]
        .as_i64()
        .expect("balance")
}

pub fn summary(host: &Host, who: &Account, plan: &str) -> Json {
    let answer = host
        .get(Some(who), &format!("/api/plans/{plan}"))
        .assert_status(200);
    answer.body
}

/// The item of the caller's `/api/mine` (the kernel's "my applications" page) whose title
/// starts with `title`.
pub fn item<'a>(mine: &'a Json, title: &str) -> &'a Json {
    mine.as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["title"].as_str().is_some_and(|t| t.starts_with(title)))
        })
        .unwrap_or_else(|| panic!("no item `{title}` in {mine}"))
}

/// A download's text, asked for in `locale`.
pub fn download(host: &Host, who: &Account, path: &str, locale: &str) -> (u16, String) {
    let answer = host.send(
        Some(who),
        Request::new(Method::Get, path).with_locale(locale),
    );
    let text = answer
        .file
        .as_ref()
        .map(|(_, _, bytes)| String::from_utf8(bytes.clone()).expect("UTF-8"))
        .unwrap_or_else(|| answer.body.to_string());
    (answer.status, text)
}

/// Uploads `table` as the body of a `text/csv` request.
pub fn upload(host: &Host, who: &Account, path: &str, table: &str) -> Answer {
    host.send(
        Some(who),
        Request::new(Method::Post, path)
            .with_header("content-type", "text/csv; charset=utf-8")
            .with_header("accept", "application/json")
            .with_body(table.to_owned()),
    )
}

/// The notification queued for `to` with `subject`.
pub fn notice(host: &Host, to: &Account, subject: &str) -> trama_testhost::Notice {
    let all = host.notifications_to(to);
    all.iter()
        .find(|n| n.subject == subject)
        .cloned()
        .unwrap_or_else(|| panic!("no notification `{subject}` for {}: {all:?}", to.username))
}

/// A company registered by the operator and linked to an HR account; returns its id.
pub fn company_with_hr(
    host: &Host,
    operator: &Account,
    hr: &Account,
    name: &str,
    vat: &str,
) -> String {
    let company = host
        .post(
            Some(operator),
            "/api/companies",
            json!({"name": name, "vat_number": vat}),
        )
        .assert_status(201);
    let linked = host
        .post(
            Some(hr),
            "/api/hr/claim",
            json!({"code": company.body["hr_code"]}),
        )
        .assert_status(200);
    assert_eq!(linked.body["name"], name);
    id(&company)
}

/// A purchase of `service` at `price` from the wallet of `enrolment`.
pub fn purchase(enrolment: &str, service: &Json, request_id: &str, price: &str) -> Json {
    json!({"enrolment": enrolment, "service": service["id"], "price": price, "request_id": request_id})
}

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
