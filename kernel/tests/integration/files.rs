//! Kept files as two nodes of an instance see them, on SQLite and on PostgreSQL: a file written
//! in a transaction that rolls back is not there, one that commits is served byte for byte by
//! the other node, only to the plugin and instance that kept it, listed in its owner's data and
//! gone once deleted. A plugin that keeps its files sealed has them encrypted in the database
//! with the instance's seal keys, opened only for it, while files kept in clear before stay
//! readable.

use crate::pg;

use pg::PgDatabase;
use std::sync::Arc;
use trama::db::Db;

use sea_orm::ConnectionTrait;
use trama::files::{self, FileError, Upload};
use trama::seal::{Keyring, Sealer};

/// A "PDF" holding every byte value, so a backend that mangles binary (a text column, an
/// encoding) is caught.
fn upload() -> Upload {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(70_000));
    Upload {
        field: "attestazione".into(),
        name: "ISEE è.pdf".into(),
        content_type: "application/pdf",
        bytes: bytes.into(),
        kept: false,
    }
}

async fn one_file_two_nodes(one: Db, other: Db) {
    let sent = upload();
    // Rolled back: nothing kept.
    let write = one.begin_owned_write().await.expect("begin");
    let lost = files::insert_in(
        write.txn(),
        "c1",
        "valdarno",
        "vouchers",
        Some("u1"),
        &sent,
        None,
    )
    .await
    .expect("insert");
    write.rollback().await.expect("rollback");
    assert_eq!(
        files::describe(other.conn(), "valdarno", "vouchers", &lost.id)
            .await
            .expect("describe"),
        None
    );

    let write = one.begin_owned_write().await.expect("begin");
    let kept = files::insert_in(
        write.txn(),
        "c2",
        "valdarno",
        "vouchers",
        Some("u1"),
        &sent,
        None,
    )
    .await
    .expect("insert");
    write.commit().await.expect("commit");
    assert_eq!(kept.size, sent.bytes.len() as u64);
    assert_eq!(kept.id.len(), 32);

    // The other node serves it, exactly.
    let read = files::read(other.conn(), "valdarno", "vouchers", &kept.id, None)
        .await
        .expect("read");
    assert_eq!(read.as_deref(), Some(&sent.bytes[..]));
    let described = files::describe(other.conn(), "valdarno", "vouchers", &kept.id)
        .await
        .expect("describe")
        .expect("the file");
    assert_eq!(described, kept);
    // Another plugin, or another instance, does not find it.
    for (instance, plugin) in [("valdarno", "tutoring"), ("colline", "vouchers")] {
        let found = files::read(other.conn(), instance, plugin, &kept.id, None)
            .await
            .expect("read");
        assert_eq!(found, None, "{instance}/{plugin}");
    }
    assert_eq!(
        files::count(other.conn(), "valdarno", "vouchers")
            .await
            .expect("count"),
        (1, sent.bytes.len() as u64)
    );
    // Its owner's data holds it; nobody else's.
    let owned = files::owned_by(other.conn(), "valdarno", "u1", None)
        .await
        .expect("owned");
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].0, "vouchers");
    assert_eq!(owned[0].2, sent.bytes.to_vec());
    assert!(
        files::owned_by(other.conn(), "valdarno", "u2", None)
            .await
            .expect("owned")
            .is_empty()
    );

    let write = other.begin_owned_write().await.expect("begin");
    assert!(
        files::delete_in(write.txn(), "valdarno", "vouchers", &kept.id)
            .await
            .expect("delete")
    );
    assert!(
        !files::delete_in(write.txn(), "valdarno", "vouchers", &kept.id)
            .await
            .expect("delete")
    );
    write.commit().await.expect("commit");
    assert_eq!(
        files::read(one.conn(), "valdarno", "vouchers", &kept.id, None)
            .await
            .expect("read"),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_file_is_served_exactly_by_the_other_node_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("trama.db").display()
    );
    let one = Db::connect(&url).await.expect("database");
    let other = Db::connect(&url).await.expect("database");
    one_file_two_nodes(one, other).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_file_is_served_exactly_by_the_other_node_on_postgres() {
    let pg = PgDatabase::create().await;
    let one = Db::connect(&pg.url).await.expect("database");
    let other = Db::connect(&pg.url).await.expect("database");
    one_file_two_nodes(one, other).await;
}

/// The stored bytes of file `id`, as a copy of the database shows them.
async fn raw_body(db: &Db, id: &str) -> Vec<u8> {
    let row = db
        .conn()
        .query_one_raw(trama::db::sql::stmt(
            db.backend(),
            "SELECT body FROM files WHERE id = ?",
            vec![id.into()],
        ))
        .await
        .expect("select")
        .expect("the row");
    row.try_get("", "body").expect("body")
}

async fn sealed_at_rest(db: Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("seal.keys");
    std::fs::write(&path, Keyring::new_line("k1") + "\n").expect("key file");
    let keyring = Arc::new(Keyring::read(&path).expect("keyring"));
    let sealer = Sealer::open(db.clone(), "valdarno", keyring)
        .await
        .expect("sealer");
    let sent = upload();

    // A file kept in clear before the plugin sealed its files.
    let write = db.begin_owned_write().await.expect("begin");
    let clear = files::insert_in(
        write.txn(),
        "c1",
        "valdarno",
        "casework",
        Some("u1"),
        &sent,
        None,
    )
    .await
    .expect("insert");
    let sealed = files::insert_in(
        write.txn(),
        "c1",
        "valdarno",
        "casework",
        Some("u1"),
        &sent,
        Some(&sealer),
    )
    .await
    .expect("insert sealed");
    write.commit().await.expect("commit");

    // In the database: not the content, nor any long run of it.
    let stored = raw_body(&db, &sealed.id).await;
    assert_ne!(stored, sent.bytes.to_vec());
    assert!(!stored.windows(9).any(|w| w == b"%PDF-1.7\n"));
    assert!(stored.len() > sent.bytes.len(), "nonce and tag added");
    // What is known of it is the content's.
    assert_eq!(sealed.size, sent.bytes.len() as u64);
    assert_eq!(sealed.sha256, clear.sha256);
    assert_eq!(raw_body(&db, &clear.id).await, sent.bytes.to_vec());

    // Read back, both equal the content.
    for id in [&clear.id, &sealed.id] {
        let read = files::read(db.conn(), "valdarno", "casework", id, Some(&sealer))
            .await
            .expect("read");
        assert_eq!(read.as_deref(), Some(&sent.bytes[..]), "{id}");
    }
    let owned = files::owned_by(db.conn(), "valdarno", "u1", Some(&sealer))
        .await
        .expect("owned");
    assert_eq!(owned.len(), 2);
    assert!(
        owned
            .iter()
            .all(|(_, _, body)| body == &sent.bytes.to_vec())
    );

    // Without the keys the sealed file does not open; the clear one still does.
    let refused = files::read(db.conn(), "valdarno", "casework", &sealed.id, None).await;
    assert!(
        matches!(refused, Err(FileError::Seal { .. })),
        "{refused:?}"
    );
    assert!(
        files::read(db.conn(), "valdarno", "casework", &clear.id, None)
            .await
            .expect("read")
            .is_some()
    );

    // Its bytes copied onto another file's row do not open there.
    db.conn()
        .execute_raw(trama::db::sql::stmt(
            db.backend(),
            "UPDATE files SET body = ?, seal_key = (SELECT seal_key FROM files WHERE id = ?) \
             WHERE id = ?",
            vec![
                sea_orm::Value::Bytes(Some(stored)),
                sealed.id.clone().into(),
                clear.id.clone().into(),
            ],
        ))
        .await
        .expect("update");
    let moved = files::read(db.conn(), "valdarno", "casework", &clear.id, Some(&sealer)).await;
    assert!(matches!(moved, Err(FileError::Seal { .. })), "{moved:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_file_is_not_in_clear_in_the_database_and_reads_back_equal_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("trama.db").display()
    );
    sealed_at_rest(Db::connect(&url).await.expect("database")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_file_is_not_in_clear_in_the_database_and_reads_back_equal_on_postgres() {
    let pg = PgDatabase::create().await;
    sealed_at_rest(Db::connect(&pg.url).await.expect("database")).await;
}
