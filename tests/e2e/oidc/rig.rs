//! The OpenID provider the login tests use for real: `tests/oidc/provider.mjs` on the pinned
//! `oidc-provider` (installed by `./dev setup` with `npm ci --prefix tests/oidc`), started on
//! 127.0.0.1 with a port of its own and stopped when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::support::repo_root;

/// The client this territory is registered as.
pub const CLIENT_ID: &str = "comune-di-prova";
pub const CLIENT_SECRET: &str = "un segreto che resta nel server";
/// The environment variable the test manifests name for the secret.
pub const SECRET_VAR: &str = "TRAMA_TEST_OIDC_CLIENT_SECRET";
/// Where the territory says it is reached: the provider sends people back under it, and the
/// tests carry them to the server on its real port (a reverse proxy's job in production).
pub const PUBLIC_URL: &str = "http://welfare.prova.localhost";

/// A running provider.
pub struct Provider {
    child: Child,
    /// Its issuer, `http://127.0.0.1:PORT`.
    pub issuer: String,
    http: reqwest::Client,
}

impl Provider {
    /// Starts the provider with the client of `provider` (the manifest's name) registered.
    pub fn start(provider: &str) -> Self {
        Self::start_with(provider, &[])
    }

    /// [`Provider::start`] with more arguments for `provider.mjs` (`--claims-from userinfo`).
    pub fn start_with(provider: &str, args: &[&str]) -> Self {
        let dir = repo_root().join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the npm packages of tests/oidc are not installed: run ./dev setup (or npm ci --prefix tests/oidc)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .arg("--redirect-uri")
            .arg(format!("{PUBLIC_URL}/login/oidc/{provider}/callback"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start node tests/oidc/provider.mjs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("oidc provider listening on ") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let Ok(issuer) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the OpenID provider did not start within 30 s");
        };
        Self {
            child,
            issuer,
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: Json) {
        let response = self
            .http
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("the provider answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    }

    /// The person the provider logs in next: `sub`, with the claims a SPID gateway sends.
    pub async fn person(
        &self,
        sub: &str,
        fiscal_number: &str,
        given: &str,
        family: &str,
        email: &str,
    ) {
        let person = json!({
            "sub": sub,
            "fiscal_number": fiscal_number,
            "given_name": given,
            "family_name": family,
            "email": email,
        });
        self.post("/test/user", person).await;
    }

    /// How the provider misbehaves from now on: "none", "token", "jwks", "nonce" or "userinfo"
    /// (see `tests/oidc/provider.mjs`).
    pub async fn tamper(&self, mode: &str) {
        self.post("/test/mode", json!({ "tamper": mode })).await;
    }

    async fn seen(&self) -> Json {
        self.http
            .get(format!("{}/test/seen", self.issuer))
            .send()
            .await
            .expect("the provider answers")
            .json()
            .await
            .expect("JSON")
    }

    /// The PKCE method of each authorization request the provider received.
    pub async fn pkce_methods(&self) -> Vec<Json> {
        self.seen().await["pkce"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How many UserInfo requests the provider answered.
    pub async fn userinfo_calls(&self) -> u64 {
        self.seen().await["userinfo"].as_u64().unwrap_or_default()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
