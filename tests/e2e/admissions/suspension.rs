//! The committee suspends the shop and the vouchers plugin stops it; the renewal form and the
//! pages.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::application::Decided;
use super::register::Accredited;
use super::{API, my_items, register_entry};
use crate::support::eventually;

/// The committee suspends the shop; the renewal form and the pages.
pub(super) async fn suspended_rejected_renewed(accredited: Accredited) {
    let Accredited {
        decided:
            Decided {
                instance: _instance,
                server,
                anna,
                bruno: _,
                carla,
                dario: _,
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

    // The committee suspends the shop; the vote carries; the vouchers plugin, told through the
    // kernel's dispatcher, stops taking its vouchers. (The proceeding's rules, a rejection and
    // its 180 days are the plugin's own tests: `plugins/admissions/tests/suspension.rs`.)
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
        (&anonymous, "/p/admissions/ethics".to_owned()),
    ] {
        let (status, page) = client.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
}
