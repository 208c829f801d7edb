//! Writes that succeed together or not at all.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Collection, StoreError, wit};
use crate::{Error, Result};

/// Writes that succeed together or not at all.
///
/// ```no_run
/// # use trama_sdk::store::{self, Batch, Collection};
/// # fn main() -> trama_sdk::Result<()> {
/// const NAMES: Collection<String> = Collection::new("names");
/// const TOTALS: Collection<u64> = Collection::new("totals");
///
/// let total = TOTALS.get("names")?;
/// let mut batch = Batch::new();
/// batch.create(&NAMES, &store::new_id(), &"Anna".to_owned());
/// match &total {
///     // Fails the whole batch if someone else counted in the meantime.
///     Some(doc) => batch.put_if_version(&TOTALS, "names", &(doc.data + 1), doc.version),
///     None => batch.create(&TOTALS, "names", &1),
/// };
/// batch.commit()?;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
#[must_use = "a batch does nothing until `commit`"]
pub struct Batch {
    writes: Vec<wit::Write>,
    /// The first document that could not be serialized; reported by `commit`.
    error: Option<Error>,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many writes the batch holds.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// Writes `data` under `id` whatever is there.
    pub fn put<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
    ) -> &mut Self {
        self.push_put(collection, id, data, None)
    }

    /// Creates `id`, which must not exist yet.
    pub fn create<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
    ) -> &mut Self {
        self.push_put(collection, id, data, Some(0))
    }

    /// Writes `data` under `id` only if it is still at `version`.
    pub fn put_if_version<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
        version: u64,
    ) -> &mut Self {
        self.push_put(collection, id, data, Some(version))
    }

    /// Deletes `id` if it exists.
    pub fn delete<T>(&mut self, collection: &Collection<T>, id: &str) -> &mut Self {
        self.push_delete(collection, id, None)
    }

    /// Deletes `id`, which must exist at `version`.
    pub fn delete_if_version<T>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        version: u64,
    ) -> &mut Self {
        self.push_delete(collection, id, Some(version))
    }

    /// Applies every write atomically; returns the new version of each (0 for deletes), in
    /// order. If any write fails — a version conflict, say — nothing is written.
    pub fn commit(self) -> Result<Vec<u64>> {
        if let Some(err) = self.error {
            return Err(err);
        }
        Ok(wit::batch(&self.writes).map_err(StoreError::from)?)
    }

    fn push_put<T: Serialize + DeserializeOwned>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        data: &T,
        expected_version: Option<u64>,
    ) -> &mut Self {
        match collection.encode(id, data) {
            Ok(data) => self.writes.push(wit::Write::Put(wit::PutOp {
                collection: collection.name.to_string(),
                id: id.to_owned(),
                data,
                expected_version,
            })),
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
        self
    }

    fn push_delete<T>(
        &mut self,
        collection: &Collection<T>,
        id: &str,
        expected_version: Option<u64>,
    ) -> &mut Self {
        self.writes.push(wit::Write::Delete(wit::DeleteOp {
            collection: collection.name.to_string(),
            id: id.to_owned(),
            expected_version,
        }));
        self
    }
}
