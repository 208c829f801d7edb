//! A redemption as pages and the API show it.

use serde::Serialize;
use trama_sdk::code;
use trama_sdk::i18n::Lang;
use trama_sdk::money::format_cents;
use trama_sdk::store::Doc;

use super::{Redemption, RedemptionStatus};

/// A redemption as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct RedemptionView {
    pub id: String,
    pub code: String,
    pub code_display: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub remaining_cents: i64,
    pub remaining_text: String,
    pub at_utc: String,
    /// `pending`, `done` or `void`.
    pub status: &'static str,
    pub status_label: String,
    /// Only `done` redemptions took money; pages show the others with their label.
    pub done: bool,
}

impl RedemptionView {
    pub fn new(doc: &Doc<Redemption>, prefix: &str, lang: Lang) -> Self {
        Self {
            id: doc.id.clone(),
            code: doc.data.code.clone(),
            code_display: code::display(&doc.data.code, prefix),
            amount_cents: doc.data.amount_cents,
            amount_text: format_cents(doc.data.amount_cents, lang),
            remaining_cents: doc.data.remaining_cents,
            remaining_text: format_cents(doc.data.remaining_cents, lang),
            at_utc: trama_sdk::clock::DateTime::from_unix_ms(doc.data.at).to_string(),
            status: doc.data.status.key(),
            status_label: doc.data.status.label(),
            done: doc.data.status == RedemptionStatus::Done,
        }
    }
}
