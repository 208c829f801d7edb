//! How an award reaches the beneficiary: vouchers spent at shops (the default), or a bank
//! transfer ordered to an IBAN the application gives — a landlord's for a rent grant, say —
//! which the municipality's treasury executes from a SEPA export ([`crate::transfer`]).
//!
//! A transfer needs a rulebook: only a rulebook can ask an `iban` question, and the campaign
//! names which of its questions holds the payee's IBAN (and, optionally, which `text` question
//! holds the payee's name; otherwise the applicant is the payee). The question must be
//! required, so every funded application has somewhere to be paid.

use serde::{Deserialize, Serialize};
use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use crate::rulebook::Rulebook;
use crate::rulebook::answer::Kind;

trama_sdk::choices! {
    /// How the support is paid.
    #[derive(Default)]
    pub enum Method {
        /// Vouchers in the campaign's denominations, spent at affiliated shops.
        #[default]
        Vouchers = "vouchers" => "vouchers.transfer.method_vouchers",
        /// A bank transfer per instalment to the IBAN of the application's answer.
        Transfer = "transfer" => "vouchers.transfer.method_transfer",
    }
}

/// Where a transfer goes: the rulebook questions holding the payee's IBAN and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payee {
    /// Key of the `iban` question.
    pub iban: String,
    /// Key of the `text` question with the payee's name; `None`: the applicant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Reads `payment_method`, `payee_iban_question` and `payee_name_question` (each optional):
/// the method, and the payee when the method is a transfer. Which questions exist is checked
/// later, against the rulebook ([`check`]).
pub fn read(input: &Input, problems: &mut Problems) -> (Method, Option<Payee>) {
    let method = match input.one("payment_method").filter(|t| !t.trim().is_empty()) {
        None => Method::Vouchers,
        Some(text) => match Method::parse(text.trim()) {
            Some(method) => method,
            None => {
                let keys = Method::ALL.map(|m| format!("`{}`", m.key())).join(", ");
                problems.push(
                    "payment_method",
                    t!("vouchers.problems.one_of", text = text, list = keys),
                );
                // The payee is judged once the method is known.
                return (Method::Vouchers, None);
            }
        },
    };
    let key = |field: &str| {
        input
            .one(field)
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
    };
    let iban = key("payee_iban_question");
    let name = key("payee_name_question");
    match method {
        Method::Vouchers => {
            // A payee on a voucher campaign is a mistake the operator should hear about.
            for (field, given) in [
                ("payee_iban_question", iban.is_some()),
                ("payee_name_question", name.is_some()),
            ] {
                if given {
                    problems.push(field, t!("vouchers.transfer.payee_without_transfer"));
                }
            }
            (method, None)
        }
        Method::Transfer => match iban {
            None => {
                problems.push(
                    "payee_iban_question",
                    t!("vouchers.transfer.payee_iban_required"),
                );
                (method, None)
            }
            Some(iban) => (method, Some(Payee { iban, name })),
        },
    }
}

/// Checks a transfer's payee against the campaign's rulebook (`None`: the built-in form, which
/// cannot pay by transfer): the IBAN question must exist, be of kind `iban` and be required;
/// the name question, if named, must exist and be of kind `text`.
pub fn check(
    method: Method,
    payee: Option<&Payee>,
    rulebook: Option<&Rulebook>,
    problems: &mut Problems,
) {
    if method != Method::Transfer {
        return;
    }
    let Some(book) = rulebook else {
        problems.push("payment_method", t!("vouchers.transfer.needs_rulebook"));
        return;
    };
    let Some(payee) = payee else {
        return;
    };
    let question = |key: &str| book.questions.iter().find(|q| q.key == key);
    match question(&payee.iban) {
        None => problems.push(
            "payee_iban_question",
            t!("vouchers.transfer.no_such_question", key = payee.iban),
        ),
        Some(q) if !matches!(q.kind, Kind::Iban) => problems.push(
            "payee_iban_question",
            t!("vouchers.transfer.not_iban", key = payee.iban),
        ),
        Some(q) if !q.required => problems.push(
            "payee_iban_question",
            t!("vouchers.transfer.iban_optional", key = payee.iban),
        ),
        Some(_) => {}
    }
    if let Some(name) = &payee.name {
        match question(name) {
            None => problems.push(
                "payee_name_question",
                t!("vouchers.transfer.no_such_question", key = name),
            ),
            Some(q) if !matches!(q.kind, Kind::Text { .. }) => problems.push(
                "payee_name_question",
                t!("vouchers.transfer.not_text", key = name),
            ),
            Some(_) => {}
        }
    }
}
