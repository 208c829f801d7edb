//! `[identity]` and `[instance] public_url`: how people log in, where providers send them back,
//! secrets refused in the file, and each fault named with its line and key.

use crate::support::{INSTANCE, Territory, assert_fault, faults};

const SPID: &str = r#"[identity.providers.spid]
label = "Entra con SPID"
issuer = "https://login.regione.example/oidc"
client_id = "comune-di-prova"
client_secret_env = "SPID_CLIENT_SECRET"
"#;

#[test]
fn without_an_identity_table_the_password_form_is_the_only_login() {
    let manifest = Territory::with_manifest(INSTANCE).load().expect("valid");
    assert!(manifest.identity.password_login);
    assert!(manifest.identity.providers.is_empty());
    assert_eq!(
        manifest.public_url, "https://localhost",
        "https:// and the first host"
    );
}

#[test]
fn a_provider_gets_the_scopes_and_the_claim_of_spid_gateways_by_default() {
    let territory = Territory::with_manifest(&format!("{INSTANCE}{SPID}"));
    let manifest = territory.load().expect("valid");
    let spid = &manifest.identity.providers["spid"];
    assert_eq!(spid.label, "Entra con SPID");
    assert_eq!(spid.issuer, "https://login.regione.example/oidc");
    assert_eq!(spid.scopes, ["openid"]);
    assert_eq!(spid.fiscal_number_claim, "fiscal_number");
    assert_eq!(spid.client_secret_env, "SPID_CLIENT_SECRET");
    assert!(manifest.identity.password_login);
}

#[test]
fn every_key_can_be_set_and_the_environment_can_set_them() {
    let territory = Territory::with_manifest(&format!(
        r#"[instance]
id = "demo"
name = "Demo"
hosts = ["localhost"]
public_url = "https://servizi.comune.example/"

[identity]
password_login = false
{SPID}scopes = ["openid", "profile", "email"]
fiscal_number_claim = "https://attributes.eid.gov.it/fiscal_number"
"#
    ));
    let manifest = territory
        .load_env(&[
            ("TRAMA_IDENTITY__PROVIDERS__SPID__CLIENT_ID", "12345"),
            (
                "TRAMA_INSTANCE__PUBLIC_URL",
                "https://welfare.comune.example",
            ),
        ])
        .expect("valid");
    assert!(!manifest.identity.password_login);
    let spid = &manifest.identity.providers["spid"];
    assert_eq!(
        spid.client_id, "12345",
        "a number in the environment stays text"
    );
    assert_eq!(spid.scopes, ["openid", "profile", "email"]);
    assert_eq!(
        spid.fiscal_number_claim,
        "https://attributes.eid.gov.it/fiscal_number"
    );
    assert_eq!(manifest.public_url, "https://welfare.comune.example");
}

#[test]
fn mail_links_follow_the_public_url_unless_base_url_says_otherwise() {
    let mail = "[mail]\nhost = \"smtp.comune.example\"\nfrom = \"noreply@comune.example\"\n";
    let territory = Territory::with_manifest(&format!(
        "[instance]\nid = \"demo\"\nname = \"Demo\"\nhosts = [\"localhost\"]\npublic_url = \"https://servizi.comune.example\"\n\n{mail}"
    ));
    let manifest = territory.load().expect("valid");
    assert_eq!(
        manifest.mail.expect("[mail]").base_url,
        "https://servizi.comune.example"
    );
    let territory = Territory::with_manifest(&format!(
        "[instance]\nid = \"demo\"\nname = \"Demo\"\nhosts = [\"localhost\"]\npublic_url = \"https://servizi.comune.example\"\n\n{mail}base_url = \"https://posta.comune.example\"\n"
    ));
    let manifest = territory.load().expect("valid");
    assert_eq!(
        manifest.mail.expect("[mail]").base_url,
        "https://posta.comune.example",
        "the older key still wins for mail"
    );
    assert_eq!(manifest.public_url, "https://servizi.comune.example");
}

#[test]
fn a_client_secret_in_the_manifest_is_refused_with_the_way_to_use_the_environment() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}{SPID}client_secret = \"segreto\"\n"));
    let found = faults(territory.load());
    let fault = assert_fault(
        &found,
        "instance.toml",
        11,
        "identity.providers.spid.client_secret",
        "never written in the manifest",
    );
    assert!(fault.message.contains("client_secret_env"), "{fault}");
    assert!(!fault.to_string().contains("segreto"), "{fault}");
}

#[test]
fn the_secret_is_read_from_the_environment_only_when_asked_for() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}{}",
        SPID.replace("SPID_CLIENT_SECRET", "TRAMA_TEST_UNSET_SECRET_0451")
    ));
    let manifest = territory.load().expect("valid without the variable");
    let missing = manifest.identity.providers["spid"]
        .client_secret()
        .expect_err("the variable is not set");
    assert!(
        missing.to_string().contains("TRAMA_TEST_UNSET_SECRET_0451"),
        "{missing}"
    );
}

#[test]
fn bad_values_are_each_named_with_their_line() {
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[identity.providers.spid]
label = ""
issuer = "http://login.regione.example"
client_id = "comune"
client_secret_env = "spid secret"
scopes = ["profile"]
"#
    ));
    let found = faults(territory.load());
    assert_fault(
        &found,
        "instance.toml",
        7,
        "identity.providers.spid.label",
        "one line",
    );
    assert_fault(
        &found,
        "instance.toml",
        8,
        "identity.providers.spid.issuer",
        "plain http",
    );
    assert_fault(
        &found,
        "instance.toml",
        10,
        "identity.providers.spid.client_secret_env",
        "not the name of an environment variable",
    );
    assert_fault(
        &found,
        "instance.toml",
        11,
        "identity.providers.spid.scopes",
        "must include \"openid\"",
    );
}

#[test]
fn turning_the_password_form_off_needs_a_provider() {
    let territory =
        Territory::with_manifest(&format!("{INSTANCE}[identity]\npassword_login = false\n"));
    let found = faults(territory.load());
    assert_fault(
        &found,
        "instance.toml",
        7,
        "identity.password_login",
        "nobody could log in",
    );
}

#[test]
fn a_public_url_that_is_not_one_is_named() {
    let territory = Territory::with_manifest(
        "[instance]\nid = \"demo\"\nname = \"Demo\"\nhosts = [\"localhost\"]\npublic_url = \"servizi.comune.example\"\n",
    );
    let found = faults(territory.load());
    assert_fault(
        &found,
        "instance.toml",
        5,
        "instance.public_url",
        "https://",
    );
}
