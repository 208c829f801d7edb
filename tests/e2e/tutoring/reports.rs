//! The month's report, its exports and the calendars agree with what happened; the pages and
//! forms work without JavaScript.

use serde_json::Value as Json;

use super::month::Month;
use super::{API, month_of};

/// The report of the month, its exports, the calendars, and the pages and forms.
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
        soon,
        later,
    } = story;

    // The month of tomorrow's lesson: one lesson held by Giulia in the library, one hour,
    // 22,00 €; Anna's Luca attended, Carla's Ugo missed it (and the hour is used).
    let month = month_of(&tomorrow);
    let (status, report) = API
        .get(&operator, &server, &format!("/api/reports?month={month}"))
        .await;
    assert_eq!(status, 200, "{report}");
    let totals = &report["totals"];
    assert_eq!(
        (totals["lessons"].as_u64(), totals["minutes"].as_u64()),
        (Some(1), Some(60)),
        "{report}"
    );
    assert_eq!(
        (totals["present"].as_u64(), totals["absent"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(totals["cost_cents"], 2200);
    let late_here = u64::from(month_of(&soon) == month);
    assert_eq!(totals["late_cancelled"].as_u64(), Some(late_here));
    let tutors = report["tutors"].as_array().expect("tutors");
    assert_eq!(tutors.len(), 1);
    assert_eq!(tutors[0]["name"], "Giulia Neri");
    assert_eq!(
        (
            tutors[0]["lessons"].as_u64(),
            tutors[0]["cost_cents"].as_i64()
        ),
        (Some(1), Some(2200))
    );
    let spaces = report["spaces"].as_array().expect("spaces");
    assert_eq!(
        (spaces[0]["name"].as_str(), spaces[0]["minutes"].as_u64()),
        (Some("Biblioteca civica; sala 2"), Some(60))
    );
    let family = |name: &str| {
        report["families"]
            .as_array()
            .expect("families")
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or(Json::Null)
    };
    let anna_row = family("Anna Rossi");
    assert_eq!(
        (anna_row["lessons"].as_u64(), anna_row["minutes"].as_u64()),
        (Some(1), Some(60)),
        "{report}"
    );
    assert_eq!(
        anna_row["charged_minutes"].as_u64(),
        Some(60 + 60 * late_here)
    );
    let carla_row = family("Carla Bianchi");
    assert_eq!(
        (carla_row["absent"].as_u64(), carla_row["minutes"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(carla_row["charged_minutes"].as_u64(), Some(60));

    // The same figures in the exports.
    let csv = operator
        .http
        .get(server.url(&format!("/p/tutoring/reports/tutors.csv?month={month}")))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    let csv = csv.text().await.expect("csv text");
    // For an Italian spreadsheet: a byte-order mark, `;` between fields, Italian headers and
    // decimal commas.
    assert!(
        csv.starts_with("\u{feff}tipo;id;nome;lezioni;ore;"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("tutor;{giulia_id};Giulia Neri;1;1;1;1;1;1;")),
        "{csv}"
    );
    assert!(csv.contains("\r\ntotale;"), "{csv}");
    assert!(csv.contains(";22,00\r\n"), "{csv}");
    let detail = operator
        .http
        .get(server.url(&format!("/p/tutoring/reports/lessons.csv?month={month}")))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("csv text");
    assert!(
        detail.contains(";Anna Rossi;Luca Rossi;present;1\r\n"),
        "{detail}"
    );
    assert!(
        detail.contains(";Carla Bianchi;<Ugo> Bianchi;absent;1\r\n"),
        "{detail}"
    );
    let (status, _) = API.get(&anna, &server, "/api/reports").await;
    assert_eq!(status, 403, "reports are for operators");

    // Anna's calendar: three events in Rome time, the two cancelled ones marked so.
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
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert_eq!(ics.matches("STATUS:CANCELLED").count(), 2, "{ics}");
    let compact = tomorrow.replace('-', "");
    assert!(
        ics.contains(&format!("DTSTART;TZID=Europe/Rome:{compact}T100000\r\n")),
        "{ics}"
    );
    assert!(
        ics.contains("LOCATION:Biblioteca civica\\; sala 2\\, Via Roma 1\\, Prova\r\n"),
        "{ics}"
    );
    assert!(
        ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Rome\r\n"),
        "{ics}"
    );
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    // Giulia's calendar, from her page; a made-up address is a 404.
    let (_, me) = API.get(&giulia, &server, "/api/tutor").await;
    let feed = me["tutor"]["feed_path"]
        .as_str()
        .expect("tutor feed")
        .to_owned();
    let ics = reqwest::get(server.url(&feed))
        .await
        .expect("feed")
        .text()
        .await
        .expect("ics");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert!(ics.contains("Bambini: Luca R.\\, <Ugo> B."), "{ics}");
    let bogus =
        reqwest::get(server.url("/p/tutoring/feeds/family/00000000000000000000000000000000.ics"))
            .await
            .expect("feed");
    assert_eq!(bogus.status().as_u16(), 404);

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
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
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
