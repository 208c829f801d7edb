//! Tera filters the themes and plugin templates share.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::clock::ZONE;

/// `{{ t.vouchers.filed_by | fmt(who=a.filed_by) }}`: fills a catalogue message's `{name}`
/// placeholders from the filter's arguments, so that a translator moves the variable parts of a
/// sentence where their language wants them instead of the template splitting it in pieces.
///
/// The result is plain text, escaped on output like any other value: messages with arguments
/// carry no markup. A placeholder without an argument is an error naming it, so a template that
/// forgets one fails the page for the developer instead of showing `{who}` to a citizen.
pub fn fmt(value: &Json, args: &HashMap<String, Json>) -> tera::Result<Json> {
    let Some(message) = value.as_str() else {
        return Err(tera::Error::msg(format!(
            "filter `fmt` expects a message (a string), got {value}"
        )));
    };
    trama_common::message::fill(message, |name| args.get(name).map(plain))
        .map(Json::String)
        .map_err(|err| tera::Error::msg(format!("{err}: pass it as fmt(name=…)")))
}

/// `{{ message.created_at | local_time }}`: an instant as a person in the territory reads it,
/// `04/12/2026 10:30` in Rome's time (summer time included). The instant is a Unix time in
/// milliseconds or an RFC 3339 text (`2026-12-04T09:30:00Z`, as plugin views carry it for API
/// clients). With `iso=true`, the RFC 3339 form with Rome's offset, for `<time datetime>`.
pub fn local_time(value: &Json, args: &HashMap<String, Json>) -> tera::Result<Json> {
    let at = match value {
        Json::Number(number) => number
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .ok_or_else(|| {
                tera::Error::msg(format!(
                    "filter `local_time`: {number} is not a time in milliseconds since 1970"
                ))
            })?,
        Json::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&chrono::Utc))
            .map_err(|err| {
                tera::Error::msg(format!(
                    "filter `local_time`: `{text}` is not an RFC 3339 time ({err})"
                ))
            })?,
        other => {
            return Err(tera::Error::msg(format!(
                "filter `local_time` expects milliseconds since 1970 or an RFC 3339 text, got {other}"
            )));
        }
    };
    let iso = args.get("iso").and_then(Json::as_bool).unwrap_or(false);
    Ok(Json::String(if iso {
        at.with_timezone(&ZONE)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    } else {
        crate::clock::local_time(at)
    }))
}

/// A value as a reader sees it: strings without quotes, numbers as written.
fn plain(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(pairs: &[(&str, Json)]) -> HashMap<String, Json> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn rfc3339_texts_are_shown_in_rome_too() {
        let text = local_time(&json!("2026-07-01T06:30:00Z"), &args(&[])).unwrap();
        assert_eq!(text, json!("01/07/2026 08:30"));
        let refused = local_time(&json!("yesterday"), &args(&[])).unwrap_err();
        assert!(refused.to_string().contains("`yesterday`"), "{refused}");
    }

    #[test]
    fn times_are_shown_in_rome_with_summer_time() {
        // 2026-07-01 06:30 UTC is 08:30 in Rome (summer time); 2026-12-04 09:30 UTC is 10:30.
        let summer = local_time(&json!(1_782_887_400_000_i64), &args(&[])).unwrap();
        assert_eq!(summer, json!("01/07/2026 08:30"));
        let winter = local_time(&json!(1_796_376_600_000_i64), &args(&[])).unwrap();
        assert_eq!(winter, json!("04/12/2026 10:30"));
        let iso = local_time(
            &json!(1_796_376_600_000_i64),
            &args(&[("iso", json!(true))]),
        )
        .unwrap();
        assert_eq!(iso, json!("2026-12-04T10:30:00+01:00"));
        assert!(local_time(&json!("ieri"), &args(&[])).is_err());
    }

    #[test]
    fn placeholders_take_their_arguments_wherever_the_language_puts_them() {
        let it = fmt(
            &json!("posizione {rank} in graduatoria, inserita da {who}"),
            &args(&[("rank", json!(3)), ("who", json!("Anna"))]),
        )
        .unwrap();
        assert_eq!(it, json!("posizione 3 in graduatoria, inserita da Anna"));
        let de = fmt(
            &json!("von {who} eingereicht, Rang {rank}"),
            &args(&[("rank", json!(3)), ("who", json!("Anna"))]),
        )
        .unwrap();
        assert_eq!(de, json!("von Anna eingereicht, Rang 3"));
    }

    #[test]
    fn a_missing_argument_names_the_placeholder() {
        let err = fmt(
            &json!("dal {from} al {to}"),
            &args(&[("from", json!("1/2"))]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`to`"), "{err}");
    }

    #[test]
    fn only_a_message_can_be_filled() {
        assert!(fmt(&json!(3), &HashMap::new()).is_err());
    }
}
