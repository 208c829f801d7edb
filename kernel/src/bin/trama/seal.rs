//! `trama seal`: the master keys of sealing (host API 1.9), held outside the database in the
//! file `TRAMA_SEAL_KEYS_FILE` names (see docs/deployment.md).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use trama::seal::{Keyring, Sealer, keyring::KEYS_FILE_VAR};

#[derive(Subcommand)]
pub enum SealCommand {
    /// Print a new master key as a line of a key file (`ID BASE64`). Put it first in the file
    /// to make it the current one, then run `trama seal rotate` on every instance.
    NewKey {
        /// The key's name (default: `k` and today's date, `k20261205`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Give the instance a new data key for what is sealed from now on, and re-encrypt all its
    /// data keys under the current master key (the file's first): afterwards older master keys
    /// may leave the file. What was sealed stays readable.
    Rotate { instance: PathBuf },
}

pub async fn run(command: SealCommand) -> anyhow::Result<()> {
    match command {
        SealCommand::NewKey { id } => {
            let id = id.unwrap_or_else(|| format!("k{}", chrono::Utc::now().format("%Y%m%d")));
            println!("{}", Keyring::new_line(&id));
        }
        SealCommand::Rotate { instance } => {
            let manifest = trama_manifest::load(&instance)?;
            let keyring = Keyring::from_env()?
                .with_context(|| format!("rotating needs the key file: set {KEYS_FILE_VAR}"))?;
            let db = crate::open_db(&manifest).await?;
            let id = &manifest.instance.id;
            let sealer = Sealer::open(db, id, Arc::new(keyring)).await?;
            let (new, rewrapped) = sealer.rotate().await?;
            println!(
                "instance `{id}`: data key {new} seals from now on; {rewrapped} data keys encrypted under the current master key"
            );
        }
    }
    Ok(())
}
