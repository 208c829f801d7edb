//! What a test reads back after its calls: the events published, the notifications queued,
//! the files kept, the audit log, the wallet and the ledger — each straight from the kernel's
//! own tables, as the real server would find them.

use super::*;

impl<P: Plugin> TestHost<P> {
    /// The events committed calls published, oldest first.
    pub fn published(&self) -> Vec<Published> {
        self.inner.published.borrow().clone()
    }

    /// The notifications committed calls queued in the kernel's outbox, oldest first.
    pub fn notifications(&self) -> Vec<Notice> {
        let messages = self
            .inner
            .runtime
            .block_on(trama::notify::pending(&self.inner.db, INSTANCE, 10_000))
            .unwrap_or_else(|err| panic!("reading the outbox: {err}"));
        messages
            .into_iter()
            .map(|message| Notice {
                to: message.recipient,
                subject: message.subject,
                body: message.body,
                link: message.link,
            })
            .collect()
    }

    /// Drops the files the call in progress kept and gives back the protocol numbers it took
    /// (its answer refused the request), as the kernel does.
    pub(crate) fn refused(&self) {
        let inner = &self.inner;
        let mut state = inner
            .call
            .borrow_mut()
            .take()
            .unwrap_or_else(|| panic!("refusing a request outside a call"));
        inner.runtime.block_on(state.refused());
        *inner.call.borrow_mut() = Some(state);
    }

    /// The notifications queued for `to`, oldest first: what one person finds in their inbox.
    pub fn notifications_to(&self, to: &Account) -> Vec<Notice> {
        self.notifications()
            .into_iter()
            .filter(|notice| notice.to == to.id)
            .collect()
    }

    /// The files kept about `owner` (name and content, oldest first): what the kernel packs in
    /// their "download my data".
    pub fn files_of(&self, owner: &Account) -> Vec<(String, Vec<u8>)> {
        let inner = &self.inner;
        inner
            .runtime
            .block_on(trama::files::owned_by(
                inner.db.conn(),
                INSTANCE,
                &owner.id,
                inner.ctx.files_sealer.as_deref(),
            ))
            .unwrap_or_else(|err| panic!("reading the files: {err}"))
            .into_iter()
            .map(|(_, file, body)| (file.name, body))
            .collect()
    }

    /// The bytes of kept file `id` as the database holds them (sealed, for a plugin whose
    /// plugin.toml sets `[files] sealed = true`): what a copy of the database would show.
    pub fn file_at_rest(&self, id: &str) -> Option<Vec<u8>> {
        use sea_orm::ConnectionTrait;
        let inner = &self.inner;
        let db = &inner.db;
        let row = inner
            .runtime
            .block_on(db.conn().query_one_raw(trama::db::sql::stmt(
                db.backend(),
                "SELECT body FROM files WHERE instance = ? AND plugin = ? AND id = ?",
                vec![INSTANCE.into(), inner.ctx.plugin.clone().into(), id.into()],
            )))
            .unwrap_or_else(|err| panic!("reading the file: {err}"))?;
        Some(
            row.try_get("", "body")
                .unwrap_or_else(|err| panic!("reading the file: {err}")),
        )
    }

    /// How many files the plugin keeps, whoever they are about.
    pub fn file_count(&self) -> u64 {
        let inner = &self.inner;
        let plugin = inner.ctx.plugin.clone();
        inner
            .runtime
            .block_on(trama::files::count(inner.db.conn(), INSTANCE, &plugin))
            .unwrap_or_else(|err| panic!("counting the files: {err}"))
            .0
    }

    /// The actions of the audit log's entries about `subject`, oldest first.
    pub fn audited(&self, subject: &str) -> Vec<String> {
        let inner = &self.inner;
        let filter = trama::audit::Filter {
            subject: Some(subject.to_owned()),
            ..trama::audit::Filter::default()
        };
        let mut entries = inner
            .runtime
            .block_on(trama::audit::search(
                &inner.db, INSTANCE, &filter, None, 1000,
            ))
            .unwrap_or_else(|err| panic!("reading the audit log: {err}"));
        entries.sort_by_key(|entry| entry.seq);
        entries.into_iter().map(|entry| entry.action).collect()
    }

    /// Gives `holder` a purse of `cents` that plugin `owner` (another plugin of the instance,
    /// say `vouchers`) offers for `categories` (empty: any): the account `account` is opened
    /// and funded in `owner`'s books and offered, as `owner` would with `ledger.offer`. For
    /// tests of a plugin granted `wallet`. Days are checked against the wall clock's date.
    pub fn offer_purse(
        &self,
        owner: &str,
        account: &str,
        holder: &Account,
        cents: i64,
        label: &str,
        categories: &[&str],
    ) {
        let inner = &self.inner;
        let books = trama::ledger::Ledger::new(inner.db.clone(), INSTANCE, owner);
        let offer = trama::wallet::Offer {
            account: account.to_owned(),
            holder: holder.id.clone(),
            label: label.to_owned(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            valid_from: None,
            valid_until: None,
        };
        inner
            .runtime
            .block_on(async {
                use trama::ledger::{AccountKind, TransferRequest};
                books.open("funding", AccountKind::External).await?;
                books.open(account, AccountKind::Funded).await?;
                books
                    .transfer(TransferRequest {
                        from: "funding".into(),
                        to: account.to_owned(),
                        amount: cents,
                        idempotency_key: format!("test/fund/{account}"),
                        memo: String::new(),
                    })
                    .await?;
                Ok::<(), trama::ledger::LedgerError>(())
            })
            .unwrap_or_else(|err| panic!("funding purse `{account}` of {owner}: {err}"));
        let wallet = trama::wallet::Wallet::new(inner.db.clone(), INSTANCE);
        inner
            .runtime
            .block_on(async {
                let write = inner.db.begin_owned_write().await?;
                wallet.offer_in(write.txn(), owner, &offer).await?;
                write.commit().await?;
                Ok::<(), trama::wallet::WalletError>(())
            })
            .unwrap_or_else(|err| panic!("offering purse `{account}` of {owner}: {err}"));
    }

    /// Every purse offered to `holder` on the instance, by owner and account, with what each
    /// holds: what a plugin offered with `ledger.offer`.
    pub fn wallet_of(&self, holder: &Account) -> Vec<trama::wallet::Purse> {
        let inner = &self.inner;
        let wallet = trama::wallet::Wallet::new(inner.db.clone(), INSTANCE);
        inner
            .runtime
            .block_on(wallet.purses_of(inner.db.conn(), &holder.id))
            .unwrap_or_else(|err| panic!("reading the wallet of `{}`: {err}", holder.username))
    }

    /// What account `account` of plugin `owner` (this plugin or another) holds, in cents; 0 if
    /// it was never opened.
    pub fn balance_of(&self, owner: &str, account: &str) -> i64 {
        let inner = &self.inner;
        let books = trama::ledger::Ledger::new(inner.db.clone(), INSTANCE, owner);
        inner
            .runtime
            .block_on(books.get(account))
            .unwrap_or_else(|err| panic!("reading `{account}` of {owner}: {err}"))
            .map_or(0, |a| a.balance)
    }
}
