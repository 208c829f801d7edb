//! What a booking costs and who pays it: the seam where the welfare wallet will plug in.
//!
//! Today the person pays the provider directly, and the plugin records the amount (integer
//! cents) when the provider confirms, and again, for a shared service whose group may have
//! grown, when it marks the service done. Issue 23 asks for one wallet per person drawing on
//! earmarked credits (vouchers, company plans) in a defined order; that needs kernel purses
//! that another plugin may charge under a capability. When those exist, [`charge`] is the one
//! function to change: it will return, besides what the person pays directly, the share of each
//! credit source, and the settlement already has a column per source (see
//! [`crate::settlement`]).

use serde::{Deserialize, Serialize};

use crate::service::{PriceModel, Service};

/// Who pays a booking's amount: today all of it is paid directly to the provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// What the person pays the provider themselves, in cents.
    pub paid_directly_cents: i64,
    /// What each credit source owes the provider, in cents, by source key (none yet).
    #[serde(default)]
    pub sources: Vec<(String, i64)>,
}

impl Charge {
    pub fn total(&self) -> i64 {
        self.paid_directly_cents + self.sources.iter().map(|(_, c)| c).sum::<i64>()
    }
}

/// The amount of one booking of `service` lasting `minutes` (`None`: unknown, as for a request
/// confirmed without a length, counted as one hour), for one of `members` people sharing it.
/// Per hour is rounded to the cent; a shared price is split exactly: the first `rest` members
/// (by `position`, from 0) pay one cent more, so the shares add up to the whole.
pub fn amount(service: &Service, minutes: Option<u16>, members: u32, position: u32) -> i64 {
    let whole = match service.price_model {
        PriceModel::Free => 0,
        PriceModel::Fixed | PriceModel::PerSession => service.price_cents,
        PriceModel::PerHour => {
            let minutes = i64::from(minutes.unwrap_or(60));
            (service.price_cents * minutes + 30) / 60
        }
    };
    if service.group.is_none() || members <= 1 {
        return whole;
    }
    let members = i64::from(members);
    let base = whole / members;
    let rest = whole % members;
    base + i64::from(i64::from(position) < rest)
}

/// Who pays `amount`: the seam for the wallet. Today: the person, directly.
pub fn charge(amount: i64) -> Charge {
    Charge {
        paid_directly_cents: amount,
        sources: Vec::new(),
    }
}
