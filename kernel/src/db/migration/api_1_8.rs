//! Migrations 16 and 17, host API 1.8: the `notices` table (`web::notice`), the one-time
//! message after an action, kept on the server for the browser's next page under the SHA-256
//! of a random token its cookie holds; and the protocol register (`crate::protocol`).

use sea_orm_migration::prelude::*;

use super::run_script;

pub(super) struct Notices;

impl MigrationName for Notices {
    fn name(&self) -> &str {
        "m20261205_000016_notices"
    }
}

const NOTICES: &str = r#"
CREATE TABLE notices (
    instance TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (instance, token_hash)
);
CREATE INDEX notices_expiry ON notices (instance, expires_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Notices {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, NOTICES).await
    }
}

/// Migration 17: the instance's protocol register (`crate::protocol`): one counter per
/// instance and year, and one row per registration.
pub(super) struct Protocol;

impl MigrationName for Protocol {
    fn name(&self) -> &str {
        "m20261205_000017_protocol"
    }
}

const PROTOCOL: &str = r#"
CREATE TABLE protocol_counters (
    instance TEXT NOT NULL,
    year INTEGER NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (instance, year)
);
CREATE TABLE protocol_entries (
    instance TEXT NOT NULL,
    year INTEGER NOT NULL,
    number BIGINT NOT NULL,
    plugin TEXT NOT NULL,
    subject TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (instance, year, number)
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Protocol {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, PROTOCOL).await
    }
}
