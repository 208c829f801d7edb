//! Telling a purse's owner what moved. A draw and a payment back happen in the charger's call,
//! so without a word the owner's own figures (a campaign's vouchers spent, a company plan's
//! "where every cent is") would never see money spent through the wallet. The owner subscribes
//! to [`DRAWN`] and [`REPAID`] in its `plugin.toml`; each movement of one of its purses is then
//! an event delivered to it alone (the payload names its account, which is nobody else's
//! business), from the source [`SOURCE`], which no plugin can publish as. The event is stored in
//! the charge's transaction, so it exists exactly when the money moved; delivered at least once,
//! it carries an `entry` unique to the movement for the owner to book it once. A payment back is
//! told only for a draw that was (`wallet_draws.told`): an owner never hears of money coming
//! back that it did not hear leave, such as a draw made before it subscribed.

use sea_orm::DatabaseTransaction;

use super::{Wallet, WalletError};
use crate::event_store::{self, PublishedEvent};

/// The source of the wallet's events: a name starting with `~`, which no plugin can have.
pub const SOURCE: &str = "~wallet";
/// A purse paid part of a charge.
pub const DRAWN: &str = "wallet.drawn";
/// Part of what a purse paid came back to it (the price went down, the booking was cancelled).
pub const REPAID: &str = "wallet.repaid";

/// One movement of a purse, as its owner is told.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct Moved<'a> {
    /// The owner's purse account.
    pub account: &'a str,
    /// Cents drawn from it, or paid back to it; always positive.
    pub amount_cents: i64,
    /// The plugin that charged, and the charge's key there.
    pub charger: &'a str,
    pub charge: &'a str,
    /// The catalogue category the charge paid for.
    pub category: &'a str,
    /// Unique to this movement: the key of its transfer in the owner's books.
    pub entry: &'a str,
}

impl Wallet {
    /// Tells `owner` of `moved` with the event `name`, in `txn`, if it subscribes to it;
    /// whether it was told.
    pub(super) async fn tell(
        &self,
        txn: &DatabaseTransaction,
        call: Option<&str>,
        owner: &str,
        name: &str,
        moved: &Moved<'_>,
    ) -> Result<bool, WalletError> {
        let Some(subscribers) = &self.subscribers else {
            return Ok(false);
        };
        if !subscribers.subscribes(owner, name) {
            return Ok(false);
        }
        let payload = serde_json::to_string(moved)
            .map_err(|err| WalletError::Internal(format!("writing a wallet event: {err}")))?;
        let event = PublishedEvent {
            name: name.to_owned(),
            payload,
        };
        event_store::record_for_in(txn, &self.instance, SOURCE, call, owner, event).await?;
        Ok(true)
    }
}
