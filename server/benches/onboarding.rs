//! Bulk onboarding (issue 13), from one run, with the release binary:
//!
//! 1. `tenant onboard-land 01`: every administration of Schleswig-Holstein as
//!    drafts (goal: under 10 s), then the same again (nothing changes).
//! 2. Every other Land (goal for all of Germany: under a minute).
//! 3. The portal serving every German municipality as a tenant: its resident
//!    memory once ready, and the time of one start page.
//!
//! SQLite by default; `BENCH_DATABASE_URL=postgres://…/db` for PostgreSQL (an
//! empty database). `cargo bench -p buergerportal --bench onboarding`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{free_addr, Guard, Result};

const LAENDER: [&str; 16] = [
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
];

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("onboarding bench failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn command(data: &Path, db: &Option<String>) -> Command {
    let repo = repo();
    let mut c = Command::new(env!("CARGO_BIN_EXE_buergerportal"));
    c.env("DATA_DIR", data)
        .env("TENANTS_DIR", repo.join("tenants"))
        .env("CATALOGUE_DIR", repo.join("catalogue"))
        .env("ASSETS_DIR", repo.join("assets"))
        .env(
            "SOURCES_DIR",
            buergerportal::catalogue::sources::sources_dir_for_tests(),
        )
        .env("RUST_LOG", "warn");
    match db {
        Some(url) => c.env("DATABASE_URL", url),
        None => c.env_remove("DATABASE_URL"),
    };
    c
}

/// Runs `tenant onboard-land`, returns the wall time and what it printed.
fn onboard_land(data: &Path, db: &Option<String>, land: &str) -> Result<(Duration, String)> {
    let started = Instant::now();
    let out = command(data, db)
        .args(["tenant", "onboard-land", land, "--domain", "bench.example"])
        .output()?;
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() {
        return Err(format!(
            "onboard-land {land}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok((took, text))
}

fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = std::env::var("BENCH_DATABASE_URL").ok();
    println!(
        "store: {}",
        if db.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    // Migrate, seed and import the catalogue first: that is not onboarding.
    let started = Instant::now();
    let out = command(dir.path(), &db).arg("import").output()?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string().into());
    }
    println!("catalogue import (not counted): {:.1?}", started.elapsed());

    let (sh, text) = onboard_land(dir.path(), &db, "01")?;
    println!("Schleswig-Holstein: {sh:.2?} (goal < 10 s; process start included) – {text}");
    let (again, text) = onboard_land(dir.path(), &db, "01")?;
    println!("Schleswig-Holstein again: {again:.2?} – {text}");
    let mut germany = sh;
    for land in &LAENDER[1..] {
        let (took, text) = onboard_land(dir.path(), &db, land)?;
        germany += took;
        println!("  Land {land}: {took:.2?} – {text}");
    }
    println!("all of Germany: {germany:.2?} (goal < 60 s)");

    let (addr, guard) = serve(dir.path(), &db)?;
    let rss = rss_kib(guard.child.id())?;
    let started = Instant::now();
    let status = get(addr, "kiel.localhost", "/")?;
    println!(
        "portal with every administration as a tenant: {} MiB resident; start page of Kiel {status} in {:.1?}",
        rss / 1024,
        started.elapsed()
    );
    drop(guard);
    Ok(())
}

fn serve(data: &Path, db: &Option<String>) -> Result<(SocketAddr, Guard)> {
    let addr = free_addr()?;
    let child = command(data, db)
        .arg("serve")
        .env("BIND", addr.to_string())
        .stdout(Stdio::null())
        .spawn()?;
    let guard = Guard {
        name: "portal",
        child,
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while get(addr, "kiel.localhost", "/readyz").ok() != Some(200) {
        if Instant::now() > deadline {
            return Err("portal not ready after 300 s".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok((addr, guard))
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

fn get(addr: SocketAddr, host: &str, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "no status".into())
}
