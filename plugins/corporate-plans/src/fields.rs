//! Fields several forms share — request ids, amounts of euros, bank references — read the
//! same way everywhere, with the same messages.

use std::ops::RangeInclusive;

use trama_sdk::input::{Input, Problems};
use trama_sdk::{Error, i18n, money, t};

/// A request id from a form or JSON: what makes a retried payment idempotent (the SDK's rule,
/// this plugin's message).
pub fn request_id(input: &Input, problems: &mut Problems) -> String {
    input.request_id(problems, || t!("corporate_plans.fields.request_id"))
}

/// A positive amount field, checked; pushes a problem and returns 0 when it is wrong.
pub fn read_amount(input: &Input, field: &str, problems: &mut Problems) -> i64 {
    match input.one(field) {
        None => {
            problems.push(field, t!("corporate_plans.fields.amount_missing"));
            0
        }
        Some(text) => match money::parse_euros(text) {
            Ok(0) => {
                problems.push(field, t!("corporate_plans.fields.amount_zero"));
                0
            }
            Ok(cents) => cents,
            Err(err) => {
                problems.push(field, err.describe(text, i18n::current()));
                0
            }
        },
    }
}

/// A text field of `chars` characters (a name, a title), as typed; the problem `write` (a
/// catalogue message) when it is shorter or longer.
pub fn read_text(
    input: &Input,
    field: &str,
    chars: RangeInclusive<usize>,
    write: String,
    problems: &mut Problems,
) -> String {
    let text = input.one(field).unwrap_or_default().to_owned();
    if !chars.contains(&text.chars().count()) {
        problems.push(field, write);
    }
    text
}

/// A bank reference (CRO/TRN) field: 3 to 100 characters.
pub fn read_reference(input: &Input, problems: &mut Problems) -> String {
    let reference = input.one("reference").unwrap_or_default().to_owned();
    if !(3..=100).contains(&reference.chars().count()) {
        problems.push("reference", t!("corporate_plans.fields.reference"));
    }
    reference
}

/// A request id already used for something else.
pub fn reused() -> Error {
    Error::conflict(t!("corporate_plans.fields.reused"))
}

/// «text» is not a date (`YYYY-MM-DD`), for a date field.
pub fn not_a_date(text: &str) -> String {
    t!("corporate_plans.fields.not_a_date", text = text)
}

/// Characters of the one-time codes this plugin hands out (HR codes, providers' owner codes,
/// employees' activation codes). Ten, not the SDK's longest: codes already printed and stored
/// have ten, and each is bound to one company, provider or enrolment (an employee's also to one
/// username, and locked after five wrong tries), so 50 bits leave nothing to guess.
pub const CODE_LEN: usize = 10;

/// A code as people read it out: `K3JX-9P2M-7Q`.
pub fn shown_code(code: &str) -> String {
    trama_sdk::code::display(code, "")
}
