//! Migration 15: the `files` table (`crate::files`), attachments kept with their content so
//! that every node of an instance serves them and they commit with the call that kept them.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::{run_script, text_types};

pub(super) struct Files;

impl MigrationName for Files {
    fn name(&self) -> &str {
        "m20261204_000015_files"
    }
}

const FILES: &str = r#"
CREATE TABLE files (
    instance TEXT NOT NULL,
    plugin TEXT NOT NULL,
    id @TEXT@ NOT NULL,
    owner TEXT,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    body @BYTES@ NOT NULL,
    created_at BIGINT NOT NULL,
    call_id TEXT,
    PRIMARY KEY (instance, plugin, id)
);
CREATE INDEX files_owner ON files (instance, owner)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Files {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let bytes = match manager.get_connection().get_database_backend() {
            DbBackend::Postgres => "BYTEA",
            _ => "BLOB",
        };
        let script = text_types(manager, FILES).replace("@BYTES@", bytes);
        run_script(manager, &script).await
    }
}

/// Migration 21: `files.seal_key`, the data key a file was sealed with when its plugin keeps
/// its files sealed (`[files] sealed = true`, `crate::seal`); `NULL` for a file in clear, as
/// every file kept before stays.
pub(super) struct SealedFiles;

impl MigrationName for SealedFiles {
    fn name(&self) -> &str {
        "m20261205_000021_sealed_files"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SealedFiles {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, "ALTER TABLE files ADD COLUMN seal_key BIGINT").await
    }
}
