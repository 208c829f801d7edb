//! When each instance was first served (table `instance_claims`): the territory's own record of
//! having been there first, which file times cannot give (an edited or restored manifest looks
//! new, a copied one may look old).

use sea_orm::{ConnectionTrait, DbErr};

use super::{Db, sql};

/// Records that `instance` is served from this database, once: later calls keep the first time.
pub async fn record_served(db: &Db, instance: &str, now: i64) -> Result<(), DbErr> {
    let _guard = db.write_guard().await;
    db.conn()
        .execute_raw(sql::stmt(
            db.backend(),
            "INSERT INTO instance_claims (instance, first_served_at) VALUES (?, ?) \
             ON CONFLICT (instance) DO NOTHING",
            vec![instance.into(), now.into()],
        ))
        .await?;
    Ok(())
}

/// When `instance` was first served from this database, if it ever was.
pub async fn first_served(db: &Db, instance: &str) -> Result<Option<i64>, DbErr> {
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT first_served_at FROM instance_claims WHERE instance = ?",
            vec![instance.into()],
        ))
        .await?;
    row.map(|row| row.try_get("", "first_served_at"))
        .transpose()
}
