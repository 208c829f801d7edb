//! The document store behaves the same on SQLite and on PostgreSQL: every test in `suite` runs
//! against both, on a real database.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::pg;
use serde_json::json;

use pg::PgDatabase;
use trama::db::Db;
use trama::docstore::{Compare, DocStore, Filter, Query, StoreError, Write};

fn collections() -> Arc<BTreeMap<String, BTreeSet<String>>> {
    let mut map = BTreeMap::new();
    map.insert(
        "people".to_owned(),
        ["name", "age", "city.name", "active"]
            .into_iter()
            .map(String::from)
            .collect(),
    );
    map.insert("notes".to_owned(), BTreeSet::new());
    Arc::new(map)
}

fn store(db: &Db, instance: &str, plugin: &str) -> DocStore {
    DocStore::new(db.clone(), instance, plugin, collections())
}

async fn put(store: &DocStore, id: &str, value: serde_json::Value) -> u64 {
    store
        .put("people", id, &value.to_string(), None)
        .await
        .expect("put")
}

async fn suite(db: Db) {
    versions_grow_and_documents_round_trip(&db).await;
    optimistic_versions_refuse_stale_writes(&db).await;
    queries_filter_sort_and_page_on_indexed_fields(&db).await;
    undeclared_collections_and_fields_are_refused(&db).await;
    batches_are_all_or_nothing(&db).await;
    oversized_documents_are_refused(&db).await;
    plugins_and_instances_never_see_each_others_documents(&db).await;
    concurrent_writers_at_the_same_version_have_one_winner(&db).await;
}

async fn versions_grow_and_documents_round_trip(db: &Db) {
    let s = store(db, "t1", "p");
    assert_eq!(put(&s, "ada", json!({"name": "Ada", "age": 36})).await, 1);
    assert_eq!(put(&s, "ada", json!({"name": "Ada", "age": 37})).await, 2);
    let doc = s.get("people", "ada").await.expect("get").expect("exists");
    assert_eq!(doc.version, 2);
    let data: serde_json::Value = serde_json::from_str(&doc.data).expect("json");
    assert_eq!(data["age"], 37);
    assert!(s.get("people", "nobody").await.expect("get").is_none());
    assert!(s.delete("people", "ada", None).await.expect("delete"));
    assert!(!s.delete("people", "ada", None).await.expect("delete again"));
    assert!(s.get("people", "ada").await.expect("get").is_none());
}

async fn optimistic_versions_refuse_stale_writes(db: &Db) {
    let s = store(db, "t2", "p");
    let body = json!({"name": "Bea"}).to_string();
    assert_eq!(s.put("people", "bea", &body, Some(0)).await, Ok(1));
    assert!(matches!(
        s.put("people", "bea", &body, Some(0)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.put("people", "bea", &body, Some(1)).await, Ok(2));
    assert!(matches!(
        s.put("people", "bea", &body, Some(1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.delete("people", "bea", Some(1)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.delete("people", "bea", Some(2)).await, Ok(true));
}

async fn queries_filter_sort_and_page_on_indexed_fields(db: &Db) {
    let s = store(db, "t3", "p");
    for (id, name, age, city, active) in [
        ("1", "Anna", 30, "Bari", true),
        ("2", "Bruno", 45, "Torino", false),
        ("3", "Carla", 22, "Bari", true),
        ("4", "Carlo", 61, "Napoli", true),
    ] {
        put(
            &s,
            id,
            json!({"name": name, "age": age, "city": {"name": city}, "active": active}),
        )
        .await;
    }
    let ids =
        |docs: Vec<trama::docstore::Document>| docs.into_iter().map(|d| d.id).collect::<Vec<_>>();
    let filter = |field: &str, op, value| Filter {
        field: field.into(),
        op,
        value,
    };

    let older = Query {
        filters: vec![filter("age", Compare::Ge, json!(30))],
        order_by: Some("age".into()),
        descending: true,
        ..Query::default()
    };
    assert_eq!(
        ids(s.query("people", &older).await.expect("query")),
        ["4", "2", "1"]
    );

    let in_bari = Query {
        filters: vec![filter("city.name", Compare::Eq, json!("Bari"))],
        order_by: Some("name".into()),
        ..Query::default()
    };
    assert_eq!(
        ids(s.query("people", &in_bari).await.expect("query")),
        ["1", "3"]
    );

    let carl = Query {
        filters: vec![filter("name", Compare::Prefix, json!("Carl"))],
        ..Query::default()
    };
    assert_eq!(
        ids(s.query("people", &carl).await.expect("query")),
        ["3", "4"]
    );

    let active_young = vec![
        filter("active", Compare::Eq, json!(true)),
        filter("age", Compare::Lt, json!(40)),
    ];
    assert_eq!(s.count("people", &active_young).await, Ok(2));

    let page = Query {
        order_by: Some("age".into()),
        limit: Some(2),
        offset: 1,
        ..Query::default()
    };
    assert_eq!(
        ids(s.query("people", &page).await.expect("query")),
        ["1", "2"]
    );
    assert_eq!(s.count("people", &[]).await, Ok(4));
}

async fn undeclared_collections_and_fields_are_refused(db: &Db) {
    let s = store(db, "t4", "p");
    let err = s
        .put("secrets", "x", "{}", None)
        .await
        .expect_err("undeclared");
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("secrets")),
        "{err}"
    );
    let query = Query {
        filters: vec![Filter {
            field: "email".into(),
            op: Compare::Eq,
            value: json!("a@b"),
        }],
        ..Query::default()
    };
    let err = s.query("people", &query).await.expect_err("not indexed");
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("email")),
        "{err}"
    );
    let err = s
        .put("people", "x", "{not json", None)
        .await
        .expect_err("bad json");
    assert!(matches!(err, StoreError::Invalid(_)));
}

async fn batches_are_all_or_nothing(db: &Db) {
    let s = store(db, "t5", "p");
    put(&s, "existing", json!({"name": "E"})).await;
    let writes = vec![
        Write::Put {
            collection: "people".into(),
            id: "new".into(),
            data: json!({"name": "N"}).to_string(),
            expected_version: Some(0),
        },
        Write::Put {
            collection: "notes".into(),
            id: "n1".into(),
            data: "{}".into(),
            expected_version: None,
        },
        // Stale version: the whole batch must fail.
        Write::Put {
            collection: "people".into(),
            id: "existing".into(),
            data: "{}".into(),
            expected_version: Some(7),
        },
    ];
    assert!(matches!(
        s.batch(writes).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.get("people", "new").await.expect("get").is_none());
    assert!(s.get("notes", "n1").await.expect("get").is_none());
    let ok = vec![
        Write::Put {
            collection: "people".into(),
            id: "new".into(),
            data: json!({"name": "N"}).to_string(),
            expected_version: Some(0),
        },
        Write::Delete {
            collection: "people".into(),
            id: "existing".into(),
            expected_version: Some(1),
        },
    ];
    assert_eq!(s.batch(ok).await, Ok(vec![1, 0]));
    assert!(s.get("people", "existing").await.expect("get").is_none());
}

async fn oversized_documents_are_refused(db: &Db) {
    let s = store(db, "t6", "p");
    let big = json!({ "name": "x".repeat(trama::docstore::MAX_DOCUMENT_BYTES) }).to_string();
    assert!(matches!(
        s.put("people", "big", &big, None).await,
        Err(StoreError::TooLarge(_))
    ));
}

async fn plugins_and_instances_never_see_each_others_documents(db: &Db) {
    let mine = store(db, "t7", "vouchers");
    let other_plugin = store(db, "t7", "tutoring");
    let other_instance = store(db, "t7b", "vouchers");
    put(&mine, "secret", json!({"name": "Riservato"})).await;
    assert!(
        other_plugin
            .get("people", "secret")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        other_instance
            .get("people", "secret")
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(other_plugin.count("people", &[]).await, Ok(0));
    assert_eq!(
        other_instance
            .query("people", &Query::default())
            .await
            .map(|d| d.len()),
        Ok(0)
    );
    assert!(
        !other_instance
            .delete("people", "secret", None)
            .await
            .expect("delete")
    );
    assert!(mine.get("people", "secret").await.expect("get").is_some());
}

async fn concurrent_writers_at_the_same_version_have_one_winner(db: &Db) {
    let s = store(db, "t8", "p");
    put(&s, "seat", json!({"name": "last seat"})).await;
    let mut tasks = Vec::new();
    for n in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.put(
                "people",
                "seat",
                &json!({"name": format!("taken by {n}")}).to_string(),
                Some(1),
            )
            .await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(2) => winners += 1,
            Err(StoreError::Conflict(_)) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn document_store_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("docs.db").display());
    suite(Db::connect(&url).await.expect("connect sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn document_store_on_postgres() {
    let database = PgDatabase::create().await;
    let db = Db::connect(&database.url).await.expect("connect postgres");
    suite(db.clone()).await;
    db.conn().clone().close().await.ok();
}
