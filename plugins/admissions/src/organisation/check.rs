//! Checking an organisation as typed, field by field: each problem named next to its field,
//! in the person's language.

use trama_sdk::fiscal;
use trama_sdk::i18n::Lang;
use trama_sdk::input::{Input, Problems};

use super::*;

/// An optional field: what was typed, with a problem (`refusal`, Italian and English) when
/// it is there and `valid` refuses it.
fn optional(
    input: &Input,
    field: &str,
    valid: fn(&str) -> bool,
    refusal: (&str, &str),
    lang: Lang,
    problems: &mut Problems,
) -> Option<String> {
    let value = input.one(field).map(str::to_owned);
    if value.as_deref().is_some_and(|v| !valid(v)) {
        problems.push(field, lang.pick(refusal.0, refusal.1));
    }
    value
}

fn text(
    input: &Input,
    field: &str,
    chars: std::ops::RangeInclusive<usize>,
    what: (&str, &str),
    lang: Lang,
    problems: &mut Problems,
) -> String {
    let value = input.one(field).unwrap_or_default();
    let n = value.chars().count();
    if n == 0 {
        problems.push(
            field,
            match lang {
                Lang::It => format!("scrivi {}", what.0),
                Lang::En => format!("write {}", what.1),
            },
        );
    } else if !chars.contains(&n) {
        problems.push(
            field,
            match lang {
                Lang::It => format!(
                    "deve avere da {} a {} caratteri (ne ha {n})",
                    chars.start(),
                    chars.end()
                ),
                Lang::En => format!(
                    "must have {} to {} characters (it has {n})",
                    chars.start(),
                    chars.end()
                ),
            },
        );
    } else if value.chars().any(char::is_control) {
        problems.push(
            field,
            lang.pick(
                "non può contenere caratteri di controllo o a capo",
                "cannot hold control characters or line breaks",
            ),
        );
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
pub fn read(input: &Input, lang: Lang) -> Result<Organisation, Problems> {
    let mut problems = Problems::default();
    let p = &mut problems;
    let legal_name = text(
        input,
        "legal_name",
        2..=200,
        ("la ragione sociale", "the legal name"),
        lang,
        p,
    );
    let legal_form = match input.one("legal_form") {
        None => {
            p.push(
                "legal_form",
                lang.pick("scegli la forma giuridica", "choose the legal form"),
            );
            LegalForm::Other
        }
        Some(key) => LegalForm::parse(key).unwrap_or_else(|| {
            p.push(
                "legal_form",
                match lang {
                    Lang::It => format!("«{key}» non è una delle forme giuridiche previste"),
                    Lang::En => format!("`{key}` is not one of the legal forms"),
                },
            );
            LegalForm::Other
        }),
    };
    let tax_code = match input.one("tax_code") {
        None => {
            p.push(
                "tax_code",
                lang.pick(
                    "il codice fiscale dell'organizzazione è obbligatorio",
                    "the organisation's codice fiscale is required",
                ),
            );
            String::new()
        }
        Some(code) => fiscal::tax_code(code).unwrap_or_else(|err| {
            p.push("tax_code", invalid_tax_code(code, &err, lang));
            String::new()
        }),
    };
    let vat_number = match input.one("vat_number") {
        None if legal_form.needs_vat_number() && input.one("legal_form").is_some() => {
            p.push(
                "vat_number",
                match lang {
                    Lang::It => format!(
                        "la partita IVA è obbligatoria per la forma «{}»",
                        legal_form.label(lang)
                    ),
                    Lang::En => format!(
                        "the VAT number is required for the legal form “{}”",
                        legal_form.label(lang)
                    ),
                },
            );
            None
        }
        None => None,
        Some(vat) => match fiscal::vat_number(vat) {
            Ok(vat) => Some(vat),
            Err(err) => {
                p.push(
                    "vat_number",
                    match lang {
                        Lang::It => format!(
                            "la partita IVA «{vat}» non è valida: {}",
                            vat_describe(err, lang)
                        ),
                        Lang::En => format!(
                            "the VAT number `{vat}` is not valid: {}",
                            vat_describe(err, lang)
                        ),
                    },
                );
                None
            }
        },
    };
    let street = text(
        input,
        "street",
        3..=200,
        ("l'indirizzo della sede", "the address of the seat"),
        lang,
        p,
    );
    let postcode = input.one("postcode").unwrap_or_default().to_owned();
    if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        p.push(
            "postcode",
            lang.pick(
                "il CAP ha 5 cifre, ad esempio 50122",
                "the postcode has 5 digits, e.g. 50122",
            ),
        );
    }
    let city = text(input, "city", 2..=100, ("il comune", "the town"), lang, p);
    let province = input
        .one("province")
        .unwrap_or_default()
        .to_ascii_uppercase();
    if province.len() != 2 || !province.bytes().all(|b| b.is_ascii_uppercase()) {
        p.push(
            "province",
            lang.pick(
                "la sigla della provincia ha 2 lettere, ad esempio FI",
                "the province code has 2 letters, e.g. FI",
            ),
        );
    }
    let email = input.one("email").unwrap_or_default().to_owned();
    if !is_email(&email) {
        p.push(
            "email",
            lang.pick(
                "scrivi un indirizzo e-mail valido, ad esempio info@cooperativa.it",
                "write a valid e-mail address, e.g. info@cooperativa.it",
            ),
        );
    }
    let pec = optional(
        input,
        "pec",
        is_email,
        (
            "la PEC non è un indirizzo valido",
            "the certified e-mail (PEC) is not a valid address",
        ),
        lang,
        p,
    );
    let phone = optional(
        input,
        "phone",
        is_phone,
        (
            "il telefono ha da 6 a 15 cifre (sono ammessi +, spazi e trattini)",
            "the phone number has 6 to 15 digits (+, spaces and dashes allowed)",
        ),
        lang,
        p,
    );
    let website = optional(
        input,
        "website",
        is_website,
        (
            "il sito deve iniziare con https:// o http://, ad esempio https://cooperativa.it",
            "the website must start with https:// or http://, e.g. https://cooperativa.it",
        ),
        lang,
        p,
    );
    let representative_name = text(
        input,
        "representative_name",
        2..=120,
        (
            "il nome del legale rappresentante",
            "the legal representative's name",
        ),
        lang,
        p,
    );
    let representative_tax_code = match input.one("representative_tax_code") {
        None => {
            p.push(
                "representative_tax_code",
                lang.pick(
                    "il codice fiscale del legale rappresentante è obbligatorio",
                    "the legal representative's codice fiscale is required",
                ),
            );
            String::new()
        }
        Some(code) => match fiscal::tax_code(code) {
            Ok(valid) if valid.len() == 16 => valid,
            Ok(_) => {
                p.push(
                    "representative_tax_code",
                    lang.pick(
                        "il codice fiscale di una persona ha 16 caratteri",
                        "a person's codice fiscale has 16 characters",
                    ),
                );
                String::new()
            }
            Err(err) => {
                p.push(
                    "representative_tax_code",
                    invalid_tax_code(code, &err, lang),
                );
                String::new()
            }
        },
    };
    if problems.is_empty() {
        Ok(Organisation {
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
    } else {
        Err(problems)
    }
}

/// The tax-code module speaks of a codice fiscale; a partita IVA is always 11 digits.
/// Why the codice fiscale `code` was refused.
fn invalid_tax_code(code: &str, err: &fiscal::TaxIdError, lang: Lang) -> String {
    match lang {
        Lang::It => format!(
            "il codice fiscale «{code}» non è valido: {}",
            err.describe(lang)
        ),
        Lang::En => format!(
            "the codice fiscale `{code}` is not valid: {}",
            err.describe(lang)
        ),
    }
}

fn vat_describe(err: fiscal::TaxIdError, lang: Lang) -> String {
    match err {
        fiscal::TaxIdError::Length => lang
            .pick("una partita IVA ha 11 cifre", "a VAT number has 11 digits")
            .to_owned(),
        other => other.describe(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> Input {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Input::from_pairs(&pairs)
    }

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
        let org = read(&input(&valid()), Lang::It).unwrap();
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
        let problems = read(&input(&pairs), Lang::En).unwrap_err();
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
        let problems = read(&input(&pairs), Lang::It).unwrap_err();
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
        let org = read(&input(&pairs), Lang::It).unwrap();
        assert_eq!(org.vat_number, None);
        assert_eq!(org.legal_form, LegalForm::Aps);
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
