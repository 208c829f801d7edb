//! # trama-testhost: a plugin's own tests against the real kernel
//!
//! A plugin's domain logic — who may apply, what a campaign pays, when a lesson may be
//! cancelled — reads and writes through the host API: store, ledger, identity, settings,
//! clock, events, notify, audit. In an instance the kernel answers those calls across the
//! WebAssembly boundary. Here the plugin's own Rust code runs natively under `cargo test`, and
//! the same calls are answered by the kernel's own implementations (the `Host` traits of
//! `trama::host::bindings` on a [`CallState`]), on an in-memory SQLite database that the
//! kernel's migrations built. Nothing is a second, hand-written fake: a store conflict, an
//! undeclared collection, a ledger overdraft, an event payload that breaks its schema, a role
//! the plugin did not declare, an import of a capability it did not declare, an event it does
//! not subscribe to fail here as they fail in production.
//!
//! What differs, on purpose: the plugin's `clock.now` is the test's, and so is the date of a
//! protocol registration (so that a test sees a year turn), while the kernel still stamps its
//! own records (ledger transfers, versions, the audit log) with the wall clock;
//! `log` goes to the test's output; `i18n` reads the catalogues from disk as the SDK merges
//! them; deadlines and memory limits, which belong to the sandbox, are not enforced.
//!
//! What it adds for tests: accounts with roles in one line, the fiscal number an identity
//! provider would have bound to one ([`TestHost::bind_fiscal_number`]), a clock the test sets (the
//! plugin's `clock.now`), each call one transaction committed when the code returns `Ok` and
//! rolled back otherwise (as the kernel does), the events and notifications that committed
//! calls left behind, to assert on or to deliver to another plugin, and the plugin's
//! `personal_data` route called as "download my data" ([`TestHost::personal_data`]) and an
//! erasure ([`TestHost::erase`]) call it.
//!
//! And the checks every plugin's stories make alike, so that each plugin does not write them
//! again: a step's status with its body in the failure ([`Answer::assert_status`], with the
//! record's own `status` [`Answer::assert_state`]), an
//! erasure's figures ([`TestHost::erase_expecting`]), a person forgotten after it
//! ([`TestHost::assert_forgotten`]), one person's inbox ([`TestHost::notifications_to`]).
//!
//! ```no_run
//! use serde_json::json;
//! use trama_testhost::TestHost;
//! # #[derive(Default)] struct Vouchers;
//! # impl trama_sdk::Plugin for Vouchers {
//! #     fn handle(&self, _: trama_sdk::http::Request) -> trama_sdk::Result<trama_sdk::http::Response> { todo!() }
//! # }
//!
//! let host = TestHost::<Vouchers>::new(env!("CARGO_MANIFEST_DIR")).expect("plugin.toml");
//! host.set_time("2026-03-02T09:00:00+01:00");
//! let operator = host.account("operatore", &["operator"]);
//! let created = host.post(Some(&operator), "/api/campaigns", json!({ "title": "Buoni spesa" }));
//! assert_eq!(created.status, 201, "{}", created.body);
//! ```
//!
//! A plugin lists it under `[target.'cfg(not(target_arch = "wasm32"))'.dev-dependencies]`, so
//! that its WebAssembly build never sees it.

mod answer;
mod charges;
mod convert;
mod imports;
mod inspect;

pub use answer::{Answer, Erasure};

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use trama::auth::users::{self, NewUser};
use trama::db::Db;
use trama::host::bindings::types::User as HostUser;
use trama::host::{CallState, PluginContext, Subscribers};
use trama_manifest::{Capability, PLUGIN_TOML, PluginMeta};
use trama_sdk::Plugin;
use trama_sdk::events::Event;
use trama_sdk::http::{Request, Response};

/// The instance every test host serves: a plugin's tests see one territory.
pub const INSTANCE: &str = "test";

/// Why a test host could not be set up: the plugin's own files are at fault.
#[derive(Debug, thiserror::Error)]
pub enum TestHostError {
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("settings of plugin `{plugin}`: {message}")]
    Settings { plugin: String, message: String },
    #[error("plugin `{plugin}` refused to install: {message}")]
    Install { plugin: String, message: String },
    #[error("the in-memory database: {0}")]
    Database(String),
}

/// An account made by [`TestHost::account`]: pass it as the caller of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
}

/// An event a committed call published.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub name: String,
    pub payload: Json,
}

/// A notification a committed call queued in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The account it is for.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The path inside the instance the message is about, if any.
    pub link: Option<String>,
}

/// Plugin `P` on one instance, its calls answered by the kernel; see the crate documentation.
pub struct TestHost<P: Plugin> {
    inner: Rc<Inner>,
    plugin: PhantomData<P>,
}

/// What the host's imports need; shared with the thread's installed host during a call.
pub(crate) struct Inner {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) db: Db,
    pub(crate) ctx: Arc<PluginContext>,
    /// The call in progress, whose transaction the imports work in.
    pub(crate) call: RefCell<Option<CallState>>,
    /// Unix milliseconds the plugin's `clock.now` answers.
    pub(crate) now: Cell<i64>,
    /// Events the call in progress published; kept only if it commits.
    pub(crate) pending: RefCell<Vec<Published>>,
    pub(crate) published: RefCell<Vec<Published>>,
    /// The capabilities `plugin.toml` declares: the kernel links only these imports, so a
    /// call to another one fails here too.
    pub(crate) granted: BTreeSet<Capability>,
    /// The events the plugin subscribes to and its jobs: nothing else is ever delivered or run.
    subscribes: BTreeSet<String>,
    jobs: BTreeSet<String>,
    /// The route `[plugin] personal_data` declares, which download and erasure call.
    pub(crate) personal_data: Option<String>,
    /// The one-time message the last committed call set for the person's next page (host API
    /// 1.8 `notice`), as the kernel took it from the call.
    pub(crate) notice: RefCell<Option<String>>,
}

impl Inner {
    /// Fails the test when the plugin calls an import its manifest does not declare, as the
    /// kernel refuses to link such a plugin.
    pub(crate) fn require(&self, capability: Capability, import: &str) {
        assert!(
            capability.is_ambient() || self.granted.contains(&capability),
            "plugin `{}` calls `{import}` but does not declare the capability `{}` in plugin.toml: \
             the kernel would refuse to load it",
            self.ctx.plugin,
            capability.as_str()
        );
    }
}

impl<P: Plugin> TestHost<P> {
    /// The plugin whose `plugin.toml` is in `dir` (a test passes `env!("CARGO_MANIFEST_DIR")`),
    /// with its settings' defaults.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, TestHostError> {
        Self::with_settings(dir, serde_json::json!({}))
    }

    /// Like [`TestHost::new`], with `settings` (a JSON object) given as an instance's manifest
    /// would give them, checked against the plugin's schema and completed with its defaults.
    pub fn with_settings(dir: impl AsRef<Path>, settings: Json) -> Result<Self, TestHostError> {
        let path = dir.as_ref().join(PLUGIN_TOML);
        let meta = PluginMeta::load(&path).map_err(|err| TestHostError::Manifest {
            path: path.clone(),
            message: err.to_string(),
        })?;
        let plugin = meta.plugin.name.clone();
        let settings =
            trama_manifest::validate_settings(&meta.settings, &settings).map_err(|faults| {
                TestHostError::Settings {
                    plugin: plugin.clone(),
                    message: faults
                        .iter()
                        .map(|(name, message)| format!("`{name}`: {message}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                }
            })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| TestHostError::Database(format!("a runtime: {err}")))?;
        let db = runtime
            .block_on(Db::memory())
            .map_err(|err| TestHostError::Database(err.to_string()))?;
        let collections = meta
            .collections
            .iter()
            .map(|(name, spec)| (name.clone(), spec.indexes.iter().cloned().collect()))
            .collect();
        // A plugin that seals, or keeps its files sealed, gets the kernel's own sealing, under
        // a key made for this host.
        let seals = meta.plugin.capabilities.contains(&Capability::Seal);
        let sealer = if seals || meta.files.sealed {
            let line = trama::seal::Keyring::new_line("test-host");
            let keyring = trama::seal::Keyring::from_text(&line, Path::new("the test host"))
                .map_err(|err| TestHostError::Database(err.to_string()))?;
            let sealer = runtime
                .block_on(trama::seal::Sealer::open(
                    db.clone(),
                    INSTANCE,
                    Arc::new(keyring),
                ))
                .map_err(|err| TestHostError::Database(err.to_string()))?;
            Some(Arc::new(sealer))
        } else {
            None
        };
        let ctx = PluginContext {
            instance: INSTANCE.to_owned(),
            plugin: plugin.clone(),
            version: meta.plugin.version.clone(),
            docs: trama::docstore::DocStore::new(
                db.clone(),
                INSTANCE,
                &plugin,
                Arc::new(collections),
            ),
            ledger: trama::ledger::Ledger::new(db.clone(), INSTANCE, &plugin),
            outbox: trama::notify::Outbox::new(db.clone(), INSTANCE, &plugin),
            db: db.clone(),
            settings: settings.to_string(),
            memory_cap: usize::MAX,
            publishes: meta.events.publishes.iter().cloned().collect(),
            event_schemas: meta.event_schemas.clone(),
            roles: meta.plugin.roles.iter().cloned().collect(),
            catalogues: Arc::default(),
            events_wake: Arc::default(),
            sealer: sealer.clone().filter(|_| seals),
            files_sealer: sealer.filter(|_| meta.files.sealed),
        };
        let host = Self {
            plugin: PhantomData,
            inner: Rc::new(Inner {
                runtime,
                db,
                ctx: Arc::new(ctx),
                call: RefCell::new(None),
                now: Cell::new(wall_clock_ms()),
                pending: RefCell::new(Vec::new()),
                published: RefCell::new(Vec::new()),
                granted: meta.plugin.capabilities.clone(),
                subscribes: meta.events.subscribes.iter().cloned().collect(),
                jobs: meta.jobs.iter().map(|job| job.name.clone()).collect(),
                personal_data: meta.plugin.personal_data.clone(),
                notice: RefCell::new(None),
            }),
        };
        // The kernel installs a plugin when an instance first enables it, before any request.
        host.install(None).map_err(|err| TestHostError::Install {
            plugin,
            message: err.to_string(),
        })?;
        Ok(host)
    }

    /// Opens an account holding `roles` (kernel roles such as `citizen`, or the plugin's own).
    ///
    /// # Panics
    /// If the kernel refuses the account (a malformed or taken username): a test's own mistake.
    pub fn account(&self, username: &str, roles: &[&str]) -> Account {
        self.person(username, &username.replace(['.', '_', '-'], " "), roles)
    }

    /// One account for each of `usernames`, all holding `roles`: a story's cast in one line
    /// (`let [anna, bruno] = host.accounts(["anna", "bruno"], &["citizen"]);`).
    ///
    /// # Panics
    /// As [`TestHost::account`].
    pub fn accounts<const N: usize>(&self, usernames: [&str; N], roles: &[&str]) -> [Account; N] {
        usernames.map(|username| self.account(username, roles))
    }

    /// Like [`TestHost::account`], with the name the person signed up with (`Carla Bianchi`),
    /// which pages, exports and notices show.
    ///
    /// # Panics
    /// If the kernel refuses the account.
    pub fn person(&self, username: &str, display_name: &str, roles: &[&str]) -> Account {
        let roles: Vec<String> = roles.iter().map(|role| (*role).to_owned()).collect();
        let new = NewUser {
            username,
            display_name,
            // Nobody logs in: the account only has to exist, with a password the kernel accepts.
            password: "a password nobody types in a test",
            roles: &roles,
        };
        let user = self
            .inner
            .runtime
            .block_on(users::create(&self.inner.db, INSTANCE, new))
            .unwrap_or_else(|err| panic!("account `{username}`: {err}"));
        Account {
            id: user.id,
            username: user.username,
        }
    }

    /// Binds `fiscal_number` to `account`, as a login through an identity provider (SPID, CIE)
    /// does: from then on `identity.fiscal-number` answers it to the plugin when `account`
    /// calls. Written like the claim (`TINIT-RSSMRA80A01H501U` or the bare code).
    ///
    /// # Panics
    /// If the code is not a valid codice fiscale, or another account holds it already.
    pub fn bind_fiscal_number(&self, account: &Account, fiscal_number: &str) {
        let code = trama::auth::fiscal::from_claim(fiscal_number)
            .unwrap_or_else(|err| panic!("`{fiscal_number}`: {err}"));
        let subject = format!("test-{}", account.id);
        self.inner
            .runtime
            .block_on(trama::auth::bindings::bind_in(
                self.inner.db.conn(),
                INSTANCE,
                "test",
                &subject,
                &account.id,
                &code,
            ))
            .unwrap_or_else(|err| panic!("binding `{code}` to `{}`: {err}", account.username));
    }

    /// Sets the time the plugin reads, as RFC 3339 (`2026-03-02T09:00:00+01:00`).
    ///
    /// # Panics
    /// If `when` is not RFC 3339.
    pub fn set_time(&self, when: &str) {
        let at = time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|err| panic!("`{when}` is not an RFC 3339 time: {err}"));
        let ms = at.unix_timestamp_nanos() / 1_000_000;
        self.inner.now.set(i64::try_from(ms).unwrap_or(i64::MAX));
    }

    /// Moves the plugin's clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.inner.now.set(self.inner.now.get().saturating_add(by));
    }

    /// The time the plugin reads, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.inner.now.get()
    }

    /// Runs `work` as one call by `caller` (anonymous when `None`): the plugin code in it
    /// reaches this host, and its writes, events and notifications are committed together
    /// when it returns `Ok`, rolled back when it returns an error — as the kernel ends a call.
    ///
    /// # Panics
    /// Inside another call (calls do not nest), or when the kernel cannot commit.
    pub fn call<R>(
        &self,
        caller: Option<&Account>,
        work: impl FnOnce() -> trama_sdk::Result<R>,
    ) -> trama_sdk::Result<R> {
        self.call_with(caller, Vec::new(), work)
    }

    /// [`call`](Self::call), with the files a request carried (see `trama::files`).
    pub fn call_with<R>(
        &self,
        caller: Option<&Account>,
        uploads: Vec<trama::files::Upload>,
        work: impl FnOnce() -> trama_sdk::Result<R>,
    ) -> trama_sdk::Result<R> {
        let inner = &self.inner;
        assert!(
            inner.call.borrow().is_none(),
            "a test host call does not nest inside another"
        );
        let user = caller.map(|account| self.host_user(account));
        let state = CallState::new(inner.ctx.clone(), user, Arc::new(Subscribers::default()))
            .with_uploads(uploads)
            .with_time(inner.now.get());
        *inner.call.borrow_mut() = Some(state);
        // Every call starts in a fresh instance, in the instance's language until the request
        // says otherwise.
        trama_sdk::i18n::set_locale("");
        let installed = trama_sdk::host::native::install(inner.clone());
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        drop(installed);
        let Some(mut state) = inner.call.take() else {
            // An import panicked with the state taken out: its transaction rolls back as the
            // state drops, and the panic goes on to fail the test.
            inner.pending.borrow_mut().clear();
            return result.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        };
        let success = matches!(result, Ok(Ok(_)));
        *inner.notice.borrow_mut() = state.take_notice().filter(|_| success);
        let pending = std::mem::take(&mut *inner.pending.borrow_mut());
        inner
            .runtime
            .block_on(state.finish(success))
            .unwrap_or_else(|err| panic!("the kernel could not end the call: {err}"));
        if success {
            inner.published.borrow_mut().extend(pending);
        }
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Serves `request` with the plugin as the kernel would under `/p/{plugin}`, in one call:
    /// an answer that refuses the request (a status of 400 or more) keeps no file and no
    /// protocol number, whatever else it wrote.
    pub fn request(
        &self,
        caller: Option<&Account>,
        request: Request,
    ) -> trama_sdk::Result<Response> {
        self.request_with(caller, Vec::new(), request)
    }

    /// [`request`](Self::request), with the files it carries.
    pub(crate) fn request_with(
        &self,
        caller: Option<&Account>,
        uploads: Vec<trama::files::Upload>,
        request: Request,
    ) -> trama_sdk::Result<Response> {
        self.call_with(caller, uploads, || {
            let response = trama_sdk::serve::request::<P>(request)?;
            if response.status() >= 400 {
                self.refused();
            }
            Ok(response)
        })
    }

    /// Delivers an event to the plugin, as the kernel's dispatcher does (no caller).
    ///
    /// # Panics
    /// If the plugin does not subscribe to `name`: the kernel would never deliver it.
    pub fn deliver(&self, name: &str, source: &str, payload: &Json) -> trama_sdk::Result<()> {
        self.deliver_with_id(&trama::docstore::new_id(), name, source, payload)
    }

    /// [`Self::deliver`] with the event's id given: delivering the same id twice is what the
    /// kernel does when a delivery is retried (at least once), which a subscriber must absorb.
    ///
    /// # Panics
    /// If the plugin does not subscribe to `name`.
    pub fn deliver_with_id(
        &self,
        id: &str,
        name: &str,
        source: &str,
        payload: &Json,
    ) -> trama_sdk::Result<()> {
        assert!(
            self.inner.subscribes.contains(name),
            "plugin `{}` does not subscribe to `{name}` in plugin.toml: the kernel would never deliver it",
            self.inner.ctx.plugin
        );
        let mut event = Event::new(id, name, source, &payload.to_string());
        event.published_at = self.now_ms();
        self.call(None, || trama_sdk::serve::event::<P>(event))
    }

    /// Runs the plugin's scheduled job `name` (no caller).
    ///
    /// # Panics
    /// If the plugin declares no such job under `[[jobs]]`.
    pub fn run_job(&self, name: &str) -> trama_sdk::Result<()> {
        assert!(
            self.inner.jobs.contains(name),
            "plugin `{}` declares no job `{name}` in plugin.toml",
            self.inner.ctx.plugin
        );
        self.call(None, || trama_sdk::serve::job::<P>(name))
    }

    /// Runs the plugin's `install` hook again, as the kernel does when `previous` is upgraded
    /// (the host ran it once, as a first install, when it was made).
    pub fn install(&self, previous: Option<&str>) -> trama_sdk::Result<()> {
        self.call(None, || trama_sdk::serve::install::<P>(previous))
    }

    /// The account as the kernel hands it to a plugin, with its current roles.
    fn host_user(&self, account: &Account) -> HostUser {
        let user = self
            .inner
            .runtime
            .block_on(users::find_by_id(&self.inner.db, INSTANCE, &account.id))
            .unwrap_or_else(|err| panic!("account `{}`: {err}", account.username))
            .unwrap_or_else(|| panic!("account `{}` does not exist", account.username));
        HostUser::from(user)
    }
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
