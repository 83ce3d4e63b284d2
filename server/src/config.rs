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
    /// Import the catalogue from the source directory (unchanged sources change nothing).
    Import,
    /// Apply database migrations and exit.
    Migrate,
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
    /// Directory with the catalogue sources (`sources/`, `demo/`).
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
