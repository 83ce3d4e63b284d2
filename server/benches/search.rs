//! Search at Germany scale: our search against PostgreSQL full-text search.
//!
//! `cargo bench -p buergerportal --bench search` builds a Germany-scale data set in a
//! fresh PostgreSQL database: the real catalogue with responsibilities generated for
//! all 16 Länder, local variants of real services to pass 5,000 services, and every
//! Gemeinde of the register as a tenant. It starts the portal on that database as a
//! child process, serves the baseline (PostgreSQL full-text search, `german`
//! configuration, GIN index) over HTTP from this process, measures the relevance of
//! both on the labelled queries and loads both with `wrk`.
//!
//! Goals: p99 of the search endpoint below 10 ms, at least ten times the baseline's
//! throughput, and a top-3 hit rate above the baseline's.
//!
//! Env: `BENCH_SECONDS` (default 10) is the length of each measured run;
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) is
//! the administrative connection used to create and drop the bench database.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use buergerportal::catalogue::{self, generate::municipality_name, Catalogue, ImportOutcome};
use buergerportal::http::{Content, SearchConfig};
use buergerportal::keys::{Ars, LeikaKey};
use buergerportal::search::baseline;
use buergerportal::search::{SearchRequest, TenantSignals};
use buergerportal::store::{insert_rows, int, text, Store, Value};
use std::error::Error;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

mod support;
use support::{apt, bench_seconds, fmt_us, free_addr, parse_duration_us, Guard};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const DATABASE: &str = "bp_bench_germany";
/// Local variants of real services added to the catalogue ("… (örtliche Regelung)").
const GENERATED_SERVICES: i64 = 400;
/// LeiKa keys of the generated services: `9999` and a 10-digit number, unused by the LeiKa.
const GENERATED_PREFIX: &str = "9999";
const HOST_SUFFIX: &str = ".bench.localhost";
/// How many tenants the load is spread over.
const LOAD_HOSTS: usize = 200;
/// The tenant whose search is scored for relevance: Landeshauptstadt München.
const RELEVANCE_ARS: &str = "091620000000";
/// How often the in-process profile runs each labelled query.
const PROFILE_ROUNDS: usize = 5;
const WARMUP_SECONDS: u64 = 2;
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 32;
const BASELINE_LIMIT: i64 = 10;
const GOAL_P99_US: f64 = 10_000.0;
const GOAL_THROUGHPUT_RATIO: f64 = 10.0;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("search bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    ensure_wrk()?;
    let seconds = bench_seconds()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(create_database())?;
    let outcome = bench(&rt, seconds);
    let dropped = rt.block_on(drop_database());
    outcome?;
    dropped
}

fn bench(rt: &Runtime, seconds: u64) -> Result<()> {
    let repo = repo();
    let store = rt.block_on(Store::connect(&database_url(DATABASE)))?;
    let data = rt.block_on(build_data_set(&store, &repo))?;
    data.print();
    let queries = labelled()?;
    let (index, content) = rt.block_on(measure_index_build(&store, &repo))?;
    index.print();
    profile_in_process(&content, &queries)?.print();
    drop(content);
    let hosts = rt.block_on(load_hosts(&store))?;
    let mut portal = rt.block_on(Portal::start(&repo))?;
    let started = Instant::now();
    rt.block_on(baseline::prepare(&store))?;
    println!("baseline GIN index built in {:.1?}", started.elapsed());
    let baseline_addr = rt.block_on(serve_baseline(store.clone()))?;
    let relevance_host = rt.block_on(relevance_host(&store))?;
    let ours = rt.block_on(relevance_ours(portal.addr, &relevance_host, &queries))?;
    let pg = rt.block_on(relevance_baseline(&store, &queries))?;
    print_slowest(&ours, &pg);
    let idle = portal.memory()?;
    let ours_load = measure_load(&Engine::ours(portal.addr), &queries, &hosts, seconds)?;
    let loaded = portal.memory()?;
    let pg_load = measure_load(&Engine::baseline(baseline_addr), &queries, &hosts, seconds)?;
    let curve = latency_curve(
        [&Engine::ours(portal.addr), &Engine::baseline(baseline_addr)],
        &queries,
        &hosts,
        seconds,
    )?;
    portal.ensure_running()?;
    drop(portal);
    rt.block_on(store.close());
    print_report(&Report {
        seconds,
        relevance_host,
        memory: [idle, loaded],
        rows: [
            ("our search", &ours_load, &ours),
            ("PostgreSQL FTS", &pg_load, &pg),
        ],
    });
    print_curve(&curve, seconds);
    Ok(())
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

// ---------------------------------------------------------------- tools

fn ensure_wrk() -> Result<()> {
    if wrk_present() {
        return Ok(());
    }
    eprintln!("wrk missing; installing it with apt-get …");
    let installed = apt(&["install", "-y", "--no-install-recommends", "wrk"])
        || (apt(&["update"]) && apt(&["install", "-y", "--no-install-recommends", "wrk"]));
    if installed && wrk_present() {
        return Ok(());
    }
    Err("this benchmark needs `wrk`; install it, e.g. `apt-get install -y wrk`".into())
}

fn wrk_present() -> bool {
    Command::new("wrk")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

// ---------------------------------------------------------------- database

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn database_url(name: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

async fn admin(sql: &str) -> Result<()> {
    let store = Store::connect(&admin_url()).await?;
    let result = sqlx::query(sql).execute(store.pool()).await;
    store.close().await;
    result?;
    Ok(())
}

async fn create_database() -> Result<()> {
    admin(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).await?;
    admin(&format!("CREATE DATABASE {DATABASE}")).await
}

async fn drop_database() -> Result<()> {
    admin(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")).await
}

async fn count(store: &Store, sql: &str) -> Result<i64> {
    let row = sqlx::query(&format!("SELECT CAST(({sql}) AS BIGINT) AS n"))
        .fetch_one(store.pool())
        .await?;
    Ok(int(&row, "n")?.unwrap_or(0))
}

// ---------------------------------------------------------------- data set

/// How long each step of building the data set took.
struct BuildTimes {
    import: Duration,
    services: Duration,
    tenants: Duration,
}

struct DataSet {
    times: BuildTimes,
    tenants: i64,
    services: i64,
    generated: i64,
    offices: i64,
    responsibilities: Vec<(&'static str, i64)>,
    regions: i64,
    gemeinden: i64,
}

impl DataSet {
    fn print(&self) {
        let total: i64 = self.responsibilities.iter().map(|(_, n)| n).sum();
        let levels: Vec<String> = self
            .responsibilities
            .iter()
            .map(|(level, n)| format!("{level} {n}"))
            .collect();
        println!();
        println!("Germany-scale data set (PostgreSQL database {DATABASE}):");
        println!(
            "  tenants:          {} ({} Gemeinden of the register + the demo tenants)",
            self.tenants, self.gemeinden
        );
        println!(
            "  services:         {} ({} real + {} generated local variants)",
            self.services,
            self.services - self.generated,
            self.generated
        );
        println!("  responsibilities: {total} ({})", levels.join(", "));
        println!("  offices:          {}", self.offices);
        println!(
            "  regions:          {} ({} Gemeinden)",
            self.regions, self.gemeinden
        );
        let t = &self.times;
        println!(
            "  built in:         {:.1?} (catalogue import for 16 Länder {:.1?}, generated services {:.1?}, tenants {:.1?})",
            t.import + t.services + t.tenants,
            t.import,
            t.services,
            t.tenants
        );
    }
}

async fn build_data_set(store: &Store, repo: &Path) -> Result<DataSet> {
    store.migrate().await?;
    buergerportal::tenancy::seed_from_dir(store, &repo.join("tenants")).await?;
    let started = Instant::now();
    let paths = catalogue::ImportPaths {
        sources_dir: catalogue::sources::sources_dir_for_tests(),
        catalogue_dir: repo.join("catalogue"),
    };
    import_catalogue(store, &paths).await?;
    let import = started.elapsed();
    let started = Instant::now();
    add_generated_services(store).await?;
    let services = started.elapsed();
    let started = Instant::now();
    add_tenants(store).await?;
    let tenants = started.elapsed();
    let times = BuildTimes {
        import,
        services,
        tenants,
    };
    count_data_set(store, times).await
}

async fn import_catalogue(store: &Store, paths: &catalogue::ImportPaths) -> Result<()> {
    let lands: Vec<String> = (1..=16).map(|l| format!("{l:02}")).collect();
    match catalogue::import_for(store, paths, &lands).await? {
        ImportOutcome::Imported { summary, .. } => println!("catalogue imported: {summary}"),
        ImportOutcome::Unchanged { .. } => return Err("fresh database had a catalogue".into()),
    }
    Ok(())
}

/// The real services the local variants are made from: a fixed pseudo-random sample.
fn variants_cte() -> String {
    format!(
        "WITH v AS (SELECT leika AS origin, '{GENERATED_PREFIX}' || \
         lpad(CAST(ROW_NUMBER() OVER (ORDER BY md5(leika)) AS TEXT), 10, '0') AS leika \
         FROM leistungen WHERE source <> 'generated' ORDER BY md5(leika) LIMIT {GENERATED_SERVICES})"
    )
}

/// Adds local variants of real services, deterministically, in one transaction.
async fn add_generated_services(store: &Store) -> Result<()> {
    let v = variants_cte();
    let services = format!(
        "{v} INSERT INTO leistungen (leika, name, catalogue_name, slug, ozg_id, ozg_name, \
         leika_type, legal_basis, short_text, long_text, fees, documents, deadlines, \
         processing_time, keywords, source) \
         SELECT v.leika, l.name || ' (örtliche Regelung)', l.catalogue_name, \
         l.slug || '-oertliche-regelung', l.ozg_id, l.ozg_name, l.leika_type, l.legal_basis, \
         '', 'Örtliche Regelung zu: ' || l.name || '. ' || l.short_text, '[]', '[]', '', '', \
         l.keywords, 'generated' FROM v JOIN leistungen l ON l.leika = v.origin"
    );
    let lebenslagen = format!(
        "{v} INSERT INTO leistung_lebenslagen (leika, lebenslage) \
         SELECT v.leika, ll.lebenslage FROM v JOIN leistung_lebenslagen ll ON ll.leika = v.origin"
    );
    let mut tx = store.pool().begin().await?;
    sqlx::query(&services).execute(&mut *tx).await?;
    sqlx::query(&lebenslagen).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// One tenant per Gemeinde of the register, with the configuration of a demo tenant.
async fn add_tenants(store: &Store) -> Result<()> {
    let config = sqlx::query("SELECT config FROM tenants WHERE slug = 'kiel'")
        .fetch_one(store.pool())
        .await?;
    let config = text(&config, "config")?;
    let now = buergerportal::clock::now_rfc3339();
    let rows: Vec<Vec<Value>> = gemeinden(store)
        .await?
        .into_iter()
        .map(|g| {
            vec![
                format!("g{}", g.ags).into(),
                g.name.into(),
                "gemeinde".into(),
                g.ars.into(),
                config.clone().into(),
                1.into(),
                now.clone().into(),
            ]
        })
        .collect();
    let columns = [
        "slug",
        "name",
        "kind",
        "ars",
        "config",
        "version",
        "updated_at",
    ];
    let mut tx = store.pool().begin().await?;
    insert_rows(&mut tx, "tenants", &columns, rows).await?;
    sqlx::query(&format!(
        "INSERT INTO tenant_hosts (host, tenant_id) SELECT slug || '{HOST_SUFFIX}', id \
         FROM tenants WHERE slug ~ '^g[0-9]{{8}}$'"
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

struct Gemeinde {
    ars: String,
    ags: String,
    name: String,
}

async fn gemeinden(store: &Store) -> Result<Vec<Gemeinde>> {
    let rows = sqlx::query(
        "SELECT ars, ags, name, type_code FROM regions WHERE level = 'gemeinde' ORDER BY ars",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Gemeinde {
                ars: text(r, "ars")?,
                ags: text(r, "ags")?,
                name: municipality_name(&text(r, "name")?, int(r, "type_code")?),
            })
        })
        .collect()
}

async fn count_data_set(store: &Store, times: BuildTimes) -> Result<DataSet> {
    let mut responsibilities = Vec::new();
    for (level, digits) in [
        ("Bund", 0),
        ("Land", 2),
        ("Kreis", 5),
        ("Gemeindeverband", 9),
        ("Gemeinde", 12),
    ] {
        let sql = format!("SELECT COUNT(*) FROM zustaendigkeiten WHERE length(area) = {digits}");
        responsibilities.push((level, count(store, &sql).await?));
    }
    Ok(DataSet {
        times,
        tenants: count(store, "SELECT COUNT(*) FROM tenants").await?,
        services: count(store, "SELECT COUNT(*) FROM leistungen").await?,
        generated: count(
            store,
            "SELECT COUNT(*) FROM leistungen WHERE source = 'generated'",
        )
        .await?,
        offices: count(store, "SELECT COUNT(*) FROM organisationseinheiten").await?,
        responsibilities,
        regions: count(store, "SELECT COUNT(*) FROM regions").await?,
        gemeinden: count(
            store,
            "SELECT COUNT(*) FROM regions WHERE level = 'gemeinde'",
        )
        .await?,
    })
}

/// The tenant hosts the load is spread over: evenly across the register.
async fn load_hosts(store: &Store) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT host FROM tenant_hosts WHERE host LIKE $1 ORDER BY host")
        .bind(format!("%{HOST_SUFFIX}"))
        .fetch_all(store.pool())
        .await?;
    let all: Vec<String> = rows
        .iter()
        .map(|r| text(r, "host"))
        .collect::<std::result::Result<_, _>>()?;
    if all.is_empty() {
        return Err("no generated tenant hosts".into());
    }
    let step = all.len().div_ceil(LOAD_HOSTS).max(1);
    Ok(all.into_iter().step_by(step).collect())
}

/// The tenant whose answers are scored for relevance (a generated one, like the load's).
async fn relevance_host(store: &Store) -> Result<String> {
    let host = format!("g{}{HOST_SUFFIX}", ags_of(RELEVANCE_ARS));
    let sql = format!("SELECT COUNT(*) FROM tenant_hosts WHERE host = '{host}'");
    if count(store, &sql).await? != 1 {
        return Err(format!("no tenant with host {host}").into());
    }
    Ok(host)
}

// ---------------------------------------------------------------- index build

struct IndexBuild {
    load: Duration,
    build: Duration,
    services: usize,
}

impl IndexBuild {
    fn print(&self) {
        println!(
            "catalogue loaded from PostgreSQL in {:.1?}; search index over {} services built in {:.1?} (in-process)",
            self.load, self.services, self.build
        );
    }
}

/// Builds the index the way the server does at start, timing the build alone.
async fn measure_index_build(store: &Store, repo: &Path) -> Result<(IndexBuild, Content)> {
    let started = Instant::now();
    let catalogue = Catalogue::load(store)
        .await?
        .ok_or("no catalogue in the bench database")?;
    let load = started.elapsed();
    let services = catalogue.leistungen.len();
    let config = SearchConfig::load(&repo.join("catalogue"))?;
    let catalogue = Arc::new(catalogue);
    let started = Instant::now();
    let content = config.build(catalogue)?;
    let build = started.elapsed();
    let index = IndexBuild {
        load,
        build,
        services,
    };
    Ok((index, content))
}

/// The AGS of a Gemeinde's ARS: Land, Regierungsbezirk, Kreis and the Gemeinde's own three digits.
fn ags_of(ars: &str) -> String {
    format!("{}{}", &ars[..5], &ars[9..])
}

// ---------------------------------------------------------------- in-process profile

/// Search latency without HTTP, one query at a time, with and without the
/// "has an office in the tenant's Gemeinde" ranking signal, to see where time goes.
struct Profile {
    with_office: Vec<Duration>,
    without_office: Vec<Duration>,
    /// Each query's slowest time without the office signal, slowest first.
    slowest_without_office: Vec<(Duration, String)>,
    ranked: usize,
    searches: usize,
}

impl Profile {
    fn print(&self) {
        let line = |name: &str, times: &[Duration]| {
            let mut us: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e6).collect();
            us.sort_by(f64::total_cmp);
            let mean = us.iter().sum::<f64>() / us.len().max(1) as f64;
            println!(
                "  {name:<28} mean {:>9}  p50 {:>9}  p99 {:>9}",
                fmt_us(mean),
                fmt_us(percentile(&us, 0.50)),
                fmt_us(percentile(&us, 0.99))
            );
        };
        println!(
            "in-process search, single thread, {PROFILE_ROUNDS} rounds over the labelled queries \
             (mean {:.0} matches ranked per query):",
            self.ranked as f64 / self.searches.max(1) as f64
        );
        line("with office signal (real)", &self.with_office);
        line("without office signal", &self.without_office);
        let slowest: Vec<String> = self
            .slowest_without_office
            .iter()
            .take(3)
            .map(|(d, q)| format!("{q:?} {}", fmt_us(d.as_secs_f64() * 1e6)))
            .collect();
        println!("  slowest without office signal: {}", slowest.join(", "));
    }
}

/// `times` holds rounds of one time per query, in the order of `queries`.
fn slowest_per_query(times: &[Duration], queries: &[LabelledQuery]) -> Vec<(Duration, String)> {
    let mut worst: Vec<(Duration, String)> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let max = times.iter().skip(i).step_by(queries.len()).max();
            (max.copied().unwrap_or_default(), q.q.clone())
        })
        .collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.0));
    worst
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn profile_in_process(content: &Content, queries: &[LabelledQuery]) -> Result<Profile> {
    let c = &content.catalogue;
    let gemeinde = Ars::parse(RELEVANCE_ARS)?;
    let no_office = |_: usize| false;
    let no_views = |_: &LeikaKey| 0;
    let no_local = buergerportal::editor::local::LocalContent::default();
    let without = TenantSignals {
        scope: 0,
        local: &no_local,
        has_office: &no_office,
        views: &no_views,
    };
    let mut profile = Profile {
        with_office: Vec::new(),
        without_office: Vec::new(),
        slowest_without_office: Vec::new(),
        ranked: 0,
        searches: 0,
    };
    for _ in 0..PROFILE_ROUNDS {
        for q in queries {
            let req = SearchRequest {
                query: q.q.clone(),
                ..Default::default()
            };
            // As the portal does per query: the Gemeinde's areas, then the covered services.
            let started = Instant::now();
            let covered = c.services_with_office(&c.area_chain(&gemeinde));
            let office = |service: usize| covered[service];
            let with = TenantSignals {
                scope: 0,
                local: &no_local,
                has_office: &office,
                views: &no_views,
            };
            let results = content.search.search(c, &with, &req);
            profile.with_office.push(started.elapsed());
            let started = Instant::now();
            content.search.search(c, &without, &req);
            profile.without_office.push(started.elapsed());
            profile.ranked += results.total;
            profile.searches += 1;
        }
    }
    profile.slowest_without_office = slowest_per_query(&profile.without_office, queries);
    Ok(profile)
}

// ---------------------------------------------------------------- portal process

struct Portal {
    addr: SocketAddr,
    guard: Guard,
}

#[derive(Clone, Copy, Default)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
}

impl Portal {
    async fn start(repo: &Path) -> Result<Portal> {
        let addr = free_addr()?;
        let mut child = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .arg("serve")
            .env("DATABASE_URL", database_url(DATABASE))
            .env("BIND", addr.to_string())
            .env("TENANTS_DIR", repo.join("tenants"))
            .env("CATALOGUE_DIR", repo.join("catalogue"))
            .env("SOURCES_DIR", catalogue::sources::sources_dir_for_tests())
            .env("ASSETS_DIR", repo.join("assets"))
            .env("RUST_LOG", "info,request=warn")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the portal: {e}"))?;
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || echo_lines(out));
        }
        let mut portal = Portal {
            addr,
            guard: Guard {
                name: "portal",
                child,
            },
        };
        let started = Instant::now();
        portal.wait_ready(Duration::from_secs(900)).await?;
        println!(
            "portal ready on {addr} after {:.1?} (loads catalogue and tenants, builds its index)",
            started.elapsed()
        );
        Ok(portal)
    }

    async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let client = reqwest::Client::new();
        let url = format!("http://{}/readyz", self.addr);
        let deadline = Instant::now() + timeout;
        loop {
            self.ensure_running()?;
            let ready = client.get(&url).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("portal not ready after {timeout:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn ensure_running(&mut self) -> Result<()> {
        match self.guard.child.try_wait()? {
            Some(status) => Err(format!("portal exited early: {status}").into()),
            None => Ok(()),
        }
    }

    /// Resident and peak resident memory, from /proc.
    fn memory(&self) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.guard.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(format!("no {name} in /proc/…/status"))
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }
}

fn echo_lines(out: impl std::io::Read) {
    for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
        println!("  [portal] {line}");
    }
}

// ---------------------------------------------------------------- baseline server

#[derive(serde::Deserialize)]
struct BaselineParams {
    q: String,
}

async fn baseline_search(
    State(store): State<Store>,
    Query(params): Query<BaselineParams>,
) -> std::result::Result<Json<Vec<String>>, (StatusCode, String)> {
    baseline::search(&store, &params.q, BASELINE_LIMIT)
        .await
        .map(Json)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `GET /search?q=…` → the LeiKa keys of the best matches, on the bench's runtime.
async fn serve_baseline(store: Store) -> Result<SocketAddr> {
    let router = Router::new()
        .route("/search", get(baseline_search))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("baseline server stopped: {e}");
        }
    });
    Ok(addr)
}

// ---------------------------------------------------------------- relevance

#[derive(serde::Deserialize)]
struct Labelled {
    query: Vec<LabelledQuery>,
}

#[derive(serde::Deserialize)]
struct LabelledQuery {
    q: String,
    expect: Vec<String>,
}

fn labelled() -> Result<Vec<LabelledQuery>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/relevance/queries.toml");
    let set: Labelled = toml::from_str(&std::fs::read_to_string(path)?)?;
    if set.query.is_empty() {
        return Err("no labelled queries".into());
    }
    Ok(set.query)
}

/// Top-3 hit rate and mean reciprocal rank, and how long each query took alone.
#[derive(Default)]
struct Score {
    n: usize,
    top3: usize,
    reciprocal: f64,
    timings: Vec<(Duration, String)>,
}

impl Score {
    fn add(&mut self, q: &LabelledQuery, ranked: &[String], took: Duration) {
        self.n += 1;
        if let Some(rank) = ranked.iter().position(|k| q.expect.contains(k)) {
            self.reciprocal += 1.0 / (rank + 1) as f64;
            if rank < 3 {
                self.top3 += 1;
            }
        }
        self.timings.push((took, q.q.clone()));
    }

    fn top3_rate(&self) -> f64 {
        self.top3 as f64 / self.n.max(1) as f64
    }

    fn mrr(&self) -> f64 {
        self.reciprocal / self.n.max(1) as f64
    }

    fn slowest(&self, n: usize) -> Vec<String> {
        let mut t = self.timings.clone();
        t.sort_by_key(|t| std::cmp::Reverse(t.0));
        t.iter()
            .take(n)
            .map(|(d, q)| format!("{q:?} {}", fmt_us(d.as_secs_f64() * 1e6)))
            .collect()
    }
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

async fn relevance_ours(addr: SocketAddr, host: &str, queries: &[LabelledQuery]) -> Result<Score> {
    let client = reqwest::Client::new();
    let mut score = Score::default();
    for q in queries {
        let url = format!("http://{addr}/api/v1/search?q={}", encode(&q.q));
        let started = Instant::now();
        let res = client.get(&url).header("host", host).send().await?;
        let status = res.status();
        let body = res.text().await?;
        let took = started.elapsed();
        if status != 200 {
            return Err(format!("search {:?} on {host}: {status} {body}", q.q).into());
        }
        score.add(q, &hit_keys(&body)?, took);
    }
    Ok(score)
}

fn hit_keys(body: &str) -> Result<Vec<String>> {
    let json: serde_json::Value = serde_json::from_str(body)?;
    let hits = json["hits"]
        .as_array()
        .ok_or("search answer without hits")?;
    Ok(hits
        .iter()
        .filter_map(|h| h["leika"].as_str().map(String::from))
        .collect())
}

async fn relevance_baseline(store: &Store, queries: &[LabelledQuery]) -> Result<Score> {
    let mut score = Score::default();
    for q in queries {
        let started = Instant::now();
        let ranked = baseline::search(store, &q.q, BASELINE_LIMIT).await?;
        score.add(q, &ranked, started.elapsed());
    }
    Ok(score)
}

fn print_slowest(ours: &Score, pg: &Score) {
    println!("slowest single queries (one at a time, after start):");
    println!("  our search (HTTP): {}", ours.slowest(3).join(", "));
    println!("  PostgreSQL FTS:    {}", pg.slowest(3).join(", "));
}

// ---------------------------------------------------------------- load

struct Engine {
    name: &'static str,
    base: String,
    path: &'static str,
}

impl Engine {
    fn ours(addr: SocketAddr) -> Engine {
        Engine {
            name: "our search",
            base: format!("http://{addr}"),
            path: "/api/v1/search?q=",
        }
    }

    fn baseline(addr: SocketAddr) -> Engine {
        Engine {
            name: "PostgreSQL FTS",
            base: format!("http://{addr}"),
            path: "/search?q=",
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Sample {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    requests: u64,
    failed: u64,
}

/// A wrk script that rotates the query through the labelled set and the Host through the tenants.
fn lua_script(paths: &[String], hosts: &[String]) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(",\n  ")
    };
    format!(
        "local paths = {{\n  {}\n}}\nlocal hosts = {{\n  {}\n}}\n\
         local threads = 0\n\
         function setup(thread)\n  thread:set(\"offset\", threads * 7919)\n  threads = threads + 1\nend\n\
         local n = 0\n\
         function request()\n  n = n + 1\n  local i = n + (offset or 0)\n  \
         return wrk.format(\"GET\", paths[i % #paths + 1], {{ [\"Host\"] = hosts[i % #hosts + 1] }})\nend\n",
        list(paths),
        list(hosts)
    )
}

/// The wrk script that rotates an engine's requests over the queries and hosts.
fn load_script(
    engine: &Engine,
    queries: &[LabelledQuery],
    hosts: &[String],
) -> Result<(tempfile::TempDir, PathBuf)> {
    let paths: Vec<String> = queries
        .iter()
        .map(|q| format!("{}{}", engine.path, encode(&q.q)))
        .collect();
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("rotate.lua");
    std::fs::write(&script, lua_script(&paths, hosts))?;
    Ok((dir, script))
}

fn measure_load(
    engine: &Engine,
    queries: &[LabelledQuery],
    hosts: &[String],
    seconds: u64,
) -> Result<Sample> {
    let (_dir, script) = load_script(engine, queries, hosts)?;
    wrk(&engine.base, &script, WARMUP_SECONDS, CONNECTIONS)?;
    let sample = wrk(&engine.base, &script, seconds, CONNECTIONS)?;
    println!(
        "{:<15} {:>9.0} req/s  p50 {:>9}  p99 {:>9}  ({} requests, {} failed)",
        engine.name,
        sample.rps,
        fmt_us(sample.p50_us),
        fmt_us(sample.p99_us),
        sample.requests,
        sample.failed
    );
    Ok(sample)
}

/// Latency depends on how many requests wait at once: the same load at fewer connections.
const CURVE_CONNECTIONS: [u32; 4] = [1, 4, 8, 16];

fn latency_curve(
    engines: [&Engine; 2],
    queries: &[LabelledQuery],
    hosts: &[String],
    seconds: u64,
) -> Result<Vec<(u32, Sample, Sample)>> {
    let scripts = [
        load_script(engines[0], queries, hosts)?,
        load_script(engines[1], queries, hosts)?,
    ];
    let seconds = seconds.div_ceil(2).max(2);
    let mut rows = Vec::new();
    for c in CURVE_CONNECTIONS {
        let ours = wrk(&engines[0].base, &scripts[0].1, seconds, c)?;
        let pg = wrk(&engines[1].base, &scripts[1].1, seconds, c)?;
        rows.push((c, ours, pg));
    }
    Ok(rows)
}

fn print_curve(rows: &[(u32, Sample, Sample)], seconds: u64) {
    println!();
    println!(
        "latency by concurrency (wrk -d{}s each; the table above is -c{CONNECTIONS}):",
        seconds.div_ceil(2).max(2)
    );
    println!(
        "{:>11} {:>10} {:>10} {:>10}   {:>10} {:>10} {:>10}",
        "connections", "ours req/s", "p50", "p99", "PG req/s", "p50", "p99"
    );
    for (c, ours, pg) in rows {
        println!(
            "{c:>11} {:>10.0} {:>10} {:>10}   {:>10.0} {:>10} {:>10}",
            ours.rps,
            fmt_us(ours.p50_us),
            fmt_us(ours.p99_us),
            pg.rps,
            fmt_us(pg.p50_us),
            fmt_us(pg.p99_us)
        );
    }
}

fn wrk(base: &str, script: &Path, seconds: u64, connections: u32) -> Result<Sample> {
    let out = Command::new("wrk")
        .arg(format!("-t{}", THREADS.min(connections)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(script)
        .arg(base)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("wrk {base} failed: {}\n{text}{err}", out.status).into());
    }
    parse_wrk(&text).map_err(|e| format!("wrk {base}: {e}\n{text}").into())
}

fn parse_wrk(text: &str) -> std::result::Result<Sample, String> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let required = |prefix: &str| field(prefix).ok_or(format!("no `{prefix}` line"));
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or("no request count")?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:")
        .map_or(Ok(0), str::parse)
        .map_err(|e| format!("Non-2xx: {e}"))?;
    let socket_errors = field("Socket errors:").map_or(0, socket_error_count);
    Ok(Sample {
        rps: required("Requests/sec:")?
            .parse()
            .map_err(|e| format!("Requests/sec: {e}"))?,
        p50_us: parse_duration_us(required("50%")?)?,
        p99_us: parse_duration_us(required("99%")?)?,
        requests,
        failed: non_2xx + socket_errors,
    })
}

/// "connect 0, read 0, write 0, timeout 12" → 12.
fn socket_error_count(line: &str) -> u64 {
    line.split(',')
        .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

// ---------------------------------------------------------------- report

struct Report<'a> {
    seconds: u64,
    relevance_host: String,
    /// The portal after start and relevance queries, and after the load.
    memory: [Memory; 2],
    rows: [(&'static str, &'a Sample, &'a Score); 2],
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn print_report(r: &Report) {
    let [idle, loaded] = r.memory;
    println!();
    println!(
        "Search at Germany scale; wrk -t{THREADS} -c{CONNECTIONS} -d{}s (after {WARMUP_SECONDS} s warm-up), \
         queries rotating over the labelled set, Host over {LOAD_HOSTS} tenants",
        r.seconds
    );
    println!(
        "cores: {} (wrk, portal, PostgreSQL and the baseline server share them)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "portal memory: RSS {} after start and the relevance pass, {} after the load; peak {}",
        mib(idle.rss_kib),
        mib(loaded.rss_kib),
        mib(loaded.hwm_kib)
    );
    println!(
        "relevance: {} labelled queries; ours as {}",
        r.rows[0].2.n, r.relevance_host
    );
    println!();
    println!(
        "{:<15} {:>9} {:>10} {:>10} {:>7} {:>6} {:>7}",
        "engine", "req/s", "p50", "p99", "top-3", "MRR", "failed"
    );
    for (name, s, score) in r.rows {
        println!(
            "{:<15} {:>9.0} {:>10} {:>10} {:>6.1}% {:>6.3} {:>7}",
            name,
            s.rps,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            100.0 * score.top3_rate(),
            score.mrr(),
            s.failed
        );
    }
    print_goals(r);
}

fn print_goals(r: &Report) {
    let [(_, ours, ours_score), (_, pg, pg_score)] = r.rows;
    let ratio = ours.rps / pg.rps.max(f64::MIN_POSITIVE);
    let goal = |label: String, met: bool, detail: String| {
        let verdict = if met { "met" } else { "MISSED" };
        println!("goal {label:<32} {verdict:<7} ({detail})");
    };
    println!();
    println!("throughput ratio: {ratio:.2}× the baseline");
    goal(
        format!("p99 of our search < {}:", fmt_us(GOAL_P99_US)),
        ours.p99_us < GOAL_P99_US,
        fmt_us(ours.p99_us),
    );
    goal(
        format!("req/s ≥ {GOAL_THROUGHPUT_RATIO:.0}× the baseline's:"),
        ratio >= GOAL_THROUGHPUT_RATIO,
        format!("{ratio:.2}×"),
    );
    goal(
        "top-3 hit rate above baseline's:".into(),
        ours_score.top3_rate() > pg_score.top3_rate(),
        format!(
            "{:.1}% vs {:.1}%",
            100.0 * ours_score.top3_rate(),
            100.0 * pg_score.top3_rate()
        ),
    );
    if ours.failed > 0 || pg.failed > 0 {
        println!("note: failed requests (non-2xx or socket errors) under load; see the table");
    }
}
