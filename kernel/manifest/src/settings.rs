//! Plugin settings: the schema a plugin declares in `plugin.toml` and the validation of the
//! values an instance gives.
//!
//! The kernel validates settings once, fills in the defaults and hands the plugin a JSON object
//! it can trust, so plugins never re-check their own configuration. The same validation will
//! later check settings proposed through governance before they are voted on.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::names::{did_you_mean, list};

/// The `[settings]` tables of a `plugin.toml`, by setting name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsSchema(pub BTreeMap<String, SettingSpec>);

impl SettingsSchema {
    pub fn get(&self, name: &str) -> Option<&SettingSpec> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One `[settings.NAME]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingSpec {
    #[serde(rename = "type")]
    pub kind: SettingType,
    /// Used when the instance gives no value.
    pub default: Option<Value>,
    /// A setting with no default and `required = true` must be given by every instance.
    #[serde(default)]
    pub required: bool,
    /// Help text by locale.
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    /// Smallest value of an `integer` or `number`.
    pub min: Option<Number>,
    /// Largest value of an `integer` or `number`.
    pub max: Option<Number>,
    /// Fewest characters of a `string` or `text`.
    pub min_length: Option<usize>,
    /// Most characters of a `string` or `text`.
    pub max_length: Option<usize>,
    /// The values a `choice` accepts.
    #[serde(default)]
    pub choices: Vec<String>,
    /// What a `list` holds.
    pub items: Option<ListItem>,
}

/// The kind of value a setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingType {
    /// One line of text.
    String,
    /// Text that may span lines (shown as a text area).
    Text,
    Integer,
    /// Integer or decimal.
    Number,
    Boolean,
    /// One of `choices`.
    Choice,
    /// A list of `items`.
    List,
}

impl SettingType {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingType::String => "string",
            SettingType::Text => "text",
            SettingType::Integer => "integer",
            SettingType::Number => "number",
            SettingType::Boolean => "boolean",
            SettingType::Choice => "choice",
            SettingType::List => "list",
        }
    }
}

impl fmt::Display for SettingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The element type of a `list` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListItem {
    String,
    Integer,
}

/// Checks `given` (a JSON object of setting values) against `schema` and returns the complete
/// settings with defaults filled in, or every fault as `(setting name, message)`.
///
/// Settings with neither a value nor a default, and not required, are left out, so the plugin
/// sees them as absent rather than as an invented value.
pub fn validate_settings(
    schema: &SettingsSchema,
    given: &Value,
) -> Result<Value, Vec<(String, String)>> {
    let Some(given) = given.as_object() else {
        return Err(vec![(
            String::new(),
            format!("settings must be a table, found {}", describe(given)),
        )]);
    };
    let mut faults = Vec::new();
    let mut settings = Map::new();
    for (name, value) in given {
        match schema.get(name) {
            Some(spec) => match spec.check(value) {
                Ok(()) => {
                    settings.insert(name.clone(), value.clone());
                }
                Err(message) => faults.push((name.clone(), message)),
            },
            None if schema.is_empty() => faults.push((
                name.clone(),
                format!("`{name}` is not a setting of this plugin, which has no settings"),
            )),
            None => faults.push((
                name.clone(),
                format!(
                    "`{name}` is not a setting of this plugin{}; its settings are {}",
                    did_you_mean(name, schema.names()),
                    list(schema.names())
                ),
            )),
        }
    }
    for (name, spec) in &schema.0 {
        if given.contains_key(name) {
            continue;
        }
        match &spec.default {
            Some(default) => {
                settings.insert(name.clone(), default.clone());
            }
            None if spec.required => faults.push((
                name.clone(),
                format!(
                    "the setting `{name}` is required and has no default: give it a value ({})",
                    spec.kind
                ),
            )),
            None => {}
        }
    }
    if faults.is_empty() {
        Ok(Value::Object(settings))
    } else {
        Err(faults)
    }
}

impl SettingSpec {
    /// Whether `value` is acceptable for this setting; the error is a plain sentence.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        let wrong_type = || format!("expected {}, found {}", self.expected(), describe(value));
        match self.kind {
            SettingType::String | SettingType::Text => {
                let text = value.as_str().ok_or_else(wrong_type)?;
                let length = text.chars().count();
                if let Some(min) = self.min_length.filter(|min| length < *min) {
                    return Err(format!(
                        "{value} is {length} characters long, shorter than the minimum of {min}"
                    ));
                }
                if let Some(max) = self.max_length.filter(|max| length > *max) {
                    return Err(format!(
                        "{value} is {length} characters long, longer than the maximum of {max}"
                    ));
                }
                Ok(())
            }
            SettingType::Integer | SettingType::Number => {
                let number = match value {
                    Value::Number(n) if self.kind == SettingType::Number || is_integer(n) => n,
                    _ => return Err(wrong_type()),
                };
                if let Some(min) = &self.min
                    && compare(number, min) == Some(Ordering::Less)
                {
                    return Err(format!("{number} is below the minimum of {min}"));
                }
                if let Some(max) = &self.max
                    && compare(number, max) == Some(Ordering::Greater)
                {
                    return Err(format!("{number} is above the maximum of {max}"));
                }
                Ok(())
            }
            SettingType::Boolean => value.as_bool().map(|_| ()).ok_or_else(wrong_type),
            SettingType::Choice => {
                let choice = value.as_str().ok_or_else(wrong_type)?;
                if self.choices.iter().any(|c| c == choice) {
                    Ok(())
                } else {
                    Err(format!(
                        "{value} is not one of the choices {}",
                        list(self.choices.iter().map(|c| format!("{c:?}")))
                    ))
                }
            }
            SettingType::List => {
                let items = value.as_array().ok_or_else(wrong_type)?;
                for (i, item) in items.iter().enumerate() {
                    let fits = match self.items {
                        Some(ListItem::String) => item.is_string(),
                        Some(ListItem::Integer) => item.as_number().is_some_and(is_integer),
                        None => true,
                    };
                    if !fits {
                        return Err(format!(
                            "item {} of the list: expected {}, found {}",
                            i + 1,
                            self.expected_item(),
                            describe(item)
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    fn expected(&self) -> &'static str {
        match self.kind {
            SettingType::String | SettingType::Text | SettingType::Choice => "text in quotes",
            SettingType::Integer => "a whole number",
            SettingType::Number => "a number",
            SettingType::Boolean => "true or false",
            SettingType::List => "a list",
        }
    }

    fn expected_item(&self) -> &'static str {
        match self.items {
            Some(ListItem::Integer) => "a whole number",
            _ => "text in quotes",
        }
    }

    /// Faults in the declaration itself, as `(key under the setting, message)`; a plugin with
    /// an inconsistent schema is refused before any instance tries to use it.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let numeric = matches!(self.kind, SettingType::Integer | SettingType::Number);
        let textual = matches!(self.kind, SettingType::String | SettingType::Text);
        let kind = self.kind;
        for (key, bound) in [("min", &self.min), ("max", &self.max)] {
            match bound {
                Some(_) if !numeric => problems.push((
                    key,
                    format!("`{key}` applies to integer and number settings, not to {kind}"),
                )),
                Some(bound) if kind == SettingType::Integer && !is_integer(bound) => {
                    problems.push((
                        key,
                        format!("{bound} is not a whole number, but the setting is an integer"),
                    ))
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (&self.min, &self.max)
            && compare(min, max) == Some(Ordering::Greater)
        {
            problems.push((
                "min",
                format!("the minimum {min} is above the maximum {max}"),
            ));
        }
        for (key, bound) in [
            ("min_length", self.min_length),
            ("max_length", self.max_length),
        ] {
            if bound.is_some() && !textual {
                problems.push((
                    key,
                    format!("`{key}` applies to string and text settings, not to {kind}"),
                ));
            }
        }
        if let (Some(min), Some(max)) = (self.min_length, self.max_length)
            && min > max
        {
            problems.push((
                "min_length",
                format!("the minimum length {min} is above the maximum length {max}"),
            ));
        }
        match (kind, self.choices.is_empty()) {
            (SettingType::Choice, true) => problems.push((
                "choices",
                "a choice setting needs `choices = [\"…\", …]`".to_owned(),
            )),
            (SettingType::Choice, false) => {
                let mut seen = std::collections::BTreeSet::new();
                for choice in &self.choices {
                    if !seen.insert(choice) {
                        problems.push(("choices", format!("{choice:?} is listed twice")));
                    }
                }
            }
            (_, false) => problems.push((
                "choices",
                format!("`choices` applies to choice settings, not to {kind}"),
            )),
            (_, true) => {}
        }
        match (kind, self.items) {
            (SettingType::List, None) => problems.push((
                "items",
                "a list setting needs `items = \"string\"` or `items = \"integer\"`".to_owned(),
            )),
            (SettingType::List, Some(_)) | (_, None) => {}
            (_, Some(_)) => problems.push((
                "items",
                format!("`items` applies to list settings, not to {kind}"),
            )),
        }
        if let Some(default) = &self.default
            && let Err(message) = self.check(default)
        {
            problems.push((
                "default",
                format!("the default does not fit the setting: {message}"),
            ));
        }
        problems
    }
}

fn is_integer(number: &Number) -> bool {
    number.is_i64() || number.is_u64()
}

/// Compares exactly when both are integers, as decimals otherwise.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    fn wide(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (wide(a), wide(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A value as a message shows it.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a table".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: SettingType) -> SettingSpec {
        SettingSpec {
            kind,
            default: None,
            required: false,
            description: BTreeMap::new(),
            min: None,
            max: None,
            min_length: None,
            max_length: None,
            choices: Vec::new(),
            items: None,
        }
    }

    #[test]
    fn integers_refuse_decimals_and_numbers_accept_both() {
        assert!(spec(SettingType::Integer).check(&json!(2.5)).is_err());
        assert!(spec(SettingType::Number).check(&json!(2.5)).is_ok());
        assert!(spec(SettingType::Number).check(&json!(2)).is_ok());
    }

    #[test]
    fn bounds_compare_integers_exactly() {
        let mut limited = spec(SettingType::Integer);
        limited.max = Some(Number::from(i64::MAX));
        assert!(limited.check(&json!(i64::MAX)).is_ok());
        assert!(limited.check(&json!(u64::MAX)).is_err());
    }

    #[test]
    fn list_items_are_checked_one_by_one() {
        let mut numbers = spec(SettingType::List);
        numbers.items = Some(ListItem::Integer);
        assert_eq!(
            numbers.check(&json!([1, "due"])),
            Err("item 2 of the list: expected a whole number, found \"due\"".to_owned())
        );
    }

    #[test]
    fn a_choice_needs_choices_and_a_fitting_default() {
        let mut choice = spec(SettingType::Choice);
        choice.default = Some(json!("c"));
        let keys: Vec<_> = choice.problems().into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["choices", "default"]);
    }
}
