//! The month's exports and calendars are served over HTTP as files, and its pages and forms
//! work without JavaScript. What the report, the exports and the calendars contain is the
//! plugin's own test (`plugins/tutoring/tests/reports.rs`).

use super::API;
use super::month::Month;
use super::month_of;

/// The exports and calendars over HTTP, the pages and the forms.
pub(super) async fn reports_calendars_and_pages(story: Month) {
    let Month {
        instance: _instance,
        server,
        operator,
        giulia,
        giulia_id,
        anna,
        luca,
        library,
        lesson,
        tomorrow,
        later,
    } = story;
    let month = month_of(&tomorrow);

    // The export downloads as a CSV file for a spreadsheet.
    let csv = operator
        .http
        .get(server.url(&format!("/p/tutoring/reports/tutors.csv?month={month}")))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .is_ok_and(|kind| kind.starts_with("text/csv")),
        "{:?}",
        csv.headers()
    );
    let csv = csv.text().await.expect("csv text");
    assert!(csv.contains(";22,00\r\n"), "{csv}");

    // Anna's calendar is served, without logging in, as a calendar a phone subscribes to.
    let (_, family) = API.get(&anna, &server, "/api/family").await;
    let feed = family["family"]["feed_path"]
        .as_str()
        .expect("feed")
        .to_owned();
    let response = reqwest::get(server.url(&feed)).await.expect("feed");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().ok(),
        Some("text/calendar; charset=utf-8")
    );
    let ics = response.text().await.expect("ics");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");

    // The pages render, escape what families typed, and work without JavaScript.
    for (client, path, expected) in [
        (&anna, "/p/tutoring/".to_owned(), "Luca Rossi"),
        (&anna, "/p/tutoring/family".to_owned(), "Disdetta tardiva"),
        (
            &anna,
            format!("/p/tutoring/book?child={luca}&subject=Matematica&from={later}&days=2"),
            "Apri un nuovo gruppo",
        ),
        (&giulia, "/p/tutoring/tutor".to_owned(), "Giulia Neri"),
        (
            &giulia,
            format!("/p/tutoring/lessons/{lesson}"),
            "&lt;Ugo&gt; B.",
        ),
        (
            &operator,
            format!("/p/tutoring/lessons/{lesson}"),
            "&lt;Ugo&gt; Bianchi",
        ),
        (
            &operator,
            format!("/p/tutoring/reports?month={month}"),
            "22,00",
        ),
        (
            &operator,
            "/p/tutoring/families".to_owned(),
            "Carla Bianchi",
        ),
        (&operator, "/p/tutoring/tutors".to_owned(), "Giulia Neri"),
        (
            &operator,
            "/p/tutoring/spaces".to_owned(),
            "Biblioteca civica; sala 2",
        ),
        (
            &operator,
            format!("/p/tutoring/lessons?from={tomorrow}&to={later}"),
            "Giulia Neri",
        ),
        (
            &giulia,
            format!("/p/tutoring/lessons/{lesson}"),
            "Correggi il registro",
        ),
        (&anna, format!("/p/tutoring/lessons/{lesson}"), "Luca Rossi"),
        (
            &anna,
            format!("/p/tutoring/children/{luca}"),
            "Ancora iscritto",
        ),
        (
            &operator,
            format!("/p/tutoring/tutors/{giulia_id}"),
            "lun 08:00-20:00",
        ),
        (
            &operator,
            format!("/p/tutoring/spaces/{library}"),
            "Via Roma 1, Prova",
        ),
    ] {
        let (status, html) = client.page(&server, &path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(html.contains(expected), "{path} lacks {expected}: {html}");
        assert!(!html.contains("<Ugo>"), "{path} does not escape: {html}");
    }
    // A family sees only its own children in a lesson.
    let (_, html) = anna
        .page(&server, &format!("/p/tutoring/lessons/{lesson}"))
        .await;
    assert!(!html.contains("Ugo"), "{html}");

    // Forms: a mistake shows the page again with the fields to fix and what was typed.
    let response = anna
        .post_form(
            &server,
            "/p/tutoring/family/children",
            &[("first_name", "Marta")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("Controlla i campi"), "{html}");
    assert!(html.contains("value=\"Marta\""), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/spaces",
            &[
                ("name", "Sala"),
                ("address", "Via Po 2"),
                ("capacity", "0"),
                ("opening", "lun 9-12"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("un numero intero da 1 a 50"), "{html}");
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/tutors",
            &[
                ("name", "Marco Bassi"),
                ("subjects", "Matematica"),
                ("levels", "Primaria"),
                ("availability", "lun 15:10-18"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let html = response.text().await.expect("page");
    assert!(html.contains("non cade su un quarto d&#x27;ora"), "{html}");
    // A family registered at the desk, by form.
    let response = operator
        .post_form(
            &server,
            "/p/tutoring/families",
            &[("name", "Famiglia Esposito"), ("phone", "06 1234567")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = crate::support::location(&response);
    assert!(location.starts_with("/p/tutoring/families/"), "{location}");
    let (status, html) = operator.page(&server, &location).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Famiglia Esposito") && html.contains("senza account"),
        "{html}"
    );
    // Booking and cancelling through the pages.
    let response = anna
        .post_form(
            &server,
            "/p/tutoring/bookings",
            &[
                ("child", &luca),
                ("subject", "Matematica"),
                ("tutor", &giulia_id),
                ("space", &library),
                ("date", &later),
                ("start", "15:00"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/p/tutoring/family");
    let (_, family) = API.get(&anna, &server, "/api/family").await;
    let booking = family["upcoming"][0]["id"]
        .as_str()
        .expect("booking")
        .to_owned();
    let response = anna
        .post_form(
            &server,
            &format!("/p/tutoring/bookings/{booking}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = anna
        .post_form(
            &server,
            &format!("/p/tutoring/bookings/{booking}/cancel"),
            &[],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("non si può più disdire")
    );
}
