//! The schema of accounts run from the browser: disabled accounts and links sent by e-mail,
//! logins through identity providers, privacy, and mail to an address an account left.

use sea_orm_migration::prelude::*;

use super::run_script;

/// Accounts run from the browser: an administrator may disable one (it cannot log in, its
/// sessions end; the row stays, so that what the person did keeps its author); one-time links
/// sent by e-mail (invitations, password resets, address checks: `auth::tokens`); whether the
/// address was confirmed; which browser each session is, for "my sessions".
pub(super) struct DisabledAccounts;

impl MigrationName for DisabledAccounts {
    fn name(&self) -> &str {
        "m20261204_000011_accounts_in_the_browser"
    }
}

const DISABLED_ACCOUNTS: &str = r#"
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
CREATE INDEX user_roles_role ON user_roles (instance, role, user_id);
CREATE TABLE account_links (
    instance TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    user_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (instance, token_hash)
);
CREATE INDEX account_links_user ON account_links (instance, user_id, purpose, created_at);
ALTER TABLE sessions ADD COLUMN user_agent TEXT
"#;

#[async_trait::async_trait]
impl MigrationTrait for DisabledAccounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, DISABLED_ACCOUNTS).await
    }
}

/// Logins through OpenID Connect providers (`auth::oidc`, `auth::bindings`): each login started
/// waits in `oidc_logins` (keyed by the SHA-256 of its `state`, with its nonce, PKCE verifier,
/// the hash of the browser's cookie and where to go next) until its callback deletes it — a
/// conditional delete, so a replayed callback finds nothing — or it expires after ten minutes.
/// `identity_bindings` ties a provider's subject to an account and its fiscal number: one
/// binding per subject, and one account per fiscal number on an instance.
pub(super) struct Identity;

impl MigrationName for Identity {
    fn name(&self) -> &str {
        "m20261204_000012_identity"
    }
}

const IDENTITY: &str = r#"
CREATE TABLE oidc_logins (
    instance TEXT NOT NULL,
    state_hash TEXT NOT NULL,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (instance, state_hash)
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (instance, expires_at);
CREATE TABLE identity_bindings (
    instance TEXT NOT NULL,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL,
    fiscal_number TEXT NOT NULL,
    bound_at BIGINT NOT NULL,
    PRIMARY KEY (instance, provider, subject)
);
CREATE UNIQUE INDEX identity_bindings_fiscal ON identity_bindings (instance, fiscal_number);
CREATE INDEX identity_bindings_user ON identity_bindings (instance, user_id)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Identity {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, IDENTITY).await
    }
}

/// Privacy: the version of the notice each account last agreed to (with the history of
/// agreements), and erasure requested and carried out.
pub(super) struct Privacy;

impl MigrationName for Privacy {
    fn name(&self) -> &str {
        "m20261204_000013_privacy"
    }
}

const PRIVACY: &str = r#"
ALTER TABLE users ADD COLUMN privacy_version TEXT;
ALTER TABLE users ADD COLUMN erasure_requested_at BIGINT;
ALTER TABLE users ADD COLUMN erased_at BIGINT;
CREATE TABLE consents (
    instance TEXT NOT NULL,
    user_id TEXT NOT NULL,
    version TEXT NOT NULL,
    given_at BIGINT NOT NULL,
    locale TEXT NOT NULL,
    PRIMARY KEY (instance, user_id, version)
);
CREATE INDEX users_erasure_requested ON users (instance, erasure_requested_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Privacy {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, PRIVACY).await
    }
}

/// A notification may be addressed to an address rather than to the account's login:
/// changing one's address tells the address left behind (`auth::recovery::change_email`),
/// which by the time the mail is sent is no longer the account's. `NULL` for every other
/// message; erased with the account's notifications.
pub(super) struct NoticeAddress;

impl MigrationName for NoticeAddress {
    fn name(&self) -> &str {
        "m20261204_000014_notice_address"
    }
}

const NOTICE_ADDRESS: &str = r#"
ALTER TABLE notifications ADD COLUMN address TEXT
"#;

#[async_trait::async_trait]
impl MigrationTrait for NoticeAddress {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, NOTICE_ADDRESS).await
    }
}
