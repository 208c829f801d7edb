//! Applications: submitting one (by the citizen or by an operator on their behalf), the
//! automatic checks, and the review ("istruttoria") by operators.
//!
//! An application's id is opaque, `{campaign}-{random}`. In the same write it claims its tax
//! code (and, when a rulebook asks them, its household members' — see [`household`]) with
//! "must not exist yet", so one tax code and one household apply once per campaign even when
//! two submissions race on several nodes.
//!
//! A citizen applies for themselves only: under the fiscal number SPID or CIE certified, or,
//! with a password account, under the tax code the account first applied with, once per
//! campaign. When a citizen's tax code or household member is already claimed by someone
//! else's application, the answer never says so: the application is taken like any other and
//! held for review (`contested_by`, shown to operators only), and the office approves it only
//! once the other is settled ([`review`]), so at most one application per tax code and
//! household is ranked. An operator filing on someone's behalf is told (`409`); so is a citizen
//! whose own application is already in.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::fiscal;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, i18n, t};

use crate::campaign::Campaign;
use crate::rulebook::{self, Decision, Outcome, expr::Engine};
use crate::rules::{Answers, Reason, ReviewRule};

pub mod household;
mod review;
mod submit;
pub mod summary;
#[cfg(test)]
mod tests;
mod view;

pub use review::{Action, apply, check_text, review};
pub(crate) use submit::beneficiary_of;
pub use submit::submit;
pub use view::ApplicationView;

pub const APPLICATIONS: Collection<Application> = Collection::new("applications");

/// Attempts at a write that conflicts only on a count shard (see [`crate::tally`]).
const MAX_ATTEMPTS: usize = 8;
/// Longest free text (a question, an answer, a reason), in characters.
pub const MAX_TEXT: usize = 2000;
const NAME_CHARS: std::ops::RangeInclusive<usize> = 2..=120;

/// Members of an application in JSON.
pub const JSON_FIELDS: &[&str] = &[
    "tax_code",
    "full_name",
    "on_behalf",
    "household_size",
    "minors",
    "isee",
    "resident",
    "income_loss",
    "rent",
    "arrears",
];

/// The JSON members an application to `campaign` may have: its rulebook's questions, or the
/// built-in fields; and the household's rows, when the rulebook asks it.
pub fn json_fields(campaign: &Campaign) -> (Vec<&str>, Option<&str>) {
    match &campaign.rulebook {
        None => (JSON_FIELDS.to_vec(), None),
        Some(book) => {
            let mut fields = JSON_FIELDS[..3].to_vec();
            fields.extend(book.questions.iter().map(|q| q.key.as_str()));
            (fields, book.members_question().map(|q| q.key.as_str()))
        }
    }
}

/// What a rulebook decided for an application: its answers and the calculation, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calculation {
    pub answers: rulebook::Answers,
    pub outcome: Outcome,
}

trama_sdk::choices! {
    #[derive(PartialOrd, Ord)]
    pub enum Status {
        /// Passed the automatic checks or the review; will be ranked at closing.
        Eligible = "eligible" => "vouchers.status.eligible",
        /// Breaks at least one rule (listed in `reasons`).
        Ineligible = "ineligible" => "vouchers.status.ineligible",
        /// A review rule applies: an operator decides.
        NeedsReview = "needs_review" => "vouchers.status.needs_review",
        /// The operator asked the citizen a question.
        InfoRequested = "info_requested" => "vouchers.status.info_requested",
        /// Refused by an operator, with a reason.
        Rejected = "rejected" => "vouchers.status.rejected",
        /// Ranked within the budget; vouchers issued.
        Beneficiary = "beneficiary" => "vouchers.status.beneficiary",
        /// Ranked beyond the budget (or not decided by the closing).
        NotFunded = "not_funded" => "vouchers.status.not_funded",
        /// Still pending when the municipality withdrew the notice: never ranked nor paid.
        Cancelled = "cancelled" => "vouchers.status.cancelled",
    }
}

/// A voucher issued to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedVoucher {
    pub code: String,
    pub amount_cents: i64,
    /// When it can be spent (see [`crate::payment`]).
    #[serde(default)]
    pub valid: crate::payment::Window,
}

/// One step of an application's history, shown to the citizen and the operators (the actor
/// is a username, or `system` for the closing).
pub use trama_sdk::history::Step;

/// An application as stored. `campaign`, `status`, `user_id`, `tax_code` and `submitted_at`
/// are indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub campaign: String,
    pub tax_code: String,
    pub full_name: String,
    /// The citizen's account; `None` when an operator filed it on behalf of someone.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Username of whoever submitted it.
    pub filed_by: String,
    #[serde(default)]
    pub on_behalf: bool,
    pub answers: Answers,
    pub status: Status,
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// The review rules that applied at submission.
    #[serde(default)]
    pub review_rules: Vec<ReviewRule>,
    #[serde(default)]
    pub question: Option<String>,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub rejection: Option<String>,
    /// The support due under the campaign's amount rules.
    pub amount_cents: i64,
    /// Position in the ranking, from 1, once the campaign closed.
    #[serde(default)]
    pub rank: Option<u32>,
    /// The ranking keys a rulebook computed, highest first; empty for the built-in rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority: Vec<i64>,
    /// The rulebook's answers and calculation, when the campaign has a rulebook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<Calculation>,
    /// The application of the same tax code or household this one collided with: held for
    /// the office, shown to operators only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contested_by: Option<String>,
    #[serde(default)]
    pub vouchers: Vec<IssuedVoucher>,
    /// The transfers ordered instead, when the campaign pays by transfer (see
    /// [`crate::transfer`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<crate::transfer::OrderLine>,
    /// The documents attached to the rulebook's questions, kept in the instance's files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub history: Vec<Step>,
    /// Its number in the instance's protocol register and the time of receipt, on the receipt
    /// the applicant keeps; applications from before 1.5 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<trama_sdk::protocol::Protocol>,
    /// The version of the notice it was filed under (see [`crate::revise`]); applications from
    /// before 1.4 were all filed under the first.
    #[serde(default = "crate::revise::first_version")]
    pub notice_version: u32,
    pub submitted_at: i64,
    pub updated_at: i64,
}

/// A document attached to an application, for the question `question`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub question: String,
    pub file: trama_sdk::files::StoredFile,
}

impl Application {
    /// Deletes the attached documents from the instance's files and forgets them: how many
    /// there were. Part of the caller's call, so a failure later keeps them all.
    pub fn drop_attachments(&mut self) -> Result<usize> {
        for attached in &self.attachments {
            trama_sdk::files::delete(&attached.file.id)?;
        }
        Ok(std::mem::take(&mut self.attachments).len())
    }
}

/// The id applications had before 1.3, `{campaign}-{tax code}`: still read, so a campaign
/// open across the upgrade keeps refusing a second application of one tax code. New
/// applications have opaque ids (see the module documentation).
pub fn application_id(campaign: &str, tax_code: &str) -> String {
    format!("{campaign}-{tax_code}")
}

/// What a submission says, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub tax_code: String,
    pub full_name: String,
    pub on_behalf: bool,
    pub answers: Answers,
    /// The answers to the campaign's rulebook, when it has one.
    pub rulebook_answers: Option<rulebook::Answers>,
    /// The attachment questions the request sent files for, and how many: checked, kept only
    /// when the application is stored.
    pub attachments: Vec<(String, usize)>,
}

/// Reads a submission to `campaign`. On behalf of someone, their full name is required; a
/// citizen's own name comes from their account. Problems are in the caller's language.
pub fn read_submission(
    campaign: &Campaign,
    input: &Input,
    on_behalf: bool,
    caller: &User,
) -> std::result::Result<Submission, Problems> {
    read(campaign, input, on_behalf, caller, Files::Now)
}

/// The answers of a person's form, checked before the summary they confirm (the form's first
/// step, see `trama_sdk::submit::Step`): everything but the documents, which they attach on the
/// summary page, with the confirmation.
pub fn check_answers(
    campaign: &Campaign,
    input: &Input,
    caller: &User,
) -> std::result::Result<Submission, Problems> {
    read(campaign, input, false, caller, Files::Later)
}

/// Whether the request carries the documents (the confirmation, a program's request, an
/// operator's form) or they come with the next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Files {
    Now,
    Later,
}

fn read(
    campaign: &Campaign,
    input: &Input,
    on_behalf: bool,
    caller: &User,
    files: Files,
) -> std::result::Result<Submission, Problems> {
    let mut problems = Problems::default();
    // A citizen who logged in with SPID or CIE applies under the fiscal number it certified:
    // nothing to type, and no other number to apply under.
    let certified = if on_behalf {
        None
    } else {
        trama_sdk::identity::fiscal_number()
    };
    let typed = input.one("tax_code").filter(|text| !text.trim().is_empty());
    let tax_code = match (certified, typed) {
        (Some(own), None) => own,
        (Some(own), Some(text)) if fiscal::tax_code(text).is_ok_and(|code| code == own) => own,
        (Some(own), Some(_)) => {
            problems.push(
                "tax_code",
                t!("vouchers.problems.tax_code_certified", tax_code = own),
            );
            own
        }
        (None, typed) => match typed {
            None => {
                problems.push("tax_code", t!("vouchers.problems.tax_code_required"));
                String::new()
            }
            Some(text) => fiscal::tax_code(text).unwrap_or_else(|err| {
                problems.push(
                    "tax_code",
                    t!(
                        "vouchers.problems.tax_code_invalid",
                        text = text,
                        // The SDK's sentence, in the caller's language.
                        problem = err.describe(i18n::current()),
                    ),
                );
                String::new()
            }),
        },
    };
    let full_name = if on_behalf {
        let name = input.one("full_name").unwrap_or_default().to_owned();
        let chars = name.chars().count();
        if !NAME_CHARS.contains(&chars) {
            problems.push(
                "full_name",
                t!(
                    "vouchers.problems.full_name_length",
                    min = NAME_CHARS.start(),
                    max = NAME_CHARS.end(),
                ),
            );
        }
        name
    } else {
        caller.display_name.clone()
    };
    let answers = Answers::read(&campaign.fields, input, &mut problems);
    let attachments = match (&campaign.rulebook, files) {
        (Some(book), Files::Now) => {
            let uploads = trama_sdk::files::uploads();
            rulebook::attachment::read(&book.questions, &uploads, &mut problems)
        }
        _ => Vec::new(),
    };
    let rulebook_answers = campaign.rulebook.as_ref().map(|book| {
        let mut answers = rulebook::answer::read_all(&book.questions, input, &mut problems);
        let today = trama_sdk::local::today(trama_sdk::clock::now_ms());
        rulebook::answer::check_births(&answers, &book.questions, today, &mut problems);
        applicant_in_household(book, &mut answers, &tax_code, &mut problems);
        answers
    });
    problems.into_result(Submission {
        tax_code,
        full_name,
        on_behalf,
        answers,
        rulebook_answers,
        attachments,
    })
}

/// When the household's tax codes are asked, the applicant's is the application's: filled in
/// when left blank, and a member listed under the applicant's code (or the applicant under
/// another) is a problem.
fn applicant_in_household(
    book: &rulebook::Rulebook,
    answers: &mut rulebook::Answers,
    tax_code: &str,
    problems: &mut Problems,
) {
    let Some(question) = book.members_question() else {
        return;
    };
    if !matches!(
        question.kind,
        rulebook::answer::Kind::Members {
            tax_codes: true,
            ..
        }
    ) {
        return;
    }
    let Some(rulebook::Answer::Members(members)) = answers.get_mut(&question.key) else {
        return;
    };
    for (n, member) in members.iter_mut().enumerate() {
        let applicant = member.relation == "applicant";
        if applicant && member.tax_code.is_empty() {
            tax_code.clone_into(&mut member.tax_code);
        } else if applicant != (member.tax_code == tax_code) {
            problems.push(
                &format!("{}_{}_tax_code", question.key, n + 1),
                t!(
                    "vouchers.problems.member_applicant_code",
                    tax_code = tax_code
                ),
            );
        }
    }
}

/// The outcome of the automatic checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: Status,
    pub reasons: Vec<Reason>,
    pub review_rules: Vec<ReviewRule>,
}

/// The automatic checks of a campaign written as a rulebook: its rules decide, and being a
/// beneficiary of an excluded campaign still refuses. The amount is 0 when ineligible.
pub fn assess_rulebook(
    book: &rulebook::Rulebook,
    answers: rulebook::Answers,
    beneficiary_of: &[(String, String)],
    today: trama_sdk::clock::Date,
) -> Result<(Assessment, Calculation)> {
    // Checked when the campaign was created; a failure here is the plugin's, not the caller's.
    let engine =
        Engine::new(book).map_err(|problems| Error::internal(problems.summary(i18n::Lang::En)))?;
    let outcome = engine.evaluate(book, &answers, today);
    let mut reasons: Vec<Reason> = outcome
        .failed
        .iter()
        .map(|label| Reason::Rule {
            label: label.clone(),
        })
        .collect();
    reasons.extend(
        beneficiary_of
            .iter()
            .map(|(id, title)| Reason::AlreadyBeneficiary {
                campaign: id.clone(),
                title: title.clone(),
            }),
    );
    let status = if !reasons.is_empty() {
        Status::Ineligible
    } else if outcome.decision == Decision::Review {
        Status::NeedsReview
    } else {
        Status::Eligible
    };
    let assessment = Assessment {
        status,
        reasons,
        review_rules: Vec::new(),
    };
    Ok((assessment, Calculation { answers, outcome }))
}

/// Ineligible when a rule is broken (every broken rule listed), otherwise to review when a
/// review rule applies, otherwise eligible. `beneficiary_of` lists the excluded campaigns
/// (id, title) the applicant already benefits from.
pub fn assess(
    campaign: &Campaign,
    answers: &Answers,
    beneficiary_of: &[(String, String)],
) -> Assessment {
    let mut reasons = campaign.eligibility.check(answers);
    reasons.extend(
        beneficiary_of
            .iter()
            .map(|(id, title)| Reason::AlreadyBeneficiary {
                campaign: id.clone(),
                title: title.clone(),
            }),
    );
    let review_rules: Vec<ReviewRule> = campaign
        .review_rules
        .iter()
        .filter(|rule| rule.applies(answers))
        .copied()
        .collect();
    let status = if !reasons.is_empty() {
        Status::Ineligible
    } else if !review_rules.is_empty() {
        Status::NeedsReview
    } else {
        Status::Eligible
    };
    Assessment {
        status,
        reasons,
        review_rules,
    }
}

/// The application `id`, or a 404 that names it.
pub fn load(id: &str) -> Result<Doc<Application>> {
    APPLICATIONS.get(id)?.ok_or_else(|| not_found(id))
}

/// The answer for an application that does not exist, or that the caller may not see.
pub fn not_found(id: &str) -> Error {
    Error::not_found(t!("vouchers.application.not_found", id = id))
}

#[cfg(test)]
impl Application {
    /// Mario Rossi's application to campaign `c` for 400 €, filed by himself: what unit
    /// tests start from.
    pub(crate) fn example(status: Status) -> Self {
        Application {
            campaign: "c".into(),
            tax_code: "RSSMRA85T10A562S".into(),
            full_name: "Mario Rossi".into(),
            user_id: Some("u1".into()),
            filed_by: "mario".into(),
            on_behalf: false,
            answers: Answers::default(),
            status,
            reasons: vec![],
            review_rules: vec![],
            question: None,
            answer: None,
            rejection: None,
            amount_cents: 40_000,
            rank: None,
            priority: Vec::new(),
            calculation: None,
            contested_by: None,
            vouchers: vec![],
            transfers: vec![],
            attachments: vec![],
            history: vec![],
            protocol: None,
            notice_version: 1,
            submitted_at: 1,
            updated_at: 1,
        }
    }
}
