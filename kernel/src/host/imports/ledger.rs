//! `ledger`: money in integer cents on the plugin's double-entry accounts, moved in the call's
//! transaction.
use serde_json::Value as Json;
use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::ledger;
use crate::host::call::CallState;

/// Links the `ledger` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    ledger::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

impl From<crate::ledger::LedgerError> for ledger::LedgerError {
    fn from(err: crate::ledger::LedgerError) -> Self {
        use crate::ledger::LedgerError as E;
        match err {
            E::InsufficientFunds(m) => ledger::LedgerError::InsufficientFunds(m),
            E::UnknownAccount(m) => ledger::LedgerError::UnknownAccount(m),
            E::Invalid(m) => ledger::LedgerError::Invalid(m),
            E::Conflict(m) => ledger::LedgerError::Conflict(m),
            E::Internal(m) => ledger::LedgerError::Internal(m),
        }
    }
}

fn account(account: crate::ledger::Account) -> ledger::Account {
    ledger::Account {
        name: account.name,
        kind: match account.kind {
            crate::ledger::AccountKind::Funded => ledger::AccountKind::Funded,
            crate::ledger::AccountKind::External => ledger::AccountKind::External,
        },
        balance: account.balance,
    }
}

/// A transfer as the audit log lists it.
fn moved_money(record: &crate::ledger::Transfer) -> Json {
    serde_json::json!({
        "op": "transfer",
        "id": record.id,
        "from": record.from,
        "to": record.to,
        "amount_cents": record.amount,
    })
}

fn transfer(transfer: crate::ledger::Transfer) -> ledger::TransferRecord {
    ledger::TransferRecord {
        id: transfer.id,
        from: transfer.from,
        to: transfer.to,
        amount: transfer.amount,
        memo: transfer.memo,
        idempotency_key: transfer.idempotency_key,
        at: transfer.at,
    }
}

fn transfer_request(request: ledger::TransferRequest) -> crate::ledger::TransferRequest {
    crate::ledger::TransferRequest {
        from: request.from,
        to: request.to,
        amount: request.amount,
        idempotency_key: request.idempotency_key,
        memo: request.memo,
    }
}

impl ledger::Host for CallState {
    async fn open(
        &mut self,
        name: String,
        kind: ledger::AccountKind,
    ) -> wasmtime::Result<Result<ledger::Account, ledger::LedgerError>> {
        let kind = match kind {
            ledger::AccountKind::Funded => crate::ledger::AccountKind::Funded,
            ledger::AccountKind::External => crate::ledger::AccountKind::External,
        };
        let opened = match self.tx.writer().await {
            Ok((txn, _)) => self.ctx.ledger.open_in(txn, &name, kind).await,
            Err(err) => Err(err.into()),
        };
        Ok(opened.map(account).map_err(Into::into))
    }

    async fn get(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<Option<ledger::Account>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books.get_in(&self.tx.reader(), &name).await;
        self.note_ledger_failure(&found);
        Ok(found.map(|found| found.map(account)).map_err(Into::into))
    }

    async fn accounts(
        &mut self,
        prefix: String,
        limit: u32,
        offset: u32,
    ) -> wasmtime::Result<Result<Vec<ledger::Account>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books
            .list_in(&self.tx.reader(), &prefix, limit, offset)
            .await;
        self.note_ledger_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(account).collect())
            .map_err(Into::into))
    }

    async fn transfer(
        &mut self,
        request: ledger::TransferRequest,
    ) -> wasmtime::Result<Result<ledger::TransferRecord, ledger::LedgerError>> {
        let moved = self.move_money(vec![transfer_request(request)]).await;
        if let Ok(records) = &moved {
            for record in records {
                self.changes.record(moved_money(record));
            }
        }
        Ok(moved
            .and_then(|mut list| {
                list.pop().ok_or_else(|| {
                    crate::ledger::LedgerError::Internal("no transfer recorded".into())
                })
            })
            .map(transfer)
            .map_err(Into::into))
    }

    async fn transfer_all(
        &mut self,
        requests: Vec<ledger::TransferRequest>,
    ) -> wasmtime::Result<Result<Vec<ledger::TransferRecord>, ledger::LedgerError>> {
        let requests = requests.into_iter().map(transfer_request).collect();
        let moved = self.move_money(requests).await;
        if let Ok(records) = &moved {
            for record in records {
                self.changes.record(moved_money(record));
            }
        }
        Ok(moved
            .map(|list| list.into_iter().map(transfer).collect())
            .map_err(Into::into))
    }

    async fn history(
        &mut self,
        name: String,
        limit: u32,
        offset: u32,
    ) -> wasmtime::Result<Result<Vec<ledger::TransferRecord>, ledger::LedgerError>> {
        let books = &self.ctx.ledger;
        let found = books
            .history_in(&self.tx.reader(), &name, limit, offset)
            .await;
        self.note_ledger_failure(&found);
        Ok(found
            .map(|list| list.into_iter().map(transfer).collect())
            .map_err(Into::into))
    }

    async fn offer(
        &mut self,
        offer: ledger::PurseOffer,
    ) -> wasmtime::Result<Result<(), ledger::LedgerError>> {
        let offer = crate::wallet::Offer {
            account: offer.account,
            holder: offer.holder,
            label: offer.label,
            categories: offer.categories,
            valid_from: offer.valid_from,
            valid_until: offer.valid_until,
        };
        let wallet = self.wallet();
        let plugin = self.ctx.plugin.clone();
        let offered = match self.tx.writer().await {
            Ok((txn, _)) => wallet.offer_in(txn, &plugin, &offer).await,
            Err(err) => Err(err.into()),
        };
        if offered.is_ok() {
            self.changes.record(serde_json::json!({
                "op": "purse.offer",
                "account": offer.account,
                "holder": offer.holder,
            }));
        }
        Ok(offered.map_err(purse_refusal))
    }

    async fn withdraw(
        &mut self,
        account: String,
    ) -> wasmtime::Result<Result<(), ledger::LedgerError>> {
        let wallet = self.wallet();
        let plugin = self.ctx.plugin.clone();
        let withdrawn = match self.tx.writer().await {
            Ok((txn, _)) => wallet.withdraw_in(txn, &plugin, &account).await,
            Err(err) => Err(err.into()),
        };
        if withdrawn.is_ok() {
            self.changes
                .record(serde_json::json!({ "op": "purse.withdraw", "account": account }));
        }
        Ok(withdrawn.map_err(purse_refusal))
    }
}

/// An offer refused, in the ledger's words.
fn purse_refusal(err: crate::wallet::WalletError) -> ledger::LedgerError {
    use crate::wallet::WalletError as E;
    match err {
        E::UnknownAccount(m) => ledger::LedgerError::UnknownAccount(m),
        E::Invalid(m) => ledger::LedgerError::Invalid(m),
        E::Conflict(m) => ledger::LedgerError::Conflict(m),
        E::Internal(m) => ledger::LedgerError::Internal(m),
        E::NoHolder => ledger::LedgerError::Invalid(E::NoHolder.to_string()),
    }
}

impl CallState {
    /// The instance's wallet, where purses are offered and charged; it tells the purses'
    /// owners what moved, in this call's transaction.
    pub(super) fn wallet(&self) -> crate::wallet::Wallet {
        crate::wallet::Wallet::new(self.ctx.db.clone(), &self.ctx.instance)
            .telling(self.subscribers.clone())
    }

    /// See [`CallState::note_store_failure`].
    fn note_ledger_failure<T>(&mut self, result: &Result<T, crate::ledger::LedgerError>) {
        if let Err(crate::ledger::LedgerError::Internal(_)) = result {
            self.tx.note_failure();
        }
    }

    /// Applies transfers in the call's transaction, all or none.
    async fn move_money(
        &mut self,
        requests: Vec<crate::ledger::TransferRequest>,
    ) -> Result<Vec<crate::ledger::Transfer>, crate::ledger::LedgerError> {
        let (txn, call) = self.tx.writer().await?;
        self.ctx
            .ledger
            .transfer_all_in(txn, Some(call), requests)
            .await
    }
}
