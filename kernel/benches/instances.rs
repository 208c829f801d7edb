//! Many territories in one process: how long 50 instances with 4 plugins each take to open, and
//! how much memory they hold, because compiled components are shared across instances.
//!
//! Run with `cargo bench -p trama --bench instances`. It prints, from one run:
//! - a first start that compiles the four components (no cache),
//! - one instance opened with the components cached (the baseline),
//! - 50 instances opened with the components cached, with the ratio of the time per instance to
//!   the baseline and the resident memory of the process, against the targets (under 2 s and
//!   under 300 MiB).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trama::host::PluginHost;
use trama::instance::{BuildPolicy, Instance};

const INSTANCES: usize = 50;
const PLUGINS: [&str; 4] = ["hello", "vouchers", "tutoring", "admissions"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernel/ has a parent")
        .to_path_buf()
}

fn write_instance(root: &Path, n: usize) -> PathBuf {
    let dir = root.join(format!("territorio-{n:02}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let manifest = format!(
        r#"[instance]
id = "territorio-{n:02}"
name = "Territorio {n}"
hosts = ["t{n}.localhost"]

[registry]
plugins = ["{plugins}"]
themes = "{themes}"

[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]

[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune {n}"
voucher_code_prefix = "T{n}"

[plugins.tutoring]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]

[plugins.admissions]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify", "protocol"]
"#,
        plugins = repo_root().join("plugins").display(),
        themes = repo_root().join("themes").display(),
    );
    std::fs::write(dir.join("instance.toml"), manifest).expect("write manifest");
    dir
}

/// Resident memory of this process, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

async fn open_all(dirs: &[PathBuf], cache: &Path) -> (Duration, Vec<Instance>) {
    let host = PluginHost::new(cache).expect("plugin host");
    let started = Instant::now();
    let mut opened = Vec::new();
    for dir in dirs {
        opened.push(
            Instance::open(dir, Arc::clone(&host), BuildPolicy::UseExisting)
                .await
                .unwrap_or_else(|err| panic!("{}: {err}", dir.display())),
        );
    }
    (started.elapsed(), opened)
}

fn main() {
    for plugin in PLUGINS {
        trama_plugin_build::ensure_built(&repo_root().join("plugins").join(plugin))
            .unwrap_or_else(|err| panic!("building {plugin}: {err}"));
    }
    let root = tempfile::tempdir().expect("tempdir");
    let cache = root.path().join("component-cache");
    let dirs: Vec<PathBuf> = (0..=INSTANCES)
        .map(|n| write_instance(root.path(), n))
        .collect();
    let (warmup, rest) = dirs.split_first().expect("instances");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (cold, cold_instances) = open_all(std::slice::from_ref(warmup), &cache).await;
        drop(cold_instances);
        let (baseline, one) = open_all(&rest[..1], &cache).await;
        drop(one);
        println!("first start, compiling {} components: {cold:.2?}", PLUGINS.len());
        println!("1 instance, components cached (baseline): {baseline:.2?}");
        let (first, instances) = open_all(rest, &cache).await;
        drop(instances);
        println!("{INSTANCES} instances, first start (databases created, install hooks run): {first:.2?}");
        let before = rss_mib();
        let (many, instances) = open_all(rest, &cache).await;
        let after = rss_mib();
        let per_instance = many / INSTANCES as u32;
        println!(
            "{INSTANCES} instances x {} plugins, restart with components cached: {many:.2?} ({per_instance:.2?} each, {:.2}x the baseline per instance; target under 2 s: {})",
            PLUGINS.len(),
            per_instance.as_secs_f64() / baseline.as_secs_f64(),
            if many < Duration::from_secs(2) { "met" } else { "MISSED" },
        );
        println!(
            "resident memory: {after:.0} MiB with {} instances ({:.1} MiB added by the {INSTANCES}; target under 300 MiB: {})",
            instances.len(),
            after - before,
            if after < 300.0 { "met" } else { "MISSED" },
        );
        drop(instances);
        // Where the time and memory of one start go, phase by phase, over the 50 folders.
        let phase = |name: &str, started: Instant, before: f64| {
            println!(
                "  phase {name}: {:.2?}, {:+.1} MiB",
                started.elapsed(),
                rss_mib() - before
            );
        };
        let (started, before) = (Instant::now(), rss_mib());
        let checked: Vec<_> = rest
            .iter()
            .map(|dir| trama_manifest::check(dir).expect("valid"))
            .collect();
        phase("manifests", started, before);
        let (started, before) = (Instant::now(), rss_mib());
        let mut dbs = Vec::new();
        for c in &checked {
            dbs.push(trama::db::Db::connect(&c.manifest.database_url()).await.expect("db"));
        }
        phase("databases", started, before);
        let (started, before) = (Instant::now(), rss_mib());
        let mut themes = Vec::new();
        for c in &checked {
            let plugins: Vec<_> = c
                .plugins
                .iter()
                .map(|p| trama::theme::PluginTemplates { name: &p.name, dir: &p.package.dir })
                .collect();
            themes.push(
                trama::theme::Theme::shared(&c.manifest.registry.themes, &c.manifest.instance.theme, &c.manifest.instance.locale, &plugins)
                    .expect("theme"),
            );
        }
        phase("themes", started, before);
        drop((themes, dbs, checked));
    });
}
