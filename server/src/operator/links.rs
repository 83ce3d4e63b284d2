//! The link check: every online-service URL (central and local) is requested
//! with a timeout and a redirect limit. "Broken" (404, 410, no such host, no
//! connection) is kept apart from "refuses robots" (401, 403, 429) and "slow"
//! (timeout), so that editors fix what is really broken first.

use crate::catalogue::Catalogue;
use crate::store::{int, text, Store, StoreError};
use crate::tenancy::{Tenant, Tenants};
use futures_util::StreamExt;
use openidconnect::reqwest;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    Broken,
    RefusesRobots,
    Slow,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Broken => "kaputt",
            Outcome::RefusesRobots => "verweigert",
            Outcome::Slow => "langsam",
            Outcome::Error => "fehler",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "erreichbar",
            Outcome::Broken => "kaputt",
            Outcome::RefusesRobots => "verweigert automatische Prüfungen",
            Outcome::Slow => "zu langsam",
            Outcome::Error => "Fehler beim Anbieter",
        }
    }

    fn parse(s: &str) -> Outcome {
        [
            Outcome::Ok,
            Outcome::Broken,
            Outcome::RefusesRobots,
            Outcome::Slow,
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            redirects: 5,
            parallel: 8,
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
    let client = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::limited(limits.redirects))
        .timeout(limits.timeout)
        .user_agent("Buergerportal-Linkpruefung/1.0")
        .build()
        .unwrap_or_default();
    let mut done = Vec::with_capacity(urls.len());
    let requests = urls.iter().cloned().map(|u| {
        let client = client.clone();
        async move { check_one(&client, &u).await }
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
