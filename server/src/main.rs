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

const CLI: buergerportal::editor::content::Who<'static> = buergerportal::editor::content::Who {
    actor: "kommandozeile",
    now: 0,
};

fn cli_who() -> buergerportal::editor::content::Who<'static> {
    buergerportal::editor::content::Who {
        now: buergerportal::clock::now_unix(),
        ..CLI
    }
}

async fn tenant(
    config: &buergerportal::config::Config,
    action: buergerportal::config::TenantAction,
) -> Result<(), Box<dyn std::error::Error>> {
    use buergerportal::config::TenantAction as A;
    use buergerportal::operator;
    use buergerportal::tenancy::TenantStatus;
    match action {
        A::Onboard { ars, hosts, from } => {
            let (store, catalogue) = store_with_catalogue(config).await?;
            if let Some(file) = from {
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                let json: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: kein JSON: {e}", file.display()))?;
                let slug = operator::export::import(&store, &json, cli_who()).await?;
                println!("Mandant {slug} aus {} angelegt.", file.display());
                return Ok(());
            }
            let ars = buergerportal::keys::Ars::parse(ars.as_deref().unwrap_or(""))?;
            let candidate = operator::candidate(&catalogue, &ars)?;
            let hosts_for = |_: &str| hosts.clone();
            let done = operator::onboard(
                &store,
                std::slice::from_ref(&candidate),
                hosts_for,
                cli_who(),
                |_| {},
            )
            .await?;
            let Some(slug) = done.created.first() else {
                println!(
                    "{} ({}) ist schon ein Mandant; nichts geändert.",
                    candidate.name, candidate.ars
                );
                return Ok(());
            };
            let tenants = buergerportal::tenancy::Tenants::load(&store).await?;
            let t = tenants
                .by_slug(slug)
                .ok_or("angelegt, aber nicht gefunden")?;
            let token = operator::invite_first_admin(&store, t.scope(), cli_who()).await?;
            println!(
                "{} als Mandant „{slug}“ angelegt (Entwurf).",
                candidate.name
            );
            println!(
                "Einladung für die erste Verwaltung (einmal, 7 Tage): http://{}/redaktion/einladung/{token}",
                t.hosts.first().cloned().unwrap_or_default()
            );
        }
        A::OnboardLand { land, domain } => {
            let (store, catalogue) = store_with_catalogue(config).await?;
            let candidates = operator::land_candidates(&catalogue, &land)?;
            let bar = indicatif::ProgressBar::new(candidates.len() as u64);
            let started = std::time::Instant::now();
            let done = operator::onboard(
                &store,
                &candidates,
                |slug| vec![format!("{slug}.{domain}")],
                cli_who(),
                |n| bar.set_position(n as u64),
            )
            .await?;
            bar.finish_and_clear();
            if done.created.is_empty() {
                println!(
                    "Alle {} Verwaltungen des Landes {land} sind schon Mandanten; nichts geändert.",
                    done.unchanged
                );
            } else {
                println!(
                    "{} Mandanten als Entwurf angelegt, {} waren schon da ({:.1?}).",
                    done.created.len(),
                    done.unchanged,
                    started.elapsed()
                );
            }
        }
        A::GoLive { slug } => status(config, &slug, TenantStatus::Live).await?,
        A::Suspend { slug } => status(config, &slug, TenantStatus::Suspended).await?,
        A::Resume { slug } => status(config, &slug, TenantStatus::Live).await?,
        A::Host { slug, host } => {
            let (store, t) = tenant_store(config, &slug).await?;
            operator::move_host(&store, &t, &host, cli_who()).await?;
            println!(
                "{slug} ist jetzt unter {host} erreichbar; die bisherigen Namen leiten dorthin um."
            );
        }
        A::Export { slug, file } => {
            let (store, t) = tenant_store(config, &slug).await?;
            let json = operator::export::export(&store, &t).await?;
            std::fs::write(&file, serde_json::to_string_pretty(&json)?)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            println!("{slug} exportiert nach {}.", file.display());
        }
        A::Delete { slug } => {
            let (store, t) = tenant_store(config, &slug).await?;
            let report = operator::delete(&store, &t, cli_who()).await?;
            println!("{slug} gelöscht. Entfernte Zeilen:");
            for (table, n) in report {
                println!("  {table:<28} {n}");
            }
        }
    }
    Ok(())
}

async fn status(
    config: &buergerportal::config::Config,
    slug: &str,
    status: buergerportal::tenancy::TenantStatus,
) -> Result<(), Box<dyn std::error::Error>> {
    let (store, t) = tenant_store(config, slug).await?;
    buergerportal::operator::set_status(&store, &t, status, cli_who()).await?;
    println!("{slug}: {}", status.label());
    Ok(())
}

type Prepared = (
    buergerportal::store::Store,
    std::sync::Arc<buergerportal::catalogue::Catalogue>,
);

async fn store_with_catalogue(
    config: &buergerportal::config::Config,
) -> Result<Prepared, Box<dyn std::error::Error>> {
    let (store, _, catalogue) = buergerportal::prepare(config).await?;
    Ok((store, catalogue))
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
        Command::Catalogue { action } => {
            buergerportal::catalogue::exchange::run(&config, action).await?
        }
        Command::ImportDldb {
            tenant,
            services,
            locations,
        } => {
            let (store, tenants, catalogue) = buergerportal::prepare(&config).await?;
            let t = tenants
                .by_slug(&tenant)
                .ok_or_else(|| format!("Kein Mandant „{tenant}“."))?;
            let who = buergerportal::editor::content::Who {
                actor: buergerportal::editor::dldb::IMPORT_ACTOR,
                now: buergerportal::clock::now_unix(),
            };
            let report = buergerportal::editor::dldb::import_files(
                &store, &catalogue, t, &services, &locations, who,
            )
            .await?;
            println!("{report}");
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
        Command::Tenant { action } => tenant(&config, action).await?,
        Command::OperatorGrant { issuer, subject } => {
            let store = buergerportal::store::Store::connect(&config.database_url()).await?;
            store.migrate().await?;
            let now = buergerportal::clock::now_unix();
            let id = buergerportal::editor::upsert_editor(&store, &issuer, &subject, "", "", now)
                .await?;
            buergerportal::operator::grant_operator(&store, &id, now).await?;
            println!("{subject} betreibt jetzt die Plattform.");
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
        Command::Links {
            action:
                buergerportal::config::LinksAction::Check {
                    timeout_secs,
                    parallel,
                    internal,
                },
        } => {
            let (store, catalogue) = store_with_catalogue(&config).await?;
            let tenants = buergerportal::tenancy::Tenants::load(&store).await?;
            let limits = buergerportal::operator::links::Limits {
                timeout: std::time::Duration::from_secs(timeout_secs.max(1)),
                parallel,
                internal,
                ..Default::default()
            };
            let urls = buergerportal::operator::links::all_urls(&catalogue, &tenants);
            let bar = indicatif::ProgressBar::new(urls.len() as u64);
            let results = buergerportal::operator::links::check(&urls, limits, |n| {
                bar.set_position(n as u64)
            })
            .await;
            bar.finish_and_clear();
            buergerportal::operator::links::record(
                &store,
                &results,
                buergerportal::clock::now_unix(),
            )
            .await?;
            for (outcome, n) in buergerportal::operator::links::summary(&results) {
                println!("{n:>6}  {}", outcome.label());
            }
            for r in results
                .iter()
                .filter(|r| r.outcome != buergerportal::operator::links::Outcome::Ok)
            {
                println!("{}  {}  {}", r.outcome.as_str(), r.url, r.detail);
            }
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
