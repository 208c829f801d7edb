//! What a booking costs and who pays it: the person's welfare wallet first, the rest directly.
//!
//! When a person books a paid service themselves, the booking draws on their wallet
//! ([`trama_sdk::wallet`], host API 1.10) in the same call: the purses offered for the service's
//! category, from the owners in the order the instance sets (`wallet_owners`: public support
//! first, then company credit), and whatever they do not cover is paid directly to the provider.
//! The price drawn is an estimate made at booking — a request without a length counts one hour,
//! a shared service the share if the group stays at its minimum — and it only goes down later:
//! when the provider confirms a request with its real length or marks a shared service done,
//! the charge is lowered to the real price ([`settle`]), paying back the purses, and what the
//! real price exceeds the estimate by is paid directly. A declined or cancelled booking pays
//! everything back ([`release`]).
//!
//! What the purses pay lands in `owed/{provider}` in this plugin's books: what the credit
//! sources owe the provider, settled by the monthly statement ([`crate::settlement`]).

use serde::{Deserialize, Serialize};
use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::{Result, identity, wallet};

use crate::service::{PriceModel, Service};

/// Who pays a booking's amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// What the person pays the provider themselves, in cents.
    pub paid_directly_cents: i64,
    /// What each credit source (the plugin that offers the purse) owes the provider, in cents.
    #[serde(default)]
    pub sources: Vec<(String, i64)>,
    /// The wallet charge's key, when the wallet paid part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl Charge {
    pub fn total(&self) -> i64 {
        self.paid_directly_cents + self.from_credit()
    }

    /// What the credit sources pay, in cents.
    pub fn from_credit(&self) -> i64 {
        self.sources.iter().map(|(_, c)| c).sum::<i64>()
    }

    /// All paid directly, no wallet involved.
    fn direct(amount: i64) -> Self {
        Self {
            paid_directly_cents: amount,
            ..Self::default()
        }
    }

    /// The wallet's charge `charge` for a booking whose real price is `amount` (which may exceed
    /// what was charged: the difference is paid directly).
    fn from_wallet(charge: &wallet::Charge, amount: i64) -> Self {
        let mut sources: Vec<(String, i64)> = Vec::new();
        for draw in &charge.drawn {
            match sources.iter_mut().find(|(owner, _)| *owner == draw.owner) {
                Some((_, cents)) => *cents += draw.amount_cents,
                None => sources.push((draw.owner.clone(), draw.amount_cents)),
            }
        }
        let credit: i64 = sources.iter().map(|(_, c)| c).sum();
        Self {
            paid_directly_cents: amount - credit,
            sources,
            key: Some(charge.key.clone()),
        }
    }
}

/// The account of this plugin's books that receives what the credit sources pay a provider.
pub fn owed_account(provider: &str) -> String {
    format!("owed/{provider}")
}

/// The external account statements are paid out to.
pub const PAID_OUT: &str = "paid-out";

/// The amount of one booking of `service` lasting `minutes` (`None`: unknown, as for a request
/// confirmed without a length, counted as one hour), for one of `members` people sharing it.
/// Per hour is rounded to the cent; a shared price is split exactly: the first `rest` members
/// (by `position`, from 0) pay one cent more, so the shares add up to the whole.
pub fn amount(service: &Service, minutes: Option<u16>, members: u32, position: u32) -> i64 {
    let whole = match service.offer.price_model {
        PriceModel::Free => 0,
        PriceModel::Fixed | PriceModel::PerSession => service.offer.price_cents,
        PriceModel::PerHour => {
            let minutes = i64::from(minutes.unwrap_or(60));
            (service.offer.price_cents * minutes + 30) / 60
        }
    };
    if service.offer.group.is_none() || members <= 1 {
        return whole;
    }
    let members = i64::from(members);
    let base = whole / members;
    let rest = whole % members;
    base + i64::from(i64::from(position) < rest)
}

/// What is asked of the wallet for a booking: see [`draw`].
pub struct Ask<'a> {
    /// The booking's id and the version it was made at: a booking id comes back after a
    /// cancellation (one person, one seat of a slot), its charge must not.
    pub booking: &'a str,
    pub version: u64,
    /// The person the booking is for.
    pub person: &'a str,
    pub service: &'a Service,
    pub estimate: i64,
    /// Shown on the person's wallet page.
    pub memo: String,
}

/// The wallet charge of a booking: drawn only when the person is the one making the call (an
/// operator's call never spends someone's credit), for a paid service, when the instance names
/// wallet owners. Otherwise everything is paid directly.
/// The kernel keeps a charge's memo up to 500 bytes: `text` cut at a character boundary
/// within them, so a long title with accented letters never refuses the booking.
fn memo(text: &str) -> String {
    const MAX_BYTES: usize = 500;
    let mut end = text.len().min(MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

pub fn draw(ask: &Ask<'_>, owners: &[String]) -> Result<Charge> {
    let by_person = identity::caller().is_some_and(|user| user.id == ask.person);
    if ask.estimate <= 0 || owners.is_empty() || !by_person {
        return Ok(Charge::direct(ask.estimate));
    }
    let to = owed_account(&ask.service.provider);
    let request = wallet::ChargeRequest {
        category: ask.service.offer.category.clone(),
        amount_cents: ask.estimate,
        owners: owners.to_vec(),
        to: to.clone(),
        key: format!("booking/{}/v{}", ask.booking, ask.version),
        memo: memo(&ask.memo),
    };
    // A person with no credit for this category is not charged at all: their wallet lists
    // only what a purse paid.
    if wallet::quote(&request)?.drawn.is_empty() {
        return Ok(Charge::direct(ask.estimate));
    }
    ledger::open(&to, AccountKind::Funded)?;
    let charge = wallet::charge(&request)?;
    Ok(Charge::from_wallet(&charge, ask.estimate))
}

/// The charge of a booking whose real price is now `amount`: the wallet's share lowered to it
/// if it is less than what was drawn (the purses are paid back); what it exceeds the charge by
/// is paid directly.
pub fn settle(previous: &Charge, amount: i64) -> Result<Charge> {
    let Some(key) = &previous.key else {
        return Ok(Charge::direct(amount));
    };
    let charged = match wallet::get(key)? {
        Some(charge) if amount < charge.amount_cents => wallet::reprice(key, amount)?,
        Some(charge) => charge,
        None => return Ok(Charge::direct(amount)),
    };
    Ok(Charge::from_wallet(&charged, amount))
}

/// A booking declined or cancelled: the purses get everything back.
pub fn release(previous: &Charge) -> Result<Charge> {
    if let Some(key) = &previous.key {
        wallet::reprice(key, 0)?;
    }
    Ok(Charge::default())
}

/// What the caller's wallet would pay of `estimate` for `service`, for the page that offers a
/// booking: `(from credit, directly)`, or `None` when nobody is logged in or nothing is drawn.
pub fn preview(service: &Service, estimate: i64, owners: &[String]) -> Result<Option<(i64, i64)>> {
    if estimate <= 0 || owners.is_empty() || identity::caller().is_none() {
        return Ok(None);
    }
    let quote = wallet::quote(&wallet::ChargeRequest {
        category: service.offer.category.clone(),
        amount_cents: estimate,
        owners: owners.to_vec(),
        to: owed_account(&service.provider),
        key: "preview".to_owned(),
        memo: String::new(),
    })?;
    let credit = quote.from_credit_cents();
    Ok((credit > 0).then_some((credit, quote.uncovered_cents)))
}

#[cfg(test)]
mod tests {
    use super::memo;

    #[test]
    fn a_memo_fits_the_kernels_500_bytes_at_a_character_boundary() {
        let long = "Assistenza domiciliare · Cooperativa “Il Girasole” — ".repeat(20);
        let cut = memo(&long);
        assert!(cut.len() <= 500 && cut.len() > 490, "{}", cut.len());
        assert!(long.starts_with(&cut));
        assert_eq!(memo("Baby sitting"), "Baby sitting");
    }
}
