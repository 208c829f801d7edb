//! A questionnaire after a lesson, as wiring on a real server: the register taken by the tutor
//! reaches the surveys plugin through the typed event, the family present (not the absent one)
//! finds the link in their inbox, anyone holding the link answers it once in a browser form
//! without logging in, and the operator sees the answer counted. The rules — spacing, expiry,
//! suppression, what is stored — are the plugin's own tests (`plugins/surveys/tests`).

use serde_json::json;

use super::{API, child, giulia_teaches, join, manifest, open, space};
use crate::support::{
    Client, Server, TestInstance, add_user, login, notification, sign_up, today_plus,
};

const SURVEYS: &str = r#"
[plugins.surveys]
version = "^1.0"
capabilities = ["store", "settings", "events", "notify", "clock", "log", "identity", "audit"]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_family_present_at_a_lesson_answers_a_questionnaire_once_without_logging_in() {
    let settings = "attendance_opens_minutes_before = 2880\n";
    let instance = TestInstance::new(
        "tutoring-surveys",
        &format!("{}{SURVEYS}", manifest(settings)),
    );
    add_user(&instance, "operatrice", "operator");
    add_user(&instance, "giulia", "tutor");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "operatrice").await;
    let library = space(&operator, &server, "Biblioteca civica", 4).await;
    let (giulia_id, giulia) = giulia_teaches(&operator, &server).await;
    let anna = sign_up(&server, "anna", "Anna Rossi").await;
    let luca = child(&anna, &server, "Luca", "Rossi", "Primaria").await;
    let carla = sign_up(&server, "carla", "Carla Bianchi").await;
    let ugo = child(&carla, &server, "Ugo", "Bianchi", "Primaria").await;
    let (status, booked) = open(
        &anna,
        &server,
        &luca,
        (&giulia_id, &library),
        &today_plus(1),
        "10:00",
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let lesson = booked["lesson_id"].as_str().expect("lesson").to_owned();
    let (status, _) = join(&carla, &server, &ugo, &lesson).await;
    assert_eq!(status, 201);

    // Luca came, Ugo did not.
    let (status, held) = API
        .post(
            &giulia,
            &server,
            &format!("/api/lessons/{lesson}/attendance"),
            json!({"present": [luca]}),
        )
        .await;
    assert_eq!(status, 200, "{held}");

    // The event is delivered by the kernel's dispatcher: wait for Anna's message.
    let mut link = None;
    for _ in 0..100 {
        let (_, inbox) = anna.get_json(&server, "/notifications").await;
        if inbox.to_string().contains("Com'è andato") {
            let message = notification(&anna, &server, "Com'è andato").await;
            link = message["link"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let link = link.expect("Anna received the questionnaire with its link");
    assert!(link.starts_with("/p/surveys/answer/"), "{link}");
    let (_, carla_inbox) = carla.get_json(&server, "/notifications").await;
    assert!(
        !carla_inbox.to_string().contains("Com'è andato"),
        "{carla_inbox}"
    );

    // Whoever holds the link answers, in a browser, without an account.
    let stranger = Client::new();
    let (status, page) = stranger.page(&server, &link).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Quanto è soddisfatto del servizio?"),
        "{page}"
    );
    assert!(page.contains(r#"<label for="a-score-5""#), "{page}");
    let fields = [
        ("score", "5"),
        ("need_met", "yes"),
        ("recommend", "yes"),
        ("comment", "<b>Bravissima</b>"),
    ];
    let sent = stranger.post_form(&server, &link, &fields).await;
    assert_eq!(sent.status().as_u16(), 303, "a redirect after the answer");
    let again = stranger.post_form(&server, &link, &fields).await;
    assert_eq!(again.status().as_u16(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("già stata data una risposta")
    );

    // The operator sees one answer out of one questionnaire sent (counts under 5 suppressed).
    let (status, rows) = operator.get_json(&server, "/p/surveys/api/results").await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows[0]["invited"], 1, "{rows}");
    assert_eq!(rows[0]["answered"], "< 5", "{rows}");
    let (status, page) = operator.page(&server, "/p/surveys/results").await;
    assert_eq!(status, 200);
    assert!(page.contains("doposcuola"), "{page}");
}
