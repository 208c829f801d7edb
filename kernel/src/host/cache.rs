//! On-disk cache of compiled components, so that a restart does not recompile.
//!
//! Layout: `<cache dir>/<wasmtime version>/<config hash>/<sha256 of the component>.cwasm`.
//! Only files this cache wrote are ever deserialised (deserialising is `unsafe` precisely because
//! it trusts its input), and a file that fails to load is recompiled and rewritten.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ComponentCache {
    dir: PathBuf,
}

pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl ComponentCache {
    pub fn new(root: &Path, engine: &Engine) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        let config_hash = format!("{:016x}", std::hash::Hasher::finish(&hasher));
        Self {
            dir: root.join(wasmtime_version()).join(config_hash),
        }
    }

    pub fn load_or_compile(
        &self,
        engine: &Engine,
        hash: &str,
        bytes: &[u8],
    ) -> Result<Component, String> {
        let path = self.dir.join(format!("{hash}.cwasm"));
        if path.is_file() {
            // SAFETY: the file was produced by `Component::serialize` of an engine with the same
            // version and configuration (both are part of its path), inside the cache directory
            // that only the kernel writes.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "recompiling a stale cache entry")
                }
            }
        }
        let component = Component::new(engine, bytes).map_err(|err| format!("{err:#}"))?;
        if let Err(err) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), %err, "could not write the component cache");
        }
        Ok(component)
    }

    fn store(&self, path: &Path, component: &Component) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = component
            .serialize()
            .map_err(|err| std::io::Error::other(err.to_string()))?;
        // Write then rename so a concurrent reader never sees half a file.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}

fn wasmtime_version() -> &'static str {
    // wasmtime does not export its version; the engine hash covers the rest.
    "wasmtime-48"
}
