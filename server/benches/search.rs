//! Search at Germany scale: our search against PostgreSQL full-text search.
//!
//! `cargo bench -p buergerportal --bench search` builds a Germany-scale data set in a
//! fresh PostgreSQL database: the real catalogue with responsibilities generated for
//! all 16 Länder, local variants of real services to pass 5,000 services, and every
//! Gemeinde of the register as a tenant. It then
//! 1. times one uncached query in-process (the labelled queries, and the most
//!    expensive hostile query found);
//! 2. starts the portal on that database as a child process, serves the baseline
//!    (PostgreSQL full-text search, `german` configuration, GIN index) over HTTP
//!    from this process, and scores both on the labelled queries, the original set
//!    and the citizens' set written from public sources, separately;
//! 3. loads `/api/v1/search` with a realistic stream: the labelled queries weighted
//!    by a Zipf distribution plus 20 % queries that occur once (typos, random
//!    compounds), spread over many tenants, at 1, 16 and 64 connections, beside
//!    `/healthz` and the baseline on the same stream; the search page and the
//!    suggestions at 64;
//! 4. restarts the portal without its result cache and compares an uncached
//!    stream with the baseline at 32 connections.
//!
//! Goals (issue 14): search at 64 connections ≥ 25 % of `/healthz`'s throughput
//! with p99 ≤ 5 ms; uncached ≥ 4× the baseline with p99 ≤ 10 ms at 32
//! connections; the portal under 300 MB resident; one query in-process ≤ 60 µs.
//!
//! Env: `BENCH_SECONDS` (default 10) is the length of each measured run;
//! `BENCH_ONLY=in-process` stops after the in-process figures;
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) is
//! the administrative connection used to create and drop the bench database.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use buergerportal::catalogue::{self, generate::municipality_name, Catalogue, ImportOutcome};
use buergerportal::http::{Content, SearchConfig};
use buergerportal::keys::Ars;
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

/// The portal's allocator, so that the in-process figures are the portal's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
const LOAD_CONNECTIONS: [u32; 3] = [1, 16, 64];
const UNCACHED_CONNECTIONS: u32 = 32;
const BASELINE_LIMIT: i64 = 10;
/// The share of queries in a stream that occur once.
const ONCE_SHARE: f64 = 0.2;
const GOAL_HEALTHZ_SHARE: f64 = 0.25;
const GOAL_CACHED_P99_US: f64 = 5_000.0;
const GOAL_UNCACHED_RATIO: f64 = 4.0;
const GOAL_UNCACHED_P99_US: f64 = 10_000.0;
const GOAL_RSS_MIB: f64 = 300.0;
const GOAL_IN_PROCESS_US: f64 = 60.0;

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
    let sets = labelled()?;
    let queries: Vec<&LabelledQuery> = sets.iter().flat_map(|s| &s.queries).collect();
    let (index, content) = rt.block_on(measure_index_build(&store, &repo))?;
    index.print();
    let profile = profile_in_process(&content, &queries)?;
    profile.print();
    hold_for_profiler(&content, &queries)?;
    let hostile = hostile_in_process(&content);
    drop(content);
    if std::env::var("BENCH_ONLY").as_deref() == Ok("in-process") {
        println!("worst hostile query: {} {}", hostile.0, fmt_us(hostile.1));
        return Ok(());
    }
    let hosts = rt.block_on(load_hosts(&store))?;
    let started = Instant::now();
    rt.block_on(baseline::prepare(&store))?;
    println!("baseline GIN index built in {:.1?}", started.elapsed());
    let baseline_addr = rt.block_on(serve_baseline(store.clone()))?;
    let relevance_host = rt.block_on(relevance_host(&store))?;
    let mut portal = rt.block_on(Portal::start(&repo, true))?;
    let relevance = rt.block_on(relevance(portal.addr, &relevance_host, &store, &sets))?;
    let idle = portal.memory()?;
    let streams = Streams::new(&queries, &hosts);
    let load = measure_load(portal.addr, baseline_addr, &streams, seconds)?;
    portal.ensure_running()?;
    let loaded = portal.memory()?;
    drop(portal);
    let mut portal = rt.block_on(Portal::start(&repo, false))?;
    let uncached = measure_uncached(portal.addr, baseline_addr, &streams, seconds)?;
    portal.ensure_running()?;
    let uncached_memory = portal.memory()?;
    drop(portal);
    rt.block_on(store.close());
    print_report(&Report {
        seconds,
        relevance_host,
        relevance,
        memory: [idle, loaded, uncached_memory],
        load,
        uncached,
        profile_mean_us: profile.mean_us(),
        hostile,
    });
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
    /// Growth of this process's resident memory (MiB) while loading the
    /// catalogue, building the index, and loading the tenants.
    grew: [f64; 3],
}

impl IndexBuild {
    fn print(&self) {
        println!(
            "catalogue loaded from PostgreSQL in {:.1?}; search index over {} services built in {:.1?} (in-process)",
            self.load, self.services, self.build
        );
        let [catalogue, index, tenants] = self.grew;
        println!(
            "resident memory in-process: catalogue +{catalogue:.0} MiB, search index +{index:.0} MiB, tenants +{tenants:.0} MiB"
        );
    }
}

/// This process's resident memory in MiB.
fn resident_mib() -> f64 {
    buergerportal::http::metrics::resident_bytes().unwrap_or(0) as f64 / (1024.0 * 1024.0)
}

/// Builds the index the way the server does at start, timing the build alone.
async fn measure_index_build(store: &Store, repo: &Path) -> Result<(IndexBuild, Content)> {
    let before = resident_mib();
    let started = Instant::now();
    let catalogue = Catalogue::load(store)
        .await?
        .ok_or("no catalogue in the bench database")?;
    let load = started.elapsed();
    let loaded = resident_mib();
    let services = catalogue.leistungen.len();
    let config = SearchConfig::load(&repo.join("catalogue"))?;
    let catalogue = Arc::new(catalogue);
    let started = Instant::now();
    let content = config.build(catalogue)?;
    let build = started.elapsed();
    let built = resident_mib();
    let tenants = buergerportal::tenancy::Tenants::load(store).await?;
    let with_tenants = resident_mib();
    drop(tenants);
    let index = IndexBuild {
        load,
        build,
        services,
        grew: [loaded - before, built - loaded, with_tenants - built],
    };
    Ok((index, content))
}

/// The AGS of a Gemeinde's ARS: Land, Regierungsbezirk, Kreis and the Gemeinde's own three digits.
fn ags_of(ars: &str) -> String {
    format!("{}{}", &ars[..5], &ars[9..])
}

// ---------------------------------------------------------------- in-process profile

/// One uncached query without HTTP, one at a time, with the ranking signals of a
/// real Gemeinde (known offices) and without them, to see where time goes.
struct Profile {
    with_office: Vec<Duration>,
    without_office: Vec<Duration>,
    /// Each query's slowest time with the office signal, slowest first.
    slowest: Vec<(Duration, String)>,
    ranked: usize,
    searches: usize,
}

fn stats_us(times: &[Duration]) -> (f64, f64, f64) {
    let mut us: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let mean = us.iter().sum::<f64>() / us.len().max(1) as f64;
    (mean, percentile(&us, 0.50), percentile(&us, 0.99))
}

impl Profile {
    fn mean_us(&self) -> f64 {
        stats_us(&self.with_office).0
    }

    fn print(&self) {
        let line = |name: &str, times: &[Duration]| {
            let (mean, p50, p99) = stats_us(times);
            println!(
                "  {name:<28} mean {:>9}  p50 {:>9}  p99 {:>9}",
                fmt_us(mean),
                fmt_us(p50),
                fmt_us(p99)
            );
        };
        println!(
            "in-process search, uncached, single thread, {PROFILE_ROUNDS} rounds over the labelled queries \
             (mean {:.0} matches ranked per query):",
            self.ranked as f64 / self.searches.max(1) as f64
        );
        line("with office signal (real)", &self.with_office);
        line("without office signal", &self.without_office);
        // The first round meets every word for the first time (analysis,
        // automata); later rounds find the words' expansions kept.
        let first_round = self.with_office.len() / PROFILE_ROUNDS;
        line(
            "  first round (new words)",
            &self.with_office[..first_round],
        );
        line("  later rounds", &self.with_office[first_round..]);
        let slowest: Vec<String> = self
            .slowest
            .iter()
            .take(5)
            .map(|(d, q)| format!("{q:?} {}", fmt_us(d.as_secs_f64() * 1e6)))
            .collect();
        println!("  slowest: {}", slowest.join(", "));
    }
}

/// `times` holds rounds of one time per query, in the order of `queries`.
fn slowest_per_query(times: &[Duration], queries: &[&LabelledQuery]) -> Vec<(Duration, String)> {
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

fn profile_in_process(content: &Content, queries: &[&LabelledQuery]) -> Result<Profile> {
    let c = &content.catalogue;
    let gemeinde = Ars::parse(RELEVANCE_ARS)?;
    let no_local = buergerportal::editor::local::LocalContent::default();
    // As the portal does: the Gemeinde's covered services once, shared by its searches.
    let covered = c.services_with_office(&c.area_chain(&gemeinde));
    let with = TenantSignals {
        scope: 0,
        local: &no_local,
        office: &covered,
        popularity: &[],
    };
    let without = TenantSignals {
        office: &[],
        ..with
    };
    let mut profile = Profile {
        with_office: Vec::new(),
        without_office: Vec::new(),
        slowest: Vec::new(),
        ranked: 0,
        searches: 0,
    };
    for _ in 0..PROFILE_ROUNDS {
        for q in queries {
            let req = SearchRequest {
                query: q.q.clone(),
                ..Default::default()
            };
            let started = Instant::now();
            let results = content.search.search(c, &with, &req);
            profile.with_office.push(started.elapsed());
            let started = Instant::now();
            content.search.search(c, &without, &req);
            profile.without_office.push(started.elapsed());
            profile.ranked += results.total;
            profile.searches += 1;
        }
    }
    profile.slowest = slowest_per_query(&profile.with_office, queries);
    Ok(profile)
}

/// With `BENCH_PROFILE_SECONDS=n`, searches the labelled queries in a loop for n
/// seconds, so that a profiler can attach (`perf record -g -p <pid>`); the
/// README's flame graph of the search path was taken this way.
fn hold_for_profiler(content: &Content, queries: &[&LabelledQuery]) -> Result<()> {
    let Ok(seconds) = std::env::var("BENCH_PROFILE_SECONDS") else {
        return Ok(());
    };
    let seconds: u64 = seconds.trim().parse()?;
    println!(
        "searching for {seconds} s for a profiler: perf record -g -p {}",
        std::process::id()
    );
    let c = &content.catalogue;
    let covered = c.services_with_office(&c.area_chain(&Ars::parse(RELEVANCE_ARS)?));
    let no_local = buergerportal::editor::local::LocalContent::default();
    let signals = TenantSignals {
        scope: 0,
        local: &no_local,
        office: &covered,
        popularity: &[],
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        for q in queries {
            let req = SearchRequest {
                query: q.q.clone(),
                ..Default::default()
            };
            std::hint::black_box(content.search.search(c, &signals, &req));
        }
    }
    Ok(())
}

/// The most expensive of the hostile queries (the hostile bench's families) in-process,
/// median of 15 runs: what one bad query can cost at Germany scale.
fn hostile_in_process(content: &Content) -> (String, f64) {
    let c = &content.catalogue;
    let no_local = buergerportal::editor::local::LocalContent::default();
    let signals = TenantSignals {
        scope: 0,
        local: &no_local,
        office: &[],
        popularity: &[],
    };
    println!("hostile queries in-process (median of 15):");
    let mut worst = (String::new(), 0.0);
    for (label, q) in support::hostile_queries() {
        let req = SearchRequest {
            query: q,
            ..Default::default()
        };
        let mut times: Vec<Duration> = (0..15)
            .map(|_| {
                let started = Instant::now();
                content.search.search(c, &signals, &req);
                started.elapsed()
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2].as_secs_f64() * 1e6;
        println!("  {label:<40} {:>10}", fmt_us(median));
        if median > worst.1 {
            worst = (label, median);
        }
    }
    worst
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
    /// `cache`: with the result cache (off: every query is searched).
    async fn start(repo: &Path, cache: bool) -> Result<Portal> {
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
            // The load comes from one client: per-client rate limits off.
            .env("RATE_SEARCH_PER_SECOND", "0")
            .env("RATE_API_PER_SECOND", "0")
            .env("SEARCH_CACHE_MB", if cache { "32" } else { "0" })
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

/// A labelled set: the original one and the citizens' one, scored separately.
struct LabelledSet {
    name: &'static str,
    queries: Vec<LabelledQuery>,
}

#[derive(serde::Deserialize)]
struct Labelled {
    query: Vec<LabelledQuery>,
}

#[derive(serde::Deserialize)]
struct LabelledQuery {
    q: String,
    expect: Vec<String>,
}

fn labelled() -> Result<Vec<LabelledSet>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/relevance");
    let mut sets = Vec::new();
    for (name, file) in [("original", "queries.toml"), ("citizens", "citizens.toml")] {
        let set: Labelled = toml::from_str(&std::fs::read_to_string(format!("{dir}/{file}"))?)?;
        if set.query.is_empty() {
            return Err(format!("no labelled queries in {file}").into());
        }
        sets.push(LabelledSet {
            name,
            queries: set.query,
        });
    }
    Ok(sets)
}

/// Top-3 hit rate and mean reciprocal rank.
#[derive(Default, Clone, Copy)]
struct Score {
    n: usize,
    top3: usize,
    reciprocal: f64,
}

impl Score {
    fn add(&mut self, q: &LabelledQuery, ranked: &[String]) {
        self.n += 1;
        if let Some(rank) = ranked.iter().position(|k| q.expect.contains(k)) {
            self.reciprocal += 1.0 / (rank + 1) as f64;
            if rank < 3 {
                self.top3 += 1;
            }
        }
    }

    fn top3_rate(&self) -> f64 {
        self.top3 as f64 / self.n.max(1) as f64
    }

    fn mrr(&self) -> f64 {
        self.reciprocal / self.n.max(1) as f64
    }
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Per set: (name, ours, PostgreSQL FTS).
type Relevance = Vec<(&'static str, Score, Score)>;

async fn relevance(
    addr: SocketAddr,
    host: &str,
    store: &Store,
    sets: &[LabelledSet],
) -> Result<Relevance> {
    let client = reqwest::Client::new();
    let mut out = Vec::new();
    for set in sets {
        let (mut ours, mut pg) = (Score::default(), Score::default());
        for q in &set.queries {
            let url = format!("http://{addr}/api/v1/search?q={}", encode(&q.q));
            let res = client.get(&url).header("host", host).send().await?;
            let status = res.status();
            let body = res.text().await?;
            if status != 200 {
                return Err(format!("search {:?} on {host}: {status} {body}", q.q).into());
            }
            ours.add(q, &hit_keys(&body)?);
            pg.add(q, &baseline::search(store, &q.q, BASELINE_LIMIT).await?);
        }
        out.push((set.name, ours, pg));
    }
    Ok(out)
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

// ---------------------------------------------------------------- streams

/// What the load sends, drawn by wrk's Lua per request: the labelled queries
/// weighted by Zipf (s = 1, over a fixed shuffled order) or uniformly, and a
/// fifth of queries made to occur once (a typo in a labelled query: a letter
/// replaced, added or dropped; or a compound of two of their words), each to a
/// random one of the tenants.
struct Streams {
    queries: Vec<String>,
    cumulative: Vec<f64>,
    vocabulary: Vec<String>,
    hosts: Vec<String>,
}

impl Streams {
    fn new(queries: &[&LabelledQuery], hosts: &[String]) -> Streams {
        // A fixed shuffle (64-bit LCG), so that every run has the same head.
        let mut state: u64 = 0x5eed;
        let mut below = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % n as u64) as usize
        };
        let mut order: Vec<String> = queries.iter().map(|q| q.q.clone()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, below(i + 1));
        }
        let total: f64 = (1..=order.len()).map(|r| 1.0 / r as f64).sum();
        let cumulative = (1..=order.len())
            .scan(0.0, |acc, r| {
                *acc += 1.0 / r as f64 / total;
                Some(*acc)
            })
            .collect();
        Streams {
            vocabulary: vocabulary(&order),
            queries: order,
            cumulative,
            hosts: hosts.to_vec(),
        }
    }

    /// The Lua script for wrk: requests `prefix` + a drawn query, Zipf-weighted or uniform.
    fn lua(&self, prefix: &str, zipf: bool) -> String {
        let list = |items: &[String]| {
            items
                .iter()
                .map(|s| lua_string(s))
                .collect::<Vec<_>>()
                .join(",\n")
        };
        let numbers: Vec<String> = self.cumulative.iter().map(|c| format!("{c:.12}")).collect();
        format!(
            "local queries = {{\n{}\n}}\nlocal cum = {{ {} }}\nlocal vocab = {{\n{}\n}}\n\
             local hosts = {{\n{}\n}}\nlocal prefix = {}\nlocal zipf = {zipf}\nlocal once = {ONCE_SHARE}\n{LUA_DRAW}",
            list(&self.queries),
            numbers.join(", "),
            list(&self.vocabulary),
            list(&self.hosts),
            lua_string(prefix),
        )
    }
}

fn lua_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Draws one request per call; seeded per thread and per run (`wrk … -- <seed>`),
/// so that the warm-up does not send the measured run's once-queries.
const LUA_DRAW: &str = r#"
local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local function pick()
  if not zipf then return queries[math.random(#queries)] end
  local u, lo, hi = math.random(), 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < u then lo = mid + 1 else hi = mid end
  end
  return queries[lo]
end
local function typo(s)
  local pos = {}
  for i = 1, #s do
    local b = s:byte(i)
    if (b >= 97 and b <= 122) or (b >= 65 and b <= 90) then pos[#pos + 1] = i end
  end
  if #pos == 0 then return s .. "x" end
  local i = pos[math.random(#pos)]
  local l = string.char(96 + math.random(26))
  local k = math.random(3)
  if k == 1 then return s:sub(1, i - 1) .. l .. s:sub(i + 1) end
  if k == 2 then return s:sub(1, i - 1) .. l .. s:sub(i) end
  return s:sub(1, i - 1) .. s:sub(i + 1)
end
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  math.randomseed(1000 * (tonumber(args[1]) or 0) + (id or 0))
end
function request()
  local q
  if math.random() < once then
    if math.random(2) == 1 then
      q = typo(queries[math.random(#queries)])
    else
      q = vocab[math.random(#vocab)] .. vocab[math.random(#vocab)]
    end
  else
    q = pick()
  end
  return wrk.format("GET", prefix .. enc(q), { ["Host"] = hosts[math.random(#hosts)] })
end
"#;

/// The folded words of the labelled queries, for random compounds.
fn vocabulary(queries: &[String]) -> Vec<String> {
    let mut words: Vec<String> = queries
        .iter()
        .flat_map(|q| buergerportal::search::analysis::words(q))
        .filter(|w| w.len() >= 4)
        .collect();
    words.sort();
    words.dedup();
    words
}

// ---------------------------------------------------------------- load

#[derive(Clone, Copy, Default)]
struct Sample {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    requests: u64,
    failed: u64,
}

/// An endpoint under load.
struct Target {
    name: &'static str,
    base: String,
    script: PathBuf,
}

struct Scripts {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Scripts {
    fn new() -> Result<Scripts> {
        let dir = tempfile::tempdir()?;
        Ok(Scripts {
            dir: dir.path().to_path_buf(),
            _dir: dir,
        })
    }

    fn target(&self, name: &'static str, addr: SocketAddr, lua: String) -> Result<Target> {
        let script = self
            .dir
            .join(format!("{}.lua", name.replace([' ', '/'], "_")));
        std::fs::write(&script, lua)?;
        Ok(Target {
            name,
            base: format!("http://{addr}"),
            script,
        })
    }
}

const LUA_HEALTHZ: &str = "function request()\n  return wrk.format(\"GET\", \"/healthz\")\nend\n";

/// Rows of the cached load: (endpoint, connections, sample).
type LoadRows = Vec<(&'static str, u32, Sample)>;

fn measure_load(
    portal: SocketAddr,
    baseline: SocketAddr,
    streams: &Streams,
    seconds: u64,
) -> Result<LoadRows> {
    let scripts = Scripts::new()?;
    let targets = [
        scripts.target("/healthz", portal, LUA_HEALTHZ.into())?,
        scripts.target("search API", portal, streams.lua("/api/v1/search?q=", true))?,
        scripts.target("PostgreSQL FTS", baseline, streams.lua("/search?q=", true))?,
    ];
    let mut rows = Vec::new();
    for c in LOAD_CONNECTIONS {
        for t in &targets {
            rows.push((t.name, c, load(t, c, seconds)?));
        }
    }
    let more = [
        scripts.target("search page", portal, streams.lua("/suche?q=", true))?,
        scripts.target(
            "suggest API",
            portal,
            streams.lua("/api/v1/suggest?q=", true),
        )?,
    ];
    let c = LOAD_CONNECTIONS[LOAD_CONNECTIONS.len() - 1];
    for t in &more {
        rows.push((t.name, c, load(t, c, seconds)?));
    }
    Ok(rows)
}

/// The portal runs without its result cache: every query is searched.
fn measure_uncached(
    portal: SocketAddr,
    baseline: SocketAddr,
    streams: &Streams,
    seconds: u64,
) -> Result<[Sample; 2]> {
    let scripts = Scripts::new()?;
    let ours = scripts.target(
        "search API",
        portal,
        streams.lua("/api/v1/search?q=", false),
    )?;
    let pg = scripts.target("PostgreSQL FTS", baseline, streams.lua("/search?q=", false))?;
    Ok([
        load(&ours, UNCACHED_CONNECTIONS, seconds)?,
        load(&pg, UNCACHED_CONNECTIONS, seconds)?,
    ])
}

fn load(t: &Target, connections: u32, seconds: u64) -> Result<Sample> {
    wrk(&t.base, &t.script, WARMUP_SECONDS, connections, 1)?;
    let s = wrk(&t.base, &t.script, seconds, connections, 2)?;
    println!(
        "  {:<15} -c{connections:<3} {:>9.0} req/s  p50 {:>9}  p99 {:>9}  ({} requests, {} failed)",
        t.name,
        s.rps,
        fmt_us(s.p50_us),
        fmt_us(s.p99_us),
        s.requests,
        s.failed
    );
    Ok(s)
}

fn wrk(base: &str, script: &Path, seconds: u64, connections: u32, seed: u32) -> Result<Sample> {
    let out = Command::new("wrk")
        .arg(format!("-t{}", THREADS.min(connections)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(script)
        .arg(base)
        .args(["--", &seed.to_string()])
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

struct Report {
    seconds: u64,
    relevance_host: String,
    relevance: Relevance,
    /// The portal after start and relevance, after the cached load, and after the uncached load.
    memory: [Memory; 3],
    load: LoadRows,
    /// Ours, then the baseline.
    uncached: [Sample; 2],
    profile_mean_us: f64,
    hostile: (String, f64),
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_report(r: &Report) {
    println!();
    println!(
        "Search at Germany scale; wrk -t{THREADS} -d{}s per row (after {WARMUP_SECONDS} s warm-up); \
         cores: {} (wrk, portal, PostgreSQL and the baseline server share them)",
        r.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("relevance on {} (top-3 hit rate, MRR):", r.relevance_host);
    for (name, ours, pg) in &r.relevance {
        println!(
            "  {name:<9} {:>3} queries   ours {:>5.1}% {:.3}   PostgreSQL FTS {:>5.1}% {:.3}",
            ours.n,
            100.0 * ours.top3_rate(),
            ours.mrr(),
            100.0 * pg.top3_rate(),
            pg.mrr()
        );
    }
    println!();
    println!("cached load: Zipf stream of the labelled queries with 20 % once-queries, {LOAD_HOSTS} tenants");
    println!(
        "{:<15} {:>5} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "endpoint", "conn", "req/s", "p50", "p99", "of /healthz", "failed"
    );
    for (name, c, s) in &r.load {
        let healthz = healthz_at(&r.load, *c);
        println!(
            "{name:<15} {c:>5} {:>10.0} {:>10} {:>10} {:>10.1}% {:>7}",
            s.rps,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            100.0 * s.rps / healthz.max(f64::MIN_POSITIVE),
            s.failed
        );
    }
    let [ours, pg] = r.uncached;
    println!();
    println!("uncached load (result cache off), -c{UNCACHED_CONNECTIONS}:");
    for (name, s) in [("search API", ours), ("PostgreSQL FTS", pg)] {
        println!(
            "{name:<15} {:>10.0} req/s  p50 {:>9}  p99 {:>9}  failed {}",
            s.rps,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            s.failed
        );
    }
    let [idle, loaded, uncached] = r.memory;
    println!();
    println!(
        "portal memory: RSS {:.0} MiB after start, {:.0} MiB after the cached load (peak {:.0} MiB), \
         {:.0} MiB after the uncached load (peak {:.0} MiB)",
        mib(idle.rss_kib),
        mib(loaded.rss_kib),
        mib(loaded.hwm_kib),
        mib(uncached.rss_kib),
        mib(uncached.hwm_kib)
    );
    println!(
        "most expensive hostile query in-process: {} ({})",
        r.hostile.0,
        fmt_us(r.hostile.1)
    );
    print_goals(r);
}

fn healthz_at(rows: &LoadRows, connections: u32) -> f64 {
    rows.iter()
        .find(|(n, c, _)| *n == "/healthz" && *c == connections)
        .map_or(0.0, |(_, _, s)| s.rps)
}

fn print_goals(r: &Report) {
    let goal = |label: &str, met: bool, detail: String| {
        let verdict = if met { "met" } else { "MISSED" };
        println!("goal {label:<52} {verdict:<7} ({detail})");
    };
    println!();
    let top = LOAD_CONNECTIONS[LOAD_CONNECTIONS.len() - 1];
    let healthz = healthz_at(&r.load, top);
    for (name, c, s) in r
        .load
        .iter()
        .filter(|(n, c, _)| *c == top && matches!(*n, "search API" | "search page" | "suggest API"))
    {
        let share = s.rps / healthz.max(f64::MIN_POSITIVE);
        goal(
            &format!("{name} -c{c}: ≥ 25 % of /healthz, p99 ≤ 5 ms:"),
            share >= GOAL_HEALTHZ_SHARE && s.p99_us <= GOAL_CACHED_P99_US && s.failed == 0,
            format!("{:.1} %, p99 {}", 100.0 * share, fmt_us(s.p99_us)),
        );
    }
    let [ours, pg] = r.uncached;
    let ratio = ours.rps / pg.rps.max(f64::MIN_POSITIVE);
    goal(
        &format!("uncached -c{UNCACHED_CONNECTIONS}: ≥ 4× PostgreSQL FTS, p99 ≤ 10 ms:"),
        ratio >= GOAL_UNCACHED_RATIO && ours.p99_us <= GOAL_UNCACHED_P99_US && ours.failed == 0,
        format!("{ratio:.2}×, p99 {}", fmt_us(ours.p99_us)),
    );
    let peak = r.memory.iter().map(|m| mib(m.hwm_kib)).fold(0.0, f64::max);
    goal(
        "portal resident memory < 300 MB (peak):",
        peak < GOAL_RSS_MIB,
        format!("{peak:.0} MiB"),
    );
    goal(
        "one uncached query in-process ≤ 60 µs (mean):",
        r.profile_mean_us <= GOAL_IN_PROCESS_US,
        fmt_us(r.profile_mean_us),
    );
    for (name, ours, _) in &r.relevance {
        goal(
            &format!("top-3 ≥ 85 % on the {name} set:"),
            ours.top3_rate() >= 0.85,
            format!("{:.1} %", 100.0 * ours.top3_rate()),
        );
    }
}
