//! The `[mail]` table: how the kernel hands its notifications to an SMTP server.
//!
//! Without it no mail leaves the kernel (the messages stay in the inboxes and in `trama
//! outbox` for an external relay). With it `trama serve` sends them itself. Secrets never sit
//! in the file: the table names the environment variables that hold the SMTP login, and a
//! literal `password` key is refused with a sentence saying so, because an `instance.toml` is
//! copied, committed and shown by `trama manifest show`.

use std::time::Duration;

use figment::value::Value;
use serde::Deserialize;

use crate::diagnostic::Diagnostics;
use crate::extract::section;
use crate::locate::Locator;
use crate::names::{is_site_url, is_variable_name};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain text: only for a server on the same machine or network (a local relay, tests).
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587 by default).
    Starttls,
    /// TLS from the first byte, "SMTPS" (port 465 by default).
    Tls,
}

impl TlsMode {
    /// The port a server usually listens on for this mode.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "none",
            TlsMode::Starttls => "starttls",
            TlsMode::Tls => "tls",
        }
    }
}

/// The `[mail]` table, checked and with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSection {
    /// The SMTP server's host name or IP address.
    pub host: String,
    /// Its port: `port`, else the usual one for `tls`.
    pub port: u16,
    pub tls: TlsMode,
    /// The sender's address, such as `noreply@comune.example`.
    pub from: String,
    /// The sender's display name: `from_name`, else the instance's name.
    pub from_name: String,
    /// Where links in mails point, without a trailing `/`: `base_url`, else the instance's
    /// `public_url` (by default `https://` and its first host).
    pub base_url: String,
    /// The environment variable holding the SMTP login, if the server wants one.
    pub username_env: Option<String>,
    /// The environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// How often the mail worker looks for messages to send.
    pub poll_interval: Duration,
    /// The wait after the first failed attempt; each later failure doubles it.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// Attempts before a message is given up as failed: 1..=50.
    pub max_attempts: u32,
}

/// Keys that would hold a secret in the file: refused, with the way to do it instead.
const SECRET_KEYS: [(&str, &str); 4] = [
    ("password", "password_env"),
    ("pass", "password_env"),
    ("username", "username_env"),
    ("user", "username_env"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    host: String,
    port: Option<u16>,
    #[serde(default = "default_tls")]
    tls: TlsMode,
    from: String,
    from_name: Option<String>,
    base_url: Option<String>,
    username_env: Option<String>,
    password_env: Option<String>,
    #[serde(
        default = "default_poll",
        deserialize_with = "crate::interval::deserialize"
    )]
    poll_interval: Duration,
    #[serde(
        default = "default_retry_base",
        deserialize_with = "crate::interval::deserialize"
    )]
    retry_base: Duration,
    #[serde(
        default = "default_retry_max",
        deserialize_with = "crate::interval::deserialize"
    )]
    retry_max: Duration,
    #[serde(default = "default_max_attempts")]
    max_attempts: u32,
}

fn default_tls() -> TlsMode {
    TlsMode::Starttls
}

fn default_poll() -> Duration {
    Duration::from_secs(5)
}

fn default_retry_base() -> Duration {
    Duration::from_secs(60)
}

fn default_retry_max() -> Duration {
    Duration::from_secs(6 * 3600)
}

fn default_max_attempts() -> u32 {
    8
}

/// The `[mail]` table as read, before the instance's name and hosts fill its defaults.
pub(crate) struct ReadMail(RawMail);

/// Reads `[mail]`; `None` (with its faults) when it cannot be read.
pub(crate) fn read(value: &Value, at: &Locator, diagnostics: &mut Diagnostics) -> Option<ReadMail> {
    if let Value::Dict(_, table) = value {
        let mut refused = false;
        for (key, instead) in SECRET_KEYS {
            if table.contains_key(key) {
                refused = true;
                diagnostics.push(at.diagnostic(
                    &["mail", key],
                    format!(
                        "the SMTP {} is never written in the manifest: put it in an environment variable of the server and name that variable here with `{instead} = \"SMTP_{}\"`",
                        if instead == "password_env" { "password" } else { "login" },
                        if instead == "password_env" { "PASSWORD" } else { "USERNAME" },
                    ),
                ));
            }
        }
        if refused {
            return None;
        }
    }
    section::<RawMail>(value, &["mail"], at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()
        .map(ReadMail)
}

impl ReadMail {
    /// Checks the values and fills the defaults from the instance's `name` and `public_url`
    /// (`[instance] public_url`, which `base_url`, kept for the manifests that set it, overrides).
    pub(crate) fn check(
        self,
        name: &str,
        public_url: &str,
        at: &Locator,
        diagnostics: &mut Diagnostics,
    ) -> Option<MailSection> {
        let raw = self.0;
        let before = diagnostics.len();
        let mut fault = |key: &str, message: String| {
            diagnostics.push(at.diagnostic(&["mail", key], message));
        };
        let host = raw.host.trim().to_owned();
        if !crate::names::is_host(&host) {
            fault(
                "host",
                format!(
                    "{:?} is not a host name or an IP address (leave out the scheme and the port)",
                    raw.host
                ),
            );
        }
        if raw.port == Some(0) {
            fault("port", "0 is not a port: use 1 to 65535".to_owned());
        }
        if !is_address(&raw.from) {
            fault(
                "from",
                format!(
                    "{:?} is not an e-mail address such as \"noreply@comune.example\" (the display name goes in `from_name`)",
                    raw.from
                ),
            );
        }
        if let Some(from_name) = &raw.from_name
            && (from_name.trim().is_empty() || from_name.chars().any(char::is_control))
        {
            fault(
                "from_name",
                "the sender's name must be one line of text, not empty".to_owned(),
            );
        }
        let base_url = match &raw.base_url {
            Some(url) => {
                let trimmed = url.trim_end_matches('/');
                if !is_site_url(trimmed) {
                    fault(
                        "base_url",
                        format!(
                            "{url:?} is not the address of the site: write it like \"https://servizi.comune.example\" (http or https, a host, no query)"
                        ),
                    );
                }
                trimmed.to_owned()
            }
            None => public_url.to_owned(),
        };
        for (key, variable) in [
            ("username_env", &raw.username_env),
            ("password_env", &raw.password_env),
        ] {
            if let Some(variable) = variable
                && !is_variable_name(variable)
            {
                fault(
                    key,
                    format!(
                        "{variable:?} is not the name of an environment variable: use capital letters, digits and `_`, such as \"SMTP_PASSWORD\""
                    ),
                );
            }
        }
        if raw.username_env.is_some() != raw.password_env.is_some() {
            let missing = if raw.username_env.is_none() {
                "username_env"
            } else {
                "password_env"
            };
            fault(
                missing,
                "the SMTP login needs both `username_env` and `password_env` (or neither, for a server that takes mail without a login)".to_owned(),
            );
        }
        if raw.retry_max < raw.retry_base {
            fault(
                "retry_max",
                "the longest wait between attempts cannot be shorter than `retry_base`".to_owned(),
            );
        }
        if !(1..=50).contains(&raw.max_attempts) {
            fault(
                "max_attempts",
                format!(
                    "{} is out of range: it must be between 1 and 50 (attempts)",
                    raw.max_attempts
                ),
            );
        }
        if diagnostics.len() > before {
            return None;
        }
        Some(MailSection {
            host,
            port: raw.port.unwrap_or_else(|| raw.tls.default_port()),
            tls: raw.tls,
            from: raw.from,
            from_name: raw.from_name.unwrap_or_else(|| name.to_owned()),
            base_url,
            username_env: raw.username_env,
            password_env: raw.password_env,
            poll_interval: raw.poll_interval,
            retry_base: raw.retry_base,
            retry_max: raw.retry_max,
            max_attempts: raw.max_attempts,
        })
    }
}

/// `local@domain`, one of each, with no spaces, angle brackets or control characters: the
/// kernel parses it fully when it sends; this catches a display name or a typo early.
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && crate::names::is_host(domain)
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | '"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_recognised() {
        assert!(is_address("noreply@comune.example"));
        assert!(!is_address("Comune <noreply@comune.example>"));
        assert!(!is_address("noreply"));
    }
}
