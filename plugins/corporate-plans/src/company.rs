//! Companies, the HR staff who act for them, and the money they deposit.
//!
//! **Who acts for a company.** The instance serves many companies, large and very small. The
//! cooperative's operator registers a company and gets a one-time *HR code*; whoever runs the
//! company's welfare (an account with the role `company_hr`, created by the instance's
//! administrator) enters it once, and from then on that account acts for that company only. A
//! company may have several HR accounts (the operator issues one code per person), but an
//! account belongs to one company: the link is a document keyed by the account id, created
//! with "must not exist". Every page and API call of a plan, an enrolment or a report checks
//! that the plan's company is the caller's and answers `404` otherwise — HR of one company
//! cannot even learn that another company's plan exists.
//!
//! **Money.** A company's money enters the books when the operator records a deposit (the
//! company's bank transfer to the cooperative): `company/{c}/deposits` (external) →
//! `company/{c}/account` (funded), under an idempotency key from the form's request id. Plans
//! draw their budgets from the account, and unspent credit returns to it when a plan expires,
//! ready for next year's plan.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind, TransferRequest};
use trama_sdk::money::format_cents;
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::web::Audience;
use trama_sdk::{Error, Result, audit, i18n, t};

use crate::accounts;

use crate::fields::{self, CODE_LEN, read_amount, read_reference, request_id, reused};
use crate::vat;
use trama_sdk::code;

pub const COMPANIES: Collection<Company> = Collection::new("companies");
pub const HR_CODES: Collection<HrCode> = Collection::new("hr_codes");
pub const HR_LINKS: Collection<HrLink> = Collection::new("hr_links");
pub const DEPOSITS: Collection<Deposit> = Collection::new("deposits");

/// The role of the people who run a company's welfare plans.
pub const HR_ROLE: &str = "company_hr";

/// The companies' HR offices: accounts with [`HR_ROLE`] (each acts for the one company whose
/// HR code it used).
pub const HR: Audience = Audience {
    roles: &[HR_ROLE],
    refusal: "corporate_plans.refusal.hr",
};

pub const JSON_FIELDS: &[&str] = &["name", "vat_number"];
pub const DEPOSIT_FIELDS: &[&str] = &["amount", "reference", "request_id"];

/// A company. `vat_number` and `created_at` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub name: String,
    pub vat_number: String,
    pub created_at: i64,
    pub created_by: String,
}

/// A one-time HR code, stored under the code itself (so two codes can never collide).
/// `company` is indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrCode {
    pub company: String,
    pub created_at: i64,
    pub created_by: String,
    /// The account that used it; a used code links nobody else.
    #[serde(default)]
    pub used_by: Option<String>,
}

/// An HR account's company, stored under the account id. `company` is indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrLink {
    pub company: String,
    pub username: String,
    pub display_name: String,
    pub linked_at: i64,
}

/// A deposit recorded by the operator, id `{company}.{request id}`. `company` and `at` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    pub company: String,
    pub amount_cents: i64,
    /// The bank transfer's reference (CRO/TRN).
    pub reference: String,
    pub at: i64,
    pub by: String,
    pub transfer_id: String,
    pub request_id: String,
}

/// The company `id`, or a 404 naming it.
pub fn load(id: &str) -> Result<Doc<Company>> {
    COMPANIES
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("corporate_plans.company.no_company", id = id)))
}

/// The money company `id` holds at the cooperative, in cents.
pub fn balance(id: &str) -> Result<i64> {
    accounts::balance(&accounts::company_account(id))
}

/// A new company from the operator's form, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    pub name: String,
    pub vat_number: String,
}

pub fn read_new(input: &Input) -> std::result::Result<NewCompany, Problems> {
    let mut problems = Problems::default();
    let name = fields::read_text(
        input,
        "name",
        2..=120,
        t!("corporate_plans.company.name"),
        &mut problems,
    );
    let vat_number = read_vat(input, &mut problems);
    problems.into_result(NewCompany { name, vat_number })
}

/// The `vat_number` field, checked; pushes a problem and returns "" when it is wrong.
pub fn read_vat(input: &Input, problems: &mut Problems) -> String {
    match input.one("vat_number") {
        None => {
            problems.push("vat_number", t!("corporate_plans.company.vat_required"));
            String::new()
        }
        Some(text) => vat::parse(text).unwrap_or_else(|err| {
            problems.push(
                "vat_number",
                t!(
                    "corporate_plans.company.vat_invalid",
                    text = text,
                    why = err.describe()
                ),
            );
            String::new()
        }),
    }
}

/// Registers a company and its first HR code; a VAT number already registered is a `409`.
pub fn register(new: NewCompany, actor: &User, now: i64) -> Result<(Doc<Company>, String)> {
    let taken = COMPANIES
        .query()
        .filter("vat_number", Cmp::Eq, new.vat_number.as_str())
        .limit(1)
        .fetch()?;
    if let Some(existing) = taken.first() {
        return Err(vat_taken(&new.vat_number, &existing.data.name));
    }
    let doc = COMPANIES.insert(Company {
        name: new.name,
        vat_number: new.vat_number,
        created_at: now,
        created_by: actor.username.clone(),
    })?;
    ledger::open(&accounts::company_deposits(&doc.id), AccountKind::External)?;
    ledger::open(&accounts::company_account(&doc.id), AccountKind::Funded)?;
    audit::record(
        "company.registered",
        &doc.id,
        &serde_json::json!({ "name": doc.data.name, "vat_number": doc.data.vat_number }),
    )?;
    let code = issue_hr_code(&doc.id, actor, now)?;
    Ok((doc, code))
}

/// A fresh one-time HR code for `company`, stored under the code itself so that two codes
/// can never collide.
pub fn issue_hr_code(company: &str, actor: &User, now: i64) -> Result<String> {
    let doc = code::create_unique(&HR_CODES, CODE_LEN, |_| HrCode {
        company: company.to_owned(),
        created_at: now,
        created_by: actor.username.clone(),
        used_by: None,
    })?;
    audit::record(
        "company.hr_code_issued",
        company,
        &serde_json::json!({ "by": actor.username }),
    )?;
    Ok(doc.id)
}

/// The HR codes of `company` not used yet, for the operator to hand out again.
pub fn unused_codes(company: &str) -> Result<Vec<String>> {
    Ok(HR_CODES
        .query()
        .filter("company", Cmp::Eq, company)
        .limit(100)
        .fetch()?
        .into_iter()
        .filter(|doc| doc.data.used_by.is_none())
        .map(|doc| doc.id)
        .collect())
}

/// The HR accounts linked to `company`.
pub fn hr_staff(company: &str) -> Result<Vec<Doc<HrLink>>> {
    HR_LINKS
        .query()
        .filter("company", Cmp::Eq, company)
        .limit(200)
        .fetch()
}

/// The company the caller acts for: they must hold the role `company_hr` and have used an
/// HR code. `Forbidden` otherwise, saying which of the two is missing.
pub fn require_hr() -> Result<(User, Doc<Company>)> {
    let user = HR.require(i18n::current())?;
    let Some(link) = HR_LINKS.get(&user.id)? else {
        return Err(Error::forbidden(t!("corporate_plans.company.not_linked")));
    };
    let company = load(&link.data.company)?;
    Ok((user, company))
}

/// The company of the caller, if they are HR and linked (for pages that adapt to it).
pub fn hr_company_of(user: &User) -> Result<Option<Doc<Company>>> {
    if !HR.admits() {
        return Ok(None);
    }
    match HR_LINKS.get(&user.id)? {
        Some(link) => COMPANIES.get(&link.data.company),
        None => Ok(None),
    }
}

/// Links the caller (role `company_hr`) to the company of `text`, a one-time HR code.
pub fn claim(user: &User, text: &str, now: i64) -> Result<Doc<Company>> {
    if !HR.admits() {
        return Err(Error::forbidden(t!("corporate_plans.company.only_hr")));
    }
    if let Some(link) = HR_LINKS.get(&user.id)? {
        let company = load(&link.data.company)?;
        return Err(Error::conflict(t!(
            "corporate_plans.company.already_linked",
            company = company.data.name
        )));
    }
    let code =
        code::normalize(text, CODE_LEN).map_err(|err| err.into_error(text, i18n::current()))?;
    let unknown = || Error::not_found(t!("corporate_plans.company.no_hr_code", code = text));
    let found = HR_CODES.get(&code)?.ok_or_else(unknown)?;
    if found.data.used_by.is_some() {
        return Err(unknown());
    }
    let company = load(&found.data.company)?;
    let mut used = found.data.clone();
    used.used_by = Some(user.id.clone());
    let mut batch = Batch::new();
    // Both or neither: a code used twice at once links one account, and an account cannot be
    // linked twice.
    batch.put_if_version(&HR_CODES, &code, &used, found.version);
    batch.create(
        &HR_LINKS,
        &user.id,
        &HrLink {
            company: company.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            linked_at: now,
        },
    );
    batch.commit().map_err(|err| match err {
        Error::Conflict(_) => Error::conflict(t!("corporate_plans.company.code_just_used")),
        other => other,
    })?;
    audit::record(
        "company.hr_linked",
        &company.id,
        &serde_json::json!({ "user_id": user.id, "username": user.username }),
    )?;
    Ok(company)
}

/// The `409` for a VAT number already registered, naming who holds it: a company or a
/// provider is registered once.
pub fn vat_taken(number: &str, holder: &str) -> Error {
    Error::conflict(t!(
        "corporate_plans.company.vat_taken",
        number = number,
        holder = holder
    ))
}

/// A deposit from the operator's form, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeposit {
    pub amount_cents: i64,
    pub reference: String,
    pub request_id: String,
}

pub fn read_deposit(input: &Input) -> std::result::Result<NewDeposit, Problems> {
    let mut problems = Problems::default();
    let amount_cents = read_amount(input, "amount", &mut problems);
    let reference = read_reference(input, &mut problems);
    let request_id = request_id(input, &mut problems);
    problems.into_result(NewDeposit {
        amount_cents,
        reference,
        request_id,
    })
}

/// Records a deposit: `company/{c}/deposits` → `company/{c}/account`. Replaying the request id
/// returns the first deposit (reusing it for another amount is a `409`).
pub fn deposit(company: &str, new: NewDeposit, actor: &User, now: i64) -> Result<Doc<Deposit>> {
    let company_doc = load(company)?;
    let id = format!("{company}.{}", new.request_id);
    if let Some(done) = DEPOSITS.get(&id)? {
        if done.data.amount_cents != new.amount_cents {
            return Err(reused());
        }
        return Ok(done);
    }
    let transfer = ledger::transfer(
        &TransferRequest::new(
            accounts::company_deposits(company),
            accounts::company_account(company),
            new.amount_cents,
            format!("deposit/{company}/{}", new.request_id),
        )
        .memo(format!("deposit {}", new.reference)),
    )
    .map_err(|err| match err {
        trama_sdk::ledger::LedgerError::Conflict(_) => reused(),
        other => other.into(),
    })?;
    let deposit = Deposit {
        company: company.to_owned(),
        amount_cents: transfer.amount_cents,
        reference: new.reference,
        at: now,
        by: actor.username.clone(),
        transfer_id: transfer.id,
        request_id: new.request_id,
    };
    let doc = match DEPOSITS.create(&id, deposit) {
        Ok(doc) => doc,
        Err(Error::Conflict(_)) => DEPOSITS
            .get(&id)?
            .ok_or_else(|| Error::internal(format!("deposit {id} vanished")))?,
        Err(err) => return Err(err),
    };
    audit::record(
        "company.deposit",
        company,
        &serde_json::json!({
            "company": company_doc.data.name,
            "amount_cents": doc.data.amount_cents,
            "reference": doc.data.reference,
        }),
    )?;
    Ok(doc)
}

/// A company as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyView {
    pub id: String,
    pub name: String,
    pub vat_number: String,
    pub balance_cents: i64,
    pub balance_text: String,
}

impl CompanyView {
    pub fn new(doc: &Doc<Company>, lang: Lang) -> Result<Self> {
        let balance_cents = balance(&doc.id)?;
        Ok(Self {
            id: doc.id.clone(),
            name: doc.data.name.clone(),
            vat_number: doc.data.vat_number.clone(),
            balance_cents,
            balance_text: format_cents(balance_cents, lang),
        })
    }
}

/// A deposit as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct DepositView {
    pub id: String,
    pub amount_cents: i64,
    pub amount_text: String,
    pub reference: String,
    pub at_utc: String,
    pub by: String,
}

impl DepositView {
    pub fn new(doc: &Doc<Deposit>, lang: Lang) -> Self {
        Self {
            id: doc.id.clone(),
            amount_cents: doc.data.amount_cents,
            amount_text: format_cents(doc.data.amount_cents, lang),
            reference: doc.data.reference.clone(),
            at_utc: trama_sdk::clock::DateTime::from_unix_ms(doc.data.at).to_string(),
            by: doc.data.by.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_company_form_names_every_wrong_field() {
        let input = Input::from_pairs(&[
            ("name".into(), "A".into()),
            ("vat_number".into(), "01234567890".into()),
        ]);
        trama_sdk::i18n::set_locale("en");
        let problems = read_new(&input).unwrap_err();
        trama_sdk::i18n::set_locale("it");
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "vat_number"]);
        assert!(
            problems
                .for_field("vat_number")
                .is_some_and(|m| m.contains("check digit"))
        );
        let problems = read_new(&input).unwrap_err();
        assert_eq!(
            problems.for_field("vat_number"),
            Some(
                "«01234567890» non è una partita IVA valida: la cifra di controllo non corrisponde: controlla di averla scritta bene"
            )
        );
    }

    #[test]
    fn a_deposit_needs_an_amount_a_reference_and_a_request_id() {
        let input = Input::from_pairs(&[
            ("amount".into(), "10.000,00".into()),
            ("reference".into(), "TRN 0001".into()),
            ("request_id".into(), "0123456789abcdef".into()),
        ]);
        assert_eq!(
            read_deposit(&input),
            Ok(NewDeposit {
                amount_cents: 1_000_000,
                reference: "TRN 0001".into(),
                request_id: "0123456789abcdef".into(),
            })
        );
        let problems = read_deposit(&Input::default()).unwrap_err();
        assert_eq!(problems.0.len(), 3);
    }
}
