//! Paying providers: the cooperative owes each provider what employees bought from it
//! (`provider/{id}/owed`), and the operator records the bank transfers that settle it
//! (`provider/{id}/owed` → `payouts/providers`), under an idempotency key from the form, so a
//! double-clicked "paid" pays once.

use serde::{Deserialize, Serialize};
use trama_sdk::checked::IntoResult;
use trama_sdk::i18n::Lang;
use trama_sdk::identity::User;
use trama_sdk::input::{Input, Problems};
use trama_sdk::money::format_cents;
use trama_sdk::payout::{self, Paid, Payment, Payout, Refusal};
use trama_sdk::store::{Collection, Doc};
use trama_sdk::{Error, Result, audit, t};

use crate::accounts;
use crate::fields::{self, read_amount, read_reference};
use crate::provider::load;

pub const PROVIDER_PAYMENTS: Collection<ProviderPayment> = Collection::new("provider_payments");

pub const PAY_FIELDS: &[&str] = &["amount", "reference", "request_id"];

/// A payment to a provider, id `{provider}.{request id}`. `provider` and `paid_at` are
/// indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderPayment {
    pub provider: String,
    pub amount_cents: i64,
    pub reference: String,
    pub paid_at: i64,
    pub paid_by: String,
    pub transfer_id: String,
}

impl Paid for ProviderPayment {
    fn amount_cents(&self) -> i64 {
        self.amount_cents
    }
}

pub fn read_payment(input: &Input) -> std::result::Result<Payment, Problems> {
    let mut problems = Problems::default();
    let amount_cents = input
        .one("amount")
        .map(|_| read_amount(input, "amount", &mut problems));
    let reference = read_reference(input, &mut problems);
    let request_id = fields::request_id(input, &mut problems);
    problems.into_result(Payment {
        amount_cents,
        reference,
        request_id,
    })
}

/// Pays provider `id` (`provider/{id}/owed` → `payouts/providers`); without an amount,
/// everything owed. Replaying the request id returns the first payment (see
/// [`trama_sdk::payout`]).
pub fn pay(
    id: &str,
    payment: Payment,
    actor: &User,
    now: i64,
    lang: Lang,
) -> Result<Doc<ProviderPayment>> {
    let provider = load(id)?;
    let name = &provider.data.legal_name;
    let payout = Payout {
        from: &accounts::provider_owed(id),
        to: accounts::PROVIDER_PAYOUTS,
        requested: payment.amount_cents,
        transfer_key: format!("pay/{id}/{}", payment.request_id),
        memo: format!("payment {}", payment.reference),
    };
    let refuse = |refusal| match refusal {
        Refusal::Reused | Refusal::TransferKeyUsed(_) => fields::reused(),
        Refusal::NothingOwed => {
            Error::invalid(t!("corporate_plans.payout.nothing_owed", provider = name))
        }
        Refusal::OwedLess {
            owed_cents,
            amount_cents,
        } => Error::conflict(t!(
            "corporate_plans.payout.owed_less",
            provider = name,
            owed = format_cents(owed_cents, lang),
            amount = format_cents(amount_cents, lang)
        )),
    };
    let doc_id = format!("{id}.{}", payment.request_id);
    let doc = payout::pay(
        &PROVIDER_PAYMENTS,
        &doc_id,
        "payment",
        &payout,
        refuse,
        |transfer| ProviderPayment {
            provider: id.to_owned(),
            amount_cents: transfer.amount_cents,
            reference: payment.reference,
            paid_at: now,
            paid_by: actor.username.clone(),
            transfer_id: transfer.id,
        },
    )?;
    audit::record(
        "provider.paid",
        id,
        &serde_json::json!({ "amount_cents": doc.data.amount_cents, "reference": doc.data.reference }),
    )?;
    Ok(doc)
}
