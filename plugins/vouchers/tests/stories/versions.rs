//! A published notice changes only by new versions: extended, edited while its rules are not
//! yet frozen by an application, or withdrawn with its budget given back — each change
//! recorded and told to the applicants; run natively against the kernel's store, ledger and
//! outbox (`trama-testhost`).

use crate::common;

use common::{
    ANNA, BRUNO, CARLA, DARIO, application, applications, apply, close, id_of, opened,
    winter_campaign,
};
use serde_json::json;
use trama_testhost::{Notice, TestHost};
use vouchers::Vouchers;

fn told<'a>(notices: &'a [Notice], who: &str, about: &str) -> Vec<&'a Notice> {
    notices
        .iter()
        .filter(|n| n.to == who && n.subject.contains(about))
        .collect()
}

fn balance(host: &TestHost<Vouchers>, account: &str) -> i64 {
    host.call(None, || Ok(trama_sdk::ledger::balance(account)?))
        .expect("a balance")
}

#[test]
fn an_extension_moves_the_closing_and_each_applicant_hears_of_it_once() {
    let (host, operator, id, applications) = opened(winter_campaign());
    let [anna, bruno, dario] = host.accounts(["anna", "bruno", "dario"], &["citizen"]);
    let anna_app = id_of(&host.post(
        Some(&anna),
        &applications,
        apply(ANNA, 3, 1, "9000", true, false),
    ));
    host.post(
        Some(&bruno),
        &applications,
        apply(BRUNO, 2, 0, "8000", true, false),
    );
    // Filed at the desk for someone without an account: nobody to write to.
    let mut desk = apply(CARLA, 1, 0, "7000", true, false);
    desk["on_behalf"] = json!(true);
    desk["full_name"] = json!("Carla Bianchi");
    assert_eq!(host.post(Some(&operator), &applications, desk).status, 201);

    let extend = format!("/api/campaigns/{id}/extend");
    // A reason is required, and an extension goes later, never earlier.
    let no_reason = host
        .post(Some(&operator), &extend, json!({"closes_on": "2026-01-31"}))
        .assert_status(422);
    assert_eq!(no_reason.problem_fields(), vec!["reason"]);
    host.post(
        Some(&operator),
        &extend,
        json!({"closes_on": "2026-01-20", "reason": "errore"}),
    )
    .assert_status(422);

    let extended = host
        .post(
            Some(&operator),
            &extend,
            json!({"closes_on": "2026-01-31", "reason": "Molte famiglie non hanno ancora l'ISEE"}),
        )
        .assert_status(200);
    assert_eq!(extended.body["closes_on"], "2026-01-31");
    assert_eq!(extended.body["notice_version"], 2);
    let change = &extended.body["revisions"][0];
    assert_eq!(change["kind"], "extended");
    assert_eq!(change["reason"], "Molte famiglie non hanno ancora l'ISEE");
    assert_eq!(
        change["changes"][0],
        "Chiusura delle domande: dal 22/01/2026 al 31/01/2026"
    );

    // Each applicant with an account is told once, even when the job goes over it again.
    host.run_job("announce-changes").expect("the job");
    let notices = host.notifications();
    for who in [&anna, &bruno] {
        let theirs = told(&notices, &who.id, "prorogata");
        assert_eq!(theirs.len(), 1, "{notices:?}");
        assert!(theirs[0].body.contains("31/01/2026"), "{}", theirs[0].body);
        assert!(
            theirs[0].body.contains("Molte famiglie"),
            "{}",
            theirs[0].body
        );
    }
    assert_eq!(notices.len(), 2, "{notices:?}");

    // The application says which version it was filed under; the public page the history.
    let app = application(&host, &anna, &anna_app);
    assert_eq!(app.body["notice_version"], 1);
    assert_eq!(app.body["current_notice_version"], 2);
    let page = host
        .page(None, &format!("/campaigns/{id}"))
        .assert_status(200);
    assert_eq!(page.body["campaign"]["notice_version"], 2);
    assert!(page.body["campaign"]["last_changed_text"].is_string());
    assert!(page.body["campaign"]["revisions"][0]["by"].is_null());

    // Past the old closing day the campaign still takes applications, under version 2.
    host.set_time("2026-01-25T10:00:00+01:00");
    host.run_job("close-campaigns").expect("the job");
    let late = host
        .post(
            Some(&dario),
            &applications,
            apply(DARIO, 1, 0, "5000", true, false),
        )
        .assert_status(201);
    assert_eq!(late.body["notice_version"], 2);
}

#[test]
fn rules_change_only_until_the_first_application() {
    let (host, operator, id, _) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    let edit = format!("/api/campaigns/{id}/edit");

    // Nobody applied yet: the ISEE limit can change.
    let raised = host
        .post(
            Some(&operator),
            &edit,
            json!({"isee_max": "20.000", "reason": "Delibera di giunta n. 12"}),
        )
        .assert_status(200);
    assert_eq!(raised.body["isee_max_cents"], 2_000_000);
    assert_eq!(raised.body["notice_version"], 2);
    assert_eq!(
        raised.body["revisions"][0]["changes"][0],
        "Cambiate le regole: requisiti"
    );

    host.post(
        Some(&anna),
        &applications(&id),
        apply(ANNA, 3, 1, "9000", true, false),
    );
    let before = host.get(Some(&operator), &format!("/api/campaigns/{id}"));

    // Now the rules are frozen: refused, saying why, and nothing changes.
    let frozen = host.post(
        Some(&operator),
        &edit,
        json!({"isee_max": "30000", "title": "Buoni spesa inverno bis", "reason": "Nuova delibera"}),
    ).assert_status(409);
    assert!(
        frozen.message().contains("regole che non ha visto"),
        "{}",
        frozen.message()
    );
    let after = host.get(Some(&operator), &format!("/api/campaigns/{id}"));
    assert_eq!(after.body, before.body);
    assert!(host.notifications().is_empty());

    // The title and the words still change; the rules sent again unchanged are no change.
    let renamed = host.post(
        Some(&operator),
        &edit,
        json!({"title": "Buoni spesa inverno 2026", "isee_max": "20000", "description": "Per informazioni: ufficio servizi sociali.", "reason": "Titolo più chiaro"}),
    ).assert_status(200);
    assert_eq!(renamed.body["notice_version"], 3);
    assert_eq!(renamed.body["title"], "Buoni spesa inverno 2026");
    assert_eq!(
        renamed.body["revisions"][0]["changes"],
        json!([
            "Titolo: da «Buoni spesa inverno» a «Buoni spesa inverno 2026»",
            "Il testo del bando è cambiato"
        ])
    );
    let notices = host.notifications();
    assert_eq!(
        told(&notices, &anna.id, "modificato").len(),
        1,
        "{notices:?}"
    );

    // Nothing to change is said so; the budget grows only by adding to it.
    host.post(
        Some(&operator),
        &edit,
        json!({"title": "Buoni spesa inverno 2026", "reason": "Nessuna"}),
    )
    .assert_status(422);
    let budget = host
        .post(
            Some(&operator),
            &edit,
            json!({"budget": "900", "reason": "Più fondi"}),
        )
        .assert_status(422);
    assert_eq!(budget.problem_fields(), vec!["budget"]);
}

#[test]
fn a_withdrawn_notice_gives_its_budget_back_once_and_is_never_ranked() {
    let (host, operator, id, _) = opened(winter_campaign());
    let [anna, bruno, carla] = host.accounts(["anna", "bruno", "carla"], &["citizen"]);
    let funding_before = balance(&host, "funding");
    let applications = applications(&id);
    let anna_app = id_of(&host.post(
        Some(&anna),
        &applications,
        apply(ANNA, 3, 1, "9000", true, false),
    ));
    // Bruno lost his income: to review. Carla's ISEE is over the limit: ineligible.
    let bruno_app = id_of(&host.post(
        Some(&bruno),
        &applications,
        apply(BRUNO, 2, 0, "8000", true, true),
    ));
    let carla_app = id_of(&host.post(
        Some(&carla),
        &applications,
        apply(CARLA, 1, 0, "20000", true, false),
    ));

    let cancel = format!("/api/campaigns/{id}/cancel");
    // The API must confirm; the form is asked to, on a page of its own.
    let unconfirmed = host
        .post(
            Some(&operator),
            &cancel,
            json!({"reason": "Fondi regionali revocati"}),
        )
        .assert_status(422);
    assert_eq!(unconfirmed.problem_fields(), vec!["confirm"]);
    let asked = host
        .submit(
            Some(&operator),
            &format!("/campaigns/{id}/cancel"),
            &[("reason", "Fondi regionali revocati")],
        )
        .assert_status(200);
    assert_eq!(asked.template.as_deref(), Some("campaign_cancel.html"));
    assert_eq!(asked.body["applications"], 3);
    assert_eq!(
        host.get(None, &format!("/api/campaigns/{id}")).body["state"],
        "active"
    );

    let body = json!({"reason": "Fondi regionali revocati", "confirm": true});
    let cancelled = host
        .post(Some(&operator), &cancel, body.clone())
        .assert_status(200);
    assert_eq!(cancelled.body["state"], "cancelled");
    assert_eq!(cancelled.body["cancellation"]["refunded_cents"], 70_000);
    // Again: the same answer, and the money moved once.
    let again = host.post(Some(&operator), &cancel, body).assert_status(200);
    assert_eq!(again.body["notice_version"], 2);
    assert_eq!(balance(&host, "funding"), funding_before + 70_000);
    assert_eq!(balance(&host, &format!("campaign/{id}/budget")), 0);

    // Pending applications are cancelled; an outcome already given stays.
    let status = |app: &str| application(&host, &operator, app).body["status"].clone();
    assert_eq!(status(&anna_app), "cancelled");
    assert_eq!(status(&bruno_app), "cancelled");
    assert_eq!(status(&carla_app), "ineligible");
    let notices = host.notifications();
    for who in [&anna, &bruno, &carla] {
        assert_eq!(told(&notices, &who.id, "annullato").len(), 1, "{notices:?}");
    }

    // Nothing more happens to it: no applications, no budget, no closing, no vouchers.
    let dario = host.account("dario", &["citizen"]);
    host.post(
        Some(&dario),
        &applications,
        apply(DARIO, 1, 0, "5000", true, false),
    )
    .assert_status(422);
    host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/budget"),
        json!({"amount": "100", "request_id": "topup-after-cancel"}),
    )
    .assert_status(409);
    host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/extend"),
        json!({"closes_on": "2026-02-28", "reason": "ripensamento"}),
    )
    .assert_status(409);
    assert_eq!(close(&host, &operator, &id).status, 409);
    host.set_time("2026-01-25T10:00:00+01:00");
    host.run_job("close-campaigns").expect("the job");
    host.run_job("announce-changes").expect("the job");
    let campaign = host.get(Some(&operator), &format!("/api/campaigns/{id}"));
    assert_eq!(campaign.body["state"], "cancelled");
    assert!(campaign.body["close"].is_null());
    // No voucher and no decision: only the notice's versions (the last one withdrawn) and the
    // applications filed, for casework (see src/publish.rs).
    let published = host.published();
    assert!(
        published.iter().all(|e| e.name != "vouchers.voucher_issued"
            && (e.name != "vouchers.application_decided" || e.payload["decision"] == "refused")),
        "{published:?}"
    );
    let versions: Vec<&serde_json::Value> = published
        .iter()
        .filter(|e| e.name == "vouchers.campaign_published")
        .map(|e| &e.payload)
        .collect();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(
        (
            versions[1]["notice_version"].as_u64(),
            versions[1]["withdrawn"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(status(&anna_app), "cancelled");
    assert_eq!(balance(&host, "funding"), funding_before + 70_000);
    assert_eq!(host.notifications().len(), notices.len());
}

#[test]
fn only_operators_change_a_notice() {
    let (host, _, id, _) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    for (step, body) in [
        ("edit", json!({"title": "Rubato", "reason": "perché sì"})),
        (
            "extend",
            json!({"closes_on": "2026-03-01", "reason": "perché sì"}),
        ),
        ("cancel", json!({"reason": "perché sì", "confirm": true})),
    ] {
        let path = format!("/api/campaigns/{id}/{step}");
        assert_eq!(
            host.post(Some(&anna), &path, body.clone()).status,
            403,
            "{step}"
        );
        assert_eq!(host.post(None, &path, body).status, 401, "{step}");
    }
    let campaign = host.get(None, &format!("/api/campaigns/{id}"));
    assert_eq!(campaign.body["notice_version"], 1);
    assert_eq!(campaign.body["state"], "active");
}

#[test]
fn the_public_page_publishes_the_ranking_and_the_review_rules() {
    let (host, _, id, _) = opened(winter_campaign());
    let page = host
        .page(None, &format!("/campaigns/{id}"))
        .assert_status(200);
    let rules: Vec<&str> = page.body["campaign"]["rules_text"]
        .as_array()
        .expect("the rules")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    for rule in [
        "ISEE non superiore a 15.000,00 €",
        "Graduatoria: ISEE più basso",
        "A parità di graduatoria, conta l'ordine di presentazione delle domande",
        "Istruttoria dell'ufficio se: Perdita o calo del reddito = sì",
    ] {
        assert!(rules.contains(&rule), "{rule} not in {rules:?}");
    }
    assert_eq!(page.body["campaign"]["notice_version"], 1);
    assert!(
        page.body["campaign"]["revisions"]
            .as_array()
            .expect("a list")
            .is_empty()
    );
}

/// A valid codice fiscale for applicant `n`: the check letter is the one the SDK accepts.
fn tax_code_of(n: usize) -> String {
    let stem = format!("RSSMRA85T10A{n:03}");
    ('A'..='Z')
        .map(|check| format!("{stem}{check}"))
        .find(|code| trama_sdk::fiscal::tax_code(code).is_ok())
        .expect("one check letter fits")
}

/// More applicants than the request that makes a change may tell: the job tells the rest,
/// and finishes cancelling the applications the request did not reach.
#[test]
fn the_job_tells_and_cancels_what_the_request_left() {
    let (host, operator, id, applications) = opened(winter_campaign());
    const APPLICANTS: usize = 305;
    for n in 0..APPLICANTS {
        let citizen = host.account(&format!("citizen{n}"), &["citizen"]);
        host.post(
            Some(&citizen),
            &applications,
            apply(&tax_code_of(n), 1, 0, "5000", true, false),
        )
        .assert_status(201);
    }

    host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/extend"),
        json!({"closes_on": "2026-02-15", "reason": "Proroga regionale"}),
    )
    .assert_status(200);
    // The request told 300; the job the other five, and nobody twice.
    assert_eq!(host.notifications().len(), 300);
    host.run_job("announce-changes").expect("the job");
    host.run_job("announce-changes").expect("the job");
    let notices = host.notifications();
    assert_eq!(notices.len(), APPLICANTS);
    let mut recipients: Vec<&str> = notices.iter().map(|n| n.to.as_str()).collect();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(recipients.len(), APPLICANTS);

    host.post(
        Some(&operator),
        &format!("/api/campaigns/{id}/cancel"),
        json!({"reason": "Fondi revocati", "confirm": true}),
    )
    .assert_status(200);
    let eligible = format!("{applications}?status=eligible&limit=1000");
    assert_eq!(
        host.get(Some(&operator), &eligible)
            .body
            .as_array()
            .map(Vec::len),
        Some(5)
    );
    host.run_job("announce-changes").expect("the job");
    assert_eq!(
        host.get(Some(&operator), &eligible)
            .body
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let withdrawn = format!("{applications}?status=cancelled&limit=1000");
    assert_eq!(
        host.get(Some(&operator), &withdrawn)
            .body
            .as_array()
            .map(Vec::len),
        Some(APPLICANTS)
    );
    assert_eq!(host.notifications().len(), 2 * APPLICANTS);
    // The counts the campaign's page reads agree with the applications.
    let page = host.page(Some(&operator), &format!("/campaigns/{id}"));
    let statuses = page.body["statuses"].as_array().expect("the counts");
    let count = |key: &str| {
        statuses
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["count"].clone())
    };
    assert_eq!(count("cancelled"), Some(json!(APPLICANTS)));
    assert_eq!(count("eligible"), Some(json!(0)));
}
