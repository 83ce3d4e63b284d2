use buergerportal::config::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_target(false)
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Fehler: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = cli.config;
    match cli.command {
        Command::Serve => buergerportal::http::serve(config).await?,
        Command::Migrate => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
        }
        Command::Import => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let paths = buergerportal::catalogue::ImportPaths::from_config(&config);
            let outcome = buergerportal::catalogue::import(&store, &paths).await?;
            buergerportal::report(&outcome);
            println!("{outcome:?}");
        }
        Command::KeysRotate => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let kid =
                buergerportal::handoff::keys::rotate(&store, buergerportal::clock::now_unix())
                    .await?;
            println!("Neuer Signaturschlüssel {kid}; laufende Server übernehmen ihn binnen einer Minute.");
        }
        Command::SenderAdd { name, credential } => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let (id, credential) = buergerportal::postfach::add_sender(
                &store,
                &name,
                credential,
                buergerportal::clock::now_unix(),
            )
            .await?;
            println!("Absender {name} angelegt (id {id}).");
            println!("Zugangsdaten (nur jetzt sichtbar): {credential}");
        }
    }
    Ok(())
}
