//! The organisation that applies: who it is (legal name, legal form, codice fiscale, partita
//! IVA), where it is, how to reach it and who represents it, checked field by field.

use serde::{Deserialize, Serialize};

mod check;

pub use check::{is_email, read};

/// Field names, as in the forms and the JSON API.
pub const FIELDS: &[&str] = &[
    "legal_name",
    "tax_code",
    "vat_number",
    "legal_form",
    "street",
    "postcode",
    "city",
    "province",
    "email",
    "pec",
    "phone",
    "website",
    "representative_name",
    "representative_tax_code",
];

trama_sdk::choices! {
    pub enum LegalForm {
        /// Cooperativa sociale di tipo A (social, health and education services).
        SocialCooperativeA = "social_cooperative_a" => "admissions.organisation.form_social_cooperative_a",
        /// Cooperativa sociale di tipo B (work integration).
        SocialCooperativeB = "social_cooperative_b" => "admissions.organisation.form_social_cooperative_b",
        Cooperative = "cooperative" => "admissions.organisation.form_cooperative",
        /// Impresa sociale (d.lgs. 112/2017).
        SocialEnterprise = "social_enterprise" => "admissions.organisation.form_social_enterprise",
        Association = "association" => "admissions.organisation.form_association",
        /// Associazione di promozione sociale.
        Aps = "aps" => "admissions.organisation.form_aps",
        /// Organizzazione di volontariato.
        Odv = "odv" => "admissions.organisation.form_odv",
        Foundation = "foundation" => "admissions.organisation.form_foundation",
        /// Ditta individuale.
        SoleTrader = "sole_trader" => "admissions.organisation.form_sole_trader",
        /// Società di persone (snc, sas).
        Partnership = "partnership" => "admissions.organisation.form_partnership",
        /// Società di capitali (srl, spa).
        Company = "company" => "admissions.organisation.form_company",
        Other = "other" => "admissions.organisation.form_other",
    }
}

impl LegalForm {
    /// Non-commercial bodies may have a codice fiscale and no partita IVA; everyone else
    /// trades and has one.
    pub fn needs_vat_number(self) -> bool {
        !matches!(
            self,
            LegalForm::Association
                | LegalForm::Aps
                | LegalForm::Odv
                | LegalForm::Foundation
                | LegalForm::Other
        )
    }
}

/// An organisation, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub legal_name: String,
    /// Codice fiscale: 11 digits (bodies) or 16 characters (sole traders); the organisation's
    /// identity in the register.
    pub tax_code: String,
    #[serde(default)]
    pub vat_number: Option<String>,
    pub legal_form: LegalForm,
    pub street: String,
    pub postcode: String,
    pub city: String,
    /// Two-letter province code (`MI`, `FI`).
    pub province: String,
    pub email: String,
    #[serde(default)]
    pub pec: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    pub representative_name: String,
    pub representative_tax_code: String,
}

impl Organisation {
    /// The identifiers a conflict of interest is matched against.
    pub fn identifiers(&self) -> Vec<String> {
        let mut ids = vec![self.tax_code.clone()];
        if let Some(vat) = &self.vat_number
            && *vat != self.tax_code
        {
            ids.push(vat.clone());
        }
        ids
    }

    /// "Via Roma 1, 50100 Firenze (FI)".
    pub fn address(&self) -> String {
        format!(
            "{}, {} {} ({})",
            self.street, self.postcode, self.city, self.province
        )
    }

    /// The fields as a form shows them, to fill in a renewal.
    pub fn echo(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        let mut put = |name: &str, value: &str| {
            map.insert(name.to_owned(), serde_json::Value::String(value.to_owned()));
        };
        put("legal_name", &self.legal_name);
        put("tax_code", &self.tax_code);
        put("vat_number", self.vat_number.as_deref().unwrap_or_default());
        put("legal_form", self.legal_form.key());
        put("street", &self.street);
        put("postcode", &self.postcode);
        put("city", &self.city);
        put("province", &self.province);
        put("email", &self.email);
        put("pec", self.pec.as_deref().unwrap_or_default());
        put("phone", self.phone.as_deref().unwrap_or_default());
        put("website", self.website.as_deref().unwrap_or_default());
        put("representative_name", &self.representative_name);
        put("representative_tax_code", &self.representative_tax_code);
        map
    }
}
