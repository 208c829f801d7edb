//! Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a browser
//! where an account has logged in successfully gets a random token, remembered for that
//! account. A login attempt that shows it is *trusted*: its failures count only against that
//! browser, never against the account as a whole, so however many guesses an attacker makes
//! from elsewhere, the owner's own phone or computer still gets in.
//!
//! The database keeps only the token's SHA-256 (a leaked table gives no usable cookie), one row
//! per account that logged in from the browser, swept when it expires.

use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::db::{Db, sql};

/// How long a browser stays trusted after its last successful login: half a year, so that
/// someone who logs in a few times a year (a yearly application, a voucher campaign) keeps it.
pub const DEVICE_TTL_MS: i64 = 183 * 24 * 60 * 60 * 1000;

/// Whether `token` has the shape of one this module issues (256 bits, hex): anything else is
/// not looked up at all.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The key failed attempts from a trusted browser are counted under (see
/// [`super::throttle::Client::Device`]): a prefix of the token's hash, so the attempts table
/// holds nothing a cookie could be rebuilt from.
fn device_key(hash: &str) -> String {
    format!("device:{}", &hash[..16])
}

/// The device key of `token` when it is a browser where `username` has logged in before and
/// the trust has not expired; `None` otherwise (an unknown, forged or foreign token).
pub async fn recognise(
    db: &Db,
    instance: &str,
    username: &str,
    token: &str,
    now: i64,
) -> Result<Option<String>, DbErr> {
    if !well_formed(token) {
        return Ok(None);
    }
    let hash = token_hash(token);
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT expires_at FROM login_devices \
             WHERE instance = ? AND token_hash = ? AND username = ? AND expires_at > ?",
            vec![
                instance.into(),
                hash.clone().into(),
                username.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(row.map(|_| device_key(&hash)))
}

/// Whether this instance issued `token` and still trusts it for some account.
async fn issued(db: &Db, instance: &str, token: &str, now: i64) -> Result<bool, DbErr> {
    if !well_formed(token) {
        return Ok(false);
    }
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT username FROM login_devices \
             WHERE instance = ? AND token_hash = ? AND expires_at > ?",
            vec![instance.into(), token_hash(token).into(), now.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// Remembers that `username` logged in from the browser holding `token`, renewing the trust
/// for [`DEVICE_TTL_MS`]; sweeps expired rows on the way. Returns the token to set in the
/// cookie: the browser's own when this instance issued it (a family sharing a browser shares
/// it), a new one otherwise — a token someone planted in the browser before the login is never
/// adopted, or its planter could later spend the owner's tries under it.
pub async fn remember(
    db: &Db,
    instance: &str,
    username: &str,
    token: Option<&str>,
    now: i64,
) -> Result<String, DbErr> {
    let token = match token {
        Some(token) if issued(db, instance, token, now).await? => token.to_owned(),
        _ => super::sessions::new_token(),
    };
    let hash = token_hash(&token);
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "DELETE FROM login_devices WHERE instance = ? AND expires_at <= ?",
            vec![instance.into(), now.into()],
        ))
        .await?;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "INSERT INTO login_devices (instance, token_hash, username, last_login_at, expires_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (instance, token_hash, username) DO UPDATE \
             SET last_login_at = excluded.last_login_at, expires_at = excluded.expires_at",
            vec![
                instance.into(),
                hash.into(),
                username.into(),
                now.into(),
                (now + DEVICE_TTL_MS).into(),
            ],
        ))
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    #[tokio::test]
    async fn a_browser_is_trusted_for_the_accounts_that_logged_in_there_until_it_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.expect("connect");
        let token = remember(&db, "i1", "anna", None, T0)
            .await
            .expect("remember");
        let key = recognise(&db, "i1", "anna", &token, T0 + 1)
            .await
            .expect("ok");
        assert!(key.as_deref().is_some_and(|k| k.starts_with("device:")));
        // Not for another account, instance or token, nor after it expires.
        assert_eq!(
            recognise(&db, "i1", "bruno", &token, T0).await.ok(),
            Some(None)
        );
        assert_eq!(
            recognise(&db, "i2", "anna", &token, T0).await.ok(),
            Some(None)
        );
        let forged = "0".repeat(64);
        assert_eq!(
            recognise(&db, "i1", "anna", &forged, T0).await.ok(),
            Some(None)
        );
        assert_eq!(
            recognise(&db, "i1", "anna", "short", T0).await.ok(),
            Some(None)
        );
        let late = T0 + DEVICE_TTL_MS;
        assert_eq!(
            recognise(&db, "i1", "anna", &token, late).await.ok(),
            Some(None)
        );
        // The same browser, shared: Bruno logs in there too and keeps the token; a login
        // renews the trust.
        let again = remember(&db, "i1", "bruno", Some(&token), T0 + 10)
            .await
            .expect("remember");
        assert_eq!(again, token);
        assert!(
            recognise(&db, "i1", "bruno", &token, T0 + 11)
                .await
                .expect("ok")
                .is_some()
        );
        // A token the instance never issued (planted in the browser) is replaced, not adopted.
        let planted = "ab".repeat(32);
        let fresh = remember(&db, "i1", "carla", Some(&planted), T0 + 12)
            .await
            .expect("remember");
        assert_ne!(fresh, planted);
        let adopted = recognise(&db, "i1", "carla", &planted, T0 + 13).await;
        assert_eq!(adopted.ok(), Some(None));
        remember(&db, "i1", "anna", Some(&token), late - 1)
            .await
            .expect("renew");
        assert!(
            recognise(&db, "i1", "anna", &token, late + 1)
                .await
                .expect("ok")
                .is_some()
        );
    }
}
