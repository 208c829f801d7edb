//! A campaign opens and citizens apply: eligibility with its reasons, review with a question
//! and its answer, filing on someone's behalf — the plugin's own logic, run natively against
//! the kernel's store, ledger and accounts (`trama-testhost`).

use crate::common;

use common::{
    ANNA, BRUNO, CARLA, ELENA, application, applications, apply, close_after_the_closing_day,
    create, created, filed, host_and_operator, opened, winter_campaign,
};
use serde_json::json;

#[test]
fn a_campaign_is_created_only_by_an_operator_and_every_broken_field_is_named() {
    let (host, operator) = host_and_operator();
    let anna = host.account("anna", &["citizen"]);

    assert_eq!(
        host.post(Some(&anna), "/api/campaigns", json!({})).status,
        403
    );

    let refused = host.post(
        Some(&operator),
        "/api/campaigns",
        json!({"title": "x", "measure": "cake", "budget": "dieci", "fields": ["isee"], "isee_max": "15000", "residence_required": true}),
    ).assert_status(422);
    let fields = refused.problem_fields();
    for field in [
        "title",
        "measure",
        "opens_on",
        "closes_on",
        "budget",
        "residence_required",
        "base_amounts",
    ] {
        assert!(
            fields.contains(&field),
            "{field} not named in {}",
            refused.body
        );
    }

    let created = created(&host, &operator, winter_campaign());
    assert_eq!(created.body["budget_cents"], 70_000);
    assert_eq!(created.body["phase"], "open");
    // The budget is in the ledger from the start.
    let dashboard = host.get(Some(&operator), "/api/dashboard");
    assert_eq!(dashboard.body["campaigns"][0]["remaining"]["cents"], 70_000);
    assert_eq!(dashboard.body["campaigns"][0]["issued"]["cents"], 0);
}

#[test]
fn citizens_apply_are_ranked_reviewed_and_filed_for() {
    let (host, operator, _, path) = opened(winter_campaign());
    let [anna, bruno, carla] = host.accounts(["anna", "bruno", "carla"], &["citizen"]);

    // Anna: eligible, 350 + 35.50 = 385.50 €.
    let anna_app = filed(
        &host,
        &anna,
        &path,
        apply(ANNA, 3, 1, "9.000,00", true, false),
    );
    assert_eq!(anna_app.body["status"], "eligible");
    assert_eq!(anna_app.body["amount_cents"], 38_550);

    // A mistyped tax code is refused before anything is stored; the same one cannot apply twice.
    let refused = host
        .post(
            Some(&anna),
            &path,
            apply("RSSMRA85T10A562T", 3, 1, "9000", true, false),
        )
        .assert_status(422);
    assert_eq!(refused.body["problems"][0]["field"], "tax_code");
    host.post(Some(&anna), &path, apply(ANNA, 1, 0, "1000", true, false))
        .assert_status(409);

    // Bruno: ineligible, with the reason in plain words.
    let bruno_app = filed(
        &host,
        &bruno,
        &path,
        apply(BRUNO, 2, 0, "18.000,00", true, false),
    );
    assert_eq!(bruno_app.body["status"], "ineligible");
    assert_eq!(
        bruno_app.body["reasons"],
        json!(["ISEE 18.000,00 € sopra la soglia di 15.000,00 €"])
    );

    // Carla lost her income, so her application goes to review: 250 + 35.50 = 285.50 €.
    let carla_app = host.post(Some(&carla), &path, apply(CARLA, 2, 1, "5000", true, true));
    assert_eq!(
        carla_app.body["status"], "needs_review",
        "{}",
        carla_app.body
    );
    let carla_id = carla_app.body["id"].as_str().expect("id").to_owned();
    let approve = format!("/api/applications/{carla_id}/approve");
    // Citizens cannot review; the operator asks, Carla answers, the operator approves once.
    assert_eq!(host.post(Some(&carla), &approve, json!({})).status, 403);
    host.post(
        Some(&operator),
        &format!("/api/applications/{carla_id}/request-info"),
        json!({"question": "Può allegare la lettera di licenziamento?"}),
    )
    .assert_state(200, "info_requested");
    let mine = host.get(Some(&carla), "/api/my-applications");
    assert_eq!(
        mine.body[0]["question"],
        "Può allegare la lettera di licenziamento?"
    );
    host.post(
        Some(&carla),
        &format!("/api/applications/{carla_id}/answer"),
        json!({"answer": "Sì, la porto in Comune domani."}),
    )
    .assert_state(200, "needs_review");
    host.post(Some(&operator), &approve, json!({}))
        .assert_state(200, "eligible");
    assert_eq!(host.post(Some(&operator), &approve, json!({})).status, 409);

    // Elena has no account: the operator files for her; a citizen may not file for others.
    let elena = json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "no"});
    assert_eq!(host.post(Some(&anna), &path, elena.clone()).status, 403);
    let elena_app = host.post(Some(&operator), &path, elena).assert_status(201);
    assert_eq!(elena_app.body["on_behalf"], true);
    assert_eq!(elena_app.body["filed_by"], "operatrice");

    // An application is its citizen's: another citizen is told it does not exist.
    let anna_id = anna_app.body["id"].as_str().expect("id");
    assert_eq!(application(&host, &bruno, anna_id).status, 404);
    assert_eq!(application(&host, &anna, anna_id).status, 200);
}

#[test]
fn an_account_applies_once_per_campaign_and_only_for_its_own_tax_code() {
    let (host, operator) = host_and_operator();
    let anna = host.account("anna", &["citizen"]);
    let campaign = |title: &str| {
        let mut body = winter_campaign();
        body["title"] = json!(title);
        applications(&create(&host, &operator, body))
    };
    let winter = campaign("Inverno");
    let spring = campaign("Primavera");

    filed(
        &host,
        &anna,
        &winter,
        apply(ANNA, 3, 1, "9000", true, false),
    );
    // Another valid tax code from the same account: refused without a word about its holder.
    for other in [BRUNO, CARLA, ELENA] {
        let again = host
            .post(
                Some(&anna),
                &winter,
                apply(other, 1, 0, "1000", true, false),
            )
            .assert_status(409);
        let text = again.body.to_string();
        assert!(text.contains("hai già presentato"), "{text}");
        assert!(!text.contains(other), "nothing about {other}: {text}");
    }
    // In another campaign the account keeps its own tax code.
    let someone_else = host
        .post(
            Some(&anna),
            &spring,
            apply(BRUNO, 1, 0, "1000", true, false),
        )
        .assert_status(422);
    assert!(
        someone_else.body.to_string().contains(ANNA),
        "{}",
        someone_else.body
    );
    filed(
        &host,
        &anna,
        &spring,
        apply(ANNA, 3, 1, "9000", true, false),
    );

    // The office still files for anyone.
    let mut for_bruno = apply(BRUNO, 1, 0, "1000", true, false);
    for_bruno["on_behalf"] = json!(true);
    for_bruno["full_name"] = json!("Bruno Bianchi");
    host.post(Some(&operator), &winter, for_bruno)
        .assert_status(201);
}

#[test]
fn a_citizen_logged_in_with_spid_applies_under_the_certified_fiscal_number_only() {
    let (host, _, _, path) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    host.bind_fiscal_number(&anna, ANNA);

    let mut someone_else = apply(BRUNO, 1, 0, "1000", true, false);
    let refused = host
        .post(Some(&anna), &path, someone_else.clone())
        .assert_status(422);
    assert!(refused.body.to_string().contains(ANNA), "{}", refused.body);
    // Nothing typed: the certified number is used.
    someone_else
        .as_object_mut()
        .expect("object")
        .remove("tax_code");
    let filed = host
        .post(Some(&anna), &path, someone_else)
        .assert_status(201);
    assert_eq!(filed.body["tax_code"], ANNA);
}

#[test]
fn an_operator_records_the_answer_of_someone_filed_for_at_the_desk() {
    let (host, operator, _, path) = opened(winter_campaign());
    let anna = host.account("anna", &["citizen"]);
    // Elena has no account and lost her income: her application waits for a review.
    let elena = json!({"on_behalf": true, "full_name": "Elena Pellegrini", "tax_code": ELENA, "household_size": 1, "minors": 0, "isee": "12000", "resident": "sì", "income_loss": "sì"});
    let filed = host.post(Some(&operator), &path, elena);
    assert_eq!(filed.body["status"], "needs_review", "{}", filed.body);
    let elena_id = filed.body["id"].as_str().expect("id").to_owned();
    host.post(
        Some(&operator),
        &format!("/api/applications/{elena_id}/request-info"),
        json!({"question": "Da quando è senza lavoro?"}),
    );
    let answer = format!("/api/applications/{elena_id}/answer");
    // Another citizen cannot answer for her; the operator records what she said at the desk.
    assert_eq!(
        host.post(Some(&anna), &answer, json!({"answer": "Da marzo."}))
            .status,
        404
    );
    let answered = host
        .post(
            Some(&operator),
            &answer,
            json!({"answer": "Da marzo, lettera di licenziamento consegnata allo sportello."}),
        )
        .assert_state(200, "needs_review");
    assert_eq!(
        answered.body["answer"],
        "Da marzo, lettera di licenziamento consegnata allo sportello."
    );
    let last = answered.body["history"]
        .as_array()
        .and_then(|steps| steps.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["actor"], "operatrice", "{last}");
    // On a citizen's own application the answer stays theirs.
    let anna_app = host.post(Some(&anna), &path, apply(ANNA, 2, 0, "5000", true, true));
    let anna_id = anna_app.body["id"].as_str().expect("id").to_owned();
    host.post(
        Some(&operator),
        &format!("/api/applications/{anna_id}/request-info"),
        json!({"question": "Quale contratto è scaduto?"}),
    );
    assert_eq!(
        host.post(
            Some(&operator),
            &format!("/api/applications/{anna_id}/answer"),
            json!({"answer": "quello a termine"})
        )
        .status,
        403
    );
}

#[test]
fn a_tax_code_that_already_applied_is_never_revealed_to_another_citizen() {
    let (host, operator, _, path) = opened(winter_campaign());
    let [anna, mallory] = host.accounts(["anna", "mallory"], &["citizen"]);
    let anna_app = host.post(Some(&anna), &path, apply(ANNA, 3, 1, "9000", true, false));
    assert_eq!(anna_app.body["status"], "eligible");
    let anna_id = anna_app.body["id"].as_str().expect("id").to_owned();

    // Mallory types Anna's tax code: the answer is what the rules say of the answers, as for
    // anyone — nothing about Anna.
    let probe = filed(
        &host,
        &mallory,
        &path,
        apply(ANNA, 1, 0, "1000", true, false),
    );
    assert_eq!(probe.body["status"], "eligible");
    let text = probe.body.to_string();
    assert!(!text.contains(&anna_id), "{text}");
    assert!(probe.body.get("contested_by").is_none(), "{text}");
    let probe_id = probe.body["id"].as_str().expect("id").to_owned();
    let mine = application(&host, &mallory, &probe_id);
    assert!(mine.body.get("contested_by").is_none(), "{}", mine.body);

    // The office sees both and must settle Anna's first; the closing ranks one per tax code.
    let seen = application(&host, &operator, &probe_id);
    assert_eq!(seen.body["contested_by"], json!(anna_id));
    let approve = format!("/api/applications/{probe_id}/approve");
    assert_eq!(host.post(Some(&operator), &approve, json!({})).status, 409);
    let rejected = host.post(
        Some(&operator),
        &format!("/api/applications/{probe_id}/reject"),
        json!({"reason": "Il codice fiscale non è del richiedente."}),
    );
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.body);
    close_after_the_closing_day(&host);
    let funded = application(&host, &anna, &anna_id);
    assert_eq!(funded.body["status"], "beneficiary", "{}", funded.body);
}
