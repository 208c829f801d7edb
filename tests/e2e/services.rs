//! The services catalogue on a real server, for the wiring: the admissions committee accredits
//! a provider, whose account reaches the catalogue through the events; it publishes a service,
//! a photo of it (a form with a file) and a slot; a citizen finds it without logging in, books,
//! and after the provider confirms and marks it done, rates it. Each behaviour is proven natively in `plugins/services/tests`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{Client, Server, TestInstance, add_user, eventually, id, login};

const VAT: &str = "01234567897";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";

/// The catalogue beside the admissions register that accredits its providers.
pub(crate) const PLUGINS: &str = r#"
[plugins.services]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "ledger", "wallet", "files"]
[plugins.services.settings]
categories = ["Baby sitting", "Sport"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "log", "clock", "protocol"]
[plugins.admissions.settings]
network_name = "Rete Monteserra"
ethics_code_version = "2025-1"
categories = ["servizi per l'infanzia"]
declarations = ["Dichiaro la regolarità contributiva (DURC)."]
quorum_percent = 100
majority = "simple"
voting_window = "7d"
voting_rounds = 1
accreditation_validity = "365d"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_accredited_provider_publishes_a_citizen_books_and_rates() {
    let instance = TestInstance::new("servizi", PLUGINS);
    add_user(&instance, "membro", "committee");
    add_user(&instance, "tata", "citizen");
    add_user(&instance, "anna", "citizen");
    add_user(&instance, "moderatore", "operator");
    let server = Server::start(&[instance.path()]);
    let member = login(&server, "membro").await;
    let owner = login(&server, "tata").await;
    let (_, service) = accredited_service(&server, &member, &owner, "per_hour", "12").await;

    // A photo from the desk's form with a file: a PDF comes back beside the file field, a text
    // file posing as an image the kernel refuses before the plugin, a PNG is kept.
    let upload = format!("/p/services/services/{service}/photos");
    let refused = owner
        .post_multipart(
            &server,
            &upload,
            &[("alt", "La sala giochi")],
            &[("photo", "listino.pdf", "application/pdf", PDF)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let page = refused.text().await.expect("page");
    assert!(
        page.contains(&format!("id=\"ph-file-{service}-error\""))
            && page.contains("JPEG, PNG, WebP"),
        "{page}"
    );
    let posing = owner
        .post_multipart(
            &server,
            &upload,
            &[("alt", "La sala giochi")],
            &[("photo", "sala.png", "image/png", b"<html>")],
        )
        .await;
    assert_eq!(posing.status().as_u16(), 415);
    let kept = owner
        .post_multipart(
            &server,
            &upload,
            &[("alt", "La sala giochi")],
            &[("photo", "sala.png", "image/png", PNG)],
        )
        .await;
    assert_eq!(kept.status().as_u16(), 303);
    let (status, slot) = post(
        &server,
        &owner,
        format!("/services/{service}/slots"),
        json!({ "date": "2099-06-10", "start": "18:00", "minutes": "60", "capacity": "1" }),
    )
    .await;
    assert_eq!(status, 201, "{slot}");

    // Anyone finds it; a citizen books, the provider confirms and marks it done.
    let anonymous = reqwest::Client::new();
    let found: Json = anonymous
        .get(server.url("/p/services/api/services?q=serale"))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(
        found["services"][0]["title"], "Baby sitting serale",
        "{found}"
    );
    let anna = login(&server, "anna").await;
    let (status, seat) = post(
        &server,
        &anna,
        format!("/services/{service}/book"),
        json!({ "slot": id(&slot) }),
    )
    .await;
    assert_eq!(
        (status, &seat["status"]),
        (201, &json!("requested")),
        "{seat}"
    );
    // A request, which the provider confirms for a time already past (a service given that
    // morning), so that it can be marked done and rated on a real clock.
    let (status, booking) = post(
        &server,
        &anna,
        format!("/services/{service}/book"),
        json!({ "note": "ieri sera" }),
    )
    .await;
    assert_eq!(status, 201, "{booking}");
    let booking = id(&booking);
    let (status, confirmed) = post(
        &server,
        &owner,
        format!("/bookings/{booking}/confirm"),
        json!({ "date": "2026-01-15", "start": "09:00", "minutes": "120" }),
    )
    .await;
    assert_eq!(status, 201, "{confirmed}");
    let (status, done) = post(
        &server,
        &owner,
        format!("/bookings/{booking}/done"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    let (status, rated) = post(
        &server,
        &anna,
        format!("/bookings/{booking}/rate"),
        json!({ "stars": "4", "comment": "Puntuale" }),
    )
    .await;
    assert_eq!(status, 201, "{rated}");
    let page: Json = anonymous
        .get(server.url(&format!("/p/services/api/services/{service}")))
        .send()
        .await
        .expect("service")
        .json()
        .await
        .expect("json");
    assert_eq!(page["service"]["rating"], 4.0, "{page}");
    assert_eq!(page["service"]["provider"]["rating"], 4.0);
    assert_eq!(page["ratings"][0]["comment"], "Puntuale");
    let (_, mine) = anna.get_json(&server, "/p/services/api/bookings").await;
    assert_eq!(mine["bookings"][0]["paid_directly_cents"], 2400, "{mine}");
    // The pages render on the real theme for each side.
    let moderator = login(&server, "moderatore").await;
    let (_, slot_page) = anonymous_page(&server, &format!("/p/services/services/{service}")).await;
    assert!(slot_page.contains("Baby sitting serale"), "{slot_page}");
    let (status, search) = anonymous_page(&server, "/p/services/?q=serale&price=paid").await;
    assert_eq!(status, 200, "{search}");
    // The photo, on the service's page and as the result's thumbnail, and as an image to anyone.
    let src = page_photo(&slot_page);
    assert!(search.contains(&format!("src=\"{src}\"")), "{search}");
    let image = anonymous.get(server.url(&src)).send().await.expect("photo");
    assert_eq!(image.status().as_u16(), 200);
    assert_eq!(crate::support::header(&image, "content-type"), "image/png");
    assert_eq!(
        crate::support::header(&image, "x-content-type-options"),
        "nosniff"
    );
    assert_eq!(&image.bytes().await.expect("bytes")[..], PNG);
    for (who, path) in [
        (&anna, format!("/p/services/bookings/{booking}")),
        (&anna, "/p/services/bookings".to_owned()),
        (&owner, format!("/p/services/bookings/{booking}")),
        (&owner, "/p/services/provider".to_owned()),
        (&moderator, "/p/services/operator".to_owned()),
        (&moderator, "/p/services/statements".to_owned()),
    ] {
        let (status, page) = who.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
}

/// The admissions committee (`member`) accredits the cooperative `owner` runs, which reaches the
/// catalogue through the events and publishes "Baby sitting serale" at `price` by `model`:
/// answers the provider and the service.
async fn accredited_service(
    server: &Server,
    member: &Client,
    owner: &Client,
    model: &str,
    price: &str,
) -> (String, String) {
    let provider = accredited(server, member, owner).await;
    let (status, service) = post(
        server,
        owner,
        format!("/provider/{provider}/services"),
        json!({
            "title": "Baby sitting serale", "description": "Baby sitter qualificate a domicilio",
            "category": "Baby sitting", "address": "Monteserra", "price_model": model,
            "price": price, "audience": "bambini 0-10 anni",
        }),
    )
    .await;
    assert_eq!(status, 201, "{service}");
    (provider, id(&service))
}

/// `owner` applies to the admissions register for the cooperative "Coop Tata Sicura" and
/// `member`, the whole committee, approves it; answers the provider's id in the catalogue, once
/// the accreditation reached it through the events and `owner`'s account acts for it.
pub(crate) async fn accredited(server: &Server, member: &Client, owner: &Client) -> String {
    accredited_as(
        server,
        member,
        owner,
        "Coop Tata Sicura",
        "servizi per l'infanzia",
    )
    .await
}

/// As [`accredited`], for the cooperative `name` offering services in the admissions
/// `category` (one of the instance's `[plugins.admissions.settings] categories`).
pub(crate) async fn accredited_as(
    server: &Server,
    member: &Client,
    owner: &Client,
    name: &str,
    category: &str,
) -> String {
    member.page(server, "/p/admissions/committee").await;
    let (status, application) = owner
        .send_json(server, Method::POST, "/p/admissions/api/applications", &json!({
            "legal_name": name, "legal_form": "association", "tax_code": VAT,
            "vat_number": VAT, "street": "Via Roma 1", "postcode": "52025", "city": "Monteserra",
            "province": "AR", "email": "info@coop.example", "phone": "+39 055 123456",
            "representative_name": "Mario Rossi", "representative_tax_code": "RSSMRA85T10A562S",
            "categories": [category],
            "services": [{"title": "Servizi alla persona", "category": category, "description": "Servizi a domicilio per famiglie e anziani"}],
            "declarations": [1], "ethics_version": "2025-1", "accept_ethics": true,
        }))
        .await;
    assert_eq!(status, 201, "{application}");
    let (status, vote) = member
        .send_json(
            server,
            Method::POST,
            &format!("/p/admissions/api/applications/{}/vote", id(&application)),
            &json!({"choice": "approve", "reason": "Servizio utile"}),
        )
        .await;
    assert_eq!(
        (status, &vote["status"]),
        (200, &json!("approved")),
        "{vote}"
    );
    // The accreditation reaches the catalogue: the applicant's account acts for the provider.
    let arrived = eventually(Duration::from_secs(20), || async {
        let (_, desk) = owner.get_json(server, "/p/services/api/provider").await;
        desk["providers"][0]["card"]["active"] == true
    })
    .await;
    assert!(
        arrived,
        "the accreditation did not reach the services catalogue"
    );
    let (_, desk) = owner.get_json(server, "/p/services/api/provider").await;
    desk["providers"][0]["card"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// An employee's company credit pays a booking in the catalogue through the kernel's wallet:
/// the credit `corporate-plans` offers on activation is drawn by `services` in the booking's
/// call, shown on `/me/wallet`, and given back when the booking is cancelled.
#[tokio::test(flavor = "multi_thread")]
async fn company_credit_pays_a_booking_through_the_welfare_wallet() {
    let plugins = format!("{PLUGINS}{}", crate::corporate_plans::PLUGIN);
    let instance = TestInstance::new("welfare", &plugins);
    add_user(&instance, "membro", "committee");
    add_user(&instance, "tata", "citizen");
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.acme", "company_hr");
    let server = Server::start(&[instance.path()]);
    let member = login(&server, "membro").await;
    let owner = login(&server, "tata").await;
    let (_, service) = accredited_service(&server, &member, &owner, "fixed", "1.200,00").await;
    let (status, slot) = post(
        &server,
        &owner,
        format!("/services/{service}/slots"),
        json!({ "date": "2099-06-10", "start": "18:00", "minutes": "60", "capacity": "2" }),
    )
    .await;
    assert_eq!(status, 201, "{slot}");
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.acme").await;
    let (anna, enrolment) =
        crate::corporate_plans::employee_with_credit(&server, &operator, &hr, "anna", "Anna Rossi")
            .await;

    // The wallet page shows the company credit before she books.
    let (status, wallet) = anna.get_json(&server, "/me/wallet").await;
    assert_eq!(status, 200, "{wallet}");
    assert_eq!(wallet["wallet"]["available"], 100_000, "{wallet}");

    // 1.200 € for the evening: 1.000 € from her company's credit, 200 € to pay directly.
    let (status, seat) = post(
        &server,
        &anna,
        format!("/services/{service}/book"),
        json!({ "slot": id(&slot) }),
    )
    .await;
    assert_eq!(status, 201, "{seat}");
    let booking = id(&seat);
    let (_, seen) = anna
        .get_json(&server, &format!("/p/services/api/bookings/{booking}"))
        .await;
    assert_eq!(seen["paid_by_credit"][0]["cents"], 100_000, "{seen}");
    assert_eq!(seen["paid_directly_cents"], 20_000);
    assert_eq!(
        crate::corporate_plans::wallet(&anna, &server, &enrolment)
            .await
            .0,
        0,
        "the company wallet is the same money"
    );
    let (_, wallet) = anna.get_json(&server, "/me/wallet").await;
    assert_eq!(wallet["wallet"]["available"], 0, "{wallet}");
    assert_eq!(wallet["wallet"]["paid_by_credit"], 100_000);
    assert_eq!(wallet["wallet"]["paid_directly"], 20_000);
    let (status, page) = anna.page(&server, "/me/wallet").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("1.000,00"), "{page}");
    // The kernel tells corporate plans what the booking drew: HR's "where the budget is" has
    // the 1.000 € on the line of the catalogue as soon as the event is delivered.
    let plan = enrolment
        .split_once('.')
        .map_or("", |(plan, _)| plan)
        .to_owned();
    let booked = || {
        let (hr, server, plan) = (&hr, &server, &plan);
        async move {
            let (_, report) = hr
                .get_json(server, &format!("/p/corporate-plans/api/plans/{plan}"))
                .await;
            report["summary"]["booked"]["cents"].as_i64()
        }
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            booked().await == Some(100_000)
        })
        .await,
        "the plan's report counts the booking: {:?}",
        booked().await
    );

    // Cancelled: the credit is back in her company wallet.
    let (status, cancelled) = post(
        &server,
        &anna,
        format!("/bookings/{booking}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{cancelled}");
    assert_eq!(
        crate::corporate_plans::wallet(&anna, &server, &enrolment)
            .await
            .0,
        100_000
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            booked().await == Some(0)
        })
        .await,
        "the payment back leaves the line: {:?}",
        booked().await
    );
}

/// `POST /p/services/api{path}` as `client`.
async fn post(server: &Server, client: &Client, path: String, body: Json) -> (u16, Json) {
    client
        .send_json(
            server,
            Method::POST,
            &format!("/p/services/api{path}"),
            &body,
        )
        .await
}

/// The address of the photo a service's page shows with the words "La sala giochi".
fn page_photo(page: &str) -> String {
    let img = page
        .split("<img ")
        .find(|tag| tag.contains("alt=\"La sala giochi\""))
        .unwrap_or_else(|| panic!("no photo on the page: {page}"));
    img.split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the photo's address")
        .to_owned()
}

/// A page as a visitor who is not logged in sees it.
async fn anonymous_page(server: &Server, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET page");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}
