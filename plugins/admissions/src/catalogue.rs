//! What a provider offers: the categories of services (from the instance's list) and the
//! catalogue entries it wants published in the register.
//!
//! A form sends the entries as numbered rows (`service_1_title`, `service_1_category`,
//! `service_1_description`, and `service_1_id` for an entry already in the register), the JSON
//! API as `services: [{title, category, description, id?}]`, read into the same rows (see
//! [`trama_sdk::input::Input::from_json_with_rows`]). An entry keeps its id across renewals, so the
//! plugins that consume the register can follow it.

use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use serde::{Deserialize, Serialize};

/// Members of one entry in JSON.
pub const ROW_FIELDS: &[&str] = &["id", "title", "category", "description"];
/// Rows a form may send, however many the settings allow (a bound on the work, not a rule).
const MAX_ROWS: usize = 200;

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub title: String,
    pub category: String,
    pub description: String,
    /// Withdrawn by the applicant while the application was examined: not approved, not
    /// published.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
}

/// The categories chosen, each one of the instance's `categories`; at least one.
pub fn read_categories(input: &Input, allowed: &[String], problems: &mut Problems) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    for value in input.many("categories") {
        match allowed.iter().find(|c| c.eq_ignore_ascii_case(value)) {
            Some(category) if !chosen.contains(category) => chosen.push(category.clone()),
            Some(_) => {}
            None => {
                problems.push(
                    "categories",
                    t!(
                        "admissions.catalogue.unknown_category",
                        value = value,
                        categories = allowed.join(", ")
                    ),
                );
                return chosen;
            }
        }
    }
    if chosen.is_empty() {
        problems.push("categories", t!("admissions.catalogue.no_category"));
    }
    chosen
}

/// The catalogue entries: 1 to `max` filled rows (blank rows are skipped), each with a title, a
/// category among `categories` and a description. `existing` are the ids of entries already
/// in the register, which an entry may keep; any other entry gets an id from `new_id`
/// ([`trama_sdk::store::new_id`] in the plugin).
pub fn read_services(
    input: &Input,
    categories: &[String],
    max: usize,
    existing: &[String],
    new_id: &mut dyn FnMut() -> String,
    problems: &mut Problems,
) -> Vec<Service> {
    let mut services = Vec::new();
    for n in 1..=MAX_ROWS {
        let field = |name: &str| format!("service_{n}_{name}");
        let title = input.one(&field("title")).unwrap_or_default();
        let category = input.one(&field("category")).unwrap_or_default();
        let description = input.one(&field("description")).unwrap_or_default();
        if title.is_empty() && category.is_empty() && description.is_empty() {
            continue;
        }
        let before = problems.0.len();
        let title_chars = title.chars().count();
        if !(2..=120).contains(&title_chars) || title.chars().any(char::is_control) {
            problems.push(
                &field("title"),
                t!(
                    "admissions.catalogue.title_length",
                    n = n,
                    min = 2,
                    max = 120
                ),
            );
        }
        let category = match categories.iter().find(|c| c.eq_ignore_ascii_case(category)) {
            Some(c) => c.clone(),
            None => {
                problems.push(
                    &field("category"),
                    t!(
                        "admissions.catalogue.category_not_chosen",
                        n = n,
                        categories = categories.join(", ")
                    ),
                );
                String::new()
            }
        };
        if !(10..=2000).contains(&description.chars().count()) {
            problems.push(
                &field("description"),
                t!(
                    "admissions.catalogue.description_length",
                    n = n,
                    min = 10,
                    max = 2000
                ),
            );
        }
        if problems.0.len() > before {
            continue;
        }
        let id = input
            .one(&field("id"))
            .filter(|id| existing.iter().any(|e| e == id))
            .filter(|id| !services.iter().any(|s: &Service| s.id == *id))
            .map(str::to_owned)
            .unwrap_or_else(&mut *new_id);
        services.push(Service {
            id,
            title: title.to_owned(),
            category,
            description: description.to_owned(),
            withdrawn: false,
        });
    }
    if services.is_empty() && problems.0.iter().all(|p| !p.field.starts_with("service_")) {
        problems.push("service_1_title", t!("admissions.catalogue.no_service"));
    }
    if services.len() > max {
        problems.push(
            "services",
            t!(
                "admissions.catalogue.too_many_services",
                max = max,
                given = services.len()
            ),
        );
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("new-{n}")
        }
    }

    fn network() -> Vec<String> {
        vec!["alimentari".into(), "trasporto sociale".into()]
    }

    /// What [`read_services`] finds wrong in `pairs` when at most `max` entries are allowed,
    /// worded in English, the language the assertions read.
    fn english_problems(pairs: &[(&str, &str)], max: usize) -> Problems {
        let mut problems = Problems::default();
        trama_sdk::i18n::set_locale("en");
        read_services(
            &Input::from_strs(pairs),
            &network(),
            max,
            &[],
            &mut counter(),
            &mut problems,
        );
        trama_sdk::i18n::set_locale("it");
        problems
    }

    #[test]
    fn categories_come_from_the_network_list() {
        let mut problems = Problems::default();
        let chosen = read_categories(
            &Input::from_strs(&[("categories", "Alimentari"), ("categories", "alimentari")]),
            &network(),
            &mut problems,
        );
        assert_eq!(chosen, vec!["alimentari".to_owned()]);
        assert!(problems.is_empty());
        trama_sdk::i18n::set_locale("en");
        read_categories(
            &Input::from_strs(&[("categories", "gioielli")]),
            &network(),
            &mut problems,
        );
        trama_sdk::i18n::set_locale("it");
        assert_eq!(
            problems.for_field("categories"),
            Some(
                "`gioielli` is not one of the network's categories (alimentari, trasporto sociale)"
            )
        );
    }

    #[test]
    fn filled_rows_become_entries_and_blank_rows_are_skipped() {
        let form = Input::from_strs(&[
            ("service_1_title", "Spesa a domicilio"),
            ("service_1_category", "alimentari"),
            (
                "service_1_description",
                "Consegna della spesa a casa per anziani",
            ),
            ("service_1_id", "kept"),
            ("service_2_title", ""),
            ("service_2_category", ""),
            ("service_3_title", "Pacco alimentare"),
            ("service_3_category", "alimentari"),
            ("service_3_description", "Pacco settimanale per famiglie"),
            ("service_3_id", "forged"),
        ]);
        let mut problems = Problems::default();
        let services = read_services(
            &form,
            &["alimentari".into()],
            5,
            &["kept".into()],
            &mut counter(),
            &mut problems,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let ids: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["kept", "new-1"],
            "an unknown id is not taken over"
        );
    }

    #[test]
    fn wrong_rows_are_named_by_number() {
        let form = Input::from_strs(&[
            ("service_1_title", "X"),
            ("service_1_category", "trasporto sociale"),
            ("service_1_description", "corto"),
        ]);
        let mut problems = Problems::default();
        read_services(
            &form,
            &["alimentari".into()],
            5,
            &[],
            &mut counter(),
            &mut problems,
        );
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "service_1_title",
                "service_1_category",
                "service_1_description"
            ]
        );
        let problems = english_problems(&[], 5);
        assert!(
            problems
                .for_field("service_1_title")
                .unwrap()
                .contains("at least one")
        );
    }

    #[test]
    fn the_number_of_entries_is_capped() {
        let mut pairs = Vec::new();
        let names: Vec<(String, String, String)> = (1..=3)
            .map(|n| {
                (
                    format!("service_{n}_title"),
                    format!("service_{n}_category"),
                    format!("service_{n}_description"),
                )
            })
            .collect();
        for (t, c, d) in &names {
            pairs.push((t.as_str(), "Servizio"));
            pairs.push((c.as_str(), "alimentari"));
            pairs.push((d.as_str(), "Una descrizione abbastanza lunga"));
        }
        let problems = english_problems(&pairs, 2);
        assert!(
            problems
                .for_field("services")
                .unwrap()
                .contains("at most 2")
        );
    }
}
