//! `docs/openapi.json` against the running server, explored by Schemathesis: thousands of
//! generated requests per run (valid, invalid, unexpected methods, stateful sequences), with
//! every check it has (no 5xx, statuses, content types, schemas, `Allow` on 405, data that
//! should be refused is refused). Once anonymous, once as a member of the coordination table.
//! Zero failures is the bar. `./dev setup` installs the pinned Schemathesis from PyPI into
//! `target/tools/schemathesis`; `TRAMA_SCHEMATHESIS` may name another `st`.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{
    HELLO, Server, TestInstance, add_user, bare_client, cookie_value, login_with_cookies,
    repo_root, set_cookie, user_csrf,
};

/// What CPython 3.11's `ast` module raises, now and then, under Hypothesis (fixed in later
/// releases of CPython).
const CPYTHON_AST_BUG: &str = "AST constructor recursion depth mismatch";

/// Seconds of generation per run: enough for every phase to cover each operation many times.
const MAX_TIME_SECS: &str = "40";

fn schemathesis() -> PathBuf {
    let st = std::env::var_os("TRAMA_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/tools/schemathesis/bin/st"));
    assert!(
        st.is_file(),
        "Schemathesis is not installed at {}: run ./dev setup (or set TRAMA_SCHEMATHESIS)",
        st.display()
    );
    st
}

/// Runs `st run` against `server` with `headers`; panics with its report unless it passes.
fn explore(server: &Server, who: &str, headers: &[String], extra: &[&str]) {
    let root = repo_root();
    let mut command = Command::new(schemathesis());
    command
        .arg("--config-file")
        .arg(root.join("tests/schemathesis/schemathesis.toml"))
        .arg("run")
        .arg(root.join("docs/openapi.json"))
        .args(["--url", &server.base, "--checks", "all", "--workers", "2"])
        .args(["--max-time", MAX_TIME_SECS, "--no-color"])
        .args(extra)
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(std::env::temp_dir());
    for header in headers {
        command.args(["--header", header]);
    }
    let mut output = command.output().expect("run Schemathesis");
    // CPython 3.11 (Debian's) may crash inside Hypothesis while describing a strategy, a bug
    // of the interpreter's `ast` module, not a finding about the server: run once more then.
    if !output.status.success() && String::from_utf8_lossy(&output.stdout).contains(CPYTHON_AST_BUG)
    {
        eprintln!("Schemathesis hit CPython's `{CPYTHON_AST_BUG}`; running it again");
        output = command.output().expect("run Schemathesis");
    }
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found failures ({who}):\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}

/// Logs `username` in and returns the session cookie and its CSRF token, for headers.
async fn session_of(server: &Server, username: &str) -> (String, String) {
    let http = bare_client();
    let response = login_with_cookies(&http, server, "", username).await;
    assert_eq!(response.status().as_u16(), 303, "login of {username}");
    let session = set_cookie(&response, "trama_session")
        .map(|header| cookie_value(&header))
        .expect("a session cookie");
    let token = user_csrf(&http, server, &session).await;
    (session, token)
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_nothing_wrong_anonymous_or_logged_in() {
    let instance = TestInstance::new(
        "schemathesis",
        &format!(
            "[governance]\nquorum_percent = 50\nmajority = \"simple\"\nvoting_window = \"1h\"\n{HELLO}"
        ),
    );
    add_user(&instance, "membro", "governance");
    crate::support::add_member(instance.path(), "membro");
    let server = Server::start(&[instance.path()]);
    // Logged in first: the anonymous run's login attempts may use up this address's tries.
    let (cookie, token) = session_of(&server, "membro").await;

    explore(&server, "anonymous", &[], &[]);
    explore(
        &server,
        "a member of the table",
        &[
            format!("Cookie: trama_session={cookie}"),
            format!("X-CSRF-Token: {token}"),
        ],
        // Logging out would end the session the rest of the run uses.
        &["--exclude-path", "/logout"],
    );
}
