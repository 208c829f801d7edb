//! Reading many documents: filtered, sorted and paged queries and counts, driven by the
//! indexed fields in `document_index`.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, Value};
use serde_json::Value as Json;

use super::{
    Compare, DocStore, Document, Filter, MAX_QUERY_LIMIT, Query, StoreError, document_from_row,
    from_i64, require_indexed,
};
use crate::db::sql;

impl DocStore {
    pub async fn query(
        &self,
        collection: &str,
        query: &Query,
    ) -> Result<Vec<Document>, StoreError> {
        self.query_in(self.db.conn(), collection, query).await
    }

    pub async fn query_in(
        &self,
        conn: &impl ConnectionTrait,
        collection: &str,
        query: &Query,
    ) -> Result<Vec<Document>, StoreError> {
        let indexes = self.indexes(collection)?;
        let mut values = Vec::new();
        let mut text = String::from("SELECT d.doc_id, d.version, d.data FROM documents d ");
        if let Some(field) = &query.order_by {
            require_indexed(indexes, collection, field)?;
            text.push_str(
                "LEFT JOIN document_index o ON o.instance = d.instance AND o.plugin = d.plugin \
                 AND o.collection = d.collection AND o.doc_id = d.doc_id AND o.field = ? ",
            );
            values.push(field.clone().into());
        }
        self.push_where(&mut text, &mut values, collection, indexes, &query.filters)?;
        let dir = if query.descending { "DESC" } else { "ASC" };
        // Documents without the field come last either way, on SQLite as on PostgreSQL.
        let nulls = "NULLS LAST";
        if query.order_by.is_some() {
            text.push_str(&format!(
                " ORDER BY o.value_num {dir} {nulls}, o.value_text {dir} {nulls}, d.doc_id {dir}"
            ));
        } else {
            text.push_str(&format!(" ORDER BY d.doc_id {dir}"));
        }
        let limit = query.limit.unwrap_or(MAX_QUERY_LIMIT).min(MAX_QUERY_LIMIT);
        text.push_str(" LIMIT ? OFFSET ?");
        values.push(i64::from(limit).into());
        values.push(i64::from(query.offset).into());
        let rows = conn
            .query_all_raw(sql::stmt(self.db.backend(), &text, values))
            .await?;
        rows.iter().map(document_from_row).collect()
    }

    pub async fn count(&self, collection: &str, filters: &[Filter]) -> Result<u64, StoreError> {
        self.count_in(self.db.conn(), collection, filters).await
    }

    pub async fn count_in(
        &self,
        conn: &impl ConnectionTrait,
        collection: &str,
        filters: &[Filter],
    ) -> Result<u64, StoreError> {
        let indexes = self.indexes(collection)?;
        let mut values = Vec::new();
        let mut text = String::from("SELECT COUNT(*) AS n FROM documents d ");
        self.push_where(&mut text, &mut values, collection, indexes, filters)?;
        let row = conn
            .query_one_raw(sql::stmt(self.db.backend(), &text, values))
            .await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(from_i64(n))
    }

    fn push_where(
        &self,
        text: &mut String,
        values: &mut Vec<Value>,
        collection: &str,
        indexes: &BTreeSet<String>,
        filters: &[Filter],
    ) -> Result<(), StoreError> {
        text.push_str("WHERE d.instance = ? AND d.plugin = ? AND d.collection = ?");
        values.extend(self.scope(collection));
        for filter in filters {
            require_indexed(indexes, collection, &filter.field)?;
            let (column, value) = match (&filter.value, filter.op) {
                (Json::String(s), _) => ("i.value_text", Value::from(s.clone())),
                (Json::Bool(b), Compare::Eq | Compare::Ne) => {
                    ("i.value_text", Value::from(b.to_string()))
                }
                (Json::Number(n), op) if op != Compare::Prefix => {
                    let n = n.as_f64().ok_or_else(|| {
                        StoreError::Invalid(format!("`{}`: number out of range", filter.field))
                    })?;
                    ("i.value_num", Value::from(n))
                }
                (other, op) => {
                    return Err(StoreError::Invalid(format!(
                        "filter on `{}`: {op:?} cannot compare with {other}",
                        filter.field
                    )));
                }
            };
            let condition = match filter.op {
                Compare::Eq => format!("{column} = ?"),
                Compare::Ne => format!("{column} <> ?"),
                Compare::Lt => format!("{column} < ?"),
                Compare::Le => format!("{column} <= ?"),
                Compare::Gt => format!("{column} > ?"),
                Compare::Ge => format!("{column} >= ?"),
                Compare::Prefix => format!("substr({column}, 1, length(?)) = ?"),
            };
            text.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM document_index i WHERE i.instance = d.instance \
                 AND i.plugin = d.plugin AND i.collection = d.collection AND i.doc_id = d.doc_id \
                 AND i.field = ? AND {condition})"
            ));
            values.push(filter.field.clone().into());
            if filter.op == Compare::Prefix {
                values.push(value.clone());
            }
            values.push(value);
        }
        Ok(())
    }
}
