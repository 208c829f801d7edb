//! Fields several forms share — request ids, amounts of euros, bank references — read the
//! same way everywhere, with the same messages.

use std::ops::RangeInclusive;

use trama_sdk::Error;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money;

/// A request id from a form or JSON: what makes a retried payment idempotent.
pub fn request_id(input: &Input, lang: Lang, problems: &mut Problems) -> String {
    let text = input.one("request_id").unwrap_or_default();
    let valid = (8..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        problems.push(
            "request_id",
            lang.pick(
                "serve un identificativo della richiesta di 8-64 lettere, cifre, - o _ (il modulo lo include da sé: ricarica la pagina)",
                "a request id of 8 to 64 letters, digits, - or _ is needed (the form includes one: reload the page)",
            ),
        );
    }
    text.to_owned()
}

/// A positive amount field, checked; pushes a problem and returns 0 when it is wrong.
pub fn read_amount(input: &Input, field: &str, lang: Lang, problems: &mut Problems) -> i64 {
    match input.one(field) {
        None => {
            problems.push(
                field,
                lang.pick("scrivi un importo in euro", "write an amount in euros"),
            );
            0
        }
        Some(text) => match money::parse_euros(text) {
            Ok(0) => {
                problems.push(
                    field,
                    lang.pick(
                        "l'importo deve essere più di zero",
                        "the amount must be more than zero",
                    ),
                );
                0
            }
            Ok(cents) => cents,
            Err(err) => {
                problems.push(field, err.describe(text, lang));
                0
            }
        },
    }
}

/// A text field of `chars` characters (a name, a title), as typed; a problem saying `write`
/// (`(italian, english)`) when it is shorter or longer.
pub fn read_text(
    input: &Input,
    field: &str,
    chars: RangeInclusive<usize>,
    write: (&str, &str),
    lang: Lang,
    problems: &mut Problems,
) -> String {
    let text = input.one(field).unwrap_or_default().to_owned();
    if !chars.contains(&text.chars().count()) {
        problems.push(field, lang.pick(write.0, write.1));
    }
    text
}

/// A bank reference (CRO/TRN) field: 3 to 100 characters.
pub fn read_reference(input: &Input, lang: Lang, problems: &mut Problems) -> String {
    let reference = input.one("reference").unwrap_or_default().to_owned();
    if !(3..=100).contains(&reference.chars().count()) {
        problems.push(
            "reference",
            lang.pick(
                "scrivi il riferimento del bonifico (CRO/TRN), da 3 a 100 caratteri",
                "write the bank transfer's reference (CRO/TRN), 3 to 100 characters",
            ),
        );
    }
    reference
}

/// A request id already used for something else.
pub fn reused(lang: Lang) -> Error {
    Error::conflict(lang.pick(
        "questa richiesta è già stata usata per un'altra operazione: ricarica la pagina",
        "this request was already used for another operation: reload the page",
    ))
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
