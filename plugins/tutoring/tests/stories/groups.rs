//! Groups fill to three; tutors, rooms and children cannot be booked twice; funded hours run
//! out (moved from `tests/e2e/tutoring/groups.rs`), natively against the kernel's store and
//! accounts (`trama-testhost`).

use crate::common;

use common::{child, host, join, open, space, tutor, used_minutes};
use serde_json::json;

/// Tuesday to Thursday of the story's week, all in March.
const D1: &str = "2026-03-03";
const D2: &str = "2026-03-04";
const D3: &str = "2026-03-05";

#[test]
fn only_operators_register_spaces_and_tutors_and_every_broken_field_is_named() {
    let host = host(json!({}));
    let operator = host.account("operatrice", &["operator"]);
    let anna = host.account("anna", &["citizen"]);

    assert_eq!(host.post(Some(&anna), "/api/spaces", json!({})).status, 403);
    let refused = host.post(
        Some(&operator),
        "/api/tutors",
        json!({"name": "G", "subjects": ["Latino"], "levels": [], "availability": ["lun 15:10-18:00"]}),
    ).assert_status(422);
    let fields = refused.problem_fields();
    assert_eq!(fields, vec!["name", "subjects", "levels", "availability"]);
}

#[test]
fn a_tutor_claims_the_code_the_operator_was_given_and_only_a_tutor_does() {
    let host = host(json!({}));
    let operator = host.account("operatrice", &["operator"]);
    let giulia = host.account("giulia", &["tutor"]);
    let anna = host.account("anna", &["citizen"]);
    let (_, code) = tutor(
        &host,
        &operator,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    );

    let linked = host.post(
        Some(&giulia),
        "/api/tutor/claim",
        json!({"code": code.to_lowercase()}),
    );
    assert_eq!(
        (linked.status, &linked.body["linked"]),
        (200, &json!(true)),
        "{}",
        linked.body
    );
    let refused = host.post(Some(&anna), "/api/tutor/claim", json!({"code": code}));
    assert_eq!(refused.status, 403, "only tutors claim");
}

#[test]
fn a_group_fills_to_three_and_double_bookings_and_spent_hours_are_refused() {
    let host = host(json!({"allowance_hours_per_child": 2}));
    let operator = host.account("operatrice", &["operator"]);
    let library = space(&host, &operator, "Biblioteca civica, sala studio", 6);
    let hall = space(&host, &operator, "Sala di quartiere", 4);
    let (giulia_id, _) = tutor(
        &host,
        &operator,
        "Giulia Neri",
        &["Matematica", "Italiano"],
        &["Primaria"],
    );
    let (marco_id, _) = tutor(
        &host,
        &operator,
        "Marco Bassi",
        &["Matematica"],
        &["Primaria", "Secondaria di primo grado"],
    );

    // Anna with two children in primary school and one in middle school; Bruno, Carla and
    // Dario with one each. (A family is named after its account.)
    let anna = host.account("anna.rossi", &["citizen"]);
    let luca = child(&host, &anna, "Luca", "Rossi", "Primaria");
    let marta = child(&host, &anna, "Marta", "Rossi", "Primaria");
    let pietro = child(&host, &anna, "Pietro", "Rossi", "Secondaria di primo grado");
    let bruno = host.account("bruno.verdi", &["citizen"]);
    let sara = child(&host, &bruno, "Sara", "Verdi", "Primaria");
    let carla = host.account("carla.bianchi", &["citizen"]);
    let ugo = child(&host, &carla, "Ugo", "Bianchi", "Primaria");
    let dario = host.account("dario.neri", &["citizen"]);
    let ada = child(&host, &dario, "Ada", "Neri", "Primaria");

    // Anna opens a group with Giulia in the library; Marta joins it.
    let first = open(&host, &anna, &luca, (&giulia_id, &library), D1, "10:00").assert_status(201);
    assert_eq!(first.body["opened_group"], true);
    assert_eq!(first.body["start"], "10:00");
    assert_eq!(first.body["end"], "11:00");
    let lesson = first.body["lesson_id"].as_str().expect("lesson").to_owned();
    let second = join(&host, &anna, &marta, &lesson);
    assert_eq!(
        (second.status, second.body["seats_taken"].as_u64()),
        (201, Some(2)),
        "{}",
        second.body
    );

    // A middle-school child cannot join a primary-school group.
    let refused = join(&host, &anna, &pietro, &lesson).assert_status(422);
    assert!(
        refused.message().contains("livello «Primaria»"),
        "{}",
        refused.body
    );

    // Nobody books someone else's child.
    assert_eq!(join(&host, &bruno, &ugo, &lesson).status, 404);

    // Bruno's Sara takes the third place; Carla's Ugo is refused, and told why.
    let third = join(&host, &bruno, &sara, &lesson);
    assert_eq!(
        (third.status, third.body["seats_taken"].as_u64()),
        (201, Some(3)),
        "{}",
        third.body
    );
    let fourth = join(&host, &carla, &ugo, &lesson).assert_status(409);
    assert!(
        fourth
            .message()
            .contains("il gruppo è al completo: 3 posti su 3 già occupati"),
        "{}",
        fourth.body
    );
    // The same refusal from the booking form, for people.
    let page = host
        .submit(
            Some(&carla),
            "/bookings",
            &[("child", &ugo), ("lesson", &lesson)],
        )
        .assert_status(409);
    assert!(
        page.body.to_string().contains("il gruppo è al completo"),
        "{}",
        page.body
    );
    // And the full group is no longer offered, nor Giulia at 10:00.
    let slots = host
        .get(
            Some(&carla),
            &format!("/api/slots?child={ugo}&subject=Matematica&from={D1}&days=1"),
        )
        .assert_status(200);
    assert!(
        slots.body["groups"].as_array().expect("groups").is_empty(),
        "{}",
        slots.body
    );
    let giulia_at_ten = slots.body["openings"]
        .as_array()
        .expect("openings")
        .iter()
        .any(|o| o["tutor_id"] == json!(giulia_id) && o["start"] == "10:00");
    assert!(!giulia_at_ten, "Giulia is busy at 10:00: {}", slots.body);

    // Giulia cannot be booked twice at the same time, nor for an overlapping hour, in any room.
    for start in ["10:00", "10:30"] {
        let refused = open(&host, &dario, &ada, (&giulia_id, &hall), D1, start);
        assert_eq!(refused.status, 409, "{start}: {}", refused.body);
        assert!(
            refused
                .message()
                .contains("il tutor Giulia Neri è già impegnato"),
            "{}",
            refused.body
        );
    }
    // The library room cannot hold two groups at once.
    let refused = open(&host, &dario, &ada, (&marco_id, &library), D1, "10:00").assert_status(409);
    assert!(
        refused
            .message()
            .contains("lo spazio «Biblioteca civica, sala studio» è già occupato"),
        "{}",
        refused.body
    );
    // Another tutor in another room is fine, and so is Giulia right after her lesson.
    open(&host, &dario, &ada, (&marco_id, &hall), D1, "10:00").assert_status(201);
    open(&host, &carla, &ugo, (&giulia_id, &library), D1, "11:00").assert_status(201);
    // Ada cannot be in two lessons at once either.
    open(&host, &dario, &ada, (&giulia_id, &library), D1, "12:00").assert_status(201);
    let refused = open(&host, &dario, &ada, (&marco_id, &hall), D1, "12:15").assert_status(409);
    assert!(
        refused.message().contains("Ada ha già una lezione"),
        "{}",
        refused.body
    );

    // Bruno has 2 funded hours for one child: Sara's first lesson used one, a second uses the
    // other, and a third is refused with the figures.
    let second = open(&host, &bruno, &sara, (&marco_id, &hall), D2, "16:00").assert_status(201);
    assert_eq!(second.body["remaining_minutes"], 0, "{}", second.body);
    let refused = open(&host, &bruno, &sara, (&marco_id, &hall), D3, "16:00").assert_status(409);
    assert!(
        refused
            .message()
            .contains("ore finanziate esaurite: la famiglia bruno verdi ha usato 2 ore su 2"),
        "{}",
        refused.body
    );
    // Nothing of the refused booking was written: no lesson, no hour.
    assert_eq!(used_minutes(&host, &bruno), 120);
    let lessons = host.get(Some(&operator), &format!("/api/lessons?from={D3}&to={D3}"));
    assert_eq!(
        lessons.body,
        json!([]),
        "the refused booking opened no lesson"
    );

    // The operator gives Bruno two more hours for that month; now the booking goes through.
    let families = host.get(Some(&operator), "/api/families");
    let bruno_family = families
        .body
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["name"] == "bruno verdi")
        .and_then(|f| f["id"].as_str())
        .expect("Bruno's family")
        .to_owned();
    let set = host
        .post(
            Some(&operator),
            &format!("/api/families/{bruno_family}/allowance"),
            json!({"period": "2026-03", "hours": "4", "note": "due ore in più per le verifiche"}),
        )
        .assert_status(200);
    assert_eq!(
        (
            set.body["granted_minutes"].as_u64(),
            set.body["remaining_minutes"].as_u64()
        ),
        (Some(240), Some(120))
    );
    open(&host, &bruno, &sara, (&marco_id, &hall), D3, "16:00").assert_status(201);
}
