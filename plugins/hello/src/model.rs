//! Greetings, the collections they live in, the plugin's settings and the rules a greeting
//! must follow — shared by the HTML pages and the JSON API so both behave the same.

use serde::{Deserialize, Serialize};
use trama_contracts::hello::Greeted;
use trama_sdk::clock::DateTime;
use trama_sdk::store::{self, Collection, Doc};
use trama_sdk::{Error, Result, audit, clock, events, i18n, log, settings};

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// A stored greeting. `name`, `author` and `created_at` are indexed in `plugin.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Greeting {
    pub name: String,
    pub message: String,
    /// Unix time in milliseconds, from the kernel's clock.
    pub created_at: i64,
    /// The account that wrote it, when someone logged in did: theirs to download and erase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

pub const GREETINGS: Collection<Greeting> = Collection::new("greetings");

/// A greeting as the JSON API shows it.
#[derive(Debug, Serialize)]
pub struct GreetingView {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub message: String,
    pub created_at: i64,
}

impl From<Doc<Greeting>> for GreetingView {
    fn from(doc: Doc<Greeting>) -> Self {
        Self {
            id: doc.id,
            version: doc.version,
            name: doc.data.name,
            message: doc.data.message,
            created_at: doc.data.created_at,
        }
    }
}

/// What a person sends to create a greeting, by form or JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewGreeting {
    pub name: String,
    pub message: String,
}

/// The settings declared in `plugin.toml`; the kernel fills in the defaults.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub greeting: String,
    pub max_message_length: u32,
}

impl Settings {
    pub fn load() -> Result<Self> {
        settings::get()
    }

    fn max_message_chars(&self) -> usize {
        usize::try_from(self.max_message_length).unwrap_or(usize::MAX)
    }
}

/// Checks that `text` (already trimmed) has between 1 and `max` characters, with a message in
/// the caller's locale that names the field.
pub fn check_length(field: &str, text: &str, max: usize, locale: &str) -> Result<()> {
    let chars = text.chars().count();
    if (1..=max).contains(&chars) {
        return Ok(());
    }
    Err(Error::invalid(i18n::text_in(
        locale,
        "hello.length",
        &[("field", &field), ("max", &max), ("chars", &chars)],
    )))
}

impl NewGreeting {
    /// Trims both fields and checks their lengths: `name` 1 to 80 characters, `message` 1 to
    /// the `max_message_length` setting.
    pub fn validate(self, settings: &Settings, locale: &str) -> Result<Self> {
        let name = self.name.trim().to_owned();
        let message = self.message.trim().to_owned();
        check_length("name", &name, MAX_NAME_CHARS, locale)?;
        check_length("message", &message, settings.max_message_chars(), locale)?;
        Ok(Self { name, message })
    }

    /// The greeting to store, written now by the caller (if logged in).
    pub fn into_greeting(self, created_at: i64) -> Greeting {
        Greeting {
            name: self.name,
            message: self.message,
            created_at,
            author: trama_sdk::identity::caller().map(|user| user.id),
        }
    }
}

/// The `hello.greeted` payload of a greeting.
fn greeted(doc: &Doc<Greeting>) -> Greeted {
    Greeted {
        id: doc.id.clone(),
        name: doc.data.name.clone(),
    }
}

/// Everything that follows the creation of a greeting, whichever route created it: the
/// `hello.greeted` event, the audit entry and a log line.
pub fn announce(doc: &Doc<Greeting>) -> Result<()> {
    events::publish_typed(&greeted(doc))?;
    audit::record(
        "greeting.created",
        &doc.id,
        &serde_json::json!({ "name": doc.data.name }),
    )?;
    log::info(format!("greeting {} created for {}", doc.id, doc.data.name));
    Ok(())
}

/// Validates and stores a new greeting, then announces it.
/// How a new greeting is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commits {
    /// With the call, all at once: the greeting, its event and its audit entry or nothing.
    Once,
    /// Each step on its own (see `api::create`).
    EachStep,
}

pub fn create(
    input: NewGreeting,
    settings: &Settings,
    locale: &str,
    commits: Commits,
) -> Result<Doc<Greeting>> {
    let input = input.validate(settings, locale)?;
    let doc = GREETINGS.insert(input.into_greeting(clock::now_ms()))?;
    if commits == Commits::EachStep {
        store::checkpoint()?;
        events::publish_typed(&greeted(&doc))?;
        store::checkpoint()?;
        audit::record(
            "greeting.created",
            &doc.id,
            &serde_json::json!({ "name": doc.data.name }),
        )?;
        return Ok(doc);
    }
    announce(&doc)?;
    Ok(doc)
}

/// A greeting that does not exist.
pub fn not_found(id: &str) -> Error {
    Error::not_found(format!("there is no greeting with id `{id}`"))
}

/// `created_at` as RFC 3339 UTC text, for pages and exports.
pub fn utc(ms: i64) -> String {
    DateTime::from_unix_ms(ms).to_string()
}
