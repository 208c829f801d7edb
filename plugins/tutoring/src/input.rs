//! Tutoring's own field rules, on top of [`trama_sdk::input`] (which reads forms and JSON
//! alike and collects the problems): bounded texts, choices among the values the instance's
//! settings allow (subjects, levels), and the `active` switch of an edit.

use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

/// A required text of `min..=max` characters; otherwise `message` goes under `field`.
pub fn text(
    input: &Input,
    field: &str,
    (min, max): (usize, usize),
    problems: &mut Problems,
    message: &str,
) -> String {
    let text = input.one(field).unwrap_or_default();
    if !(min..=max).contains(&text.chars().count()) || text.chars().any(char::is_control) {
        problems.push(field, message);
    }
    text.to_owned()
}

/// The values of `field` that are among `allowed` (matched without regard to case, written
/// as in `allowed`); each other value is named in a problem. With `required`, at least one.
pub fn choices(
    input: &Input,
    field: &str,
    allowed: &[String],
    required: bool,
    problems: &mut Problems,
) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for value in input.many(field) {
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
            Some(found) if !chosen.contains(found) => chosen.push(found.clone()),
            Some(_) => {}
            None => problems.push(field, not_allowed(value, allowed)),
        }
    }
    if required && chosen.is_empty() && problems.for_field(field).is_none() {
        problems.push(
            field,
            t!("tutoring.input.choose_some", allowed = allowed.join(", ")),
        );
    }
    chosen
}

/// "«x» is not one of the possible values: a, b".
fn not_allowed(value: &str, allowed: &[String]) -> String {
    t!(
        "tutoring.input.not_allowed",
        value = value,
        allowed = allowed.join(", ")
    )
}

/// One value of `field` among `allowed`, written as in `allowed`.
pub fn choice(input: &Input, field: &str, allowed: &[String], problems: &mut Problems) -> String {
    match input.one(field) {
        Some(value) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
            Some(found) => found.clone(),
            None => {
                problems.push(field, not_allowed(value, allowed));
                String::new()
            }
        },
        None => {
            problems.push(
                field,
                t!("tutoring.input.choose_one", allowed = allowed.join(", ")),
            );
            String::new()
        }
    }
}

/// The `active` switch of an edit: `None` when not sent (keep what is stored). Forms send a
/// hidden `active=no` before the checkbox, so an unticked box reads as no.
pub fn active_flag(input: &Input, problems: &mut Problems) -> Option<bool> {
    if !input.has("active") {
        return None;
    }
    match input.flag("active") {
        Ok(flag) => Some(flag),
        Err(text) => {
            problems.push("active", t!("tutoring.input.not_yes_no", text = text));
            None
        }
    }
}
