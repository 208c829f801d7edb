//! Fifty families race for the last place in a group, and one gets it.

use serde_json::{Value as Json, json};

use super::{API, join, manifest, open, space, tutor};
use crate::support::{PgDatabase, Server, TestInstance, add_user, id, login, message, today_plus};

/// Fifty families booking the last place of a group at the same moment: one gets it, the other
/// forty-nine are told the group is full, and none of them loses an hour.
pub(super) async fn race_for_the_last_place(instance: TestInstance) {
    add_user(&instance, "operatrice", "operator");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let library = space(&operator, &server, "Biblioteca civica", 6).await;
    let (giulia, _) = tutor(
        &operator,
        &server,
        "Giulia Neri",
        &["Matematica"],
        &["Primaria"],
    )
    .await;

    // Families registered at the desk, one child each; the operator books for them.
    let mut children = Vec::new();
    let mut families = Vec::new();
    for n in 0..52 {
        let (status, family) = API
            .post(
                &operator,
                &server,
                "/api/families",
                json!({"name": format!("Famiglia {n:02}"), "phone": "0612345678"}),
            )
            .await;
        assert_eq!(status, 201, "{family}");
        let family = id(&family);
        let (status, child) = API.post(
            &operator,
            &server,
            &format!("/api/families/{family}/children"),
            json!({"first_name": format!("Bimbo {n:02}"), "last_name": "Prova", "level": "Primaria", "subjects": ["Matematica"]}),
        )
        .await;
        assert_eq!(status, 201, "{child}");
        children.push(id(&child));
        families.push(family);
    }
    let date = today_plus(1);
    let (status, first) = open(
        &operator,
        &server,
        &children[0],
        (&giulia, &library),
        &date,
        "15:00",
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let lesson = first["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, _) = join(&operator, &server, &children[1], &lesson).await;
    assert_eq!(status, 201);

    let token = operator.csrf(&server).await;
    let url = server.url("/p/tutoring/api/bookings");
    let mut tasks = Vec::new();
    for child in &children[2..] {
        let request = operator
            .http
            .post(&url)
            .header("x-csrf-token", &token)
            .json(&json!({"child": child, "lesson": lesson}));
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.expect("booking");
            let status = response.status().as_u16();
            (status, response.json::<Json>().await.unwrap_or(Json::Null))
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let won = results.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(won, 1, "{results:?}");
    for (status, answer) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{answer}");
        assert!(
            message(answer).contains("il gruppo è al completo: 3 posti su 3"),
            "{answer}"
        );
    }

    let (_, view) = API
        .get(&operator, &server, &format!("/api/lessons/{lesson}"))
        .await;
    assert_eq!(view["taken"], 3, "{view}");
    assert_eq!(view["children"].as_array().map(Vec::len), Some(3));
    // One hour used by each of the three families seated, none by the others.
    let mut charged = 0;
    for family in &families[2..] {
        let (_, data) = API
            .get(&operator, &server, &format!("/api/families/{family}"))
            .await;
        let used: u64 = data["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .map(|p| p["used_minutes"].as_u64().expect("minutes"))
            .sum();
        charged += used;
    }
    assert_eq!(charged, 60, "only the winner's family used an hour");
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_families_race_for_the_last_place_and_one_gets_it() {
    race_for_the_last_place(TestInstance::new("tutoring-race", &manifest(""))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_families_race_for_the_last_place_on_postgres_and_one_gets_it() {
    let db = PgDatabase::create().await;
    let body = format!("[database]\nurl = \"{}\"\n{}", db.url, manifest(""));
    race_for_the_last_place(TestInstance::new("tutoring-race-pg", &body)).await;
}
