//! Where a campaign's vouchers are spent: any affiliated shop (the default), or only shops of
//! some categories (the codes the admissions register gives them, a pharmacy's, say) and/or
//! shops named one by one. A shop is admitted when it is named or has one of the categories.
//! Redemption checks it ([`crate::redeem`]) before any money moves.

use serde::{Deserialize, Serialize};
use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use crate::merchant::Merchant;

/// Most categories or shops a campaign lists.
const MAX_SHOPS: usize = 200;
/// Longest category code.
const CATEGORY_CHARS: usize = 80;

/// The shops a campaign's vouchers may be spent at; both lists empty: any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shops {
    /// Category codes, as merchants carry them from the admissions register.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Merchant ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchants: Vec<String>,
}

impl Shops {
    /// No limit: any affiliated shop.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.merchants.is_empty()
    }

    /// Whether shop `id` may take this campaign's vouchers.
    pub fn admits(&self, id: &str, shop: &Merchant) -> bool {
        self.is_empty()
            || self.merchants.iter().any(|m| m == id)
            || shop
                .categories
                .iter()
                .any(|c| self.categories.iter().any(|allowed| allowed == c))
    }

    /// Reads `shop_categories` and `shop_merchants` (lists, each optional), each item once.
    /// Whether the merchants exist is checked when the campaign is created.
    pub fn read(input: &Input, problems: &mut Problems) -> Self {
        let mut shops = Shops::default();
        for (field, list) in [
            ("shop_categories", &mut shops.categories),
            ("shop_merchants", &mut shops.merchants),
        ] {
            for item in input.list(field) {
                let item = item.trim();
                if item.is_empty() || list.iter().any(|known| known == item) {
                    continue;
                }
                if item.chars().count() > CATEGORY_CHARS {
                    problems.push(field, t!("vouchers.shops.too_long", max = CATEGORY_CHARS));
                    continue;
                }
                list.push(item.to_owned());
            }
            if list.len() > MAX_SHOPS {
                problems.push(field, t!("vouchers.shops.too_many", max = MAX_SHOPS));
            }
        }
        shops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(categories: &[&str]) -> Merchant {
        Merchant {
            name: "Farmacia".to_owned(),
            vat_number: String::new(),
            address: String::new(),
            link: trama_sdk::claim::Link::default(),
            status: crate::merchant::MerchantStatus::Active,
            source: crate::merchant::Source::Operator,
            provider_id: None,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            stamps: crate::merchant::Stamps::default(),
            created_at: 0,
        }
    }

    #[test]
    fn a_shop_is_admitted_by_its_category_or_by_name() {
        let any = Shops::default();
        assert!(any.admits("m1", &shop(&[])));
        let limited = Shops {
            categories: vec!["farmacia".to_owned()],
            merchants: vec!["m2".to_owned()],
        };
        assert!(limited.admits("m1", &shop(&["alimentari", "farmacia"])));
        assert!(limited.admits("m2", &shop(&["abbigliamento"])), "named");
        assert!(!limited.admits("m3", &shop(&["abbigliamento"])));
        assert!(!limited.admits("m3", &shop(&[])));
    }
}
