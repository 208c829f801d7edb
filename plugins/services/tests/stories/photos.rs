//! Photos of a service: the provider adds a few images with what they show in words, each
//! refusal beside its field; anyone sees them on the service and as the thumbnail in search,
//! served with their type; nobody but operators and the provider once the service is hidden or
//! the provider suspended; the provider removes one and its file is gone.

use serde_json::json;
use services::Services;
use trama_testhost::{Account, Answer, TestHost};

use crate::common;

use common::{coop_sole_offering, ids, suspend, swimming};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n";

/// The catalogue of these stories: two photos a service, each up to 64 KiB.
fn host() -> TestHost<Services> {
    let host = TestHost::with_settings(
        env!("CARGO_MANIFEST_DIR"),
        json!({
            "categories": ["Baby sitting", "Sport"],
            "cancel_hours": 24,
            "photos_max": 2,
            "photo_max_kb": 64,
        }),
    )
    .expect("the manifest");
    host.set_time("2026-12-01T10:00:00+01:00");
    host
}

/// `who` sends the photo form of `service` through the API.
fn send(
    host: &TestHost<Services>,
    who: &Account,
    service: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> Answer {
    host.submit_files(
        Some(who),
        &format!("/api/services/{service}/photos"),
        fields,
        files,
    )
}

/// `who` adds `bytes` as a photo showing `alt`, which must be accepted; answers its address.
fn added(
    host: &TestHost<Services>,
    who: &Account,
    service: &str,
    alt: &str,
    name: &str,
    bytes: &[u8],
) -> String {
    send(
        host,
        who,
        service,
        &[("alt", alt)],
        &[("photo", name, bytes)],
    )
    .assert_status(201)
    .body["src"]
        .as_str()
        .expect("an address")
        .to_owned()
}

/// The path under the plugin of a photo's address.
fn route(src: &str) -> &str {
    src.strip_prefix("/p/services").expect("under the plugin")
}

#[test]
fn a_photo_is_an_image_within_the_size_with_words_for_who_cannot_see_it() {
    let host = host();
    let (coop, _, pool) = coop_sole_offering(&host, swimming("8"));

    // No file, no words, a PDF, one byte over the size, two at once: each beside its field.
    let nothing = send(&host, &coop, &pool, &[("alt", "")], &[]);
    assert_eq!(nothing.status, 422, "{}", nothing.body);
    let mut fields = nothing.problem_fields();
    fields.sort_unstable();
    assert_eq!(fields, ["alt", "photo"], "{}", nothing.body);
    let pdf = send(
        &host,
        &coop,
        &pool,
        &[("alt", "La vasca")],
        &[("photo", "orari.pdf", PDF)],
    );
    assert_eq!(pdf.problem_fields(), ["photo"]);
    assert!(
        pdf.body.to_string().contains("JPEG, PNG, WebP"),
        "{}",
        pdf.body
    );
    let mut big = PNG.to_vec();
    big.resize(64 * 1024 + 1, 0);
    let large = send(
        &host,
        &coop,
        &pool,
        &[("alt", "La vasca")],
        &[("photo", "vasca.png", &big)],
    );
    assert_eq!(large.problem_fields(), ["photo"]);
    assert!(large.body.to_string().contains("64"), "{}", large.body);
    let two = send(
        &host,
        &coop,
        &pool,
        &[("alt", "La vasca")],
        &[("photo", "a.png", PNG), ("photo", "b.png", PNG)],
    );
    assert_eq!(two.problem_fields(), ["photo"]);
    // A file that is no image nor PDF, or an empty one, the kernel refuses before the plugin.
    let text = send(
        &host,
        &coop,
        &pool,
        &[("alt", "La vasca")],
        &[("photo", "vasca.png", b"ciao")],
    );
    assert_eq!(text.status, 415, "{}", text.body);
    assert_eq!(
        send(
            &host,
            &coop,
            &pool,
            &[("alt", "La vasca")],
            &[("photo", "vuota.png", b"")]
        )
        .status,
        415
    );
    assert_eq!(host.file_count(), 0, "nothing refused is kept");

    // On the desk the form comes back with the problem beside the file field, in Italian.
    let page = host.submit_files(
        Some(&coop),
        &format!("/services/{pool}/photos"),
        &[("alt", "La vasca")],
        &[("photo", "orari.pdf", PDF)],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(page.template.as_deref(), Some("desk.html"));
    assert_eq!(page.body["form"]["form"], format!("photo-{pool}"));
    let problem = page.body["form"]["problems"]["photo"]
        .as_str()
        .expect("a problem beside the photo");
    assert!(problem.contains("orari.pdf"), "{problem}");
    assert_eq!(page.body["form"]["values"]["alt"], "La vasca");
    assert!(
        page.body["photo_form"]["hint"]
            .as_str()
            .is_some_and(|hint| hint.contains("64")),
        "{}",
        page.body["photo_form"]
    );

    // Nobody but the provider's account adds one.
    let ugo = host.account("ugo", &["citizen"]);
    assert_eq!(
        send(
            &host,
            &ugo,
            &pool,
            &[("alt", "La vasca")],
            &[("photo", "v.png", PNG)]
        )
        .status,
        403
    );
    assert_eq!(host.file_count(), 0);
}

#[test]
fn anyone_sees_the_photos_of_a_shown_service_until_it_is_hidden() {
    let host = host();
    let (coop, provider, pool) = coop_sole_offering(&host, swimming("8"));
    let vasca = added(
        &host,
        &coop,
        &pool,
        "  La vasca grande\n con le corsie ",
        "IMG_2041 Mario.png",
        PNG,
    );
    let spogliatoio = added(&host, &coop, &pool, "Lo spogliatoio", "s.jpg", JPEG);
    assert_eq!(host.file_count(), 2);
    assert_eq!(
        host.audited(&pool)
            .iter()
            .filter(|a| *a == "service.photo_added")
            .count(),
        2
    );
    // Kept for the provider's record, not as the personal data of the account that sent them.
    assert!(host.files_of(&coop).is_empty());

    // The service's page lists them in order, with their words; search shows the first.
    let page = host
        .get(None, &format!("/api/services/{pool}"))
        .assert_status(200);
    let photos = page.body["service"]["photos"].as_array().expect("photos");
    let alts: Vec<&str> = photos.iter().filter_map(|p| p["alt"].as_str()).collect();
    assert_eq!(alts, ["La vasca grande con le corsie", "Lo spogliatoio"]);
    assert_eq!(photos[0]["src"], vasca.as_str());
    let found = host.get(None, "/api/services?q=nuoto").assert_status(200);
    assert_eq!(ids(&found.body), ["Nuoto"]);
    assert_eq!(
        found.body["services"][0]["photos"][0]["src"],
        vasca.as_str()
    );

    // The image itself, to anyone, with its type, under a name that tells nothing of the
    // sender's files.
    let image = host.get(None, route(&vasca)).assert_status(200);
    let (name, kind, bytes) = image.file.expect("an image");
    assert_eq!((kind.as_str(), bytes.as_slice()), ("image/png", PNG));
    assert!(!name.contains("Mario") && name.ends_with(".png"), "{name}");
    let (_, kind, _) = host
        .get(None, route(&spogliatoio))
        .assert_status(200)
        .file
        .expect("an image");
    assert_eq!(kind, "image/jpeg");
    // Another service's photo is not under this one.
    let other = common::publish(&host, &coop, &provider, swimming("9"));
    let elsewhere = vasca.replace(&pool, &other);
    assert_eq!(host.get(None, route(&elsewhere)).status, 404);

    // A hidden service's photos: the provider and operators still see them, nobody else.
    let moderator = host.account("moderatore", &["operator"]);
    let ugo = host.account("ugo", &["citizen"]);
    host.post(
        Some(&moderator),
        &format!("/api/services/{pool}/visibility"),
        json!({ "hidden": "yes", "reason": "foto da verificare" }),
    )
    .assert_status(201);
    assert_eq!(host.get(None, route(&vasca)).status, 404);
    assert_eq!(host.get(Some(&ugo), route(&vasca)).status, 404);
    host.get(Some(&coop), route(&vasca)).assert_status(200);
    host.get(Some(&moderator), route(&vasca)).assert_status(200);
    // No new photo while hidden; removing one is still possible.
    let refused = send(
        &host,
        &coop,
        &pool,
        &[("alt", "Il bar")],
        &[("photo", "bar.png", PNG)],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    host.post(
        Some(&moderator),
        &format!("/api/services/{pool}/visibility"),
        json!({ "hidden": "no" }),
    )
    .assert_status(201);
    host.get(Some(&ugo), route(&vasca)).assert_status(200);

    // A suspended provider's photos leave with its services.
    suspend(&host, "p1", &coop);
    assert_eq!(host.get(None, route(&vasca)).status, 404);
}

#[test]
fn a_service_shows_at_most_its_photos_and_the_provider_removes_one() {
    let host = host();
    let (coop, _, pool) = coop_sole_offering(&host, swimming("8"));
    let vasca = added(&host, &coop, &pool, "La vasca", "v.png", PNG);
    added(&host, &coop, &pool, "Lo spogliatoio", "s.png", PNG);
    let third = send(
        &host,
        &coop,
        &pool,
        &[("alt", "Il bar")],
        &[("photo", "b.png", PNG)],
    );
    assert_eq!(third.problem_fields(), ["photo"], "{}", third.body);
    assert!(third.body.to_string().contains('2'), "{}", third.body);
    assert_eq!(host.file_count(), 2);

    // Only the provider removes; then the photo and its file are gone, and there is room.
    let photo = vasca.rsplit('/').next().expect("an id").to_owned();
    let remove = format!("/api/services/{pool}/photos/{photo}/remove");
    let ugo = host.account("ugo", &["citizen"]);
    assert_eq!(host.post(Some(&ugo), &remove, json!({})).status, 403);
    host.post(Some(&coop), &remove, json!({}))
        .assert_status(201);
    assert_eq!(host.file_count(), 1);
    assert_eq!(host.get(None, route(&vasca)).status, 404);
    assert_eq!(host.post(Some(&coop), &remove, json!({})).status, 404);
    assert!(
        host.audited(&pool)
            .contains(&"service.photo_removed".to_owned())
    );
    let page = host
        .get(None, &format!("/api/services/{pool}"))
        .assert_status(200);
    assert_eq!(
        page.body["service"]["photos"].as_array().map(Vec::len),
        Some(1)
    );
    added(&host, &coop, &pool, "Il bar", "b.png", PNG);

    // From the desk, a browser is sent back there with a message.
    let page = host.get(None, &format!("/api/services/{pool}"));
    let first = page.body["service"]["photos"][0]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let desk = host.submit(
        Some(&coop),
        &format!("/services/{pool}/photos/{first}/remove"),
        &[],
    );
    assert_eq!(desk.assert_notice("provider"), "Foto rimossa.");
}
