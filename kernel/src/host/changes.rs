//! What a plugin call changed (documents written or deleted, accounts opened, money moved), so
//! the kernel can put every change a plugin makes in the audit log, whether or not the plugin
//! audits it itself.

use serde_json::{Value as Json, json};

/// Most changes listed in one audit entry; beyond that only the total is kept.
const LISTED: usize = 100;

#[derive(Debug, Default)]
pub struct ChangeLog {
    listed: Vec<Json>,
    total: usize,
}

impl ChangeLog {
    pub fn record(&mut self, change: Json) {
        self.total += 1;
        if self.listed.len() < LISTED {
            self.listed.push(change);
        }
    }

    pub fn put(&mut self, collection: &str, id: &str, version: u64) {
        self.record(json!({ "op": "put", "collection": collection, "id": id, "version": version }));
    }

    pub fn delete(&mut self, collection: &str, id: &str) {
        self.record(json!({ "op": "delete", "collection": collection, "id": id }));
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The audit detail: the transaction that made the changes (see `trama audit verify`), the
    /// first changes and how many there were.
    pub fn detail(&self, call: &str) -> Json {
        json!({ "call": call, "changes": self.listed, "total": self.total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_call_keeps_the_first_changes_and_the_total() {
        let mut log = ChangeLog::default();
        assert!(log.is_empty());
        for n in 0..150 {
            log.put("things", &n.to_string(), 1);
        }
        let detail = log.detail("c1");
        assert_eq!(detail["call"], "c1");
        assert_eq!(detail["total"], 150);
        assert_eq!(detail["changes"].as_array().map(Vec::len), Some(LISTED));
    }
}
