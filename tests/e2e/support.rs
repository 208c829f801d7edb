//! Test harness: builds the plugins once, writes instance folders into temporary directories,
//! starts the real `trama` binary on 127.0.0.1 and talks to it over HTTP.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

#[path = "../../kernel/tests/common/pg.rs"]
mod pg;

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
capabilities = ["store", "settings", "identity", "events", "audit", "ledger", "log", "clock"]
[plugins.vouchers.settings]
municipality_name = "Comune di Prova"
voucher_code_prefix = "BS"
"#;

pub fn trama() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trama"));
    command.env("TRAMA_LOG", "warn");
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
        build_plugins_of(instances);
        let mut child = trama()
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

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub struct Client {
    pub http: reqwest::Client,
}

impl Client {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// The CSRF token of this client's cookie jar (fetched from `/session`).
    pub async fn csrf(&self, server: &Server) -> String {
        let session: Json = self
            .http
            .get(server.url("/session"))
            .send()
            .await
            .expect("GET /session")
            .json()
            .await
            .expect("session JSON");
        session["csrf_token"].as_str().expect("token").to_owned()
    }

    pub async fn get_json(&self, server: &Server, path: &str) -> (u16, Json) {
        let response = self.http.get(server.url(path)).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn send_json(
        &self,
        server: &Server,
        method: reqwest::Method,
        path: &str,
        body: &Json,
    ) -> (u16, Json) {
        let token = self.csrf(server).await;
        let response = self
            .http
            .request(method, server.url(path))
            .header("x-csrf-token", token)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn post_form(
        &self,
        server: &Server,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(server).await;
        let mut form: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(server.url(path))
            .header("accept", "text/html")
            .form(&form)
            .send()
            .await
            .expect("POST form")
    }

    pub async fn page(&self, server: &Server, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(server.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET page");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
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
    let mut add = trama()
        .args(["user", "add"])
        .arg(instance.as_ref())
        .args([
            "--username",
            username,
            "--display-name",
            username,
            "--role",
            role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A client logged in as `username` (created with [`add_user`]).
pub async fn login(server: &Server, username: &str) -> Client {
    let client = Client::new();
    let response = client
        .post_form(
            server,
            "/login",
            &[("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "login of {username}");
    client
}

/// A client that signed up through the public form as a citizen.
pub async fn sign_up(server: &Server, username: &str, display_name: &str) -> Client {
    let client = Client::new();
    let response = client
        .post_form(
            server,
            "/signup",
            &[
                ("display_name", display_name),
                ("username", username),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303, "sign-up of {username}");
    client
}

pub use pg::PgDatabase;

/// Who `client` is logged in as, per `/session`.
pub async fn whoami(client: &Client, server: &Server) -> Option<String> {
    let (_, session) = client.get_json(server, "/session").await;
    session["user"]["username"].as_str().map(str::to_owned)
}

/// Status and error kind of a refusal answered to an API client.
pub async fn refusal(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Json = response.json().await.unwrap_or(Json::Null);
    (
        status,
        body["error"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A client that keeps no cookies: the test says which ones it sends.
pub fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `Set-Cookie` header for `name` in `response`, whole (value and attributes).
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}

/// Logs in with only the cookies in `cookies`; returns the response.
pub async fn login_with_cookies(
    http: &reqwest::Client,
    server: &Server,
    cookies: &str,
    username: &str,
) -> reqwest::Response {
    let response = http
        .get(server.url("/session"))
        .header("cookie", cookies)
        .send()
        .await
        .expect("GET /session");
    // A browser without a valid session is given an anonymous CSRF cookie: keep it.
    let cookies = match set_cookie(&response, "trama_csrf") {
        Some(issued) => format!("{cookies}; trama_csrf={}", cookie_value(&issued)),
        None => cookies.to_owned(),
    };
    let session: Json = response.json().await.expect("JSON");
    let token = session["csrf_token"].as_str().expect("token").to_owned();
    http.post(server.url("/login"))
        .header("cookie", cookies)
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login")
}

pub async fn user_csrf(http: &reqwest::Client, server: &Server, session: &str) -> String {
    let body: Json = http
        .get(server.url("/session"))
        .header("cookie", format!("trama_session={session}"))
        .send()
        .await
        .expect("GET /session")
        .json()
        .await
        .expect("JSON");
    body["csrf_token"].as_str().expect("token").to_owned()
}
