//! Ordinal scales a territory words for itself: a household's situation from "grave" to
//! "autonoma", a pupil's marks from "insufficiente" to "ottimo". A setting lists the levels,
//! the lowest first, and a measure is the level's number, 1 to the number of levels — a whole
//! number an outcome indicator compares before and after.

use serde_json::{Value, json};

use crate::input::Input;

/// The most levels a scale may have; labels past it are ignored.
pub const MAX_LEVELS: usize = 10;

/// A scale read from a setting's list of labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    labels: Vec<String>,
}

/// Why a level typed in a form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// None given where one is required.
    Missing,
    /// Not a whole number from 1 to the number of levels.
    OutOfRange,
}

impl Scale {
    /// The scale of `labels`: their first [`MAX_LEVELS`] non-empty ones; fewer than two make
    /// no scale (one level compares nothing), which a plugin reads as "not measured here".
    pub fn new(labels: &[String]) -> Self {
        let labels: Vec<String> = labels
            .iter()
            .map(|label| label.trim().to_owned())
            .filter(|label| !label.is_empty())
            .take(MAX_LEVELS)
            .collect();
        Self {
            labels: if labels.len() >= 2 {
                labels
            } else {
                Vec::new()
            },
        }
    }

    /// Whether the scale has levels (two or more).
    pub fn on(&self) -> bool {
        !self.labels.is_empty()
    }

    /// How many levels.
    pub fn levels(&self) -> u8 {
        u8::try_from(self.labels.len()).unwrap_or(u8::MAX)
    }

    /// `level` with its words, `3 — Fragile`; the number alone when the scale lacks it.
    pub fn label(&self, level: u8) -> String {
        match self.labels.get(usize::from(level).wrapping_sub(1)) {
            Some(words) => format!("{level} — {words}"),
            None => level.to_string(),
        }
    }

    /// The options of a form's select (`key`, `text`), the lowest first.
    pub fn choices(&self) -> Vec<Value> {
        (1..=self.levels())
            .map(|level| json!({ "key": level.to_string(), "text": self.label(level) }))
            .collect()
    }

    /// The level typed in `field`: `Ok(None)` when empty and not `required`, or when the scale
    /// is off.
    pub fn read(
        &self,
        input: &Input,
        field: &str,
        required: bool,
    ) -> std::result::Result<Option<u8>, Refusal> {
        if !self.on() {
            return Ok(None);
        }
        let text = input.one(field).map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return if required {
                Err(Refusal::Missing)
            } else {
                Ok(None)
            };
        }
        match text.parse::<u8>() {
            Ok(level) if (1..=self.levels()).contains(&level) => Ok(Some(level)),
            _ => Err(Refusal::OutOfRange),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(n: usize) -> Scale {
        let labels: Vec<String> = (1..=n).map(|i| format!("livello {i}")).collect();
        Scale::new(&labels)
    }

    #[test]
    fn a_scale_has_two_to_ten_levels_or_is_off() {
        assert!(!scale(0).on());
        assert!(!scale(1).on(), "one level compares nothing");
        assert_eq!(scale(5).levels(), 5);
        assert_eq!(scale(14).levels(), 10);
        assert_eq!(scale(5).label(3), "3 — livello 3");
        assert_eq!(scale(5).label(7), "7", "a level the scale lost");
        let blanks = Scale::new(&[" ".into(), "Grave".into(), "Autonoma".into()]);
        assert_eq!(blanks.choices()[0]["text"], "1 — Grave");
    }

    #[test]
    fn a_level_is_read_within_the_scale() {
        let four = scale(4);
        let read =
            |text: &str, required| four.read(&Input::from_strs(&[("x", text)]), "x", required);
        assert_eq!(read("3", true), Ok(Some(3)));
        assert_eq!(read(" 4 ", true), Ok(Some(4)));
        assert_eq!(read("", false), Ok(None));
        assert_eq!(read("", true), Err(Refusal::Missing));
        assert_eq!(read("0", true), Err(Refusal::OutOfRange));
        assert_eq!(read("5", false), Err(Refusal::OutOfRange));
        assert_eq!(read("tre", false), Err(Refusal::OutOfRange));
        assert_eq!(
            scale(0).read(&Input::from_strs(&[("x", "9")]), "x", true),
            Ok(None),
            "off: nothing asked"
        );
    }
}
