//! An application as pages and the API show it: status, reasons, vouchers and history in words.

use serde::Serialize;
use trama_sdk::clock::DateTime;
use trama_sdk::i18n::Lang;
use trama_sdk::money::format_cents;
use trama_sdk::store::Doc;
use trama_sdk::t;

use crate::campaign::Campaign;
use crate::rules::{Answers, Field};

use super::{Application, Status};

/// An application as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationView {
    pub id: String,
    pub version: u64,
    pub campaign: String,
    pub campaign_title: String,
    pub tax_code: String,
    pub full_name: String,
    pub on_behalf: bool,
    pub filed_by: String,
    pub status: Status,
    pub status_label: String,
    pub answers: Answers,
    pub answers_text: Vec<(String, String)>,
    /// How a rulebook reached the outcome: each value and rule in words, with its result.
    pub calculation: Vec<CalcLine>,
    /// For operators only: the application of the same tax code or household this one
    /// collided with (a citizen is never told whether someone else's number applied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contested_by: Option<String>,
    /// Why it is not eligible, in words.
    pub reasons: Vec<String>,
    pub review_rules: Vec<String>,
    pub question: Option<String>,
    pub answer: Option<String>,
    pub rejection: Option<String>,
    pub amount_cents: i64,
    pub amount_text: String,
    pub rank: Option<u32>,
    pub vouchers: Vec<VoucherLine>,
    /// The transfers ordered, when the campaign pays by transfer.
    pub transfers: Vec<TransferLine>,
    /// The documents attached, by question.
    pub attachments: Vec<AttachmentLine>,
    pub history: Vec<StepView>,
    /// The receipt: its protocol number and time of receipt (none before 1.5).
    pub protocol: Option<trama_sdk::protocol::Protocol>,
    pub submitted_at: i64,
    pub submitted_utc: String,
    /// The version of the notice it was filed under, and the one in force now (see
    /// [`crate::revise`]): a page says so when they differ.
    pub notice_version: u32,
    pub current_notice_version: Option<u32>,
}

/// An attached document, as the application page links it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentLine {
    /// The question it answers, in words.
    pub question: String,
    pub id: String,
    pub name: String,
    /// `PDF, 120 KiB`.
    pub about: String,
}

/// One step of a rulebook's calculation, in words.
#[derive(Debug, Clone, Serialize)]
pub struct CalcLine {
    pub label: String,
    pub result: String,
    /// Whether a rule held; absent for figures.
    pub held: Option<bool>,
    pub error: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoucherLine {
    pub code: String,
    /// The code as printed, with the instance's prefix.
    pub display: String,
    pub amount_cents: i64,
    pub amount_text: String,
    /// When it can be spent, in words; `None` when it never expires.
    pub valid_text: Option<String>,
}

/// A transfer ordered to the payee, with the IBAN's last four characters only.
#[derive(Debug, Clone, Serialize)]
pub struct TransferLine {
    pub id: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub due_on: String,
    pub due_text: String,
    pub iban_masked: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Unix milliseconds, which pages show in Rome's time.
    pub at_ms: i64,
    pub at_utc: String,
    pub actor: String,
    pub action: String,
    pub note: Option<String>,
}

impl ApplicationView {
    pub fn new(
        doc: &Doc<Application>,
        campaign: Option<&Campaign>,
        prefix: &str,
        lang: Lang,
    ) -> Self {
        let a = &doc.data;
        let book = campaign.and_then(|c| c.rulebook.as_ref());
        let answers_text = match (book, &a.calculation) {
            (Some(book), Some(calc)) => book
                .questions
                .iter()
                .filter_map(|q| {
                    let answer = calc.answers.get(&q.key)?;
                    Some((q.label.get().to_owned(), q.show(answer, lang)))
                })
                .collect(),
            _ => Field::ALL
                .iter()
                .filter_map(|f| a.answers.show(*f, lang).map(|v| (f.label(), v)))
                .collect(),
        };
        let calculation = a
            .calculation
            .iter()
            .flat_map(|c| &c.outcome.steps)
            .map(|step| CalcLine {
                label: step.label.get().to_owned(),
                result: match (step.held, step.cents) {
                    (Some(held), _) => trama_sdk::i18n::yes_no(lang, held),
                    (None, Some(cents)) => format_cents(cents, lang),
                    (None, None) => match step.result.as_str() {
                        "true" => trama_sdk::i18n::yes_no(lang, true),
                        "false" => trama_sdk::i18n::yes_no(lang, false),
                        other => other.to_owned(),
                    },
                },
                held: step.held,
                error: step.error,
            })
            .collect();
        let mut review_rules: Vec<String> =
            a.review_rules.iter().map(|r| r.describe(lang)).collect();
        review_rules.extend(
            a.calculation
                .iter()
                .flat_map(|c| &c.outcome.review)
                .map(|label| label.get().to_owned()),
        );
        Self {
            id: doc.id.clone(),
            version: doc.version,
            campaign: a.campaign.clone(),
            campaign_title: campaign.map(|c| c.title.clone()).unwrap_or_default(),
            tax_code: a.tax_code.clone(),
            full_name: a.full_name.clone(),
            on_behalf: a.on_behalf,
            filed_by: a.filed_by.clone(),
            status: a.status,
            status_label: a.status.label(),
            answers: a.answers.clone(),
            answers_text,
            calculation,
            contested_by: a
                .contested_by
                .clone()
                .filter(|_| crate::web::OPERATORS.admits()),
            reasons: a.reasons.iter().map(|r| r.describe(lang)).collect(),
            review_rules,
            question: a.question.clone(),
            answer: a.answer.clone(),
            rejection: a.rejection.clone(),
            amount_cents: a.amount_cents,
            amount_text: format_cents(a.amount_cents, lang),
            rank: a.rank,
            vouchers: a
                .vouchers
                .iter()
                .map(|v| VoucherLine {
                    code: v.code.clone(),
                    display: trama_sdk::code::display(&v.code, prefix),
                    amount_cents: v.amount_cents,
                    amount_text: format_cents(v.amount_cents, lang),
                    valid_text: v.valid.describe(),
                })
                .collect(),
            transfers: a
                .transfers
                .iter()
                .map(|o| TransferLine {
                    id: o.id.clone(),
                    amount_cents: o.amount_cents,
                    amount_text: format_cents(o.amount_cents, lang),
                    due_on: o.due_on.clone(),
                    due_text: crate::rulebook::answer::show_date(&o.due_on, lang),
                    iban_masked: o.iban_masked.clone(),
                })
                .collect(),
            attachments: a
                .attachments
                .iter()
                .map(|att| AttachmentLine {
                    question: book
                        .and_then(|b| b.questions.iter().find(|q| q.key == att.question))
                        .map_or_else(|| att.question.clone(), |q| q.label.get().to_owned()),
                    id: att.file.id.clone(),
                    name: att.file.name.clone(),
                    about: format!(
                        "{}, {} KiB",
                        att.file.kind.label(),
                        trama_sdk::files::kib(att.file.size, lang)
                    ),
                })
                .collect(),
            history: a
                .history
                .iter()
                .map(|s| StepView {
                    at_ms: s.at,
                    at_utc: DateTime::from_unix_ms(s.at).to_string(),
                    actor: s.actor.clone(),
                    action: step_label(&s.action),
                    note: s.note.clone(),
                })
                .collect(),
            protocol: a.protocol.clone(),
            submitted_at: a.submitted_at,
            submitted_utc: DateTime::from_unix_ms(a.submitted_at).to_string(),
            notice_version: a.notice_version,
            current_notice_version: campaign.map(|c| c.notice_version),
        }
    }
}

/// A step of the history in words; an action this version does not know shows as stored.
fn step_label(action: &str) -> String {
    match action {
        "submitted" => t!("vouchers.step.submitted"),
        "submitted_on_behalf" => t!("vouchers.step.submitted_on_behalf"),
        "approved" => t!("vouchers.step.approved"),
        "rejected" => t!("vouchers.step.rejected"),
        "info_requested" => t!("vouchers.step.info_requested"),
        "answered" => t!("vouchers.step.answered"),
        "funded" => t!("vouchers.step.funded"),
        "funded_later" => t!("vouchers.step.funded_later"),
        "not_funded" => t!("vouchers.step.not_funded"),
        "excluded" => t!("vouchers.step.excluded"),
        "cancelled" => t!("vouchers.step.cancelled"),
        other => other.to_owned(),
    }
}
