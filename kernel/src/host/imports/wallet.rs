//! `wallet` (host API 1.10): the caller's purses, spent by the plugin where they book, in the
//! call's transaction (see [`crate::wallet`]). Every function that spends acts on the purses of
//! the person making the call and of nobody else: that is the holder's consent.
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::wallet;
use crate::host::call::CallState;
use crate::wallet::{Charge, ChargeRequest, Purse, WalletError};

/// Links the `wallet` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wallet::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl From<WalletError> for wallet::WalletError {
    fn from(err: WalletError) -> Self {
        match err {
            WalletError::NoHolder => wallet::WalletError::NoHolder,
            WalletError::UnknownAccount(m) => wallet::WalletError::UnknownAccount(m),
            WalletError::Invalid(m) => wallet::WalletError::Invalid(m),
            WalletError::Conflict(m) => wallet::WalletError::Conflict(m),
            WalletError::Internal(m) => wallet::WalletError::Internal(m),
        }
    }
}

fn purse(purse: Purse) -> wallet::Purse {
    wallet::Purse {
        owner: purse.owner,
        account: purse.account,
        label: purse.label,
        categories: purse.categories,
        valid_from: purse.valid_from,
        valid_until: purse.valid_until,
        balance: purse.balance,
    }
}

fn charge(charge: Charge) -> wallet::ChargeRecord {
    wallet::ChargeRecord {
        key: charge.key,
        holder: charge.holder,
        category: charge.category,
        amount: charge.amount,
        drawn: charge
            .drawn
            .into_iter()
            .map(|d| wallet::Draw {
                owner: d.owner,
                account: d.account,
                label: d.label,
                amount: d.amount,
            })
            .collect(),
        uncovered: charge.uncovered,
        at: charge.at,
    }
}

fn request(request: wallet::ChargeRequest) -> ChargeRequest {
    ChargeRequest {
        category: request.category,
        amount: request.amount,
        owners: request.owners,
        to: request.to,
        key: request.key,
        memo: request.memo,
    }
}

/// A charge as the audit log lists it: amounts and purses, the person by account id.
fn charged(op: &str, charge: &Charge) -> serde_json::Value {
    serde_json::json!({
        "op": op,
        "key": charge.key,
        "holder": charge.holder,
        "amount_cents": charge.amount,
        "uncovered_cents": charge.uncovered,
        "drawn": charge.drawn.iter().map(|d| serde_json::json!({
            "owner": d.owner, "account": d.account, "amount_cents": d.amount,
        })).collect::<Vec<_>>(),
    })
}

impl CallState {
    /// The account id of the person making the call: the only holder whose purses it spends.
    fn holder(&self) -> Result<String, WalletError> {
        self.caller
            .as_ref()
            .map(|user| user.id.clone())
            .ok_or(WalletError::NoHolder)
    }

    /// See [`CallState::note_store_failure`].
    fn note_wallet_failure<T>(&mut self, result: &Result<T, WalletError>) {
        if let Err(WalletError::Internal(_)) = result {
            self.tx.note_failure();
        }
    }

    /// What a charge or a reprice answers the plugin: a failure of the database marks the call
    /// failed, and money that moved is recorded among the call's changes as `action`.
    fn moved(
        &mut self,
        action: &str,
        done: Result<Charge, WalletError>,
    ) -> Result<wallet::ChargeRecord, wallet::WalletError> {
        self.note_wallet_failure(&done);
        if let Ok(done) = &done {
            self.changes.record(charged(action, done));
            self.wallet_moved = true;
        }
        done.map(charge).map_err(Into::into)
    }
}

impl wallet::Host for CallState {
    async fn purses(
        &mut self,
        owners: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<wallet::Purse>, wallet::WalletError>> {
        let Ok(holder) = self.holder() else {
            return Ok(Ok(Vec::new()));
        };
        let found = self
            .wallet()
            .spendable(
                &self.tx.reader(),
                &holder,
                &owners,
                None,
                &crate::clock::today(),
            )
            .await;
        self.note_wallet_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(purse).collect())
            .map_err(Into::into))
    }

    async fn quote(
        &mut self,
        asked: wallet::ChargeRequest,
    ) -> wasmtime::Result<Result<wallet::ChargeRecord, wallet::WalletError>> {
        let holder = match self.holder() {
            Ok(holder) => holder,
            Err(err) => return Ok(Err(err.into())),
        };
        let plugin = self.ctx.plugin.clone();
        let quoted = self
            .wallet()
            .quote(
                &self.tx.reader(),
                &plugin,
                &holder,
                &request(asked),
                &crate::clock::today(),
            )
            .await;
        self.note_wallet_failure(&quoted);
        Ok(quoted.map(charge).map_err(Into::into))
    }

    async fn charge(
        &mut self,
        asked: wallet::ChargeRequest,
    ) -> wasmtime::Result<Result<wallet::ChargeRecord, wallet::WalletError>> {
        let holder = match self.holder() {
            Ok(holder) => holder,
            Err(err) => return Ok(Err(err.into())),
        };
        let wallet = self.wallet();
        let plugin = self.ctx.plugin.clone();
        let asked = request(asked);
        let done = match self.tx.writer().await {
            Ok((txn, call)) => {
                wallet
                    .charge_in(
                        txn,
                        Some(call),
                        &plugin,
                        &holder,
                        &asked,
                        &crate::clock::today(),
                    )
                    .await
            }
            Err(err) => Err(err.into()),
        };
        Ok(self.moved("wallet.charge", done))
    }

    async fn reprice(
        &mut self,
        key: String,
        amount: i64,
    ) -> wasmtime::Result<Result<wallet::ChargeRecord, wallet::WalletError>> {
        let wallet = self.wallet();
        let plugin = self.ctx.plugin.clone();
        let done = match self.tx.writer().await {
            Ok((txn, call)) => {
                wallet
                    .reprice_in(txn, Some(call), &plugin, &key, amount)
                    .await
            }
            Err(err) => Err(err.into()),
        };
        Ok(self.moved("wallet.reprice", done))
    }

    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<wallet::ChargeRecord>, wallet::WalletError>> {
        let plugin = self.ctx.plugin.clone();
        let found = self
            .wallet()
            .recorded(&self.tx.reader(), &plugin, &key)
            .await;
        self.note_wallet_failure(&found);
        Ok(found.map(|c| c.map(charge)).map_err(Into::into))
    }
}
