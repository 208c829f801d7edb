//! The deployment's master keys (key-encryption keys), held outside the database: a file named
//! by `TRAMA_SEAL_KEYS_FILE`, one key a line as `ID BASE64` (32 random bytes), the first line the
//! current key. `trama seal new-key` prints such a line. The database keeps only each instance's
//! data keys, encrypted under a master key ("envelope encryption"), so a copy of the database
//! alone opens nothing, and replacing a master key re-encrypts a few rows, not the data.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::SealError;

/// The environment variable naming the key file.
pub const KEYS_FILE_VAR: &str = "TRAMA_SEAL_KEYS_FILE";

/// Bytes in a key (XChaCha20-Poly1305).
pub const KEY_LEN: usize = 32;

/// A secret key, wiped from memory when dropped.
pub type Key = Zeroizing<[u8; KEY_LEN]>;

/// The master keys, the current one first.
pub struct Keyring {
    keys: Vec<(String, Key)>,
    source: PathBuf,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        f.debug_struct("Keyring")
            .field(
                "ids",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("source", &self.source)
            .finish()
    }
}

impl Keyring {
    /// The keyring the environment names, if it names one.
    pub fn from_env() -> Result<Option<Self>, SealError> {
        match std::env::var_os(KEYS_FILE_VAR) {
            Some(path) if !path.is_empty() => Self::read(Path::new(&path)).map(Some),
            _ => Ok(None),
        }
    }

    /// Reads a key file: `ID BASE64` a line, `#` comments and blank lines ignored.
    pub fn read(path: &Path) -> Result<Self, SealError> {
        let text = std::fs::read_to_string(path).map_err(|err| SealError::KeyFile {
            place: path.display().to_string(),
            reason: err.to_string(),
        })?;
        Self::from_text(&text, path)
    }

    /// Reads the text of a key file; `path` says where it came from in errors.
    pub fn from_text(text: &str, path: &Path) -> Result<Self, SealError> {
        let bad = |line: usize, reason: &str| SealError::KeyFile {
            place: if line == 0 {
                path.display().to_string()
            } else {
                format!("{}:{line}", path.display())
            },
            reason: reason.to_owned(),
        };
        let mut keys: Vec<(String, Key)> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, encoded) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| bad(n + 1, "write `ID BASE64`, as `trama seal new-key` prints"))?;
            if id.is_empty()
                || id.len() > 40
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(bad(
                    n + 1,
                    "a key id is letters, digits, `-` or `_`, at most 40",
                ));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(bad(n + 1, "this key id is already in the file"));
            }
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| bad(n + 1, "the key is not base64"))?,
            );
            let key: [u8; KEY_LEN] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| bad(n + 1, "a key is 32 bytes (44 characters of base64)"))?;
            keys.push((id.to_owned(), Zeroizing::new(key)));
        }
        if keys.is_empty() {
            return Err(bad(0, "the file holds no key"));
        }
        Ok(Self {
            keys,
            source: path.to_owned(),
        })
    }

    /// The key new data keys are encrypted under, with its id.
    pub fn current(&self) -> (&str, &Key) {
        let (id, key) = &self.keys[0];
        (id, key)
    }

    /// The key `id`, if the file still holds it.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.keys
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, key)| key)
    }

    /// A new random key as a line of a key file, named `id`.
    pub fn new_line(id: &str) -> String {
        let key: [u8; KEY_LEN] = rand::random();
        let key = Zeroizing::new(key);
        format!("{id} {}", STANDARD.encode(key.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Keyring, SealError> {
        Keyring::from_text(text, Path::new("seal.keys"))
    }

    #[test]
    fn the_first_key_is_current_and_older_ones_still_open() {
        let text = format!(
            "# rotated on 2026-12-05\n{}\n\n{}\n",
            Keyring::new_line("k2"),
            Keyring::new_line("k1")
        );
        let ring = parse(&text).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(ring.current().0, "k2");
        assert!(ring.get("k1").is_some() && ring.get("k3").is_none());
        assert!(
            !format!("{ring:?}").contains(&text[30..40]),
            "no key in Debug"
        );
    }

    #[test]
    fn a_broken_file_says_which_line_and_why() {
        let short = parse("k1 AAAA\n").expect_err("a short key");
        assert!(
            short.to_string().contains("seal.keys:1") && short.to_string().contains("32 bytes"),
            "{short}"
        );
        let twice = format!("{}\n{}\n", Keyring::new_line("k1"), Keyring::new_line("k1"));
        assert!(parse(&twice).expect_err("twice").to_string().contains(":2"));
        assert!(
            parse("# nothing\n")
                .expect_err("empty")
                .to_string()
                .contains("no key")
        );
        assert!(
            parse("k1\n")
                .expect_err("no key")
                .to_string()
                .contains("ID BASE64")
        );
    }
}
