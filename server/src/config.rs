//! Configuration from flags and environment variables, with safe defaults.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "buergerportal",
    version,
    about = "Der Bürgerportal-Server: ein Portal je Kommune"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, seed missing tenants, import the catalogue if none is loaded, and serve.
    Serve,
    /// Import the catalogue from SOURCES_DIR and CATALOGUE_DIR (unchanged sources change nothing).
    Import,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a new key for hand-off tokens; the old one stays published for a week.
    KeysRotate,
    /// Issue a credential for a Postfach sender (an authority or form provider).
    SenderAdd {
        /// The sender's name as citizens see it, e.g. "Stadt Kiel, Bürgeramt".
        #[arg(long)]
        name: String,
        /// Use this credential instead of a random one (for demos and tests only).
        #[arg(long, env = "SENDER_CREDENTIAL")]
        credential: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,
    /// sqlite:… or postgres://…; unset means a SQLite file under DATA_DIR.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the embedded database.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory with one `<slug>.toml` per tenant to seed.
    #[arg(long, env = "TENANTS_DIR", default_value = "tenants")]
    pub tenants_dir: PathBuf,
    /// The public source data, one folder per source (as in `../shared/data/raw`);
    /// read by `import` and by `serve` on a database without a catalogue.
    #[arg(long, env = "SOURCES_DIR", default_value = "../shared/data/raw")]
    pub sources_dir: PathBuf,
    /// The project's own catalogue files: demo texts, search lexicon and synonyms.
    #[arg(long, env = "CATALOGUE_DIR", default_value = "catalogue")]
    pub catalogue_dir: PathBuf,
    /// Directory with fonts, icons and logos.
    #[arg(long, env = "ASSETS_DIR", default_value = "assets")]
    pub assets_dir: PathBuf,
    /// Trust X-Forwarded-Host (only behind a proxy that sets it).
    #[arg(long, env = "TRUST_FORWARDED_HOST", default_value_t = false)]
    pub trust_forwarded_host: bool,
    /// How many rendered pages to keep in memory.
    #[arg(long, env = "PAGE_CACHE_ENTRIES", default_value_t = 20_000)]
    pub page_cache_entries: usize,
    /// The portal is reached over HTTPS (behind a TLS proxy): Secure cookies, https redirect URIs.
    #[arg(long, env = "PUBLIC_HTTPS", default_value_t = false)]
    pub public_https: bool,
    #[command(flatten)]
    pub oidc: OidcSettings,
    /// The operator's form providers (TOML); a missing file means none.
    #[arg(
        long,
        env = "FORM_PROVIDERS_FILE",
        default_value = "catalogue/formularanbieter.toml"
    )]
    pub form_providers_file: PathBuf,
    /// `iss` of hand-off tokens: how form providers know the tokens come from this platform.
    #[arg(
        long,
        env = "HANDOFF_ISSUER",
        default_value = "http://buergerportal.localhost"
    )]
    pub handoff_issuer: String,
    /// A session ends after this many minutes without a request.
    #[arg(long, env = "SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: i64,
    /// A session ends this many minutes after login, active or not.
    #[arg(long, env = "SESSION_MAX_MINUTES", default_value_t = 720)]
    pub session_max_minutes: i64,
}

/// The eIDAS levels of assurance, as the test Servicekonto and many providers use them.
pub const DEFAULT_ACR_VALUES: &str = "basisregistrierung=http://eidas.europa.eu/LoA/low,substantiell=http://eidas.europa.eu/LoA/substantial,hoch=http://eidas.europa.eu/LoA/high";

/// The Servicekonto (OpenID Connect provider). Without an issuer there is no login.
#[derive(Debug, Clone, Args)]
pub struct OidcSettings {
    /// Issuer URL, exactly as in the provider's discovery document.
    #[arg(long = "oidc-issuer", env = "OIDC_ISSUER")]
    pub issuer: Option<String>,
    #[arg(
        long = "oidc-client-id",
        env = "OIDC_CLIENT_ID",
        default_value = "buergerportal"
    )]
    pub client_id: String,
    #[arg(
        long = "oidc-client-secret",
        env = "OIDC_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Trust level to acr value(s): `level=acr`, comma separated; the first per level is requested.
    #[arg(
        long = "oidc-acr-values",
        env = "OIDC_ACR_VALUES",
        default_value = DEFAULT_ACR_VALUES
    )]
    pub acr_values: String,
    /// Where citizens change their data at the provider (shown in Mein Bereich).
    #[arg(long = "oidc-account-url", env = "OIDC_ACCOUNT_URL")]
    pub account_url: Option<String>,
}

impl Config {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}/buergerportal.db?mode=rwc",
                self.data_dir.display()
            ),
        }
    }
}

impl OidcSettings {
    /// No Servicekonto: the portal offers no login.
    pub fn none() -> OidcSettings {
        OidcSettings {
            issuer: None,
            client_id: "buergerportal".into(),
            client_secret: None,
            acr_values: DEFAULT_ACR_VALUES.into(),
            account_url: None,
        }
    }
}
