//! Queries on a collection: filters and ordering on indexed fields, pages, counts.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Collection, Doc, PAGE, StoreError, wit};
use crate::Result;

/// A comparison in a query filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Text that starts with the value.
    Prefix,
}

impl Cmp {
    fn to_wit(self) -> wit::Compare {
        match self {
            Cmp::Eq => wit::Compare::Eq,
            Cmp::Ne => wit::Compare::Ne,
            Cmp::Lt => wit::Compare::Lt,
            Cmp::Le => wit::Compare::Le,
            Cmp::Gt => wit::Compare::Gt,
            Cmp::Ge => wit::Compare::Ge,
            Cmp::Prefix => wit::Compare::Prefix,
        }
    }
}

/// A query on a collection: filters and ordering use indexed fields only.
///
/// ```no_run
/// # use trama_sdk::store::{Cmp, Collection};
/// # #[derive(serde::Serialize, serde::Deserialize)]
/// # struct Greeting { name: String }
/// # const GREETINGS: Collection<Greeting> = Collection::new("greetings");
/// # fn main() -> trama_sdk::Result<()> {
/// let recent = GREETINGS
///     .query()
///     .filter("name", Cmp::Eq, "Anna")
///     .order_by_desc("created_at")
///     .limit(20)
///     .fetch()?;
/// # Ok(())
/// # }
/// ```
#[must_use = "a query does nothing until `fetch` or `count`"]
pub struct Query<T> {
    /// A copy, so that a query on a `const` collection can be kept in a variable.
    collection: Collection<T>,
    filters: Vec<wit::Filter>,
    order_by: Option<String>,
    descending: bool,
    limit: Option<u32>,
    offset: u32,
}

impl<T> Query<T> {
    /// Every document of `collection`, until filters narrow it.
    pub(super) fn on(collection: Collection<T>) -> Self {
        Self {
            collection,
            filters: Vec::new(),
            order_by: None,
            descending: false,
            limit: None,
            offset: 0,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Query<T> {
    /// Keeps documents whose indexed `field` compares to `value` (a string, number or bool).
    pub fn filter(mut self, field: &str, cmp: Cmp, value: impl Into<Value>) -> Self {
        self.filters.push(wit::Filter {
            field: field.to_owned(),
            op: cmp.to_wit(),
            value: value.into().to_string(),
        });
        self
    }

    /// Sorts by an indexed field, smallest first (documents are sorted by id otherwise).
    pub fn order_by(mut self, field: &str) -> Self {
        self.order_by = Some(field.to_owned());
        self.descending = false;
        self
    }

    /// Sorts by an indexed field, largest first.
    pub fn order_by_desc(mut self, field: &str) -> Self {
        self.order_by = Some(field.to_owned());
        self.descending = true;
        self
    }

    /// Returns at most `n` documents (the kernel caps every page anyway).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` documents.
    pub fn offset(mut self, n: u32) -> Self {
        self.offset = n;
        self
    }

    /// Runs the query.
    pub fn fetch(self) -> Result<Vec<Doc<T>>> {
        let query = wit::QueryOptions {
            filters: self.filters,
            order_by: self.order_by,
            descending: self.descending,
            limit: self.limit,
            offset: self.offset,
        };
        let docs = wit::query(&self.collection.name, &query).map_err(StoreError::from)?;
        docs.into_iter()
            .map(|doc| self.collection.decode(doc))
            .collect()
    }

    /// Every document that passes the filters, from the query's offset on, read a page of
    /// [`PAGE`] (the kernel's largest) at a time; a limit set on the query is ignored. For
    /// exports and reports that must see everything: a page walk by hand is easy to get wrong
    /// at the boundary.
    pub fn fetch_all(self) -> Result<Vec<Doc<T>>> {
        let mut all = Vec::new();
        loop {
            let offset = self
                .offset
                .saturating_add(u32::try_from(all.len()).unwrap_or(u32::MAX));
            let query = wit::QueryOptions {
                filters: self.filters.clone(),
                order_by: self.order_by.clone(),
                descending: self.descending,
                limit: Some(PAGE),
                offset,
            };
            let docs = wit::query(&self.collection.name, &query).map_err(StoreError::from)?;
            let full = docs.len() == PAGE as usize;
            for doc in docs {
                all.push(self.collection.decode(doc)?);
            }
            if !full {
                return Ok(all);
            }
        }
    }

    /// Counts the documents that pass the filters (ordering and paging are ignored).
    pub fn count(self) -> Result<u64> {
        Ok(wit::count(&self.collection.name, &self.filters).map_err(StoreError::from)?)
    }
}
