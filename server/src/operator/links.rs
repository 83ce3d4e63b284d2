//! The link check: every online-service URL (central and local) is requested
//! with a timeout and a redirect limit. "Broken" (404, 410, no such host, no
//! connection) is kept apart from "refuses robots" (401, 403, 429) and "slow"
//! (timeout), so that editors fix what is really broken first.
//!
//! Editors enter these URLs, so the check must not become their scanner of the
//! operator's own network: addresses that are not public (loopback, private,
//! link-local, cloud metadata …) are neither requested nor followed to, unless
//! the operator allows them (`LINK_CHECK_INTERNAL`, for tests and closed networks).

use crate::catalogue::Catalogue;
use crate::store::{int, text, Store, StoreError};
use crate::tenancy::{Tenant, Tenants};
use futures_util::StreamExt;
use openidconnect::reqwest;
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    Broken,
    RefusesRobots,
    Slow,
    Error,
    /// Points into a network that is not public: not requested.
    Internal,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Broken => "kaputt",
            Outcome::RefusesRobots => "verweigert",
            Outcome::Slow => "langsam",
            Outcome::Error => "fehler",
            Outcome::Internal => "intern",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "erreichbar",
            Outcome::Broken => "kaputt",
            Outcome::RefusesRobots => "verweigert automatische Prüfungen",
            Outcome::Slow => "zu langsam",
            Outcome::Error => "Fehler beim Anbieter",
            Outcome::Internal => "zeigt in ein internes Netz (nicht geprüft)",
        }
    }

    fn parse(s: &str) -> Outcome {
        [
            Outcome::Ok,
            Outcome::Broken,
            Outcome::RefusesRobots,
            Outcome::Slow,
            Outcome::Internal,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .unwrap_or(Outcome::Error)
    }

    /// By the final status of a request (after redirects).
    pub fn of_status(status: u16) -> Outcome {
        match status {
            200..=399 => Outcome::Ok,
            404 | 410 => Outcome::Broken,
            401 | 403 | 429 => Outcome::RefusesRobots,
            _ => Outcome::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub url: String,
    pub outcome: Outcome,
    pub status: Option<u16>,
    pub millis: u64,
    pub detail: String,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub redirects: usize,
    pub parallel: usize,
    /// Whether addresses that are not public may be requested.
    pub internal: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            redirects: 5,
            parallel: 8,
            internal: false,
        }
    }
}

/// A link shown to citizens: the URL and the service it belongs to
/// (a LeiKa key, or `lokal:<key>` for a tenant's own service).
#[derive(Debug, Clone)]
pub struct Link {
    pub url: String,
    pub service: String,
    pub name: String,
}

/// The central catalogue's online services: every tenant shows them.
pub fn central_links(c: &Catalogue) -> Vec<Link> {
    c.leistungen
        .iter()
        .filter_map(|l| {
            let o = c.online(&l.leika)?;
            Some(Link {
                url: o.url.clone(),
                service: l.leika.as_str().to_string(),
                name: l.name.clone(),
            })
        })
        .collect()
}

/// A tenant's own online links (its local services).
pub fn local_links(t: &Tenant) -> Vec<Link> {
    t.local
        .services
        .iter()
        .filter_map(|s| {
            Some(Link {
                url: s.data.online_url.clone()?,
                service: format!("lokal:{}", s.key),
                name: s.data.name.clone(),
            })
        })
        .collect()
}

/// Every distinct http(s) URL of the platform.
pub fn all_urls(c: &Catalogue, tenants: &Tenants) -> Vec<String> {
    let mut urls: Vec<String> = central_links(c)
        .into_iter()
        .chain(tenants.all().iter().flat_map(|t| local_links(t)))
        .map(|l| l.url)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// Checks the URLs, `limits.parallel` at a time; `progress` gets the count done.
pub async fn check(urls: &[String], limits: Limits, progress: impl Fn(usize)) -> Vec<Checked> {
    let mut builder = reqwest::ClientBuilder::new()
        .timeout(limits.timeout)
        .user_agent("Buergerportal-Linkpruefung/1.0");
    builder = if limits.internal {
        builder.redirect(reqwest::redirect::Policy::limited(limits.redirects))
    } else {
        builder
            .redirect(public_redirects(limits.redirects))
            .dns_resolver(Arc::new(PublicOnly))
    };
    // Without the guard the check must not run at all: no client, no requests.
    let client = builder.build().ok();
    let mut done = Vec::with_capacity(urls.len());
    let requests = urls.iter().cloned().map(|u| {
        let client = client.clone();
        async move {
            match client {
                Some(c) if limits.internal || literal_is_public(&u) => check_one(&c, &u).await,
                Some(_) => internal(&u),
                None => failed(&u, "kein HTTP-Client"),
            }
        }
    });
    let mut results = futures_util::stream::iter(requests).buffer_unordered(limits.parallel.max(1));
    while let Some(r) = results.next().await {
        done.push(r);
        progress(done.len());
    }
    done.sort_by(|a, b| a.url.cmp(&b.url));
    done
}

async fn check_one(client: &reqwest::Client, url: &str) -> Checked {
    let started = Instant::now();
    // HEAD first; servers that do not allow it are asked with GET.
    let mut answer = client.head(url).send().await;
    if matches!(&answer, Ok(r) if matches!(r.status().as_u16(), 405 | 501)) {
        answer = client.get(url).send().await;
    }
    let millis = started.elapsed().as_millis() as u64;
    let (outcome, status, detail) = match answer {
        Ok(r) => {
            let s = r.status().as_u16();
            (Outcome::of_status(s), Some(s), format!("HTTP {s}"))
        }
        Err(e) if leads_inside(&e) => return internal(url),
        Err(e) if e.is_timeout() => (Outcome::Slow, None, "Zeitüberschreitung".into()),
        Err(e) if e.is_redirect() => (Outcome::Broken, None, "zu viele Weiterleitungen".into()),
        Err(e) if e.is_connect() => (
            Outcome::Broken,
            None,
            "keine Verbindung (Name oder Server unbekannt)".into(),
        ),
        Err(e) => (
            Outcome::Error,
            None,
            e.to_string().chars().take(200).collect(),
        ),
    };
    Checked {
        url: url.to_string(),
        outcome,
        status,
        millis,
        detail,
    }
}

fn internal(url: &str) -> Checked {
    Checked {
        url: url.to_string(),
        outcome: Outcome::Internal,
        status: None,
        millis: 0,
        detail: "Adresse in einem nicht öffentlichen Netz".into(),
    }
}

fn failed(url: &str, detail: &str) -> Checked {
    Checked {
        outcome: Outcome::Error,
        detail: detail.into(),
        ..internal(url)
    }
}

/// The error the guard raises: a host or redirect that leads inside.
#[derive(Debug)]
struct InsideAddress;

impl std::fmt::Display for InsideAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Adresse in einem nicht öffentlichen Netz")
    }
}

impl std::error::Error for InsideAddress {}

fn leads_inside(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<InsideAddress>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Resolves host names to their public addresses only; a name with none is refused.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(InsideAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Redirects up to the limit, and never to an address literal that is not
/// public (names are checked by [`PublicOnly`] when connecting).
fn public_redirects(limit: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > limit {
            attempt.error("zu viele Weiterleitungen")
        } else if !literal_is_public(attempt.url().as_str()) {
            attempt.error(InsideAddress)
        } else {
            attempt.follow()
        }
    })
}

/// False for a URL whose host is an address that is not public; host names
/// pass here and are checked when they are resolved.
fn literal_is_public(url: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
    else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => is_public(ip),
        Err(_) => true,
    }
}

/// Whether an address belongs to the public internet. Written out because
/// `IpAddr::is_global` is still unstable in std; the ranges are those of the
/// IANA special-purpose registries (RFC 6890 and successors).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => {
                // Global unicast is 2000::/3; within it documentation, Teredo and 6to4
                // (the last two tunnel to addresses that are not checked here).
                let s = v6.segments();
                s[0] & 0xe000 == 0x2000
                    && !(s[0] == 0x2001 && (s[1] == 0x0db8 || s[1] == 0))
                    && s[0] != 0x2002
            }
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

/// Records results (the latest per URL) and forgets URLs no longer checked.
pub async fn record(store: &Store, results: &[Checked], now: i64) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("DELETE FROM link_checks")
        .execute(&mut *tx)
        .await?;
    for r in results {
        sqlx::query(
            "INSERT INTO link_checks (url, outcome, status, millis, checked_at, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.url)
        .bind(r.outcome.as_str())
        .bind(r.status.map(i64::from))
        .bind(r.millis as i64)
        .bind(now)
        .bind(&r.detail)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    for (outcome, n) in summary(results) {
        metrics::gauge!("link_check_urls", "outcome" => outcome.as_str()).set(n as f64);
    }
    Ok(())
}

pub fn summary(results: &[Checked]) -> BTreeMap<Outcome, usize> {
    let mut out = BTreeMap::new();
    for r in results {
        *out.entry(r.outcome).or_insert(0) += 1;
    }
    out
}

/// When the last check ran (Unix seconds), if ever.
pub async fn last_run(store: &Store) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT MAX(checked_at) AS at FROM link_checks")
        .fetch_one(store.pool())
        .await?;
    Ok(int(&row, "at")?)
}

/// One line of a tenant's report.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub link: Link,
    pub outcome: Outcome,
    pub detail: String,
    pub views: i64,
}

/// The links a tenant's citizens see that are not fine, the most viewed
/// services first.
pub async fn report(
    store: &Store,
    c: &Catalogue,
    t: &Tenant,
) -> Result<Vec<ReportRow>, StoreError> {
    let mut checked: HashMap<String, (Outcome, String)> = HashMap::new();
    for r in sqlx::query("SELECT url, outcome, detail FROM link_checks WHERE outcome <> 'ok'")
        .fetch_all(store.pool())
        .await?
    {
        checked.insert(
            text(&r, "url")?,
            (Outcome::parse(&text(&r, "outcome")?), text(&r, "detail")?),
        );
    }
    let views: HashMap<String, i64> = crate::editor::top_views(store, t.scope(), i64::MAX)
        .await?
        .into_iter()
        .collect();
    let mut rows: Vec<ReportRow> = central_links(c)
        .into_iter()
        .chain(local_links(t))
        .filter_map(|link| {
            let (outcome, detail) = checked.get(&link.url)?.clone();
            Some(ReportRow {
                views: views.get(&link.service).copied().unwrap_or(0),
                link,
                outcome,
                detail,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.views
            .cmp(&a.views)
            .then(a.outcome.cmp(&b.outcome))
            .then(a.link.name.cmp(&b.link.name))
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_count_as_public() {
        for public in ["8.8.8.8", "1.1.1.1", "194.25.2.129", "2a00:1450:4001::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(inside.parse().unwrap()), "{inside}");
        }
    }

    #[test]
    fn address_literals_are_judged_before_any_request() {
        assert!(!literal_is_public("http://127.0.0.1:5432/"));
        assert!(!literal_is_public("http://[::1]/"));
        assert!(!literal_is_public("http://[fd12::1]:8080/x"));
        assert!(!literal_is_public("kein url"));
        assert!(literal_is_public("https://www.kiel.de/"));
        assert!(literal_is_public("https://93.184.215.14/"));
    }
}
