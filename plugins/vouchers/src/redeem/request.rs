//! Reading a redemption request (code, amount, request id) from the merchant's form or JSON.

use trama_sdk::checked::IntoResult;
use trama_sdk::input::{Input, Problems};
use trama_sdk::{code, i18n, money, t};

use crate::merchant;

/// A redemption request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub code: String,
    pub amount_cents: i64,
    pub request_id: String,
}

/// Reads a redemption from a form or JSON: a code in any spelling, an amount in euros and the
/// request id that makes a retry harmless; every problem is named by its field, in the caller's
/// language.
pub fn read(input: &Input) -> std::result::Result<Request, Problems> {
    let mut problems = Problems::default();
    // The SDK's sentences (a malformed code or amount) in the caller's language.
    let lang = i18n::current();
    let code = match input.one("code") {
        None => {
            problems.push("code", t!("vouchers.problems.code_required"));
            String::new()
        }
        Some(text) => code::normalize(text, crate::voucher::CODE_LEN).unwrap_or_else(|err| {
            problems.push("code", err.describe(text, lang));
            String::new()
        }),
    };
    let amount_cents = match input.one("amount") {
        None => {
            problems.push("amount", t!("vouchers.problems.amount_required"));
            0
        }
        Some(text) => match money::parse_euros(text) {
            Ok(0) => {
                problems.push("amount", t!("vouchers.problems.amount_zero"));
                0
            }
            Ok(cents) => cents,
            Err(err) => {
                problems.push("amount", err.describe(text, lang));
                0
            }
        },
    };
    let request_id = merchant::request_id(input, &mut problems);
    problems.into_result(Request {
        code,
        amount_cents,
        request_id,
    })
}
