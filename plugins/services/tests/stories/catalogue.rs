//! Providers and their services: accredited through the admissions events, publishing with
//! every mistake shown beside its field, found by anyone without logging in, gone from search
//! as soon as the committee suspends the provider or an operator hides the service.

use crate::common;

use common::{
    accredit, book, coop_sole, coop_sole_offering, host, ids, publish, service_body, slot, suspend,
};
use serde_json::json;

#[test]
fn an_accredited_provider_publishes_and_a_mistake_is_shown_beside_its_field() {
    let host = host();
    let (coop, provider) = coop_sole(&host);

    // Every mistake at once, each beside its field; nothing is stored.
    let refused = host.post(
        Some(&coop),
        &format!("/api/provider/{provider}/services"),
        json!({ "title": "x", "category": "Astrologia", "price_model": "per_hour", "price": "abc",
                "group_size": "5", "group_minimum": "8" }),
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    for field in [
        "title",
        "description",
        "category",
        "address",
        "audience",
        "price",
        "group_minimum",
    ] {
        assert!(
            refused.problem_fields().contains(&field),
            "{field}: {}",
            refused.body
        );
    }
    let free_paid = host.post(
        Some(&coop),
        &format!("/api/provider/{provider}/services"),
        service_body("Baby sitting serale", "Baby sitting", "fixed", "0"),
    );
    assert_eq!(free_paid.problem_fields(), ["price"]);
    // The form comes back with what was typed and the problems beside the fields.
    let form = host.submit(
        Some(&coop),
        &format!("/provider/{provider}/services"),
        &[("title", "<b>Nido</b>")],
    );
    assert_eq!(form.status, 422);
    assert_eq!(form.template.as_deref(), Some("desk.html"));
    assert_eq!(form.body["form"]["values"]["title"], "<b>Nido</b>");
    assert_eq!(
        form.body["form"]["problems"]["category"],
        "scegli una delle categorie"
    );

    let id = publish(
        &host,
        &coop,
        &provider,
        service_body("Baby sitting serale", "Baby sitting", "per_hour", "12,50"),
    );
    assert_eq!(host.audited(&id), ["service.published"]);
    // Anyone reads it, with the provider's public card, without logging in.
    let page = host
        .get(None, &format!("/api/services/{id}"))
        .assert_status(200);
    assert_eq!(page.body["service"]["price_cents"], 1250);
    assert_eq!(page.body["service"]["price"], "12,50 €, a ora");
    assert_eq!(page.body["service"]["provider"]["name"], "Cooperativa Sole");
    assert_eq!(
        page.body["service"]["provider"]["address"],
        "Via Roma 1, Monteserra"
    );
    let html = host
        .page(None, &format!("/services/{id}"))
        .assert_status(200);
    assert_eq!(html.template.as_deref(), Some("service.html"));

    // Somebody else's account cannot publish for the provider.
    let other = host.account("other", &[]);
    assert_eq!(
        host.post(
            Some(&other),
            &format!("/api/provider/{provider}/services"),
            service_body("Finto", "Sport", "free", "")
        )
        .status,
        403
    );
}

#[test]
fn search_by_words_category_price_place_and_date() {
    let host = host();
    let (coop, provider) = coop_sole(&host);
    let sitting = publish(
        &host,
        &coop,
        &provider,
        service_body("Baby sitting serale", "Baby sitting", "per_hour", "12"),
    );
    let mut gym = service_body("Ginnastica dolce", "Sport", "free", "");
    gym["address"] = json!("Palestra comunale, Borgo Alto");
    gym["audience"] = json!("anziani");
    publish(&host, &coop, &provider, gym);
    slot(&host, &coop, &sitting, "2026-12-10", "18:00", 1);

    let search = |query: &str| {
        host.get(None, &format!("/api/services{query}"))
            .assert_status(200)
            .body
    };
    assert_eq!(
        ids(&search("")),
        ["Ginnastica dolce", "Baby sitting serale"]
    );
    assert_eq!(ids(&search("?q=ANZIANI")), ["Ginnastica dolce"]);
    assert_eq!(
        ids(&search("?category=Baby+sitting")),
        ["Baby sitting serale"]
    );
    assert_eq!(ids(&search("?price=free")), ["Ginnastica dolce"]);
    assert_eq!(ids(&search("?price=paid")), ["Baby sitting serale"]);
    assert_eq!(ids(&search("?place=borgo")), ["Ginnastica dolce"]);
    assert_eq!(ids(&search("?date=2026-12-10")), ["Baby sitting serale"]);
    assert!(ids(&search("?date=2026-12-11")).is_empty());
    let bad = host.get(None, "/api/services?date=domani");
    assert_eq!(bad.status, 422);
    assert!(bad.body["problems"]["date"].is_string());
    // A full slot is not availability.
    let anna = host.account("anna", &[]);
    let page = host.get(None, &format!("/api/services/{sitting}")).body;
    let booked = book(&host, &anna, &sitting, page["slots"][0]["id"].as_str());
    assert_eq!(booked.status, 201, "{}", booked.body);
    assert!(ids(&search("?date=2026-12-10")).is_empty());
    // The search page works without logging in.
    let page = host.page(None, "/?q=ginnastica").assert_status(200);
    assert_eq!(page.body["results"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_suspended_provider_and_a_hidden_service_disappear_at_once() {
    let host = host();
    let (coop, provider, id) = coop_sole_offering(
        &host,
        service_body("Baby sitting serale", "Baby sitting", "fixed", "30"),
    );
    let search = || ids(&host.get(None, "/api/services").assert_status(200).body);
    assert_eq!(search(), ["Baby sitting serale"]);

    suspend(&host, "p1", &coop);
    assert!(search().is_empty());
    assert_eq!(host.get(None, &format!("/api/services/{id}")).status, 404);
    let anna = host.account("anna", &[]);
    assert_eq!(book(&host, &anna, &id, None).status, 404);
    // A suspended provider cannot publish either.
    assert_eq!(
        host.post(
            Some(&coop),
            &format!("/api/provider/{provider}/services"),
            service_body("Altro", "Sport", "free", "")
        )
        .status,
        403
    );
    // Reinstated by a later accreditation, it is found again.
    host.advance(std::time::Duration::from_secs(1));
    accredit(&host, "p1", "Cooperativa Sole", &coop);
    assert_eq!(search(), ["Baby sitting serale"]);

    // An operator hides the service, with the reason, audited; only operators may.
    let operator = host.account("operatore", &["operator"]);
    assert_eq!(
        host.post(
            Some(&coop),
            &format!("/api/services/{id}/visibility"),
            json!({ "hidden": "yes" })
        )
        .status,
        403
    );
    host.post(
        Some(&operator),
        &format!("/api/services/{id}/visibility"),
        json!({ "hidden": "yes", "reason": "descrizione ingannevole" }),
    )
    .assert_status(201);
    assert!(search().is_empty());
    assert_eq!(
        host.audited(&id).last().map(String::as_str),
        Some("service.hidden")
    );
    host.page(Some(&operator), "/operator").assert_status(200);
    host.post(
        Some(&operator),
        &format!("/api/services/{id}/visibility"),
        json!({ "hidden": "no" }),
    )
    .assert_status(201);
    assert_eq!(search(), ["Baby sitting serale"]);
}
