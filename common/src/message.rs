//! Catalogue messages with `{name}` placeholders.
//!
//! A sentence is translated whole, with its variable parts named, so each language puts them
//! where its grammar wants: `posizione {rank} in graduatoria`, `Rang {rank}`. `{{` and `}}`
//! stand for literal braces.

use std::fmt;

/// Why a message could not be filled: the message and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillError {
    /// A `{name}` placeholder no value was given for.
    Missing { message: String, name: String },
    /// A brace without its pair (write `{{` or `}}` for a literal one).
    Unbalanced { message: String },
}

impl fmt::Display for FillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { message, name } => {
                write!(f, "message `{message}` needs a value for `{name}`")
            }
            Self::Unbalanced { message } => write!(
                f,
                "message `{message}` has a brace without its pair (write {{{{ or }}}} for a literal one)"
            ),
        }
    }
}

impl std::error::Error for FillError {}

/// Replaces every `{name}` in `message` with `lookup(name)`; `{{` and `}}` stand for literal
/// braces. Fails naming the first placeholder `lookup` does not know.
pub fn fill(message: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, FillError> {
    let unbalanced = || FillError::Unbalanced {
        message: message.to_owned(),
    };
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['{', '}']) {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if rest[start..].starts_with("{{") || rest[start..].starts_with("}}") {
            out.push_str(&rest[start..start + 1]);
            rest = &after[1..];
            continue;
        }
        if rest[start..].starts_with('}') {
            return Err(unbalanced());
        }
        let Some(end) = after.find('}') else {
            return Err(unbalanced());
        };
        let name = &after[..end];
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => {
                return Err(FillError::Missing {
                    message: message.to_owned(),
                    name: name.to_owned(),
                });
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_wherever_they_stand() {
        let args = |name: &str| match name {
            "who" => Some("Anna".to_owned()),
            "rank" => Some("3".to_owned()),
            _ => None,
        };
        assert_eq!(
            fill("Rang {rank}, von {who}", args).unwrap(),
            "Rang 3, von Anna"
        );
        assert_eq!(fill("no placeholders", args).unwrap(), "no placeholders");
    }

    #[test]
    fn doubled_braces_are_literal_and_a_lone_one_is_an_error() {
        assert_eq!(fill("{{x}} {y}", |_| Some("1".into())).unwrap(), "{x} 1");
        assert!(fill("oops {", |_| None).is_err());
        assert!(fill("oops }", |_| None).is_err());
    }

    #[test]
    fn a_missing_argument_is_named() {
        let err = fill("dal {from} al {to}", |n| (n == "from").then(|| "1".into())).unwrap_err();
        assert_eq!(
            err,
            FillError::Missing {
                message: "dal {from} al {to}".into(),
                name: "to".into()
            }
        );
        assert!(err.to_string().contains("`to`"), "{err}");
    }
}
