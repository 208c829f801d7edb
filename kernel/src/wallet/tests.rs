use super::*;

fn purse(valid_from: Option<&str>, valid_until: Option<&str>, categories: &[&str]) -> Purse {
    Purse {
        owner: "vouchers".into(),
        account: "voucher/A".into(),
        holder: "anna".into(),
        label: "Buono".into(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        valid_from: valid_from.map(str::to_owned),
        valid_until: valid_until.map(str::to_owned),
        balance: 100,
        withdrawn: false,
    }
}

#[test]
fn a_purse_is_spent_on_its_days_only_and_both_days_are_included() {
    let december = purse(Some("2026-12-01"), Some("2026-12-31"), &[]);
    assert!(!december.open_on("2026-11-30"));
    assert!(december.open_on("2026-12-01"));
    assert!(december.open_on("2026-12-31"));
    assert!(!december.open_on("2027-01-01"));
    let withdrawn = Purse {
        withdrawn: true,
        ..purse(None, None, &[])
    };
    assert!(!withdrawn.open_on("2026-12-05"));
}

#[test]
fn the_wallet_page_says_why_a_purse_cannot_be_spent() {
    let december = purse(Some("2026-12-01"), Some("2026-12-31"), &[]);
    assert_eq!(december.state_on("2026-11-30"), "not_yet");
    assert_eq!(december.state_on("2026-12-05"), "open");
    assert_eq!(
        december.state_on("2027-01-01"),
        "lapsed",
        "a lapsed purse has a first day too"
    );
    let used = Purse {
        balance: 0,
        ..december.clone()
    };
    assert_eq!(used.state_on("2026-12-05"), "empty");
    let withdrawn = Purse {
        withdrawn: true,
        ..december
    };
    assert_eq!(withdrawn.state_on("2027-01-01"), "withdrawn");
}

#[test]
fn an_earmarked_purse_pays_only_for_its_categories_and_an_open_one_for_any() {
    let earmarked = purse(None, None, &["Baby sitting", "Trasporto"]);
    assert!(earmarked.pays_for("Trasporto"));
    assert!(!earmarked.pays_for("Sport"));
    assert!(purse(None, None, &[]).pays_for("Sport"));
}

#[test]
fn a_malformed_offer_is_refused_naming_what_is_wrong() {
    let offer =
        |label: &str, categories: Vec<String>, from: Option<&str>, until: Option<&str>| Offer {
            account: "voucher/A".into(),
            holder: "anna".into(),
            label: label.into(),
            categories,
            valid_from: from.map(str::to_owned),
            valid_until: until.map(str::to_owned),
        };
    assert_eq!(check_offer(&offer("Buono", vec![], None, None)), Ok(()));
    let refused = |o: Offer| match check_offer(&o) {
        Err(WalletError::Invalid(message)) => message,
        other => panic!("{other:?}"),
    };
    assert!(refused(offer(" ", vec![], None, None)).contains("label"));
    assert!(refused(offer("Buono", vec!["".into()], None, None)).contains("category"));
    assert!(refused(offer("Buono", vec!["x".into(); 51], None, None)).contains("51 categories"));
    assert!(refused(offer("Buono", vec![], Some("31/12/2026"), None)).contains("YYYY-MM-DD"));
    assert!(
        refused(offer(
            "Buono",
            vec![],
            Some("2026-12-31"),
            Some("2026-12-01")
        ))
        .contains("before it starts")
    );
}
