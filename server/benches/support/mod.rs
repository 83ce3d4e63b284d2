//! Helpers both benchmarks share: child processes that stop with the bench,
//! free ports, Debian packages, wrk's duration format.
#![allow(dead_code)]

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub type Result<T> = std::result::Result<T, Box<dyn Error>>;

pub fn bench_seconds() -> Result<u64> {
    match std::env::var("BENCH_SECONDS") {
        Ok(s) => Ok(s
            .trim()
            .parse()
            .map_err(|_| format!("BENCH_SECONDS={s:?} is not a number"))?),
        Err(_) => Ok(10),
    }
}

/// Runs apt-get, waiting for a lock held by another install instead of failing.
pub fn apt(args: &[&str]) -> bool {
    Command::new("apt-get")
        .args(["-o", "DPkg::Lock::Timeout=600"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|s| s.success())
}

/// A child process that is stopped when this goes out of scope, also on panic.
pub struct Guard {
    pub name: &'static str,
    pub child: Child,
}

impl Drop for Guard {
    // SIGTERM first, so that nginx's master stops its workers and the portal shuts down gracefully.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop on SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// wrk prints latencies as `635.91us`, `1.23ms`, `1.01s`, `2.00m`.
pub fn parse_duration_us(s: &str) -> std::result::Result<f64, String> {
    let split = s
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or(format!("latency without unit: {s}"))?;
    let (number, unit) = s.split_at(split);
    let number: f64 = number.parse().map_err(|e| format!("latency {s}: {e}"))?;
    let factor = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        "h" => 3600e6,
        _ => return Err(format!("unknown latency unit in {s}")),
    };
    Ok(number * factor)
}

pub fn fmt_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// Hostile queries: long words (compound splitting, deletions, fuzzy
/// automata), many words, typo-laden compounds, query-syntax operators.
pub fn hostile_queries() -> Vec<(String, String)> {
    let parts = [
        "hunde", "steuer", "ausweis", "personal", "fuhrer", "schein", "wohn", "sitz",
    ];
    let compound: String = parts.iter().cycle().take(8).copied().collect();
    vec![
        ("one 200-letter word".into(), "a".repeat(200)),
        ("40-letter compound".into(), compound[..40].to_string()),
        (
            "39-letter compound with a typo".into(),
            format!("{}x", &compound[..38]),
        ),
        (
            "28-letter typo compound".into(),
            format!("{}q", &compound[..27]),
        ),
        (
            "ten 19-letter typo compounds".into(),
            (0..10)
                .map(|i| format!("anwohnerparkausweis{}", (b'a' + i) as char))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "40 short words".into(),
            "hund ".repeat(40).trim().to_string(),
        ),
        (
            "ten 14-letter unknown words (2 edits)".into(),
            (0..10)
                .map(|i| format!("qwertzuiopasd{i}"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            "query syntax".into(),
            "\"(hund OR katze) AND name:steuer~2^3 +pass -ausweis [a TO z] *".into(),
        ),
        (
            "control characters".into(),
            "hund\u{7}\u{1b}[31msteuer\u{0}".into(),
        ),
    ]
}
