//! Configuration from environment variables; every value has a default that
//! works with the portal's demo setup on one machine.

use reqwest::Url;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_BIND: &str = "127.0.0.1:3001";
pub const DEFAULT_AUDIENCE: &str = "urn:formulardienst:referenz";
pub const DEFAULT_ISSUER: &str = "http://buergerportal.localhost";
pub const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:3000/.well-known/jwks.json";
pub const DEFAULT_PORTAL_API_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_RETURN_CREDENTIAL: &str = "formulardienst-demo-zugang";
pub const DEFAULT_DATA_DIR: &str = "data-formulardienst";

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The `aud` a token must name: this service.
    pub audience: String,
    /// The `iss` a token must name: the portal.
    pub issuer: String,
    pub jwks_url: Url,
    /// Base URL of the portal's return channel (`/api/v1/antraege/...`).
    pub portal_api_url: Url,
    /// Bearer credential for the return channel, issued by the portal's operator.
    pub return_credential: String,
    /// How soon an unknown `kid` may trigger another JWKS fetch (not an env var; tests lower it).
    pub jwks_refetch_interval: Duration,
    /// Where the SQLite file with used token ids and received applications lives.
    pub data_dir: PathBuf,
    /// Bearer credential for `GET /api/uebergaben/{vorgang}`; `None`: the route does not exist.
    pub inspection_credential: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("BIND „{0}“ ist keine gültige Adresse (Beispiel: 127.0.0.1:3001)")]
    Bind(String),
    #[error("{name} „{value}“ ist keine http(s)-URL")]
    Url { name: &'static str, value: String },
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: DEFAULT_BIND.parse().expect("valid default address"),
            audience: DEFAULT_AUDIENCE.into(),
            issuer: DEFAULT_ISSUER.into(),
            jwks_url: Url::parse(DEFAULT_JWKS_URL).expect("valid default URL"),
            portal_api_url: Url::parse(DEFAULT_PORTAL_API_URL).expect("valid default URL"),
            return_credential: DEFAULT_RETURN_CREDENTIAL.into(),
            jwks_refetch_interval: Duration::from_secs(10),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            inspection_credential: None,
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the variables through `lookup`; unset or empty means the default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str, default: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let bind = get("BIND", DEFAULT_BIND);
        Ok(Config {
            bind: bind.parse().map_err(|_| ConfigError::Bind(bind))?,
            audience: get("AUDIENCE", DEFAULT_AUDIENCE),
            issuer: get("PORTAL_ISSUER", DEFAULT_ISSUER),
            jwks_url: http_url("PORTAL_JWKS_URL", get("PORTAL_JWKS_URL", DEFAULT_JWKS_URL))?,
            portal_api_url: http_url(
                "PORTAL_API_URL",
                get("PORTAL_API_URL", DEFAULT_PORTAL_API_URL),
            )?,
            return_credential: get("RETURN_CREDENTIAL", DEFAULT_RETURN_CREDENTIAL),
            data_dir: PathBuf::from(get("DATA_DIR", DEFAULT_DATA_DIR)),
            inspection_credential: Some(get("INSPECTION_CREDENTIAL", "")).filter(|c| !c.is_empty()),
            ..Config::default()
        })
    }
}

fn http_url(name: &'static str, value: String) -> Result<Url, ConfigError> {
    match Url::parse(&value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(ConfigError::Url { name, value }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_unset_or_empty() {
        let c = Config::from_lookup(|n| (n == "AUDIENCE").then(|| " ".into())).unwrap();
        assert_eq!(c.bind.to_string(), DEFAULT_BIND);
        assert_eq!(c.audience, DEFAULT_AUDIENCE);
        assert_eq!(c.return_credential, DEFAULT_RETURN_CREDENTIAL);
        assert_eq!(c.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(
            c.inspection_credential, None,
            "inspection is off unless set"
        );
        let c = Config::from_lookup(|n| (n == "INSPECTION_CREDENTIAL").then(|| "geheim".into()))
            .unwrap();
        assert_eq!(c.inspection_credential.as_deref(), Some("geheim"));
    }

    #[test]
    fn refuses_bad_values() {
        let bind = Config::from_lookup(|n| (n == "BIND").then(|| "localhost".into()));
        assert!(matches!(bind, Err(ConfigError::Bind(_))));
        let url = Config::from_lookup(|n| (n == "PORTAL_API_URL").then(|| "ftp://x".into()));
        assert!(matches!(url, Err(ConfigError::Url { .. })));
    }
}
