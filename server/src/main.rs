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

/// The store (migrated) and a tenant by slug, for commands about one tenant.
async fn tenant_store(
    config: &buergerportal::config::Config,
    slug: &str,
) -> Result<
    (
        buergerportal::store::Store,
        std::sync::Arc<buergerportal::tenancy::Tenant>,
    ),
    Box<dyn std::error::Error>,
> {
    let store = buergerportal::store::Store::connect(&config.database_url()).await?;
    store.migrate().await?;
    buergerportal::tenancy::seed_from_dir(&store, &config.tenants_dir).await?;
    let tenants = buergerportal::tenancy::Tenants::load(&store).await?;
    let tenant = tenants
        .by_slug(slug)
        .cloned()
        .ok_or_else(|| format!("Kein Mandant „{slug}“."))?;
    Ok((store, tenant))
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
        Command::CatalogueCoverage { lebenslagen } => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let catalogue = buergerportal::catalogue::Catalogue::load(&store)
                .await?
                .ok_or("Noch kein Katalog importiert: zuerst `buergerportal import`.")?;
            print!(
                "{}",
                buergerportal::catalogue::coverage::coverage(&catalogue).report(lebenslagen)
            );
        }
        Command::KeysRotate => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let sealer = buergerportal::handoff::keys::Sealer::from_config(&config)?
                .ok_or("SIGNING_KEY_ENCRYPTION_KEY (oder _FILE) ist nicht gesetzt: ohne ihn gibt es keine Signaturschlüssel.")?;
            let kid = buergerportal::handoff::keys::rotate(
                &store,
                &sealer,
                buergerportal::clock::now_unix(),
            )
            .await?;
            println!("Neuer Signaturschlüssel {kid}; laufende Server übernehmen ihn binnen einer Minute.");
        }
        Command::SenderAdd {
            name,
            areas,
            credential,
        } => {
            let areas = areas
                .iter()
                .map(|a| buergerportal::postfach::parse_area(a))
                .collect::<Result<Vec<_>, _>>()?;
            if !config.demo
                && credential
                    .as_deref()
                    .map(buergerportal::postfach::credential_sha256)
                    .as_deref()
                    == Some(buergerportal::handoff::providers::DEMO_CREDENTIAL_SHA256)
            {
                return Err(
                    "Die veröffentlichte Demo-Zugangskennung gilt nur im Demo-Modus (DEMO=true)."
                        .into(),
                );
            }
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let (id, credential) = buergerportal::postfach::add_sender(
                &store,
                &name,
                &areas,
                credential,
                buergerportal::clock::now_unix(),
            )
            .await?;
            println!(
                "Absender {name} angelegt (id {id}), Gebiete: {}.",
                areas.join(", ")
            );
            println!("Zugangsdaten (nur jetzt sichtbar): {credential}");
        }
        Command::EditorGrant {
            tenant,
            issuer,
            subject,
            role,
        } => {
            let role = buergerportal::editor::Role::parse(&role)
                .ok_or("--role muss admin oder editor sein")?;
            let (store, t) = tenant_store(&config, &tenant).await?;
            let now = buergerportal::clock::now_unix();
            let editor =
                buergerportal::editor::upsert_editor(&store, &issuer, &subject, "", "", now)
                    .await?;
            let who = buergerportal::editor::content::Who {
                actor: "kommandozeile",
                now,
            };
            buergerportal::editor::grant(&store, t.scope(), &editor, role, who).await?;
            println!("{subject} hat in {tenant} die Rolle {}.", role.as_str());
        }
        Command::EditorRevoke {
            tenant,
            issuer,
            subject,
        } => {
            let (store, t) = tenant_store(&config, &tenant).await?;
            let who = buergerportal::editor::content::Who {
                actor: "kommandozeile",
                now: buergerportal::clock::now_unix(),
            };
            let editor = buergerportal::editor::editor_by_identity(&store, &issuer, &subject)
                .await?
                .ok_or_else(|| format!("{subject} ist bei {issuer} nicht bekannt."))?;
            if !buergerportal::editor::revoke(&store, t.scope(), &editor, who).await? {
                return Err(format!("{subject} hat in {tenant} keine Rolle.").into());
            }
            println!("{subject} hat in {tenant} keine Rolle mehr.");
        }
        Command::SenderRevoke { sender } => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            match buergerportal::postfach::revoke_sender(
                &store,
                &sender,
                buergerportal::clock::now_unix(),
            )
            .await?
            {
                0 => return Err(format!("Kein aktiver Absender „{sender}“.").into()),
                n => {
                    println!("{n} Absender gesperrt; die Zugangsdaten gelten ab sofort nicht mehr.")
                }
            }
        }
    }
    Ok(())
}
