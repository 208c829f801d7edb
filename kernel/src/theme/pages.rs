//! The territory's own pages that every footer links, as Italian public services have them:
//! the legal notes, the accessibility statement (which AgID asks every public site to publish)
//! and the contacts. Each lives in the theme as `pages/<page>/<locale>.md` (see
//! [`Texts`](super::Texts)); a theme without one uses the default theme's, worded for any
//! territory with `{{ instance.name }}`, until the territory writes its own.

use std::collections::BTreeMap;
use std::path::Path;

use super::ThemeError;
use super::texts::Texts;

/// A page of the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Page {
    /// The legal notes: who runs the site, copyright and licences, liability, links.
    Legal,
    /// The accessibility statement: conformity, what is not yet accessible, how to report it.
    Accessibility,
    /// How to reach the territory's offices.
    Contacts,
}

impl Page {
    /// Every page, in the footer's order.
    pub const ALL: [Page; 3] = [Page::Legal, Page::Accessibility, Page::Contacts];

    /// Its address on the site, `/{slug}`: in Italian, as Italian public services have them.
    pub fn slug(self) -> &'static str {
        match self {
            Page::Legal => "note-legali",
            Page::Accessibility => "accessibilita",
            Page::Contacts => "contatti",
        }
    }

    /// The catalogue key of its title (in links and in the page's `<title>`).
    pub fn title_key(self) -> &'static str {
        match self {
            Page::Legal => "footer_note_legali",
            Page::Accessibility => "footer_accessibilita",
            Page::Contacts => "footer_contatti",
        }
    }

    /// Its folder under the theme's `pages/`.
    pub fn folder(self) -> &'static str {
        match self {
            Page::Legal => "legal",
            Page::Accessibility => "accessibility",
            Page::Contacts => "contacts",
        }
    }
}

/// The footer's pages a theme (or the default theme) has.
#[derive(Debug, Default)]
pub struct Pages(BTreeMap<Page, Texts>);

impl Pages {
    /// Each page from `<theme>/pages/<page>/`, else from the default theme's.
    pub fn load(theme_dir: &Path, default_dir: &Path) -> Result<Self, ThemeError> {
        let mut pages = BTreeMap::new();
        for page in Page::ALL {
            for dir in [theme_dir, default_dir] {
                let folder = dir.join("pages").join(page.folder());
                if folder.is_dir() {
                    let what = format!("pages/{}", page.folder());
                    pages.insert(page, Texts::read(&folder, &what)?);
                    break;
                }
            }
        }
        Ok(Self(pages))
    }

    /// The page's text, if the theme has it.
    pub fn get(&self, page: Page) -> Option<&Texts> {
        self.0.get(&page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (name, body) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
            std::fs::write(path, body).expect("write");
        }
    }

    #[test]
    fn a_territory_s_own_page_replaces_the_default_one_and_the_rest_stay() {
        let default = tempfile::tempdir().expect("tempdir");
        let theme = tempfile::tempdir().expect("tempdir");
        write(
            default.path(),
            &[
                ("pages/legal/it.md", "# Note legali di {{ instance.name }}"),
                ("pages/contacts/it.md", "# Contatti"),
            ],
        );
        write(
            theme.path(),
            &[("pages/legal/it.md", "# Note legali di Valdarno")],
        );
        let pages = Pages::load(theme.path(), default.path()).expect("pages");
        let context = json!({ "instance": { "name": "Prova" } });
        let html = |page| {
            pages
                .get(page)
                .map(|texts| texts.html("it", "it", &context).expect("html").html)
        };
        assert!(html(Page::Legal).is_some_and(|h| h.contains("Valdarno")));
        assert!(html(Page::Contacts).is_some_and(|h| h.contains("Contatti")));
        assert_eq!(html(Page::Accessibility), None, "no text, no page");
        let english = pages
            .get(Page::Legal)
            .map(|texts| texts.html("en", "it", &context).expect("html"));
        assert_eq!(
            english.map(|text| text.lang),
            Some("it".to_owned()),
            "the page says which language it is shown in"
        );
        let slugs: Vec<&str> = Page::ALL.iter().map(|p| p.slug()).collect();
        assert_eq!(slugs, ["note-legali", "accessibilita", "contatti"]);
    }

    #[test]
    fn a_broken_page_names_its_file() {
        let default = tempfile::tempdir().expect("tempdir");
        write(default.path(), &[("pages/accessibility/it.md", "{{ oops")]);
        let err = Pages::load(default.path(), default.path())
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default();
        assert!(err.contains("accessibility/it.md"), "{err}");
        let empty = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(empty.path().join("pages/contacts")).expect("mkdir");
        let err = Pages::load(empty.path(), empty.path())
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default();
        assert!(err.contains("pages/contacts/it.md"), "{err}");
    }
}
