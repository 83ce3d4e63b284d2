//! HTTP throughput of the portal against nginx serving the identical HTML bytes,
//! and of the pages of a logged-in citizen against the cached anonymous page.
//!
//! `cargo bench -p buergerportal --bench http` starts the portal (fresh SQLite,
//! then a fresh PostgreSQL database) and nginx as child processes, signs a
//! citizen in by writing a session through the library (no Servicekonto
//! needed), loads everything with `wrk`, and prints requests per second and
//! p50/p99 latency per page and server. Goals: the cached pages at least half
//! of nginx's throughput; the logged-in service page, Mein Bereich and the
//! Postfach at least 35 % of the cached anonymous service page, p99 ≤ 5 ms.
//!
//! Env: `BENCH_SECONDS` (default 10) is the length of each measured run;
//! `BENCH_BACKENDS` (default `sqlite,postgres`); `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) a role that may create databases.

use std::error::Error;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

mod support;
use support::{apt, bench_seconds, fmt_us, free_addr, parse_duration_us, Guard};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const HOST: &str = "kiel.localhost";
const SERVICE_PATH: &str = "/leistungen/99115005104000-wohnsitz-anmelden";
const NGINX: &str = "/usr/sbin/nginx";
const ROUNDS: usize = 3;
const WARMUP_SECONDS: u64 = 2;
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 64;
/// A Servicekonto that is configured but never contacted: the bench writes the session itself.
const ISSUER: &str = "http://127.0.0.1:9/servicekonto";
const CITIZEN_NAME: &str = "Erika Bench";
const PG_DATABASE: &str = "bp_bench_http";
const FAVOURITES: [&str; 3] = ["99115005104000", "99050012104000", "99108008104000"];
const MESSAGES: usize = 8;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    ensure_tools()?;
    let seconds = bench_seconds()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for backend in backends()? {
        let url = backend.create(&rt)?;
        let measured = run_on(&rt, backend, &url, seconds);
        backend.drop_database(&rt)?;
        measured?;
    }
    Ok(())
}

fn run_on(rt: &tokio::runtime::Runtime, backend: Backend, url: &str, seconds: u64) -> Result<()> {
    println!("\n== {} ==", backend.name());
    let portal = Portal::start(url)?;
    let cookie = rt.block_on(sign_in(url))?;
    let pages = fetch_pages(portal.addr)?;
    let nginx = Nginx::start(&pages)?;
    check_identical(&pages, nginx.addr)?;
    let personal = personal_paths(&pages);
    check_signed_in(portal.addr, &personal, &cookie)?;
    let targets = targets(&pages, portal.addr, nginx.addr, &personal, &cookie);
    let rounds = measure_rounds(&targets, seconds)?;
    print_report(backend, &targets, &rounds, seconds);
    Ok(())
}

// ---------------------------------------------------------------- databases

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

fn backends() -> Result<Vec<Backend>> {
    let spec = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" => Ok(Backend::Postgres),
            other => Err(format!("BENCH_BACKENDS: unknown backend {other:?}").into()),
        })
        .collect()
}

fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn admin(sql: &str) -> Result<()> {
    let store = buergerportal::store::Store::connect(&admin_url()).await?;
    let result = sqlx::query(sql).execute(store.pool()).await;
    store.close().await;
    result?;
    Ok(())
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// A fresh, empty database; the portal migrates and imports it at start.
    fn create(self, rt: &tokio::runtime::Runtime) -> Result<String> {
        match self {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("bp-bench-http-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                Ok(format!(
                    "sqlite://{}/buergerportal.db?mode=rwc",
                    dir.display()
                ))
            }
            Backend::Postgres => {
                self.drop_database(rt)?;
                rt.block_on(admin(&format!("CREATE DATABASE {PG_DATABASE}")))?;
                let admin = admin_url();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Ok(format!("{base}/{PG_DATABASE}"))
            }
        }
    }

    fn drop_database(self, rt: &tokio::runtime::Runtime) -> Result<()> {
        match self {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("bp-bench-http-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(dir);
                Ok(())
            }
            Backend::Postgres => rt.block_on(admin(&format!(
                "DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"
            ))),
        }
    }
}

/// A citizen with favourites and Postfach messages, signed in the way a login
/// leaves the session. Returns the Cookie header value.
async fn sign_in(url: &str) -> Result<String> {
    use buergerportal::auth::{account, DbSessionStore, Person, SignedIn, SIGNED_IN};
    use buergerportal::postfach;
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    let store = buergerportal::store::Store::connect(url).await?;
    let now = buergerportal::clock::now_unix();
    let citizen = account::upsert_citizen(&store, ISSUER, "bench-erika", now).await?;
    for leika in FAVOURITES {
        account::set_favourite(&store, &citizen, leika, "kiel", true, now).await?;
    }
    let (_, credential) =
        postfach::add_sender(&store, "Bench-Amt", &["01".into()], None, now).await?;
    let sender = postfach::authenticate(&store, &credential)
        .await?
        .ok_or("the bench sender does not authenticate")?;
    for i in 0..MESSAGES {
        let delivery: postfach::Delivery = serde_json::from_value(serde_json::json!({
            "recipient": { "subject": "bench-erika" },
            "sender_message_id": format!("bench-{i}"),
            "subject": format!("Ihr Bescheid Nr. {i}"),
            "body": "Sehr geehrte Frau Bench, anbei Ihr Bescheid.",
        }))?;
        let valid = postfach::validate(&delivery).map_err(|e| format!("{e:?}"))?;
        postfach::deliver(&store, &sender, &citizen, None, valid, now - i as i64)
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    let signed_in = SignedIn {
        citizen_id: citizen,
        subject: "bench-erika".into(),
        name: CITIZEN_NAME.into(),
        person: Person {
            name: CITIZEN_NAME.into(),
            postal_code: "24103".into(),
            locality: "Kiel".into(),
            ..Default::default()
        },
        level: buergerportal::keys::Vertrauensniveau::Substantiell,
        id_token: String::new(),
        login_at: now,
        csrf: buergerportal::auth::random_token(),
    };
    let mut record = Record {
        id: Id::default(),
        data: [(SIGNED_IN.to_string(), serde_json::to_value(signed_in)?)].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
    };
    DbSessionStore(store.clone()).create(&mut record).await?;
    store.close().await;
    Ok(format!("bp_session={}", record.id))
}

// ---------------------------------------------------------------- tools

fn ensure_tools() -> Result<()> {
    if tools_present() {
        return Ok(());
    }
    eprintln!("wrk or nginx missing; installing them with apt-get …");
    let installed = apt_install(&["wrk", "nginx-light"])
        || (apt(&["update"]) && apt_install(&["wrk", "nginx-light"]))
        || apt_install(&["wrk", "nginx"]);
    if installed && tools_present() {
        return Ok(());
    }
    Err(format!(
        "this benchmark needs `wrk` and `{NGINX}`; installing them failed. \
         Install them yourself, e.g. `apt-get install -y wrk nginx-light`"
    )
    .into())
}

fn tools_present() -> bool {
    let wrk = Command::new("wrk")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    wrk && Path::new(NGINX).exists()
}

fn apt_install(packages: &[&str]) -> bool {
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// First line of a command's output (stdout or stderr), for the version report.
fn first_line_of(program: &str, args: &[&str]) -> String {
    let Ok(out) = Command::new(program).args(args).output() else {
        return format!("{program}: not runnable");
    };
    let text = [out.stdout, out.stderr].concat();
    String::from_utf8_lossy(&text)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("?")
        .split(" Copyright")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

// ---------------------------------------------------------------- processes

impl Guard {
    fn spawn(name: &'static str, command: &mut Command) -> Result<Guard> {
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Guard { name, child })
    }

    fn ensure_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => Err(format!("{} exited early: {status}", self.name).into()),
            None => Ok(()),
        }
    }

    /// Polls `path` until it answers 200.
    fn wait_for_200(&mut self, addr: SocketAddr, path: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.ensure_running()?;
            if get(addr, path).is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{} not ready at {path} after {timeout:?}", self.name).into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

struct Portal {
    addr: SocketAddr,
    _guard: Guard,
    _data: TempDir,
}

impl Portal {
    fn start(database_url: &str) -> Result<Portal> {
        let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let data = tempfile::tempdir()?;
        let addr = free_addr()?;
        let mut guard = Guard::spawn(
            "portal",
            Command::new(env!("CARGO_BIN_EXE_buergerportal"))
                .arg("serve")
                .env("BIND", addr.to_string())
                .env("DATA_DIR", data.path())
                .env("TENANTS_DIR", repo.join("tenants"))
                .env("CATALOGUE_DIR", repo.join("catalogue"))
                .env(
                    "SOURCES_DIR",
                    buergerportal::catalogue::sources::sources_dir_for_tests(),
                )
                .env("ASSETS_DIR", repo.join("assets"))
                .env("RUST_LOG", "warn")
                .env("DATABASE_URL", database_url)
                .env("OIDC_ISSUER", ISSUER)
                .env("OIDC_CLIENT_SECRET", "bench")
                .stdout(Stdio::null()),
        )?;
        let started = Instant::now();
        guard.wait_for_200(addr, "/readyz", Duration::from_secs(300))?;
        println!("portal ready on {addr} after {:.1?}", started.elapsed());
        Ok(Portal {
            addr,
            _guard: guard,
            _data: data,
        })
    }
}

struct Nginx {
    addr: SocketAddr,
    _guard: Guard,
    _dir: TempDir,
}

impl Nginx {
    fn start(pages: &Pages) -> Result<Nginx> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("html");
        std::fs::create_dir(&root)?;
        std::fs::write(root.join("start.html"), &pages.start.body)?;
        std::fs::write(root.join("service.html"), &pages.service.body)?;
        // Workers run as an unprivileged user; let them read the files.
        make_world_readable(&[dir.path(), &root])?;
        let addr = free_addr()?;
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, nginx_conf(dir.path(), &root, addr))?;
        let mut guard = Guard::spawn(
            "nginx",
            Command::new(NGINX)
                .arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"]),
        )?;
        guard.wait_for_200(addr, "/start.html", Duration::from_secs(30))?;
        println!("nginx ready on {addr}");
        Ok(Nginx {
            addr,
            _guard: guard,
            _dir: dir,
        })
    }
}

fn make_world_readable(dirs: &[&Path]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for dir in dirs {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn nginx_conf(dir: &Path, root: &Path, addr: SocketAddr) -> String {
    let dir = dir.display();
    let root = root.display();
    format!(
        "worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{}}
http {{
    default_type text/html;
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    server {{
        listen {addr};
        root {root};
    }}
}}
"
    )
}

// ---------------------------------------------------------------- HTTP client

/// A response read off a `Connection: close` request.
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn get(addr: SocketAddr, path: &str) -> Result<Reply> {
    get_as(addr, path, None)
}

fn get_as(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{cookie}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Result<Reply> {
    let end = find(raw, b"\r\n\r\n").ok_or("response without end of head")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("response without status")?;
    let mut reply = Reply {
        status,
        head,
        body: Vec::new(),
    };
    let rest = &raw[end + 4..];
    reply.body = if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        dechunk(rest).ok_or("malformed chunked body")?
    } else if let Some(len) = reply.header("content-length") {
        let len: usize = len.parse()?;
        rest.get(..len)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(reply)
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size_field = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_field.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The path part of a Location header (absolute URL or path).
fn location_path(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => location.to_string(),
    }
}

// ---------------------------------------------------------------- pages

struct Page {
    path: String,
    body: Vec<u8>,
    head_bytes: usize,
}

struct Pages {
    start: Page,
    service: Page,
}

fn fetch_pages(addr: SocketAddr) -> Result<Pages> {
    Ok(Pages {
        start: fetch_page(addr, "/")?,
        service: fetch_page(addr, SERVICE_PATH)?,
    })
}

/// Fetches a page, following one redirect to its canonical path.
fn fetch_page(addr: SocketAddr, path: &str) -> Result<Page> {
    let started = Instant::now();
    let mut reply = get(addr, path)?;
    let mut path = path.to_string();
    if (300..400).contains(&reply.status) {
        let location = reply
            .header("location")
            .ok_or("redirect without Location")?;
        path = location_path(location);
        println!("{SERVICE_PATH} redirects ({}) to {path}", reply.status);
        reply = get(addr, &path)?;
    }
    let first = started.elapsed();
    if reply.status != 200 {
        return Err(format!("portal answered {} for {path}", reply.status).into());
    }
    let again = Instant::now();
    let second = get(addr, &path)?;
    println!(
        "portal {path}: first fetch {first:.1?}, second {:.1?}",
        again.elapsed()
    );
    if second.body != reply.body {
        return Err(format!("portal {path} differs between two fetches").into());
    }
    Ok(Page {
        path,
        head_bytes: reply.head.len(),
        body: reply.body,
    })
}

/// nginx must answer 200 with exactly the bytes the portal served.
fn check_identical(pages: &Pages, nginx: SocketAddr) -> Result<()> {
    for (page, file) in [
        (&pages.start, "/start.html"),
        (&pages.service, "/service.html"),
    ] {
        let reply = get(nginx, file)?;
        if reply.status != 200 {
            return Err(format!("nginx answered {} for {file}", reply.status).into());
        }
        if reply.body != page.body {
            return Err(format!("nginx {file} differs from portal {}", page.path).into());
        }
        println!(
            "identical body: portal {} = nginx {file}: {} bytes (response head: portal {} bytes, nginx {} bytes)",
            page.path,
            page.body.len(),
            page.head_bytes,
            reply.head.len()
        );
    }
    Ok(())
}

/// The logged-in citizen's pages: (name in the report, path).
fn personal_paths(pages: &Pages) -> Vec<(&'static str, String)> {
    vec![
        ("service", pages.service.path.clone()),
        ("mein-bereich", "/mein-bereich".into()),
        ("postfach", "/postfach".into()),
    ]
}

/// Each logged-in page answers 200 for the citizen, privately, and shows the name.
fn check_signed_in(
    addr: SocketAddr,
    personal: &[(&'static str, String)],
    cookie: &str,
) -> Result<()> {
    for (_, path) in personal {
        let reply = get_as(addr, path, Some(cookie))?;
        let body = String::from_utf8_lossy(&reply.body);
        if reply.status != 200 || !body.contains(CITIZEN_NAME) {
            return Err(format!(
                "logged in {path}: {} without the citizen's name",
                reply.status
            )
            .into());
        }
        if reply.header("cache-control") != Some("private, no-store") {
            return Err(format!(
                "logged in {path} is not private: {:?}",
                reply.header("cache-control")
            )
            .into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- load

struct Target {
    page: &'static str,
    server: &'static str,
    url: String,
    cookie: Option<String>,
}

/// In the order they are measured: each portal page right before its nginx
/// twin, then the logged-in citizen's pages.
fn targets(
    pages: &Pages,
    portal: SocketAddr,
    nginx: SocketAddr,
    personal: &[(&'static str, String)],
    cookie: &str,
) -> Vec<Target> {
    let target = |page, server, addr: SocketAddr, path: &str| Target {
        page,
        server,
        url: format!("http://{addr}{path}"),
        cookie: None,
    };
    let mut all = vec![
        target("start", "portal", portal, &pages.start.path),
        target("start", "nginx", nginx, "/start.html"),
        target("service", "portal", portal, &pages.service.path),
        target("service", "nginx", nginx, "/service.html"),
    ];
    all.extend(personal.iter().map(|(page, path)| Target {
        cookie: Some(cookie.to_string()),
        ..target(page, "citizen", portal, path)
    }));
    all
}

#[derive(Clone, Copy)]
struct Sample {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
}

/// `rounds[r][t]` is target `t`'s result in round `r`.
fn measure_rounds(targets: &[Target], seconds: u64) -> Result<Vec<Vec<Sample>>> {
    let mut rounds = Vec::new();
    for round in 1..=ROUNDS {
        let mut samples = Vec::new();
        for t in targets {
            wrk(t, WARMUP_SECONDS)?;
            let s = wrk(t, seconds)?;
            println!(
                "round {round}: {:<12} {:<7} {:>9.0} req/s  p50 {:>8}  p99 {:>8}",
                t.page,
                t.server,
                s.rps,
                fmt_us(s.p50_us),
                fmt_us(s.p99_us)
            );
            samples.push(s);
        }
        rounds.push(samples);
    }
    Ok(rounds)
}

fn wrk(target: &Target, seconds: u64) -> Result<Sample> {
    let url = &target.url;
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .args(["-H", &format!("Host: {HOST}")]);
    if let Some(cookie) = &target.cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    let out = command.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("wrk {url} failed: {}\n{text}{err}", out.status).into());
    }
    parse_wrk(&text).map_err(|e| format!("wrk {url}: {e}\n{text}").into())
}

fn parse_wrk(text: &str) -> std::result::Result<Sample, String> {
    let line_with = |needle: &str| text.lines().map(str::trim).find(|l| l.contains(needle));
    if let Some(line) = line_with("Non-2xx or 3xx responses") {
        return Err(format!("not every answer was 2xx/3xx: {line}"));
    }
    if let Some(line) = line_with("Socket errors") {
        eprintln!("warning: wrk reported {line}");
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .ok_or(format!("no `{prefix}` line"))
    };
    let rps = field("Requests/sec:")?
        .parse()
        .map_err(|e| format!("Requests/sec: {e}"))?;
    let p50_us = parse_duration_us(field("50%")?)?;
    let p99_us = parse_duration_us(field("99%")?)?;
    Ok(Sample {
        rps,
        p50_us,
        p99_us,
    })
}

// ---------------------------------------------------------------- report

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_sample(rounds: &[Vec<Sample>], t: usize) -> Sample {
    let of = |f: fn(&Sample) -> f64| median(rounds.iter().map(|r| f(&r[t])).collect());
    Sample {
        rps: of(|s| s.rps),
        p50_us: of(|s| s.p50_us),
        p99_us: of(|s| s.p99_us),
    }
}

fn print_report(backend: Backend, targets: &[Target], rounds: &[Vec<Sample>], seconds: u64) {
    let medians: Vec<Sample> = (0..targets.len())
        .map(|t| median_sample(rounds, t))
        .collect();
    let rps_of = |page: &str, server: &str| {
        targets
            .iter()
            .position(|o| o.page == page && o.server == server)
            .map_or(f64::NAN, |n| medians[n].rps)
    };
    let cached = rps_of("service", "portal");
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<12} {:<7} {:>10} {:>10} {:>10} {:>9} {:>10}",
        "page", "server", "req/s", "p50", "p99", "of nginx", "of cached"
    );
    for (t, target) in targets.iter().enumerate() {
        let s = medians[t];
        let percent = |of: f64| {
            if of.is_nan() {
                "-".to_string()
            } else {
                format!("{:.0}%", 100.0 * s.rps / of)
            }
        };
        let _ = writeln!(
            table,
            "{:<12} {:<7} {:>10.0} {:>10} {:>10} {:>9} {:>10}",
            target.page,
            target.server,
            s.rps,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            percent(rps_of(target.page, "nginx")),
            percent(cached)
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "HTTP throughput on {}, median of {ROUNDS} rounds; wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s \
         (after {WARMUP_SECONDS} s warm-up), Host: {HOST}",
        backend.name()
    );
    println!("cores: {cores} (wrk, portal and nginx share them)");
    println!("wrk:    {}", first_line_of("wrk", &["-v"]));
    println!("nginx:  {}", first_line_of(NGINX, &["-v"]));
    println!(
        "portal: {} (bench profile)",
        first_line_of(env!("CARGO_BIN_EXE_buergerportal"), &["--version"])
    );
    println!();
    print!("{table}");
    println!("goals: portal ≥ 50% of nginx's req/s; citizen ≥ 35% of the cached service page, p99 ≤ 5 ms");
}
