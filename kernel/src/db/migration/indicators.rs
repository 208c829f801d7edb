//! Migration 19: the scientific committee's validations of indicator definitions
//! (`crate::indicators::validation`), and an index to read a territory's events by name, as
//! its indicators do.

use sea_orm_migration::prelude::*;

use super::run_script;

pub(super) struct Indicators;

impl MigrationName for Indicators {
    fn name(&self) -> &str {
        "m20261205_000019_indicators"
    }
}

const INDICATORS: &str = r#"
CREATE TABLE indicator_validations (
    instance TEXT NOT NULL,
    indicator TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    definition TEXT NOT NULL,
    validated_by TEXT NOT NULL,
    validated_at BIGINT NOT NULL,
    PRIMARY KEY (instance, indicator, fingerprint)
);
CREATE INDEX events_by_name ON events (instance, name, published_at)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Indicators {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, INDICATORS).await
    }
}
