//! HTTP throughput of the portal against nginx serving the identical HTML bytes.
//!
//! `cargo bench -p buergerportal --bench http` starts the portal (fresh SQLite) and
//! nginx as child processes, loads both with `wrk`, and prints requests per second
//! and p50/p99 latency per page and server. Goal: at least half of nginx's throughput.
//!
//! Env: `BENCH_SECONDS` (default 10) is the length of each measured run.

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
    let portal = Portal::start()?;
    let pages = fetch_pages(portal.addr)?;
    let nginx = Nginx::start(&pages)?;
    check_identical(&pages, nginx.addr)?;
    let targets = targets(&pages, portal.addr, nginx.addr);
    let rounds = measure_rounds(&targets, seconds)?;
    print_report(&targets, &rounds, seconds);
    Ok(())
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
    fn start() -> Result<Portal> {
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
                .env_remove("DATABASE_URL")
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
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
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

// ---------------------------------------------------------------- load

struct Target {
    page: &'static str,
    server: &'static str,
    url: String,
}

/// In the order they are measured: each portal page right before its nginx twin.
fn targets(pages: &Pages, portal: SocketAddr, nginx: SocketAddr) -> Vec<Target> {
    let target = |page, server, addr: SocketAddr, path: &str| Target {
        page,
        server,
        url: format!("http://{addr}{path}"),
    };
    vec![
        target("start", "portal", portal, &pages.start.path),
        target("start", "nginx", nginx, "/start.html"),
        target("service", "portal", portal, &pages.service.path),
        target("service", "nginx", nginx, "/service.html"),
    ]
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
            wrk(&t.url, WARMUP_SECONDS)?;
            let s = wrk(&t.url, seconds)?;
            println!(
                "round {round}: {:<7} {:<6} {:>9.0} req/s  p50 {:>8}  p99 {:>8}",
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

fn wrk(url: &str, seconds: u64) -> Result<Sample> {
    let out = Command::new("wrk")
        .arg(format!("-t{THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .args(["-H", &format!("Host: {HOST}")])
        .arg(url)
        .output()?;
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

fn print_report(targets: &[Target], rounds: &[Vec<Sample>], seconds: u64) {
    let medians: Vec<Sample> = (0..targets.len())
        .map(|t| median_sample(rounds, t))
        .collect();
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<8} {:<7} {:>10} {:>10} {:>10} {:>9}",
        "page", "server", "req/s", "p50", "p99", "of nginx"
    );
    for (t, target) in targets.iter().enumerate() {
        let nginx = targets
            .iter()
            .position(|o| o.page == target.page && o.server == "nginx")
            .map_or(f64::NAN, |n| medians[n].rps);
        let s = medians[t];
        let _ = writeln!(
            table,
            "{:<8} {:<7} {:>10.0} {:>10} {:>10} {:>8.0}%",
            target.page,
            target.server,
            s.rps,
            fmt_us(s.p50_us),
            fmt_us(s.p99_us),
            100.0 * s.rps / nginx
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "HTTP throughput, median of {ROUNDS} rounds; wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s \
         (after {WARMUP_SECONDS} s warm-up), Host: {HOST}"
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
    println!("goal: portal ≥ 50% of nginx's req/s");
}
