//! A setting's new value as a member enters it through the form's widget for that setting, and
//! why a value does not fit, in the member's words.
//!
//! Whether a value fits is the manifest crate's decision ([`SettingSpec::check`], the same check
//! the instance's own settings pass); this module only reads what a widget posts by the
//! setting's type and, when the check refuses, says why in the catalogue's language.

use serde_json::{Number, Value as Json};
use trama_manifest::{ListItem, SettingSpec, SettingType};

use super::words::Words;

/// Why a value does not fit its setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    NotWhole,
    NotNumber,
    NotYesNo,
    NotText,
    NotList,
    BelowMin(Number),
    AboveMax(Number),
    TooShort(usize),
    TooLong(usize),
    NotAChoice(Vec<String>),
    /// Item `n` (from 1) of a list is not of the list's kind.
    BadItem(usize),
    /// What the schema check said, for a case without words of its own.
    Other(String),
}

impl Fault {
    /// The reason in the reader's language.
    pub fn words(&self, words: &Words<'_>) -> String {
        let say = |key: &str, args: &[(&str, String)]| {
            words.say(&format!("governance_refuse.value_{key}"), args)
        };
        match self {
            Fault::NotWhole => say("whole", &[]),
            Fault::NotNumber => say("number", &[]),
            Fault::NotYesNo => say("yes_no", &[]),
            Fault::NotText => say("text", &[]),
            Fault::NotList => say("list", &[]),
            Fault::BelowMin(min) => say("min", &[("min", min.to_string())]),
            Fault::AboveMax(max) => say("max", &[("max", max.to_string())]),
            Fault::TooShort(min) => say("min_length", &[("min", min.to_string())]),
            Fault::TooLong(max) => say("max_length", &[("max", max.to_string())]),
            Fault::NotAChoice(choices) => say("choice", &[("choices", choices.join(", "))]),
            Fault::BadItem(n) => say("item", &[("n", n.to_string())]),
            Fault::Other(reason) => reason.clone(),
        }
    }
}

/// The value a widget posted as `text`, read by the setting's type: text as typed, numbers,
/// `true`/`false` from the yes/no radios, a list one item a line.
pub fn from_widget(spec: &SettingSpec, text: &str) -> Result<Json, Fault> {
    let trimmed = text.trim();
    match spec.kind {
        SettingType::String | SettingType::Choice => Ok(Json::String(trimmed.to_owned())),
        SettingType::Text => Ok(Json::String(text.replace("\r\n", "\n"))),
        SettingType::Integer => trimmed
            .parse::<i64>()
            .map(Json::from)
            .map_err(|_| Fault::NotWhole),
        SettingType::Number => trimmed
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Json::Number)
            .ok_or(Fault::NotNumber),
        SettingType::Boolean => match trimmed {
            "true" => Ok(Json::Bool(true)),
            "false" => Ok(Json::Bool(false)),
            _ => Err(Fault::NotYesNo),
        },
        SettingType::List => trimmed
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(i, item)| match spec.items {
                Some(ListItem::Integer) => item
                    .parse::<i64>()
                    .map(Json::from)
                    .map_err(|_| Fault::BadItem(i + 1)),
                _ => Ok(Json::String(item.to_owned())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
    }
}

/// `value` if the setting accepts it; else why not.
pub fn fits(spec: &SettingSpec, value: Json) -> Result<Json, Fault> {
    match spec.check(&value) {
        Ok(()) => Ok(value),
        Err(reason) => Err(why(spec, &value).unwrap_or(Fault::Other(reason))),
    }
}

/// The fault of a value [`SettingSpec::check`] refused, when it has words of its own.
fn why(spec: &SettingSpec, value: &Json) -> Option<Fault> {
    let below = |n: f64, bound: &Option<Number>| bound.as_ref()?.as_f64().filter(|b| n < *b);
    let above = |n: f64, bound: &Option<Number>| bound.as_ref()?.as_f64().filter(|b| n > *b);
    match spec.kind {
        SettingType::Integer | SettingType::Number => {
            let Some(n) = value.as_f64() else {
                return Some(if spec.kind == SettingType::Integer {
                    Fault::NotWhole
                } else {
                    Fault::NotNumber
                });
            };
            if spec.kind == SettingType::Integer && !(value.is_i64() || value.is_u64()) {
                return Some(Fault::NotWhole);
            }
            if below(n, &spec.min).is_some() {
                return spec.min.clone().map(Fault::BelowMin);
            }
            above(n, &spec.max).and(spec.max.clone().map(Fault::AboveMax))
        }
        SettingType::String | SettingType::Text => {
            let Some(text) = value.as_str() else {
                return Some(Fault::NotText);
            };
            let length = text.chars().count();
            match (spec.min_length, spec.max_length) {
                (Some(min), _) if length < min => Some(Fault::TooShort(min)),
                (_, Some(max)) if length > max => Some(Fault::TooLong(max)),
                _ => None,
            }
        }
        SettingType::Boolean => Some(Fault::NotYesNo),
        SettingType::Choice => Some(Fault::NotAChoice(spec.choices.clone())),
        SettingType::List => {
            let Some(items) = value.as_array() else {
                return Some(Fault::NotList);
            };
            let fits = |item: &Json| match spec.items {
                Some(ListItem::Integer) => item.is_i64() || item.is_u64(),
                Some(ListItem::String) => item.is_string(),
                None => true,
            };
            items
                .iter()
                .position(|item| !fits(item))
                .map(|i| Fault::BadItem(i + 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(toml: &str) -> SettingSpec {
        toml::from_str(toml).expect("a setting")
    }

    #[test]
    fn a_widget_value_is_read_by_the_setting_type() {
        let text = spec("type = \"string\"");
        assert_eq!(from_widget(&text, " 12 "), Ok(json!("12")));
        let whole = spec("type = \"integer\"\nmin = 30\nmax = 3650");
        assert_eq!(from_widget(&whole, "3650"), Ok(json!(3650)));
        assert_eq!(from_widget(&whole, "tanti"), Err(Fault::NotWhole));
        let yes_no = spec("type = \"boolean\"");
        assert_eq!(from_widget(&yes_no, "false"), Ok(json!(false)));
        let list = spec("type = \"list\"\nitems = \"integer\"");
        assert_eq!(from_widget(&list, "1\r\n\r\n2\n"), Ok(json!([1, 2])));
        assert_eq!(from_widget(&list, "1\ndue"), Err(Fault::BadItem(2)));
    }

    #[test]
    fn a_refused_value_says_which_bound_it_breaks() {
        let whole = spec("type = \"integer\"\nmin = 30\nmax = 3650");
        assert_eq!(fits(&whole, json!(3650)), Ok(json!(3650)));
        assert_eq!(fits(&whole, json!(10)), Err(Fault::BelowMin(30.into())));
        assert_eq!(fits(&whole, json!(4000)), Err(Fault::AboveMax(3650.into())));
        assert_eq!(fits(&whole, json!("x")), Err(Fault::NotWhole));
        let short = spec("type = \"string\"\nmax_length = 3");
        assert_eq!(fits(&short, json!("abcd")), Err(Fault::TooLong(3)));
        let choice = spec("type = \"choice\"\nchoices = [\"a\", \"b\"]");
        assert_eq!(
            fits(&choice, json!("c")),
            Err(Fault::NotAChoice(vec!["a".into(), "b".into()]))
        );
    }
}
