//! The operators' figures: applications by status, and money per campaign and per merchant,
//! read from the ledger (the truth about money) and counted in the store.
//!
//! Per campaign: the **budget** as decided; **issued** (committed to vouchers, or to transfer
//! orders) is what left the budget account; **spent** is the memorandum total of redemptions
//! at shops (see [`crate::redeem`]) and of bookings paid through the welfare wallet, less what
//! they paid back (see [`crate::purse`]), or for a campaign paying by transfer what the treasury paid
//! ([`crate::transfer`]); **outstanding** is issued minus spent, still on vouchers or awaiting
//! the treasury; **remaining** is what the budget
//! account holds. Per merchant: **redeemed** is what it is owed plus what was reimbursed.
//!
//! Nothing here scans applications or redemptions: the counts by status come from
//! [`crate::tally`] and the money from the ledger, so the page stays fast at 100,000
//! applications.

use serde::Serialize;
use trama_sdk::Result;
use trama_sdk::clock::Date;
use trama_sdk::i18n::Lang;
use trama_sdk::ledger;
use trama_sdk::money::format_cents;

use crate::application::Status;
use crate::campaign::{CAMPAIGNS, budget_account};
use crate::merchant::{self, MERCHANTS};
use crate::tally;
use crate::voucher;

/// Most campaigns and merchants the dashboard lists.
const LIMIT: u32 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: &'static str,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Money {
    pub cents: i64,
    pub text: String,
}

impl Money {
    fn new(cents: i64, lang: Lang) -> Self {
        Self {
            cents,
            text: format_cents(cents, lang),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignFigures {
    pub id: String,
    pub title: String,
    pub phase: String,
    pub applications: u64,
    pub by_status: Vec<StatusCount>,
    pub budget: Money,
    pub issued: Money,
    pub spent: Money,
    pub outstanding: Money,
    pub remaining: Money,
    /// Whether the budget reached the ledger (it always should; see `campaign::fund`).
    pub funded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MerchantFigures {
    pub id: String,
    pub name: String,
    pub status: String,
    pub redeemed: Money,
    pub owed: Money,
    pub reimbursed: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub budget: Money,
    pub issued: Money,
    pub spent: Money,
    pub outstanding: Money,
    pub remaining: Money,
    pub owed: Money,
    pub reimbursed: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub campaigns: Vec<CampaignFigures>,
    pub merchants: Vec<MerchantFigures>,
    pub totals: Totals,
}

pub fn build(today: Date, lang: Lang) -> Result<Dashboard> {
    let mut campaigns = Vec::new();
    let (mut budget_t, mut issued_t, mut spent_t, mut remaining_t) = (0, 0, 0, 0);
    for doc in CAMPAIGNS
        .query()
        .order_by_desc("created_at")
        .limit(LIMIT)
        .fetch()?
    {
        let counts = tally::counts(&doc.id)?;
        let applications = counts.values().sum();
        let by_status = Status::ALL
            .iter()
            .map(|status| StatusCount {
                status: status.key(),
                label: status.label(),
                count: counts.get(status).copied().unwrap_or(0),
            })
            .collect();
        let account = ledger::get(&budget_account(&doc.id))?;
        let funded = account.is_some();
        let remaining = account.map_or(0, |a| a.balance_cents);
        let issued = if funded {
            doc.data.budget_cents - remaining
        } else {
            0
        };
        let spent = if doc.data.payment.method == crate::payment::Method::Transfer {
            // Paid by the treasury: what was ordered less what still awaits it.
            issued - ledger::get(&crate::transfer::account(&doc.id))?.map_or(0, |a| a.balance_cents)
        } else {
            ledger::get(&voucher::spent_account(&doc.id))?.map_or(0, |a| a.balance_cents)
        };
        budget_t += doc.data.budget_cents;
        issued_t += issued;
        spent_t += spent;
        remaining_t += remaining;
        campaigns.push(CampaignFigures {
            id: doc.id.clone(),
            title: doc.data.title.clone(),
            phase: doc.data.phase(today).label(),
            applications,
            by_status,
            budget: Money::new(doc.data.budget_cents, lang),
            issued: Money::new(issued, lang),
            spent: Money::new(spent, lang),
            outstanding: Money::new(issued - spent, lang),
            remaining: Money::new(remaining, lang),
            funded,
        });
    }
    let mut merchants = Vec::new();
    let (mut owed_t, mut reimbursed_t) = (0, 0);
    for doc in MERCHANTS.query().limit(LIMIT).fetch()? {
        let owed = merchant::owed(&doc.id)?;
        let reimbursed = merchant::reimbursed(&doc.id)?;
        owed_t += owed;
        reimbursed_t += reimbursed;
        merchants.push(MerchantFigures {
            id: doc.id.clone(),
            name: doc.data.name.clone(),
            status: doc.data.status.label(),
            redeemed: Money::new(owed + reimbursed, lang),
            owed: Money::new(owed, lang),
            reimbursed: Money::new(reimbursed, lang),
        });
    }
    Ok(Dashboard {
        campaigns,
        merchants,
        totals: Totals {
            budget: Money::new(budget_t, lang),
            issued: Money::new(issued_t, lang),
            spent: Money::new(spent_t, lang),
            outstanding: Money::new(issued_t - spent_t, lang),
            remaining: Money::new(remaining_t, lang),
            owed: Money::new(owed_t, lang),
            reimbursed: Money::new(reimbursed_t, lang),
        },
    })
}
