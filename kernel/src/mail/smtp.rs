//! The connection to the SMTP server of `[mail]`: lettre's async transport on tokio, with
//! rustls for STARTTLS and SMTPS (certificates checked against the web's public roots), and
//! the login read from the environment variables `[mail]` names.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use trama_manifest::{MailSection, TlsMode};

/// How long the server may take to answer one SMTP command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the transport of an instance's `[mail]` cannot be set up: nothing is sent until the
/// configuration or the environment is fixed (and the server restarted or reloaded).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "[mail] {key} names the environment variable {variable}, which is not set (or not valid UTF-8) in the environment of `trama serve`: set it there; no mail is sent until then"
    )]
    MissingVariable { key: &'static str, variable: String },
    #[error("[mail] TLS towards {host}: {source}")]
    Tls {
        host: String,
        source: lettre::transport::smtp::Error,
    },
}

/// One instance's SMTP client.
pub(super) struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Sender {
    /// The client for `config`, with the login read through `env` (the process environment).
    pub(super) fn new(
        config: &MailSection,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SetupError> {
        let tls_parameters = || {
            TlsParameters::new(config.host.clone()).map_err(|source| SetupError::Tls {
                host: config.host.clone(),
                source,
            })
        };
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls => Tls::Required(tls_parameters()?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                .port(config.port)
                .tls(tls)
                .timeout(Some(COMMAND_TIMEOUT));
        if let (Some(username_env), Some(password_env)) =
            (&config.username_env, &config.password_env)
        {
            let read = |key: &'static str, variable: &String| {
                env(variable).ok_or_else(|| SetupError::MissingVariable {
                    key,
                    variable: variable.clone(),
                })
            };
            let username = read("username_env", username_env)?;
            let password = read("password_env", password_env)?;
            builder = builder.credentials(Credentials::new(username, password));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Hands `message` to the server over a fresh connection.
    pub(super) async fn send(
        &self,
        message: Message,
    ) -> Result<(), lettre::transport::smtp::Error> {
        self.transport.send(message).await.map(|_| ())
    }
}
