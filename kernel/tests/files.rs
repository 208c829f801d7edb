//! Kept files as two nodes of an instance see them, on SQLite and on PostgreSQL: a file written
//! in a transaction that rolls back is not there, one that commits is served byte for byte by
//! the other node, only to the plugin and instance that kept it, listed in its owner's data and
//! gone once deleted.

#[path = "common/pg.rs"]
mod pg;

use pg::PgDatabase;
use trama::db::Db;
use trama::files::{self, Upload};

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
    let lost = files::insert_in(write.txn(), "c1", "valdarno", "vouchers", Some("u1"), &sent)
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
    let kept = files::insert_in(write.txn(), "c2", "valdarno", "vouchers", Some("u1"), &sent)
        .await
        .expect("insert");
    write.commit().await.expect("commit");
    assert_eq!(kept.size, sent.bytes.len() as u64);
    assert_eq!(kept.id.len(), 32);

    // The other node serves it, exactly.
    let read = files::read(other.conn(), "valdarno", "vouchers", &kept.id)
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
        let found = files::read(other.conn(), instance, plugin, &kept.id)
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
    let owned = files::owned_by(other.conn(), "valdarno", "u1")
        .await
        .expect("owned");
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].0, "vouchers");
    assert_eq!(owned[0].2, sent.bytes.to_vec());
    assert!(
        files::owned_by(other.conn(), "valdarno", "u2")
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
        files::read(one.conn(), "valdarno", "vouchers", &kept.id)
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
