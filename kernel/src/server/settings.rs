//! The settings of `trama serve`: the `[server]` table of a settings file (`--config`,
//! `TRAMA_CONFIG`), under the command-line options and their `TRAMA_*` variables, over the
//! defaults below. A deployment keeps them in one reviewed file; a one-off run overrides one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The `[server]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on (port 0 picks a free port and prints it).
    pub listen: SocketAddr,
    /// Where compiled plugin components are cached (default: the user's cache folder).
    pub cache_dir: Option<PathBuf>,
    /// Mark cookies Secure and `__Host-` even without `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` hop (the one the proxy added) (only behind a proxy that
    /// overwrites it).
    pub trust_proxy: bool,
    /// Connections open at once; one more is answered 503 and closed: 1..=1 000 000.
    pub max_connections: u32,
    /// Seconds a client may take to send a request's headers, also how long a kept-alive
    /// connection may stay idle: 1..=3600.
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body: 1..=3600.
    pub body_timeout_secs: u64,
    /// The id of the instance whose administrators see the fleet report (`/fleet/indicators`:
    /// the published indicators of every instance this process serves), on that instance's
    /// hosts only: the cooperative's own territory. `None`: no one sees it.
    pub fleet_report: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cache_dir: None,
            secure_cookies: false,
            trust_proxy: false,
            max_connections: 4096,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            fleet_report: None,
        }
    }
}

/// The whole file: only a `[server]` table, so that a misspelt table (`[sever]`) is an error
/// rather than settings silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    server: ServerSettings,
}

/// What the command line (and its environment variables) set; `None` leaves the file's value.
/// The two switches can only turn a setting on: to turn one off, leave it out of the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub cache_dir: Option<PathBuf>,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub max_connections: Option<u32>,
    pub header_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub fleet_report: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file does not parse or a value has the wrong type; figment names the file and key.
    #[error("{file}: {source}")]
    File {
        file: PathBuf,
        source: Box<figment::Error>,
    },
    #[error("{file}: the settings file cannot be read: {source}")]
    Missing {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: server.{key} = {value} is out of range: it must be between {min} and {max}")]
    Range {
        origin: String,
        key: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
}

impl ServerSettings {
    /// The defaults, then `file`'s `[server]` table, then `overrides`; every value checked.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, SettingsError> {
        let mut settings = match file {
            Some(file) => from_file(file)?,
            None => Self::default(),
        };
        let origin_of = |overridden: bool| match (overridden, file) {
            (true, _) | (false, None) => "command line".to_owned(),
            (false, Some(file)) => file.display().to_string(),
        };
        let origins = [
            ("max_connections", overrides.max_connections.is_some()),
            (
                "header_timeout_secs",
                overrides.header_timeout_secs.is_some(),
            ),
            ("body_timeout_secs", overrides.body_timeout_secs.is_some()),
        ];
        settings.listen = overrides.listen.unwrap_or(settings.listen);
        settings.cache_dir = overrides.cache_dir.or(settings.cache_dir);
        settings.secure_cookies |= overrides.secure_cookies;
        settings.trust_proxy |= overrides.trust_proxy;
        settings.fleet_report = overrides.fleet_report.or(settings.fleet_report);
        settings.max_connections = overrides
            .max_connections
            .unwrap_or(settings.max_connections);
        settings.header_timeout_secs = overrides
            .header_timeout_secs
            .unwrap_or(settings.header_timeout_secs);
        settings.body_timeout_secs = overrides
            .body_timeout_secs
            .unwrap_or(settings.body_timeout_secs);
        for ((key, value, min, max), (_, overridden)) in settings.ranges().into_iter().zip(origins)
        {
            if !(min..=max).contains(&value) {
                return Err(SettingsError::Range {
                    origin: origin_of(overridden),
                    key,
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(settings)
    }

    fn ranges(&self) -> [(&'static str, u64, u64, u64); 3] {
        [
            (
                "max_connections",
                u64::from(self.max_connections),
                1,
                1_000_000,
            ),
            ("header_timeout_secs", self.header_timeout_secs, 1, 3600),
            ("body_timeout_secs", self.body_timeout_secs, 1, 3600),
        ]
    }

    /// The connection limits these settings ask for.
    pub fn limits(&self) -> super::Limits {
        super::Limits {
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
        }
    }
}

fn from_file(file: &Path) -> Result<ServerSettings, SettingsError> {
    if let Err(source) = std::fs::metadata(file) {
        return Err(SettingsError::Missing {
            file: file.to_path_buf(),
            source,
        });
    }
    Figment::from(Serialized::default("server", ServerSettings::default()))
        .merge(Toml::file_exact(file))
        .extract::<SettingsFile>()
        .map(|settings| settings.server)
        .map_err(|source| SettingsError::File {
            file: file.to_path_buf(),
            source: Box::new(source),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("trama.toml");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn the_file_sets_what_it_names_and_the_command_line_wins() {
        let (_dir, path) = file("[server]\nmax_connections = 100\nheader_timeout_secs = 5\n");
        let settings = ServerSettings::load(Some(&path), Overrides::default()).expect("load");
        assert_eq!(settings.max_connections, 100);
        assert_eq!(settings.header_timeout_secs, 5);
        assert_eq!(settings.body_timeout_secs, 30, "the default");
        let overrides = Overrides {
            max_connections: Some(7),
            trust_proxy: true,
            ..Overrides::default()
        };
        let settings = ServerSettings::load(Some(&path), overrides).expect("load");
        assert_eq!((settings.max_connections, settings.trust_proxy), (7, true));
        assert_eq!(settings.header_timeout_secs, 5);
    }

    #[test]
    fn mistakes_name_the_file_and_the_key() {
        let (_dir, path) = file("[server]\nmax_conections = 100\n");
        let err = ServerSettings::load(Some(&path), Overrides::default()).expect_err("unknown");
        let text = err.to_string();
        assert!(
            text.contains("trama.toml") && text.contains("max_conections"),
            "{text}"
        );
        let (_dir, path) = file("[server]\nbody_timeout_secs = 0\n");
        let err = ServerSettings::load(Some(&path), Overrides::default()).expect_err("range");
        let text = err.to_string();
        assert!(
            text.contains("trama.toml: server.body_timeout_secs = 0"),
            "{text}"
        );
        let (_dir, path) = file("[sever]\nmax_connections = 100\n");
        let err = ServerSettings::load(Some(&path), Overrides::default()).expect_err("table");
        assert!(err.to_string().contains("sever"), "{err}");
        let missing = Path::new("/nonexistent/trama.toml");
        let err = ServerSettings::load(Some(missing), Overrides::default()).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/trama.toml"), "{err}");
    }
}
