//! Sealing (host API 1.9, capability `seal`): what a plugin must keep but nobody should read
//! from a copy of the database — a care manager's sensitive notes — encrypted at rest with an
//! authenticated cipher (XChaCha20-Poly1305, RustCrypto's `chacha20poly1305`).
//!
//! Keys come in two layers ("envelope encryption"):
//! - each instance has **data keys** in table `seal_keys`, stored only encrypted under a master
//!   key; the newest seals, the older ones still open what they sealed;
//! - the **master keys** live outside the database, in the file `TRAMA_SEAL_KEYS_FILE` names
//!   ([`keyring`]), the first line the current one.
//!
//! `trama seal rotate` adds a new data key to each instance and re-encrypts every data key under
//! the current master key, after which an older master key can leave the file (see
//! docs/deployment.md). A sealed text names its data key: `ts1.{key}.{base64(nonce ‖ sealed)}`.
//! It is bound to its instance, plugin and `context` (what it is, as the plugin names it:
//! `case/01J…/note/3`) as associated data, so a sealed note copied into another case, plugin or
//! instance does not open.
//!
//! The kernel also seals on a plugin's behalf: the files a plugin whose `plugin.toml` sets
//! `[files] sealed = true` keeps ([`Sealer::seal_file`], used by `crate::files`), bound to the
//! instance, the plugin and the file's id under their own prefix, so neither a sealed text nor
//! another file's bytes open in its place.

pub mod keyring;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sea_orm::{ConnectionTrait, DbErr};
use zeroize::Zeroizing;

use crate::db::{Db, sql};
pub use keyring::{Key, Keyring};

/// The prefix of a sealed text of this format.
const FORMAT: &str = "ts1";
/// Bytes of an XChaCha20 nonce: random nonces this long never repeat in practice.
const NONCE_LEN: usize = 24;
/// Longest plaintext a plugin may seal (a note), in bytes.
pub const MAX_PLAINTEXT: usize = 256 * 1024;
/// Longest context, in bytes.
pub const MAX_CONTEXT: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The key file is unreadable or malformed: where, and why.
    #[error("{place}: {reason}")]
    KeyFile { place: String, reason: String },
    #[error(
        "sealing is not set up: the deployment names its key file in {} (see docs/deployment.md)",
        keyring::KEYS_FILE_VAR
    )]
    NoKeys,
    #[error(
        "the master key `{0}` that encrypted one of this instance's data keys is not in the key file: put it back, or run `trama seal rotate` with it present"
    )]
    MissingMasterKey(String),
    #[error("instance `{instance}` has no data key {id}")]
    UnknownDataKey { instance: String, id: i64 },
    /// Not sealed here, for this, or altered since: nothing is said of which.
    #[error("this text was not sealed for this instance, plugin and context, or it was altered")]
    Forged,
    #[error("{0}")]
    TooLong(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// The associated data binding a sealed text to where it belongs.
fn bound(instance: &str, plugin: &str, context: &str) -> Vec<u8> {
    format!("trama-seal/1\0{instance}\0{plugin}\0{context}").into_bytes()
}

/// The associated data binding a sealed file to where it belongs: a prefix of its own, so no
/// text a plugin sealed under any context opens as a file, nor the reverse.
fn bound_file(instance: &str, plugin: &str, file: &str) -> Vec<u8> {
    format!("trama-seal-file/1\0{instance}\0{plugin}\0{file}").into_bytes()
}

/// The associated data of a data key wrapped under a master key.
fn bound_key(instance: &str, id: i64) -> Vec<u8> {
    format!("trama-seal-key/1\0{instance}\0{id}").into_bytes()
}

fn encrypt(key: &Key, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    let nonce_bytes: [u8; NONCE_LEN] = rand::random();
    let nonce = XNonce::from(nonce_bytes);
    // Encryption fails only for inputs beyond 256 GiB, far above MAX_PLAINTEXT.
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    out
}

fn decrypt(key: &Key, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::Forged);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.as_slice().into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Forged)
}

/// One instance's sealing: its data keys, opened once from the database and kept in memory.
pub struct Sealer {
    db: Db,
    instance: String,
    keyring: Arc<Keyring>,
    keys: RwLock<HashMap<i64, Key>>,
    current: RwLock<i64>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// The instance's sealer: its data keys opened with `keyring`, the first one made now if it
    /// has none (when the instance opens, before any plugin call holds the write lock).
    pub async fn open(db: Db, instance: &str, keyring: Arc<Keyring>) -> Result<Self, SealError> {
        let sealer = Self {
            db,
            instance: instance.to_owned(),
            keyring,
            keys: RwLock::new(HashMap::new()),
            current: RwLock::new(0),
        };
        let newest = match sealer.newest().await? {
            Some(id) => id,
            None => sealer.add_key().await?,
        };
        sealer.key(newest).await?;
        *sealer.current.write().unwrap_or_else(|p| p.into_inner()) = newest;
        Ok(sealer)
    }

    async fn newest(&self) -> Result<Option<i64>, SealError> {
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT MAX(id) AS id FROM seal_keys WHERE instance = ?",
                vec![self.instance.clone().into()],
            ))
            .await?;
        Ok(row.and_then(|row| row.try_get::<Option<i64>>("", "id").ok().flatten()))
    }

    /// Adds a new data key, wrapped under the current master key; returns its id. Two nodes
    /// adding at once each get their own id (the primary key refuses the second, which retries).
    async fn add_key(&self) -> Result<i64, SealError> {
        for _ in 0..5 {
            let id = self.newest().await?.unwrap_or(0) + 1;
            let key: Key = Zeroizing::new(rand::random());
            let (kek_id, kek) = self.keyring.current();
            let wrapped = URL_SAFE_NO_PAD.encode(encrypt(
                kek,
                &bound_key(&self.instance, id),
                key.as_slice(),
            ));
            let inserted = self
                .db
                .conn()
                .execute_raw(sql::stmt(
                    self.db.backend(),
                    "INSERT INTO seal_keys (instance, id, kek, wrapped, created_at) VALUES (?, ?, ?, ?, ?) \
                     ON CONFLICT (instance, id) DO NOTHING",
                    vec![
                        self.instance.clone().into(),
                        id.into(),
                        kek_id.into(),
                        wrapped.into(),
                        crate::clock::now_ms().into(),
                    ],
                ))
                .await?;
            if inserted.rows_affected() == 1 {
                self.keys
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id, key);
                return Ok(id);
            }
        }
        Err(SealError::Db(DbErr::Custom(
            "could not add a data key: other nodes kept taking the next id".into(),
        )))
    }

    /// The data key `id`, from memory or opened from the database.
    async fn key(&self, id: i64) -> Result<Key, SealError> {
        if let Some(key) = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(key.clone());
        }
        let row = self
            .db
            .conn()
            .query_one_raw(sql::stmt(
                self.db.backend(),
                "SELECT kek, wrapped FROM seal_keys WHERE instance = ? AND id = ?",
                vec![self.instance.clone().into(), id.into()],
            ))
            .await?
            .ok_or_else(|| SealError::UnknownDataKey {
                instance: self.instance.clone(),
                id,
            })?;
        let kek_id: String = row.try_get("", "kek")?;
        let wrapped: String = row.try_get("", "wrapped")?;
        let kek = self
            .keyring
            .get(&kek_id)
            .ok_or_else(|| SealError::MissingMasterKey(kek_id.clone()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(wrapped)
            .map_err(|_| SealError::Forged)?;
        let opened = decrypt(kek, &bound_key(&self.instance, id), &bytes)?;
        let key: [u8; keyring::KEY_LEN] = opened
            .as_slice()
            .try_into()
            .map_err(|_| SealError::Forged)?;
        let key = Zeroizing::new(key);
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, key.clone());
        Ok(key)
    }

    /// `plaintext` sealed for `plugin` under `context`, as text to keep in a document.
    pub async fn seal(
        &self,
        plugin: &str,
        context: &str,
        plaintext: &[u8],
    ) -> Result<String, SealError> {
        check_sizes(context, plaintext.len())?;
        let id = *self.current.read().unwrap_or_else(|p| p.into_inner());
        let key = self.key(id).await?;
        let sealed = encrypt(&key, &bound(&self.instance, plugin, context), plaintext);
        Ok(format!("{FORMAT}.{id}.{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// What [`Sealer::seal`] sealed for `plugin` under `context`.
    pub async fn open_sealed(
        &self,
        plugin: &str,
        context: &str,
        sealed: &str,
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(FORMAT), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Forged);
        };
        let id: i64 = id.parse().map_err(|_| SealError::Forged)?;
        let body = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Forged)?;
        let key = self.key(id).await?;
        decrypt(&key, &bound(&self.instance, plugin, context), &body)
    }

    /// The content of file `file` of `plugin` sealed with the current data key: that key's id
    /// and the bytes to store (nonce ‖ ciphertext ‖ tag). Files are bounded by the upload limit
    /// (`crate::files::MAX_UPLOAD_BYTES`), not by [`MAX_PLAINTEXT`].
    pub async fn seal_file(
        &self,
        plugin: &str,
        file: &str,
        plaintext: &[u8],
    ) -> Result<(i64, Vec<u8>), SealError> {
        let id = *self.current.read().unwrap_or_else(|p| p.into_inner());
        let key = self.key(id).await?;
        let sealed = encrypt(&key, &bound_file(&self.instance, plugin, file), plaintext);
        Ok((id, sealed))
    }

    /// What [`Sealer::seal_file`] sealed for file `file` of `plugin` with data key `key_id`.
    pub async fn open_file(
        &self,
        plugin: &str,
        file: &str,
        key_id: i64,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let key = self.key(key_id).await?;
        decrypt(&key, &bound_file(&self.instance, plugin, file), sealed)
    }

    /// Rotation: a new data key for what is sealed from now on, and every data key re-wrapped
    /// under the current master key (so older master keys may leave the key file). Returns the
    /// new key's id and how many keys were re-wrapped.
    pub async fn rotate(&self) -> Result<(i64, usize), SealError> {
        let new = self.add_key().await?;
        let ids: Vec<i64> = self
            .db
            .conn()
            .query_all_raw(sql::stmt(
                self.db.backend(),
                "SELECT id FROM seal_keys WHERE instance = ? ORDER BY id",
                vec![self.instance.clone().into()],
            ))
            .await?
            .iter()
            .filter_map(|row| row.try_get::<i64>("", "id").ok())
            .collect();
        let (kek_id, kek) = self.keyring.current();
        for id in &ids {
            let key = self.key(*id).await?;
            let wrapped = URL_SAFE_NO_PAD.encode(encrypt(
                kek,
                &bound_key(&self.instance, *id),
                key.as_slice(),
            ));
            self.db
                .conn()
                .execute_raw(sql::stmt(
                    self.db.backend(),
                    "UPDATE seal_keys SET kek = ?, wrapped = ? WHERE instance = ? AND id = ?",
                    vec![
                        kek_id.into(),
                        wrapped.into(),
                        self.instance.clone().into(),
                        (*id).into(),
                    ],
                ))
                .await?;
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = new;
        Ok((new, ids.len()))
    }
}

fn check_sizes(context: &str, plaintext: usize) -> Result<(), SealError> {
    if context.is_empty() || context.len() > MAX_CONTEXT {
        return Err(SealError::TooLong(format!(
            "a context is 1 to {MAX_CONTEXT} bytes (what the text is, such as case/1/note/3)"
        )));
    }
    if plaintext > MAX_PLAINTEXT {
        return Err(SealError::TooLong(format!(
            "at most {MAX_PLAINTEXT} bytes can be sealed at once"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
