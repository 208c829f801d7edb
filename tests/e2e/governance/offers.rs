//! The services the table may enable, as it reads them: in words, and never a plugin built for tests.

use super::*;

/// The table as its members meet it, with `plugins/` as the registry: real services by title
/// and description, never a test plugin (not offered, and refused when posted anyway), a setting
/// changed through the widget its schema calls for, and the proposal in words.
#[tokio::test(flavor = "multi_thread")]
async fn the_table_offers_services_in_words_and_never_a_test_plugin() {
    build_named_plugins(&["hello", ENABLED_LIVE]);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = table_folder(
        &root.path().join("words"),
        &repo_root().join("plugins"),
        "7d",
        &format!(
            r#"[plugins.{ENABLED_LIVE}]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "log", "clock", "notify"]
"#
        ),
    );
    add_user_in(&dir, "comune");
    crate::support::add_member_for(&dir, "comune", "Comune di Prova");
    let server = Server::start(&[&dir]);
    let comune = login(&server, "comune").await;

    // Services by title and description; test plugins nowhere, in the page or the API.
    let (status, page) = comune.page(&server, "/governance").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Doposcuola — Aiuto compiti in piccoli gruppi"),
        "{page}"
    );
    assert!(
        page.contains("maggioranza semplice") && page.contains("7 giorni"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"valle-serena\">"),
        "themes are chosen, not typed: {page}"
    );
    for test_plugin in ["hello", "rogue", "api-one"] {
        assert!(
            !page.contains(&format!("value=\"{test_plugin}\""))
                && !page.contains(&format!("value=\"{test_plugin}.")),
            "{test_plugin} is offered: {page}"
        );
    }
    let (_, table) = comune.get_json(&server, "/governance").await;
    let names = table["registry"].as_array().cloned().unwrap_or_default();
    assert!(
        names.iter().any(|n| n == ENABLED_LIVE)
            && !names.iter().any(|n| n == "hello" || n == "rogue"),
        "{table}"
    );
    assert_eq!(
        table["offered"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == ENABLED_LIVE))
            .map(|p| p["title"].clone()),
        Some(Json::from("Doposcuola")),
        "{table}"
    );

    // Posted anyway, a test plugin is refused, in the member's language (switching one off
    // stays possible, so an instance where it runs can vote it away).
    for (kind, plugin) in [("enable", "rogue"), ("upgrade", "hello")] {
        let (status, page) = propose(&comune, &server, &[("kind", kind), ("plugin", plugin)])
            .await
            .expect_err("a test plugin is refused");
        assert_eq!(status, 422);
        assert!(page.contains("è un plugin di prova o di esempio"), "{page}");
    }
    // Each refusal is said in the member's language beside the field to fix, with what they
    // chose kept: the version for an upgrade, the service for an enabling, the theme.
    for (fields, field, reason) in [
        (
            &[
                ("kind", "upgrade"),
                ("plugin", ENABLED_LIVE),
                ("version", "1.x"),
            ][..],
            "version",
            "«1.x» non è un numero di versione come 1.2.0",
        ),
        (
            &[
                ("kind", "upgrade"),
                ("plugin", ENABLED_LIVE),
                ("version", "0.1.0"),
            ][..],
            "version",
            "non è più recente di quella in uso",
        ),
        (
            &[("kind", "enable"), ("plugin", ENABLED_LIVE)][..],
            "plugin",
            "«Doposcuola» è già attivo",
        ),
        (
            &[("kind", "theme"), ("theme", "")][..],
            "theme",
            "Scegli il tema",
        ),
    ] {
        let (status, page) = propose(&comune, &server, fields)
            .await
            .expect_err("a wrong field is refused");
        assert_eq!(status, 422, "{page}");
        assert!(
            page.contains(&format!("id=\"{field}-error\" class=\"error\">"))
                && page.contains(reason)
                && (page.contains(&format!("{field}-error\" aria-invalid=\"true\""))
                    || page.contains(&format!(
                        "aria-invalid=\"true\" aria-describedby=\"{field}-error\""
                    ))),
            "{field}: {page}"
        );
        let others = ["kind", "plugin", "version", "theme"]
            .into_iter()
            .filter(|f| *f != field);
        for other in others {
            assert!(
                !page.contains(&format!("id=\"{other}-error\"")),
                "{other} blamed: {page}"
            );
        }
    }

    let token = comune.csrf(&server).await;
    let refused = comune
        .http
        .post(server.url("/governance/proposals?lang=en"))
        .header("accept", "application/json")
        .header("x-csrf-token", token)
        .form(&[
            ("kind", "settings"),
            ("plugin", "hello"),
            ("key", "greeting"),
            ("value", "Hi"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status().as_u16(), 422);
    let body: Json = refused.json().await.expect("JSON");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is a test or example plugin")),
        "{body}"
    );

    // A setting, step by step: chosen with its description, entered through a number field
    // with the schema's bounds, checked on the server naming the setting.
    // (`?lang=it`: the English request above made English this member's choice.)
    let chosen = format!("/governance?lang=it&setting={ENABLED_LIVE}.max_group_size");
    let (status, page) = comune.page(&server, &chosen).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Bambini al massimo per gruppo")
            && page.contains("type=\"number\" min=\"1\" max=\"8\"")
            && page.contains("value=\"3\""),
        "{page}"
    );
    // An address edited by hand to name two settings is refused in the member's words.
    let twice = format!("{chosen}&setting={ENABLED_LIVE}.other");
    let (status, page) = comune.page(&server, &twice).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("L&#x27;indirizzo della pagina non è valido"),
        "{page}"
    );
    let widget = |value: &'static str| {
        [
            ("kind", "settings"),
            ("plugin", ENABLED_LIVE),
            ("key", "max_group_size"),
            ("widget", "1"),
            ("value", value),
        ]
    };
    for (value, reason) in [
        ("12", "il valore massimo è 8"),
        ("0", "il valore minimo è 1"),
        ("tanti", "serve un numero intero"),
    ] {
        let (status, page) = propose(&comune, &server, &widget(value))
            .await
            .expect_err("a value outside the schema is refused");
        assert_eq!(status, 422);
        assert!(
            page.contains("Bambini al massimo per gruppo")
                && page.contains("(max_group_size)")
                && page.contains(reason)
                && page.contains("role=\"alert\"")
                && page.contains("aria-invalid=\"true\""),
            "{value}: {page}"
        );
        assert!(
            page.contains(&format!("value=\"{value}\"")),
            "typed value kept: {page}"
        );
    }
    let (_, listing) = comune.get_json(&server, "/governance").await;
    assert_eq!(
        listing["open"].as_array().map(Vec::len),
        Some(0),
        "nothing was stored: {listing}"
    );
    let number = propose(&comune, &server, &widget("5"))
        .await
        .expect("a value the schema accepts");
    let stored = proposal(&comune, &server, number).await;
    assert_eq!(stored["changes"][0]["value"], 5, "typed: {stored}");
    assert_eq!(stored["changes"][0]["before"], 3, "{stored}");
    assert_eq!(
        stored["title"],
        "Cambiare «Bambini al massimo per gruppo (anche la capienza dello spazio vale come limite)» di «Doposcuola» da 3 a 5",
        "the title is the proposal in the instance's words"
    );

    // A text setting keeps digits as text, and a list is one item a line.
    let number_text = propose(
        &comune,
        &server,
        &[
            ("kind", "settings"),
            ("plugin", ENABLED_LIVE),
            ("key", "subjects"),
            ("widget", "1"),
            ("value", "Italiano\r\nMatematica\r\n\r\nMusica"),
        ],
    )
    .await
    .expect("a list");
    let list = proposal(&comune, &server, number_text).await;
    assert_eq!(
        list["changes"][0]["value"],
        serde_json::json!(["Italiano", "Matematica", "Musica"]),
        "{list}"
    );

    // The proposal in words, the exact diff as its detail, the rules in words.
    let (status, page) = comune
        .page(&server, &format!("/governance/proposals/{number}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(
            "Cambiare «Bambini al massimo per gruppo (anche la capienza dello spazio vale come limite)» di «Doposcuola» da 3 a 5"
        ),
        "{page}"
    );
    assert!(
        page.contains("<details>") && page.contains("+max_group_size = 5"),
        "{page}"
    );
    assert!(
        page.contains("maggioranza semplice") && page.contains("votazione aperta per 7 giorni"),
        "{page}"
    );
    let (_, page) = comune
        .page(&server, &format!("/governance/proposals/{number}?lang=en"))
        .await;
    assert!(
        page.contains("Change «Most children in one group (the space&#x27;s capacity is a limit too)» of «Homework support» from 3 to 5")
            && page.contains("simple majority")
            && page.contains("7 days"),
        "{page}"
    );
    server.kill();
}
