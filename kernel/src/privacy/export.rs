//! "Download my data": everything the instance holds about one person, as JSON files in a ZIP —
//! the kernel's own records in `account.json`, and what each plugin holds in
//! `services/<plugin>.json`, asked of the plugin through its `personal_data` route.
//!
//! Times are written as dates in the instance's zone (`2026-12-04T10:30:00+01:00`), readable
//! without knowing what a Unix millisecond is. A plugin that does not answer fails the whole
//! download: a file that silently lacks one service's data would tell the person that the
//! service holds nothing about them.

use std::io::Write;

use sea_orm::{DbErr, FromQueryResult, JsonValue, Value};
use serde_json::{Map, Value as Json, json};

use super::PrivacyError;
use crate::audit;
use crate::auth::users::User;
use crate::db::{Db, sql};
use crate::instance::Instance;

/// The most audit entries about the person included (newest first), by them and about them each.
const AUDIT_ENTRIES: u32 = 2000;

/// A finished download: the file's name and its bytes.
pub struct Download {
    pub filename: String,
    pub zip: Vec<u8>,
    /// The plugins whose data it holds, for the audit entry.
    pub services: Vec<String>,
}

/// Gathers what `instance` holds about `user` and packs it, in the person's `locale` (for the
/// plugins' words and the read-me).
pub async fn download(
    instance: &Instance,
    user: &User,
    locale: &str,
) -> Result<Download, PrivacyError> {
    let mut account = account(&instance.db, instance.id(), user).await?;
    let sealer = instance.sealer.as_deref();
    let attachments = attachments(&instance.db, instance.id(), user, sealer).await?;
    if let Json::Object(map) = &mut account {
        let listed = attachments.iter().map(|(path, meta, _)| {
            let mut meta = meta.clone();
            meta["path"] = json!(path);
            meta
        });
        map.insert("files".into(), Json::Array(listed.collect()));
    }
    let mut files: Vec<(String, Json)> = vec![("account.json".into(), account)];
    let mut services = Vec::new();
    for plugin in instance.plugins.values() {
        let Some(route) = &plugin.personal_data else {
            continue;
        };
        let data = super::ask_plugin(instance, plugin, "GET", route, user, locale).await?;
        files.push((format!("services/{}.json", plugin.name), data));
        services.push(plugin.name.clone());
    }
    let attachments: Vec<(String, Vec<u8>)> = attachments
        .into_iter()
        .map(|(path, _, body)| (path, body))
        .collect();
    let zip = pack(
        &files,
        &attachments,
        &readme(locale, instance.manifest.instance.name.as_str()),
        crate::clock::ZONE,
    )?;
    let today = crate::clock::today();
    Ok(Download {
        filename: format!("dati-{}-{today}.zip", instance.id()),
        zip,
        services,
    })
}

/// The kernel's records about `user`: the account, roles, agreements, sessions, messages, the
/// purses of their welfare wallet and what was charged to it, seat and votes on the
/// coordination table, and the audit entries by or about them.
async fn account(db: &Db, instance: &str, user: &User) -> Result<Json, DbErr> {
    let id = user.id.as_str();
    let by_id = || vec![Value::from(instance), Value::from(id)];
    let mut out = Map::new();
    let account = rows(
        db,
        "SELECT id, username, display_name, locale, created_at, email_verified_at, privacy_version, \
         disabled_at, erasure_requested_at FROM users WHERE instance = ? AND id = ?",
        by_id(),
    )
    .await?;
    out.insert(
        "account".into(),
        account.into_iter().next().unwrap_or(Json::Null),
    );
    out.insert("roles".into(), json!(user.roles));
    let queries: [(&str, &str); 8] = [
        (
            "identity_providers",
            "SELECT provider, fiscal_number, bound_at FROM identity_bindings WHERE instance = ? AND user_id = ? ORDER BY bound_at",
        ),
        (
            "privacy_agreements",
            "SELECT version, given_at, locale FROM consents WHERE instance = ? AND user_id = ? ORDER BY given_at",
        ),
        (
            "sessions",
            "SELECT created_at, expires_at, user_agent FROM sessions WHERE instance = ? AND user_id = ? ORDER BY created_at DESC",
        ),
        (
            "messages",
            "SELECT plugin, subject, body, link, address, created_at, read_at, sent_at FROM notifications \
             WHERE instance = ? AND recipient = ? ORDER BY created_at DESC",
        ),
        (
            "coordination_table_seat",
            "SELECT organisation, joined_at FROM governance_members WHERE instance = ? AND user_id = ?",
        ),
        (
            "wallet_purses",
            "SELECT owner AS service, label, categories, valid_from, valid_until, withdrawn, created_at \
             FROM wallet_purses WHERE instance = ? AND holder = ? ORDER BY created_at",
        ),
        (
            "wallet_payments",
            "SELECT charger AS service, category, memo, asked, amount, uncovered AS paid_directly, at \
             FROM wallet_charges WHERE instance = ? AND holder = ? ORDER BY at",
        ),
        (
            "coordination_table_votes",
            "SELECT number AS proposal, choice, cast_at FROM proposal_votes WHERE instance = ? AND user_id = ? ORDER BY number",
        ),
    ];
    for (name, query) in queries {
        out.insert(name.into(), Json::Array(rows(db, query, by_id()).await?));
    }
    let by = audit::Filter {
        actor: Some(user.username.clone()),
        ..audit::Filter::default()
    };
    let about = audit::Filter {
        subject: Some(id.to_owned()),
        ..audit::Filter::default()
    };
    let mut entries = audit::search(db, instance, &by, None, AUDIT_ENTRIES).await?;
    entries.extend(audit::search(db, instance, &about, None, AUDIT_ENTRIES).await?);
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.seq));
    entries.dedup_by_key(|entry| entry.seq);
    let entries: Vec<Json> = entries
        .into_iter()
        .map(|entry| {
            json!({
                "at": entry.at,
                "action": entry.action,
                "by": entry.actor,
                "service": entry.plugin,
                "detail": serde_json::from_str::<Json>(&entry.detail).unwrap_or(Json::String(entry.detail)),
            })
        })
        .collect();
    out.insert("audit_log".into(), Json::Array(entries));
    Ok(Json::Object(out))
}

/// The files kept about `user` (an application's attachments): for each, its path in the ZIP
/// (`files/<service>/<id>-<name>`), what is known of it, and its content.
async fn attachments(
    db: &Db,
    instance: &str,
    user: &User,
    sealer: Option<&crate::seal::Sealer>,
) -> Result<Vec<(String, Json, Vec<u8>)>, PrivacyError> {
    let owned = crate::files::owned_by(db.conn(), instance, &user.id, sealer)
        .await
        .map_err(|err| match err {
            crate::files::FileError::Db(err) => PrivacyError::Db(err),
            other => PrivacyError::Internal(other.to_string()),
        })?;
    Ok(owned
        .into_iter()
        .map(|(plugin, file, body)| {
            let path = format!("files/{plugin}/{}-{}", file.id, file.name);
            let meta = json!({
                "service": plugin,
                "name": file.name,
                "content_type": file.content_type,
                "size": file.size,
                "sha256": file.sha256,
                "created_at": file.created_at,
            });
            (path, meta, body)
        })
        .collect())
}

/// The rows of `query` as JSON objects.
async fn rows(db: &Db, query: &str, values: Vec<Value>) -> Result<Vec<Json>, DbErr> {
    JsonValue::find_by_statement(sql::stmt(db.backend(), query, values))
        .all(db.conn())
        .await
}

/// The read-me at the top of the ZIP, in the person's language (Italian, else English).
fn readme(locale: &str, instance_name: &str) -> String {
    if locale == "it" {
        format!(
            "I vostri dati personali presso {instance_name}.\n\n\
             account.json: l'account, i ruoli, le accettazioni dell'informativa, le sessioni, i messaggi,\n\
             il posto al tavolo di coordinamento e le voci del registro di controllo che vi riguardano.\n\
             services/<servizio>.json: quanto ciascun servizio conserva su di voi.\n\
             files/<servizio>/: i documenti che avete allegato, così come li avete inviati.\n\n\
             I file sono in formato JSON; le date sono nel fuso orario dell'istanza.\n"
        )
    } else {
        format!(
            "Your personal data held by {instance_name}.\n\n\
             account.json: your account, roles, privacy agreements, sessions, messages, seat on the\n\
             coordination table and the audit log entries about you.\n\
             services/<service>.json: what each service holds about you.\n\
             files/<service>/: the documents you attached, as you sent them.\n\n\
             The files are JSON; dates are in the instance's time zone.\n"
        )
    }
}

/// The ZIP: a read-me, one pretty-printed JSON file each, times made readable, and the
/// attachments as they were sent.
fn pack(
    files: &[(String, Json)],
    attachments: &[(String, Vec<u8>)],
    readme: &str,
    zone: chrono_tz::Tz,
) -> Result<Vec<u8>, PrivacyError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("LEGGIMI.txt", options)?;
    zip.write_all(readme.as_bytes())?;
    for (name, data) in files {
        zip.start_file(name.as_str(), options)?;
        let mut data = data.clone();
        readable_times(&mut data, zone);
        let text = serde_json::to_vec_pretty(&data).unwrap_or_default();
        zip.write_all(&text)?;
    }
    for (name, body) in attachments {
        zip.start_file(name.as_str(), options)?;
        zip.write_all(body)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Every field named `at` or ending in `_at` that holds milliseconds becomes an RFC 3339 date
/// in `zone`.
fn readable_times(value: &mut Json, zone: chrono_tz::Tz) {
    match value {
        Json::Object(map) => {
            for (key, field) in map.iter_mut() {
                let is_time = key == "at" || key.ends_with("_at");
                match field.as_i64() {
                    Some(ms) if is_time => {
                        if let Some(date) = chrono::DateTime::from_timestamp_millis(ms) {
                            *field = Json::String(date.with_timezone(&zone).to_rfc3339());
                        }
                    }
                    _ => readable_times(field, zone),
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|item| readable_times(item, zone)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_dates_in_the_instance_zone() {
        let mut data =
            json!({"created_at": 1_764_843_000_000_i64, "votes": [{"at": 0}], "count": 3});
        readable_times(&mut data, chrono_tz::Europe::Rome);
        assert_eq!(data["created_at"], "2025-12-04T11:10:00+01:00");
        assert_eq!(data["votes"][0]["at"], "1970-01-01T01:00:00+01:00");
        assert_eq!(data["count"], 3);
    }
}
