//! The test host keeps the kernel's promises to a plugin: one transaction per call, the
//! plugin's declarations enforced, its clock set by the test.

use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::store::Collection;
use trama_sdk::{Error, Plugin, Result, clock, events, settings};
use trama_testhost::TestHost;

/// A plugin with no code of its own: the tests call the SDK directly inside calls, under
/// `hello`'s declarations (its collections, events and settings).
#[derive(Default)]
struct Bare;

impl Plugin for Bare {
    fn handle(&self, _: Request) -> Result<Response> {
        Err(Error::not_found("nothing here"))
    }
}

const GREETINGS: Collection<serde_json::Value> = Collection::new("greetings");

fn host() -> TestHost<Bare> {
    TestHost::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/hello")).expect("hello")
}

#[test]
fn a_call_that_fails_keeps_none_of_its_writes_and_one_that_succeeds_keeps_all() {
    let host = host();
    let refused: Result<()> = host.call(None, || {
        GREETINGS.insert(json!({"name": "anna", "created_at": 1}))?;
        events::publish("hello.greeted", &json!({"id": "g1", "name": "anna"}))?;
        Err(Error::invalid("changed my mind"))
    });
    assert_eq!(refused.map_err(|err| err.status()), Err(422));
    let count = host
        .call(None, || GREETINGS.query().count())
        .expect("count");
    assert_eq!(count, 0, "a refused call left a document behind");
    assert!(
        host.published().is_empty(),
        "a refused call published an event"
    );

    host.call(None, || {
        GREETINGS.insert(json!({"name": "bruno", "created_at": 2}))?;
        events::publish("hello.greeted", &json!({"id": "g2", "name": "bruno"}))
    })
    .expect("the call commits");
    assert_eq!(
        host.call(None, || GREETINGS.query().count())
            .expect("count"),
        1
    );
    let published = host.published();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].name, "hello.greeted");
    assert_eq!(published[0].payload["name"], "bruno");
}

#[test]
fn what_the_plugin_did_not_declare_is_refused_as_the_kernel_refuses_it() {
    let host = host();
    let undeclared: Collection<serde_json::Value> = Collection::new("secrets");
    let refused = host.call(None, || undeclared.insert(json!({})));
    let message = refused
        .expect_err("an undeclared collection")
        .message()
        .to_owned();
    assert!(message.contains("secrets"), "{message}");
    let refused = host.call(None, || events::publish("rides.booked", &json!({})));
    let message = refused
        .expect_err("an undeclared event")
        .message()
        .to_owned();
    assert!(message.contains("rides.booked"), "{message}");
}

#[test]
fn an_event_that_breaks_its_schema_is_refused_with_the_field_named() {
    let host = host();
    let refused = host.call(None, || {
        events::publish("hello.greeted", &json!({"name": "anna"}))
    });
    let message = refused
        .expect_err("a payload without its id")
        .message()
        .to_owned();
    assert!(
        message.contains("/id") && message.contains("hello.greeted"),
        "{message}"
    );
    assert!(host.published().is_empty());
}

#[test]
fn settings_come_with_their_defaults_and_bad_ones_are_named() {
    let host = host();
    let greeting = host.call(None, || {
        let all: serde_json::Value = settings::get()?;
        Ok(all["greeting"].clone())
    });
    assert_eq!(greeting.expect("settings"), json!("Ciao"));
    let fault = TestHost::<Bare>::with_settings(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/hello"),
        json!({"max_message_length": 0}),
    )
    .err()
    .expect("a setting below its minimum");
    assert!(fault.to_string().contains("max_message_length"), "{fault}");
}

#[test]
fn the_plugin_reads_the_time_the_test_sets() {
    let host = host();
    host.set_time("2026-03-29T01:30:00+01:00");
    assert_eq!(
        host.call(None, || Ok(clock::now_ms())).expect("now"),
        1_774_744_200_000
    );
    host.advance(std::time::Duration::from_secs(3600));
    assert_eq!(
        host.call(None, || Ok(clock::now_ms())).expect("now"),
        1_774_747_800_000
    );
}

#[test]
fn a_panic_after_a_write_rolls_the_call_back_and_the_host_serves_the_next_call() {
    let host = host();
    let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        host.call(None, || -> Result<()> {
            GREETINGS.insert(json!({"name": "anna", "created_at": 1}))?;
            panic!("the plugin's code crashed");
        })
    }));
    assert!(crashed.is_err(), "the panic reaches the test");
    let count = host
        .call(None, || GREETINGS.query().count())
        .expect("count");
    assert_eq!(count, 0, "a crashed call left its write behind");
}

#[test]
fn events_before_a_checkpoint_stay_published_when_the_call_fails_later() {
    let host = host();
    let failed: Result<()> = host.call(None, || {
        events::publish("hello.greeted", &json!({"id": "g1", "name": "anna"}))?;
        trama_sdk::store::checkpoint()?;
        events::publish("hello.greeted", &json!({"id": "g2", "name": "bruno"}))?;
        Err(Error::internal("the second half failed"))
    });
    assert!(failed.is_err());
    let names: Vec<String> = host
        .published()
        .iter()
        .map(|event| {
            event.payload["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["anna"],
        "only what the checkpoint committed is published"
    );
}

#[test]
#[should_panic(expected = "does not declare the capability `ledger`")]
fn an_import_the_plugin_did_not_declare_fails_the_test_as_the_kernel_refuses_the_plugin() {
    // hello declares no `ledger`: an instance would refuse to load it if it imported one.
    let host = host();
    let _ = host.call(None, || {
        trama_sdk::ledger::balance("anywhere").map_err(|err| Error::internal(err.to_string()))
    });
}

#[test]
#[should_panic(expected = "does not nest")]
fn calls_do_not_nest() {
    let host = host();
    let _ = host.call(None, || host.call(None, || Ok(())));
}

#[test]
fn a_plugin_reads_the_fiscal_number_bound_to_its_caller_and_no_one_else_s() {
    let host = host();
    let anna = host.account("anna", &["citizen"]);
    let bruno = host.account("bruno", &["citizen"]);
    host.bind_fiscal_number(&anna, "TINIT-rssmra80a01h501u");
    let read = |who| host.call(who, || Ok(trama_sdk::identity::fiscal_number()));
    assert_eq!(
        read(Some(&anna)).expect("a call").as_deref(),
        Some("RSSMRA80A01H501U"),
        "the prefix gone, upper-case"
    );
    assert_eq!(read(Some(&bruno)).expect("a call"), None, "nothing bound");
    assert_eq!(read(None).expect("a call"), None, "no caller");
}
