//! Funding the next in the ranking ("scorrimento della graduatoria") when a closed campaign's
//! budget grows: the operator adds money, or vouchers lapse and their rest comes back
//! ([`crate::lapse`]). The applications not funded at the closing are taken in ranking order
//! and funded while what is in the budget covers each full amount, stopping at the first that
//! does not fit — the rule of the closing ([`crate::rank::assign`]) — and each is told.
//!
//! One call does it all under a lock on the campaign, so two nodes (or the job and an
//! operator) never fund the same money twice: the second waits, then finds the first's work
//! done. Each application's vouchers, status and count are one batch; their money moves with
//! the same idempotency keys as the closing's, `issue/{campaign}/{tax code}/{n}` (or, for a
//! campaign paying by transfer, its payment orders under `order/{order id}`).

use trama_sdk::ledger::{self, AccountKind};
use trama_sdk::store::{Batch, Cmp};
use trama_sdk::{Error, Result, audit, t};

use crate::application::{APPLICATIONS, Status, Step};
use crate::campaign::{CAMPAIGNS, State, budget_account};
use crate::config::Settings;
use crate::payment::Method;
use crate::tally::{self, Move};
use crate::{transfer, voucher};

/// Most applications funded in one call: each publishes an event and the kernel caps a call's
/// events; the rest are funded by the next call (the `lapse-vouchers` job runs it hourly).
const MAX_PER_CALL: usize = 200;

/// Funds the next not-funded applications of closed campaign `id` that the budget now covers;
/// returns how many. Audited as `campaign.scrolled` when any is funded.
pub fn fund_next(id: &str, actor: &str, now: i64) -> Result<usize> {
    let campaign = CAMPAIGNS
        .lock(id)?
        .ok_or_else(|| Error::not_found(t!("vouchers.campaign.not_found", id = id)))?;
    if campaign.data.state != State::Closed {
        return Ok(0);
    }
    let budget = budget_account(id);
    let mut left = ledger::get(&budget)?.map_or(0, |account| account.balance_cents);
    let waiting = APPLICATIONS
        .query()
        .filter("campaign", Cmp::Eq, id)
        .filter("status", Cmp::Eq, Status::NotFunded.key())
        .order_by("rank")
        .fetch_all()?;
    let prefix = Settings::load()?.voucher_code_prefix;
    // Vouchers issued today must be spendable: past the campaign's last day, nobody is funded
    // (their vouchers would lapse at once and the money go round again).
    let today = trama_sdk::local::today(now);
    let first_window = campaign.data.payment.window(today, 0);
    if first_window
        .until
        .as_deref()
        .is_some_and(|until| until < today.to_string().as_str())
    {
        return Ok(0);
    }
    let mut funded = 0;
    let mut cents = 0;
    // Ranked ones only: an application the closing could not assess has no place to take.
    for app in waiting.into_iter().filter(|a| a.data.rank.is_some()) {
        if funded >= MAX_PER_CALL {
            break;
        }
        if app.data.amount_cents > left {
            break;
        }
        // Never a second benefit: not for a tax code this campaign already funded, not for a
        // beneficiary of a campaign this one excludes, not for an application still held.
        let twin_funded = APPLICATIONS
            .query()
            .filter("tax_code", Cmp::Eq, app.data.tax_code.as_str())
            .filter("campaign", Cmp::Eq, id)
            .fetch_all()?
            .iter()
            .any(|other| other.data.status == Status::Beneficiary);
        if twin_funded
            || app.data.contested_by.is_some()
            || !crate::application::beneficiary_of(&campaign.data, &app.data.tax_code)?.is_empty()
        {
            continue;
        }
        let mut next = app.data.clone();
        next.status = Status::Beneficiary;
        next.updated_at = now;
        next.history.push(Step {
            at: now,
            actor: "system".to_owned(),
            action: "funded_later".to_owned(),
            note: None,
        });
        let mut batch = Batch::new();
        // Payment orders or vouchers, as the campaign pays (see `transfer`, `voucher`).
        let (transfers, vouchers) = if campaign.data.payment.method == Method::Transfer {
            let orders = transfer::draw(
                id,
                &campaign.data,
                &app.id,
                &app.data,
                app.data.amount_cents,
                now,
            )?;
            next.transfers = transfer::lines(&orders);
            transfer::store_new(&mut batch, &orders);
            let funding = transfer::funding(id, &next.transfers, " (next in line)");
            (funding, None)
        } else {
            let vouchers = voucher::draw(&campaign.data, app.data.amount_cents, now);
            next.vouchers = vouchers.clone();
            voucher::store_new(
                &mut batch,
                id,
                &app.id,
                app.data.user_id.as_ref(),
                &vouchers,
                now,
            );
            let funding = voucher::funding(
                id,
                &app.data.tax_code,
                &app.id,
                &vouchers,
                " (next in line)",
            );
            (funding, Some(vouchers))
        };
        batch.put_if_version(&APPLICATIONS, &app.id, &next, app.version);
        let moves = [Move {
            tax_code: &next.tax_code,
            from: Some(Status::NotFunded),
            to: Status::Beneficiary,
        }];
        tally::push(&mut batch, id, &moves)?;
        batch.commit()?;
        for transfer in &transfers {
            ledger::open(&transfer.to, AccountKind::Funded)?;
        }
        ledger::transfer_all(&transfers)?;
        if let Some(vouchers) = &vouchers {
            voucher::announce(
                id,
                &app.id,
                app.data.user_id.as_ref(),
                app.data.answers.isee_cents,
                vouchers,
            )?;
        }
        crate::notice::outcome(&app.id, &next, &campaign.data.title, &prefix);
        crate::publish::decided(&app.id, &next)?;
        left -= app.data.amount_cents;
        cents += app.data.amount_cents;
        funded += 1;
    }
    if funded > 0 {
        // The closing's figures (what the campaign page and the dashboard show) count the
        // ones funded later too.
        let mut campaign = campaign;
        if let Some(close) = &mut campaign.data.close {
            let more = u32::try_from(funded).unwrap_or(u32::MAX);
            close.funded = close.funded.saturating_add(more);
            close.not_funded = close.not_funded.saturating_sub(more);
            close.committed_cents = close.committed_cents.saturating_add(cents);
        }
        CAMPAIGNS.put_if_version(&campaign.id, &campaign.data, campaign.version)?;
        audit::record(
            "campaign.scrolled",
            id,
            &serde_json::json!({ "funded": funded, "cents": cents, "by": actor }),
        )?;
    }
    Ok(funded)
}
