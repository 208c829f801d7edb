//! Deserializing one section of a layered configuration, with faults turned into diagnostics.
//!
//! Figment reports where a value sits (a key path) but not where it was written; the
//! [`Locator`] supplies the line or the environment variable. Sections are deserialized one at
//! a time so that a fault in one does not hide the faults in the others.

use figment::error::{Actual, Kind};
use figment::value::Value;
use serde::de::DeserializeOwned;

use crate::diagnostic::Diagnostic;
use crate::locate::{KeyPath, Locator, key_path};
use crate::names::did_you_mean;

/// Deserializes `value`, found at `base`, into `T`.
pub(crate) fn section<T: DeserializeOwned>(
    value: &Value,
    base: &[&str],
    locator: &Locator,
) -> Result<T, Vec<Diagnostic>> {
    value
        .deserialize::<T>()
        .map_err(|error| diagnostics(error, base, locator))
}

/// One diagnostic per error figment collected.
pub(crate) fn diagnostics(
    error: figment::Error,
    base: &[&str],
    locator: &Locator,
) -> Vec<Diagnostic> {
    error
        .into_iter()
        .map(|error| {
            let mut path: KeyPath = key_path(base);
            path.extend(error.path.iter().cloned());
            let message = match &error.kind {
                Kind::UnknownField(field, expected) => {
                    if path.last() != Some(field) {
                        path.push(field.clone());
                    }
                    format!(
                        "unknown key `{field}`{}; the keys allowed here are {}",
                        did_you_mean(field, expected.iter().copied()),
                        crate::names::list(expected.iter())
                    )
                }
                Kind::MissingField(field) => {
                    path.push(field.to_string());
                    format!("the required key `{field}` is missing")
                }
                Kind::InvalidType(actual, expected) => {
                    let hint = if locator.variable_for(&path).is_some() {
                        " (environment values that look like numbers, booleans or lists are read as such: put the text in double quotes to keep it text)"
                    } else {
                        ""
                    };
                    format!(
                        "expected {}, found {}{hint}",
                        plain_expected(expected),
                        plain_actual(actual)
                    )
                }
                Kind::InvalidValue(actual, expected) => {
                    format!(
                        "{} is not allowed here: expected {}",
                        plain_actual(actual),
                        plain_expected(expected)
                    )
                }
                Kind::UnknownVariant(found, expected) => {
                    format!(
                        "{found:?} is not one of {}{}",
                        crate::names::list(expected.iter()),
                        did_you_mean(found, expected.iter().copied())
                    )
                }
                Kind::Message(message) => message.clone(),
                other => other.to_string(),
            };
            locator.diagnostic(&path, message)
        })
        .collect()
}

/// Serde's names for types, in words a cooperative's administrator would use.
fn plain_expected(expected: &str) -> String {
    let plain = match expected {
        "a string" | "string" => "text in quotes",
        "a boolean" | "bool" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number (0 or more)",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a sequence" | "sequence" => "a list such as [\"a\", \"b\"]",
        "a map" | "map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => other,
    };
    plain.to_owned()
}

fn plain_actual(actual: &Actual) -> String {
    match actual {
        Actual::Bool(value) => value.to_string(),
        Actual::Unsigned(value) => value.to_string(),
        Actual::Signed(value) => value.to_string(),
        Actual::Float(value) => value.to_string(),
        Actual::Char(value) => format!("{:?}", value.to_string()),
        Actual::Str(value) => format!("{value:?}"),
        Actual::Seq => "a list".to_owned(),
        Actual::Map => "a table".to_owned(),
        other => other.to_string(),
    }
}
