//! The `trama` command: serve instances, check manifests, build plugins, manage accounts.

mod check;
mod dev;
mod seal;
mod user;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use trama::db::Db;
use trama::instance::BuildPolicy;
use trama::server::{self, Overrides, ServeOptions, ServerSettings};

#[derive(Parser)]
#[command(
    name = "trama",
    version,
    about = "Trama: territorial welfare platforms from one kernel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve one or more instances (folders holding an instance.toml).
    Serve {
        #[arg(required = true)]
        instances: Vec<PathBuf>,
        /// A settings file whose `[server]` table holds these options (see
        /// docs/deployment.md); options given here win over it.
        #[arg(long, env = "TRAMA_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port and
        /// prints it).
        #[arg(long, env = "TRAMA_LISTEN")]
        listen: Option<SocketAddr>,
        /// Where compiled plugin components are cached.
        #[arg(long, env = "TRAMA_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// Do not build plugins from source; use their plugin.wasm as it is.
        #[arg(long)]
        no_build: bool,
        /// Mark cookies Secure and `__Host-` (when TLS ends at this server or a proxy that
        /// does not send X-Forwarded-Proto).
        #[arg(long, env = "TRAMA_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Count login attempts per client address taken from the last X-Forwarded-For hop
        /// (the one the proxy added) rather than the TCP peer. Only behind a reverse proxy
        /// that sets or appends X-Forwarded-For: otherwise clients could forge it.
        #[arg(long, env = "TRAMA_TRUST_PROXY")]
        trust_proxy: bool,
        /// The name of this process among the nodes sharing a database, recorded on the jobs it
        /// runs and the events it delivers and printed on every log line (default:
        /// HOSTNAME-PID).
        #[arg(long, env = "TRAMA_NODE_ID")]
        node_id: Option<String>,
        /// Connections open at once (default 4096); one more is answered 503 and closed at
        /// once. Keep it well under the limit on open files (raised to the hard limit at start).
        #[arg(long, env = "TRAMA_MAX_CONNECTIONS")]
        max_connections: Option<u32>,
        /// Seconds a client may take to send a request's headers (default 10); also how long
        /// a kept-alive connection may stay idle.
        #[arg(long, env = "TRAMA_HEADER_TIMEOUT")]
        header_timeout: Option<u64>,
        /// Seconds a client may take to send a request's body (default 30).
        #[arg(long, env = "TRAMA_BODY_TIMEOUT")]
        body_timeout: Option<u64>,
        /// The id of the instance whose administrators may see the fleet report
        /// (`/fleet/indicators`, on that instance's hosts): the cooperative's own territory.
        #[arg(long, env = "TRAMA_FLEET_REPORT")]
        fleet_report: Option<String>,
    },
    /// Serve one instance for development: rebuild a plugin when its Rust sources change,
    /// reload templates, catalogues and the manifest when they change, and show template
    /// errors with their file and line.
    Dev(dev::DevArgs),
    /// Validate an instance as `serve` would open it: its manifest with the changes the
    /// coordination table approved (read from its database, if it has one), its plugins
    /// resolved and their components linked. Given a folder of instances, check each and that
    /// no two claim one host or id.
    Check {
        instance: PathBuf,
        /// Where compiled plugin components are cached (shared with `serve`).
        #[arg(long, env = "TRAMA_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// Do not build plugins from source; link their plugin.wasm as it is.
        #[arg(long)]
        no_build: bool,
    },
    /// Create the database tables of an instance (serve does this too).
    Migrate { instance: PathBuf },
    /// Plugin development.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Territorial instances.
    #[command(subcommand)]
    Instance(InstanceCommand),
    /// The effective manifest of an instance.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// The coordination table of an instance.
    #[command(subcommand)]
    Governance(GovernanceCommand),
    /// Sealing: the master keys that protect what plugins keep encrypted at rest.
    #[command(subcommand)]
    Seal(seal::SealCommand),
    /// Print the notifications waiting for the mail relay, one JSON object per line
    /// (recipient username, subject, body, link); with `--failed`, those given up; with
    /// `--retry ID`, send a failed one again. An instance with `[mail]` sends its mail itself
    /// (`trama serve`): the relay is for instances without it.
    Outbox {
        instance: PathBuf,
        /// Record the printed messages as sent, so the next run prints only newer ones. Each is
        /// recorded before it is printed, so relays running at once never print one twice
        /// (a relay that fails after printing must resend from its own output).
        #[arg(long, conflicts_with_all = ["failed", "retry"])]
        mark_sent: bool,
        /// Print the messages given up as failed, newest first, with their attempts and last
        /// error, instead of the pending ones.
        #[arg(long, conflicts_with = "retry")]
        failed: bool,
        /// Put the failed message ID back to pending, its attempts counted from zero: the mail
        /// worker of `trama serve` sends it at its next poll.
        #[arg(long, value_name = "ID")]
        retry: Option<String>,
        /// Print at most this many messages.
        #[arg(long, default_value_t = 500)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Scaffold a new plugin in the plugins workspace.
    New {
        name: String,
        /// The plugins workspace.
        #[arg(long, default_value = "plugins")]
        dir: PathBuf,
    },
    /// Build plugins into WebAssembly components (plugin.wasm beside plugin.toml).
    Build {
        #[arg(required = true)]
        plugins: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum InstanceCommand {
    /// Scaffold a new territory: instances/NAME/instance.toml and its theme themes/NAME.
    New {
        name: String,
        /// The folder of instances.
        #[arg(long, default_value = "instances")]
        instances: PathBuf,
        /// The folder of themes.
        #[arg(long, default_value = "themes")]
        themes: PathBuf,
        /// The folder of plugins.
        #[arg(long, default_value = "plugins")]
        plugins: PathBuf,
    },
}

#[derive(Subcommand)]
enum ManifestCommand {
    /// Print instance.toml with the approved proposals and the TRAMA_* environment merged in,
    /// each value followed by where it comes from.
    Show {
        instance: PathBuf,
        /// Plain TOML without the origin comments, to save as a new instance.toml.
        #[arg(long)]
        export: bool,
    },
}

#[derive(Subcommand)]
enum GovernanceCommand {
    /// Give an account a seat on the coordination table (and the role `governance`).
    AddMember {
        instance: PathBuf,
        #[arg(long)]
        username: String,
        /// The organisation the member stands for.
        #[arg(long)]
        organisation: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of an instance's audit log.
    Verify { instance: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Serve {
        node_id: Some(id), ..
    } = &cli.command
        && let Err(err) = trama::node::set_id(id)
    {
        eprintln!("error: --node-id: {err}");
        return ExitCode::FAILURE;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRAMA_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,cranelift=warn,wasmtime=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if matches!(cli.command, Command::Serve { .. }) {
        // Nodes sharing a database write to one log collector: each line says whose it is.
        logs.event_format(WithNode(tracing_subscriber::fmt::format()))
            .init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The default log line, preceded by `node=<id>`.
struct WithNode<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for WithNode<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        write!(writer, "node={} ", trama::node::id())?;
        self.0.format_event(ctx, writer, event)
    }
}

/// The error and its causes, skipping causes whose text the message above already includes
/// (the library errors embed their source in their own message).
fn describe(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if !text.contains(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
    }
    text
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            instances,
            config,
            listen,
            cache_dir,
            no_build,
            secure_cookies,
            trust_proxy,
            node_id: _,
            max_connections,
            header_timeout,
            body_timeout,
            fleet_report,
        } => {
            let settings = ServerSettings::load(
                config.as_deref(),
                Overrides {
                    listen,
                    cache_dir,
                    secure_cookies,
                    trust_proxy,
                    max_connections,
                    header_timeout_secs: header_timeout,
                    body_timeout_secs: body_timeout,
                    fleet_report,
                },
            )?;
            tracing::info!(node = trama::node::id(), "starting");
            server::serve(ServeOptions {
                instance_dirs: instances,
                listen: settings.listen,
                cache_dir: settings
                    .cache_dir
                    .clone()
                    .unwrap_or_else(server::default_cache_dir),
                build: if no_build {
                    BuildPolicy::UseExisting
                } else {
                    BuildPolicy::BuildIfStale
                },
                secure_cookies: settings.secure_cookies,
                trust_proxy: settings.trust_proxy,
                limits: settings.limits(),
                dev: false,
                fleet_report: settings.fleet_report.clone(),
            })
            .await?;
        }
        Command::Dev(args) => dev::run(args).await?,
        Command::Check {
            instance,
            cache_dir,
            no_build,
        } => {
            let cache_dir = cache_dir.unwrap_or_else(server::default_cache_dir);
            // One call at a time: no pool to reserve.
            let host = trama::host::PluginHost::with_allocation(
                &cache_dir,
                trama::host::Allocation::OnDemand,
            )?;
            let policy = if no_build {
                BuildPolicy::UseExisting
            } else {
                BuildPolicy::BuildIfStale
            };
            check::check(&instance, &host, policy).await?;
        }
        Command::Migrate { instance } => {
            let manifest = trama_manifest::load(&instance)?;
            open_db(&manifest).await?;
            println!("database of `{}` is up to date", manifest.instance.id);
        }
        Command::Plugin(PluginCommand::New { name, dir }) => {
            let path = trama_plugin_build::new_plugin(&dir, &name)?;
            println!("created {}", path.display());
            println!("build it with: trama plugin build {}", path.display());
        }
        Command::Plugin(PluginCommand::Build { plugins }) => {
            for dir in plugins {
                // Progress on stderr, so that the `built …` lines on stdout stay scriptable.
                let wasm = trama_plugin_build::build_plugin_reporting(&dir, &mut |line| {
                    eprintln!("  {line}");
                })
                .with_context(|| format!("building {}", dir.display()))?;
                println!("built {}", wasm.display());
            }
        }
        Command::User(command) => user::run(command).await?,
        Command::Audit(AuditCommand::Verify { instance }) => {
            let manifest = trama_manifest::load(&instance)?;
            let db = open_db(&manifest).await?;
            let id = &manifest.instance.id;
            let rows = match trama::audit::verify(&db, id).await? {
                Ok(rows) => rows,
                Err(tampered) => bail!("audit log of `{id}`: {tampered}"),
            };
            let unaudited = trama::audit::completeness(&db, id).await?;
            if unaudited.total > 0 {
                let listed: Vec<String> = unaudited
                    .calls
                    .iter()
                    .map(|(table, calls)| format!("{table}: {}", calls.join(", ")))
                    .collect();
                bail!(
                    "audit log of `{id}` is incomplete: {} plugin calls wrote rows without a \
                     `plugin.changed` entry ({})",
                    unaudited.total,
                    listed.join("; ")
                );
            }
            println!("audit log of `{id}` intact and complete: {rows} rows verified");
        }
        Command::Instance(InstanceCommand::New {
            name,
            instances,
            themes,
            plugins,
        }) => {
            let made = trama::scaffold::new_instance(&instances, &themes, &plugins, &name)?;
            println!(
                "created {}",
                made.instance_dir.join("instance.toml").display()
            );
            println!("created the theme {}", made.theme_dir.display());
            println!("check it with: trama check {}", made.instance_dir.display());
        }
        Command::Manifest(ManifestCommand::Show { instance, export }) => {
            let manifest = trama_manifest::load(&instance)?;
            let db = open_db(&manifest).await?;
            let overlay = trama::board::Board::new(db, &manifest.instance.id)
                .overlay()
                .await?;
            let effective =
                trama_manifest::effective(&instance, trama_manifest::process_env(), &overlay)?;
            if export {
                print!("{}", effective.plain());
            } else {
                println!(
                    "# Effective manifest of `{}`: {} with {} approved change(s) and the environment.",
                    manifest.instance.id,
                    manifest.shown_file().display(),
                    overlay.changes().len()
                );
                print!("{}", effective.annotated());
            }
        }
        Command::Seal(command) => seal::run(command).await?,
        Command::Governance(GovernanceCommand::AddMember {
            instance,
            username,
            organisation,
        }) => {
            let manifest = trama_manifest::load(&instance)?;
            let db = open_db(&manifest).await?;
            let id = &manifest.instance.id;
            let Some(user) = trama::auth::users::find_by_username(&db, id, &username).await? else {
                bail!(
                    "there is no account `{username}` on `{id}`: create it with `trama user add`"
                );
            };
            if organisation.trim().is_empty() {
                bail!("--organisation: name the organisation the member stands for");
            }
            let entry = trama::audit::Entry {
                instance: id.clone(),
                actor: None,
                plugin: None,
                action: "governance.member_added".into(),
                subject: user.id.clone(),
                detail: serde_json::json!({ "username": user.username, "organisation": organisation.trim(), "via": "cli" }).to_string(),
            };
            trama::board::Board::new(db.clone(), id)
                .add_member(&user.id, organisation.trim(), entry)
                .await?;
            println!(
                "`{username}` sits on the table of `{id}` for {}",
                organisation.trim()
            );
        }
        Command::Outbox {
            instance,
            mark_sent,
            failed,
            retry,
            limit,
        } => {
            let manifest = trama_manifest::load(&instance)?;
            let db = open_db(&manifest).await?;
            let id = &manifest.instance.id;
            if let Some(message) = retry {
                if !trama::mail::retry(&db, id, &message, None, "cli").await? {
                    bail!(
                        "instance `{id}` has no failed message `{message}`: `trama outbox {} --failed` lists them",
                        instance.display()
                    );
                }
                println!("message `{message}` of `{id}` is pending again");
            } else if failed {
                for delivery in
                    trama::mail::list(&db, id, trama::mail::MailState::Failed, 0, limit).await?
                {
                    println!("{}", serde_json::to_string(&delivery)?);
                }
            } else {
                for message in trama::notify::pending(&db, id, limit).await? {
                    // With --mark-sent a message is claimed before it is printed: of two relays
                    // draining at once, only the one that marked it prints it.
                    if mark_sent && !trama::notify::mark_sent(&db, id, &message.id).await? {
                        continue;
                    }
                    println!("{}", serde_json::to_string(&message)?);
                }
            }
        }
    }
    Ok(())
}

/// Connects (and migrates) an instance's database, naming the instance and the database, with
/// any password hidden, when that fails.
pub(crate) async fn open_db(manifest: &trama_manifest::Manifest) -> anyhow::Result<Db> {
    let url = manifest.database_url();
    Db::connect(&url).await.with_context(|| {
        format!(
            "opening the database of instance `{}` ({})",
            manifest.instance.id,
            trama_manifest::redact_url(&url)
        )
    })
}
