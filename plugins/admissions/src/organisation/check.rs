//! Checking an organisation as typed, field by field: each problem named next to its field,
//! in the person's language.

use trama_sdk::checked::IntoResult;
use trama_sdk::input::{Input, Problems};
use trama_sdk::{fiscal, i18n, t};

use super::*;

/// An optional field: what was typed, with a problem (`refusal`) when it is there and `valid`
/// refuses it.
fn optional(
    input: &Input,
    field: &str,
    valid: fn(&str) -> bool,
    refusal: fn() -> String,
    problems: &mut Problems,
) -> Option<String> {
    let value = input.one(field).map(str::to_owned);
    if value.as_deref().is_some_and(|v| !valid(v)) {
        problems.push(field, refusal());
    }
    value
}

/// A required line of text of `chars` characters; `missing` says what to write.
fn text(
    input: &Input,
    field: &str,
    chars: std::ops::RangeInclusive<usize>,
    missing: fn() -> String,
    problems: &mut Problems,
) -> String {
    let value = input.one(field).unwrap_or_default();
    let n = value.chars().count();
    if n == 0 {
        problems.push(field, missing());
    } else if !chars.contains(&n) {
        problems.push(
            field,
            t!(
                "admissions.organisation.length",
                min = chars.start(),
                max = chars.end(),
                n = n
            ),
        );
    } else if value.chars().any(char::is_control) {
        problems.push(field, t!("admissions.organisation.control_characters"));
    }
    value.to_owned()
}

/// Whether `text` looks like an e-mail address: one `@`, a dotted domain, no spaces. Whether it
/// works is for the committee to find out; this only catches typing mistakes.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (6..=15).contains(&digits)
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-' | '/' | '(' | ')'))
}

fn is_website(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| {
        r.len() >= 3
            && r.len() <= 200
            && r.contains('.')
            && !r
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    })
}

/// Reads and checks the organisation's fields; every problem is reported at once.
/// `certified` is the caller's fiscal number as SPID or CIE certified it
/// (`identity::fiscal_number()`): the legal representative is then the caller, under that
/// number.
pub fn read(input: &Input, certified: Option<&str>) -> Result<Organisation, Problems> {
    let mut problems = Problems::default();
    let p = &mut problems;
    let legal_name = text(
        input,
        "legal_name",
        2..=200,
        || t!("admissions.organisation.legal_name_missing"),
        p,
    );
    let legal_form = match input.one("legal_form") {
        None => {
            p.push(
                "legal_form",
                t!("admissions.organisation.legal_form_missing"),
            );
            LegalForm::Other
        }
        Some(key) => LegalForm::parse(key.trim()).unwrap_or_else(|| {
            p.push(
                "legal_form",
                t!("admissions.organisation.legal_form_unknown", key = key),
            );
            LegalForm::Other
        }),
    };
    let tax_code = match input.one("tax_code") {
        None => {
            p.push("tax_code", t!("admissions.organisation.tax_code_missing"));
            String::new()
        }
        Some(code) => fiscal::tax_code(code).unwrap_or_else(|err| {
            p.push("tax_code", invalid_tax_code(code, &err));
            String::new()
        }),
    };
    let vat_number = match input.one("vat_number") {
        None if legal_form.needs_vat_number() && input.one("legal_form").is_some() => {
            p.push(
                "vat_number",
                t!(
                    "admissions.organisation.vat_number_required",
                    form = legal_form.label()
                ),
            );
            None
        }
        None => None,
        Some(vat) => match fiscal::vat_number(vat) {
            Ok(vat) => Some(vat),
            Err(err) => {
                p.push(
                    "vat_number",
                    t!(
                        "admissions.organisation.vat_number_invalid",
                        vat = vat,
                        why = vat_describe(err)
                    ),
                );
                None
            }
        },
    };
    let street = text(
        input,
        "street",
        3..=200,
        || t!("admissions.organisation.street_missing"),
        p,
    );
    let postcode = input.one("postcode").unwrap_or_default().to_owned();
    if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        p.push("postcode", t!("admissions.organisation.postcode_invalid"));
    }
    let city = text(
        input,
        "city",
        2..=100,
        || t!("admissions.organisation.city_missing"),
        p,
    );
    let province = input
        .one("province")
        .unwrap_or_default()
        .to_ascii_uppercase();
    if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_uppercase()) {
        p.push("province", t!("admissions.organisation.province_invalid"));
    }
    let email = input.one("email").unwrap_or_default().to_owned();
    if !is_email(&email) {
        p.push("email", t!("admissions.organisation.email_invalid"));
    }
    let pec = optional(
        input,
        "pec",
        is_email,
        || t!("admissions.organisation.pec_invalid"),
        p,
    );
    let phone = optional(
        input,
        "phone",
        is_phone,
        || t!("admissions.organisation.phone_invalid"),
        p,
    );
    let website = optional(
        input,
        "website",
        is_website,
        || t!("admissions.organisation.website_invalid"),
        p,
    );
    let representative_name = text(
        input,
        "representative_name",
        2..=120,
        || t!("admissions.organisation.representative_name_missing"),
        p,
    );
    let representative_tax_code = representative_tax_code(input, certified, p);
    problems.into_result(Organisation {
        legal_name,
        tax_code,
        vat_number,
        legal_form,
        street,
        postcode,
        city,
        province,
        email,
        pec,
        phone,
        website,
        representative_name,
        representative_tax_code,
    })
}

/// The legal representative's codice fiscale: a person's (16 characters). Someone who logged
/// in with SPID or CIE represents the organisation under the number it certified: nothing to
/// type, and another number typed is refused, so that nobody files in the name of a
/// representative they are not.
fn representative_tax_code(input: &Input, certified: Option<&str>, p: &mut Problems) -> String {
    const FIELD: &str = "representative_tax_code";
    let typed = input.one(FIELD).filter(|text| !text.trim().is_empty());
    match (certified, typed) {
        (Some(own), None) => own.to_owned(),
        (Some(own), Some(text)) if fiscal::tax_code(text).is_ok_and(|code| code == own) => {
            own.to_owned()
        }
        (Some(own), Some(_)) => {
            p.push(
                FIELD,
                t!(
                    "admissions.organisation.representative_tax_code_certified",
                    tax_code = own
                ),
            );
            own.to_owned()
        }
        (None, None) => {
            p.push(
                FIELD,
                t!("admissions.organisation.representative_tax_code_missing"),
            );
            String::new()
        }
        (None, Some(code)) => match fiscal::tax_code(code) {
            Ok(valid) if valid.len() == 16 => valid,
            Ok(_) => {
                p.push(
                    FIELD,
                    t!("admissions.organisation.personal_tax_code_length"),
                );
                String::new()
            }
            Err(err) => {
                p.push(FIELD, invalid_tax_code(code, &err));
                String::new()
            }
        },
    }
}

/// Why the codice fiscale `code` was refused.
fn invalid_tax_code(code: &str, err: &fiscal::TaxIdError) -> String {
    t!(
        "admissions.organisation.tax_code_invalid",
        code = code,
        why = err.describe(i18n::current())
    )
}

fn vat_describe(err: fiscal::TaxIdError) -> String {
    match err {
        fiscal::TaxIdError::Length => t!("admissions.organisation.vat_number_length"),
        other => other.describe(i18n::current()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Vec<(&'static str, &'static str)> {
        vec![
            ("legal_name", "Alimentari Rossi srl"),
            ("tax_code", "01234567897"),
            ("vat_number", "IT 01234567897"),
            ("legal_form", "company"),
            ("street", "Via Roma 1"),
            ("postcode", "50122"),
            ("city", "Firenze"),
            ("province", "fi"),
            ("email", "info@rossi.it"),
            ("phone", "+39 055 123456"),
            ("website", "https://rossi.it"),
            ("representative_name", "Mario Rossi"),
            ("representative_tax_code", "RSSMRA85T10A562S"),
        ]
    }

    #[test]
    fn a_complete_organisation_is_read_and_normalised() {
        let org = read(&Input::from_strs(&valid()), None).unwrap();
        assert_eq!(org.vat_number.as_deref(), Some("01234567897"));
        assert_eq!(org.province, "FI");
        assert_eq!(org.identifiers(), vec!["01234567897".to_owned()]);
        assert_eq!(org.address(), "Via Roma 1, 50122 Firenze (FI)");
    }

    #[test]
    fn every_wrong_field_is_named() {
        let pairs = [
            ("legal_name", "X"),
            ("tax_code", "01234567890"),
            ("vat_number", "0123"),
            ("legal_form", "company"),
            ("street", "Via Roma 1"),
            ("postcode", "5012"),
            ("city", "Firenze"),
            ("province", "Firenze"),
            ("email", "info at rossi"),
            ("pec", "pec@"),
            ("phone", "abc"),
            ("website", "rossi.it"),
            ("representative_name", "Mario Rossi"),
            ("representative_tax_code", "01234567897"),
        ];
        i18n::set_locale("en");
        let problems = read(&Input::from_strs(&pairs), None).unwrap_err();
        i18n::set_locale("it");
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "legal_name",
                "tax_code",
                "vat_number",
                "postcode",
                "province",
                "email",
                "pec",
                "phone",
                "website",
                "representative_tax_code"
            ]
        );
        assert!(
            problems
                .for_field("vat_number")
                .unwrap()
                .contains("11 digits")
        );
        assert!(
            problems
                .for_field("tax_code")
                .unwrap()
                .contains("check character")
        );
    }

    #[test]
    fn associations_may_have_no_vat_number_but_companies_must() {
        let mut pairs = valid();
        pairs.retain(|(k, _)| *k != "vat_number");
        let problems = read(&Input::from_strs(&pairs), None).unwrap_err();
        assert!(
            problems
                .for_field("vat_number")
                .unwrap()
                .contains("obbligatoria")
        );
        for (k, v) in pairs.iter_mut() {
            if *k == "legal_form" {
                *v = "aps";
            }
            if *k == "tax_code" {
                *v = "02760100962";
            }
        }
        let org = read(&Input::from_strs(&pairs), None).unwrap();
        assert_eq!(org.vat_number, None);
        assert_eq!(org.legal_form, LegalForm::Aps);
    }

    #[test]
    fn a_certified_representative_types_nothing_and_cannot_type_another_code() {
        const OWN: &str = "RSSMRA85T10A562S";
        let mut pairs = valid();
        pairs.retain(|(k, _)| *k != "representative_tax_code");
        let org = read(&Input::from_strs(&pairs), Some(OWN)).unwrap();
        assert_eq!(org.representative_tax_code, OWN);

        pairs.push(("representative_tax_code", " rssmra85t10a562s "));
        let org = read(&Input::from_strs(&pairs), Some(OWN)).unwrap();
        assert_eq!(org.representative_tax_code, OWN, "its own, however spelled");

        pairs.pop();
        pairs.push(("representative_tax_code", "BNCGVN80A01H501V"));
        let problems = read(&Input::from_strs(&pairs), Some(OWN)).unwrap_err();
        let said = problems.for_field("representative_tax_code").unwrap();
        assert!(said.contains(OWN) && said.contains("SPID"), "{said}");
    }

    #[test]
    fn email_addresses_are_checked_for_typing_mistakes() {
        assert!(is_email("info@coop.it"));
        for bad in [
            "info",
            "@coop.it",
            "info@coop",
            "info@@coop.it",
            "a b@coop.it",
            "info@coop..it",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
