//! The link checker against a local server (never the internet): broken,
//! refusing robots and slow are told apart, redirects are followed up to the
//! limit, a tenant's report puts its most viewed services first, and links
//! into the operator's own network are never requested.

mod common;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use buergerportal::editor::content::{save_draft, Target, Who};
use buergerportal::editor::model::Kind;
use buergerportal::operator::links::{self, Limits, Outcome};
use common::TestApp;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn local_server() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "da" }))
        .route("/weg", get(|| async { StatusCode::NOT_FOUND }))
        .route("/entfernt", get(|| async { StatusCode::GONE }))
        .route("/keine-roboter", get(|| async { StatusCode::FORBIDDEN }))
        .route("/zu-oft", get(|| async { StatusCode::TOO_MANY_REQUESTS }))
        .route(
            "/kaputt",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/langsam",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "spät"
            }),
        )
        .route(
            "/umzug",
            get(|| async {
                (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/ok")]).into_response()
            }),
        )
        .route(
            "/kreis",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/kreis")]).into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

const LIMITS: Limits = Limits {
    timeout: Duration::from_millis(1500),
    redirects: 5,
    parallel: 4,
    // The test server listens on loopback.
    internal: true,
};

#[tokio::test]
async fn outcomes_are_told_apart() {
    let base = local_server().await;
    // A port nobody listens on: refused connection.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        ("/ok", Outcome::Ok),
        ("/umzug", Outcome::Ok),
        ("/weg", Outcome::Broken),
        ("/entfernt", Outcome::Broken),
        ("/kreis", Outcome::Broken),
        ("/keine-roboter", Outcome::RefusesRobots),
        ("/zu-oft", Outcome::RefusesRobots),
        ("/langsam", Outcome::Slow),
        ("/kaputt", Outcome::Error),
    ];
    let mut urls: Vec<String> = cases.iter().map(|(p, _)| format!("{base}{p}")).collect();
    urls.push(format!("http://127.0.0.1:{closed}/nichts"));
    let results = links::check(&urls, LIMITS, |_| {}).await;
    assert_eq!(results.len(), urls.len());
    let outcome = |url: &str| results.iter().find(|r| r.url == url).unwrap().outcome;
    for (path, expected) in cases {
        assert_eq!(outcome(&format!("{base}{path}")), expected, "{path}");
    }
    assert_eq!(
        outcome(&format!("http://127.0.0.1:{closed}/nichts")),
        Outcome::Broken
    );
    let slow = results
        .iter()
        .find(|r| r.url.ends_with("/langsam"))
        .unwrap();
    assert!(slow.millis < 4000, "the timeout bounds the wait: {slow:?}");
}

backend_test!(
    a_tenants_report_lists_its_problems_most_viewed_first,
    |app: TestApp| async move {
        let base = local_server().await;
        let store = app.state.store();
        let husum = app.state.tenants().by_slug("husum").unwrap().clone();
        let who = Who {
            actor: "test",
            now: 1,
        };
        for (key, name, path) in [
            ("wattfuehrung", "Wattführung buchen", "/weg"),
            ("strandkorb", "Strandkorb mieten", "/keine-roboter"),
            ("hafen", "Liegeplatz im Hafen", "/ok"),
        ] {
            let data = serde_json::json!({ "name": name, "online_url": format!("{base}{path}") });
            let target = Target {
                kind: Kind::Service,
                key,
            };
            save_draft(store, husum.scope(), target, &data, 0, who)
                .await
                .unwrap();
            buergerportal::editor::publish(store, &husum, target, who)
                .await
                .unwrap();
        }
        // The Strandkorb page is viewed more often than the Wattführung.
        app.state.refresh().await.unwrap();
        for _ in 0..3 {
            app.page("husum.localhost", "/leistungen/lokal/strandkorb")
                .await;
        }
        app.state.refresh().await.unwrap();

        let husum = app.state.tenants().by_slug("husum").unwrap().clone();
        let tenants = app.state.tenants();
        let urls: Vec<String> = links::all_urls(&app.state.catalogue(), &tenants)
            .into_iter()
            .filter(|u| u.starts_with(&base))
            .collect();
        assert_eq!(urls.len(), 3, "the tenant's own links are checked");
        let results = links::check(&urls, LIMITS, |_| {}).await;
        links::record(store, &results, 100).await.unwrap();
        assert_eq!(links::last_run(store).await.unwrap(), Some(100));

        let report = links::report(store, &app.state.catalogue(), &husum)
            .await
            .unwrap();
        let names: Vec<&str> = report.iter().map(|r| r.link.name.as_str()).collect();
        assert_eq!(
            names,
            ["Strandkorb mieten", "Wattführung buchen"],
            "{report:?}"
        );
        assert_eq!(report[0].outcome, Outcome::RefusesRobots);
        assert_eq!(report[0].views, 3);
        assert_eq!(report[1].outcome, Outcome::Broken);
        // Another tenant's report does not show Husum's links.
        let kiel = app.state.tenants().by_slug("kiel").unwrap().clone();
        let kiel_report = links::report(store, &app.state.catalogue(), &kiel)
            .await
            .unwrap();
        assert!(kiel_report.iter().all(|r| !r.link.url.starts_with(&base)));
    }
);

#[tokio::test]
async fn links_into_the_operators_network_are_never_requested() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "intern" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let urls: Vec<String> = [
        format!("http://127.0.0.1:{port}/ok"),
        // A name that resolves to loopback is refused when it is resolved.
        format!("http://localhost:{port}/ok"),
        format!("http://[::ffff:127.0.0.1]:{port}/ok"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
    ]
    .into();
    let guarded = Limits {
        internal: false,
        ..LIMITS
    };
    let results = links::check(&urls, guarded, |_| {}).await;
    for r in &results {
        assert_eq!(r.outcome, Outcome::Internal, "{r:?}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0, "no request reached it");
    // Allowed by the operator, the same server is checked.
    let results = links::check(&urls[..1], LIMITS, |_| {}).await;
    assert_eq!(results[0].outcome, Outcome::Ok);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
