//! A campaign written as a rulebook rather than the built-in form: created from a shipped
//! template or from the operator's own TOML, applied to with its own questions (the household
//! row by row), ranked by its priority, simulated before anything is stored, and exported for
//! another territory — natively against the kernel's store, ledger and accounts.

use crate::common;

use common::{
    ANNA, ANNA_AND_BRUNO, BRUNO, CARLA, DARIO, ELENA, ELENA_AND_ANNA, application, applications,
    claimed_shop, close_after_the_closing_day, created, host_and_operator, opened, rent_household,
    with,
};
use serde_json::{Value as Json, json};

/// The winter emergency fund, 600 € from 11 to 22 January 2026, with the fields of `extra`.
fn fund_campaign(extra: Json) -> Json {
    with(
        json!({
            "title": "Fondo emergenza inverno",
            "measure": "food",
            "opens_on": "2026-01-11",
            "closes_on": "2026-01-22",
            "budget": "600,00",
            "denominations": "50; 20; 10",
        }),
        extra,
    )
}

/// An application to the emergency fund: the members' birth dates, ISEE, loss of income.
fn household(tax: &str, births: &[&str], isee: &str, loss: bool) -> Json {
    let members: Vec<Json> = births
        .iter()
        .map(|born| json!({"birth_date": born}))
        .collect();
    json!({"tax_code": tax, "household": members, "isee": isee, "income_loss": loss})
}

#[test]
fn a_template_campaign_asks_its_own_questions_and_ranks_by_its_priority() {
    let (host, operator) = host_and_operator();
    let created = created(
        &host,
        &operator,
        fund_campaign(json!({"template": "fondo-emergenza"})),
    );
    let id = created.body["id"].as_str().expect("id").to_owned();
    // The public page of the notice states every rule in plain words.
    let rules = created.body["rules_text"].to_string();
    assert!(
        rules.contains("ISEE fino a 6.000 €, oppure fino a 12.000 € per chi ha perso reddito"),
        "{rules}"
    );
    assert!(
        rules.contains("Graduatoria: ISEE più basso prima"),
        "{rules}"
    );
    let path = applications(&id);

    // Anna alone with ISEE 5,000: 150 + 50 = 200 €.
    let anna = host.account("anna", &["citizen"]);
    let anna_app = host
        .post(
            Some(&anna),
            &path,
            household(ANNA, &["1985-12-10"], "5000", false),
        )
        .assert_status(201);
    assert_eq!(
        (&anna_app.body["status"], &anna_app.body["amount_cents"]),
        (&json!("eligible"), &json!(20_000))
    );
    // Bruno, five members, ISEE 3,000: 150 + 250 = 400 €, ranked first (lower ISEE).
    let bruno = host.account("bruno", &["citizen"]);
    let bruno_app = host.post(
        Some(&bruno),
        &path,
        household(
            BRUNO,
            &[
                "1980-01-01",
                "1982-02-02",
                "2010-03-03",
                "2012-04-04",
                "2015-05-05",
            ],
            "3000",
            false,
        ),
    );
    assert_eq!(bruno_app.body["amount_cents"], 40_000, "{}", bruno_app.body);
    // Carla, ISEE 9,000 without a loss of income: refused, and told which rule in words; no
    // amount is shown for an application that is not eligible.
    let carla = host.account("carla", &["citizen"]);
    let carla_app = host.post(
        Some(&carla),
        &path,
        household(CARLA, &["1990-08-01", "2020-01-01"], "9000", false),
    );
    assert_eq!(carla_app.body["status"], "ineligible", "{}", carla_app.body);
    assert_eq!(carla_app.body["amount_cents"], 0);
    assert_eq!(
        carla_app.body["reasons"][0],
        "ISEE fino a 6.000 €, oppure fino a 12.000 € per chi ha perso reddito"
    );
    // Dario lost his income (ISEE 8,000): to review, with the rule's own words.
    let dario = host.account("dario", &["citizen"]);
    let dario_app = host.post(
        Some(&dario),
        &path,
        household(DARIO, &["1970-03-15"], "8000", true),
    );
    assert_eq!(
        dario_app.body["status"], "needs_review",
        "{}",
        dario_app.body
    );
    assert_eq!(
        dario_app.body["review_rules"][0],
        "La perdita di reddito va verificata dall'ufficio"
    );
    // The calculation is there for the applicant and the operator.
    let steps = anna_app.body["calculation"].to_string();
    assert!(steps.contains("150 € più 50 € per componente"), "{steps}");

    // A broken answer is named by its field, in words.
    let refused = host.post(
        Some(&dario),
        &path,
        json!({"tax_code": DARIO, "household": [{"birth_date": "31/02/1970"}], "isee": "tanto"}),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let fields = refused.problem_fields();
    for field in ["household_1_birth_date", "isee", "income_loss"] {
        assert!(fields.contains(&field), "{field} in {}", refused.body);
    }

    // Closing: Bruno (ISEE 3,000) first, then Anna (5,000): 600 € funds both.
    close_after_the_closing_day(&host);
    let bruno_after = host.get(
        Some(&bruno),
        &format!(
            "/api/applications/{}",
            bruno_app.body["id"].as_str().expect("id")
        ),
    );
    assert_eq!(
        (&bruno_after.body["status"], &bruno_after.body["rank"]),
        (&json!("beneficiary"), &json!(1)),
        "{}",
        bruno_after.body
    );
    let anna_after = host.get(
        Some(&anna),
        &format!(
            "/api/applications/{}",
            anna_app.body["id"].as_str().expect("id")
        ),
    );
    assert_eq!(anna_after.body["rank"], 2, "{}", anna_after.body);
    assert_eq!(anna_after.body["status"], "beneficiary");
}

#[test]
fn an_operator_writes_a_rulebook_tries_it_and_shares_it() {
    let (host, operator) = host_and_operator();
    let citizen = host.account("anna", &["citizen"]);
    let rulebook = r#"
title = { it = "Contributo utenze", en = "Utility bills grant" }

[[questions]]
key = "isee"
type = "euros"
label = { it = "ISEE (€)" }

[[questions]]
key = "arrears"
type = "euros"
label = { it = "Bollette non pagate (€)" }

[[eligibility]]
label = { it = "ISEE fino a 9.530 €" }
expr = "isee <= eur(9530)"

[amount]
label = { it = "Quanto dovuto, fino a 400 €" }
expr = "min(arrears, eur(400))"
"#;
    // The simulator answers without storing anything, and only to operators.
    let try_it = json!({"rulebook": rulebook, "isee": "9530", "arrears": "250,40"});
    assert_eq!(
        host.post(Some(&citizen), "/api/simulate", try_it.clone())
            .status,
        403
    );
    let tried = host
        .post(Some(&operator), "/api/simulate", try_it)
        .assert_status(200);
    assert_eq!(tried.body["decision"], "eligible");
    assert_eq!(
        tried.body["amount_cents"], 25_040,
        "what is owed, not the cap"
    );
    let capped = host.post(
        Some(&operator),
        "/api/simulate",
        json!({"rulebook": rulebook, "isee": "100", "arrears": "900"}),
    );
    assert_eq!(capped.body["amount_cents"], 40_000);
    assert_eq!(
        host.get(Some(&operator), "/api/campaigns")
            .body
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    // A rulebook with a mistake is refused, saying where and what.
    let broken = rulebook.replace("min(arrears, eur(400))", "min(arears, eur(400))");
    let refused = host
        .post(
            Some(&operator),
            "/api/campaigns",
            fund_campaign(json!({"rulebook": broken})),
        )
        .assert_status(422);
    assert!(
        refused.body.to_string().contains("amount: «arears»"),
        "{}",
        refused.body
    );
    // Built-in fields beside a rulebook are refused rather than ignored.
    let mixed = host.post(
        Some(&operator),
        "/api/campaigns",
        fund_campaign(json!({"rulebook": rulebook, "base_amounts": ["150"]})),
    );
    assert_eq!(
        mixed.problem_fields(),
        vec!["base_amounts"],
        "{}",
        mixed.body
    );

    let created = created(
        &host,
        &operator,
        fund_campaign(json!({"rulebook": rulebook})),
    );
    let id = created.body["id"].as_str().expect("id");
    // The export reads back as the same rulebook, for another territory to import.
    let exported = host
        .get(Some(&operator), &format!("/campaigns/{id}/rulebook.toml"))
        .assert_status(200);
    let (name, _, bytes) = exported.file.expect("a file");
    assert_eq!(name, format!("rulebook-{id}.toml"));
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.contains("min(arrears, eur(400))"), "{text}");
    let again = host
        .post(
            Some(&operator),
            "/api/campaigns",
            fund_campaign(json!({"rulebook": text})),
        )
        .assert_status(201);
    assert_eq!(again.body["questions"], created.body["questions"]);
}

#[test]
fn one_household_applies_once_whoever_of_its_members_applies() {
    let (host, operator, _, path) = opened(fund_campaign(
        json!({"template": "contributo-affitto", "budget": "10.000"}),
    ));
    // An application under `tax` for the household `members` (birth date, relation, tax code).
    let file = |who: &trama_testhost::Account, tax: &str, members: &[(&str, &str, &str)]| {
        host.post(Some(who), &path, rent_household(tax, members))
    };
    // Anna applies for herself and her husband Bruno.
    let anna = host.account("anna", &["citizen"]);
    let first = file(&anna, ANNA, ANNA_AND_BRUNO).assert_status(201);
    assert_eq!(first.body["amount_cents"], 310_000);
    // Bruno applies for the same household: taken as the rules decide it, as anyone's is, but
    // held for the office — he is not told that someone in his household applied.
    let bruno = host.account("bruno", &["citizen"]);
    let again = file(&bruno, BRUNO, &[("1980-01-01", "applicant", "")]).assert_status(201);
    assert_eq!(again.body["status"], "eligible");
    assert!(again.body.get("contested_by").is_none(), "{}", again.body);
    let bruno_id = again.body["id"].as_str().expect("id").to_owned();
    // The office sees the collision and cannot approve it while Anna's stands.
    let seen = application(&host, &operator, &bruno_id);
    assert_eq!(seen.body["contested_by"], first.body["id"], "{}", seen.body);
    let approve = host
        .post(
            Some(&operator),
            &format!("/api/applications/{bruno_id}/approve"),
            json!({}),
        )
        .assert_status(409);
    assert!(
        approve
            .message()
            .contains("prima va decisa l'altra domanda")
    );
    // Elena cannot list Anna in hers either: held for review the same way.
    let elena = host.account("elena", &["citizen"]);
    let listed = file(&elena, ELENA, ELENA_AND_ANNA).assert_state(201, "eligible");
    // Held ones are not ranked: Anna's and Carla's are, Bruno's and Elena's wait.
    let elena_id = listed.body["id"].as_str().expect("id").to_owned();
    // A member without a tax code is named; Carla's own household goes through.
    let carla = host.account("carla", &["citizen"]);
    let unnamed = file(
        &carla,
        CARLA,
        &[("1990-08-01", "applicant", ""), ("2015-01-01", "child", "")],
    );
    assert_eq!(
        unnamed.problem_fields(),
        vec!["household_2_tax_code"],
        "{}",
        unnamed.body
    );
    let own = file(
        &carla,
        CARLA,
        &[
            ("1990-08-01", "applicant", ""),
            ("1970-03-15", "parent", DARIO),
        ],
    )
    .assert_status(201);
    assert_eq!(own.body["status"], "eligible");
    close_after_the_closing_day(&host);
    let status = |who: &trama_testhost::Account, id: &str| {
        application(&host, who, id).body["status"].clone()
    };
    let anna_id = first.body["id"].as_str().expect("id");
    assert_eq!(status(&anna, anna_id), "beneficiary");
    assert_eq!(status(&bruno, &bruno_id), "not_funded");
    assert_eq!(status(&elena, &elena_id), "not_funded");
}

#[test]
fn vouchers_in_instalments_are_spent_only_in_their_window_and_the_rest_returns_to_the_budget() {
    let (host, operator) = host_and_operator();
    let created = created(
        &host,
        &operator,
        fund_campaign(json!({
            "template": "fondo-emergenza",
            "denominations": "50",
            "valid_days": 90,
            "instalments": 2,
            "instalment_days": 30,
        })),
    );
    let rules = created.body["rules_text"].to_string();
    assert!(rules.contains("2 rate"), "{rules}");
    let id = created.body["id"].as_str().expect("id").to_owned();
    let anna = host.account("anna", &["citizen"]);
    let applied = host.post(
        Some(&anna),
        &applications(&id),
        household(ANNA, &["1985-12-10"], "5000", false),
    );
    let anna_id = applied.body["id"].as_str().expect("id").to_owned();
    // Closed on 23 January: 200 € in two instalments of 100 €, two 50 € vouchers each; the
    // first valid until 22 April (90 days), the second from 22 February to 22 May.
    close_after_the_closing_day(&host);
    let funded = application(&host, &anna, &anna_id);
    let vouchers = funded.body["vouchers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(vouchers.len(), 4, "{}", funded.body);
    assert_eq!(
        vouchers[0]["valid_text"], "valido fino al 22/04/2026",
        "{}",
        funded.body
    );
    assert_eq!(
        vouchers[3]["valid_text"],
        "valido dal 22/02/2026 al 22/05/2026"
    );
    let code = |n: usize| vouchers[n]["code"].as_str().expect("code").to_owned();

    let shopkeeper = host.account("bottega", &["merchant"]);
    claimed_shop(&host, &operator, &shopkeeper);
    let redeem = |code: &str, amount: &str, request: &str| {
        host.post(
            Some(&shopkeeper),
            "/api/redeem",
            json!({"code": code, "amount": amount, "request_id": request}),
        )
    };
    // The second instalment cannot be spent before its day.
    let early = redeem(&code(3), "10", "req-early-0001").assert_status(422);
    assert!(early.message().contains("22/02/2026"), "{}", early.body);
    assert_eq!(redeem(&code(0), "30", "req-spend-0001").status, 201);
    host.set_time("2026-02-22T09:00:00+01:00");
    assert_eq!(redeem(&code(3), "50", "req-later-0001").status, 201);

    // After 22 April the first instalment is over: refused, and what is left returns.
    host.set_time("2026-04-23T09:00:00+02:00");
    let late = redeem(&code(1), "10", "req-late-00001").assert_status(422);
    assert!(late.message().contains("22/04/2026"), "{}", late.body);
    let remaining = || {
        host.get(Some(&operator), "/api/dashboard").body["campaigns"][0]["remaining"]["cents"]
            .as_i64()
            .expect("remaining")
    };
    assert_eq!(remaining(), 40_000, "600 € less Anna's 200 €");
    host.run_job("lapse-vouchers").expect("the lapse job");
    // 20 € left on the first voucher and 50 € on the second go back; the second instalment
    // (50 € spent, 50 € left until 22 May) stays with Anna.
    assert_eq!(remaining(), 47_000);
    host.run_job("lapse-vouchers").expect("again");
    assert_eq!(remaining(), 47_000, "once, however often the job runs");
    host.set_time("2026-05-23T09:00:00+02:00");
    host.run_job("lapse-vouchers")
        .expect("the second instalment");
    assert_eq!(remaining(), 52_000);
}

#[test]
fn budget_added_after_the_closing_funds_the_next_in_the_ranking_once() {
    // 450 € for the emergency fund: Bruno (ISEE 3,000, 400 €) first, Anna (ISEE 5,000,
    // 200 €) does not fit in the 50 € left, nor does Dario (ISEE 5,500, 200 €) after her.
    let (host, operator, id, path) = opened(fund_campaign(
        json!({"template": "fondo-emergenza", "budget": "450"}),
    ));
    let apply = |who: &str, tax: &str, births: &[&str], isee: &str| {
        let account = host.account(who, &["citizen"]);
        let app = host
            .post(Some(&account), &path, household(tax, births, isee, false))
            .assert_status(201);
        (account, app.body["id"].as_str().expect("id").to_owned())
    };
    let five = [
        "1980-01-01",
        "1982-02-02",
        "2010-03-03",
        "2012-04-04",
        "2015-05-05",
    ];
    let (bruno, bruno_id) = apply("bruno", BRUNO, &five, "3000");
    let (anna, anna_id) = apply("anna", ANNA, &["1985-12-10"], "5000");
    let (dario, dario_id) = apply("dario", DARIO, &["1970-03-15"], "5500");
    close_after_the_closing_day(&host);
    let status = |who: &trama_testhost::Account, app: &str| {
        application(&host, who, app).body["status"].clone()
    };
    assert_eq!(status(&bruno, &bruno_id), "beneficiary");
    assert_eq!(status(&anna, &anna_id), "not_funded");
    assert_eq!(status(&dario, &dario_id), "not_funded");

    // Only operators add budget; 150 € more make 200 €: Anna is next, and only she fits.
    let add = |amount: &str, request: &str| {
        host.post(
            Some(&operator),
            &format!("/api/campaigns/{id}/budget"),
            json!({"amount": amount, "request_id": request}),
        )
    };
    assert_eq!(
        host.post(
            Some(&anna),
            &format!("/api/campaigns/{id}/budget"),
            json!({"amount": "1000", "request_id": "topup-anna-01"})
        )
        .status,
        403
    );
    let added = add("150", "topup-0000001").assert_status(200);
    assert_eq!(added.body["funded"], 1);
    assert_eq!(added.body["budget_cents"], 60_000);
    assert_eq!(status(&anna, &anna_id), "beneficiary");
    assert_eq!(status(&dario, &dario_id), "not_funded");
    // The same request again adds nothing.
    let replay = add("150", "topup-0000001");
    assert_eq!(
        (&replay.body["funded"], &replay.body["budget_cents"]),
        (&json!(0), &json!(60_000))
    );
    // Anna hears she is funded, after hearing she was not.
    let to_anna: Vec<String> = host
        .notifications_to(&anna)
        .into_iter()
        .map(|n| n.subject)
        .collect();
    assert_eq!(
        to_anna,
        vec![
            "Domanda non finanziata: Fondo emergenza inverno".to_owned(),
            "Domanda finanziata: Fondo emergenza inverno".to_owned()
        ]
    );
    let remaining =
        host.get(Some(&operator), "/api/dashboard").body["campaigns"][0]["remaining"]["cents"]
            .clone();
    assert_eq!(remaining, 0, "450 + 150 − 400 − 200");
    let refused = add("dieci", "topup-0000002");
    assert_eq!(refused.problem_fields(), vec!["amount"], "{}", refused.body);
    // A second addition is its own transfer: 200 € more fund Dario.
    let second = add("200", "topup-0000003").assert_status(200);
    assert_eq!(second.body["funded"], 1);
    assert_eq!(status(&dario, &dario_id), "beneficiary");
    // The campaign's figures and the beneficiaries' list count the ones funded later.
    let campaign = host.get(Some(&operator), &format!("/api/campaigns/{id}"));
    let close = &campaign.body["close"];
    assert_eq!(
        (
            &close["funded"],
            &close["not_funded"],
            &close["committed_cents"]
        ),
        (&json!(3), &json!(0), &json!(80_000)),
        "{close}"
    );
    let list = common::csv(&host.get(
        Some(&operator),
        &format!("/campaigns/{id}/beneficiaries.csv"),
    ));
    for tax in [BRUNO, ANNA, DARIO] {
        assert!(list.contains(tax), "{tax}: {list}");
    }
}

#[test]
fn budget_added_before_the_closing_is_ranked_with_the_rest() {
    let (host, operator, id, path) = opened(fund_campaign(
        json!({"template": "fondo-emergenza", "budget": "200"}),
    ));
    let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);
    host.post(
        Some(&anna),
        &path,
        household(ANNA, &["1985-12-10"], "5000", false),
    );
    host.post(
        Some(&bruno),
        &path,
        household(BRUNO, &["1980-01-01"], "3000", false),
    );
    let added = host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/budget"),
        json!({"amount": "200", "request_id": "topup-active-1"}),
    );
    assert_eq!(added.body["budget_cents"], 40_000, "{}", added.body);
    close_after_the_closing_day(&host);
    let listed = host.get(Some(&operator), &format!("/api/campaigns/{id}"));
    assert_eq!(listed.body["state"], "closed", "{}", listed.body);
    assert_eq!(listed.body["close"]["funded"], 2, "{}", listed.body);
}
