//! `TRAMA_*` environment variables layered over `instance.toml`.
//!
//! Deployments keep secrets (the PostgreSQL password) and per-host values out of the file:
//! `TRAMA_DATABASE__URL` sets `database.url`, `__` separating keys. Only variables whose first
//! key is a manifest section are read, so that `TRAMA_LOG` and the like, meant for other parts
//! of the kernel, are left alone.
//!
//! Values are read the way figment reads environment values (`5000` is a number, `true` a
//! boolean, `[a, b]` a list) with two exceptions that spare users from quoting: keys that
//! are text in the manifest (or that the file already sets to text) stay text, and list keys
//! also accept comma-separated values (`TRAMA_INSTANCE__HOSTS=a.example,b.example`).

use figment::value::{Dict, Value};
use toml_edit::{Item, Table};

use crate::diagnostic::Diagnostic;
use crate::locate::{KeyPath, Locator, display_key};

/// The prefix of every variable read.
pub const ENV_PREFIX: &str = "TRAMA_";

/// The top-level tables of a manifest; variables naming anything else are ignored.
pub(crate) const SECTIONS: [&str; 10] = [
    "instance",
    "database",
    "registry",
    "limits",
    "governance",
    "plugins",
    "mail",
    "identity",
    "budget",
    "indicators",
];

/// The environment's layer, recording in `locator` which variable set which key.
pub(crate) fn overrides<I, K, V>(
    env: I,
    file: &Table,
    locator: &mut Locator,
) -> (Dict, Vec<Diagnostic>)
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut layer = Dict::new();
    let mut faults = Vec::new();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect();
    // A stable order, so that two variables naming the same key always resolve the same way.
    vars.sort();
    for (variable, raw) in vars {
        let Some(rest) = variable
            .get(..ENV_PREFIX.len())
            .filter(|prefix| prefix.eq_ignore_ascii_case(ENV_PREFIX))
            .map(|_| &variable[ENV_PREFIX.len()..])
        else {
            continue;
        };
        let path: KeyPath = rest
            .to_ascii_lowercase()
            .split("__")
            .map(str::to_owned)
            .collect();
        if !path
            .first()
            .is_some_and(|section| SECTIONS.contains(&section.as_str()))
        {
            continue;
        }
        if path.len() < 2 || path.iter().any(String::is_empty) {
            faults.push(Diagnostic {
                file: locator.file().to_path_buf(),
                line: None,
                variable: Some(variable.clone()),
                key: display_key(&path),
                message: format!(
                    "{variable} does not name a key: write the section and the keys separated by `__`, such as TRAMA_DATABASE__URL"
                ),
            });
            continue;
        }
        let value = parse_value(&path, &raw, file);
        insert(&mut layer, &path, value);
        locator.set_variable(path, variable);
    }
    (layer, faults)
}

/// Reads one variable's text as a value for the key at `path`.
fn parse_value(path: &[String], raw: &str, file: &Table) -> Value {
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    let is_list = matches!(
        keys.as_slice(),
        ["instance", "hosts"]
            | ["registry", "plugins"]
            | ["plugins", _, "capabilities"]
            | ["identity", "providers", _, "scopes"]
    );
    let is_text = matches!(
        keys.as_slice(),
        [
            "instance",
            "id" | "name" | "locale" | "theme" | "public_url"
        ] | ["database", "url"]
            | ["registry", "themes"]
            | ["plugins", _, "version"]
            | [
                "mail",
                "host"
                    | "tls"
                    | "from"
                    | "from_name"
                    | "base_url"
                    | "username_env"
                    | "password_env"
                    | "poll_interval"
                    | "retry_base"
                    | "retry_max"
            ]
            | [
                "identity",
                "providers",
                _,
                "label" | "issuer" | "client_id" | "client_secret_env" | "fiscal_number_claim"
            ]
    ) || file_holds_text(file, path);
    if is_list && !raw.trim_start().starts_with('[') {
        let items = raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Value::from(item.to_owned()))
            .collect::<Vec<_>>();
        return Value::from(items);
    }
    if is_text {
        return Value::from(raw.to_owned());
    }
    let Ok(value) = raw.parse::<Value>();
    value
}

fn file_holds_text(file: &Table, path: &[String]) -> bool {
    let mut item: Option<&Item> = None;
    let mut table: Option<&dyn toml_edit::TableLike> = Some(file);
    for segment in path {
        item = table.and_then(|t| t.get(segment));
        table = item.and_then(Item::as_table_like);
    }
    item.is_some_and(Item::is_str)
}

/// Sets `path` in `layer`, creating (or replacing with) tables along the way.
fn insert(layer: &mut Dict, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut dict = layer;
    for key in parents {
        let entry = dict
            .entry(key.clone())
            .or_insert_with(|| Value::from(Dict::new()));
        if entry.as_dict().is_none() {
            *entry = Value::from(Dict::new());
        }
        dict = match entry {
            Value::Dict(_, inner) => inner,
            _ => return,
        };
    }
    dict.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(vars: &[(&str, &str)], file: &str) -> (Dict, Vec<Diagnostic>) {
        let document = toml_edit::Document::parse(file.to_owned()).expect("valid TOML");
        let mut locator = Locator::for_file(std::path::Path::new("instance.toml"));
        overrides(vars.iter().copied(), document.as_table(), &mut locator)
    }

    fn at(dict: &Dict, path: &str) -> Option<Value> {
        Value::from(dict.clone()).find(path)
    }

    #[test]
    fn only_manifest_sections_are_read() {
        let (dict, faults) = layer(
            &[
                ("TRAMA_LOG", "debug"),
                ("TRAMA_TEST_PG_URL", "x"),
                ("PATH", "/bin"),
            ],
            "",
        );
        assert!(dict.is_empty());
        assert!(faults.is_empty());
    }

    #[test]
    fn values_take_the_type_the_key_needs() {
        let (dict, _) = layer(
            &[
                ("TRAMA_LIMITS__MEMORY_MIB", "128"),
                ("TRAMA_PLUGINS__HELLO__VERSION", "1.0"),
                ("TRAMA_PLUGINS__HELLO__SETTINGS__GREETING", "42"),
                ("TRAMA_INSTANCE__HOSTS", "a.example, b.example"),
            ],
            "[plugins.hello.settings]\ngreeting = \"Ciao\"\n",
        );
        let text = |path| at(&dict, path).and_then(|v| v.into_string());
        assert_eq!(
            at(&dict, "limits.memory_mib").and_then(|v| v.to_u128()),
            Some(128)
        );
        assert_eq!(text("plugins.hello.version").as_deref(), Some("1.0"));
        assert_eq!(
            text("plugins.hello.settings.greeting").as_deref(),
            Some("42")
        );
        let hosts: Vec<String> = at(&dict, "instance.hosts")
            .and_then(|v| v.into_array())
            .map(|hosts| hosts.into_iter().filter_map(|v| v.into_string()).collect())
            .unwrap_or_default();
        assert_eq!(hosts, ["a.example", "b.example"]);
    }

    #[test]
    fn a_variable_naming_no_key_is_reported() {
        let (_, faults) = layer(&[("TRAMA_DATABASE__", "x")], "");
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].variable.as_deref(), Some("TRAMA_DATABASE__"));
    }
}
