//! Deserializes decoded form fields or query parameters (name/value pairs) into any
//! `serde::Deserialize` type, with errors that name the field at fault.
//!
//! HTML forms send every value as text, so numbers and booleans are parsed from it; an empty
//! text is `None` for an `Option` field (an empty input), and a name sent more than once fills a
//! `Vec` (checkboxes) or, for a single value, keeps the last one.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

/// Where the pairs came from, to name the field the way the user knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    Form,
    Query,
}

impl Source {
    fn label(self) -> &'static str {
        match self {
            Source::Form => "form field",
            Source::Query => "query parameter",
        }
    }
}

/// A field that could not be read, and why.
#[derive(Debug)]
pub(crate) struct FieldError {
    field: Option<String>,
    message: String,
}

impl FieldError {
    fn in_field(mut self, field: &str) -> Self {
        if self.field.is_none() {
            self.field = Some(field.to_owned());
        }
        self
    }

    /// The message for the user, naming the field and where it came from.
    pub(crate) fn describe(&self, source: Source) -> String {
        match &self.field {
            Some(field) => format!("{} `{field}`: {}", source.label(), self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "`{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FieldError {}

impl de::Error for FieldError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        FieldError {
            field: None,
            message: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        FieldError {
            field: Some(field.to_owned()),
            message: "a value is required".to_owned(),
        }
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        FieldError {
            field: Some(field.to_owned()),
            message: "is not expected here".to_owned(),
        }
    }
}

/// Reads `pairs` into a `T`.
///
/// Names are grouped through an index, so a form of many fields costs `n log n`, not `n²`: a
/// hostile form of 100,000 fields must not burn the plugin's whole deadline.
pub(crate) fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, FieldError> {
    let mut fields: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, value) in pairs {
        match index.get(name.as_str()) {
            Some(&at) => fields[at].1.push(value),
            None => {
                index.insert(name, fields.len());
                fields.push((name, vec![value]));
            }
        }
    }
    T::deserialize(Fields { fields })
}

struct Fields<'a> {
    fields: Vec<(&'a str, Vec<&'a str>)>,
}

impl<'de> de::Deserializer<'de> for Fields<'_> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_map(FieldsAccess {
            fields: self.fields.into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct FieldsAccess<'a> {
    fields: std::vec::IntoIter<(&'a str, Vec<&'a str>)>,
    current: Option<(&'a str, Vec<&'a str>)>,
}

impl<'de> de::MapAccess<'de> for FieldsAccess<'_> {
    type Error = FieldError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FieldError> {
        let Some((name, values)) = self.fields.next() else {
            return Ok(None);
        };
        self.current = Some((name, values));
        seed.deserialize(de::value::StrDeserializer::<FieldError>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, FieldError> {
        let Some((name, values)) = self.current.take() else {
            return Err(de::Error::custom("a value was read before its name"));
        };
        seed.deserialize(Values { values })
            .map_err(|err| err.in_field(name))
    }
}

/// Every value sent under one name.
struct Values<'a> {
    values: Vec<&'a str>,
}

impl<'a> Values<'a> {
    fn last(&self) -> &'a str {
        self.values.last().copied().unwrap_or_default()
    }

    fn number<T: std::str::FromStr>(&self, what: &str) -> Result<T, FieldError> {
        let text = self.last().trim();
        text.parse()
            .map_err(|_| de::Error::custom(format!("expected {what}, got `{text}`")))
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident: $ty:ty, $what:literal;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
                visitor.$visit(self.number::<$ty>($what)?)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Values<'_> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_str(self.last())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        let text = self.last().trim();
        let value = match text.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => true,
            "false" | "off" | "no" | "0" | "" => false,
            _ => {
                return Err(de::Error::custom(format!(
                    "expected yes or no (true/false), got `{text}`"
                )));
            }
        };
        visitor.visit_bool(value)
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8, "a whole number between -128 and 127";
        deserialize_i16 => visit_i16: i16, "a whole number between -32768 and 32767";
        deserialize_i32 => visit_i32: i32, "a whole number";
        deserialize_i64 => visit_i64: i64, "a whole number";
        deserialize_i128 => visit_i128: i128, "a whole number";
        deserialize_u8 => visit_u8: u8, "a whole number between 0 and 255";
        deserialize_u16 => visit_u16: u16, "a whole number between 0 and 65535";
        deserialize_u32 => visit_u32: u32, "a whole number of zero or more";
        deserialize_u64 => visit_u64: u64, "a whole number of zero or more";
        deserialize_u128 => visit_u128: u128, "a whole number of zero or more";
        deserialize_f32 => visit_f32: f32, "a number";
        deserialize_f64 => visit_f64: f64, "a number";
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        let text = self.last();
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => visitor.visit_char(c),
            _ => Err(de::Error::custom(format!(
                "expected a single character, got `{text}`"
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.last().trim().is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        let items = self.values.into_iter().map(|value| Values {
            values: vec![value],
        });
        visitor.visit_seq(de::value::SeqDeserializer::new(items))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        let text = self.last().trim();
        if !variants.contains(&text) {
            return Err(de::Error::custom(format!(
                "`{text}` is not one of {}",
                variants
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        visitor.visit_enum(de::value::StrDeserializer::<FieldError>::new(text))
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, FieldError> {
        Err(de::Error::custom("a form value cannot hold nested fields"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, FieldError> {
        Err(de::Error::custom("a form value cannot hold nested fields"))
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit_struct tuple tuple_struct identifier ignored_any
    }
}

impl<'de, 'a> IntoDeserializer<'de, FieldError> for Values<'a> {
    type Deserializer = Values<'a>;

    fn into_deserializer(self) -> Self::Deserializer {
        self
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Citizen,
        Operator,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Signup {
        name: String,
        age: u8,
        newsletter: bool,
        nickname: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
        kind: Kind,
    }

    #[test]
    fn text_is_parsed_into_typed_fields() {
        let form = pairs(&[
            ("name", "Anna Rossi"),
            ("age", " 42 "),
            ("newsletter", "on"),
            ("nickname", ""),
            ("tags", "a"),
            ("tags", "b"),
            ("kind", "operator"),
            ("ignored", "x"),
        ]);
        let signup: Signup = from_pairs(&form).unwrap();
        assert_eq!(
            signup,
            Signup {
                name: "Anna Rossi".into(),
                age: 42,
                newsletter: true,
                nickname: None,
                tags: vec!["a".into(), "b".into()],
                kind: Kind::Operator,
            }
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let form = pairs(&[("name", "Anna"), ("newsletter", "off"), ("kind", "citizen")]);
        let err = from_pairs::<Signup>(&form).unwrap_err();
        assert_eq!(
            err.describe(Source::Form),
            "form field `age`: a value is required"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_field_and_value() {
        let form = pairs(&[
            ("name", "Anna"),
            ("age", "old"),
            ("newsletter", "on"),
            ("kind", "citizen"),
        ]);
        let err = from_pairs::<Signup>(&form).unwrap_err();
        assert_eq!(
            err.describe(Source::Query),
            "query parameter `age`: expected a whole number between 0 and 255, got `old`"
        );
    }

    #[test]
    fn an_unknown_choice_lists_the_allowed_ones() {
        let form = pairs(&[
            ("name", "Anna"),
            ("age", "3"),
            ("newsletter", "on"),
            ("kind", "mayor"),
        ]);
        let err = from_pairs::<Signup>(&form).unwrap_err();
        assert_eq!(
            err.describe(Source::Form),
            "form field `kind`: `mayor` is not one of `citizen`, `operator`"
        );
    }

    #[test]
    fn a_repeated_single_value_keeps_the_last() {
        #[derive(Deserialize)]
        struct One {
            agree: bool,
        }
        let form = pairs(&[("agree", "off"), ("agree", "on")]);
        assert!(from_pairs::<One>(&form).unwrap().agree);
    }

    #[test]
    fn a_form_of_a_hundred_thousand_fields_is_read_whole() {
        // Padding fields that the struct ignores, interleaved with the checkbox it wants: every
        // ticked tag must still be found, in order.
        #[derive(Deserialize)]
        struct Tagged {
            tags: Vec<String>,
        }
        let mut form = Vec::new();
        for n in 0..100_000 {
            form.push((format!("pad{n}"), "x".to_owned()));
            if n % 25_000 == 0 {
                form.push(("tags".to_owned(), format!("t{n}")));
            }
        }
        let tagged: Tagged = from_pairs(&form).unwrap();
        assert_eq!(tagged.tags, ["t0", "t25000", "t50000", "t75000"]);
    }
}
