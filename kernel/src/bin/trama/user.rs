//! `trama user …`: accounts from the command line — the first administrator of a territory, and
//! what a script needs. Roles are checked against those the instance declares, as on `/admin`.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use trama::auth::accounts::{self, Actor};
use trama::auth::roles::Declared;
use trama::db::Db;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input.
    Add {
        instance: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Roles on the instance (repeat the flag for several).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Grant a role to an account.
    Grant {
        instance: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
    },
    /// Revoke a role from an account.
    Revoke {
        instance: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
    },
}

/// Changes made here are audited as coming from the command line, without a person.
const CLI: Actor<'static> = Actor {
    username: None,
    via: "cli",
};

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            instance,
            username,
            display_name,
            roles,
        } => add(&instance, &username, &display_name, &roles).await,
        UserCommand::Grant {
            instance,
            username,
            role,
        } => {
            let (db, id, declared) = open(&instance).await?;
            let account = find(&db, &id, &username).await?;
            accounts::grant(&db, &id, &declared, &account, &role, CLI).await?;
            println!("`{username}` on `{id}` holds the role `{role}`");
            Ok(())
        }
        UserCommand::Revoke {
            instance,
            username,
            role,
        } => {
            let (db, id, _) = open(&instance).await?;
            let account = find(&db, &id, &username).await?;
            accounts::revoke(&db, &id, &account, &role, CLI).await?;
            println!("`{username}` on `{id}` does not hold the role `{role}`");
            Ok(())
        }
    }
}

/// The instance's database and id, and the roles it declares: the kernel's and those of the
/// plugins enabled by the manifest and the approved proposals.
async fn open(instance: &Path) -> anyhow::Result<(Db, String, Declared)> {
    let manifest = trama_manifest::load(instance)?;
    let db = crate::open_db(&manifest).await?;
    let id = manifest.instance.id.clone();
    let overlay = trama::board::Board::new(db.clone(), &id).overlay().await?;
    let checked = trama_manifest::check_with_overlay(instance, &overlay)?;
    let declared = Declared::new(checked.plugins.iter().filter(|plugin| plugin.enabled).map(
        |plugin| {
            (
                plugin.name.as_str(),
                plugin.package.meta.plugin.roles.iter(),
            )
        },
    ));
    Ok((db, id, declared))
}

/// The id of the account `username`.
async fn find(db: &Db, id: &str, username: &str) -> anyhow::Result<String> {
    match trama::auth::users::find_by_username(db, id, username).await? {
        Some(user) => Ok(user.id),
        None => bail!("there is no account `{username}` on `{id}`"),
    }
}

async fn add(
    instance: &Path,
    username: &str,
    display_name: &str,
    roles: &[String],
) -> anyhow::Result<()> {
    let (db, id, declared) = open(instance).await?;
    // Before the password is asked: a typo in a role costs no one a retyped password.
    for role in roles {
        declared.check(role)?;
    }
    let password = read_password()?;
    let user = trama::auth::users::create(
        &db,
        &id,
        trama::auth::users::NewUser {
            username,
            display_name,
            password: &password,
            roles,
        },
    )
    .await?;
    trama::audit::append(
        &db,
        trama::audit::Entry {
            instance: id.clone(),
            actor: None,
            plugin: None,
            action: "account.created".into(),
            subject: user.id.clone(),
            detail:
                serde_json::json!({ "username": user.username, "roles": user.roles, "via": "cli" })
                    .to_string(),
        },
    )
    .await?;
    println!(
        "created `{}` on `{id}` with roles [{}]",
        user.username,
        user.roles.join(", ")
    );
    Ok(())
}

/// Reads the password from the first line of standard input, or prompts without echo on a terminal.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password("password: ").context("reading the password");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given on standard input");
    }
    Ok(password)
}
