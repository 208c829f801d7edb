use super::*;

#[test]
fn an_order_id_fits_a_sepa_end_to_end_id() {
    let campaign = "0194a3b2c1d00000a1b2c3d4e5f6";
    let application = format!("{campaign}-0194a3b2c1d10001f6e5d4c3b2a1");
    let id = order_id(campaign, &application, 0);
    assert_eq!(id, "0194a3b2c1d10001f6e5d4c3b2a1-1");
    assert!(order_id(campaign, &application, 11).len() <= 35);
}

#[test]
fn only_the_last_four_characters_of_an_iban_are_shown() {
    assert_eq!(mask("IT60X0542811101000000123456"), "•••• 3456");
    assert_eq!(mask("AB"), "•••• AB");
}
