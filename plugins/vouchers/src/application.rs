//! Applications: submitting one (by the citizen or by an operator on their behalf), the
//! automatic checks, and the review ("istruttoria") by operators.
//!
//! An application's id is `{campaign}-{tax code}` and it is created with "must not exist yet",
//! so one person applies once per campaign even when two submissions race: the store lets
//! exactly one of them through and the other gets a `409`.

use serde::{Deserialize, Serialize};
use trama_sdk::clock::DateTime;
use trama_sdk::fiscal;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Collection, Doc};
use trama_sdk::{Error, Result, audit};

use crate::campaign::{Campaign, Phase, State};
use crate::rules::{Answers, Field, Reason, ReviewRule};
use crate::tally::{self, Move};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Passed the automatic checks or the review; will be ranked at closing.
    Eligible,
    /// Breaks at least one rule (listed in `reasons`).
    Ineligible,
    /// A review rule applies: an operator decides.
    NeedsReview,
    /// The operator asked the citizen a question.
    InfoRequested,
    /// Refused by an operator, with a reason.
    Rejected,
    /// Ranked within the budget; vouchers issued.
    Beneficiary,
    /// Ranked beyond the budget (or not decided by the closing).
    NotFunded,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Eligible,
        Status::Ineligible,
        Status::NeedsReview,
        Status::InfoRequested,
        Status::Rejected,
        Status::Beneficiary,
        Status::NotFunded,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Status::Eligible => "eligible",
            Status::Ineligible => "ineligible",
            Status::NeedsReview => "needs_review",
            Status::InfoRequested => "info_requested",
            Status::Rejected => "rejected",
            Status::Beneficiary => "beneficiary",
            Status::NotFunded => "not_funded",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Eligible => lang.pick("Ammissibile", "Eligible"),
            Status::Ineligible => lang.pick("Non ammissibile", "Not eligible"),
            Status::NeedsReview => lang.pick("In istruttoria", "Under review"),
            Status::InfoRequested => lang.pick("Integrazione richiesta", "Information requested"),
            Status::Rejected => lang.pick("Respinta", "Rejected"),
            Status::Beneficiary => lang.pick("Beneficiario", "Beneficiary"),
            Status::NotFunded => lang.pick("Non finanziata", "Not funded"),
        }
    }
}

/// A voucher issued to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedVoucher {
    pub code: String,
    pub amount_cents: i64,
}

/// One step of an application's history, shown to the citizen and the operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at: i64,
    /// Username, or `system` for the closing.
    pub actor: String,
    pub action: String,
    #[serde(default)]
    pub note: Option<String>,
}

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
    #[serde(default)]
    pub vouchers: Vec<IssuedVoucher>,
    #[serde(default)]
    pub history: Vec<Step>,
    pub submitted_at: i64,
    pub updated_at: i64,
}

/// The id of the application of `tax_code` to `campaign`.
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
}

/// Reads a submission to `campaign`. On behalf of someone, their full name is required; a
/// citizen's own name comes from their account.
pub fn read_submission(
    campaign: &Campaign,
    input: &Input,
    on_behalf: bool,
    caller: &User,
    lang: Lang,
) -> std::result::Result<Submission, Problems> {
    let mut problems = Problems::default();
    let tax_code = match input.one("tax_code") {
        None => {
            problems.push(
                "tax_code",
                lang.pick(
                    "il codice fiscale è obbligatorio",
                    "the tax code is required",
                ),
            );
            String::new()
        }
        Some(text) => fiscal::tax_code(text).unwrap_or_else(|err| {
            problems.push(
                "tax_code",
                match lang {
                    Lang::It => format!(
                        "«{text}» non è un codice fiscale valido: {}",
                        err.describe(lang)
                    ),
                    Lang::En => format!("`{text}` is not a valid tax code: {}", err.describe(lang)),
                },
            );
            String::new()
        }),
    };
    let full_name = if on_behalf {
        let name = input.one("full_name").unwrap_or_default().to_owned();
        let chars = name.chars().count();
        if !NAME_CHARS.contains(&chars) {
            problems.push(
                "full_name",
                match lang {
                    Lang::It => format!(
                        "scrivi nome e cognome della persona, da {} a {} caratteri",
                        NAME_CHARS.start(),
                        NAME_CHARS.end()
                    ),
                    Lang::En => format!(
                        "write the person's full name, {} to {} characters",
                        NAME_CHARS.start(),
                        NAME_CHARS.end()
                    ),
                },
            );
        }
        name
    } else {
        caller.display_name.clone()
    };
    let answers = Answers::read(&campaign.fields, input, lang, &mut problems);
    if problems.is_empty() {
        Ok(Submission {
            tax_code,
            full_name,
            on_behalf,
            answers,
        })
    } else {
        Err(problems)
    }
}

/// The outcome of the automatic checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub status: Status,
    pub reasons: Vec<Reason>,
    pub review_rules: Vec<ReviewRule>,
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

/// The excluded campaigns (id, title) of which `tax_code` is already a beneficiary.
fn beneficiary_of(campaign: &Campaign, tax_code: &str) -> Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    for other in &campaign.eligibility.excluded_campaigns {
        let Some(app) = APPLICATIONS.get(&application_id(other, tax_code))? else {
            continue;
        };
        if app.data.status == Status::Beneficiary {
            let title = crate::campaign::CAMPAIGNS
                .get(other)?
                .map_or_else(|| other.clone(), |c| c.data.title);
            found.push((other.clone(), title));
        }
    }
    Ok(found)
}

/// Files a checked submission: runs the automatic checks and stores the application, unless
/// the campaign is not open today or the tax code already applied (`409`).
pub fn submit(
    campaign: &Doc<Campaign>,
    submission: Submission,
    caller: &User,
    today: trama_sdk::clock::Date,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let phase = campaign.data.phase(today);
    if phase != Phase::Open {
        return Err(Error::invalid(match lang {
            Lang::It => format!(
                "la campagna «{}» non accetta domande: è aperta dal {} al {} ({})",
                campaign.data.title,
                campaign.data.opens_on,
                campaign.data.closes_on,
                phase.label(lang).to_lowercase()
            ),
            Lang::En => format!(
                "the campaign “{}” does not accept applications: it is open from {} to {} ({})",
                campaign.data.title,
                campaign.data.opens_on,
                campaign.data.closes_on,
                phase.label(lang).to_lowercase()
            ),
        }));
    }
    let others = beneficiary_of(&campaign.data, &submission.tax_code)?;
    let assessment = assess(&campaign.data, &submission.answers, &others);
    let amount_cents = campaign
        .data
        .amounts
        .amount(submission.answers.household_size, submission.answers.minors);
    let action = if submission.on_behalf {
        "submitted_on_behalf"
    } else {
        "submitted"
    };
    let application = Application {
        campaign: campaign.id.clone(),
        tax_code: submission.tax_code.clone(),
        full_name: submission.full_name,
        user_id: (!submission.on_behalf).then(|| caller.id.clone()),
        filed_by: caller.username.clone(),
        on_behalf: submission.on_behalf,
        answers: submission.answers,
        status: assessment.status,
        reasons: assessment.reasons,
        review_rules: assessment.review_rules,
        question: None,
        answer: None,
        rejection: None,
        amount_cents,
        rank: None,
        vouchers: Vec::new(),
        history: vec![Step {
            at: now,
            actor: caller.username.clone(),
            action: action.to_owned(),
            note: None,
        }],
        submitted_at: now,
        updated_at: now,
    };
    let id = application_id(&campaign.id, &submission.tax_code);
    let duplicate = || {
        Error::conflict(match lang {
            Lang::It => format!(
                "esiste già una domanda con il codice fiscale {} per la campagna «{}»",
                submission.tax_code, campaign.data.title
            ),
            Lang::En => format!(
                "there is already an application with tax code {} for the campaign “{}”",
                submission.tax_code, campaign.data.title
            ),
        })
    };
    // The application and its count in one batch; a conflict is either the same tax code
    // applying meanwhile (refused) or another application counted in the same shard (retried).
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut batch = Batch::new();
        batch.create(&APPLICATIONS, &id, &application);
        let moves = [Move {
            tax_code: &application.tax_code,
            from: None,
            to: application.status,
        }];
        tally::push(&mut batch, &campaign.id, &moves)?;
        match batch.commit() {
            Ok(_) => break,
            Err(Error::Conflict(_)) if APPLICATIONS.get(&id)?.is_some() => return Err(duplicate()),
            Err(Error::Conflict(_)) if attempts < MAX_ATTEMPTS => continue,
            Err(err) => return Err(err),
        }
    }
    let doc = Doc {
        id,
        version: 1,
        data: application,
    };
    let mut detail = serde_json::json!({
        "campaign": campaign.id,
        "status": doc.data.status,
    });
    if doc.data.on_behalf {
        detail["citizen_name"] = serde_json::json!(doc.data.full_name);
        detail["tax_code"] = serde_json::json!(doc.data.tax_code);
    }
    audit::record(&format!("application.{action}"), &doc.id, &detail)?;
    Ok(doc)
}

/// The application `id`, or a 404 that names it.
pub fn load(id: &str, lang: Lang) -> Result<Doc<Application>> {
    APPLICATIONS.get(id)?.ok_or_else(|| not_found(id, lang))
}

/// The answer for an application that does not exist, or that the caller may not see.
pub fn not_found(id: &str, lang: Lang) -> Error {
    Error::not_found(match lang {
        Lang::It => format!("non esiste una domanda con codice «{id}»"),
        Lang::En => format!("there is no application with id `{id}`"),
    })
}

/// A step of the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Operator: the application is eligible after all.
    Approve,
    /// Operator: refused, with the reason the citizen reads.
    Reject(String),
    /// Operator: a question the citizen must answer.
    RequestInfo(String),
    /// Citizen: the answer to the question.
    Answer(String),
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Approve => "approved",
            Action::Reject(_) => "rejected",
            Action::RequestInfo(_) => "info_requested",
            Action::Answer(_) => "answered",
        }
    }

    /// The statuses the action applies to.
    fn applies_to(&self) -> &'static [Status] {
        match self {
            Action::Approve => &[Status::NeedsReview, Status::InfoRequested],
            Action::Reject(_) => &[Status::NeedsReview, Status::InfoRequested, Status::Eligible],
            Action::RequestInfo(_) => &[Status::NeedsReview],
            Action::Answer(_) => &[Status::InfoRequested],
        }
    }
}

/// Checks the text of a reason, question or answer: 1 to 2000 characters.
pub fn check_text(
    field: &str,
    text: Option<&str>,
    lang: Lang,
) -> std::result::Result<String, Problems> {
    let text = text.unwrap_or_default().trim();
    let chars = text.chars().count();
    if (1..=MAX_TEXT).contains(&chars) {
        Ok(text.to_owned())
    } else {
        let mut problems = Problems::default();
        problems.push(
            field,
            match lang {
                Lang::It => format!("scrivi un testo da 1 a {MAX_TEXT} caratteri (ne ha {chars})"),
                Lang::En => format!("write a text of 1 to {MAX_TEXT} characters (it has {chars})"),
            },
        );
        Err(problems)
    }
}

/// Applies a review step to the application, pure: the new application or why not.
pub fn apply(
    app: &Application,
    action: &Action,
    actor: &str,
    now: i64,
    lang: Lang,
) -> Result<Application> {
    if !action.applies_to().contains(&app.status) {
        return Err(Error::conflict(match lang {
            Lang::It => format!(
                "la domanda è nello stato «{}», in cui non si può fare questo passaggio",
                app.status.label(lang)
            ),
            Lang::En => format!(
                "the application is “{}”, where this step cannot be taken",
                app.status.label(lang)
            ),
        }));
    }
    let mut next = app.clone();
    let note = match action {
        Action::Approve => {
            next.status = Status::Eligible;
            None
        }
        Action::Reject(reason) => {
            next.status = Status::Rejected;
            next.rejection = Some(reason.clone());
            Some(reason.clone())
        }
        Action::RequestInfo(question) => {
            next.status = Status::InfoRequested;
            next.question = Some(question.clone());
            next.answer = None;
            Some(question.clone())
        }
        Action::Answer(answer) => {
            next.status = Status::NeedsReview;
            next.answer = Some(answer.clone());
            Some(answer.clone())
        }
    };
    next.history.push(Step {
        at: now,
        actor: actor.to_owned(),
        action: action.name().to_owned(),
        note,
    });
    next.updated_at = now;
    Ok(next)
}

/// Runs a review step against the store: the campaign must still be active, and the
/// application unchanged since it was read (`409` otherwise). Audited as
/// `application.{approved|rejected|info_requested|answered}`.
pub fn review(
    id: &str,
    action: Action,
    actor: &User,
    now: i64,
    lang: Lang,
) -> Result<Doc<Application>> {
    let doc = load(id, lang)?;
    let campaign = crate::campaign::load(&doc.data.campaign, lang)?;
    if campaign.data.state != State::Active {
        return Err(Error::conflict(lang.pick(
            "la campagna è chiusa: le domande non si possono più modificare",
            "the campaign is closed: applications can no longer change",
        )));
    }
    let next = apply(&doc.data, &action, &actor.username, now, lang)?;
    let changed = || {
        Error::conflict(lang.pick(
            "qualcuno ha modificato la domanda nel frattempo: ricarica la pagina e riprova",
            "someone changed the application meanwhile: reload the page and try again",
        ))
    };
    let mut attempts = 0;
    let version = loop {
        attempts += 1;
        let mut batch = Batch::new();
        batch.put_if_version(&APPLICATIONS, id, &next, doc.version);
        let moves = [Move {
            tax_code: &next.tax_code,
            from: Some(doc.data.status),
            to: next.status,
        }];
        tally::push(&mut batch, &next.campaign, &moves)?;
        match batch.commit() {
            Ok(versions) => break versions.first().copied().unwrap_or(doc.version + 1),
            // The application itself changed: the reviewer must see the new state first.
            Err(Error::Conflict(_))
                if APPLICATIONS.get(id)?.map(|d| d.version) != Some(doc.version) =>
            {
                return Err(changed());
            }
            // Only a count shard changed: try again.
            Err(Error::Conflict(_)) if attempts < MAX_ATTEMPTS => continue,
            Err(Error::Conflict(_)) => return Err(changed()),
            Err(err) => return Err(err),
        }
    };
    let detail = match &action {
        Action::Approve => serde_json::json!({}),
        Action::Reject(reason) => serde_json::json!({ "reason": reason }),
        Action::RequestInfo(question) => serde_json::json!({ "question": question }),
        Action::Answer(_) => serde_json::json!({}),
    };
    audit::record(&format!("application.{}", action.name()), id, &detail)?;
    Ok(Doc {
        id: id.to_owned(),
        version,
        data: next,
    })
}

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
    pub status_label: &'static str,
    pub answers: Answers,
    pub answers_text: Vec<(String, String)>,
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
    pub history: Vec<StepView>,
    pub submitted_at: i64,
    pub submitted_utc: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VoucherLine {
    pub code: String,
    /// The code as printed, with the instance's prefix.
    pub display: String,
    pub amount_cents: i64,
    pub amount_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepView {
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
        let answers_text = Field::ALL
            .iter()
            .filter_map(|f| {
                a.answers
                    .show(*f, lang)
                    .map(|v| (f.label(lang).to_owned(), v))
            })
            .collect();
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
            status_label: a.status.label(lang),
            answers: a.answers.clone(),
            answers_text,
            reasons: a.reasons.iter().map(|r| r.describe(lang)).collect(),
            review_rules: a.review_rules.iter().map(|r| r.describe(lang)).collect(),
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
                })
                .collect(),
            history: a
                .history
                .iter()
                .map(|s| StepView {
                    at_utc: DateTime::from_unix_ms(s.at).to_string(),
                    actor: s.actor.clone(),
                    action: step_label(&s.action, lang).to_owned(),
                    note: s.note.clone(),
                })
                .collect(),
            submitted_at: a.submitted_at,
            submitted_utc: DateTime::from_unix_ms(a.submitted_at).to_string(),
        }
    }
}

fn step_label(action: &str, lang: Lang) -> &str {
    match action {
        "submitted" => lang.pick("Domanda presentata", "Application submitted"),
        "submitted_on_behalf" => lang.pick(
            "Domanda presentata da un operatore per conto del cittadino",
            "Application filed by an operator on the citizen's behalf",
        ),
        "approved" => lang.pick("Approvata in istruttoria", "Approved on review"),
        "rejected" => lang.pick("Respinta", "Rejected"),
        "info_requested" => lang.pick("Richiesta di integrazione", "Information requested"),
        "answered" => lang.pick("Integrazione inviata", "Information sent"),
        "funded" => lang.pick("Finanziata: buoni emessi", "Funded: vouchers issued"),
        "not_funded" => lang.pick("Non finanziata alla chiusura", "Not funded at closing"),
        "excluded" => lang.pick("Esclusa alla chiusura", "Excluded at closing"),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{self, Draft};
    use trama_sdk::input::Input;

    fn campaign() -> Campaign {
        let pairs: Vec<(String, String)> = [
            ("title", "Buoni spesa"),
            ("measure", "food"),
            ("opens_on", "2025-01-01"),
            ("closes_on", "2025-01-31"),
            ("budget", "1000"),
            ("fields", "household_size"),
            ("fields", "minors"),
            ("fields", "isee"),
            ("fields", "income_loss"),
            ("isee_max", "15000"),
            ("base_amounts", "150; 250; 350; 400"),
            ("per_minor", "50"),
            ("review_rules", "income_loss = yes"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let draft: Draft = campaign::validate(&Input::from_pairs(&pairs), Lang::It, &[]).unwrap();
        draft.into_campaign(0, "op".into())
    }

    fn answers(isee_euros: i64, income_loss: bool) -> Answers {
        Answers {
            household_size: Some(3),
            minors: Some(1),
            isee_cents: Some(isee_euros * 100),
            income_loss: Some(income_loss),
            ..Answers::default()
        }
    }

    #[test]
    fn automatic_checks_decide_eligible_ineligible_or_review() {
        let c = campaign();
        assert_eq!(
            assess(&c, &answers(9_000, false), &[]).status,
            Status::Eligible
        );
        let review = assess(&c, &answers(9_000, true), &[]);
        assert_eq!(review.status, Status::NeedsReview);
        assert_eq!(review.review_rules.len(), 1);
        let out = assess(&c, &answers(18_000, true), &[]);
        assert_eq!(
            out.status,
            Status::Ineligible,
            "a broken rule wins over review"
        );
        assert_eq!(
            out.reasons[0].describe(Lang::It),
            "ISEE 18.000,00 € sopra la soglia di 15.000,00 €"
        );
        let twice = assess(
            &c,
            &answers(9_000, false),
            &[("c1".into(), "Affitti".into())],
        );
        assert_eq!(twice.status, Status::Ineligible);
        assert_eq!(
            twice.reasons[0].describe(Lang::It),
            "già beneficiario della misura «Affitti»"
        );
    }

    fn application(status: Status) -> Application {
        Application {
            campaign: "c".into(),
            tax_code: "RSSMRA85T10A562S".into(),
            full_name: "Mario Rossi".into(),
            user_id: Some("u1".into()),
            filed_by: "mario".into(),
            on_behalf: false,
            answers: answers(9_000, true),
            status,
            reasons: vec![],
            review_rules: vec![],
            question: None,
            answer: None,
            rejection: None,
            amount_cents: 40_000,
            rank: None,
            vouchers: vec![],
            history: vec![],
            submitted_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn the_review_moves_through_its_states_and_keeps_a_history() {
        let app = application(Status::NeedsReview);
        let asked = apply(
            &app,
            &Action::RequestInfo("ISEE aggiornato?".into()),
            "op",
            5,
            Lang::It,
        )
        .unwrap();
        assert_eq!(asked.status, Status::InfoRequested);
        assert_eq!(asked.question.as_deref(), Some("ISEE aggiornato?"));
        let answered = apply(
            &asked,
            &Action::Answer("Allegato".into()),
            "mario",
            6,
            Lang::It,
        )
        .unwrap();
        assert_eq!(answered.status, Status::NeedsReview);
        let approved = apply(&answered, &Action::Approve, "op", 7, Lang::It).unwrap();
        assert_eq!(approved.status, Status::Eligible);
        let steps: Vec<&str> = approved.history.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(steps, vec!["info_requested", "answered", "approved"]);
        let rejected = apply(
            &app,
            &Action::Reject("Documenti falsi".into()),
            "op",
            8,
            Lang::En,
        )
        .unwrap();
        assert_eq!(rejected.rejection.as_deref(), Some("Documenti falsi"));
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let eligible = application(Status::Eligible);
        assert_eq!(
            apply(&eligible, &Action::Approve, "op", 1, Lang::En)
                .unwrap_err()
                .status(),
            409
        );
        assert!(apply(&eligible, &Action::Answer("x".into()), "u", 1, Lang::En).is_err());
        let funded = application(Status::Beneficiary);
        assert!(apply(&funded, &Action::Reject("x".into()), "op", 1, Lang::En).is_err());
    }

    #[test]
    fn texts_must_not_be_empty_or_huge() {
        assert_eq!(
            check_text("reason", Some("  ok "), Lang::En),
            Ok("ok".into())
        );
        assert!(check_text("reason", Some("   "), Lang::En).is_err());
        assert!(check_text("reason", None, Lang::En).is_err());
        assert!(check_text("reason", Some(&"x".repeat(MAX_TEXT + 1)), Lang::En).is_err());
    }
}
