//! Tutoring's own field rules, on top of [`trama_sdk::input`] (which reads forms and JSON
//! alike and collects the problems): bounded texts, choices among the values the instance's
//! settings allow (subjects, levels), weekly hours and lists of dates (a tutor's and a
//! space's alike), and the `active` switch of an edit.

use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use crate::schedule::{self, Window};

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

/// The weekly hours of `field`, one entry a line or a repeated field; none sent puts `missing`
/// under `field`, and each entry that cannot be read is named there too. Tutors' availability
/// and spaces' opening hours are read alike, so they are read here once.
pub fn windows(input: &Input, field: &str, missing: &str, problems: &mut Problems) -> Vec<Window> {
    let entries = input.list(field);
    if entries.is_empty() {
        problems.push(field, missing);
        return Vec::new();
    }
    schedule::parse_windows(&entries).unwrap_or_else(|errors| {
        problems.push(field, errors.join("; "));
        Vec::new()
    })
}

/// The dates of `field` (days off, closures), sorted; none is fine, and each entry that is not
/// a date is named under `field`.
pub fn dates(input: &Input, field: &str, problems: &mut Problems) -> Vec<String> {
    schedule::parse_dates(&input.list(field)).unwrap_or_else(|errors| {
        problems.push(field, errors.join("; "));
        Vec::new()
    })
}
