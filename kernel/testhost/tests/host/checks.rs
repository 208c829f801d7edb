//! The checks the test host offers every plugin's stories pass on what the plugin does and
//! fail, naming what differs, on anything else.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trama_sdk::http::{Request, Response};
use trama_sdk::personal_data::{Erased, Export, owned_by};
use trama_sdk::router::{Params, Router};
use trama_sdk::store::Collection;
use trama_sdk::{Plugin, Result, identity, notify};
use trama_testhost::{Account, TestHost};

/// A plugin under `hello`'s declarations that keeps each person's greetings: a person's
/// download holds theirs, an erasure deletes them and keeps the ones marked `public`,
/// without the author.
#[derive(Default)]
struct Diary;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Greeting {
    name: String,
    created_at: i64,
    author: String,
    #[serde(default)]
    public: bool,
}

const GREETINGS: Collection<Greeting> = Collection::new("greetings");

impl Plugin for Diary {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .post("/api/greetings", greet)
            .get("/api/personal-data", export)
            .delete("/api/personal-data", erase)
            .handle(request)
    }
}

fn greet(request: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let public = request.json::<serde_json::Value>()?["public"] == true;
    let greeting = GREETINGS.insert(Greeting {
        name: me.username.clone(),
        created_at: 1,
        author: me.id.clone(),
        public,
    })?;
    notify::send(&notify::Notification {
        recipient: me.id,
        subject: "Saluto registrato".into(),
        body: "Il tuo saluto è registrato.".into(),
        key: format!("greeting/{}", greeting.id),
        link: None,
    })?;
    Response::json_with_status(201, &json!({ "status": "saved" }))
}

fn export(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    Export::new()
        .with("greetings", &owned_by(&GREETINGS, "author", &me.id)?)?
        .response()
}

fn erase(_: Request, _: Params) -> Result<Response> {
    let me = identity::require_login()?;
    let mut erased = Erased::default();
    for doc in owned_by(&GREETINGS, "author", &me.id)? {
        if doc.data.public {
            GREETINGS.update(&doc.id, |greeting| {
                greeting.author = "cancellato".into();
                Ok(())
            })?;
            erased.keep("saluti pubblici", "sono in bacheca");
        } else {
            GREETINGS.delete(&doc.id)?;
        }
        erased.count(1);
    }
    erased.response()
}

fn host() -> (TestHost<Diary>, Account, Account) {
    let host =
        TestHost::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/hello")).expect("hello");
    let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);
    for (who, public) in [(&anna, false), (&anna, true), (&bruno, false)] {
        host.post(Some(who), "/api/greetings", json!({ "public": public }))
            .assert_status(201);
    }
    (host, anna, bruno)
}

/// The message a check failed with (the host is not used after a failed check but to check
/// again, so what the panic left half done does not matter).
fn failure(check: impl FnOnce()) -> String {
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)).expect_err("the check fails");
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn a_status_check_passes_the_answer_on_and_fails_with_its_body() {
    let (host, anna, _) = host();
    let export = host
        .get(Some(&anna), "/api/personal-data")
        .assert_status(200);
    assert_eq!(export.body["greetings"].as_array().map(Vec::len), Some(2));
    let refused = host.get(None, "/api/personal-data");
    let message = failure(move || {
        refused.assert_status(200);
    });
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("unauthenticated"), "the body: {message}");
}

#[test]
fn a_state_check_reads_the_record_s_status_field_beside_the_answer_s_status() {
    let (host, anna, _) = host();
    let saved = host
        .post(Some(&anna), "/api/greetings", json!({}))
        .assert_state(201, "saved");
    assert_eq!(saved.status, 201);
    // Another state, or the right state under another status, fails with the body.
    let message = failure(move || {
        saved.assert_state(201, "deleted");
    });
    assert!(message.contains("\"saved\""), "the body: {message}");
    let again = host.post(Some(&anna), "/api/greetings", json!({}));
    let message = failure(move || {
        again.assert_state(200, "saved");
    });
    assert!(message.contains("201"), "{message}");
}

#[test]
fn an_erasure_is_checked_by_its_figures_and_a_forgotten_person_by_an_empty_download() {
    let (host, anna, bruno) = host();
    let erased = host.erase_expecting(&anna, 2, &["saluti pubblici"]);
    assert_eq!(erased.body["kept"][0]["why"], "sono in bacheca");
    host.assert_forgotten(&anna, &["greetings"]);
    // Bruno was not erased: his download still holds his greeting.
    let message = failure(|| host.assert_forgotten(&bruno, &["greetings"]));
    assert!(message.contains("`greetings`"), "{message}");
    // His greeting was not public, so nothing of his is kept: a check expecting it fails.
    let message = failure(|| {
        host.erase_expecting(&bruno, 1, &["saluti pubblici"]);
    });
    assert!(message.contains("\"kept\":[]"), "the body: {message}");
}

#[test]
fn a_person_s_inbox_holds_only_what_was_sent_to_them() {
    let (host, anna, bruno) = host();
    let to_anna = host.notifications_to(&anna);
    assert_eq!(to_anna.len(), 2, "{to_anna:?}");
    assert!(to_anna.iter().all(|notice| notice.to == anna.id));
    assert_eq!(host.notifications_to(&bruno).len(), 1);
}

#[test]
fn a_cast_is_one_account_per_name_in_order() {
    let (host, anna, _) = host();
    let [carla, dario] = host.accounts(["carla", "dario"], &["citizen"]);
    assert_eq!(
        (carla.username.as_str(), dario.username.as_str()),
        ("carla", "dario")
    );
    assert!(carla.id != dario.id && carla.id != anna.id);
    // Each is an account the kernel knows: Carla writes and reads back her own.
    host.post(Some(&carla), "/api/greetings", json!({}))
        .assert_status(201);
    assert_eq!(
        host.personal_data(&carla)["greetings"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
