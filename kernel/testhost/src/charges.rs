//! Another plugin spending this plugin's purses, as the catalogue of services does with
//! `wallet.charge` and `wallet.reprice`: through the kernel's own wallet, which tells the
//! purses' owner what moved (`wallet.drawn`, `wallet.repaid`) if it subscribes. A plugin that
//! offers purses tests with these what its figures make of a booking paid from its credit.

use super::*;
use trama::wallet::{Charge, ChargeRequest, Wallet};

/// The funded account of the charging plugin that receives what the purses pay.
const RECEIVING: &str = "received";

impl<P: Plugin> TestHost<P> {
    /// Charges `holder`'s purses of this plugin as plugin `charger` (say `services`) would:
    /// `amount_cents` for `category`, under `key`, on the day of the host's clock in Rome. Then
    /// delivers to this plugin what the kernel told it, as the dispatcher would; the charge as
    /// recorded.
    ///
    /// # Panics
    /// If the kernel refuses the charge, or the plugin fails an event it was told.
    pub fn charge_as(
        &self,
        charger: &str,
        holder: &Account,
        category: &str,
        amount_cents: i64,
        key: &str,
    ) -> Charge {
        let inner = &self.inner;
        let today = trama_sdk::local::today(self.now_ms()).to_string();
        let request = ChargeRequest {
            category: category.to_owned(),
            amount: amount_cents,
            owners: vec![inner.ctx.plugin.clone()],
            to: RECEIVING.to_owned(),
            key: key.to_owned(),
            memo: format!("{charger} {key}"),
        };
        let books = trama::ledger::Ledger::new(inner.db.clone(), INSTANCE, charger);
        let charged = inner.runtime.block_on(async {
            if books.get(RECEIVING).await?.is_none() {
                books
                    .open(RECEIVING, trama::ledger::AccountKind::Funded)
                    .await?;
            }
            let write = inner.db.begin_owned_write().await?;
            let charge = self
                .telling_wallet()
                .charge_in(write.txn(), None, charger, &holder.id, &request, &today)
                .await?;
            write.commit().await?;
            Ok::<Charge, trama::wallet::WalletError>(charge)
        });
        let charge = charged.unwrap_or_else(|err| panic!("charging {key} as {charger}: {err}"));
        self.deliver_wallet_news();
        charge
    }

    /// Lowers charge `key` of plugin `charger` to `amount_cents` (0 cancels it), paying the
    /// purses back, and delivers to this plugin what the kernel told it; the charge as now
    /// recorded.
    ///
    /// # Panics
    /// If the kernel refuses, or the plugin fails an event it was told.
    pub fn reprice_as(&self, charger: &str, key: &str, amount_cents: i64) -> Charge {
        let inner = &self.inner;
        let repriced = inner.runtime.block_on(async {
            let write = inner.db.begin_owned_write().await?;
            let charge = self
                .telling_wallet()
                .reprice_in(write.txn(), None, charger, key, amount_cents)
                .await?;
            write.commit().await?;
            Ok::<Charge, trama::wallet::WalletError>(charge)
        });
        let charge = repriced.unwrap_or_else(|err| panic!("repricing {key} of {charger}: {err}"));
        self.deliver_wallet_news();
        charge
    }

    /// The wallet as a call of another plugin sees it: it tells this plugin of its purses'
    /// movements, if it subscribes.
    fn telling_wallet(&self) -> Wallet {
        let inner = &self.inner;
        let subscribers = Subscribers::new([(inner.ctx.plugin.as_str(), &inner.subscribes)]);
        Wallet::new(inner.db.clone(), INSTANCE).telling(Arc::new(subscribers))
    }

    /// Delivers the wallet's pending events for this plugin, oldest first, and marks them
    /// delivered, as the dispatcher does.
    fn deliver_wallet_news(&self) {
        use sea_orm::ConnectionTrait;
        let inner = &self.inner;
        let backend = inner.db.backend();
        let pending = inner
            .runtime
            .block_on(inner.db.conn().query_all_raw(trama::db::sql::stmt(
                backend,
                "SELECT e.id, e.name, e.payload FROM event_deliveries d \
                 JOIN events e ON e.instance = d.instance AND e.id = d.event_id \
                 WHERE d.instance = ? AND d.subscriber = ? AND d.status = 'pending' \
                 AND e.source = ? ORDER BY e.published_at, e.id",
                vec![
                    INSTANCE.into(),
                    inner.ctx.plugin.clone().into(),
                    trama::wallet::SOURCE.into(),
                ],
            )))
            .unwrap_or_else(|err| panic!("reading the wallet's events: {err}"));
        for row in pending {
            let read = |column: &str| -> String {
                row.try_get("", column)
                    .unwrap_or_else(|err| panic!("an event's {column}: {err}"))
            };
            let (id, name, payload) = (read("id"), read("name"), read("payload"));
            let payload: Json = serde_json::from_str(&payload)
                .unwrap_or_else(|err| panic!("the payload of {name}: {err}"));
            self.deliver_with_id(&id, &name, trama::wallet::SOURCE, &payload)
                .unwrap_or_else(|err| panic!("{} failed {name}: {err}", inner.ctx.plugin));
            inner
                .runtime
                .block_on(inner.db.conn().execute_raw(trama::db::sql::stmt(
                    backend,
                    "UPDATE event_deliveries SET status = 'done' \
                     WHERE instance = ? AND event_id = ? AND subscriber = ?",
                    vec![INSTANCE.into(), id.into(), inner.ctx.plugin.clone().into()],
                )))
                .unwrap_or_else(|err| panic!("marking {name} delivered: {err}"));
        }
    }
}
