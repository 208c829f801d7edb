//! Logging in through an OpenID Connect provider: the authorization code flow with `state`,
//! `nonce` and PKCE (S256), as the OIDC gateways Italian public bodies put in front of SPID and
//! CIE speak it.
//!
//! The protocol is the `openidconnect` crate's: discovery, the authorization URL, the code
//! exchange and the ID token's verification (signature against the provider's JWKS, issuer,
//! audience, expiry, nonce). This module adds what a server with several nodes needs around
//! it: a login started on one node may come back on another, so what the callback must check
//! is kept in the database (`oidc_logins`), not in memory — the SHA-256 of the `state` (the
//! key), the nonce, the PKCE verifier, the SHA-256 of a random value held in the browser's
//! cookie (so a callback URL carried to another browser opens nothing there: login CSRF) and
//! where to go afterwards. A login waits at most ten minutes and is consumed by a conditional
//! delete, so a replayed callback, even racing the first on another node, finds nothing.
//!
//! The only module of the storage layer that talks to a remote server; it knows nothing of the
//! kernel's own routes (the web layer hands it the redirect address and the cookie's value).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SubjectIdentifier, TokenResponse, UserInfoClaims,
    UserInfoError,
};
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};
use trama_manifest::ProviderSection;

use super::bindings::Asserted;
use crate::db::{Db, sql};

/// The client a login completes with, as built from the provider's discovery document: its
/// token and UserInfo endpoints may or may not be advertised.
type LoginClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a started login waits for its callback.
pub const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;

/// How long a provider's discovery document and keys are reused before being fetched again
/// (a provider rotating its keys is followed within this time; a failed verification fetches
/// them again at once).
const DISCOVERY_TTL: Duration = Duration::from_secs(300);

/// The longest the kernel waits for a provider's answer.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a login through a provider failed. The web layer shows each kind as a page in the
/// person's language; the details go to the log only.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider cannot be reached or answers nonsense, or the server lacks the client
    /// secret: nothing the person can fix, but trying later may work.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    /// No login waits with this `state` for this browser: never started, expired, used
    /// already, or started in another browser.
    #[error("no login waits with this state (unknown, expired, used or from another browser)")]
    UnknownState,
    /// The provider refused the code, or its ID token failed verification.
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
    /// Neither the ID token nor UserInfo has a valid fiscal number in the claim the manifest
    /// names.
    #[error("no valid fiscal number in claim `{claim}`: {why}")]
    NoFiscalNumber { claim: String, why: String },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A login under way, as [`begin`] hands it to the web layer.
pub struct Started {
    /// Where to send the browser: the provider's authorization endpoint.
    pub url: String,
}

/// What a completed login yields: who the provider vouches for, and where to go next.
pub struct Completed {
    pub asserted: Asserted,
    pub next: String,
}

/// The redirect address registered with the provider: `{public_url}/login/oidc/{name}/callback`.
pub fn redirect_uri(public_url: &str, provider: &str) -> String {
    format!("{public_url}/login/oidc/{provider}/callback")
}

/// The HTTP client for providers: no redirects followed (the OpenID Connect answers never
/// need one, and following them invites request forgery), a bounded wait.
fn http_client() -> Result<&'static openidconnect::reqwest::Client, OidcError> {
    static CLIENT: OnceLock<openidconnect::reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|err| OidcError::Unavailable(format!("HTTP client: {err}")))?;
    Ok(CLIENT.get_or_init(|| client))
}

type Discovered = HashMap<String, (Instant, CoreProviderMetadata)>;

fn discovered() -> std::sync::MutexGuard<'static, Discovered> {
    static CACHE: OnceLock<Mutex<Discovered>> = OnceLock::new();
    CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The provider's discovery document with its keys, fetched at most every [`DISCOVERY_TTL`].
async fn metadata(issuer: &str) -> Result<CoreProviderMetadata, OidcError> {
    if let Some((at, metadata)) = discovered().get(issuer)
        && at.elapsed() < DISCOVERY_TTL
    {
        return Ok(metadata.clone());
    }
    let url = IssuerUrl::new(issuer.to_owned())
        .map_err(|err| OidcError::Unavailable(format!("issuer {issuer}: {err}")))?;
    let metadata = CoreProviderMetadata::discover_async(url, http_client()?)
        .await
        .map_err(|err| OidcError::Unavailable(format!("discovery of {issuer}: {err}")))?;
    discovered().insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
    Ok(metadata)
}

/// Forgets a provider's keys, so the next login fetches them again (a rotated key).
fn forget(issuer: &str) {
    discovered().remove(issuer);
}

fn hash(kind: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(value.as_bytes());
    hex::encode(hasher.finalize())
}

/// Starts a login through `provider`: stores what its callback must check and returns the
/// provider's authorization URL. `browser` is the random value the web layer puts in the
/// browser's cookie; `next` the (already checked) path to open after the login.
pub async fn begin(
    db: &Db,
    instance: &str,
    provider: &ProviderSection,
    public_url: &str,
    browser: &str,
    next: &str,
) -> Result<Started, OidcError> {
    // A server without the secret could never finish the login: say so before the person
    // goes through the provider.
    provider
        .client_secret()
        .map_err(|err| OidcError::Unavailable(err.to_string()))?;
    let metadata = metadata(&provider.issuer).await?;
    let redirect = RedirectUrl::new(redirect_uri(public_url, &provider.name))
        .map_err(|err| OidcError::Unavailable(format!("redirect address: {err}")))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        None,
    )
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in provider.scopes.iter().filter(|scope| *scope != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    let now = crate::clock::now_ms();
    let _guard = db.write_guard().await;
    let conn = db.conn();
    let backend = db.backend();
    // Logins never finished are cleared as new ones start: the table holds ten minutes' worth.
    conn.execute_raw(sql::stmt(
        backend,
        "DELETE FROM oidc_logins WHERE instance = ? AND expires_at <= ?",
        vec![instance.into(), now.into()],
    ))
    .await?;
    conn.execute_raw(sql::stmt(
        backend,
        "INSERT INTO oidc_logins (instance, state_hash, provider, nonce, pkce_verifier, \
         browser_hash, next_path, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            instance.into(),
            hash("state", state.secret()).into(),
            provider.name.clone().into(),
            nonce.secret().clone().into(),
            verifier.secret().clone().into(),
            hash("browser", browser).into(),
            next.into(),
            now.into(),
            (now + LOGIN_TTL_MS).into(),
        ],
    ))
    .await?;
    Ok(Started {
        url: url.to_string(),
    })
}

/// The login waiting under `state`, removed so that it completes once only.
struct Pending {
    provider: String,
    nonce: String,
    verifier: String,
    browser_hash: String,
    next: String,
}

/// Takes the login waiting under `state` if it has not expired: a conditional delete, so of
/// two callbacks with one `state` (a replay, or a race between nodes) only one gets it.
async fn take(db: &Db, instance: &str, state: &str) -> Result<Option<Pending>, DbErr> {
    let now = crate::clock::now_ms();
    let key = hash("state", state);
    let _guard = db.write_guard().await;
    let conn = db.conn();
    let backend = db.backend();
    let row = conn
        .query_one_raw(sql::stmt(
            backend,
            "SELECT provider, nonce, pkce_verifier, browser_hash, next_path FROM oidc_logins \
             WHERE instance = ? AND state_hash = ?",
            vec![instance.into(), key.clone().into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let taken = conn
        .execute_raw(sql::stmt(
            backend,
            "DELETE FROM oidc_logins WHERE instance = ? AND state_hash = ? AND expires_at > ?",
            vec![instance.into(), key.into(), now.into()],
        ))
        .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some(Pending {
        provider: row.try_get("", "provider")?,
        nonce: row.try_get("", "nonce")?,
        verifier: row.try_get("", "pkce_verifier")?,
        browser_hash: row.try_get("", "browser_hash")?,
        next: row.try_get("", "next_path")?,
    }))
}

/// What came back to the redirect address.
pub struct Callback<'a> {
    pub state: &'a str,
    pub code: &'a str,
    /// RFC 9207's `iss`, when the provider sends it: it must be the provider's issuer.
    pub iss: Option<&'a str>,
    /// The value of the browser's login cookie, if it sent one.
    pub browser: Option<&'a str>,
}

/// Completes a login: the waiting login taken, the code exchanged with its PKCE verifier, the
/// ID token verified, the fiscal number read from its claim — in the ID token, else from the
/// UserInfo endpoint about the same subject — and checked.
pub async fn complete(
    db: &Db,
    instance: &str,
    provider: &ProviderSection,
    public_url: &str,
    callback: Callback<'_>,
) -> Result<Completed, OidcError> {
    let pending = take(db, instance, callback.state)
        .await?
        .ok_or(OidcError::UnknownState)?;
    let same_browser = callback
        .browser
        .is_some_and(|browser| hash("browser", browser) == pending.browser_hash);
    if pending.provider != provider.name || !same_browser {
        return Err(OidcError::UnknownState);
    }
    if let Some(iss) = callback.iss
        && iss != provider.issuer
    {
        return Err(OidcError::Refused(format!(
            "the answer names issuer {iss:?}, not {:?}",
            provider.issuer
        )));
    }
    let secret = provider
        .client_secret()
        .map_err(|err| OidcError::Unavailable(err.to_string()))?;
    let metadata = metadata(&provider.issuer).await?;
    let redirect = RedirectUrl::new(redirect_uri(public_url, &provider.name))
        .map_err(|err| OidcError::Unavailable(format!("redirect address: {err}")))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(redirect);
    let response = client
        .exchange_code(AuthorizationCode::new(callback.code.to_owned()))
        .map_err(|err| OidcError::Unavailable(format!("token endpoint: {err}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(http_client()?)
        .await
        .map_err(|err| OidcError::Refused(format!("code exchange: {err}")))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| OidcError::Refused("the token response has no ID token".to_owned()))?;
    let verifier = client.id_token_verifier();
    let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce)) {
        Ok(claims) => claims,
        Err(err) => {
            forget(&provider.issuer);
            return Err(OidcError::Refused(format!("ID token: {err}")));
        }
    };
    let subject = claims.subject().clone();
    // The claims beyond the standard ones (the fiscal number's name is the manifest's) are
    // read from the payload whose signature was just verified.
    let payload = payload(&id_token.to_string())
        .ok_or_else(|| OidcError::Refused("the ID token's payload is not JSON".to_owned()))?;
    let claim = &provider.fiscal_number_claim;
    // SPID and CIE gateways often release the person's data only from the UserInfo endpoint:
    // asked there, with the access token just issued, when the ID token lacks the number.
    let user_info = if text_claim(&payload, claim).is_none() {
        user_info(&client, response.access_token().clone(), &subject).await?
    } else {
        None
    };
    // What the ID token says prevails; UserInfo fills in what it does not say.
    let text = |name: &str| {
        text_claim(&payload, name).or_else(|| {
            user_info
                .as_ref()
                .and_then(|claims| text_claim(claims, name))
        })
    };
    let subject = subject.as_str().to_owned();
    let fiscal_number = match text(claim) {
        Some(value) => {
            super::fiscal::from_claim(&value).map_err(|err| OidcError::NoFiscalNumber {
                claim: claim.clone(),
                why: err.to_string(),
            })?
        }
        None => {
            return Err(OidcError::NoFiscalNumber {
                claim: claim.clone(),
                why: "the claim is missing".to_owned(),
            });
        }
    };
    let display_name = match (text("given_name"), text("family_name")) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        (given, family) => text("name").or(given).or(family),
    };
    Ok(Completed {
        asserted: Asserted {
            provider: provider.name.clone(),
            subject,
            fiscal_number,
            display_name,
            email: text("email"),
        },
        next: pending.next,
    })
}

/// Claim `name` of `claims` as trimmed text, if it is a non-empty string.
fn text_claim(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// Every claim UserInfo answers, whatever its name: the manifest names the fiscal number's.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct AnyClaims {
    #[serde(flatten)]
    claims: serde_json::Map<String, serde_json::Value>,
}

impl openidconnect::AdditionalClaims for AnyClaims {}

/// The person's claims from the provider's UserInfo endpoint, asked with `access_token`; `None`
/// when the provider advertises none. The answer must be about `subject`, the ID token's
/// (OpenID Connect Core §5.3.2): one about someone else is refused, since a token substitution
/// would otherwise bind another person's fiscal number to this login.
async fn user_info(
    client: &LoginClient,
    access_token: AccessToken,
    subject: &SubjectIdentifier,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, OidcError> {
    let Ok(request) = client.user_info(access_token, Some(subject.clone())) else {
        return Ok(None);
    };
    let claims: UserInfoClaims<AnyClaims, CoreGenderClaim> =
        request.request_async(http_client()?).await.map_err(|err| {
            let why = match std::error::Error::source(&err) {
                Some(source) => format!("UserInfo: {err}: {source}"),
                None => format!("UserInfo: {err}"),
            };
            match err {
                UserInfoError::Request(_) => OidcError::Unavailable(why),
                _ => OidcError::Refused(why),
            }
        })?;
    let mut all = claims.additional_claims().claims.clone();
    // The standard claims are parsed apart from the others: the ones read here put back.
    if let Some(email) = claims.email() {
        all.insert("email".into(), email.as_str().into());
    }
    let names = [
        (
            "given_name",
            claims
                .given_name()
                .and_then(|v| v.get(None))
                .map(|v| v.to_string()),
        ),
        (
            "family_name",
            claims
                .family_name()
                .and_then(|v| v.get(None))
                .map(|v| v.to_string()),
        ),
        (
            "name",
            claims
                .name()
                .and_then(|v| v.get(None))
                .map(|v| v.to_string()),
        ),
    ];
    for (name, value) in names {
        if let Some(value) = value {
            all.insert(name.into(), value.into());
        }
    }
    Ok(Some(all))
}

/// The JSON payload of a compact JWT (its second part, base64url without padding).
fn payload(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_address_is_under_the_public_url() {
        assert_eq!(
            redirect_uri("https://servizi.comune.example", "spid"),
            "https://servizi.comune.example/login/oidc/spid/callback"
        );
    }

    #[test]
    fn a_payload_is_read_from_the_middle_of_a_token() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSIsImZpc2NhbF9udW1iZXIiOiJUSU5JVC1YIn0.c2ln";
        let claims = payload(jwt).expect("a payload");
        assert_eq!(claims["fiscal_number"], "TINIT-X");
        assert!(payload("no-dots").is_none());
    }
}
