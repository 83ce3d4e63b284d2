//! Several instances on one PostgreSQL: they start together on an empty
//! database, a change made anywhere reaches every instance within a second, and
//! their page caches drop exactly what changed. PostgreSQL only.

mod common;

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const KIEL: &str = "kiel.localhost";
const HUSUM: &str = "husum.localhost";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(db: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_buergerportal"));
    c.args(args)
        .env("DATABASE_URL", db)
        .env("TENANTS_DIR", common::repo("tenants"))
        .env("CATALOGUE_DIR", common::repo("catalogue"))
        .env("ASSETS_DIR", common::repo("assets"))
        .env("SOURCES_DIR", common::sources_dir())
        .env("RUST_LOG", "warn")
        .env_remove("OIDC_ISSUER")
        .env_remove("EDITOR_OIDC_ISSUER")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

struct Instance {
    port: u16,
    child: Child,
}

fn start(db: &str, metrics: Option<u16>) -> Instance {
    let port = free_port();
    let mut c = command(db, &["serve"]);
    c.env("BIND", format!("127.0.0.1:{port}"));
    if let Some(m) = metrics {
        c.env("METRICS_BIND", format!("127.0.0.1:{m}"));
    }
    Instance {
        port,
        child: c.spawn().expect("start buergerportal serve"),
    }
}

async fn get(client: &reqwest::Client, port: u16, host: &str, path: &str) -> reqwest::Response {
    client
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("host", host)
        .send()
        .await
        .expect("request")
}

async fn wait_ready(client: &reqwest::Client, i: &mut Instance) {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = i.child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = i.child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut err).await;
            }
            panic!("instance exited with {status} before it was ready: {err}");
        }
        let ready = client
            .get(format!("http://127.0.0.1:{}/readyz", i.port))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if ready {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "instance on port {} not ready",
            i.port
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How long until `check` holds on the instance, polling every 20 ms for up to 5 s.
async fn time_until<F, Fut>(check: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the change did not arrive within 5 s");
}

async fn cli(db: &str, args: &[&str]) {
    let out = command(db, args).output().await.unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn two_instances_share_one_postgres() {
    let db = common::empty_postgres_database();
    let metrics_port = free_port();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Both start at once on the empty database: one migrates, seeds and
    // imports, the other waits for it; neither dies of a duplicate key.
    let mut a = start(&db, Some(metrics_port));
    let mut b = start(&db, None);
    wait_ready(&client, &mut a).await;
    wait_ready(&client, &mut b).await;
    for i in [&a, &b] {
        assert_eq!(get(&client, i.port, KIEL, "/").await.status(), 200);
    }

    // Warm Husum's start page on instance B: the second request is a cache hit.
    get(&client, b.port, HUSUM, "/").await;
    let hit = get(&client, b.port, HUSUM, "/").await;
    assert_eq!(
        hit.headers().get("x-cache").map(|v| v.to_str().unwrap()),
        Some("hit")
    );

    // A change made elsewhere (here: the command line) reaches both instances
    // within a second.
    cli(&db, &["tenant", "suspend", "kiel"]).await;
    for i in [&a, &b] {
        let took =
            time_until(|| async { get(&client, i.port, KIEL, "/").await.status() == 503 }).await;
        assert!(
            took < Duration::from_secs(1),
            "suspension reached port {} after {took:?}",
            i.port
        );
    }
    // Only Kiel's pages were dropped: Husum's page is still served from the cache.
    let still = get(&client, b.port, HUSUM, "/").await;
    assert_eq!(
        still.headers().get("x-cache").map(|v| v.to_str().unwrap()),
        Some("hit"),
        "another tenant's change leaves Husum's cached pages alone"
    );
    cli(&db, &["tenant", "resume", "kiel"]).await;
    for i in [&a, &b] {
        let took =
            time_until(|| async { get(&client, i.port, KIEL, "/").await.status() == 200 }).await;
        assert!(took < Duration::from_secs(1), "resume after {took:?}");
    }

    // The metrics listener speaks Prometheus text; tenant hosts do not serve it.
    let text = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("http_requests_total{route=\"/\",status=\"200\""),
        "{text}"
    );
    assert!(text.contains("page_cache_lookups_total"), "{text}");
    assert!(
        text.contains("db_pool_connections")
            || text.contains("http_request_duration_seconds_bucket")
    );
    assert_eq!(get(&client, a.port, KIEL, "/metrics").await.status(), 404);

    for i in [&mut a, &mut b] {
        i.child.start_kill().unwrap();
        let _ = i.child.wait().await;
    }
}
