//! `files`: the attachments of the request being handled, kept in the instance's database in
//! the call's own transaction (see [`crate::files`]); sealed at rest, and opened on read, for a
//! plugin whose plugin.toml sets `[files] sealed = true` (`PluginContext::files_sealer`). The
//! interface is the same either way: no WIT change.

use wasmtime::component::{HasSelf, Linker};

use crate::host::bindings::files;
use crate::host::call::CallState;

/// Links the `files` interface into a plugin's linker.
pub(super) fn link(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    files::add_to_linker::<_, HasSelf<_>>(linker, |state| state)
}

fn stored(file: crate::files::Stored) -> files::Stored {
    files::Stored {
        id: file.id,
        name: file.name,
        content_type: file.content_type,
        size: file.size,
        sha256: file.sha256,
        owner: file.owner,
        created_at: file.created_at,
    }
}

impl files::Host for CallState {
    async fn uploads(&mut self) -> wasmtime::Result<Vec<files::Upload>> {
        Ok(self
            .uploads
            .iter()
            .map(|upload| files::Upload {
                field: upload.field.clone(),
                name: upload.name.clone(),
                content_type: upload.content_type.to_owned(),
                size: upload.bytes.len() as u64,
            })
            .collect())
    }

    async fn keep(
        &mut self,
        field: String,
        owner: Option<String>,
    ) -> wasmtime::Result<Result<files::Stored, String>> {
        let Some(index) = self
            .uploads
            .iter()
            .position(|upload| upload.field == field && !upload.kept)
        else {
            return Ok(Err(format!("no file left to keep in the field `{field}`")));
        };
        let (instance, plugin) = (self.ctx.instance.clone(), self.ctx.plugin.clone());
        let kept = match self.tx.writer().await {
            Ok((txn, call)) => {
                let upload = &self.uploads[index];
                let sealer = self.ctx.files_sealer.as_deref();
                crate::files::insert_in(
                    txn,
                    call,
                    &instance,
                    &plugin,
                    owner.as_deref(),
                    upload,
                    sealer,
                )
                .await
            }
            Err(err) => Err(err.into()),
        };
        match kept {
            Ok(file) => {
                self.uploads[index].kept = true;
                self.kept.push(file.id.clone());
                self.changes.record(serde_json::json!({
                    "op": "keep_file", "id": file.id, "size": file.size, "owner": file.owner,
                }));
                Ok(Ok(stored(file)))
            }
            Err(err) => {
                // The database's words stay in the log; the person reads the kernel's.
                tracing::error!(%err, plugin = %plugin, "keeping a file failed");
                self.tx.note_failure();
                Ok(Err("the file could not be kept".to_owned()))
            }
        }
    }

    async fn describe(&mut self, id: String) -> wasmtime::Result<Option<files::Stored>> {
        let found =
            crate::files::describe(&self.tx.reader(), &self.ctx.instance, &self.ctx.plugin, &id)
                .await;
        match found {
            Ok(found) => Ok(found.map(stored)),
            Err(err) => {
                self.tx.note_failure();
                Err(wasmtime::Error::msg(format!("reading file `{id}`: {err}")))
            }
        }
    }

    async fn read(&mut self, id: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let sealer = self.ctx.files_sealer.as_deref();
        let found = crate::files::read(
            &self.tx.reader(),
            &self.ctx.instance,
            &self.ctx.plugin,
            &id,
            sealer,
        )
        .await;
        match found {
            Ok(found) => Ok(found),
            Err(err) => {
                self.tx.note_failure();
                Err(wasmtime::Error::msg(format!("reading file `{id}`: {err}")))
            }
        }
    }

    async fn delete(&mut self, id: String) -> wasmtime::Result<Result<bool, String>> {
        let (instance, plugin) = (self.ctx.instance.clone(), self.ctx.plugin.clone());
        let deleted = match self.tx.writer().await {
            Ok((txn, _)) => crate::files::delete_in(txn, &instance, &plugin, &id).await,
            Err(err) => Err(err),
        };
        match deleted {
            Ok(deleted) => {
                if deleted {
                    self.changes
                        .record(serde_json::json!({ "op": "delete_file", "id": id }));
                }
                Ok(Ok(deleted))
            }
            Err(err) => {
                tracing::error!(%err, plugin = %plugin, "deleting a file failed");
                self.tx.note_failure();
                Ok(Err("the file could not be deleted".to_owned()))
            }
        }
    }
}
