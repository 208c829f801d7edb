//! The organisation that applies: who it is (legal name, legal form, codice fiscale, partita
//! IVA), where it is, how to reach it and who represents it, checked field by field.

use serde::{Deserialize, Serialize};

use trama_sdk::t;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// Cooperativa sociale di tipo A (social, health and education services).
    SocialCooperativeA,
    /// Cooperativa sociale di tipo B (work integration).
    SocialCooperativeB,
    Cooperative,
    /// Impresa sociale (d.lgs. 112/2017).
    SocialEnterprise,
    Association,
    /// Associazione di promozione sociale.
    Aps,
    /// Organizzazione di volontariato.
    Odv,
    Foundation,
    /// Ditta individuale.
    SoleTrader,
    /// Società di persone (snc, sas).
    Partnership,
    /// Società di capitali (srl, spa).
    Company,
    Other,
}

impl LegalForm {
    pub const ALL: [LegalForm; 12] = [
        LegalForm::SocialCooperativeA,
        LegalForm::SocialCooperativeB,
        LegalForm::Cooperative,
        LegalForm::SocialEnterprise,
        LegalForm::Association,
        LegalForm::Aps,
        LegalForm::Odv,
        LegalForm::Foundation,
        LegalForm::SoleTrader,
        LegalForm::Partnership,
        LegalForm::Company,
        LegalForm::Other,
    ];

    pub fn key(self) -> &'static str {
        match self {
            LegalForm::SocialCooperativeA => "social_cooperative_a",
            LegalForm::SocialCooperativeB => "social_cooperative_b",
            LegalForm::Cooperative => "cooperative",
            LegalForm::SocialEnterprise => "social_enterprise",
            LegalForm::Association => "association",
            LegalForm::Aps => "aps",
            LegalForm::Odv => "odv",
            LegalForm::Foundation => "foundation",
            LegalForm::SoleTrader => "sole_trader",
            LegalForm::Partnership => "partnership",
            LegalForm::Company => "company",
            LegalForm::Other => "other",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key.trim())
    }

    pub fn label(self) -> String {
        match self {
            LegalForm::SocialCooperativeA => {
                t!("admissions.organisation.form_social_cooperative_a")
            }
            LegalForm::SocialCooperativeB => {
                t!("admissions.organisation.form_social_cooperative_b")
            }
            LegalForm::Cooperative => t!("admissions.organisation.form_cooperative"),
            LegalForm::SocialEnterprise => t!("admissions.organisation.form_social_enterprise"),
            LegalForm::Association => t!("admissions.organisation.form_association"),
            LegalForm::Aps => t!("admissions.organisation.form_aps"),
            LegalForm::Odv => t!("admissions.organisation.form_odv"),
            LegalForm::Foundation => t!("admissions.organisation.form_foundation"),
            LegalForm::SoleTrader => t!("admissions.organisation.form_sole_trader"),
            LegalForm::Partnership => t!("admissions.organisation.form_partnership"),
            LegalForm::Company => t!("admissions.organisation.form_company"),
            LegalForm::Other => t!("admissions.organisation.form_other"),
        }
    }

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
