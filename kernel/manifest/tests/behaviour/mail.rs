//! The `[mail]` table: defaults a territory can rely on, secrets refused in the file, and each
//! fault named with its line and key.

use std::time::Duration;

use trama_manifest::TlsMode;

use crate::support::{INSTANCE, Territory, assert_fault, faults};

#[test]
fn without_a_mail_table_nothing_is_sent() {
    let manifest = Territory::with_manifest(INSTANCE).load().expect("valid");
    assert_eq!(manifest.mail, None);
}

#[test]
fn the_defaults_fill_port_sender_name_links_and_retries() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[mail]\nhost = \"smtp.comune.example\"\nfrom = \"noreply@comune.example\"\n"
    ));
    let mail = territory.load().expect("valid").mail.expect("[mail]");
    assert_eq!((mail.tls, mail.port), (TlsMode::Starttls, 587));
    assert_eq!(mail.from_name, "Demo", "the instance's name");
    assert_eq!(
        mail.base_url, "https://localhost",
        "https:// and the first host"
    );
    assert_eq!(mail.poll_interval, Duration::from_secs(5));
    assert_eq!(mail.retry_base, Duration::from_secs(60));
    assert_eq!(mail.retry_max, Duration::from_secs(6 * 3600));
    assert_eq!(mail.max_attempts, 8);
    assert_eq!((mail.username_env, mail.password_env), (None, None));
}

#[test]
fn every_key_can_be_set_and_the_environment_can_set_them() {
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[mail]
host = "smtp.comune.example"
tls = "tls"
from = "noreply@comune.example"
from_name = "Comune di Prova"
base_url = "https://servizi.comune.example/"
username_env = "SMTP_USERNAME"
password_env = "SMTP_PASSWORD"
poll_interval = "1s"
retry_base = "2s"
retry_max = "1h"
max_attempts = 3
"#
    ));
    let mail = territory
        .load_env(&[("TRAMA_MAIL__PORT", "2465")])
        .expect("valid")
        .mail
        .expect("[mail]");
    assert_eq!((mail.tls, mail.port), (TlsMode::Tls, 2465));
    assert_eq!(mail.base_url, "https://servizi.comune.example");
    assert_eq!(mail.password_env.as_deref(), Some("SMTP_PASSWORD"));
    assert_eq!(mail.max_attempts, 3);
    assert_eq!(mail.retry_base, Duration::from_secs(2));
}

#[test]
fn a_password_in_the_manifest_is_refused_with_the_way_to_use_the_environment() {
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[mail]\nhost = \"smtp.comune.example\"\nfrom = \"noreply@comune.example\"\npassword = \"segreto\"\n"
    ));
    let found = faults(territory.load());
    let fault = assert_fault(
        &found,
        "instance.toml",
        9,
        "mail.password",
        "never written in the manifest",
    );
    assert!(fault.message.contains("password_env"), "{fault}");
    assert!(!fault.to_string().contains("segreto"), "{fault}");
    // Set from the environment, it is refused the same way, naming the variable.
    let territory = Territory::with_manifest(&format!(
        "{INSTANCE}[mail]\nhost = \"smtp.comune.example\"\nfrom = \"noreply@comune.example\"\n"
    ));
    let found = faults(territory.load_env(&[("TRAMA_MAIL__PASSWORD", "segreto")]));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].variable.as_deref(), Some("TRAMA_MAIL__PASSWORD"));
}

#[test]
fn bad_values_are_each_named_with_their_line() {
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[mail]
host = "smtp://smtp.comune.example"
tls = "ssl"
from = "Comune <noreply@comune.example>"
base_url = "servizi.comune.example"
username_env = "smtp user"
max_attempts = 0
"#
    ));
    let found = faults(territory.load());
    assert_fault(
        &found,
        "instance.toml",
        8,
        "mail.tls",
        "\"ssl\" is not one of",
    );
    // The table could not be read, so the checks of its values wait for the next run.
    let territory = Territory::with_manifest(&format!(
        r#"{INSTANCE}[mail]
host = "smtp://smtp.comune.example"
from = "Comune <noreply@comune.example>"
base_url = "servizi.comune.example"
username_env = "smtp user"
max_attempts = 0
"#
    ));
    let found = faults(territory.load());
    assert_fault(&found, "instance.toml", 7, "mail.host", "not a host name");
    assert_fault(
        &found,
        "instance.toml",
        8,
        "mail.from",
        "not an e-mail address",
    );
    assert_fault(&found, "instance.toml", 9, "mail.base_url", "https://");
    assert_fault(
        &found,
        "instance.toml",
        10,
        "mail.username_env",
        "not the name of an environment variable",
    );
    assert_fault(
        &found,
        "instance.toml",
        11,
        "mail.max_attempts",
        "between 1 and 50",
    );
    assert_fault(&found, "instance.toml", 6, "mail.password_env", "both");
}
