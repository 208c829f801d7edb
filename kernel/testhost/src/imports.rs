//! The plugin's imports, answered by the kernel's own `Host` implementations on the call's
//! [`CallState`](trama::host::CallState) — the code that answers a plugin in an instance —
//! with the call's transaction, its checks and its limits.

use trama::host::bindings::{
    audit, events, files, identity, ledger, notice, notify, protocol, seal, settings, store, wallet,
};
use trama_sdk::bindings::trama::plugin::types::{LogLevel, User};
use trama_sdk::bindings::trama::plugin::{
    files as f, ledger as l, notify as n, protocol as p, store as s, wallet as w,
};
use trama_sdk::host::native::NativeHost;

use trama_manifest::Capability;

use crate::convert::across;
use crate::{Inner, Published};

/// Runs one kernel import on the call in progress: `$body` awaits with `$state` the call's
/// state, taken out for the while and put back after. A trap (a host fault that would end the
/// plugin's instance) panics the test with the import's name.
///
/// A panic while it runs (a value that does not convert, a bug in an import) puts the state
/// back before it goes on, so that the call still ends inside the runtime and rolls back: a
/// transaction dropped outside it would abort the whole test binary.
macro_rules! answer {
    ($inner:ident, $capability:ident, $import:literal, |$state:ident| $body:expr) => {{
        $inner.require(Capability::$capability, $import);
        let mut $state = $inner.call.borrow_mut().take().unwrap_or_else(|| {
            panic!(concat!(
                "`",
                $import,
                "` was called outside a test host call"
            ))
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            $inner.runtime.block_on(async { $body.await })
        }));
        *$inner.call.borrow_mut() = Some($state);
        result
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .unwrap_or_else(|trap| panic!(concat!("`", $import, "` trapped: {:#}"), trap))
    }};
}

impl NativeHost for Inner {
    fn store_get(&self, collection: &str, id: &str) -> Result<Option<s::Document>, s::StoreError> {
        across(answer!(self, Store, "store.get", |state| store::Host::get(
            &mut state,
            collection.to_owned(),
            id.to_owned()
        )))
    }

    fn store_put(&self, op: &s::PutOp) -> Result<u64, s::StoreError> {
        across(answer!(self, Store, "store.put", |state| store::Host::put(
            &mut state,
            across(op)
        )))
    }

    fn store_delete(&self, op: &s::DeleteOp) -> Result<bool, s::StoreError> {
        across(answer!(self, Store, "store.delete", |state| {
            store::Host::delete(&mut state, across(op))
        }))
    }

    fn store_query(
        &self,
        collection: &str,
        query: &s::QueryOptions,
    ) -> Result<Vec<s::Document>, s::StoreError> {
        across(answer!(self, Store, "store.query", |state| {
            store::Host::query(&mut state, collection.to_owned(), across(query))
        }))
    }

    fn store_count(&self, collection: &str, filters: &[s::Filter]) -> Result<u64, s::StoreError> {
        across(answer!(self, Store, "store.count", |state| {
            store::Host::count(&mut state, collection.to_owned(), across(filters))
        }))
    }

    fn store_batch(&self, writes: &[s::Write]) -> Result<Vec<u64>, s::StoreError> {
        across(answer!(self, Store, "store.batch", |state| {
            store::Host::batch(&mut state, across(writes))
        }))
    }

    fn store_new_id(&self) -> String {
        answer!(self, Store, "store.new-id", |state| store::Host::new_id(
            &mut state
        ))
    }

    fn store_lock(&self, collection: &str, id: &str) -> Result<Option<s::Document>, s::StoreError> {
        across(answer!(self, Store, "store.lock", |state| {
            store::Host::lock(&mut state, collection.to_owned(), id.to_owned())
        }))
    }

    /// The kernel commits what the call did so far, its events included: they stay published
    /// even if the call fails later.
    fn store_checkpoint(&self) -> Result<(), s::StoreError> {
        let done: Result<(), s::StoreError> =
            across(answer!(self, Store, "store.checkpoint", |state| {
                store::Host::checkpoint(&mut state)
            }));
        if done.is_ok() {
            let committed = std::mem::take(&mut *self.pending.borrow_mut());
            self.published.borrow_mut().extend(committed);
        }
        done
    }

    fn settings_get(&self) -> String {
        answer!(self, Settings, "settings.get", |state| settings::Host::get(
            &mut state
        ))
    }

    fn identity_caller(&self) -> Option<User> {
        across(answer!(self, Identity, "identity.caller", |state| {
            identity::Host::caller(&mut state)
        }))
    }

    fn identity_has_role(&self, role: &str) -> bool {
        answer!(self, Identity, "identity.has-role", |state| {
            identity::Host::has_role(&mut state, role.to_owned())
        })
    }

    fn identity_find_user(&self, id: &str) -> Option<User> {
        across(answer!(self, Identity, "identity.find-user", |state| {
            identity::Host::find_user(&mut state, id.to_owned())
        }))
    }

    fn identity_holders(&self, role: &str, limit: u32, offset: u32) -> Result<Vec<User>, String> {
        across(answer!(self, Identity, "identity.holders", |state| {
            identity::Host::holders(&mut state, role.to_owned(), limit, offset)
        }))
    }

    fn identity_fiscal_number(&self) -> Option<String> {
        answer!(self, Identity, "identity.fiscal-number", |state| {
            identity::Host::fiscal_number(&mut state)
        })
    }

    fn identity_locale_of(&self, id: &str) -> Option<String> {
        answer!(self, Identity, "identity.locale-of", |state| {
            identity::Host::locale_of(&mut state, id.to_owned())
        })
    }

    fn events_publish(&self, name: &str, payload: &str) -> Result<(), String> {
        let published = answer!(self, Events, "events.publish", |state| {
            events::Host::publish(&mut state, name.to_owned(), payload.to_owned())
        });
        if published.is_ok() {
            // The kernel checked the declaration and the schema: the payload is JSON.
            self.pending.borrow_mut().push(Published {
                name: name.to_owned(),
                payload: serde_json::from_str(payload).unwrap_or_default(),
            });
        }
        published
    }

    fn audit_append(&self, action: &str, subject: &str, detail: &str) {
        answer!(self, Audit, "audit.append", |state| audit::Host::append(
            &mut state,
            action.to_owned(),
            subject.to_owned(),
            detail.to_owned()
        ));
    }

    /// A test's output rather than the kernel's log, which no test reads.
    fn log_write(&self, level: LogLevel, message: &str) {
        eprintln!("[{} {level:?}] {message}", self.ctx.plugin);
    }

    /// The test's clock (see [`crate::TestHost::set_time`]).
    fn clock_now(&self) -> i64 {
        self.now.get()
    }

    fn ledger_open(&self, name: &str, kind: l::AccountKind) -> Result<l::Account, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.open", |state| {
            ledger::Host::open(&mut state, name.to_owned(), across(kind))
        }))
    }

    fn ledger_get(&self, name: &str) -> Result<Option<l::Account>, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.get", |state| {
            ledger::Host::get(&mut state, name.to_owned())
        }))
    }

    fn ledger_accounts(
        &self,
        prefix: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<l::Account>, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.accounts", |state| {
            ledger::Host::accounts(&mut state, prefix.to_owned(), limit, offset)
        }))
    }

    fn ledger_transfer(
        &self,
        request: &l::TransferRequest,
    ) -> Result<l::TransferRecord, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.transfer", |state| {
            ledger::Host::transfer(&mut state, across(request))
        }))
    }

    fn ledger_transfer_all(
        &self,
        requests: &[l::TransferRequest],
    ) -> Result<Vec<l::TransferRecord>, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.transfer-all", |state| {
            ledger::Host::transfer_all(&mut state, across(requests))
        }))
    }

    fn ledger_history(
        &self,
        name: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<l::TransferRecord>, l::LedgerError> {
        across(answer!(self, Ledger, "ledger.history", |state| {
            ledger::Host::history(&mut state, name.to_owned(), limit, offset)
        }))
    }

    fn ledger_offer(&self, offer: &l::PurseOffer) -> Result<(), l::LedgerError> {
        across(answer!(self, Ledger, "ledger.offer", |state| {
            ledger::Host::offer(&mut state, across(offer))
        }))
    }

    fn ledger_withdraw(&self, account: &str) -> Result<(), l::LedgerError> {
        across(answer!(self, Ledger, "ledger.withdraw", |state| {
            ledger::Host::withdraw(&mut state, account.to_owned())
        }))
    }

    fn wallet_purses(&self, owners: &[String]) -> Result<Vec<w::Purse>, w::WalletError> {
        across(answer!(self, Wallet, "wallet.purses", |state| {
            wallet::Host::purses(&mut state, owners.to_vec())
        }))
    }

    fn wallet_quote(&self, request: &w::ChargeRequest) -> Result<w::ChargeRecord, w::WalletError> {
        across(answer!(self, Wallet, "wallet.quote", |state| {
            wallet::Host::quote(&mut state, across(request))
        }))
    }

    fn wallet_charge(&self, request: &w::ChargeRequest) -> Result<w::ChargeRecord, w::WalletError> {
        across(answer!(self, Wallet, "wallet.charge", |state| {
            wallet::Host::charge(&mut state, across(request))
        }))
    }

    fn wallet_reprice(&self, key: &str, amount: i64) -> Result<w::ChargeRecord, w::WalletError> {
        across(answer!(self, Wallet, "wallet.reprice", |state| {
            wallet::Host::reprice(&mut state, key.to_owned(), amount)
        }))
    }

    fn wallet_get(&self, key: &str) -> Result<Option<w::ChargeRecord>, w::WalletError> {
        across(answer!(self, Wallet, "wallet.get", |state| {
            wallet::Host::get(&mut state, key.to_owned())
        }))
    }

    fn notify_send(&self, message: &n::Notification) -> Result<bool, String> {
        answer!(self, Notify, "notify.send", |state| notify::Host::send(
            &mut state,
            across(message)
        ))
    }

    /// The SDK reads the catalogues from disk, merged as the kernel merges them.
    fn i18n_text(&self, _locale: &str, _key: &str) -> Option<Option<String>> {
        None
    }

    fn files_uploads(&self) -> Vec<f::Upload> {
        across(answer!(self, Files, "files.uploads", |state| {
            files::Host::uploads(&mut state)
        }))
    }

    fn files_keep(&self, field: &str, owner: Option<&str>) -> Result<f::Stored, String> {
        across(answer!(self, Files, "files.keep", |state| {
            files::Host::keep(&mut state, field.to_owned(), owner.map(str::to_owned))
        }))
    }

    fn files_describe(&self, id: &str) -> Option<f::Stored> {
        across(answer!(self, Files, "files.describe", |state| {
            files::Host::describe(&mut state, id.to_owned())
        }))
    }

    fn files_read(&self, id: &str) -> Option<Vec<u8>> {
        answer!(self, Files, "files.read", |state| files::Host::read(
            &mut state,
            id.to_owned()
        ))
    }

    fn files_delete(&self, id: &str) -> Result<bool, String> {
        answer!(self, Files, "files.delete", |state| files::Host::delete(
            &mut state,
            id.to_owned()
        ))
    }

    fn protocol_register(&self, subject: &str) -> Result<p::Entry, String> {
        across(answer!(self, Protocol, "protocol.register", |state| {
            protocol::Host::register(&mut state, subject.to_owned())
        }))
    }

    fn seal_seal(&self, context: &str, plaintext: &[u8]) -> Result<String, String> {
        answer!(self, Seal, "seal.seal", |state| seal::Host::seal(
            &mut state,
            context.to_owned(),
            plaintext.to_vec()
        ))
    }

    fn seal_open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, String> {
        answer!(self, Seal, "seal.open", |state| seal::Host::open(
            &mut state,
            context.to_owned(),
            sealed.to_owned()
        ))
    }

    fn notice_show(&self, text: &str) {
        answer!(self, Notice, "notice.show", |state| notice::Host::show(
            &mut state,
            text.to_owned()
        ));
    }
}
