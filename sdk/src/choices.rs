//! Closed lists of choices — a status, a kind, a criterion — named once.
//!
//! Every plugin has enums whose variants travel as short keys (in stored documents, forms,
//! JSON, query strings and rules) and are shown to people as a phrase from the catalogue. Written
//! by hand, each such enum repeats four matches: the list of all variants, variant → key,
//! key → variant and variant → label, and a serde attribute that must agree with the keys.
//! [`choices!`](crate::choices!) writes them from one table, so a variant added to the table is
//! stored, parsed, listed and shown at once, and the stored form is the key by construction.

/// Declares an enum of choices, each with its key and, optionally, its label in the catalogue.
///
/// ```
/// trama_sdk::choices! {
///     /// Where a request stands.
///     pub enum Status {
///         /// Waiting for an operator.
///         Pending = "pending" => "sdk.no",
///         Approved = "approved" => "sdk.yes",
///     }
/// }
/// assert_eq!(Status::parse("approved"), Some(Status::Approved));
/// assert_eq!(Status::Pending.key(), "pending");
/// assert_eq!(Status::ALL, [Status::Pending, Status::Approved]);
/// assert_eq!(Status::Approved.label(), "sì");
/// assert_eq!(serde_json::to_string(&Status::Approved).unwrap(), "\"approved\"");
/// ```
///
/// The enum derives `Debug, Clone, Copy, PartialEq, Eq, Hash`; other attributes (more derives,
/// `#[default]` on a variant) pass through. It gets:
/// - `ALL`, every variant in the order written (the order of choice lists and reports);
/// - `key(self)`, the stable key, which is also its serde form: changing a key changes stored
///   data, so a key is never renamed once released;
/// - `parse(key)`, the variant of a key (exact match; trim form input first);
/// - with labels (`Variant = "key" => "catalogue.key"`), `label(self)`: the phrase in the
///   language of the request, from the plugin's catalogue.
#[macro_export]
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $key:literal => $label:literal),+ $(,)?
        }
    ) => {
        $crate::choices! {
            $(#[$meta])*
            $vis enum $name { $($(#[$vmeta])* $variant = $key),+ }
        }

        impl $name {
            /// The phrase shown for this choice, in the language of the request.
            pub fn label(self) -> ::std::string::String {
                match self {
                    $($name::$variant => $crate::i18n::text($label, &[]),)+
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $key:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        // Generated for every list; a private list need not use all of it.
        #[allow(dead_code)]
        impl $name {
            /// Every choice, in the order they are offered.
            pub const ALL: [$name; <[&str]>::len(&[$($key),+])] = [$($name::$variant),+];

            /// Every key, in the same order (what a refusal lists as allowed).
            pub const KEYS: &'static [&'static str] = &[$($key),+];

            /// The stable key: in stored documents, forms, JSON and rules.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key,)+
                }
            }

            /// The choice a key names, if any.
            pub fn parse(key: &str) -> ::std::option::Option<Self> {
                match key {
                    $($key => ::std::option::Option::Some($name::$variant),)+
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.key())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let key = <::std::string::String as $crate::__private::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                $name::parse(&key).ok_or_else(|| {
                    <D::Error as $crate::__private::serde::de::Error>::unknown_variant(&key, $name::KEYS)
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::choices! {
        /// A test list.
        #[derive(Default, PartialOrd, Ord)]
        enum Colour {
            #[default]
            Red = "red" => "sdk.no",
            DarkBlue = "dark_blue" => "sdk.yes",
        }
    }

    crate::choices! {
        enum Plain {
            One = "one",
            Two = "two",
        }
    }

    #[test]
    fn keys_parse_back_to_their_choice_and_nothing_else_does() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.key()), Some(colour));
        }
        assert_eq!(Colour::parse("DarkBlue"), None);
        assert_eq!(Colour::parse(" red"), None);
        assert_eq!(Plain::KEYS, ["one", "two"]);
        assert_eq!(Plain::parse("two"), Some(Plain::Two));
        assert_eq!(Colour::default(), Colour::Red);
        assert!(Colour::Red < Colour::DarkBlue);
    }

    #[test]
    fn the_stored_form_is_the_key_and_an_unknown_key_names_the_allowed_ones() {
        let json = serde_json::to_string(&[Colour::DarkBlue, Colour::Red]).unwrap();
        assert_eq!(json, r#"["dark_blue","red"]"#);
        let back: Vec<Colour> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, [Colour::DarkBlue, Colour::Red]);
        let err = serde_json::from_str::<Colour>("\"green\"").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("green") && text.contains("dark_blue"),
            "{text}"
        );
    }

    #[test]
    fn a_label_is_the_catalogue_phrase() {
        // Natively the catalogues are read from the default theme, as the kernel merges them.
        assert_eq!(Colour::DarkBlue.label(), "sì");
        assert_eq!(Colour::Red.label(), "no");
    }
}
