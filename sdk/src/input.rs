//! One shape for what people send, whether by HTML form or JSON, so that both go through the
//! same validation and get the same messages.
//!
//! A form sends name/value pairs, a name repeated for checkboxes; a JSON object sends typed
//! values. Both become a list of names, each with its values as text: a JSON array gives one
//! value per element, a number its decimal text (so `12.5` is read as the text `12.5`, never as
//! a float), a boolean `yes` or `no`, `null` nothing at all. Validation then reads text, exactly
//! as it would from a form.
//!
//! Every plugin offers both a page and an API over the same domain functions; keeping this in
//! the SDK gives them all the same rules (unknown JSON members refused by name, numbers kept as
//! exact text) and the same shape of `422` answer.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::{Request, Response};
use crate::{Error, Result};

use crate::i18n::Lang;

/// What a person sent, by field name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    /// By name: a map, so that reading a form of many fields stays `n log n`.
    values: BTreeMap<String, Vec<String>>,
    /// Whether it came as JSON (so the answer should be JSON too).
    pub json: bool,
}

impl Input {
    /// Reads a decoded form ([`Request::form`]): a name repeated for each ticked checkbox.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut input = Self::default();
        for (name, value) in pairs {
            input.push(name, value.clone());
        }
        input
    }

    /// Reads name/value pairs written as string literals — a test's form, a request a plugin
    /// builds itself — exactly as [`Input::from_pairs`] reads a decoded form, so that no
    /// plugin needs its own helper turning each pair into owned `String`s first.
    pub fn from_strs(pairs: &[(&str, &str)]) -> Self {
        let mut input = Self::default();
        for (name, value) in pairs {
            input.push(name, (*value).to_owned());
        }
        input
    }

    /// The `request_id` field: the idempotency key a form sends with a payment or anything else
    /// that must take effect once, so that a double click or a retried call replays the first
    /// answer. It is 8 to 64 ASCII letters, digits, `-` or `_` (long enough not to collide, and
    /// safe inside a document id); otherwise `malformed()` (the plugin's sentence) is pushed
    /// for the field. Returned as sent, trimmed. One rule for every plugin that pays or
    /// redeems, so a client builds the same keys for all of them.
    pub fn request_id(
        &self,
        problems: &mut Problems,
        malformed: impl FnOnce() -> String,
    ) -> String {
        let text = self.one("request_id").unwrap_or_default();
        let valid = (8..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            problems.push("request_id", malformed());
        }
        text.to_owned()
    }

    /// Reads a JSON object whose members are all in `allowed` (a member not listed is a
    /// mistake worth reporting: a misspelt name would otherwise be silently ignored).
    pub fn from_json(body: &[u8], allowed: &[&str]) -> Result<Self> {
        let Value::Object(members) = object(body)? else {
            return Err(not_an_object());
        };
        let mut input = Self {
            json: true,
            ..Self::default()
        };
        for (name, value) in members {
            if !allowed.contains(&name.as_str()) {
                return Err(Error::bad_request(crate::t!(
                    "sdk.input.unknown_field",
                    name = name,
                    fields = quoted(allowed)
                )));
            }
            match value {
                Value::Array(items) => {
                    for item in items {
                        let text = scalar(&name, item)?;
                        input.push(&name, text);
                    }
                    // An empty array still says "this field was given, with no values".
                    input.touch(&name);
                }
                Value::Null => {}
                other => {
                    let text = scalar(&name, other)?;
                    input.push(&name, text);
                }
            }
        }
        Ok(input)
    }

    /// The form of a request, or its JSON body when it has one.
    pub fn from_request(request: &Request, allowed: &[&str]) -> Result<Self> {
        if request.body().is_empty() {
            Ok(Self::from_pairs(request.form()))
        } else {
            Self::from_json(request.body(), allowed)
        }
    }

    /// Like [`Input::from_json`], with one member (`rows`) holding a list of objects whose
    /// members become numbered fields — `services: [{"title": "x"}]` is read as
    /// `service_1_title = x` — the names an HTML form gives to a table of rows.
    pub fn from_json_with_rows(
        body: &[u8],
        allowed: &[&str],
        rows: &str,
        prefix: &str,
        row_fields: &[&str],
    ) -> Result<Self> {
        let Value::Object(mut members) = object(body)? else {
            return Err(not_an_object());
        };
        let list = members.remove(rows);
        let rest = serde_json::to_vec(&Value::Object(members))
            .map_err(|err| Error::internal(format!("could not re-read the request: {err}")))?;
        let mut input = Self::from_json(&rest, allowed)?;
        let items = match list {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(Error::bad_request(format!(
                    "`{rows}` must be a list of objects"
                )));
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let Value::Object(fields) = item else {
                return Err(Error::bad_request(format!(
                    "`{rows}[{i}]` must be an object with the members {}",
                    quoted(row_fields)
                )));
            };
            for (name, value) in fields {
                if !row_fields.contains(&name.as_str()) {
                    return Err(Error::bad_request(format!(
                        "`{rows}[{i}].{name}` is not a field; the fields of an entry are {}",
                        quoted(row_fields)
                    )));
                }
                let text = scalar(&format!("{rows}[{i}].{name}"), value)?;
                input.push(&format!("{prefix}_{}_{name}", i + 1), text);
            }
        }
        Ok(input)
    }

    /// [`Input::from_request`] for a request whose JSON has a list of rows (see
    /// [`Input::from_json_with_rows`]); a form already sends numbered fields.
    pub fn from_request_with_rows(
        request: &Request,
        allowed: &[&str],
        rows: &str,
        prefix: &str,
        row_fields: &[&str],
    ) -> Result<Self> {
        if request.body().is_empty() {
            Ok(Self::from_pairs(request.form()))
        } else {
            Self::from_json_with_rows(request.body(), allowed, rows, prefix, row_fields)
        }
    }

    /// Adds one value of `name`, after the ones already there.
    pub fn push(&mut self, name: &str, value: String) {
        self.values.entry(name.to_owned()).or_default().push(value);
    }

    fn touch(&mut self, name: &str) {
        self.values.entry(name.to_owned()).or_default();
    }

    /// The last value of `name`, trimmed; `None` when absent or blank.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|values| values.last())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`, trimmed, in order.
    pub fn many(&self, name: &str) -> Vec<&str> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Every value of `name`, each split further at `;` and line breaks: how a single text
    /// box holds a list (`150; 250; 350`).
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.many(name)
            .into_iter()
            .flat_map(|v| v.split([';', '\n', '\r']))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Whether `name` was sent at all, even blank.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A yes/no field: `yes`, `sì`, `si`, `true`, `on`, `1` are yes; absent or blank is no.
    pub fn flag(&self, name: &str) -> std::result::Result<bool, String> {
        match self.one(name) {
            None => Ok(false),
            Some(text) => parse_yes_no(text).ok_or_else(|| text.to_owned()),
        }
    }

    /// Every field as text, for filling a form again after an error: a field sent once is a
    /// string, one sent several times a list.
    pub fn echo(&self) -> serde_json::Map<String, Value> {
        self.echo_with_lists(&[])
    }

    /// Every field sent, in name order, with its values.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values
            .iter()
            .map(|(name, values)| (name.as_str(), values.as_slice()))
    }

    /// Like [`Input::echo`], with the fields in `lists` always lists (checkboxes and repeated
    /// selects, which a template indexes even when only one was sent).
    pub fn echo_with_lists(&self, lists: &[&str]) -> serde_json::Map<String, Value> {
        self.values
            .iter()
            .map(|(name, values)| {
                let value = match values.as_slice() {
                    [one] if !lists.contains(&name.as_str()) => Value::String(one.clone()),
                    many => Value::Array(many.iter().cloned().map(Value::String).collect()),
                };
                (name.clone(), value)
            })
            .collect()
    }
}

/// The body read as JSON, or a `400` saying where it breaks.
fn object(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body)
        .map_err(|err| Error::bad_request(crate::t!("sdk.input.not_json", error = err)))
}

fn not_an_object() -> Error {
    Error::bad_request(crate::t!("sdk.input.not_an_object"))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads yes or no in Italian, English or German (what a form's yes/no field may receive).
pub fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "sì" | "si" | "ja" | "true" | "on" | "1" | "y" | "s" | "j" => Some(true),
        "no" | "nein" | "false" | "off" | "0" | "n" => Some(false),
        _ => None,
    }
}

fn scalar(name: &str, value: Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(if b { "yes" } else { "no" }.to_owned()),
        Value::Null => Ok(String::new()),
        Value::Array(_) | Value::Object(_) => Err(Error::bad_request(crate::t!(
            "sdk.input.not_a_scalar",
            name = name
        ))),
    }
}

/// A field that breaks a rule, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// Every problem found in one submission, so a person fixes them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records that `field` breaks a rule; the message says how, in the person's language.
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(Problem {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Whether the submission can go ahead.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One sentence with every problem, for the top of a form: "Controlla i campi evidenziati:
    /// …; …". It gives the messages, not the fields' internal names, which mean nothing to a
    /// person (each message is also shown next to its field).
    pub fn summary(&self, lang: Lang) -> String {
        let intro = crate::i18n::text_for(lang, "sdk.input.check_fields", &[]);
        let parts: Vec<&str> = self.0.iter().map(|p| p.message.as_str()).collect();
        format!("{intro}: {}", parts.join("; "))
    }

    /// `422` for API clients: the kernel's error shape (`{error: {kind, message}}`) plus
    /// `problems: [{field, message}]`, one per field.
    pub fn into_json_response(self, lang: Lang) -> Result<Response> {
        Response::json_with_status(
            422,
            &serde_json::json!({
                "error": { "kind": "invalid", "message": self.summary(lang) },
                "problems": self.0,
            }),
        )
    }

    /// Only the problem with `field`, for showing next to it in a form.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }
}

/// Whether the answer should be JSON: a request under `/api/`, or one with a body (a form
/// post has none: the kernel decodes it into [`Request::form`]).
pub fn wants_json(request: &Request) -> bool {
    request.path().starts_with("/api/") || !request.body().is_empty()
}

/// A form that was refused: what to show next to each field, and what was typed, so the page
/// comes back filled in rather than empty.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormState {
    /// Which form on the page (a page may hold several).
    pub form: String,
    /// The summary shown on top.
    pub error: Option<String>,
    /// Field name → message.
    pub problems: Map<String, Value>,
    /// Field name → typed value(s).
    pub values: Map<String, Value>,
}

impl FormState {
    /// A form refused for `problems`, shown again with `values` (see [`Input::echo`]).
    pub fn new(form: &str, problems: &Problems, values: Map<String, Value>, lang: Lang) -> Self {
        Self {
            form: form.to_owned(),
            error: Some(problems.summary(lang)),
            problems: problems
                .0
                .iter()
                .map(|p| (p.field.clone(), Value::String(p.message.clone())))
                .collect(),
            values,
        }
    }

    /// A form shown again filled with `values` and nothing to fix: the person chose to change
    /// what a summary showed them (see [`crate::submit::Step::Edit`]).
    pub fn filled(form: &str, values: Map<String, Value>) -> Self {
        Self {
            form: form.to_owned(),
            error: None,
            problems: Map::new(),
            values,
        }
    }

    /// A refusal that is not about one field (a duplicate, a conflict with stored data).
    pub fn message(form: &str, message: &str, values: Map<String, Value>) -> Self {
        Self {
            form: form.to_owned(),
            error: Some(message.to_owned()),
            problems: Map::new(),
            values,
        }
    }
}

/// Adds `form` (empty when none) to a page context, under `form`.
pub fn with_form(mut context: Value, form: Option<FormState>) -> Value {
    if let Value::Object(map) = &mut context {
        map.insert(
            "form".into(),
            serde_json::to_value(form.unwrap_or_default()).unwrap_or(Value::Null),
        );
    }
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_of_a_hundred_thousand_fields_keeps_every_value() {
        let mut pairs = Vec::new();
        for n in 0..100_000 {
            pairs.push((format!("f{n}"), n.to_string()));
            pairs.push(("checked".to_owned(), n.to_string()));
        }
        let input = Input::from_pairs(&pairs);
        assert_eq!(input.one("f99999"), Some("99999"));
        assert_eq!(input.many("checked").len(), 100_000);
        assert_eq!(input.many("checked")[41], "41");
    }

    #[test]
    fn literal_pairs_read_as_a_decoded_form() {
        let owned = Input::from_pairs(&[
            ("fields".into(), "isee".into()),
            ("fields".into(), "minors".into()),
        ]);
        let literal = Input::from_strs(&[("fields", "isee"), ("fields", "minors")]);
        assert_eq!(literal, owned);
    }

    #[test]
    fn a_request_id_is_eight_to_sixty_four_safe_characters() {
        for (sent, ok) in [("abc", false), ("abcd-123_X", true), ("abcd 1234", false)] {
            let mut problems = Problems::default();
            let id = Input::from_strs(&[("request_id", sent)])
                .request_id(&mut problems, || "malformed".into());
            assert_eq!(id, sent);
            assert_eq!(problems.is_empty(), ok, "{sent}");
        }
        let mut problems = Problems::default();
        Input::default().request_id(&mut problems, || "malformed".into());
        assert_eq!(problems.for_field("request_id"), Some("malformed"));
    }

    #[test]
    fn forms_and_json_read_the_same() {
        let form = Input::from_pairs(&[
            ("title".into(), " Buoni ".into()),
            ("fields".into(), "isee".into()),
            ("fields".into(), "minors".into()),
            ("amounts".into(), "150; 250\n350".into()),
            ("blank".into(), "  ".into()),
        ]);
        let json = Input::from_json(
            br#"{"title": "Buoni", "fields": ["isee", "minors"], "amounts": [150, "250", 350], "blank": null}"#,
            &["title", "fields", "amounts", "blank"],
        )
        .unwrap();
        for input in [&form, &json] {
            assert_eq!(input.one("title"), Some("Buoni"));
            assert_eq!(input.many("fields"), vec!["isee", "minors"]);
            assert_eq!(input.list("amounts"), vec!["150", "250", "350"]);
            assert_eq!(input.one("blank"), None);
        }
        assert!(json.json && !form.json);
    }

    #[test]
    fn json_numbers_stay_exact_text_and_unknown_members_are_named() {
        let input =
            Input::from_json(br#"{"budget": 1000.10, "ok": true}"#, &["budget", "ok"]).unwrap();
        // serde_json writes the shortest text that reads back as the same number.
        assert_eq!(input.one("budget"), Some("1000.1"));
        assert_eq!(crate::money::parse_euros("1000.1"), Ok(100_010));
        assert_eq!(input.flag("ok"), Ok(true));
        let err = Input::from_json(br#"{"titel": "x"}"#, &["title"]).unwrap_err();
        assert_eq!(err.status(), 400);
        // Outside a request the SDK speaks the territory's language.
        assert!(err.message().contains("«titel» non è un campo"), "{err}");
        crate::i18n::set_locale("en");
        let err = Input::from_json(br#"{"titel": "x"}"#, &["title"]).unwrap_err();
        assert!(err.message().contains("`titel` is not a field"), "{err}");
        assert!(Input::from_json(b"[1]", &[]).is_err());
        assert!(Input::from_json(br#"{"a": {"b": 1}}"#, &["a"]).is_err());
    }

    #[test]
    fn json_rows_become_numbered_fields() {
        let input = Input::from_json_with_rows(
            br#"{"name": "Coop", "services": [{"title": "Pasti", "category": "alimentari"}, {"title": "Spesa"}]}"#,
            &["name"],
            "services",
            "service",
            &["title", "category"],
        )
        .unwrap();
        assert_eq!(input.one("name"), Some("Coop"));
        assert_eq!(input.one("service_1_title"), Some("Pasti"));
        assert_eq!(input.one("service_1_category"), Some("alimentari"));
        assert_eq!(input.one("service_2_title"), Some("Spesa"));
        let err = Input::from_json_with_rows(
            br#"{"services": [{"price": 3}]}"#,
            &[],
            "services",
            "service",
            &["title"],
        )
        .unwrap_err();
        assert!(err.message().contains("`services[0].price`"), "{err}");
        assert!(
            Input::from_json_with_rows(br#"{"services": "x"}"#, &[], "services", "service", &[])
                .is_err()
        );
    }

    #[test]
    fn echoed_values_keep_lists_as_lists() {
        let input = Input::from_pairs(&[
            ("title".into(), "Buoni".into()),
            ("ranking".into(), "isee_asc".into()),
        ]);
        assert_eq!(input.echo()["ranking"], Value::String("isee_asc".into()));
        let echoed = input.echo_with_lists(&["ranking"]);
        assert_eq!(echoed["ranking"], serde_json::json!(["isee_asc"]));
        assert_eq!(echoed["title"], serde_json::json!("Buoni"));
    }

    #[test]
    fn yes_and_no_in_both_languages() {
        assert_eq!(parse_yes_no("Sì"), Some(true));
        assert_eq!(parse_yes_no("no"), Some(false));
        assert_eq!(parse_yes_no("forse"), None);
        let input = Input::from_pairs(&[("x".into(), "forse".into())]);
        assert_eq!(input.flag("x"), Err("forse".into()));
        assert_eq!(input.flag("absent"), Ok(false));
    }

    #[test]
    fn problems_say_every_message_without_internal_names() {
        let mut problems = Problems::default();
        problems.push("title", "the title is too short");
        problems.push("budget", "write the budget");
        assert_eq!(
            problems.summary(Lang::En),
            "Please check the highlighted fields: the title is too short; write the budget"
        );
        assert_eq!(problems.for_field("budget"), Some("write the budget"));
    }

    #[test]
    fn refused_forms_come_back_with_messages_and_values() {
        use crate::http::Method;
        let mut problems = Problems::default();
        problems.push("title", "too short");
        let input = Input::from_pairs(&[("title".into(), "B".into())]);
        let state = FormState::new("campaign", &problems, input.echo(), Lang::En);
        let page = with_form(serde_json::json!({ "x": 1 }), Some(state));
        assert_eq!(page["form"]["form"], "campaign");
        assert_eq!(page["form"]["problems"]["title"], "too short");
        assert_eq!(page["form"]["values"]["title"], "B");
        assert_eq!(
            with_form(serde_json::json!({}), None)["form"]["error"],
            Value::Null
        );
        assert!(wants_json(&Request::new(Method::Post, "/api/x")));
        assert!(wants_json(
            &Request::new(Method::Post, "/x").with_body("{}")
        ));
        assert!(!wants_json(
            &Request::new(Method::Post, "/x").with_form("a", "b")
        ));
    }
}
