//! The approved shop enters the register: the pages, `/me`, the files over HTTP, and — through
//! the kernel's event dispatcher — the vouchers plugin taking it as a merchant.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::application::Decided;
use super::{API, CITIZEN, SHOP_VAT, my_items, register_entry};
use crate::support::{Client, eventually, inbox, login, today_plus};

/// The shop in the register, and a voucher of the vouchers plugin it took.
pub(super) struct Accredited {
    pub(super) decided: Decided,
    pub(super) anonymous: Client,
    /// The shop's application as `/me` lists it.
    pub(super) admitted: (String, String, String),
    /// The voucher the shop took.
    pub(super) code: String,
}

/// The decision is read, the shop enters the register and becomes a vouchers merchant.
pub(super) async fn into_the_register_and_the_vouchers(decided: Decided) -> Accredited {
    let Decided {
        instance,
        server,
        anna,
        bruno,
        carla,
        dario,
        shopkeeper,
        citizen,
        id,
        provider_id,
    } = decided;

    // The applicant reads the decision with its reasons, on the page and in the inbox.
    let (status, page) = shopkeeper
        .page(&server, &format!("/p/admissions/applications/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Approvata") && page.contains("Risposta esauriente"),
        "{page}"
    );
    assert!(
        inbox(&shopkeeper, &server)
            .await
            .iter()
            .any(|s| s.contains("Domanda approvata"))
    );

    // The register, public, as a page and as a file for a spreadsheet. (Its entries and the
    // exports' columns are the plugin's own tests: `plugins/admissions/tests/register.rs`.)
    let anonymous = Client::new();
    let (status, page) = anonymous.page(&server, "/p/admissions/register").await;
    assert_eq!(status, 200);
    assert!(page.contains("Alimentari Bottega srl"), "{page}");
    let (status, csv) = API.text(&anonymous, &server, "/register.csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\u{feff}ID fornitore;Ragione sociale;") && csv.contains(SHOP_VAT),
        "{csv}"
    );

    // The shop's "my applications and bookings" (`/me`): its application, approved, and its
    // entry in the register with the last valid day; both link to their pages.
    let shop_entry = |status: &str| register_entry(&provider_id, status);
    let admitted = (
        "Domanda di ammissione — Alimentari Bottega srl".to_owned(),
        "Approvata".to_owned(),
        format!("/p/admissions/applications/{id}"),
    );
    assert_eq!(
        my_items(&shopkeeper, &server).await,
        vec![admitted.clone(), shop_entry("Accreditato")]
    );
    for (_, _, href) in my_items(&shopkeeper, &server).await {
        let (status, _) = shopkeeper.page(&server, &href).await;
        assert_eq!(status, 200, "{href}");
    }
    // A committee member who applied for nothing has nothing there; a stranger must log in.
    assert!(my_items(&anna, &server).await.is_empty());

    // The minutes download for the committee only.
    let (status, minutes) = API
        .text(&anna, &server, &format!("/applications/{id}/minutes.csv"))
        .await;
    assert_eq!(status, 200);
    assert!(minutes.contains("outcome;;approved;"), "{minutes}");
    let (status, _) = API
        .text(
            &shopkeeper,
            &server,
            &format!("/applications/{id}/minutes.csv"),
        )
        .await;
    assert_eq!(status, 403, "minutes are the committee's");

    // The vouchers plugin sees the accredited shop as a merchant, linked to its account.
    let linked = eventually(Duration::from_secs(20), || async {
        let (_, me) = shopkeeper
            .get_json(&server, "/p/vouchers/api/merchant")
            .await;
        me["linked"] == true && me["active"] == true
    })
    .await;
    let (_, me) = shopkeeper
        .get_json(&server, "/p/vouchers/api/merchant")
        .await;
    assert!(linked, "the shop is not a vouchers merchant: {me}");
    assert_eq!(me["merchant"]["name"], "Alimentari Bottega srl");
    assert_eq!(me["merchant"]["vat_number"], SHOP_VAT);

    // … and takes a voucher a citizen was given.
    let operator = login(&server, "operatrice").await;
    let (status, campaign) = operator
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/campaigns",
            &json!({
                "title": "Buoni spesa",
                "measure": "food",
                "opens_on": today_plus(0),
                "closes_on": today_plus(1),
                "budget": 50,
                "base_amounts": [50],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["id"].as_str().expect("campaign").to_owned();
    let (status, voucher_application) = citizen
        .send_json(
            &server,
            Method::POST,
            &format!("/p/vouchers/api/campaigns/{campaign_id}/applications"),
            &json!({"tax_code": CITIZEN}),
        )
        .await;
    assert_eq!(status, 201, "{voucher_application}");
    let (status, _) = operator
        .send_json(
            &server,
            Method::POST,
            &format!("/p/vouchers/api/campaigns/{campaign_id}/close"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, voucher_application) = citizen
        .get_json(
            &server,
            &format!(
                "/p/vouchers/api/applications/{}",
                voucher_application["id"].as_str().expect("id")
            ),
        )
        .await;
    let code = voucher_application["vouchers"][0]["code"]
        .as_str()
        .expect("voucher")
        .to_owned();
    let (status, redeemed) = shopkeeper
        .send_json(
            &server,
            Method::POST,
            "/p/vouchers/api/redeem",
            &json!({"code": code, "amount": "12,50", "request_id": "adm-redeem-0001"}),
        )
        .await;
    assert_eq!(status, 201, "{redeemed}");
    assert_eq!(redeemed["remaining_cents"], 3_750);

    Accredited {
        decided: Decided {
            instance,
            server,
            anna,
            bruno,
            carla,
            dario,
            shopkeeper,
            citizen,
            id,
            provider_id,
        },
        anonymous,
        admitted,
        code,
    }
}
