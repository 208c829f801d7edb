//! The shops a campaign's vouchers may be spent at, as the campaign form offers them and the
//! campaign page tells citizens ("Dove si spende").

use std::collections::BTreeSet;

use serde_json::{Value, json};
use trama_sdk::Result;

use crate::campaign::Shops;
use crate::merchant::MERCHANTS;

/// Most shops the form reads to offer (the kernel's largest page).
const PAGE: u32 = 1000;

/// What the campaign form offers: the categories the registered shops carry and the shops,
/// by name.
pub fn choices() -> Result<Value> {
    let shops = MERCHANTS.query().limit(PAGE).fetch()?;
    let categories: BTreeSet<&str> = shops
        .iter()
        .flat_map(|m| m.data.categories.iter().map(String::as_str))
        .collect();
    let mut merchants: Vec<Value> = shops
        .iter()
        .map(|m| json!({ "id": m.id, "name": m.data.name }))
        .collect();
    merchants.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(json!({ "categories": categories, "merchants": merchants }))
}

/// Where the vouchers are spent, for the campaign's page: `null` when at any shop.
pub fn where_to_spend(shops: &Shops) -> Result<Value> {
    if shops.is_empty() {
        return Ok(Value::Null);
    }
    let mut names = Vec::new();
    for id in &shops.merchants {
        if let Some(shop) = MERCHANTS.get(id)? {
            names.push(json!({ "name": shop.data.name, "address": shop.data.address }));
        }
    }
    Ok(json!({ "categories": shops.categories, "merchants": names }))
}
