//! "Download my data" and erasure (`/api/personal-data`, called by the kernel as the person):
//! a family's export holds its children, bookings and hours and nobody else's; an erasure
//! cancels what is still ahead, deletes what took no hour, keeps the funded hours of the month's
//! report without names, and a second one does nothing. A tutor's record is kept the same way,
//! once no lesson is left to teach.

use crate::common;

use common::{LATER, a_month_of_lessons, id, open, used_minutes};
use serde_json::{Value as Json, json};

/// The route an erasure calls, for the one this plugin refuses.
const DATA: &str = "/api/personal-data";

#[test]
fn a_family_and_a_tutor_download_their_records_and_an_erasure_keeps_the_hours_without_names() {
    let month = a_month_of_lessons();
    month.cancelled_and_held();
    let host = &month.host;
    let resources = (month.giulia_id.as_str(), month.library.as_str());
    // One more lesson for Luca, in six days: not held yet.
    open(host, &month.anna, &month.luca, resources, LATER, "15:00").assert_status(201);
    assert_eq!(used_minutes(host, &month.anna), 180);
    let family = host.get(Some(&month.anna), "/api/family");
    let feed = family.body["family"]["feed_path"]
        .as_str()
        .expect("feed")
        .trim_start_matches("/p/tutoring")
        .to_owned();
    assert_eq!(host.get(None, &feed).status, 200);

    // Anna's download: her family, Luca, his four bookings; nothing of Carla's family.
    let export = host.personal_data(&month.anna);
    assert_eq!(export["families"][0]["name"], "anna rossi");
    assert_eq!(export["children"][0]["first_name"], "Luca");
    assert_eq!(
        export["bookings"].as_array().map(Vec::len),
        Some(4),
        "{export}"
    );
    assert_eq!(export["tutors"], json!([]));
    let text = export.to_string();
    assert!(
        !text.contains("Bianchi") && !text.contains(&month.ugo),
        "{text}"
    );
    // Giulia's: her tutor's record and the lessons she teaches, no family.
    let giulia = host.personal_data(&month.giulia);
    assert_eq!(giulia["tutors"][0]["name"], "Giulia Neri");
    assert_eq!(giulia["families"], json!([]));
    assert!(
        giulia["lessons_taught"]
            .as_array()
            .is_some_and(|l| l.len() >= 2),
        "{giulia}"
    );

    // Anna is erased: the lesson ahead is cancelled in time (the hour goes back) and deleted
    // with the booking cancelled earlier; the held and late-cancelled bookings stay without her
    // username; Luca and the family stay without names.
    host.erase_expecting(
        &month.anna,
        6,
        &[
            "prenotazioni di lezioni tenute, perse o disdette in ritardo",
            "scheda della famiglia e monte ore",
        ],
    );
    // The month's report: the same hours, lessons and absences, under no name.
    let report = host
        .get(Some(&month.operator), "/api/reports?month=2026-03")
        .body;
    let family_row = |name: &str| {
        report["families"]
            .as_array()
            .and_then(|list| list.iter().find(|f| f["name"] == name).cloned())
            .unwrap_or(Json::Null)
    };
    assert_eq!(family_row("anna rossi"), Json::Null, "{report}");
    let anonymous = family_row("cancellato");
    assert_eq!(anonymous["charged_minutes"].as_u64(), Some(120), "{report}");
    assert_eq!(anonymous["lessons"].as_u64(), Some(1), "{report}");
    assert_eq!(family_row("carla bianchi")["absent"].as_u64(), Some(1));
    assert_eq!(report["totals"]["late_cancelled"].as_u64(), Some(1));
    assert_eq!(report["totals"]["cost_cents"], 2200);
    // The old calendar address leads nowhere; nothing is left linked to Anna.
    assert_eq!(host.get(None, &feed).status, 404);
    host.assert_forgotten(&month.anna, &["families", "bookings"]);
    // Carla's family is untouched.
    let carla = host.get(Some(&month.carla), "/api/family");
    assert!(carla.body.to_string().contains("<Ugo>"), "{}", carla.body);

    // Giulia has a lesson ahead with Ugo: her erasure waits until it is reassigned or gone.
    let ugo_ahead =
        open(host, &month.carla, &month.ugo, resources, LATER, "11:00").assert_status(201);
    let refused = host.delete(Some(&month.giulia), DATA).assert_status(409);
    assert!(refused.message().contains(LATER), "{}", refused.body);
    host.post(
        Some(&month.carla),
        &format!("/api/bookings/{}/cancel", id(&ugo_ahead)),
        json!({}),
    )
    .assert_status(200);
    let erased = host.erase(&month.giulia);
    // Her record, and the register she took.
    assert_eq!(erased.erased, 2, "{}", erased.body);
    let report = host
        .get(Some(&month.operator), "/api/reports?month=2026-03")
        .body;
    assert_eq!(report["tutors"][0]["name"], "cancellato", "{report}");
    assert_eq!(report["tutors"][0]["cost_cents"], 2200, "{report}");
    assert_eq!(host.erase(&month.giulia).erased, 0);
}
