//! Groups fill to three; tutors, rooms and children cannot be booked twice; funded hours run out.

use serde_json::json;

use super::{API, base_day, child, join, manifest, month_of, open, space, tutor};
use crate::support::{Server, TestInstance, add_user, login, message, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn a_group_fills_to_three_and_double_bookings_and_spent_hours_are_refused() {
    let instance = TestInstance::new("tutoring", &manifest("allowance_hours_per_child = 2"));
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "giulia", "tutor");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;

    // Only operators register spaces and tutors; every broken field is named.
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let (status, _) = API.post(&anna, &server, "/api/spaces", json!({})).await;
    assert_eq!(status, 403);
    let (status, refused) = API.post(
        &operator,
        &server,
        "/api/tutors",
        json!({"name": "G", "subjects": ["Latino"], "levels": [], "availability": ["lun 15:10-18:00"]}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let fields: Vec<&str> = refused["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, vec!["name", "subjects", "levels", "availability"]);

    let library = space(&operator, &server, "Biblioteca civica, sala studio", 6).await;
    let hall = space(&operator, &server, "Sala di quartiere", 4).await;
    let (giulia_id, code) = tutor(
        &operator,
        &server,
        "Giulia Neri",
        &["Matematica", "Italiano"],
        &["Primaria"],
    )
    .await;
    let (marco_id, _) = tutor(
        &operator,
        &server,
        "Marco Bassi",
        &["Matematica"],
        &["Primaria", "Secondaria di primo grado"],
    )
    .await;
    let giulia = login(&server, "giulia").await;
    let (status, linked) = API
        .post(
            &giulia,
            &server,
            "/api/tutor/claim",
            json!({"code": code.to_lowercase()}),
        )
        .await;
    assert_eq!((status, &linked["linked"]), (200, &json!(true)), "{linked}");
    // A code works once.
    let (status, _) = API
        .post(&anna, &server, "/api/tutor/claim", json!({"code": code}))
        .await;
    assert_eq!(status, 403, "only tutors claim");

    // Two families: Anna with two children in primary school and one in middle school, Bruno
    // with one. Carla and Dario come later.
    let luca = child(&anna, &server, "Luca", "Rossi", "Primaria").await;
    let marta = child(&anna, &server, "Marta", "Rossi", "Primaria").await;
    let pietro = child(
        &anna,
        &server,
        "Pietro",
        "Rossi",
        "Secondaria di primo grado",
    )
    .await;
    let bruno = sign_up(&server, "bruno", "Bruno Verdi").await;
    let sara = child(&bruno, &server, "Sara", "Verdi", "Primaria").await;
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let ugo = child(&carla, &server, "Ugo", "Bianchi", "Primaria").await;
    let dario = sign_up(&server, "dario", "Dario Neri").await;
    let ada = child(&dario, &server, "Ada", "Neri", "Primaria").await;

    let base = base_day();
    let d1 = today_plus(base);

    // Anna opens a group with Giulia in the library; Marta joins it.
    let (status, first) = open(&anna, &server, &luca, (&giulia_id, &library), &d1, "10:00").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["opened_group"], true);
    assert_eq!(first["start"], "10:00");
    assert_eq!(first["end"], "11:00");
    let lesson = first["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, second) = join(&anna, &server, &marta, &lesson).await;
    assert_eq!(
        (status, second["seats_taken"].as_u64()),
        (201, Some(2)),
        "{second}"
    );

    // A middle-school child cannot join a primary-school group.
    let (status, refused) = join(&anna, &server, &pietro, &lesson).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        message(&refused).contains("livello «Primaria»"),
        "{refused}"
    );

    // Nobody books someone else's child.
    let (status, _) = join(&bruno, &server, &ugo, &lesson).await;
    assert_eq!(status, 404);

    // Bruno's Sara takes the third place; Carla's Ugo is refused, and told why.
    let (status, third) = join(&bruno, &server, &sara, &lesson).await;
    assert_eq!(
        (status, third["seats_taken"].as_u64()),
        (201, Some(3)),
        "{third}"
    );
    let (status, fourth) = join(&carla, &server, &ugo, &lesson).await;
    assert_eq!(status, 409, "{fourth}");
    assert!(
        message(&fourth).contains("il gruppo è al completo: 3 posti su 3 già occupati"),
        "{fourth}"
    );
    // The same refusal on the booking page, for people.
    let page = carla
        .post_form(
            &server,
            "/p/tutoring/bookings",
            &[("child", &ugo), ("lesson", &lesson)],
        )
        .await;
    assert_eq!(page.status().as_u16(), 409);
    let html = page.text().await.expect("page");
    assert!(html.contains("il gruppo è al completo"), "{html}");
    // And the full group is no longer offered.
    let (status, slots) = API
        .get(
            &carla,
            &server,
            &format!("/api/slots?child={ugo}&subject=Matematica&from={d1}&days=1"),
        )
        .await;
    assert_eq!(status, 200, "{slots}");
    assert!(
        slots["groups"].as_array().expect("groups").is_empty(),
        "{slots}"
    );
    let giulia_at_ten = slots["openings"]
        .as_array()
        .expect("openings")
        .iter()
        .any(|o| o["tutor_id"] == json!(giulia_id) && o["start"] == "10:00");
    assert!(!giulia_at_ten, "Giulia is busy at 10:00: {slots}");

    // Giulia cannot be booked twice at the same time, nor for an overlapping hour, in any room.
    for start in ["10:00", "10:30"] {
        let (status, refused) = open(&dario, &server, &ada, (&giulia_id, &hall), &d1, start).await;
        assert_eq!(status, 409, "{start}: {refused}");
        assert!(
            message(&refused).contains("il tutor Giulia Neri è già impegnato"),
            "{refused}"
        );
    }
    // The library room cannot hold two groups at once.
    let (status, refused) = open(&dario, &server, &ada, (&marco_id, &library), &d1, "10:00").await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        message(&refused).contains("lo spazio «Biblioteca civica, sala studio» è già occupato"),
        "{refused}"
    );
    // Another tutor in another room is fine, and so is Giulia right after her lesson.
    let (status, ok) = open(&dario, &server, &ada, (&marco_id, &hall), &d1, "10:00").await;
    assert_eq!(status, 201, "{ok}");
    let (status, ok) = open(&carla, &server, &ugo, (&giulia_id, &library), &d1, "11:00").await;
    assert_eq!(status, 201, "{ok}");
    // Ada cannot be in two lessons at once either.
    let (status, ok) = open(&dario, &server, &ada, (&giulia_id, &library), &d1, "12:00").await;
    assert_eq!(status, 201, "{ok}");
    let (status, refused) = open(&dario, &server, &ada, (&marco_id, &hall), &d1, "12:15").await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        message(&refused).contains("Ada ha già una lezione"),
        "{refused}"
    );

    // Bruno has 2 funded hours for one child: Sara's first lesson used one, a second uses the
    // other, and a third is refused with the figures.
    let (status, second) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &today_plus(base + 1),
        "16:00",
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["remaining_minutes"], 0, "{second}");
    let (status, refused) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &today_plus(base + 2),
        "16:00",
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let text = message(&refused);
    assert!(
        text.contains("ore finanziate esaurite: la famiglia Bruno Verdi ha usato 2 ore su 2"),
        "{refused}"
    );
    // Nothing of the refused booking was written: no lesson, no hour.
    let (_, family) = API.get(&bruno, &server, "/api/family").await;
    let used: u64 = family["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["used_minutes"].as_u64().expect("minutes"))
        .sum();
    assert_eq!(used, 120, "{family}");
    let (_, lessons) = API
        .get(
            &operator,
            &server,
            &format!(
                "/api/lessons?from={}&to={}",
                today_plus(base + 2),
                today_plus(base + 2)
            ),
        )
        .await;
    assert_eq!(lessons, json!([]), "the refused booking opened no lesson");

    // The operator gives Bruno two more hours for that month; now the booking goes through.
    let (_, families) = API.get(&operator, &server, "/api/families").await;
    let bruno_family = families
        .as_array()
        .expect("families")
        .iter()
        .find(|f| f["name"] == "Bruno Verdi")
        .and_then(|f| f["id"].as_str())
        .expect("Bruno's family")
        .to_owned();
    let (status, set) = API.post(
        &operator,
        &server,
        &format!("/api/families/{bruno_family}/allowance"),
        json!({"period": month_of(&today_plus(base)), "hours": "4", "note": "due ore in più per le verifiche"}),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (
            set["granted_minutes"].as_u64(),
            set["remaining_minutes"].as_u64()
        ),
        (Some(240), Some(120))
    );
    let (status, third) = open(
        &bruno,
        &server,
        &sara,
        (&marco_id, &hall),
        &today_plus(base + 2),
        "16:00",
    )
    .await;
    assert_eq!(status, 201, "{third}");
}
