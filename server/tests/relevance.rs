//! Search relevance, measured over two labelled sets of citizen queries: the
//! original one (`tests/relevance/queries.toml`) and one written from public
//! sources of citizens' wording (`tests/relevance/citizens.toml`, forum
//! questions, municipal FAQ pages, keyword lists; never from this search's
//! misses). Each set's top-3 hit rate and mean reciprocal rank are reported on
//! their own, for our search and for PostgreSQL full-text search.
mod common;
use common::{Backend, TestApp};
use serde::Deserialize;

#[derive(Deserialize)]
struct Labelled {
    query: Vec<Query>,
}

#[derive(Deserialize)]
struct Query {
    q: String,
    kind: String,
    expect: Vec<String>,
}

/// The sets by name, with the top-3 hit rate below which a change made search
/// worse than measured (2026-11-29: 0.884 and 0.600; the goal is 0.85 on both).
const SETS: [(&str, &str, f64); 2] = [
    ("original", "queries.toml", 0.85),
    ("citizens", "citizens.toml", 0.58),
];

fn labelled(file: &str) -> Vec<Query> {
    let path = format!("{}/tests/relevance/{file}", env!("CARGO_MANIFEST_DIR"));
    let set: Labelled = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        set.query.len() >= 100,
        "at least 100 labelled queries in {file}"
    );
    set.query
}

#[derive(Default)]
struct Score {
    n: usize,
    top3: usize,
    reciprocal: f64,
}

impl Score {
    fn add(&mut self, ranked: &[String], expect: &[String]) {
        self.n += 1;
        if let Some(rank) = ranked.iter().position(|k| expect.contains(k)) {
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

/// The labelled queries run back to back, far above the per-client API rate limit.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.limits.rate_api_per_second = 100_000;
        c.limits.rate_search_per_second = 100_000;
    })
    .await
}

async fn ours(app: &TestApp, q: &str) -> Vec<String> {
    let url = format!(
        "/api/v1/search?q={}",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let res = app.get("kiel.localhost", &url).await;
    assert_eq!(res.status(), 200, "{q}");
    let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["leika"].as_str().unwrap().to_string())
        .collect()
}

async fn measure(app: &TestApp, file: &str, baseline: bool) -> (Score, Score, Vec<String>) {
    let (mut search, mut pg) = (Score::default(), Score::default());
    let mut misses = Vec::new();
    for q in labelled(file) {
        let ranked = ours(app, &q.q).await;
        if !ranked.iter().take(3).any(|k| q.expect.contains(k)) {
            misses.push(format!(
                "{} ({}): {:?}",
                q.q,
                q.kind,
                &ranked[..ranked.len().min(3)]
            ));
        }
        search.add(&ranked, &q.expect);
        if baseline {
            let ranked = buergerportal::search::baseline::search(app.state.store(), &q.q, 10)
                .await
                .unwrap();
            pg.add(&ranked, &q.expect);
        }
    }
    (search, pg, misses)
}

#[tokio::test]
async fn search_finds_what_citizens_mean() {
    let app = spawn(Backend::Sqlite).await;
    for (name, file, min_top3) in SETS {
        let (score, _, misses) = measure(&app, file, false).await;
        println!(
            "{name} set: top-3 hit rate {:.3}, MRR {:.3} over {} queries",
            score.top3_rate(),
            score.mrr(),
            score.n
        );
        println!("not in the top 3:\n  {}", misses.join("\n  "));
        assert!(
            score.top3_rate() >= min_top3,
            "{name} set: top-3 hit rate {:.3}",
            score.top3_rate()
        );
    }
}

#[tokio::test]
async fn search_beats_postgres_full_text_search() {
    let app = spawn(Backend::Postgres).await;
    buergerportal::search::baseline::prepare(app.state.store())
        .await
        .unwrap();
    for (name, file, _) in SETS {
        let (ours, pg, _) = measure(&app, file, true).await;
        println!(
            "{name} set: search top-3 {:.3}, MRR {:.3}; PostgreSQL FTS: top-3 {:.3}, MRR {:.3} ({} queries)",
            ours.top3_rate(),
            ours.mrr(),
            pg.top3_rate(),
            pg.mrr(),
            ours.n
        );
        assert!(ours.top3_rate() > pg.top3_rate(), "{name} set");
    }
}
