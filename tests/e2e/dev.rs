//! `trama dev`: the development loop. On a copy of the `hello` plugin in a temporary folder, an
//! edited template is served without a restart; a template that does not parse leaves the last
//! good version serving and the terminal names its file, line and column; a template that fails
//! while rendering shows the developer its file and line on the error page (and the citizen of
//! `trama serve` nothing of it); and an edited Rust source is rebuilt and served.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::support::{
    Client, HELLO, Server, build_named_plugins, eventually, repo_root, story_rates, trama,
};

/// A template edit is taken in within the debounce and a reload: well under a second here.
const RELOAD_DEADLINE: Duration = Duration::from_secs(30);
/// One plugin build, sharing the compiled dependencies of `plugins/target`: about a minute
/// here, much more on a cold or busy machine.
const BUILD_DEADLINE: Duration = Duration::from_secs(900);

/// A running `trama dev` and every line it printed.
struct DevServer {
    server: Server,
    said: Arc<Mutex<Vec<String>>>,
}

impl DevServer {
    fn start(instance: &Path) -> Self {
        let mut child = trama()
            .arg("dev")
            .arg(instance)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn trama dev");
        let stdout = child.stdout.take().expect("stdout");
        let said = Arc::new(Mutex::new(Vec::new()));
        let lines = said.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Trama listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
                lines
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line);
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("trama dev did not start within 120 s");
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                panic!("trama dev stopped before listening ({status}): its errors are above");
            }
        };
        Self {
            server: Server::adopt(child, base),
            said,
        }
    }

    fn said(&self) -> String {
        self.said
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .join("\n")
    }

    /// Waits until a printed line contains `needle`.
    async fn wait_for(&self, needle: &str, deadline: Duration) -> bool {
        eventually(deadline, || async { self.said().contains(needle) }).await
    }
}

/// `plugins/hello` copied into a cargo workspace of its own under `root`, its crate renamed so
/// that its build never overwrites the real plugin's artifacts in the shared target folder
/// (`plugins/target`, whose compiled dependencies keep the one rebuild short). Returns the copy.
fn hello_workspace(root: &Path) -> PathBuf {
    let repo = repo_root();
    let plugins = root.join("plugins");
    let hello = plugins.join("hello");
    for part in ["src", "templates", "locales", "events"] {
        let from = repo.join("plugins/hello").join(part);
        if from.is_dir() {
            copy_dir(&from, &hello.join(part));
        }
    }
    std::fs::copy(
        repo.join("plugins/hello/plugin.toml"),
        hello.join("plugin.toml"),
    )
    .expect("copy plugin.toml");
    let cargo = std::fs::read_to_string(repo.join("plugins/hello/Cargo.toml")).expect("read");
    assert!(cargo.contains("name = \"hello\""), "{cargo}");
    std::fs::write(
        hello.join("Cargo.toml"),
        cargo.replacen("name = \"hello\"", "name = \"hello-dev-copy\"", 1),
    )
    .expect("write Cargo.toml");
    let workspace = std::fs::read_to_string(repo.join("plugins/Cargo.toml")).expect("read");
    assert!(workspace.contains("path = \"../sdk\""), "{workspace}");
    let workspace: String = workspace
        .replace(
            "path = \"../sdk\"",
            &format!("path = \"{}\"", repo.join("sdk").display()),
        )
        .replace(
            "path = \"contracts\"",
            &format!("path = \"{}\"", repo.join("plugins/contracts").display()),
        )
        .lines()
        .map(|line| {
            if line.starts_with("members") {
                "members = [\"hello\"]".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(plugins.join("Cargo.toml"), workspace).expect("write workspace");
    std::fs::copy(repo.join("plugins/Cargo.lock"), plugins.join("Cargo.lock")).expect("lock");
    std::fs::create_dir_all(plugins.join(".cargo")).expect("mkdir");
    std::fs::write(
        plugins.join(".cargo/config.toml"),
        format!(
            "[build]\ntarget-dir = \"{}\"\n",
            repo.join("plugins/target").display()
        ),
    )
    .expect("write cargo config");
    // The real plugin's component, dated a minute ahead: cargo rewrites the copied lock file
    // when `trama dev` first reads the workspace, and that must not make the copy look stale
    // (a second build). The edit below rebuilds it whatever its date.
    let component = hello.join("plugin.wasm");
    std::fs::copy(repo.join("plugins/hello/plugin.wasm"), &component).expect("copy component");
    std::fs::File::options()
        .write(true)
        .open(&component)
        .and_then(|file| file.set_modified(SystemTime::now() + Duration::from_secs(60)))
        .expect("date the component");
    hello
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// An instance `id` in `root/id`, with its own database, running the copy of `hello`.
fn dev_instance(root: &Path, id: &str) -> PathBuf {
    let dir = root.join(id);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let manifest = format!(
        r#"[instance]
id = "{id}"
name = "Dev loop {id}"
hosts = ["127.0.0.1", "localhost"]
locale = "it"

[registry]
plugins = ["{plugins}"]
themes = "{themes}"

{body}
"#,
        plugins = root.join("plugins").display(),
        themes = repo_root().join("themes").display(),
        body = story_rates(HELLO),
    );
    std::fs::write(dir.join("instance.toml"), manifest).expect("write manifest");
    dir
}

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|at| at + 1)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"))
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_reloads_templates_shows_their_errors_and_rebuilds_an_edited_plugin() {
    let started = Instant::now();
    build_named_plugins(&["hello"]);
    let work = tempfile::tempdir().expect("tempdir");
    let hello = hello_workspace(work.path());
    let instance = dev_instance(work.path(), "devloop");
    let dev = DevServer::start(&instance);
    assert!(
        dev.wait_for("Trama dev: watching", RELOAD_DEADLINE).await,
        "{}",
        dev.said()
    );
    let client = Client::new();
    let (status, page) = client.page(&dev.server, "/p/hello/").await;
    assert_eq!(status, 200, "{page}");

    // An edited template is served at once, by the same process.
    let template = hello.join("templates/index.html");
    let original = std::fs::read_to_string(&template).expect("read template");
    let anchor = "<section class=\"hello\">";
    assert!(original.contains(anchor), "{original}");
    let mark = "<p id=\"dev-mark\">Modificato dal vivo</p>";
    let marked = original.replacen(anchor, &format!("{anchor}\n{mark}"), 1);
    std::fs::write(&template, &marked).expect("edit template");
    let edited = eventually(RELOAD_DEADLINE, || async {
        client.page(&dev.server, "/p/hello/").await.1.contains(mark)
    })
    .await;
    assert!(edited, "the edit was not served: {}", dev.said());

    // A template that does not parse: the terminal names file, line and column, and the last
    // good version goes on serving.
    let broken = format!("{marked}\n{{% if %}}\n");
    let broken_line = line_of(&broken, "{% if %}");
    std::fs::write(&template, &broken).expect("break template");
    let place = format!("hello/templates/index.html:{broken_line}:");
    assert!(
        dev.wait_for(&place, RELOAD_DEADLINE).await,
        "no `{place}` in: {}",
        dev.said()
    );
    assert!(dev.said().contains("the running version stays"));
    let (status, page) = client.page(&dev.server, "/p/hello/").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(mark), "the last good version serves: {page}");

    // A template that fails while rendering: the developer sees where, escaped, while the
    // plugin's JSON API goes on answering.
    let failing = marked.replacen(
        mark,
        "<p id=\"dev-mark\">{{ nessuna_variabile.campo }}</p>",
        1,
    );
    let failing_line = line_of(&failing, "nessuna_variabile");
    std::fs::write(&template, &failing).expect("edit template");
    let place = format!("hello/templates/index.html:{failing_line}:");
    let shown = eventually(RELOAD_DEADLINE, || async {
        let (status, page) = client.page(&dev.server, "/p/hello/").await;
        status == 500 && page.contains(&place)
    })
    .await;
    let (_, page) = client.page(&dev.server, "/p/hello/").await;
    assert!(shown, "no `{place}` on the error page: {page}");
    assert!(
        page.contains("Variable `nessuna_variabile.campo` not found"),
        "{page}"
    );
    assert!(
        page.contains("{{ nessuna_variabile.campo }}&lt;/p&gt;"),
        "the faulty line is quoted, escaped: {page}"
    );
    let (status, time) = client.get_json(&dev.server, "/p/hello/api/time").await;
    assert_eq!(status, 200, "{time}");

    // The same template under `trama serve` (another instance, so another database): the
    // citizen sees the theme's error page, none of the internals.
    {
        let served = dev_instance(work.path(), "served");
        let serve = Server::start(&[served.as_path()]);
        let (status, page) = client.page(&serve, "/p/hello/").await;
        assert_eq!(status, 500, "{page}");
        assert!(
            !page.contains("nessuna_variabile") && !page.contains("index.html"),
            "internals shown to a citizen: {page}"
        );
    }

    // An edited Rust source: the plugin is rebuilt, with progress, and the new build serves.
    std::fs::write(&template, &original).expect("restore template");
    let api = hello.join("src/api.rs");
    let source = std::fs::read_to_string(&api).expect("read api.rs");
    let before = "json!({ \"now\": now";
    assert!(
        source.contains(before),
        "hello's GET /api/time changed: update this test"
    );
    let rebuild_started = Instant::now();
    std::fs::write(
        &api,
        source.replacen(before, "json!({ \"rebuilt_by_dev\": true, \"now\": now", 1),
    )
    .expect("edit api.rs");
    let rebuilt = eventually(BUILD_DEADLINE, || async {
        let (_, time) = client.get_json(&dev.server, "/p/hello/api/time").await;
        time["rebuilt_by_dev"] == true
    })
    .await;
    assert!(rebuilt, "the edit was not served: {}", dev.said());
    let said = dev.said();
    assert!(said.contains("`hello` changed, rebuilding it"), "{said}");
    assert!(said.contains("Compiling hello-dev-copy"), "{said}");
    let (status, page) = client.page(&dev.server, "/p/hello/").await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("dev-mark"), "the restored template: {page}");
    eprintln!(
        "trama dev: rebuild served after {:.0?}, whole test {:.0?}",
        rebuild_started.elapsed(),
        started.elapsed()
    );
}
