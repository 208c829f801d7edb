//! The `[indicators]` table: what a territory measures of its services, each indicator
//! computed by the kernel, month by month, from the typed events its plugins publish.
//!
//! ```toml
//! [indicators.famiglie-sostenute]
//! title = { it = "Famiglie sostenute con buoni spesa", en = "Families given vouchers" }
//! kind = "output"                     # output | outcome
//! event = "vouchers.voucher_issued"   # an event an enabled plugin publishes
//! aggregate = "count"                 # count | count_distinct | sum | improved | at_least
//! group_by = "isee_band"              # optional: one series per value of this field
//! unit = "households"                 # people | households | organisations | euro | hours | items
//! target = 40                         # per month, in the unit
//! period = "monthly"
//!
//! [indicators.euro-distribuiti]
//! aggregate = "sum"
//! field = "amount_cents"              # `euro` sums a field in cents, `hours` one in minutes
//!
//! [indicators.voti-migliorati]
//! kind = "outcome"
//! aggregate = "improved"              # events whose `after` is above their `before`
//! before = "grade_before"
//! after = "grade_after"
//!
//! [indicators.soddisfatti]
//! kind = "outcome"
//! event = "surveys.answered"
//! aggregate = "at_least"              # events whose `field` is at least `min`
//! field = "score"
//! min = 4
//! ```
//!
//! What an indicator says depends on every key but its titles' wording only in part, so its
//! whole definition ([`Indicator::definition`]) is what the scientific committee validates: a
//! changed definition is unpublished until validated again. This module checks what can be
//! known from the manifest; [`check_events`] checks the event and its fields against the
//! schemas of the plugins the instance enables.

use std::collections::BTreeMap;

use figment::value::Value;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::diagnostic::Diagnostics;
use crate::extract::section;
use crate::locate::Locator;
use crate::names::{is_event_name, is_field_path, is_slug};
use crate::resolve::ResolvedPlugin;

/// The longest indicator id: it appears in URLs and in exports.
const MAX_ID: usize = 40;

/// Whether an indicator counts what a service did or a change in the people it served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    Output,
    Outcome,
}

/// How the events of a month become one number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "aggregate", rename_all = "snake_case")]
pub enum Aggregate {
    /// How many events.
    Count,
    /// How many different values of `field` (an array field counts each of its items: the
    /// children present at a lesson).
    CountDistinct { field: String },
    /// The sum of an integer `field`.
    Sum { field: String },
    /// How many events carry an `after` value above their `before` value: a before/after
    /// outcome (a grade at the start and at the end of tutoring).
    Improved { before: String, after: String },
    /// How many events carry an integer `field` of at least `min`, out of those that carry it:
    /// the answers satisfied (a score of 4 or 5 out of 5, the "top two boxes").
    AtLeast { field: String, min: i64 },
}

impl Aggregate {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::CountDistinct { .. } => "count_distinct",
            Self::Sum { .. } => "sum",
            Self::Improved { .. } => "improved",
            Self::AtLeast { .. } => "at_least",
        }
    }
}

/// What an indicator's number counts; `euro` and `hours` are sums of a field in cents and in
/// minutes, shown in euros and hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    People,
    Households,
    Organisations,
    Euro,
    Hours,
    Items,
}

impl Unit {
    pub const ALL: [Unit; 6] = [
        Self::People,
        Self::Households,
        Self::Organisations,
        Self::Euro,
        Self::Hours,
        Self::Items,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::People => "people",
            Self::Households => "households",
            Self::Organisations => "organisations",
            Self::Euro => "euro",
            Self::Hours => "hours",
            Self::Items => "items",
        }
    }

    /// How many stored units make one shown unit: cents per euro, minutes per hour.
    pub fn scale(self) -> i64 {
        match self {
            Self::Euro => 100,
            Self::Hours => 60,
            _ => 1,
        }
    }

    /// Whether each unit counted is a person or a household, so that a figure below five of
    /// them could point at someone (the open-data export suppresses it).
    pub fn counts_people(self) -> bool {
        matches!(self, Self::People | Self::Households)
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|unit| unit.as_str() == text)
    }
}

/// One `[indicators.ID]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub id: String,
    /// By language: `it` always.
    pub title: BTreeMap<String, String>,
    pub kind: IndicatorKind,
    pub event: String,
    pub aggregate: Aggregate,
    /// One series per value of this field (an ISEE band); `None`: one series.
    pub group_by: Option<String>,
    pub unit: Unit,
    /// What the territory aims for each month, in the unit (euros, hours, people).
    pub target: i64,
}

impl Indicator {
    /// The title in `locale`, else in Italian.
    pub fn title_in(&self, locale: &str) -> &str {
        self.title
            .get(locale)
            .or_else(|| self.title.get("it"))
            .map_or(self.id.as_str(), String::as_str)
    }

    /// Everything that decides what the indicator says, as canonical JSON (keys sorted): what
    /// the scientific committee validates, so that any change of it needs a new validation.
    pub fn definition(&self) -> String {
        json!({
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "event": self.event,
            "aggregate": self.aggregate,
            "group_by": self.group_by,
            "unit": self.unit,
            "target": self.target,
            "period": "monthly",
        })
        .to_string()
    }
}

/// The `[indicators]` table, by id; empty when the manifest has none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndicatorsSection {
    pub indicators: BTreeMap<String, Indicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    title: BTreeMap<String, String>,
    kind: String,
    event: String,
    aggregate: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    min: Option<i64>,
    #[serde(default)]
    group_by: Option<String>,
    unit: String,
    target: i64,
    period: String,
}

/// Reads and checks `[indicators]`; `None` (with its faults) when it is wrong.
pub(crate) fn read(
    value: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<IndicatorsSection> {
    let raw = section::<BTreeMap<String, Value>>(value, &["indicators"], at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let mut indicators = BTreeMap::new();
    for (id, table) in &raw {
        if let Some(indicator) = read_one(id, table, at, diagnostics) {
            indicators.insert(id.clone(), indicator);
        }
    }
    (diagnostics.len() == before).then_some(IndicatorsSection { indicators })
}

/// A payload field an indicator names: a top-level key of the event's payload.
fn field_ok(field: &str) -> bool {
    is_field_path(field) && !field.contains('.') && field.len() <= 64
}

fn read_one(
    id: &str,
    table: &Value,
    at: &Locator,
    diagnostics: &mut Diagnostics,
) -> Option<Indicator> {
    let path = ["indicators", id];
    if !is_slug(id) || id.len() > MAX_ID {
        diagnostics.push(at.diagnostic(
            &path,
            format!("{id:?} is not a valid indicator id: use up to {MAX_ID} lower-case letters, digits and dashes, such as \"famiglie-sostenute\""),
        ));
        return None;
    }
    let raw = section::<RawIndicator>(table, &path, at)
        .map_err(|faults| diagnostics.extend(faults))
        .ok()?;
    let before = diagnostics.len();
    let mut push = |name: &str, message: String| {
        diagnostics.push(at.diagnostic(&["indicators", id, name], message));
    };

    let mut title = BTreeMap::new();
    for (lang, text) in &raw.title {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 120 || text.chars().any(char::is_control) {
            push(
                "title",
                format!(
                    "indicator `{id}`: the title in {lang:?} must be one line of 1 to 120 characters"
                ),
            );
        }
        title.insert(lang.clone(), text.to_owned());
    }
    if !title.contains_key("it") {
        push(
            "title",
            format!(
                "indicator `{id}` has no Italian title: write title = {{ it = \"…\", en = \"…\" }}"
            ),
        );
    }
    let kind = match raw.kind.trim() {
        "output" => Some(IndicatorKind::Output),
        "outcome" => Some(IndicatorKind::Outcome),
        other => {
            push(
                "kind",
                format!(
                    "indicator `{id}`: {other:?} is not a kind: write \"output\" (what a service did) or \"outcome\" (a change in the people it served)"
                ),
            );
            None
        }
    };
    if !is_event_name(&raw.event) || !raw.event.contains('.') {
        push(
            "event",
            format!(
                "indicator `{id}`: {:?} is not an event name: write the plugin's name and the event, such as \"vouchers.voucher_issued\"",
                raw.event
            ),
        );
    }
    let field_named = |name: &str,
                       value: &Option<String>,
                       push: &mut dyn FnMut(&str, String)|
     -> Option<String> {
        match value.as_deref().map(str::trim) {
            Some(field) if field_ok(field) => Some(field.to_owned()),
            Some(field) => {
                push(
                    name,
                    format!(
                        "indicator `{id}`: {field:?} is not a field of an event's payload: letters, digits and `_`, such as \"amount_cents\""
                    ),
                );
                None
            }
            None => {
                push(
                    name,
                    format!(
                        "indicator `{id}` with aggregate = {:?} needs `{name}`, the payload field it reads",
                        raw.aggregate
                    ),
                );
                None
            }
        }
    };
    let aggregate = match raw.aggregate.trim() {
        "count" => Some(Aggregate::Count),
        "count_distinct" => field_named("field", &raw.field, &mut push)
            .map(|field| Aggregate::CountDistinct { field }),
        "sum" => field_named("field", &raw.field, &mut push).map(|field| Aggregate::Sum { field }),
        "improved" => {
            let before = field_named("before", &raw.before, &mut push);
            let after = field_named("after", &raw.after, &mut push);
            before
                .zip(after)
                .map(|(before, after)| Aggregate::Improved { before, after })
        }
        "at_least" => {
            let field = field_named("field", &raw.field, &mut push);
            let min = match raw.min {
                Some(min) if (-1_000_000_000..=1_000_000_000).contains(&min) => Some(min),
                Some(min) => {
                    push(
                        "min",
                        format!(
                            "indicator `{id}`: min = {min} is out of range: a whole number between -1000000000 and 1000000000"
                        ),
                    );
                    None
                }
                None => {
                    push(
                        "min",
                        format!(
                            "indicator `{id}` with aggregate = \"at_least\" needs `min`, the least value an event counts with (such as min = 4 for a score of 4 or 5)"
                        ),
                    );
                    None
                }
            };
            field
                .zip(min)
                .map(|(field, min)| Aggregate::AtLeast { field, min })
        }
        other => {
            push(
                "aggregate",
                format!(
                    "indicator `{id}`: {other:?} is not an aggregate: write \"count\", \"count_distinct\", \"sum\", \"improved\" or \"at_least\""
                ),
            );
            None
        }
    };
    let unused = |name: &str, set: bool| set.then(|| name.to_owned());
    let extra = match &aggregate {
        Some(Aggregate::Count) => unused("field", raw.field.is_some())
            .or(unused("before", raw.before.is_some()))
            .or(unused("after", raw.after.is_some()))
            .or(unused("min", raw.min.is_some())),
        Some(Aggregate::CountDistinct { .. } | Aggregate::Sum { .. }) => {
            unused("before", raw.before.is_some())
                .or(unused("after", raw.after.is_some()))
                .or(unused("min", raw.min.is_some()))
        }
        Some(Aggregate::Improved { .. }) => {
            unused("field", raw.field.is_some()).or(unused("min", raw.min.is_some()))
        }
        Some(Aggregate::AtLeast { .. }) => {
            unused("before", raw.before.is_some()).or(unused("after", raw.after.is_some()))
        }
        None => None,
    };
    if let Some(name) = extra {
        push(
            &name,
            format!(
                "indicator `{id}`: aggregate = {:?} reads no `{name}`; remove it",
                raw.aggregate
            ),
        );
    }
    let group_by = match raw.group_by.as_deref().map(str::trim) {
        None => None,
        Some(field) if field_ok(field) => Some(field.to_owned()),
        Some(field) => {
            push(
                "group_by",
                format!(
                    "indicator `{id}`: {field:?} is not a field of an event's payload: letters, digits and `_`, such as \"isee_band\""
                ),
            );
            None
        }
    };
    let unit = Unit::parse(raw.unit.trim());
    match (unit, &aggregate) {
        (None, _) => push(
            "unit",
            format!(
                "indicator `{id}`: {:?} is not a unit: write \"people\", \"households\", \"organisations\", \"euro\", \"hours\" or \"items\"",
                raw.unit
            ),
        ),
        (Some(unit @ (Unit::Euro | Unit::Hours)), Some(aggregate))
            if !matches!(aggregate, Aggregate::Sum { .. }) =>
        {
            push(
                "unit",
                format!(
                    "indicator `{id}`: unit = \"{}\" is a sum of a field in {}: write aggregate = \"sum\" and its field",
                    unit.as_str(),
                    if unit == Unit::Euro {
                        "cents"
                    } else {
                        "minutes"
                    }
                ),
            );
        }
        _ => {}
    }
    if raw.target < 0 || raw.target > 1_000_000_000 {
        push(
            "target",
            format!(
                "indicator `{id}`: the target {} is out of range: a monthly figure between 0 and 1000000000, in the unit",
                raw.target
            ),
        );
    }
    if raw.period.trim() != "monthly" {
        push(
            "period",
            format!(
                "indicator `{id}`: {:?} is not a period Trama computes: write \"monthly\"",
                raw.period
            ),
        );
    }
    if diagnostics.len() != before {
        return None;
    }
    Some(Indicator {
        id: id.to_owned(),
        title,
        kind: kind?,
        event: raw.event,
        aggregate: aggregate?,
        group_by,
        unit: unit?,
        target: raw.target,
    })
}

/// Checks each indicator's event against the plugins `plugins` enables: the event must be one
/// an enabled plugin publishes, and each field it reads a property of that event's schema (an
/// integer for a sum, a before/after pair or a threshold).
pub(crate) fn check_events(
    section: &IndicatorsSection,
    plugins: &[ResolvedPlugin],
    at: &Locator,
    diagnostics: &mut Diagnostics,
) {
    for indicator in section.indicators.values() {
        let id = &indicator.id;
        let publisher = plugins.iter().filter(|p| p.enabled).find(|p| {
            p.package
                .meta
                .events
                .publishes
                .iter()
                .any(|e| e == &indicator.event)
        });
        let Some(publisher) = publisher else {
            diagnostics.push(at.diagnostic(
                &["indicators", id, "event"],
                format!(
                    "indicator `{id}`: no enabled plugin publishes `{}`; enable it, or name an event listed under [events] publishes in a plugin.toml",
                    indicator.event
                ),
            ));
            continue;
        };
        let Some(schema) = publisher.package.meta.event_schemas.get(&indicator.event) else {
            continue;
        };
        let properties = schema.schema.get("properties");
        let mut check = |key: &str, field: &str, integer: bool| {
            let Some(property) = properties.and_then(|p| p.get(field)) else {
                diagnostics.push(at.diagnostic(
                    &["indicators", id, key],
                    format!(
                        "indicator `{id}`: `{}` has no field `{field}` (see its schema, {})",
                        indicator.event, schema.file
                    ),
                ));
                return;
            };
            let types = match property.get("type") {
                Some(serde_json::Value::String(one)) => vec![one.as_str()],
                Some(serde_json::Value::Array(many)) => {
                    many.iter().filter_map(|t| t.as_str()).collect()
                }
                _ => Vec::new(),
            };
            if integer && !types.contains(&"integer") {
                diagnostics.push(at.diagnostic(
                    &["indicators", id, key],
                    format!(
                        "indicator `{id}`: the field `{field}` of `{}` is not a whole number, so it cannot be added up or compared",
                        indicator.event
                    ),
                ));
            }
        };
        match &indicator.aggregate {
            Aggregate::Count => {}
            Aggregate::CountDistinct { field } => check("field", field, false),
            Aggregate::Sum { field } => check("field", field, true),
            Aggregate::Improved { before, after } => {
                check("before", before, true);
                check("after", after, true);
            }
            Aggregate::AtLeast { field, .. } => check("field", field, true),
        }
        if let Some(group) = &indicator.group_by {
            check("group_by", group, false);
        }
    }
}
