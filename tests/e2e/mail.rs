//! The kernel's own mail (`[mail]`): `trama serve` hands each notification to a real SMTP
//! server, `tests/mail/smtp_server.py` on aiosmtpd, which stores every accepted message as a
//! JSON file (envelope, login, headers, and the text and HTML parts as Python's MIME parser
//! reads them) and answers `451` or `550` to recipients named `tempfail…` or `reject…`.
//!
//! `./dev setup` installs the pinned aiosmtpd into `target/tools/aiosmtpd`;
//! `TRAMA_AIOSMTPD_PYTHON` may name another Python that has it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::support::{
    Client, HELLO, PgDatabase, Server, TestInstance, add_person, build_plugins_of, cache_dir,
    eventually, login, repo_root, trama,
};

mod accounts;

/// The Python with aiosmtpd, as `./dev setup` installs it.
fn aiosmtpd_python() -> PathBuf {
    let python = std::env::var_os("TRAMA_AIOSMTPD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/tools/aiosmtpd/bin/python"));
    assert!(
        python.is_file(),
        "aiosmtpd is not installed at {}: run ./dev setup (or set TRAMA_AIOSMTPD_PYTHON to a Python that has aiosmtpd)",
        python.display()
    );
    python
}

/// A running `tests/mail/smtp_server.py`, stopped when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(aiosmtpd_python())
            .arg(repo_root().join("tests/mail/smtp_server.py"))
            .arg("--dir")
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.strip_prefix("LISTENING ") {
                    let _ = tx.send(port.trim().parse::<u16>().ok());
                }
            }
        });
        let Ok(Some(port)) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("the SMTP server did not start within 30 s");
        };
        Self { child, port, dir }
    }

    /// The messages accepted so far, in the order they arrived.
    fn messages(&self) -> Vec<Json> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("read the mail folder")
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).expect("read a message");
                serde_json::from_str(&text).expect("a stored message is JSON")
            })
            .collect()
    }

    /// Waits until `n` messages arrived; panics naming what arrived otherwise.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Json> {
        let arrived = eventually(within, || async { self.messages().len() >= n }).await;
        let messages = self.messages();
        assert!(arrived, "expected {n} messages, got {messages:#?}");
        messages
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `[mail]` table for `smtp`, polling every second and retrying after one second.
fn mail_table(smtp: &SmtpServer, extra: &str) -> String {
    format!(
        r#"
[mail]
host = "127.0.0.1"
port = {port}
tls = "none"
from = "noreply@prova.example"
from_name = "Servizi di Prova"
poll_interval = "1s"
retry_base = "1s"
retry_max = "2s"
{extra}
"#,
        port = smtp.port
    )
}

/// A citizen `username` called `name`, logged in on `server`. Made from the command line, not
/// through the sign-up form, so that no address-confirmation mail joins the ones a test counts
/// (`accounts` tests that mail).
async fn person(instance: &TestInstance, server: &Server, username: &str, name: &str) -> Client {
    add_person(instance, username, name, "citizen");
    login(server, username).await
}

/// Sends `client` a notification through the `hello` plugin.
async fn notify(client: &Client, server: &Server, subject: &str, body: &str, key: &str) {
    let (status, answer) = client
        .send_json(
            server,
            Method::POST,
            "/p/hello/api/notify",
            &json!({"subject": subject, "body": body, "key": key}),
        )
        .await;
    assert_eq!((status, &answer), (200, &json!({"queued": true})));
}

/// `trama outbox INSTANCE ARGS…`: its exit status, standard output and standard error.
fn outbox(instance: &Path, args: &[&str]) -> (bool, String, String) {
    let output = trama()
        .arg("outbox")
        .arg(instance)
        .args(args)
        .output()
        .expect("trama outbox");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The messages `trama outbox --failed` lists.
fn failed(instance: &Path) -> Vec<Json> {
    let (ok, stdout, stderr) = outbox(instance, &["--failed"]);
    assert!(ok, "{stderr}");
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

/// The message sent to `address`.
fn to<'a>(messages: &'a [Json], address: &str) -> &'a Json {
    messages
        .iter()
        .find(|m| m["rcpt_tos"] == json!([address]))
        .unwrap_or_else(|| panic!("no message to {address}: {messages:#?}"))
}

fn text(message: &Json, part: &str) -> String {
    message[part]
        .as_str()
        .unwrap_or_else(|| panic!("no {part} part: {message:#}"))
        .replace("\r\n", "\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn each_recipient_gets_both_parts_in_their_language_with_an_absolute_link() {
    let smtp = SmtpServer::start(&[]);
    let instance = TestInstance::new("posta", &format!("{HELLO}{}", mail_table(&smtp, "")));
    let server = Server::start(&[instance.path()]);
    let anna = person(&instance, &server, "anna@example.org", "Anna Rossi").await;
    let john = person(&instance, &server, "john@example.org", "John Smith").await;
    // John chooses English; the account remembers it.
    let (status, _) = john.page(&server, "/?lang=en").await;
    assert_eq!(status, 200);
    notify(
        &anna,
        &server,
        "Promemoria <b>lezione</b>",
        "Domani alle 15:00\nBiblioteca <civica> & sala 2",
        "r/1",
    )
    .await;
    notify(&john, &server, "Reminder", "Tomorrow at 3 pm", "r/2").await;

    let messages = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let (_, inbox) = anna.get_json(&server, "/notifications").await;
    let anna_id = inbox["notifications"][0]["id"].as_str().expect("an id");

    let italian = to(&messages, "anna@example.org");
    assert_eq!(italian["mail_from"], "noreply@prova.example");
    assert_eq!(italian["content_type"], "multipart/alternative");
    let headers = &italian["headers"];
    assert_eq!(headers["subject"], "Promemoria <b>lezione</b>");
    assert_eq!(headers["from"], "Servizi di Prova <noreply@prova.example>");
    assert_eq!(headers["to"], "Anna Rossi <anna@example.org>");
    assert_eq!(
        headers["message-id"],
        format!("<notification.{anna_id}.posta@prova.example>"),
        "the Message-ID is derived from the notification"
    );
    let plain = text(italian, "text");
    for expected in [
        "Gentile Anna Rossi,",
        "hai un nuovo messaggio su Test posta:",
        "Promemoria <b>lezione</b>",
        "Domani alle 15:00\nBiblioteca <civica> & sala 2",
        "Apri il messaggio: https://127.0.0.1/p/hello/",
        "Tutti i tuoi messaggi: https://127.0.0.1/notifications",
    ] {
        assert!(plain.contains(expected), "{expected:?} in:\n{plain}");
    }
    let html = text(italian, "html");
    for expected in [
        r#"<html lang="it">"#,
        "Gentile Anna Rossi,",
        "Promemoria &lt;b&gt;lezione&lt;/b&gt;",
        "Domani alle 15:00<br>Biblioteca &lt;civica&gt; &amp; sala 2",
        r#"href="https://127.0.0.1/p/hello/""#,
        "Apri il messaggio",
    ] {
        assert!(html.contains(expected), "{expected:?} in:\n{html}");
    }
    assert!(!html.contains("<b>lezione"), "the subject is escaped");
    assert!(!html.contains("<civica>"), "the body is escaped");

    let english = to(&messages, "john@example.org");
    let plain = text(english, "text");
    for expected in [
        "Dear John Smith,",
        "you have a new message on Test posta:",
        "Tomorrow at 3 pm",
        "Open the message: https://127.0.0.1/p/hello/",
    ] {
        assert!(plain.contains(expected), "{expected:?} in:\n{plain}");
    }
    let html = text(english, "html");
    assert!(html.contains(r#"<html lang="en">"#), "{html}");
    assert!(html.contains("Open the message"), "{html}");
    assert!(!html.contains("Apri il messaggio"), "{html}");

    let (ok, pending, stderr) = outbox(instance.path(), &[]);
    assert!(ok, "{stderr}");
    assert_eq!(pending, "", "sent messages are no longer pending");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 2, "nothing is sent twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_mailbox_is_tried_again_and_then_delivered() {
    let smtp = SmtpServer::start(&["--tempfail-times", "2"]);
    let instance = TestInstance::new("occupata", &format!("{HELLO}{}", mail_table(&smtp, "")));
    let server = Server::start(&[instance.path()]);
    let anna = person(
        &instance,
        &server,
        "tempfail.anna@example.org",
        "Anna Rossi",
    )
    .await;
    notify(&anna, &server, "Promemoria", "Domani", "r/1").await;
    // Refused with 451 twice (after 1 s, then 2 s), accepted at the third attempt.
    let messages = smtp.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(
        messages[0]["rcpt_tos"],
        json!(["tempfail.anna@example.org"])
    );
    assert!(failed(instance.path()).is_empty());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 1, "delivered once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_mailbox_fails_is_listed_and_is_sent_again_when_retried() {
    // `reject…` is refused with 550 once, then accepted: the retry can succeed.
    let smtp = SmtpServer::start(&["--reject-times", "1"]);
    let instance = TestInstance::new("rifiuti", &format!("{HELLO}{}", mail_table(&smtp, "")));
    let server = Server::start(&[instance.path()]);
    let bruno = person(
        &instance,
        &server,
        "reject.bruno@example.org",
        "Bruno Bianchi",
    )
    .await;
    let carla = person(&instance, &server, "carla", "Carla Verdi").await;
    notify(&bruno, &server, "Esito domanda", "Accolta", "esito/1").await;
    notify(&carla, &server, "Esito domanda", "Accolta", "esito/2").await;

    let listed = eventually(Duration::from_secs(20), || async {
        failed(instance.path()).len() == 2
    })
    .await;
    let list = failed(instance.path());
    assert!(listed, "both fail: {list:#?}");
    let of = |username: &str| {
        list.iter()
            .find(|m| m["username"] == username)
            .unwrap_or_else(|| panic!("{username} in {list:#?}"))
            .clone()
    };
    let bruno_failed = of("reject.bruno@example.org");
    let reason = bruno_failed["last_error"].as_str().unwrap_or_default();
    assert!(reason.contains("550"), "{bruno_failed:#}");
    assert!(reason.contains("no such mailbox"), "{bruno_failed:#}");
    assert_eq!(bruno_failed["attempts"], 1, "a 550 is not retried");
    assert_eq!(bruno_failed["state"], "failed");
    let carla_failed = of("carla");
    assert!(
        carla_failed["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("no e-mail address"),
        "{carla_failed:#}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(smtp.messages().is_empty(), "nothing was delivered");
    assert_eq!(
        failed(instance.path())[0]["attempts"],
        1,
        "failed messages are not retried by themselves"
    );

    let (ok, _, stderr) = outbox(instance.path(), &["--retry", "no-such-message"]);
    assert!(!ok, "retrying an unknown message fails");
    assert!(
        stderr.contains("no failed message `no-such-message`"),
        "{stderr}"
    );

    let id = bruno_failed["id"].as_str().expect("an id");
    let (ok, stdout, stderr) = outbox(instance.path(), &["--retry", id]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("pending again"), "{stdout}");
    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(messages[0]["rcpt_tos"], json!(["reject.bruno@example.org"]));
    let still = failed(instance.path());
    assert_eq!(still.len(), 1, "{still:#?}");
    assert_eq!(still[0]["username"], "carla");
    let (ok, _, _) = outbox(instance.path(), &["--retry", id]);
    assert!(!ok, "a sent message cannot be retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_on_one_database_send_every_message_exactly_once() {
    let smtp = SmtpServer::start(&[]);
    let db = PgDatabase::create().await;
    let instance = TestInstance::new(
        "nodi",
        &format!(
            "[database]\nurl = \"{}\"\n{HELLO}{}",
            db.url,
            mail_table(&smtp, "")
        ),
    );
    let migrate = trama()
        .arg("migrate")
        .arg(instance.path())
        .output()
        .expect("trama migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let a = Server::start_with_args(&[instance.path()], &cache_dir(), &["--node-id", "node-a"]);
    let b = Server::start_with_args(&[instance.path()], &cache_dir(), &["--node-id", "node-b"]);
    let anna = person(&instance, &a, "anna@example.org", "Anna Rossi").await;
    const N: usize = 30;
    for n in 0..N {
        let server = if n % 2 == 0 { &a } else { &b };
        notify(
            &anna,
            server,
            &format!("Avviso {n}"),
            "…",
            &format!("avviso/{n}"),
        )
        .await;
    }
    smtp.wait_for(N, Duration::from_secs(60)).await;
    // Several more polls of both nodes: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), N, "each message exactly once");
    let subjects: BTreeSet<&str> = messages
        .iter()
        .filter_map(|m| m["headers"]["subject"].as_str())
        .collect();
    let ids: BTreeSet<&str> = messages
        .iter()
        .filter_map(|m| m["headers"]["message-id"].as_str())
        .collect();
    assert_eq!((subjects.len(), ids.len()), (N, N));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_written_in_the_manifest_is_refused() {
    let instance = TestInstance::new(
        "segreti",
        &format!(
            "{HELLO}\n[mail]\nhost = \"127.0.0.1\"\nfrom = \"noreply@prova.example\"\npassword = \"segreto\"\n"
        ),
    );
    for command in ["check", "serve"] {
        let output = trama()
            .arg(command)
            .arg(instance.path())
            .args(["--no-build"])
            .output()
            .expect("trama");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "`trama {command}` refuses it");
        assert!(stderr.contains("mail.password"), "{stderr}");
        assert!(
            stderr.contains("environment variable") && stderr.contains("password_env"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("segreto"),
            "the password is not repeated: {stderr}"
        );
    }
}

/// `trama serve INSTANCE` with `env` added to its environment, and its standard error, line
/// by line.
fn serve_with_env(
    instance: &Path,
    env: &[(&str, &str)],
) -> (Server, std::sync::mpsc::Receiver<String>) {
    build_plugins_of(&[instance]);
    let mut command = trama();
    command
        .arg("serve")
        .arg(instance)
        .args(["--listen", "127.0.0.1:0", "--no-build", "--cache-dir"])
        .arg(cache_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn trama serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, errors) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("Trama listening on ").map(str::to_owned))
        .expect("the server prints its address");
    std::thread::spawn(move || lines.for_each(drop));
    (Server::adopt(child, base), errors)
}

/// The first line of `log` that contains `text`, within 20 s.
fn line_with(log: &std::sync::mpsc::Receiver<String>, text: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match log.recv_timeout(left) {
            Ok(line) if line.contains(text) => return line,
            Ok(line) => seen.push(line),
            Err(_) => panic!(
                "the server logged nothing with {text:?} within 20 s:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_from_the_environment_reaches_the_server() {
    let smtp = SmtpServer::start(&[
        "--auth-user",
        "trama@prova.example",
        "--auth-password",
        "una password di prova",
    ]);
    let instance = TestInstance::new(
        "accesso",
        &format!(
            "{HELLO}{}",
            mail_table(
                &smtp,
                "username_env = \"TEST_SMTP_USERNAME\"\npassword_env = \"TEST_SMTP_PASSWORD\"\n"
            )
        ),
    );

    // Without the variables: the log names the missing one, and the message waits.
    let (server, errors) = serve_with_env(instance.path(), &[]);
    let anna = person(&instance, &server, "anna@example.org", "Anna Rossi").await;
    notify(&anna, &server, "Promemoria", "Domani", "r/1").await;
    let said = line_with(&errors, "TEST_SMTP_USERNAME");
    assert!(said.contains("not set"), "{said}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(smtp.messages().is_empty());
    let (ok, pending, stderr) = outbox(instance.path(), &[]);
    assert!(ok, "{stderr}");
    assert!(pending.contains("Promemoria"), "still waiting: {pending}");
    assert!(failed(instance.path()).is_empty(), "not failed: {pending}");
    server.kill();

    // A wrong password is refused (535): the configuration's fault, so the message is
    // retried, not failed.
    let (server, errors) = serve_with_env(
        instance.path(),
        &[
            ("TEST_SMTP_USERNAME", "trama@prova.example"),
            ("TEST_SMTP_PASSWORD", "una password sbagliata"),
        ],
    );
    let said = line_with(&errors, "535");
    assert!(said.contains("mail deferred"), "{said}");
    assert!(smtp.messages().is_empty());
    assert!(
        failed(instance.path()).is_empty(),
        "a refused login fails no message"
    );
    server.kill();

    let (server, _errors) = serve_with_env(
        instance.path(),
        &[
            ("TEST_SMTP_USERNAME", "trama@prova.example"),
            ("TEST_SMTP_PASSWORD", "una password di prova"),
        ],
    );
    let messages = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(
        messages[0]["auth_login"], "trama@prova.example",
        "the server required AUTH and got the login from the environment"
    );
    assert_eq!(messages[0]["headers"]["subject"], "Promemoria");
    drop(server);
}
