//! The portal under hostile traffic (issue 11), from one run:
//!
//! 1. The most expensive search queries we could construct, each timed alone;
//!    the worst one is named.
//! 2. While 16 connections send that query without pause, `/healthz` and a
//!    cached page are measured (p50/p99), beside the same measurement without
//!    the attack. Goal: p99 under 50 ms.
//! 3. 100,000 unique junk URLs over three tenants; the portal's resident memory
//!    before and after, and the hit rate of real pages (warmed before the
//!    flood) after it. Goal: growth under 100 MB, hit rate above 95 %.
//!
//! Rate limits are switched off: an attacker with many addresses is not
//! slowed by them, so the bounds per request must hold on their own.
//! `cargo bench -p buergerportal --bench hostile`; `BENCH_SECONDS` (default 10).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{apt, bench_seconds, fmt_us, free_addr, parse_duration_us, Guard, Result};

const TENANTS: [&str; 3] = [
    "kiel.localhost",
    "husum.localhost",
    "huettener-berge.localhost",
];
const ATTACK_CONNECTIONS: u32 = 16;
const JUNK_URLS: u64 = 100_000;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hostile bench failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    ensure_wrk()?;
    let seconds = bench_seconds()?;
    let dir = tempfile::tempdir()?;
    let (addr, mut portal) = start_portal(dir.path())?;
    let worst = worst_query(addr)?;
    under_attack(addr, &worst, seconds)?;
    junk_flood(addr, &mut portal, dir.path())?;
    Ok(())
}

fn ensure_wrk() -> Result<()> {
    let present = || Command::new("wrk").arg("-v").output().is_ok();
    if present() || (apt(&["install", "-y", "wrk"]) && present()) {
        return Ok(());
    }
    Err("this benchmark needs `wrk` (apt-get install -y wrk)".into())
}

fn start_portal(data: &std::path::Path) -> Result<(SocketAddr, Guard)> {
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let addr = free_addr()?;
    let child = Command::new(env!("CARGO_BIN_EXE_buergerportal"))
        .arg("serve")
        .env("BIND", addr.to_string())
        .env("DATA_DIR", data)
        .env("TENANTS_DIR", repo.join("tenants"))
        .env("CATALOGUE_DIR", repo.join("catalogue"))
        .env(
            "SOURCES_DIR",
            buergerportal::catalogue::sources::sources_dir_for_tests(),
        )
        .env("ASSETS_DIR", repo.join("assets"))
        .env("RATE_SEARCH_PER_SECOND", "0")
        .env("RATE_LOGIN_PER_MINUTE", "0")
        .env("RATE_API_PER_SECOND", "0")
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .spawn()?;
    let guard = Guard {
        name: "portal",
        child,
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while get(addr, TENANTS[0], "/readyz").map(|r| r.0) != Ok(200) {
        if Instant::now() > deadline {
            return Err("portal not ready after 300 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok((addr, guard))
}

/// (status, head, body) of one request on its own connection.
fn get(addr: SocketAddr, host: &str, path: &str) -> std::result::Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_string();
    Ok((status, head))
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Times each candidate alone (median of 15) and returns the worst.
fn worst_query(addr: SocketAddr) -> Result<String> {
    println!("\n1. The most expensive queries, alone (median of 15, wall time per request):");
    let mut worst = (0.0f64, String::new(), String::new());
    for (label, q) in support::hostile_queries() {
        let path = format!("/api/v1/search?q={}", encode(&q));
        let mut times = Vec::new();
        let mut status = 0;
        for _ in 0..15 {
            let started = Instant::now();
            status = get(addr, TENANTS[0], &path)?.0;
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        println!("   {label:<40} {status}  {:>10}", fmt_us(median));
        if median > worst.0 {
            worst = (median, label, q);
        }
    }
    println!("   worst: {} ({})", worst.1, fmt_us(worst.0));
    Ok(worst.2)
}

struct Sample {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
}

fn wrk(
    url: &str,
    host: &str,
    connections: u32,
    seconds: u64,
    script: Option<&std::path::Path>,
) -> Result<(Sample, String)> {
    let mut cmd = Command::new("wrk");
    cmd.arg("-t1")
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .args(["-H", &format!("Host: {host}")]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| -> Result<String> {
        Ok(text
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .ok_or_else(|| format!("wrk: no `{prefix}` in\n{text}"))?
            .trim()
            .to_string())
    };
    let sample = Sample {
        rps: field("Requests/sec:")?.parse()?,
        p50_us: parse_duration_us(&field("50%")?)?,
        p99_us: parse_duration_us(&field("99%")?)?,
    };
    Ok((sample, text))
}

/// `/healthz` and a cached page, measured with 4 connections each, with and
/// without 16 connections sending the worst query at the same time.
fn under_attack(addr: SocketAddr, worst: &str, seconds: u64) -> Result<()> {
    let base = format!("http://{addr}");
    get(addr, TENANTS[0], "/")?;
    let victims = [("/healthz", "/healthz"), ("cached start page", "/")];
    let measure = |label: &str| -> Result<Vec<Sample>> {
        victims
            .iter()
            .map(|(name, path)| {
                let (s, _) = wrk(&format!("{base}{path}"), TENANTS[0], 4, seconds, None)?;
                println!(
                    "   {label:<16} {name:<18} {:>9.0} req/s  p50 {:>9}  p99 {:>9}",
                    s.rps,
                    fmt_us(s.p50_us),
                    fmt_us(s.p99_us)
                );
                Ok(s)
            })
            .collect()
    };
    println!("\n2. Pages while {ATTACK_CONNECTIONS} connections send the worst query (wrk -t1 -c4 per page):");
    let quiet = measure("no attack")?;
    let attack_url = format!("{base}/api/v1/search?q={}", encode(worst));
    let total = seconds * (victims.len() as u64) + 4;
    let mut attacker = Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{ATTACK_CONNECTIONS}"))
        .arg(format!("-d{total}s"))
        .args(["-H", &format!("Host: {}", TENANTS[0])])
        .arg(&attack_url)
        .stdout(Stdio::piped())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(2));
    let attacked = measure("under attack")?;
    let mut attack_out = String::new();
    attacker.wait()?;
    if let Some(mut o) = attacker.stdout.take() {
        o.read_to_string(&mut attack_out)?;
    }
    let attack_rps = attack_out
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .unwrap_or("?")
        .trim()
        .to_string();
    println!("   the attack itself: {attack_rps} worst-query searches/s answered");
    for ((name, _), (q, a)) in victims.iter().zip(quiet.iter().zip(&attacked)) {
        println!(
            "   {name}: p99 {} → {} under attack ({}); throughput {:.0} → {:.0} req/s",
            fmt_us(q.p99_us),
            fmt_us(a.p99_us),
            if a.p99_us < 50_000.0 {
                "under 50 ms"
            } else {
                "OVER 50 ms"
            },
            q.rps,
            a.rps
        );
    }
    Ok(())
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".into())
}

/// Real pages of each tenant: start, A–Z, Lebenslagen and the services its start page links.
fn real_pages(addr: SocketAddr) -> Result<Vec<(&'static str, String)>> {
    let mut out = Vec::new();
    for host in TENANTS {
        for path in ["/", "/a-z", "/lebenslagen", "/a-z/p", "/a-z/s"] {
            out.push((host, path.to_string()));
        }
        let body = get_body(addr, host, "/")?;
        for href in body
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|h| h.starts_with("/leistungen/") || h.starts_with("/lebenslagen/"))
            .take(40)
        {
            out.push((host, href.replace("&amp;", "&")));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn get_body(addr: SocketAddr, host: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    Ok(raw)
}

fn junk_flood(addr: SocketAddr, portal: &mut Guard, dir: &std::path::Path) -> Result<()> {
    println!(
        "\n3. {JUNK_URLS} unique junk URLs over {} tenants:",
        TENANTS.len()
    );
    let pages = real_pages(addr)?;
    for _ in 0..2 {
        for (host, path) in &pages {
            get(addr, host, path)?;
        }
    }
    let pid = portal.child.id();
    let before = rss_kib(pid)?;
    // Each wrk connection takes the host of its tenant; every request a new URL.
    let script = dir.join("junk.lua");
    std::fs::write(
        &script,
        r#"
local counter = 0
local patterns = { "/a-z?x=%d", "/?utm_source=%d", "/lebenslagen?gemeinde=%012d", "/a-z/p?seite=%d&x=%d" }
request = function()
  counter = counter + 1
  local p = patterns[(counter % #patterns) + 1]
  return wrk.format(nil, string.format(p, counter, counter))
end
"#,
    )?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut round = 0;
    while sent < JUNK_URLS {
        let host = TENANTS[round % TENANTS.len()];
        round += 1;
        let (s, text) = wrk(&format!("http://{addr}"), host, 16, 4, Some(&script))?;
        let requests: u64 = text
            .lines()
            .find(|l| l.contains("requests in"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or((s.rps * 4.0) as u64);
        sent += requests;
    }
    let after = rss_kib(pid)?;
    let mut hits = 0;
    for (host, path) in &pages {
        let (status, head) = get(addr, host, path)?;
        if status == 200 && head.to_ascii_lowercase().contains("x-cache: hit") {
            hits += 1;
        }
    }
    let growth_mb = (after as f64 - before as f64) / 1024.0;
    let rate = 100.0 * hits as f64 / pages.len() as f64;
    println!(
        "   {sent} junk requests in {:.1?}; resident memory {:.0} MB → {:.0} MB: growth {growth_mb:.1} MB ({})",
        started.elapsed(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        if growth_mb < 100.0 { "under 100 MB" } else { "OVER 100 MB" }
    );
    println!(
        "   real pages still served from the cache afterwards: {hits} of {} ({rate:.1} %, {})",
        pages.len(),
        if rate > 95.0 {
            "above 95 %"
        } else {
            "BELOW 95 %"
        }
    );
    Ok(())
}
