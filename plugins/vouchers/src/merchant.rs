//! Merchants: the shops where vouchers are spent, what each is owed, and its reimbursements.
//!
//! **Linking a shop to a person.** The kernel's identity API finds accounts by id only, and
//! operators do not know account ids, so an operator who registers a shop gets a one-time
//! *claim code* (8 characters) to hand to the shopkeeper; the shopkeeper, logged in with the
//! `merchant` role, enters it once and their account becomes the shop's. The code is cleared
//! when used, so it cannot link a second account. Shops accredited by the `admissions` plugin
//! arrive already linked: its `admissions.provider_accredited` event carries the user id.
//!
//! **Events** from `admissions` are applied idempotently and in order by
//! `trama_contracts::registry`, which `corporate-plans` uses too: a merchant is the
//! [`Mirror`] of an admissions provider. An expired accreditation stops the shop like a
//! suspension, until a renewal accredits it again.
//!
//! **Money.** Redemptions move money from vouchers into `merchant/{id}/owed` (funded, so never
//! below zero); a reimbursement moves it from there to the external `payouts` account with the
//! bank transfer's reference, under an idempotency key from the form, so a double-clicked
//! "paid" button pays once.

use serde::{Deserialize, Serialize};
use trama_contracts::admissions::{ProviderAccredited, ProviderEvent};
use trama_contracts::registry::{self, Mirror, Update};
use trama_sdk::checked::IntoResult;
use trama_sdk::events::Event;
use trama_sdk::fiscal;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::money::{self, format_cents};
use trama_sdk::payout::{self, Paid, Payment, Payout, Refusal};
use trama_sdk::store::{Batch, Cmp, Collection, Doc};
use trama_sdk::{Error, Result, audit, i18n, t};

use trama_sdk::claim::{self, Link};

pub const MERCHANTS: Collection<Merchant> = Collection::new("merchants");
pub const REIMBURSEMENTS: Collection<Reimbursement> = Collection::new("reimbursements");

/// The external account reimbursements are paid into (the merchants' bank accounts, outside
/// the books).
pub const PAYOUTS: &str = "payouts";

/// Members of a merchant in JSON.
pub const JSON_FIELDS: &[&str] = &["name", "vat_number", "address"];
/// Members of a reimbursement in JSON.
pub const REIMBURSE_FIELDS: &[&str] = &["amount", "reference", "request_id"];

trama_sdk::choices! {
    pub enum MerchantStatus {
        Active = "active" => "vouchers.merchant_status.active",
        Suspended = "suspended" => "vouchers.merchant_status.suspended",
        Revoked = "revoked" => "vouchers.merchant_status.revoked",
    }
}

pub use trama_contracts::registry::{Source, Stamp, Stamps};

/// A merchant as stored. `user_id`, `claim_code`, `vat_number` and `status` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    pub name: String,
    pub vat_number: String,
    #[serde(default)]
    pub address: String,
    /// The shopkeeper's account, and the code that links it.
    #[serde(flatten)]
    pub link: Link,
    pub status: MerchantStatus,
    pub source: Source,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(flatten)]
    pub stamps: Stamps,
    pub created_at: i64,
}

/// A reimbursement paid to a merchant. `merchant` and `paid_at` are indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reimbursement {
    pub merchant: String,
    pub amount_cents: i64,
    /// The bank transfer's reference (CRO/TRN).
    pub reference: String,
    pub paid_at: i64,
    pub paid_by: String,
    pub transfer_id: String,
    pub request_id: String,
}

impl Paid for Reimbursement {
    fn amount_cents(&self) -> i64 {
        self.amount_cents
    }
}

/// What a merchant is owed: redemptions not yet reimbursed.
pub fn owed_account(id: &str) -> String {
    format!("merchant/{id}/owed")
}

/// The balance owed to merchant `id`, in cents (0 before the first redemption).
pub fn owed(id: &str) -> Result<i64> {
    Ok(ledger::get(&owed_account(id))?.map_or(0, |a| a.balance_cents))
}

/// The merchant `id`, or a 404 that names it.
pub fn load(id: &str) -> Result<Doc<Merchant>> {
    MERCHANTS
        .get(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.merchant.not_found", id = id)))
}

/// The merchant linked to `user`, if any.
pub fn of_user(user: &User) -> Result<Option<Doc<Merchant>>> {
    Ok(MERCHANTS
        .query()
        .filter("user_id", Cmp::Eq, user.id.as_str())
        .limit(1)
        .fetch()?
        .into_iter()
        .next())
}

/// A request id from a form or JSON: what makes a retried payment or redemption idempotent
/// (the SDK's rule, this plugin's message).
pub fn request_id(input: &Input, problems: &mut Problems) -> String {
    input.request_id(problems, || t!("vouchers.problems.request_id"))
}

/// A new merchant from an operator's form, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMerchant {
    pub name: String,
    pub vat_number: String,
    pub address: String,
}

/// Reads a new merchant; every problem is named by its field, in the caller's language.
pub fn read_new(input: &Input) -> std::result::Result<NewMerchant, Problems> {
    let mut problems = Problems::default();
    let name = input.one("name").unwrap_or_default().to_owned();
    if !(2..=120).contains(&name.chars().count()) {
        problems.push("name", t!("vouchers.problems.business_name"));
    }
    let vat_number = match input.one("vat_number") {
        None => {
            problems.push("vat_number", t!("vouchers.problems.vat_required"));
            String::new()
        }
        Some(text) => fiscal::vat_number(text).unwrap_or_else(|err| {
            problems.push(
                "vat_number",
                t!(
                    "vouchers.problems.vat_invalid",
                    text = text,
                    // The SDK's sentence, in the caller's language.
                    problem = err.describe(i18n::current()),
                ),
            );
            String::new()
        }),
    };
    let address = input.one("address").unwrap_or_default().to_owned();
    if !(3..=200).contains(&address.chars().count()) {
        problems.push("address", t!("vouchers.problems.address"));
    }
    problems.into_result(NewMerchant {
        name,
        vat_number,
        address,
    })
}

/// Registers a merchant with a fresh claim code; a VAT number already registered is a `409`.
pub fn register(new: NewMerchant, now: i64) -> Result<Doc<Merchant>> {
    let taken = MERCHANTS
        .query()
        .filter("vat_number", Cmp::Eq, new.vat_number.as_str())
        .limit(1)
        .fetch()?;
    if let Some(existing) = taken.first() {
        return Err(Error::conflict(t!(
            "vouchers.merchant.vat_taken",
            vat_number = new.vat_number,
            name = existing.data.name,
        )));
    }
    let merchant = Merchant {
        name: new.name,
        vat_number: new.vat_number,
        address: new.address,
        link: Link::pending(CLAIM_CODES.draw()),
        status: MerchantStatus::Active,
        source: Source::Operator,
        provider_id: None,
        categories: Vec::new(),
        stamps: Stamps::local(now),
        created_at: now,
    };
    let doc = MERCHANTS.insert(merchant)?;
    ledger::open(&owed_account(&doc.id), AccountKind::Funded)?;
    audit::record(
        "merchant.registered",
        &doc.id,
        &serde_json::json!({ "name": doc.data.name, "vat_number": doc.data.vat_number }),
    )?;
    Ok(doc)
}

/// A merchant's one-time claim code.
pub const CLAIM_CODES: claim::Codes = claim::Codes {
    field: "claim_code",
    len: 8,
    unmatched: "vouchers.claim.no_merchant_code",
    audit: "merchant.claimed",
};

trama_sdk::claimable!(Merchant, link);

/// Links the caller's account to the merchant holding the code `typed`.
pub fn claim(user: &User, typed: &str) -> Result<Doc<Merchant>> {
    if let Some(mine) = of_user(user)? {
        return Err(Error::conflict(t!(
            "vouchers.merchant.already_linked",
            name = mine.data.name,
        )));
    }
    // The SDK's refusals (a malformed or unknown code) in the caller's language.
    let lang = i18n::current();
    claim::redeem(&MERCHANTS, &CLAIM_CODES, typed, user, lang)
}

/// An operator suspends or reactivates a merchant.
pub fn set_status(id: &str, status: MerchantStatus, now: i64) -> Result<Doc<Merchant>> {
    let action = format!("merchant.{}", status.key());
    registry::set_status_locally(&MERCHANTS, load(id)?, now, |m| m.status = status, &action)
}

/// The merchant id of an admissions provider.
pub fn provider_merchant_id(provider_id: &str) -> String {
    format!("adm-{provider_id}")
}

impl Mirror for Merchant {
    fn placeholder(event: &ProviderEvent, at: i64) -> Self {
        Merchant {
            name: event.display_name().to_owned(),
            vat_number: String::new(),
            address: String::new(),
            link: Link::default(),
            status: MerchantStatus::Suspended,
            source: Source::Admissions,
            provider_id: Some(event.provider_id().to_owned()),
            categories: Vec::new(),
            stamps: Stamps::default(),
            created_at: at,
        }
    }

    fn stamps(&mut self) -> &mut Stamps {
        &mut self.stamps
    }

    fn set_details(&mut self, accredited: &ProviderAccredited) {
        if !accredited.legal_name.trim().is_empty() {
            self.name = accredited.legal_name.clone();
        }
        if let Some(vat) = &accredited.vat_number {
            self.vat_number = fiscal::vat_number(vat).unwrap_or_else(|_| vat.clone());
        }
        self.address = accredited.address.clone();
        self.link.user_id = Some(accredited.user_id.clone());
        self.categories = accredited.categories.clone();
    }

    fn set_status(&mut self, event: &ProviderEvent) {
        self.status = match event {
            ProviderEvent::Accredited(_) => MerchantStatus::Active,
            ProviderEvent::Suspended(_) | ProviderEvent::Expired(_) => MerchantStatus::Suspended,
            ProviderEvent::Revoked(_) => MerchantStatus::Revoked,
        };
    }
}

/// Handles an admissions event (see the module documentation); a conflict (two deliveries at
/// once) is retried by the kernel's redelivery.
pub fn on_provider_event(event: &Event) -> Result<()> {
    let Some(update) = Update::read(&MERCHANTS, event, provider_merchant_id)? else {
        return Ok(());
    };
    ledger::open(&owed_account(&update.id), AccountKind::Funded)?;
    let status = update.applied.record.status.key();
    update.commit(&MERCHANTS, Batch::new(), ("merchant", status), event)
}

/// Reads a payment; every problem is named by its field, in the caller's language.
pub fn read_payment(input: &Input) -> std::result::Result<Payment, Problems> {
    let mut problems = Problems::default();
    let amount_cents = match input.one("amount") {
        None => None,
        Some(text) => match money::parse_euros(text) {
            Ok(0) => {
                problems.push("amount", t!("vouchers.problems.amount_zero"));
                None
            }
            Ok(cents) => Some(cents),
            Err(err) => {
                // The SDK's sentence, in the caller's language.
                problems.push("amount", err.describe(text, i18n::current()));
                None
            }
        },
    };
    let reference = input.one("reference").unwrap_or_default().to_owned();
    if !(3..=100).contains(&reference.chars().count()) {
        problems.push("reference", t!("vouchers.problems.reference"));
    }
    let request_id = request_id(input, &mut problems);
    problems.into_result(Payment {
        amount_cents,
        reference,
        request_id,
    })
}

/// Pays merchant `id`: `merchant/{id}/owed` → `payouts`, once per request id (see
/// [`trama_sdk::payout`]). Asking for more than is owed is a `409` that says how much is (in
/// the caller's language, the amounts formatted for `lang`).
pub fn reimburse(
    id: &str,
    payment: Payment,
    actor: &User,
    now: i64,
    lang: Lang,
) -> Result<Doc<Reimbursement>> {
    let merchant = load(id)?;
    let name = &merchant.data.name;
    ledger::open(PAYOUTS, AccountKind::External)?;
    let payout = Payout {
        from: &owed_account(id),
        to: PAYOUTS,
        requested: payment.amount_cents,
        transfer_key: format!("reimburse/{id}/{}", payment.request_id),
        memo: format!("reimbursement {}", payment.reference),
    };
    let refuse = |refusal| match refusal {
        Refusal::Reused => Error::conflict(t!("vouchers.merchant.request_reused")),
        Refusal::NothingOwed => Error::invalid(t!("vouchers.merchant.nothing_owed", name = name)),
        Refusal::OwedLess {
            owed_cents,
            amount_cents,
        } => Error::conflict(t!(
            "vouchers.merchant.owed_less",
            name = name,
            owed = format_cents(owed_cents, lang),
            amount = format_cents(amount_cents, lang),
        )),
        Refusal::TransferKeyUsed(message) => Error::Conflict(message),
    };
    let doc_id = format!("{id}-{}", payment.request_id);
    let doc = payout::pay(
        &REIMBURSEMENTS,
        &doc_id,
        "reimbursement",
        &payout,
        refuse,
        |transfer| Reimbursement {
            merchant: id.to_owned(),
            amount_cents: transfer.amount_cents,
            reference: payment.reference,
            paid_at: now,
            paid_by: actor.username.clone(),
            transfer_id: transfer.id,
            request_id: payment.request_id,
        },
    )?;
    audit::record(
        "merchant.reimbursed",
        id,
        &serde_json::json!({
            "amount_cents": doc.data.amount_cents,
            "reference": doc.data.reference,
            "reimbursement": doc.id,
        }),
    )?;
    Ok(doc)
}

/// The total reimbursed to merchant `id`, in cents.
pub fn reimbursed(id: &str) -> Result<i64> {
    Ok(REIMBURSEMENTS
        .query()
        .filter("merchant", Cmp::Eq, id)
        .fetch_all()?
        .iter()
        .map(|d| d.data.amount_cents)
        .sum())
}

/// A merchant as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct MerchantView {
    pub id: String,
    pub name: String,
    pub vat_number: String,
    pub address: String,
    pub status: MerchantStatus,
    pub status_label: String,
    pub source: Source,
    pub linked: bool,
    /// Shown to operators until the shopkeeper uses it.
    pub claim_code: Option<String>,
    pub owed_cents: i64,
    pub owed_text: String,
}

impl MerchantView {
    pub fn new(doc: &Doc<Merchant>, owed_cents: i64, lang: Lang) -> Self {
        Self {
            id: doc.id.clone(),
            name: doc.data.name.clone(),
            vat_number: doc.data.vat_number.clone(),
            address: doc.data.address.clone(),
            status: doc.data.status,
            status_label: doc.data.status.label(),
            source: doc.data.source,
            linked: doc.data.link.is_linked(),
            claim_code: doc.data.link.claim_code.clone(),
            owed_cents,
            owed_text: format_cents(owed_cents, lang),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trama_contracts::admissions::examples;
    use trama_contracts::registry::{Stamp, apply};

    fn accredited() -> ProviderEvent {
        ProviderEvent::Accredited(examples::accredited("p1", "Alimentari Rossi srl"))
    }

    #[test]
    fn an_accreditation_creates_an_active_linked_merchant() {
        let first = apply::<Merchant>(None, &accredited(), &Stamp::new(10, "e1"))
            .unwrap()
            .record;
        assert_eq!(first.status, MerchantStatus::Active);
        assert_eq!(first.link.user_id.as_deref(), Some("u9"));
        assert_eq!(first.name, "Alimentari Rossi srl");
        assert_eq!(first.source, Source::Admissions);
        assert_eq!(first.provider_id.as_deref(), Some("p1"));
    }

    #[test]
    fn an_expired_accreditation_stops_the_shop_until_renewed() {
        let active = apply::<Merchant>(None, &accredited(), &Stamp::new(10, "e1"))
            .unwrap()
            .record;
        let expired = ProviderEvent::Expired(examples::status_change("p1"));
        let stopped = apply(Some(&active), &expired, &Stamp::new(20, "e2"))
            .unwrap()
            .record;
        assert_eq!(stopped.status, MerchantStatus::Suspended);
        let renewed = apply(Some(&stopped), &accredited(), &Stamp::new(30, "e3"))
            .unwrap()
            .record;
        assert_eq!(renewed.status, MerchantStatus::Active);
        let revoked = ProviderEvent::Revoked(examples::status_change("p1"));
        let gone = apply(Some(&renewed), &revoked, &Stamp::new(40, "e4"))
            .unwrap()
            .record;
        assert_eq!(gone.status, MerchantStatus::Revoked);
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let input = Input::from_pairs(&[
            ("name".into(), "Bar".into()),
            ("vat_number".into(), "01234567890".into()),
            ("address".into(), "Via Roma 1".into()),
        ]);
        // The SDK's explanation follows the caller's language.
        trama_sdk::i18n::set_locale("en");
        let problems = read_new(&input).unwrap_err();
        trama_sdk::i18n::set_locale("it");
        assert_eq!(problems.0.len(), 1);
        assert!(
            problems
                .for_field("vat_number")
                .unwrap()
                .contains("check character")
        );
        let input = Input::from_pairs(&[
            ("reference".into(), "TRN123".into()),
            ("request_id".into(), "abc".into()),
            ("amount".into(), "0".into()),
        ]);
        let problems = read_payment(&input).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["amount", "request_id"]);
    }
}
