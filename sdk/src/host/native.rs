//! The kernel, as a plugin's native tests reach it: a [`NativeHost`] installed on the thread.
//!
//! `trama-testhost` is the implementation a plugin's tests use: it answers every call with the
//! kernel's own document store, ledger, outbox and accounts on an in-memory SQLite database,
//! with a clock the test sets. Another implementation (a recorder, a fault injector) only has
//! to implement the trait.
//!
//! Code that reaches the kernel with no host installed panics with the name of the call, so a
//! unit test that meant to stay pure learns at once what it touched.

use std::cell::RefCell;
use std::rc::Rc;

use crate::bindings::trama::plugin::types::{LogLevel, User};
use crate::bindings::trama::plugin::{
    files as f, ledger as l, notify as n, protocol as p, store as s, wallet as w,
};

/// Every import of the `trama:plugin` world, as plain Rust methods. The types are the
/// generated guest types of `trama_sdk::bindings`, which serialize with serde outside
/// WebAssembly so that a host can convert them to its own.
#[allow(missing_docs)]
pub trait NativeHost {
    fn store_get(&self, collection: &str, id: &str) -> Result<Option<s::Document>, s::StoreError>;
    fn store_put(&self, op: &s::PutOp) -> Result<u64, s::StoreError>;
    fn store_delete(&self, op: &s::DeleteOp) -> Result<bool, s::StoreError>;
    fn store_query(
        &self,
        collection: &str,
        query: &s::QueryOptions,
    ) -> Result<Vec<s::Document>, s::StoreError>;
    fn store_count(&self, collection: &str, filters: &[s::Filter]) -> Result<u64, s::StoreError>;
    fn store_batch(&self, writes: &[s::Write]) -> Result<Vec<u64>, s::StoreError>;
    fn store_new_id(&self) -> String;
    fn store_lock(&self, collection: &str, id: &str) -> Result<Option<s::Document>, s::StoreError>;
    fn store_checkpoint(&self) -> Result<(), s::StoreError>;
    fn settings_get(&self) -> String;
    fn identity_caller(&self) -> Option<User>;
    fn identity_has_role(&self, role: &str) -> bool;
    fn identity_find_user(&self, id: &str) -> Option<User>;
    fn identity_holders(&self, role: &str, limit: u32, offset: u32) -> Result<Vec<User>, String>;
    fn identity_locale_of(&self, id: &str) -> Option<String>;
    fn identity_fiscal_number(&self) -> Option<String>;
    fn events_publish(&self, name: &str, payload: &str) -> Result<(), String>;
    fn audit_append(&self, action: &str, subject: &str, detail: &str);
    fn log_write(&self, level: LogLevel, message: &str);
    fn clock_now(&self) -> i64;
    fn ledger_open(&self, name: &str, kind: l::AccountKind) -> Result<l::Account, l::LedgerError>;
    fn ledger_get(&self, name: &str) -> Result<Option<l::Account>, l::LedgerError>;
    fn ledger_accounts(
        &self,
        prefix: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<l::Account>, l::LedgerError>;
    fn ledger_transfer(
        &self,
        request: &l::TransferRequest,
    ) -> Result<l::TransferRecord, l::LedgerError>;
    fn ledger_transfer_all(
        &self,
        requests: &[l::TransferRequest],
    ) -> Result<Vec<l::TransferRecord>, l::LedgerError>;
    fn ledger_history(
        &self,
        name: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<l::TransferRecord>, l::LedgerError>;
    fn ledger_offer(&self, offer: &l::PurseOffer) -> Result<(), l::LedgerError>;
    fn ledger_withdraw(&self, account: &str) -> Result<(), l::LedgerError>;
    fn wallet_purses(&self, owners: &[String]) -> Result<Vec<w::Purse>, w::WalletError>;
    fn wallet_quote(&self, request: &w::ChargeRequest) -> Result<w::ChargeRecord, w::WalletError>;
    fn wallet_charge(&self, request: &w::ChargeRequest) -> Result<w::ChargeRecord, w::WalletError>;
    fn wallet_reprice(&self, key: &str, amount: i64) -> Result<w::ChargeRecord, w::WalletError>;
    fn wallet_get(&self, key: &str) -> Result<Option<w::ChargeRecord>, w::WalletError>;
    fn notify_send(&self, message: &n::Notification) -> Result<bool, String>;
    /// `None` when the host has no catalogues of its own: the SDK then reads them from disk.
    fn i18n_text(&self, locale: &str, key: &str) -> Option<Option<String>>;
    fn files_uploads(&self) -> Vec<f::Upload>;
    fn files_keep(&self, field: &str, owner: Option<&str>) -> Result<f::Stored, String>;
    fn files_describe(&self, id: &str) -> Option<f::Stored>;
    fn files_read(&self, id: &str) -> Option<Vec<u8>>;
    fn files_delete(&self, id: &str) -> Result<bool, String>;
    fn notice_show(&self, text: &str);
    fn protocol_register(&self, subject: &str) -> Result<p::Entry, String>;
    fn seal_seal(&self, context: &str, plaintext: &[u8]) -> Result<String, String>;
    fn seal_open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, String>;
}

thread_local! {
    static HOST: RefCell<Option<Rc<dyn NativeHost>>> = const { RefCell::new(None) };
}

/// Makes `host` answer this thread's calls to the kernel until the returned guard is dropped,
/// when the host installed before (if any) answers again.
#[must_use = "the host is removed when the guard is dropped"]
pub fn install(host: Rc<dyn NativeHost>) -> Installed {
    let previous = HOST.with(|slot| slot.replace(Some(host)));
    Installed { previous }
}

/// Whether a host answers this thread's calls.
pub fn is_installed() -> bool {
    HOST.with(|slot| slot.borrow().is_some())
}

/// Keeps a [`NativeHost`] installed; see [`install`].
pub struct Installed {
    previous: Option<Rc<dyn NativeHost>>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        HOST.with(|slot| *slot.borrow_mut() = previous);
    }
}

/// The installed host; the host is cloned out first, so it may itself call back into the SDK.
fn host(call: &str) -> Rc<dyn NativeHost> {
    HOST.with(|slot| slot.borrow().clone()).unwrap_or_else(|| {
        panic!(
            "`{call}` reaches the kernel, and no test host is installed on this thread: \
             run this code inside `trama_testhost::TestHost` (or install a NativeHost)"
        )
    })
}

/// The modules the SDK imports in place of the generated ones: the same names, types and
/// signatures, answered by the installed host.
pub(crate) mod imports {
    pub mod store {
        pub use crate::bindings::trama::plugin::store::*;

        use super::super::host;

        pub fn get(collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
            host("store.get").store_get(collection, id)
        }
        pub fn put(op: &PutOp) -> Result<u64, StoreError> {
            host("store.put").store_put(op)
        }
        pub fn delete(op: &DeleteOp) -> Result<bool, StoreError> {
            host("store.delete").store_delete(op)
        }
        pub fn query(collection: &str, q: &QueryOptions) -> Result<Vec<Document>, StoreError> {
            host("store.query").store_query(collection, q)
        }
        pub fn count(collection: &str, filters: &[Filter]) -> Result<u64, StoreError> {
            host("store.count").store_count(collection, filters)
        }
        pub fn batch(writes: &[Write]) -> Result<Vec<u64>, StoreError> {
            host("store.batch").store_batch(writes)
        }
        pub fn new_id() -> String {
            host("store.new-id").store_new_id()
        }
        pub fn lock(collection: &str, id: &str) -> Result<Option<Document>, StoreError> {
            host("store.lock").store_lock(collection, id)
        }
        pub fn checkpoint() -> Result<(), StoreError> {
            host("store.checkpoint").store_checkpoint()
        }
    }

    pub mod settings {
        use super::super::host;

        pub fn get() -> String {
            host("settings.get").settings_get()
        }
    }

    pub mod identity {
        use super::super::host;
        use crate::bindings::trama::plugin::types::User;

        pub fn caller() -> Option<User> {
            host("identity.caller").identity_caller()
        }
        pub fn has_role(role: &str) -> bool {
            host("identity.has-role").identity_has_role(role)
        }
        pub fn find_user(id: &str) -> Option<User> {
            host("identity.find-user").identity_find_user(id)
        }
        pub fn holders(role: &str, limit: u32, offset: u32) -> Result<Vec<User>, String> {
            host("identity.holders").identity_holders(role, limit, offset)
        }
        pub fn locale_of(id: &str) -> Option<String> {
            host("identity.locale-of").identity_locale_of(id)
        }
        pub fn fiscal_number() -> Option<String> {
            host("identity.fiscal-number").identity_fiscal_number()
        }
    }

    pub mod events {
        use super::super::host;

        pub fn publish(name: &str, payload: &str) -> Result<(), String> {
            host("events.publish").events_publish(name, payload)
        }
    }

    pub mod audit {
        use super::super::host;

        pub fn append(action: &str, subject: &str, detail: &str) {
            host("audit.append").audit_append(action, subject, detail);
        }
    }

    pub mod log {
        use super::super::HOST;
        use crate::bindings::trama::plugin::types::LogLevel;

        /// Without a host, a log line goes to standard error, as a test's output.
        pub fn write(level: LogLevel, message: &str) {
            match HOST.with(|slot| slot.borrow().clone()) {
                Some(host) => host.log_write(level, message),
                None => eprintln!("[{level:?}] {message}"),
            }
        }
    }

    pub mod clock {
        use super::super::host;

        pub fn now() -> i64 {
            host("clock.now").clock_now()
        }
    }

    pub mod ledger {
        pub use crate::bindings::trama::plugin::ledger::*;

        use super::super::host;

        pub fn open(name: &str, kind: AccountKind) -> Result<Account, LedgerError> {
            host("ledger.open").ledger_open(name, kind)
        }
        pub fn get(name: &str) -> Result<Option<Account>, LedgerError> {
            host("ledger.get").ledger_get(name)
        }
        pub fn accounts(
            prefix: &str,
            limit: u32,
            offset: u32,
        ) -> Result<Vec<Account>, LedgerError> {
            host("ledger.accounts").ledger_accounts(prefix, limit, offset)
        }
        pub fn transfer(request: &TransferRequest) -> Result<TransferRecord, LedgerError> {
            host("ledger.transfer").ledger_transfer(request)
        }
        pub fn transfer_all(
            requests: &[TransferRequest],
        ) -> Result<Vec<TransferRecord>, LedgerError> {
            host("ledger.transfer-all").ledger_transfer_all(requests)
        }
        pub fn history(
            name: &str,
            limit: u32,
            offset: u32,
        ) -> Result<Vec<TransferRecord>, LedgerError> {
            host("ledger.history").ledger_history(name, limit, offset)
        }
        pub fn offer(offer: &PurseOffer) -> Result<(), LedgerError> {
            host("ledger.offer").ledger_offer(offer)
        }
        pub fn withdraw(account: &str) -> Result<(), LedgerError> {
            host("ledger.withdraw").ledger_withdraw(account)
        }
    }

    pub mod wallet {
        pub use crate::bindings::trama::plugin::wallet::*;

        use super::super::host;

        pub fn purses(owners: &[String]) -> Result<Vec<Purse>, WalletError> {
            host("wallet.purses").wallet_purses(owners)
        }
        pub fn quote(request: &ChargeRequest) -> Result<ChargeRecord, WalletError> {
            host("wallet.quote").wallet_quote(request)
        }
        pub fn charge(request: &ChargeRequest) -> Result<ChargeRecord, WalletError> {
            host("wallet.charge").wallet_charge(request)
        }
        pub fn reprice(key: &str, amount: i64) -> Result<ChargeRecord, WalletError> {
            host("wallet.reprice").wallet_reprice(key, amount)
        }
        pub fn get(key: &str) -> Result<Option<ChargeRecord>, WalletError> {
            host("wallet.get").wallet_get(key)
        }
    }

    pub mod notify {
        pub use crate::bindings::trama::plugin::notify::*;

        use super::super::host;

        pub fn send(message: &Notification) -> Result<bool, String> {
            host("notify.send").notify_send(message)
        }
    }

    pub mod files {
        pub use crate::bindings::trama::plugin::files::*;

        use super::super::host;

        pub fn uploads() -> Vec<Upload> {
            host("files.uploads").files_uploads()
        }
        pub fn keep(field: &str, owner: Option<&str>) -> Result<Stored, String> {
            host("files.keep").files_keep(field, owner)
        }
        pub fn describe(id: &str) -> Option<Stored> {
            host("files.describe").files_describe(id)
        }
        pub fn read(id: &str) -> Option<Vec<u8>> {
            host("files.read").files_read(id)
        }
        pub fn delete(id: &str) -> Result<bool, String> {
            host("files.delete").files_delete(id)
        }
    }

    pub mod notice {
        use super::super::host;

        pub fn show(text: &str) {
            host("notice.show").notice_show(text);
        }
    }

    pub mod protocol {
        pub use crate::bindings::trama::plugin::protocol::*;

        use super::super::host;

        pub fn register(subject: &str) -> Result<Entry, String> {
            host("protocol.register").protocol_register(subject)
        }
    }

    pub mod seal {
        use super::super::host;

        pub fn seal(context: &str, plaintext: &[u8]) -> Result<String, String> {
            host("seal.seal").seal_seal(context, plaintext)
        }
        pub fn open(context: &str, sealed: &str) -> Result<Vec<u8>, String> {
            host("seal.open").seal_open(context, sealed)
        }
    }

    pub mod i18n {
        use super::super::HOST;

        /// The host's catalogues, or — with no host, or a host without catalogues — the files
        /// on disk, merged as the kernel would (see `i18n/native.rs`).
        pub fn text(locale: &str, key: &str) -> Option<String> {
            HOST.with(|slot| slot.borrow().clone())
                .and_then(|host| host.i18n_text(locale, key))
                .unwrap_or_else(|| crate::i18n::native::text(locale, key))
        }
    }
}
