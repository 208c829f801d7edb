//! `trama dev INSTANCE`: the development loop (see `trama::dev`).

use std::net::SocketAddr;
use std::path::PathBuf;

use trama::instance::BuildPolicy;
use trama::server::{self, Overrides, ServeOptions, ServerSettings};

#[derive(clap::Args)]
pub struct DevArgs {
    /// The instance folder (holding an instance.toml).
    instance: PathBuf,
    /// Address to listen on (default 127.0.0.1:8080; port 0 picks a free port and prints it).
    #[arg(long, env = "TRAMA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Where compiled plugin components are cached (shared with `serve`).
    #[arg(long, env = "TRAMA_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    // The defaults of `serve` with no settings file: a developer's laptop, not a deployment.
    let settings = ServerSettings::load(
        None,
        Overrides {
            listen: args.listen,
            cache_dir: args.cache_dir,
            ..Overrides::default()
        },
    )?;
    trama::dev::run(ServeOptions {
        instance_dirs: vec![args.instance],
        listen: settings.listen,
        cache_dir: settings
            .cache_dir
            .clone()
            .unwrap_or_else(server::default_cache_dir),
        build: BuildPolicy::UseExisting,
        secure_cookies: false,
        trust_proxy: false,
        fleet_report: None,
        limits: settings.limits(),
        dev: true,
    })
    .await?;
    Ok(())
}
