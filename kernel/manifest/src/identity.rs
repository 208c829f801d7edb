//! The `[identity]` table: how people log in — the password form, and OpenID Connect providers
//! such as the gateways Italian public bodies put in front of SPID and CIE.
//!
//! A provider asserts who a person is, including their fiscal number (codice fiscale), which
//! the kernel binds to the account so that plugins read it instead of asking for it. The client
//! secret never sits in the file: the table names the environment variable holding it, and a
//! literal `client_secret` key is refused with the way to do it instead, as `[mail]` refuses a
//! password — an `instance.toml` is copied, committed and shown by `trama manifest show`.

use std::collections::BTreeMap;

use figment::value::Value;
use serde::Deserialize;

use crate::diagnostic::Diagnostics;
use crate::extract::section;
use crate::locate::Locator;
use crate::names::{is_slug, is_variable_name};

/// The claim SPID and CIE gateways put the fiscal number in ("TINIT-RSSMRA80A01H501U").
pub const DEFAULT_FISCAL_NUMBER_CLAIM: &str = "fiscal_number";

/// The `[identity]` table, checked and with its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySection {
    /// Whether the password form is offered (and `POST /login` accepted): `false` when the
    /// territory wants every login to go through a provider.
    pub password_login: bool,
    /// The OpenID Connect providers, by name (the name is in their URLs:
    /// `/login/oidc/{name}`); one button each on the login page, in name order.
    pub providers: BTreeMap<String, ProviderSection>,
}

impl Default for IdentitySection {
    fn default() -> Self {
        Self {
            password_login: true,
            providers: BTreeMap::new(),
        }
    }
}

/// One `[identity.providers.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSection {
    /// The table's name: lower-case letters, digits and dashes.
    pub name: String,
    /// The button's text, such as "Entra con SPID".
    pub label: String,
    /// The provider's issuer, exactly as its discovery document states it.
    pub issuer: String,
    pub client_id: String,
    /// The environment variable holding the client secret (read when the server serves).
    pub client_secret_env: String,
    /// The scopes asked for; always includes `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim holding the person's fiscal number.
    pub fiscal_number_claim: String,
}

/// The client secret's variable is not set where the server runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the client secret of identity provider `{provider}` is missing: set the environment variable {variable} where the server runs"
)]
pub struct MissingSecret {
    pub provider: String,
    pub variable: String,
}

impl ProviderSection {
    /// The client secret, from the environment variable the manifest names. Read only when a
    /// login needs it, so `trama check` and the other commands run without it.
    pub fn client_secret(&self) -> Result<String, MissingSecret> {
        std::env::var(&self.client_secret_env)
            .ok()
            .filter(|secret| !secret.is_empty())
            .ok_or_else(|| MissingSecret {
                provider: self.name.clone(),
                variable: self.client_secret_env.clone(),
            })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    #[serde(default = "yes")]
    password_login: bool,
    #[serde(default)]
    providers: BTreeMap<String, Value>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    label: String,
    issuer: String,
    client_id: String,
    client_secret_env: String,
    #[serde(default = "default_scopes")]
    scopes: Vec<String>,
    #[serde(default = "default_claim")]
    fiscal_number_claim: String,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".to_owned()]
}

fn default_claim() -> String {
    DEFAULT_FISCAL_NUMBER_CLAIM.to_owned()
}

/// Reads and checks `[identity]`; `None` (with its faults) when it is wrong.
pub(crate) fn read(
    value: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<IdentitySection> {
    let raw = section::<RawIdentity>(value, &["identity"], at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let mut providers = BTreeMap::new();
    for (name, table) in &raw.providers {
        if let Some(provider) = read_provider(name, table, at, diagnostics) {
            providers.insert(name.clone(), provider);
        }
    }
    if !raw.password_login && raw.providers.is_empty() {
        diagnostics.push(at.diagnostic(
            &["identity", "password_login"],
            "with the password form off nobody could log in: add an OpenID Connect provider under [identity.providers.NAME], or set password_login = true",
        ));
    }
    (diagnostics.len() == before).then_some(IdentitySection {
        password_login: raw.password_login,
        providers,
    })
}

fn read_provider(
    name: &str,
    table: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<ProviderSection> {
    let path = ["identity", "providers", name];
    if !is_slug(name) {
        diagnostics.push(at.diagnostic(
            &path,
            format!("{name:?} is not a valid provider name: use lower-case letters, digits and dashes (it is part of the login address)"),
        ));
        return None;
    }
    if let Value::Dict(_, keys) = table {
        for secret in ["client_secret", "secret"] {
            if keys.contains_key(secret) {
                diagnostics.push(at.diagnostic(
                    &["identity", "providers", name, secret],
                    "the client secret is never written in the manifest: put it in an environment variable of the server and name that variable here with `client_secret_env = \"OIDC_CLIENT_SECRET\"`",
                ));
                return None;
            }
        }
    }
    let raw = section::<RawProvider>(table, &path, at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let mut fault = |key: &str, message: String| {
        diagnostics.push(at.diagnostic(&["identity", "providers", name, key], message));
    };
    let label = raw.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
        fault(
            "label",
            "the button's text must be one line of 1 to 80 characters, such as \"Entra con SPID\""
                .to_owned(),
        );
    }
    if let Err(why) = check_issuer(&raw.issuer) {
        fault("issuer", format!("{:?} {why}", raw.issuer));
    }
    if raw.client_id.trim().is_empty() || raw.client_id.chars().any(char::is_control) {
        fault(
            "client_id",
            "the client id the provider gave this territory cannot be empty".to_owned(),
        );
    }
    if !is_variable_name(&raw.client_secret_env) {
        fault(
            "client_secret_env",
            format!(
                "{:?} is not the name of an environment variable: use capital letters, digits and `_`, such as \"OIDC_CLIENT_SECRET\"",
                raw.client_secret_env
            ),
        );
    }
    if let Some(bad) = raw
        .scopes
        .iter()
        .find(|scope| scope.is_empty() || !scope.chars().all(|c| c.is_ascii_graphic()))
    {
        fault(
            "scopes",
            format!("{bad:?} is not a scope: one word each, such as \"openid\" or \"profile\""),
        );
    } else if !raw.scopes.iter().any(|scope| scope == "openid") {
        fault(
            "scopes",
            "the scopes must include \"openid\": without it the provider sends no ID token"
                .to_owned(),
        );
    }
    if raw.fiscal_number_claim.is_empty()
        || !raw
            .fiscal_number_claim
            .chars()
            .all(|c| c.is_ascii_graphic())
    {
        fault(
            "fiscal_number_claim",
            "name the claim holding the fiscal number, such as \"fiscal_number\"".to_owned(),
        );
    }
    (diagnostics.len() == before).then(|| ProviderSection {
        name: name.to_owned(),
        label,
        issuer: raw.issuer,
        client_id: raw.client_id,
        client_secret_env: raw.client_secret_env,
        scopes: raw.scopes,
        fiscal_number_claim: raw.fiscal_number_claim,
    })
}

/// An issuer is an `https` URL with a host and no query or fragment; plain `http` only on
/// this machine (a provider started by tests or a developer), since tokens travel on it.
fn check_issuer(issuer: &str) -> Result<(), &'static str> {
    let (secure, rest) = match issuer.split_once("://") {
        Some(("https", rest)) => (true, rest),
        Some(("http", rest)) => (false, rest),
        _ => return Err("is not an https URL such as \"https://login.regione.example\""),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => authority,
    };
    if !crate::names::is_host(host.trim_start_matches('[').trim_end_matches(']')) {
        return Err("does not name a host, such as \"https://login.regione.example\"");
    }
    if issuer.contains(['?', '#']) || issuer.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not have a query, a fragment or spaces");
    }
    if !secure && !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(
            "uses plain http: tokens would travel unencrypted; use https (http is accepted only for 127.0.0.1 and localhost)",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_on_this_machine() {
        assert!(check_issuer("https://login.regione.example").is_ok());
        assert!(check_issuer("https://login.regione.example/oidc/").is_ok());
        assert!(check_issuer("http://127.0.0.1:4000").is_ok());
        assert!(check_issuer("http://localhost:4000").is_ok());
        assert!(check_issuer("http://login.regione.example").is_err());
        assert!(check_issuer("login.regione.example").is_err());
        assert!(check_issuer("https://login.regione.example/?a=1").is_err());
    }
}
