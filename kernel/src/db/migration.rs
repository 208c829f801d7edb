//! Schema migrations of the kernel tables, one SQL text per backend where they differ
//! (as vaultwarden does): explicit DDL is easier to review than a builder.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

mod accounts;
mod api_1_8;
mod api_1_9;
mod files;
mod indicators;
mod wallet;

use accounts::{DisabledAccounts, Identity, NoticeAddress, Privacy};
use api_1_8::{Notices, Protocol};
use api_1_9::SealKeys;
use files::{Files, SealedFiles};
use indicators::Indicators;
use wallet::{Wallet, WalletTold};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(Ledger),
            Box::new(Notifications),
            Box::new(Governance),
            Box::new(LoginAttempts),
            Box::new(JobRunLog),
            Box::new(LoginDevices),
            Box::new(InstanceClaims),
            Box::new(CallIds),
            Box::new(MailDelivery),
            Box::new(DisabledAccounts),
            Box::new(Identity),
            Box::new(Privacy),
            Box::new(NoticeAddress),
            Box::new(Files),
            Box::new(Notices),
            Box::new(Protocol),
            Box::new(SealKeys),
            Box::new(Indicators),
            Box::new(Wallet),
            Box::new(SealedFiles),
            Box::new(WalletTold),
        ]
    }
}

/// Runs each `;`-separated statement of a script (the scripts hold no `;` inside literals).
async fn run_script(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    for statement in script.split(';') {
        if !statement.trim().is_empty() {
            conn.execute_unprepared(statement).await?;
        }
    }
    Ok(())
}

/// Columns that queries sort or compare as text compare bytewise on PostgreSQL too (`COLLATE
/// "C"`), as they always do on SQLite, so pages and ranges come out the same on both.
fn text_types(manager: &SchemaManager<'_>, script: &str) -> String {
    let text = match manager.get_connection().get_database_backend() {
        DbBackend::Postgres => "TEXT COLLATE \"C\"",
        _ => "TEXT",
    };
    script.replace("@TEXT@", text)
}

/// The first schema: documents and their index, accounts, sessions, audit, events, jobs.
struct Initial;

impl MigrationName for Initial {
    fn name(&self) -> &str {
        "m20261123_000001_initial"
    }
}

const INITIAL: &str = r#"
CREATE TABLE documents (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    collection TEXT NOT NULL,
    doc_id @TEXT@ NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (instance, plugin, collection, doc_id)
);
CREATE TABLE document_index (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    collection TEXT NOT NULL,
    doc_id @TEXT@ NOT NULL,
    field TEXT NOT NULL,
    value_text @TEXT@,
    value_num DOUBLE PRECISION,
    PRIMARY KEY (instance, plugin, collection, doc_id, field)
);
CREATE INDEX document_index_text ON document_index (instance, plugin, collection, field, value_text);
CREATE INDEX document_index_num ON document_index (instance, plugin, collection, field, value_num);
CREATE TABLE users (
    instance TEXT NOT NULL,
    id TEXT NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (instance, id)
);
CREATE UNIQUE INDEX users_username ON users (instance, username);
CREATE TABLE user_roles (
    instance TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (instance, user_id, role)
);
CREATE TABLE sessions (
    instance TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (instance, token_hash)
);
CREATE TABLE audit_log (
    seq @AUTOINCREMENT@,
    instance TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT,
    plugin TEXT,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_instance ON audit_log (instance, seq);
CREATE TABLE events (
    instance TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    payload TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (instance, id)
);
CREATE TABLE event_deliveries (
    instance TEXT NOT NULL,
    event_id TEXT NOT NULL,
    subscriber TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (instance, event_id, subscriber)
);
CREATE INDEX event_deliveries_due ON event_deliveries (instance, status, next_attempt_at);
CREATE TABLE job_runs (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    job TEXT NOT NULL,
    last_run_at BIGINT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (instance, plugin, job)
);
CREATE TABLE plugin_installs (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    version TEXT NOT NULL,
    installed_at BIGINT NOT NULL,
    PRIMARY KEY (instance, plugin)
);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let autoincrement = match manager.get_connection().get_database_backend() {
            DbBackend::Postgres => "BIGSERIAL PRIMARY KEY",
            _ => "INTEGER PRIMARY KEY AUTOINCREMENT",
        };
        let script = INITIAL.replace("@AUTOINCREMENT@", autoincrement);
        run_script(manager, &text_types(manager, &script)).await
    }
}

/// The ledger of host API 1.1: accounts with their balance, and the journal of transfers.
struct Ledger;

impl MigrationName for Ledger {
    fn name(&self) -> &str {
        "m20261123_000002_ledger"
    }
}

const LEDGER: &str = r#"
CREATE TABLE ledger_accounts (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    name @TEXT@ NOT NULL,
    kind TEXT NOT NULL,
    balance BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (instance, plugin, name),
    CHECK (kind = 'external' OR balance >= 0),
    CHECK (balance BETWEEN -1000000000000000000 AND 1000000000000000000)
);
CREATE TABLE ledger_transfers (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    from_account TEXT NOT NULL,
    to_account TEXT NOT NULL,
    amount BIGINT NOT NULL,
    memo TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (instance, plugin, id),
    CHECK (amount > 0)
);
CREATE UNIQUE INDEX ledger_transfers_key ON ledger_transfers (instance, plugin, idempotency_key);
CREATE INDEX ledger_transfers_from ON ledger_transfers (instance, plugin, from_account, at);
CREATE INDEX ledger_transfers_to ON ledger_transfers (instance, plugin, to_account, at);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Ledger {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, LEDGER)).await
    }
}

/// The notification outbox of host API 1.2: every message is at once an entry in the
/// recipient's inbox (`read_at`) and a mail waiting for the relay (`sent_at`).
struct Notifications;

impl MigrationName for Notifications {
    fn name(&self) -> &str {
        "m20261123_000003_notifications"
    }
}

const NOTIFICATIONS: &str = r#"
CREATE TABLE notifications (
    instance TEXT NOT NULL,
    id @TEXT@ NOT NULL,
    plugin TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    sent_at BIGINT,
    PRIMARY KEY (instance, id)
);
CREATE UNIQUE INDEX notifications_key ON notifications (instance, plugin, dedup_key);
CREATE INDEX notifications_inbox ON notifications (instance, recipient, created_at);
CREATE INDEX notifications_outbox ON notifications (instance, sent_at, created_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Notifications {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, NOTIFICATIONS)).await
    }
}

/// The coordination table: its members, their proposals and votes. Approved proposals that were
/// applied are the overlay over `instance.toml`.
struct Governance;

impl MigrationName for Governance {
    fn name(&self) -> &str {
        "m20261123_000004_governance"
    }
}

const GOVERNANCE: &str = r#"
CREATE TABLE governance_members (
    instance TEXT NOT NULL,
    user_id @TEXT@ NOT NULL,
    organisation @TEXT@ NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (instance, user_id)
);
CREATE TABLE proposals (
    instance TEXT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    changes TEXT NOT NULL,
    diff TEXT NOT NULL,
    status TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    decided_at BIGINT,
    outcome TEXT,
    claimed_until BIGINT,
    applied_seq BIGINT,
    PRIMARY KEY (instance, number)
);
CREATE INDEX proposals_status ON proposals (instance, status, closes_at);
CREATE TABLE proposal_votes (
    instance TEXT NOT NULL,
    number BIGINT NOT NULL,
    user_id @TEXT@ NOT NULL,
    organisation @TEXT@ NOT NULL,
    choice TEXT NOT NULL,
    cast_at BIGINT NOT NULL,
    PRIMARY KEY (instance, number, user_id)
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Governance {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, GOVERNANCE)).await
    }
}

/// Recent login attempts, counted per account and per client address by `auth::throttle`. In
/// the database rather than in memory so that every node sharing it counts the same attempts.
struct LoginAttempts;

impl MigrationName for LoginAttempts {
    fn name(&self) -> &str {
        "m20261123_000005_login_attempts"
    }
}

const LOGIN_ATTEMPTS: &str = r#"
CREATE TABLE login_attempts (
    instance TEXT NOT NULL,
    id @TEXT@ NOT NULL,
    username @TEXT@ NOT NULL,
    address @TEXT@ NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (instance, id)
);
CREATE INDEX login_attempts_username ON login_attempts (instance, username, at);
CREATE INDEX login_attempts_address ON login_attempts (instance, address, at);
CREATE INDEX login_attempts_at ON login_attempts (instance, at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for LoginAttempts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, LOGIN_ATTEMPTS)).await
    }
}

/// Scale-out: every run of a scheduled job is one row per due time (`slot`), so the UNIQUE key
/// makes a second run of the same due time impossible whatever node tries, and shows operators
/// which node ran it, when, and whether it finished. Event deliveries remember the node that
/// claimed their last attempt (the one that delivered them, once `done`). `job_runs` is no
/// longer written (nodes still running an older kernel during a rolling upgrade use it).
struct JobRunLog;

impl MigrationName for JobRunLog {
    fn name(&self) -> &str {
        "m20261123_000006_job_run_log"
    }
}

const JOB_RUN_LOG: &str = r#"
CREATE TABLE job_run_log (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    job TEXT NOT NULL,
    slot BIGINT NOT NULL,
    node TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    taken_over_from TEXT,
    started_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL,
    finished_at BIGINT,
    error TEXT,
    CONSTRAINT job_run_log_once_per_slot UNIQUE (instance, plugin, job, slot)
);
CREATE INDEX job_run_log_recent ON job_run_log (instance, started_at);
ALTER TABLE event_deliveries ADD COLUMN node TEXT;
ALTER TABLE event_deliveries ADD COLUMN delivered_at BIGINT
"#;

#[async_trait::async_trait]
impl MigrationTrait for JobRunLog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, JOB_RUN_LOG).await
    }
}

/// Browsers where an account has logged in before (OWASP's device cookies): from such a
/// browser, failed logins count only against that browser, so guesses made elsewhere cannot
/// lock the owner out. The cookie holds a random token; only its SHA-256 is kept here. One
/// browser shared by a family holds one token, listed once per account that used it.
struct LoginDevices;

impl MigrationName for LoginDevices {
    fn name(&self) -> &str {
        "m20261203_000007_login_devices"
    }
}

const LOGIN_DEVICES: &str = r#"
CREATE TABLE login_devices (
    instance TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    username @TEXT@ NOT NULL,
    last_login_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (instance, token_hash, username)
);
CREATE INDEX login_devices_expiry ON login_devices (instance, expires_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for LoginDevices {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, &text_types(manager, LOGIN_DEVICES)).await
    }
}

/// When each instance was first served from its database: of two folders claiming one host,
/// the one whose territory was served first keeps it, however their files were edited, copied
/// or restored since (`fleet::without_clashes`).
struct InstanceClaims;

impl MigrationName for InstanceClaims {
    fn name(&self) -> &str {
        "m20261203_000008_instance_claims"
    }
}

const INSTANCE_CLAIMS: &str = r#"
CREATE TABLE instance_claims (
    instance TEXT NOT NULL PRIMARY KEY,
    first_served_at BIGINT NOT NULL
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for InstanceClaims {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, INSTANCE_CLAIMS).await
    }
}

/// Which plugin call last wrote each row a plugin can write: the call's id is also in its
/// `plugin.changed` audit entry, so `trama audit verify` can prove that no committed write lacks
/// its entry. Rows written before this migration have none and are not checked.
struct CallIds;

impl MigrationName for CallIds {
    fn name(&self) -> &str {
        "m20261203_000009_call_ids"
    }
}

const CALL_IDS: &str = r#"
ALTER TABLE documents ADD COLUMN call_id TEXT;
ALTER TABLE ledger_transfers ADD COLUMN call_id TEXT;
ALTER TABLE events ADD COLUMN call_id TEXT;
ALTER TABLE notifications ADD COLUMN call_id TEXT
"#;

#[async_trait::async_trait]
impl MigrationTrait for CallIds {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, CALL_IDS).await
    }
}

/// The kernel's own mail delivery (`[mail]`, `crate::mail`): each notification carries its
/// attempts, when the next one is due, the lease of the node sending it now (`claimed_by` until
/// `claimed_until`), and, once given up, when and why. A message is pending while `sent_at` and
/// `failed_at` are both empty. Rows queued before this migration start with no attempt.
struct MailDelivery;

impl MigrationName for MailDelivery {
    fn name(&self) -> &str {
        "m20261204_000010_mail_delivery"
    }
}

const MAIL_DELIVERY: &str = r#"
ALTER TABLE notifications ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE notifications ADD COLUMN claimed_until BIGINT;
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN failed_at BIGINT;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
CREATE INDEX notifications_mail ON notifications (instance, sent_at, failed_at, next_attempt_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for MailDelivery {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, MAIL_DELIVERY).await
    }
}
