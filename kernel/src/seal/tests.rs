use std::path::Path;

use super::*;

fn ring(lines: &[&str]) -> Arc<Keyring> {
    let text: String = lines
        .iter()
        .map(|id| Keyring::new_line(id) + "\n")
        .collect();
    ring_of(&text)
}

fn ring_of(text: &str) -> Arc<Keyring> {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let path = dir.path().join("seal.keys");
    std::fs::write(&path, text).unwrap_or_else(|err| panic!("{err}"));
    Arc::new(Keyring::read(Path::new(&path)).unwrap_or_else(|err| panic!("{err}")))
}

async fn db() -> Db {
    Db::memory().await.unwrap_or_else(|err| panic!("{err}"))
}

#[tokio::test]
async fn a_sealed_note_opens_only_where_it_was_sealed() {
    let db = db().await;
    let keys = ring(&["k1"]);
    let sealer = Sealer::open(db.clone(), "comune", keys.clone())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let note = "La signora riferisce difficoltà con l'affitto".as_bytes();
    let sealed = sealer
        .seal("casework", "case/7/note/1", note)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(sealed.starts_with("ts1.1."), "{sealed}");
    assert!(!sealed.contains("affitto"));
    let opened = sealer
        .open_sealed("casework", "case/7/note/1", &sealed)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(opened.as_slice(), note);
    // Sealing twice gives two texts (random nonces).
    let again = sealer
        .seal("casework", "case/7/note/1", note)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert_ne!(sealed, again);

    // Moved to another case, another plugin or another instance, or altered: refused.
    for (plugin, context) in [("casework", "case/8/note/1"), ("vouchers", "case/7/note/1")] {
        let moved = sealer.open_sealed(plugin, context, &sealed).await;
        assert!(
            matches!(moved, Err(SealError::Forged)),
            "{plugin} {context}"
        );
    }
    let other = Sealer::open(db.clone(), "borgo", keys)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(matches!(
        other
            .open_sealed("casework", "case/7/note/1", &sealed)
            .await,
        Err(SealError::Forged)
    ));
    let mut altered = sealed.clone().into_bytes();
    let last = altered.len() - 2;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap_or_default();
    assert!(matches!(
        sealer
            .open_sealed("casework", "case/7/note/1", &altered)
            .await,
        Err(SealError::Forged)
    ));
    assert!(matches!(
        sealer
            .open_sealed("casework", "case/7/note/1", "hello")
            .await,
        Err(SealError::Forged)
    ));

    // The database alone holds only wrapped keys: the row does not open without the file.
    let row = db
        .conn()
        .query_one_raw(sql::stmt(
            db.backend(),
            "SELECT wrapped FROM seal_keys WHERE instance = ?",
            vec!["comune".into()],
        ))
        .await
        .unwrap_or_else(|err| panic!("{err}"))
        .unwrap_or_else(|| panic!("a data key row"));
    let wrapped: String = row.try_get("", "wrapped").unwrap_or_default();
    assert!(wrapped.len() > 60);
}

#[tokio::test]
async fn rotation_keeps_old_notes_readable_and_lets_the_old_master_key_go() {
    let db = db().await;
    let first = Keyring::new_line("k1");
    let second = Keyring::new_line("k2");
    let before = ring_of(&format!("{first}\n"));
    let sealer = Sealer::open(db.clone(), "comune", before)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let old = sealer
        .seal("casework", "case/1/note/1", b"prima")
        .await
        .unwrap_or_else(|err| panic!("{err}"));

    // The new master key comes first in the file; the old one stays until the rotation ran.
    let both = ring_of(&format!("{second}\n{first}\n"));
    let sealer = Sealer::open(db.clone(), "comune", both)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let (new_key, rewrapped) = sealer.rotate().await.unwrap_or_else(|err| panic!("{err}"));
    assert_eq!((new_key, rewrapped), (2, 2));
    let new = sealer
        .seal("casework", "case/1/note/2", b"dopo")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(new.starts_with("ts1.2."), "{new}");

    // Without the old master key, a fresh start opens both notes.
    let after = ring_of(&format!("{second}\n"));
    let sealer = Sealer::open(db.clone(), "comune", after)
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let read = |sealed: String, context: &'static str| {
        let sealer = &sealer;
        async move {
            sealer
                .open_sealed("casework", context, &sealed)
                .await
                .map(|t| t.to_vec())
        }
    };
    assert_eq!(
        read(old, "case/1/note/1").await.unwrap_or_default(),
        b"prima"
    );
    assert_eq!(
        read(new, "case/1/note/2").await.unwrap_or_default(),
        b"dopo"
    );

    // A key file missing the master key of the data keys says which one.
    let wrong = ring_of(&format!("{}\n", Keyring::new_line("k9")));
    let refused = Sealer::open(db, "comune", wrong)
        .await
        .expect_err("no master key");
    assert!(refused.to_string().contains("`k2`"), "{refused}");
}
