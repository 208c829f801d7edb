//! Migration 18, host API 1.9: the instances' data keys for sealing (`crate::seal`), each kept
//! only encrypted under a master key that lives outside the database (`kek` names which).

use sea_orm_migration::prelude::*;

use super::run_script;

pub(super) struct SealKeys;

impl MigrationName for SealKeys {
    fn name(&self) -> &str {
        "m20261205_000018_seal_keys"
    }
}

const SEAL_KEYS: &str = r#"
CREATE TABLE seal_keys (
    instance TEXT NOT NULL,
    id BIGINT NOT NULL,
    kek TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (instance, id)
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for SealKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, SEAL_KEYS).await
    }
}
