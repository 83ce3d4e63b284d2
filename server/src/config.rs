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
    /// Import a municipality's service database export (DLDB) as drafts of a tenant's local content.
    ImportDldb {
        /// The tenant's slug, e.g. `muenchen`.
        #[arg(long)]
        tenant: String,
        /// The export's `services_de.json`.
        services: std::path::PathBuf,
        /// The export's `locations_de.json`.
        locations: std::path::PathBuf,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// The shared catalogue from XZuFi 2.2: import, history, rollback.
    Catalogue {
        #[command(subcommand)]
        action: CatalogueAction,
    },
    /// Print how many services have a responsible office: by sourced rule, imported, none.
    CatalogueCoverage {
        /// One line per Lebenslage, too.
        #[arg(long)]
        lebenslagen: bool,
    },
    /// Create a new key for hand-off tokens; the old one stays published for a week.
    KeysRotate,
    /// Issue a credential for a Postfach sender (an authority) that delivers into its areas.
    SenderAdd {
        /// The sender's name as citizens see it, e.g. "Stadt Kiel, Bürgeramt".
        #[arg(long)]
        name: String,
        /// An area the sender may deliver into: an ARS prefix (2, 3, 5, 9 or 12
        /// digits) or `bund`; repeat for several. Citizens are reached by where
        /// their Servicekonto address was at their last login.
        #[arg(long = "area", required = true)]
        areas: Vec<String>,
        /// Use this credential instead of a random one (for demos and tests only).
        #[arg(long, env = "SENDER_CREDENTIAL", hide_env_values = true)]
        credential: Option<String>,
    },
    /// The life of a tenant: onboard, go live, suspend, resume, export, delete.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Make a person (issuer + subject at the editors' identity provider) an operator.
    OperatorGrant {
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
    },
    /// Give a person (issuer + subject at the editors' identity provider) a role in a tenant.
    EditorGrant {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
        /// `admin` (publishes, manages editors, settings) or `editor` (drafts).
        #[arg(long)]
        role: String,
    },
    /// Take a person's role in a tenant away.
    EditorRevoke {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        subject: String,
    },
    /// Disable a Postfach sender (by id or name): its credential stops working at once.
    SenderRevoke {
        /// The sender's id or name.
        sender: String,
    },
    /// Check every online-service link of the platform.
    Links {
        #[command(subcommand)]
        action: LinksAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum LinksAction {
    /// Request every link (timeout, redirect limit), record and print the result.
    Check {
        /// Seconds before a link counts as slow.
        #[arg(long, default_value_t = 10)]
        timeout_secs: u64,
        /// Links checked at the same time.
        #[arg(long, default_value_t = 8)]
        parallel: usize,
        /// Also request addresses that are not public (loopback, private networks).
        #[arg(long, env = "LINK_CHECK_INTERNAL", default_value_t = false)]
        internal: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogueAction {
    /// Import XZuFi 2.2 messages (schreibe, loesche) from a file, a folder or a URL.
    Import {
        /// A file, a folder of `*.xml` files, or an http(s) URL.
        #[arg(long)]
        xzufi: String,
        /// Show what would change (per class, with examples) and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List every catalogue import: who, when, source, counts.
    History,
    /// Restore the catalogue as it was before the newest XZuFi import.
    Rollback,
}

#[derive(Debug, Subcommand)]
pub enum TenantAction {
    /// Onboard a Gemeinde, Amt, Verband or Kreis from the official register as a draft
    /// (or again from an export file), and print an invitation for its first admin.
    Onboard {
        /// Regionalschlüssel: 12 digits (Gemeinde), 9 (Gemeindeverband), 5 (Kreis).
        #[arg(long, required_unless_present = "from")]
        ars: Option<String>,
        /// Host names of the portal (repeat for several).
        #[arg(long = "host", required_unless_present = "from")]
        hosts: Vec<String>,
        /// A file written by `tenant export`.
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Onboard every administration of a Land (each Amt and Verband, each
    /// verbandsfreie Gemeinde and kreisfreie Stadt, each Kreis) as drafts.
    OnboardLand {
        /// Two-digit Land key, e.g. 01 for Schleswig-Holstein.
        land: String,
        /// Host suffix: each portal gets `<slug>.<domain>`.
        #[arg(long)]
        domain: String,
    },
    /// Put a draft portal online (only when its checklist is done).
    GoLive {
        slug: String,
    },
    /// Show citizens a maintenance page; editors keep access.
    Suspend {
        slug: String,
    },
    Resume {
        slug: String,
    },
    /// Give the portal a new host name; its former ones redirect there.
    Host {
        slug: String,
        host: String,
    },
    /// Write everything the tenant owns into one JSON file.
    Export {
        slug: String,
        file: PathBuf,
    },
    /// Delete the tenant and everything it owns; prints what was removed.
    Delete {
        slug: String,
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
    /// Check every online-service link this often (hours); 0: only `links check`.
    #[arg(long, env = "LINK_CHECK_HOURS", default_value_t = 0)]
    pub link_check_hours: u64,
    /// Let the link check request addresses that are not public (loopback,
    /// private networks): only for closed networks and tests.
    #[arg(long, env = "LINK_CHECK_INTERNAL", default_value_t = false)]
    pub link_check_internal: bool,
    /// Prometheus metrics at `/metrics` on this address (e.g. 127.0.0.1:9100); unset: off.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
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
    /// Demo mode: the demo form provider and its published credential are live.
    /// Never in production; `scripts/demo.sh` sets it.
    #[arg(long, env = "DEMO", default_value_t = false)]
    pub demo: bool,
    #[command(flatten)]
    pub limits: Limits,
    /// The portal is reached over HTTPS (behind a TLS proxy): Secure cookies, https redirect URIs.
    #[arg(long, env = "PUBLIC_HTTPS", default_value_t = false)]
    pub public_https: bool,
    #[command(flatten)]
    pub oidc: OidcSettings,
    #[command(flatten)]
    pub editor_oidc: EditorOidcSettings,
    /// One login callback for every tenant: the host (with its port, as the
    /// browser sees it) where the Servicekonto returns; unset: each tenant's host.
    #[arg(long, env = "LOGIN_HOST")]
    pub login_host: Option<String>,
    /// Host names of the operator console (comma separated); never a tenant's host.
    #[arg(long, env = "OPERATOR_HOSTS", value_delimiter = ',')]
    pub operator_hosts: Vec<String>,
    /// The operator's form providers (TOML). Unset: none, except in demo mode,
    /// which uses the demo provider in `catalogue/formularanbieter.toml`.
    #[arg(long, env = "FORM_PROVIDERS_FILE")]
    pub form_providers_file: Option<PathBuf>,
    /// 32 random bytes in base64: encrypts the hand-off signing keys at rest.
    /// Without it (or the file) and outside demo mode, hand-offs are off.
    #[arg(long, env = "SIGNING_KEY_ENCRYPTION_KEY", hide_env_values = true)]
    pub signing_key_encryption_key: Option<String>,
    /// A file holding `SIGNING_KEY_ENCRYPTION_KEY` (for secrets mounted as files).
    #[arg(long, env = "SIGNING_KEY_ENCRYPTION_KEY_FILE")]
    pub signing_key_encryption_key_file: Option<PathBuf>,
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

/// The operator's identity provider for editors (and later operators): a
/// client separate from the citizens' Servicekonto. Without an issuer there
/// is no editor login.
#[derive(Debug, Clone, Args, Default)]
pub struct EditorOidcSettings {
    #[arg(
        id = "editor_oidc_issuer",
        long = "editor-oidc-issuer",
        env = "EDITOR_OIDC_ISSUER"
    )]
    pub issuer: Option<String>,
    #[arg(
        id = "editor_oidc_client_id",
        long = "editor-oidc-client-id",
        env = "EDITOR_OIDC_CLIENT_ID",
        default_value = "redaktion"
    )]
    pub client_id: String,
    #[arg(
        id = "editor_oidc_client_secret",
        long = "editor-oidc-client-secret",
        env = "EDITOR_OIDC_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
}

/// Bounds on what one client or one request may cost.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Memory for rendered pages, in MiB, over all tenants.
    #[arg(long, env = "PAGE_CACHE_MB", default_value_t = 256)]
    pub page_cache_mb: u64,
    /// Memory for one tenant's rendered pages, in MiB: one tenant's traffic
    /// never evicts another tenant's pages.
    #[arg(long, env = "PAGE_CACHE_TENANT_MB", default_value_t = 4)]
    pub page_cache_tenant_mb: u64,
    /// Memory for search results and the JSON answers made of them, in MiB,
    /// so that queries asked again cost a lookup.
    #[arg(long, env = "SEARCH_CACHE_MB", default_value_t = 32)]
    pub search_cache_mb: u64,
    /// Seconds at least between two updates of search popularity from page
    /// views; each update makes the cached results of every query stale.
    #[arg(long, env = "SEARCH_POPULARITY_SECS", default_value_t = 60)]
    pub search_popularity_secs: u64,
    /// Seconds a client may take to send a request's headers; also how long an
    /// idle keep-alive connection stays open.
    #[arg(long, env = "HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request body.
    #[arg(long, env = "BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Seconds a request may take in all before it is answered with 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Requests served at the same time; more are refused with 503 at once.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = 1024)]
    pub max_concurrent_requests: usize,
    /// Logins started per client and minute.
    #[arg(long, env = "RATE_LOGIN_PER_MINUTE", default_value_t = 30)]
    pub rate_login_per_minute: u32,
    /// Search and suggestion API requests per client and second (burst: twice as many).
    #[arg(long, env = "RATE_SEARCH_PER_SECOND", default_value_t = 20)]
    pub rate_search_per_second: u32,
    /// Delivery API requests (Postfach, return channel) per client and second.
    #[arg(long, env = "RATE_API_PER_SECOND", default_value_t = 20)]
    pub rate_api_per_second: u32,
    /// Largest XZuFi file (or download) `catalogue import` reads, in bytes.
    #[arg(long, env = "CATALOGUE_MAX_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub catalogue_max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            page_cache_mb: 256,
            page_cache_tenant_mb: 4,
            search_cache_mb: 32,
            search_popularity_secs: 60,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            request_timeout_secs: 30,
            max_concurrent_requests: 1024,
            rate_login_per_minute: 30,
            rate_search_per_second: 20,
            rate_api_per_second: 20,
            catalogue_max_bytes: 64 * 1024 * 1024,
        }
    }
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

/// The demo form provider's file in `CATALOGUE_DIR`; its credential is published in the repository.
pub const DEMO_PROVIDERS_FILE: &str = "formularanbieter.toml";

impl Config {
    /// The form providers' file: the configured one, or in demo mode the demo file.
    pub fn providers_file(&self) -> Option<PathBuf> {
        self.form_providers_file.clone().or_else(|| {
            self.demo
                .then(|| self.catalogue_dir.join(DEMO_PROVIDERS_FILE))
        })
    }

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

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
