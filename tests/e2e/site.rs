//! The frame every page shares, on Bootstrap Italia: the body the platform belongs to on the
//! top bar, the current page marked in the menu and the breadcrumbs, and the header's search
//! that finds the territory's services and pages in the visitor's language.

use serde_json::Value as Json;

use crate::support::{Client, Server, TestInstance, VOUCHERS};

/// A territory with the vouchers service, run by "Comune di Prova" (`[instance.owner]`).
fn territory() -> TestInstance {
    let instance = TestInstance::new("cornice", VOUCHERS);
    let manifest = instance.path().join("instance.toml");
    let text = std::fs::read_to_string(&manifest).expect("read manifest");
    let owned = text.replacen(
        "locale = \"it\"\n",
        "locale = \"it\"\nowner = { name = \"Comune di Prova\", url = \"https://www.comune.prova.example\" }\n",
        1,
    );
    assert_ne!(text, owned, "the test manifest has a `locale` line");
    std::fs::write(&manifest, owned).expect("write manifest");
    instance
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_names_its_owner_marks_where_the_visitor_is_and_finds_services() {
    let instance = territory();
    let server = Server::start(&[instance.path()]);
    let visitor = Client::new();

    // The top bar names the body the platform belongs to, linked to its own site; the home
    // page is the current one in the menu, and has no breadcrumbs.
    let (status, home) = visitor.page(&server, "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains("<a href=\"https://www.comune.prova.example\">Comune di Prova</a>"),
        "{home}"
    );
    assert!(
        home.contains("href=\"/\" aria-current=\"page\">Home</a>"),
        "{home}"
    );
    assert!(!home.contains("class=\"breadcrumb\""), "{home}");
    assert!(
        home.contains("/static/build/theme.css"),
        "the compiled stylesheet"
    );

    // On a page of a service, the service is marked in the menu and the breadcrumbs lead home.
    let (status, service) = visitor.page(&server, "/p/vouchers/").await;
    assert_eq!(status, 200);
    assert!(
        service.contains("href=\"/p/vouchers/\" aria-current=\"page\">Buoni e contributi</a>"),
        "{service}"
    );
    assert!(
        service.contains("<li class=\"breadcrumb-item\"><a href=\"/\">Home</a>")
            && service.contains("<span aria-current=\"page\">Buoni e contributi</span>"),
        "{service}"
    );
    // Deeper in the service (an operator's list of calls), the service is the way back and the
    // menu says "you are inside".
    crate::support::add_user(&instance, "operatrice", "operator");
    let operator = crate::support::login(&server, "operatrice").await;
    crate::support::accept_privacy(&operator, &server).await;
    let (_, deeper) = operator.page(&server, "/p/vouchers/campaigns").await;
    assert!(
        deeper.contains("<a href=\"/p/vouchers/\">Buoni e contributi</a></li>")
            && deeper.contains("href=\"/p/vouchers/\" aria-current=\"true\">"),
        "{deeper}"
    );

    // The search finds a service by a word of its description, whatever the case and accents,
    // and a page of the territory by its text; every word must match.
    let (status, found) = visitor.page(&server, "/cerca?q=GRADUATORIA%20buoni").await;
    assert_eq!(status, 200);
    assert!(
        found.contains("<a href=\"/p/vouchers/\">Buoni e contributi</a>"),
        "{found}"
    );
    let (_, pages) = visitor.page(&server, "/cerca?q=accessibilit%C3%A0").await;
    assert!(pages.contains("<a href=\"/accessibilita\">"), "{pages}");
    let (_, none) = visitor.page(&server, "/cerca?q=buoni%20astronave").await;
    assert!(
        none.contains("Nessun servizio o pagina corrisponde"),
        "{none}"
    );
    // What was typed comes back escaped, never as markup.
    let (_, typed) = visitor
        .page(&server, "/cerca?q=%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert!(
        typed.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"")
            && !typed.contains("<script>alert"),
        "{typed}"
    );

    // In English, the service is found by its English words; API clients get JSON.
    let (_, english) = visitor.page(&server, "/cerca?q=merchants&lang=en").await;
    assert!(
        english.contains("<a href=\"/p/vouchers/\">Vouchers and support</a>"),
        "{english}"
    );
    let (status, api) = Client::new()
        .get_json(&server, "/cerca?q=graduatoria")
        .await;
    assert_eq!(status, 200);
    let hrefs: Vec<&str> = api["hits"]
        .as_array()
        .map(|hits| hits.iter().filter_map(|h| h["href"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(hrefs, ["/p/vouchers/"], "{api}");
    assert_eq!(api["q"], Json::from("graduatoria"));
}

#[tokio::test(flavor = "multi_thread")]
async fn each_service_card_says_who_it_is_for_and_whether_it_is_open() {
    let instance = territory();
    let server = Server::start(&[instance.path()]);
    let visitor = Client::new();

    // No call yet: the card says who the service is for, and that it is closed, in words.
    let (status, home) = visitor.page(&server, "/").await;
    assert_eq!(status, 200);
    assert!(
        home.contains(
            "<strong>A chi è rivolto:</strong> Famiglie e persone residenti in difficoltà economica"
        ),
        "{home}"
    );
    assert!(
        home.contains(
            "<span class=\"tag closed\">Chiuso</span> Nessun bando aperto in questo momento."
        ),
        "{home}"
    );

    // An operator opens a call: the card turns "Aperto", with its closing date in Italian.
    crate::support::add_user(&instance, "operatrice", "operator");
    let operator = crate::support::login(&server, "operatrice").await;
    let closes = crate::support::today_plus(10);
    let (status, campaign) = operator
        .send_json(
            &server,
            reqwest::Method::POST,
            "/p/vouchers/api/campaigns",
            &serde_json::json!({
                "title": "Buoni spesa",
                "measure": "food",
                "opens_on": crate::support::today_plus(-1),
                "closes_on": closes,
                "budget": "5.000,00",
                "fields": ["household_size", "isee"],
                "isee_max": "15.000",
                "base_amounts": ["150", "250", "350", "400"],
                "max_amount": 500,
                "denominations": "50; 20; 10",
                "ranking": ["isee_asc"],
                "review_rules": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let (_, home) = visitor.page(&server, "/").await;
    let italian = crate::support::date_in_words(10);
    assert!(
        home.contains(&format!(
            "<span class=\"tag\">Aperto</span> Un bando aperto, fino al {italian}."
        )),
        "{italian}: {home}"
    );

    // English is available.
    let (_, english) = visitor.page(&server, "/?lang=en").await;
    assert!(
        english.contains("<span class=\"tag\">Open</span> One call open")
            && english.contains("<strong>Who it is for:</strong> Resident households"),
        "{english}"
    );
}
