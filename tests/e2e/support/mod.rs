//! Test harness: builds the plugins once, writes instance folders into temporary directories,
//! starts the real `trama` binary on 127.0.0.1 and talks to it over HTTP.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "../../../kernel/tests/integration/pg.rs"]
mod pg;

mod http;
mod plugins;

pub use http::*;
pub use plugins::*;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("kernel/ has a parent")
        .to_path_buf()
}

/// Builds the plugins the instances in `dirs` enable, once each per test process (and once
/// across processes: `ensure_built` holds a file lock while building). Only those, so that a
/// plugin being written next door cannot break unrelated tests.
pub fn build_plugins_of(dirs: &[&Path]) {
    static BUILT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let mut wanted = BTreeSet::new();
    let dirs: Vec<PathBuf> = dirs.iter().map(|dir| dir.to_path_buf()).collect();
    for dir in trama::fleet::discover(&dirs) {
        // A broken manifest is the server's to report; the test sees its error.
        if let Ok(checked) = trama_manifest::check(&dir) {
            wanted.extend(
                checked
                    .plugins
                    .into_iter()
                    .filter(|plugin| plugin.enabled)
                    .map(|plugin| plugin.package.dir),
            );
        }
    }
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for dir in wanted {
        if built.contains(&dir) || !dir.join("Cargo.toml").is_file() {
            continue;
        }
        if let Err(err) = trama_plugin_build::ensure_built(&dir) {
            panic!("building plugin {}: {err}", dir.display());
        }
        built.insert(dir);
    }
}

/// Builds the named plugins of `plugins/`.
pub fn build_named_plugins(names: &[&str]) {
    for name in names {
        let dir = repo_root().join("plugins").join(name);
        if let Err(err) = trama_plugin_build::ensure_built(&dir) {
            panic!("building plugin {name}: {err}");
        }
    }
}

/// The compiled-component cache shared by all tests (compiling is the slow part of a start).
pub fn cache_dir() -> PathBuf {
    repo_root().join("target").join("test-component-cache")
}

/// An instance folder in a temporary directory.
pub struct TestInstance {
    pub dir: tempfile::TempDir,
}

impl TestInstance {
    /// `body` is the manifest after the `[instance]` and `[registry]` sections: database,
    /// limits, plugins.
    pub fn new(id: &str, body: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = repo_root();
        let manifest = format!(
            r#"[instance]
id = "{id}"
name = "Test {id}"
hosts = ["127.0.0.1", "localhost"]
locale = "it"

[registry]
plugins = ["{plugins}"]
themes = "{themes}"

{body}
"#,
            plugins = root.join("plugins").display(),
            themes = root.join("themes").display(),
            body = story_rates(body),
        );
        std::fs::write(dir.path().join("instance.toml"), manifest).expect("write manifest");
        Self { dir }
    }

    /// Like [`TestInstance::new`], with a registry whose `hello` the coordination table may
    /// propose (a [`listed_copy`]): for tests of the table's forms and API on that plugin.
    pub fn table(id: &str, body: &str) -> Self {
        let instance = Self::new(id, body);
        let registry = instance.path().join("listed-plugins");
        listed_copy("hello", &registry.join("hello"), None);
        let path = instance.path().join("instance.toml");
        let manifest = std::fs::read_to_string(&path)
            .expect("read manifest")
            .replace(
                &format!("plugins = [\"{}\"]", repo_root().join("plugins").display()),
                &format!("plugins = [\"{}\"]", registry.display()),
            );
        std::fs::write(&path, manifest).expect("write manifest");
        instance
    }

    /// The example instance `instances/NAME` as shipped, copied to a temporary folder (where
    /// its database is created) with the registry pointed at this checkout.
    pub fn example(name: &str) -> Self {
        let root = repo_root();
        let source = root.join("instances").join(name).join("instance.toml");
        let manifest = std::fs::read_to_string(&source)
            .unwrap_or_else(|err| panic!("reading {}: {err}", source.display()));
        let dir = tempfile::tempdir().expect("tempdir");
        let registry = format!(
            "\n[registry]\nplugins = [\"{}\"]\nthemes = \"{}\"\n",
            root.join("plugins").display(),
            root.join("themes").display()
        );
        std::fs::write(dir.path().join("instance.toml"), manifest + &registry)
            .expect("write manifest");
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl AsRef<Path> for TestInstance {
    fn as_ref(&self) -> &Path {
        self.path()
    }
}

/// Writes `root/NAME/instance.toml` for an instance `NAME` answering on `NAME.localhost`, with
/// `database` (a `[database]` section or nothing) and `plugins` (its `[plugins.*]` sections):
/// for servers given a folder of several instances.
pub fn write_named_instance(root: &Path, name: &str, database: &str, plugins: &str) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let manifest = format!(
        r#"[instance]
id = "{name}"
name = "Territorio {name}"
hosts = ["{name}.localhost"]

[registry]
plugins = ["{registry}"]
themes = "{themes}"
{database}
{plugins}"#,
        registry = repo_root().join("plugins").display(),
        themes = repo_root().join("themes").display(),
        plugins = story_rates(plugins),
    );
    std::fs::write(dir.join("instance.toml"), manifest).expect("write manifest");
}

/// The rate limits of test instances (`[limits]` added to `body`, or completed): the stories
/// sign up whole classes from 127.0.0.1 and race hundreds of writes by one account to test
/// money and concurrency, not the sign-up and write rates, which `tests/e2e/rates.rs` tests
/// with the limits it sets. A body setting a rate keeps its own value.
pub fn story_rates(body: &str) -> String {
    let rates: String = [
        "signups_per_hour_per_address",
        "writes_per_minute_per_account",
    ]
    .iter()
    .filter(|key| !body.contains(*key))
    .map(|key| format!("{key} = 100000\n"))
    .collect();
    match body.find("[limits]\n") {
        Some(at) => {
            let at = at + "[limits]\n".len();
            format!("{}{rates}{}", &body[..at], &body[at..])
        }
        None => format!("{body}\n[limits]\n{rates}"),
    }
}

/// A copy of `plugins/NAME` in `to` that the table may propose: `hello` and `rogue` say
/// `listed = false` (the table never offers a test plugin), so this table's own registry holds
/// copies that say `listed = true`, to exercise every kind of proposal on them. Everything but
/// the sources is linked: the built component, templates, catalogues and schemas.
pub fn listed_copy(name: &str, to: &Path, version: Option<&str>) {
    let from = repo_root().join("plugins").join(name);
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(&from).expect("plugin folder").flatten() {
        let file_name = entry.file_name();
        // The sources stay behind: a folder with a `Cargo.toml` is one the tests build.
        let sources = [
            "plugin.toml",
            "Cargo.toml",
            "src",
            "tests",
            "benches",
            "target",
        ];
        if sources.iter().any(|source| file_name == *source) {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), to.join(&file_name)).expect("link");
    }
    let mut meta = std::fs::read_to_string(from.join("plugin.toml")).expect("plugin.toml");
    meta = meta.replace("\nlisted = false\n", "\nlisted = true\n");
    if let Some(version) = version {
        meta = meta.replace("version = \"1.0.0\"", &format!("version = \"{version}\""));
    }
    std::fs::write(to.join("plugin.toml"), meta).expect("write");
}

pub const HELLO: &str = r#"
[plugins.hello]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "notify"]
[plugins.hello.settings]
greeting = "Buongiorno dal test"
"#;

/// The vouchers plugin with the settings the stories and the applications bench use.
pub const VOUCHERS: &str = r#"
[plugins.vouchers]
version = "^1.0"
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock", "notify", "files", "protocol"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
voucher_code_prefix = "BS"
"#;

/// The master key file every test server seals with (host API 1.9, see docs/deployment.md),
/// made once per run of the tests, outside any instance folder as a deployment keeps it.
pub fn seal_keys() -> &'static Path {
    static KEYS: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("trama-e2e-seal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the seal keys");
        let path = dir.join("seal.keys");
        std::fs::write(&path, trama::seal::Keyring::new_line("e2e") + "\n")
            .expect("write the seal keys");
        path
    })
}

pub fn trama() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trama"));
    command.env("TRAMA_LOG", "warn");
    command.env("TRAMA_SEAL_KEYS_FILE", seal_keys());
    // `trama check` links components as `serve` does: share the tests' compiled copies.
    command.env("TRAMA_CACHE_DIR", cache_dir());
    command
}

/// A running `trama serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(instances: &[&Path]) -> Self {
        Self::start_with_cache(instances, &cache_dir())
    }

    pub fn start_with_cache(instances: &[&Path], cache: &Path) -> Self {
        Self::start_with_args(instances, cache, &[])
    }

    /// Starts with more `trama serve` options (`--trust-proxy`, …).
    pub fn start_with_args(instances: &[&Path], cache: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(instances, cache, extra, &[])
    }

    /// Starts with `env` added to the server's environment (secrets a manifest names).
    pub fn start_with_env(
        instances: &[&Path],
        cache: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        build_plugins_of(instances);
        let mut child = trama()
            .envs(env.iter().copied())
            .arg("serve")
            .args(instances)
            .args(["--listen", "127.0.0.1:0", "--no-build", "--cache-dir"])
            .arg(cache)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn trama serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Trama listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!("trama serve did not start within 120 s");
            }
        };
        Self { child, base }
    }

    /// A server the test spawned itself (to read its output), once it listens on `base`.
    pub fn adopt(child: Child, base: String) -> Self {
        Self { child, base }
    }

    /// The server's process id (benchmarks read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGHUP: the server reloads its instance folders.
    pub fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill -HUP");
        assert!(status.success(), "kill -HUP failed");
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("a port in the base URL")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server the hard way, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The password of every account the tests create.
pub const PASSWORD: &str = "una password lunga";

/// Creates an account with `role` on the instance with `trama user add` (password on stdin).
pub fn add_user(instance: impl AsRef<Path>, username: &str, role: &str) {
    add_person(instance, username, username, role);
}

/// [`add_user`] with a display name: a person whose account the tests need without the mail
/// that a sign-up through the form sends (the address confirmation).
pub fn add_person(instance: impl AsRef<Path>, username: &str, display_name: &str, role: &str) {
    let mut add = trama()
        .args(["user", "add"])
        .arg(instance.as_ref())
        .args([
            "--username",
            username,
            "--display-name",
            display_name,
            "--role",
            role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trama user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write password");
    let output = add.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes `username` (created with [`add_user`] and role `governance`) a member of the instance's
/// coordination table.
pub fn add_member(instance: &Path, username: &str) {
    add_member_for(instance, username, "Comune di Prova");
}

/// [`add_member`] for `organisation`.
pub fn add_member_for(instance: &Path, username: &str, organisation: &str) {
    let output = trama()
        .args(["governance", "add-member"])
        .arg(instance)
        .args(["--username", username, "--organisation", organisation])
        .output()
        .expect("add-member");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub use pg::PgDatabase;

/// The version of the default theme's privacy notice, which signing up accepts (the sign-up
/// form's checkbox carries it).
pub fn privacy_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let path = repo_root().join("themes/default/privacy/notice.toml");
        let text = std::fs::read_to_string(&path).expect("the default theme's privacy notice");
        let table: toml::Table = text.parse().expect("notice.toml");
        table["version"].as_str().expect("version").to_owned()
    })
}

/// The value of header `name` of `response`, or empty.
/// Where a redirect sends the browser; a redirect without a `Location` fails the test.
#[track_caller]
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .expect("a Location header")
        .to_owned()
}

pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
