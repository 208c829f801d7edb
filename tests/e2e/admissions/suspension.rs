//! The committee suspends the shop and rejects an association; the renewal form and the pages.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use super::application::Decided;
use super::register::Accredited;
use super::{API, APS_TAX_CODE, GIULIA, my_items, register_entry, shop};
use crate::support::{eventually, message, sign_up, today_plus};

/// The committee suspends the shop; an association is rejected; the renewal form and the pages.
pub(super) async fn suspended_rejected_renewed(accredited: Accredited) {
    let Accredited {
        decided:
            Decided {
                instance: _instance,
                server,
                anna,
                bruno,
                carla,
                dario,
                shopkeeper,
                citizen: _,
                id,
                provider_id,
            },
        anonymous,
        admitted,
        code,
    } = accredited;
    let shop_entry = |status: &str| register_entry(&provider_id, status);

    // The committee suspends the shop; the shop answers; the vote carries; vouchers stop.
    let (status, motion) = API
        .post(
            &anna,
            &server,
            &format!("/api/register/{provider_id}/motions"),
            json!({"kind": "suspend", "reason": "Segnalazioni ripetute di prezzi non esposti"}),
        )
        .await;
    assert_eq!(status, 201, "{motion}");
    let motion_id = motion["id"].as_str().expect("motion").to_owned();
    let (status, _) = API
        .post(
            &dario,
            &server,
            &format!("/api/motions/{motion_id}/vote"),
            json!({"choice": "reject", "reason": "Li conosco, sono corretti"}),
        )
        .await;
    assert_eq!(status, 403, "conflicted on the proceeding too");
    let (status, stated) = API
        .post(
            &shopkeeper,
            &server,
            &format!("/api/motions/{motion_id}/statement"),
            json!({"text": "I cartellini sono stati esposti da lunedì."}),
        )
        .await;
    assert_eq!(status, 200, "{stated}");
    for member in [&anna, &carla] {
        let (status, voted) = API
            .post(
                member,
                &server,
                &format!("/api/motions/{motion_id}/vote"),
                json!({"choice": "approve", "reason": "Verifica del comitato in corso"}),
            )
            .await;
        assert_eq!(status, 200, "{voted}");
    }
    let (_, motion) = API
        .get(&anna, &server, &format!("/api/motions/{motion_id}"))
        .await;
    assert_eq!(motion["status"], "approved", "{motion}");
    let (_, entry) = API
        .get(&anonymous, &server, &format!("/api/register/{provider_id}"))
        .await;
    assert_eq!(entry["status"], "suspended");
    let (_, register) = API.get(&anonymous, &server, "/api/register").await;
    assert_eq!(register.as_array().map(Vec::len), Some(0), "{register}");
    let (_, suspended) = API
        .get(&anonymous, &server, "/api/register?status=suspended")
        .await;
    assert_eq!(suspended.as_array().map(Vec::len), Some(1), "{suspended}");
    assert_eq!(
        my_items(&shopkeeper, &server).await,
        vec![admitted.clone(), shop_entry("Sospeso")],
        "the shop sees its suspension on /me"
    );
    let stopped = eventually(Duration::from_secs(20), || async {
        let (_, me) = shopkeeper
            .get_json(&server, "/p/vouchers/api/merchant")
            .await;
        me["active"] == false
    })
    .await;
    assert!(stopped, "vouchers still sees the shop as active");
    let (status, refused) = shopkeeper
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/redeem",
            &json!({"code": code, "amount": "1", "request_id": "adm-redeem-0002"}),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, minutes) = API
        .text(
            &bruno,
            &server,
            &format!("/motions/{motion_id}/minutes.csv"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        minutes.contains("statement;bottega;") && minutes.contains("outcome;;approved;"),
        "{minutes}"
    );

    // An association is rejected with reasons, and may not apply again before 180 days.
    let coop = sign_up(&server, "coop", "Coop Sociale").await;
    let mut aps = shop("APS Il Girasole", APS_TAX_CODE, GIULIA);
    aps["legal_form"] = json!("aps");
    aps["vat_number"] = Json::Null;
    aps["categories"] = json!(["doposcuola"]);
    aps["services"] = json!([{"title": "Doposcuola", "category": "doposcuola", "description": "Aiuto compiti per ragazzi delle medie"}]);
    let (status, aps_application) = API
        .post(&coop, &server, "/api/applications", aps.clone())
        .await;
    assert_eq!(status, 201, "{aps_application}");
    let aps_id = aps_application["id"].as_str().expect("id").to_owned();
    // Four members, quorum 3: one vote against decides nothing yet.
    let (status, voted) = API
        .post(
            &anna,
            &server,
            &format!("/api/applications/{aps_id}/vote"),
            json!({"choice": "reject", "reason": "Nessun educatore qualificato indicato"}),
        )
        .await;
    assert_eq!(
        (status, &voted["status"]),
        (200, &json!("voting")),
        "{voted}"
    );
    // Carla declares a link the roster could not know: three entitled, quorum 2.
    let (status, declared) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{aps_id}/conflict"),
            json!({"note": "Sono volontaria dell'associazione"}),
        )
        .await;
    assert_eq!(status, 200, "{declared}");
    let (_, seen) = API
        .get(&anna, &server, &format!("/api/applications/{aps_id}"))
        .await;
    assert_eq!(seen["committee"]["electorate"], 3, "{seen}");
    assert_eq!(seen["committee"]["quorum"], 2, "{seen}");
    let (status, _) = API
        .post(
            &carla,
            &server,
            &format!("/api/applications/{aps_id}/vote"),
            json!({"choice": "approve"}),
        )
        .await;
    assert_eq!(status, 403);
    // A second vote against meets the quorum, and Dario alone could not change the result.
    let (status, rejected) = API
        .post(
            &bruno,
            &server,
            &format!("/api/applications/{aps_id}/vote"),
            json!({"choice": "reject", "reason": "Manca l'assicurazione dei volontari"}),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected", "{rejected}");
    let (_, minutes) = API
        .text(
            &carla,
            &server,
            &format!("/applications/{aps_id}/minutes.csv"),
        )
        .await;
    assert!(
        minutes.contains("declared_conflict;carla;;") && minutes.contains("Sono volontaria"),
        "{minutes}"
    );
    let (_, seen) = API
        .get(&coop, &server, &format!("/api/applications/{aps_id}"))
        .await;
    assert_eq!(
        seen["decision"]["reasons"],
        json!([
            "Nessun educatore qualificato indicato",
            "Manca l'assicurazione dei volontari"
        ])
    );
    assert!(
        seen["reapply_from_iso"]
            .as_str()
            .is_some_and(|d| d.starts_with(&today_plus(180))),
        "{seen}"
    );
    let (status, again) = API.post(&coop, &server, "/api/applications", aps).await;
    assert_eq!(status, 422, "{again}");
    assert!(message(&again).contains("180 giorni"), "{again}");

    // The renewal form is filled in from the register, keeping the services' ids.
    let (status, page) = shopkeeper
        .page(
            &server,
            &format!("/p/admissions/apply?provider={provider_id}"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("value=\"Alimentari Bottega srl\"") && page.contains("name=\"service_1_id\""),
        "{page}"
    );
    // English is available.
    let (status, page) = anonymous
        .page(&server, "/p/admissions/register?status=all&lang=en")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Register of accredited providers") && page.contains("Suspended"),
        "{page}"
    );

    // The pages render.
    for (client, path) in [
        (&anna, "/p/admissions/".to_owned()),
        (&anna, "/p/admissions/committee".to_owned()),
        (&anna, format!("/p/admissions/applications/{id}")),
        (&anna, format!("/p/admissions/motions/{motion_id}")),
        (&anna, format!("/p/admissions/register/{provider_id}")),
        (&shopkeeper, format!("/p/admissions/motions/{motion_id}")),
        (&shopkeeper, "/p/admissions/".to_owned()),
        (&coop, format!("/p/admissions/applications/{aps_id}")),
        (&anonymous, "/p/admissions/ethics".to_owned()),
    ] {
        let (status, page) = client.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
}
