//! Tutoring's own field rules, on top of [`trama_sdk::input`] (which reads forms and JSON
//! alike and collects the problems): bounded texts, choices among the values the instance's
//! settings allow (subjects, levels), and the `active` switch of an edit.

use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};

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
    lang: Lang,
) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for value in input.many(field) {
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
            Some(found) if !chosen.contains(found) => chosen.push(found.clone()),
            Some(_) => {}
            None => problems.push(
                field,
                match lang {
                    Lang::It => format!(
                        "«{value}» non è tra le voci possibili: {}",
                        allowed.join(", ")
                    ),
                    Lang::En => format!(
                        "`{value}` is not one of the possible values: {}",
                        allowed.join(", ")
                    ),
                },
            ),
        }
    }
    if required && chosen.is_empty() && problems.for_field(field).is_none() {
        problems.push(
            field,
            match lang {
                Lang::It => format!("scegli almeno una voce tra: {}", allowed.join(", ")),
                Lang::En => format!("choose at least one of: {}", allowed.join(", ")),
            },
        );
    }
    chosen
}

/// One value of `field` among `allowed`, written as in `allowed`.
pub fn choice(
    input: &Input,
    field: &str,
    allowed: &[String],
    problems: &mut Problems,
    lang: Lang,
) -> String {
    match input.one(field) {
        Some(value) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
            Some(found) => found.clone(),
            None => {
                problems.push(
                    field,
                    match lang {
                        Lang::It => format!(
                            "«{value}» non è tra le voci possibili: {}",
                            allowed.join(", ")
                        ),
                        Lang::En => format!(
                            "`{value}` is not one of the possible values: {}",
                            allowed.join(", ")
                        ),
                    },
                );
                String::new()
            }
        },
        None => {
            problems.push(
                field,
                match lang {
                    Lang::It => format!("scegli una voce tra: {}", allowed.join(", ")),
                    Lang::En => format!("choose one of: {}", allowed.join(", ")),
                },
            );
            String::new()
        }
    }
}

/// The `active` switch of an edit: `None` when not sent (keep what is stored). Forms send a
/// hidden `active=no` before the checkbox, so an unticked box reads as no.
pub fn active_flag(input: &Input, problems: &mut Problems, lang: Lang) -> Option<bool> {
    if !input.has("active") {
        return None;
    }
    match input.flag("active") {
        Ok(flag) => Some(flag),
        Err(text) => {
            problems.push(
                "active",
                match lang {
                    Lang::It => format!("«{text}» non è né sì né no"),
                    Lang::En => format!("`{text}` is neither yes nor no"),
                },
            );
            None
        }
    }
}
