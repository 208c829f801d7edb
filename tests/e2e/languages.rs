//! A language is added with catalogue files alone: the South Tyrol example instance
//! (`instances/sonnenberg`, `locale = "de"`) is served in German by the kernel, the default
//! theme and the vouchers plugin, none of whose code names German; Italian stays one click
//! away; and an instance whose plugins do not all speak a language does not offer it.

use crate::admissions::ADMISSIONS;
use serde_json::json;

use crate::many::Visitor;
use crate::support::{Server, TestInstance};

#[tokio::test(flavor = "multi_thread")]
async fn a_south_tyrol_municipality_is_served_in_german_with_italian_one_click_away() {
    let instance = TestInstance::example("sonnenberg");
    crate::support::build_plugins_of(&[instance.path()]);
    let server = Server::start(&[instance.path()]);
    let visitor = Visitor::new(&server, "sonnenberg.localhost");

    let home = visitor.page("/").await;
    assert!(home.contains(r#"<html lang="de">"#), "{home}");
    // The kernel's and the default theme's text, and the plugin's title from its plugin.toml.
    for german in ["Verfügbare Dienste", "Anmelden", "Gutscheine und Beiträge"] {
        assert!(
            home.contains(german),
            "no {german:?} on the home page:\n{home}"
        );
    }
    // The switcher offers every language that all parts of the instance speak.
    for code in ["it", "en"] {
        assert!(home.contains(&format!(r#"hreflang="{code}""#)), "{home}");
    }

    // The plugin's own pages, from its locales/de.toml.
    let vouchers = visitor.page("/p/vouchers/").await;
    assert!(vouchers.contains(r#"<html lang="de">"#), "{vouchers}");
    // The page's own text, from vouchers' locales/de.toml, with the municipality filled in.
    assert!(
        vouchers.contains("Gemeinde Sonnenberg: Stellen Sie einen Antrag für die Unterstützungsmaßnahmen der Gemeinde"),
        "{vouchers}"
    );
    assert!(!vouchers.contains("Buoni e contributi"), "{vouchers}");

    // What the plugin's Rust code and the SDK say, from the same catalogues: an API refusal.
    let (status, refusal) = visitor
        .post_json("/p/vouchers/api/campaigns", &json!({}))
        .await;
    assert_eq!(status, 401, "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(message, "dazu müssen Sie sich zuerst anmelden", "{refusal}");

    // Italian is one click away, and the choice is remembered.
    let italian = visitor.page("/?lang=it").await;
    assert!(italian.contains(r#"<html lang="it">"#), "{italian}");
    assert!(italian.contains("Servizi disponibili"), "{italian}");
    let vouchers = visitor.page("/p/vouchers/").await;
    assert!(vouchers.contains("Buoni e contributi"), "{vouchers}");
    server.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_does_not_offer_a_language_one_of_its_plugins_lacks() {
    // Admissions has no German catalogue: a German switcher entry would show its pages in
    // Italian, so the instance offers only Italian and English, and `?lang=de` changes nothing.
    let instance = TestInstance::new("no-german", ADMISSIONS);
    crate::support::build_plugins_of(&[instance.path()]);
    let server = Server::start(&[instance.path()]);
    let visitor = Visitor::new(&server, "localhost");
    let home = visitor.page("/?lang=de").await;
    assert!(home.contains(r#"<html lang="it">"#), "{home}");
    assert!(home.contains(r#"hreflang="en""#), "{home}");
    assert!(!home.contains(r#"hreflang="de""#), "{home}");
    server.kill();
}
