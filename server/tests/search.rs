//! Search through HTTP: the page and the JSON API agree, filters and facets
//! count, bad input never breaks anything, zero results are counted.
mod common;
use common::{Backend, TestApp};
use serde_json::Value;

async fn api(app: &TestApp, host: &str, query: &str) -> (u16, String, Value) {
    let res = app.get(host, &format!("/api/v1/search?{query}")).await;
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.text().await.unwrap();
    (
        status,
        ct,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    )
}

fn keys(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["leika"].as_str().unwrap().to_string())
        .collect()
}

backend_test!(
    page_and_api_give_the_same_results,
    |app: TestApp| async move {
        let (status, _, v) = api(&app, "kiel.localhost", "q=hund%20anmelden").await;
        assert_eq!(status, 200);
        let hits = v["hits"].as_array().unwrap();
        assert!(!hits.is_empty());
        for h in hits {
            assert_eq!(h["leika"].as_str().unwrap().len(), 14);
            assert!(h["url"].as_str().unwrap().starts_with("/leistungen/"));
            assert!(h["name"].is_string());
        }
        let (_, page) = app.page("kiel.localhost", "/suche?q=hund%20anmelden").await;
        let hrefs: Vec<&str> = page
            .split("<li class=\"card\"><a href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        let urls: Vec<&str> = hits.iter().map(|h| h["url"].as_str().unwrap()).collect();
        assert_eq!(
            hrefs, urls,
            "the page lists the API's hits in the same order"
        );
        assert!(
            page.contains("Zuständig: Landeshauptstadt Kiel"),
            "results name the responsible office"
        );
    }
);

backend_test!(filters_facets_and_pages, |app: TestApp| async move {
    let (_, _, all) = api(&app, "kiel.localhost", "q=ausweis").await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 10, "enough for two pages");
    let facets = all["facets"]["lebenslagen"].as_array().unwrap();
    let first = &facets[0];
    let slug = first["slug"].as_str().unwrap();
    let (_, _, filtered) = api(
        &app,
        "kiel.localhost",
        &format!("q=ausweis&lebenslage={slug}"),
    )
    .await;
    assert_eq!(
        filtered["total"], first["count"],
        "a facet's count is what its filter finds"
    );
    let online_count = all["facets"]["online"].as_u64().unwrap();
    let (_, _, online) = api(&app, "kiel.localhost", "q=ausweis&online=1").await;
    assert_eq!(online["total"].as_u64().unwrap(), online_count);
    assert!(online["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["online"].is_object()));
    let (_, _, page2) = api(&app, "kiel.localhost", "q=ausweis&page=2").await;
    let (one, two) = (keys(&all), keys(&page2));
    assert!(
        !two.is_empty() && two.iter().all(|k| !one.contains(k)),
        "page 2 continues page 1"
    );
    let (_, page) = app.page("kiel.localhost", "/suche?q=ausweis").await;
    assert!(page.contains("rel=\"next\"") && page.contains("Online beantragen möglich ("));
});

backend_test!(
    bad_input_is_a_friendly_page_or_a_json_400,
    |app: TestApp| async move {
        let ten_kb = "x".repeat(10 * 1024);
        let friendly = [
            String::new(),
            format!("q={ten_kb}"),
            "q=%21%3F%2C.%3B".into(),
            "q=der%20die%20das%20und".into(),
            "q=%3A%28%29*%22~%5E%5B%5D".into(),
            "q=hund%3A%28anmelden".into(),
            "q=%00%07%1B".into(),
            "q=%FF%FE%FD".into(),
            "q=ausweis&seite=abc".into(),
            "q=ausweis&seite=999999999999999999999".into(),
        ];
        for query in &friendly {
            let (status, body) = app
                .page("husum.localhost", &format!("/suche?{query}"))
                .await;
            assert_eq!(status, 200, "/suche?{}", &query[..query.len().min(40)]);
            assert!(body.contains("Husum") && body.contains("<h1>Suche</h1>"));
        }
        for query in ["q=%3A%28%29*%22~%5E%5B%5D", "q=der%20die", "q=", "q=%00%07"] {
            let (status, _, v) = api(&app, "husum.localhost", query).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(v["total"], 0);
        }
        for query in [
            "q=%FF%FE".to_string(),
            format!("q={ten_kb}"),
            "q=a&page=0".into(),
            "q=a&page=x".into(),
            "q=a&online=vielleicht".into(),
            "q=a&lebenslage=gibtsnicht".into(),
        ] {
            let (status, ct, v) = api(&app, "husum.localhost", &query).await;
            assert_eq!(status, 400, "{}", &query[..query.len().min(40)]);
            assert_eq!(ct, "application/problem+json");
            assert!(
                v["detail"].as_str().unwrap().len() > 5,
                "says what is wrong"
            );
        }
    }
);

backend_test!(
    zero_results_suggest_a_way_on_and_are_counted,
    |app: TestApp| async move {
        let (_, _, v) = api(&app, "kiel.localhost", "q=meldebescheinigunxq").await;
        assert!(v["total"].as_u64().unwrap() > 0 || v["suggestion"].is_string());
        let (_, _, v) = api(&app, "kiel.localhost", "q=xyzzyq%20plughq").await;
        assert_eq!(v["total"], 0);
        let (_, page) = app.page("kiel.localhost", "/suche?q=xyzzyq%20plughq").await;
        assert!(page.contains("Stöbern Sie nach Lebenslage") && page.contains("/lebenslagen/"));
        let (_, _, v) = api(&app, "kiel.localhost", "q=hundesteuerr%20anmeldunq").await;
        assert!(v["total"].as_u64().unwrap() > 0, "typos still find");
        // Counted per tenant in memory and written with the next refresh: aggregate counts only.
        app.state.refresh().await.unwrap();
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(m.count), 0) AS BIGINT) AS n FROM search_misses m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'kiel' AND m.query = 'xyzzyq plughq'")
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        let count = buergerportal::store::int(&row, "n").unwrap().unwrap_or(0);
        assert_eq!(count, 2, "page and API each counted once");
    }
);

backend_test!(
    suggestions_and_the_openapi_document,
    |app: TestApp| async move {
        let res = app.get("kiel.localhost", "/api/v1/suggest?q=persona").await;
        assert_eq!(res.status(), 200);
        let v: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert!(v["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"].as_str().unwrap().contains("Personalausweis")));
        let res = app.get("kiel.localhost", "/api/openapi.json").await;
        assert_eq!(res.status(), 200);
        let doc: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert!(doc["paths"]["/api/v1/search"]["get"].is_object());
        assert!(doc["components"]["schemas"]["Hit"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "leika"));
    }
);

backend_test!(
    an_import_is_searchable_within_a_second_without_restart,
    |app: TestApp| async move {
        let (_dir, paths) = common::import_copy();
        let toml = paths
            .catalogue_dir
            .join(buergerportal::catalogue::import::DEMO);
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(
            &toml,
            text.replacen("keywords = [", "keywords = [\"Quokkaformular\", ", 1),
        )
        .unwrap();
        let (_, _, before) = api(&app, "kiel.localhost", "q=quokkaformular").await;
        assert_eq!(before["total"], 0);
        buergerportal::catalogue::import(app.state.store(), &paths)
            .await
            .unwrap();
        tokio::spawn(buergerportal::http::refresh_loop(app.state.clone(), None));
        let started = std::time::Instant::now();
        loop {
            let (_, _, after) = api(&app, "kiel.localhost", "q=quokkaformular").await;
            if after["total"].as_u64().unwrap() > 0 {
                break;
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "the running server picks the import up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        println!("searchable after {:?}", started.elapsed());
    }
);

/// Popularity follows page views at once here (by default at most once a minute,
/// since every update makes all cached results stale).
async fn page_views_raise_popularity_without_personal_data(backend: Backend) {
    {
        let app = TestApp::spawn_with(backend, |c| c.limits.search_popularity_secs = 0).await;
        let (_, _, before) = api(&app, "kiel.localhost", "q=hundesteuer&debug=1").await;
        let target = before["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["url"].as_str().unwrap().contains("-"))
            .unwrap()
            .clone();
        assert_eq!(target["score"]["popularity"], 0.0);
        for _ in 0..3 {
            assert_eq!(
                app.get("kiel.localhost", target["url"].as_str().unwrap())
                    .await
                    .status(),
                200
            );
        }
        app.state.refresh().await.unwrap();
        let row = sqlx::query("SELECT views FROM service_views WHERE leika = $1")
            .bind(target["leika"].as_str().unwrap())
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        assert_eq!(
            buergerportal::store::int(&row, "views").unwrap(),
            Some(3),
            "cached views count too"
        );
        let (_, _, after) = api(&app, "kiel.localhost", "q=hundesteuer&debug=1").await;
        let hit = after["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["leika"] == target["leika"])
            .unwrap();
        assert!(hit["score"]["popularity"].as_f64().unwrap() > 0.0);
    }
}

#[tokio::test]
async fn page_views_raise_popularity_sqlite() {
    page_views_raise_popularity_without_personal_data(Backend::Sqlite).await;
}

#[tokio::test]
async fn page_views_raise_popularity_postgres() {
    page_views_raise_popularity_without_personal_data(Backend::Postgres).await;
}

fn leika_of(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["leika"].as_str().map(String::from))
        .collect()
}

backend_test!(
    stage_words_pick_the_sibling_and_questions_lose_their_filler,
    |app: TestApp| async move {
        // 99008001 040 000 is "Personalausweis Ausgabe": the Verrichtung the citizen names.
        let (_, _, v) = api(&app, "kiel.localhost", "q=ausweis%20abholen").await;
        assert_eq!(leika_of(&v)[0], "99008001040000", "{v}");
        let (_, _, v) = api(
            &app,
            "kiel.localhost",
            "q=Wo%20kann%20ich%20meinen%20Ausweis%20abholen%3F",
        )
        .await;
        assert_eq!(leika_of(&v)[0], "99008001040000", "{v}");
        // The same words without a stage word find the service itself first.
        let (_, _, v) = api(&app, "kiel.localhost", "q=personalausweis").await;
        assert_ne!(leika_of(&v)[0], "99008001040000", "{v}");
        // A question of filler alone asks nothing.
        let (status, _, v) = api(&app, "kiel.localhost", "q=wie%20lange%20dauert%20das").await;
        assert_eq!(status, 200);
        assert_eq!(v["total"], 0);
        assert!(v["suggestion"].is_null());
    }
);

backend_test!(
    a_repeated_search_answers_the_same_and_follows_the_catalogue,
    |app: TestApp| async move {
        let (_, _, first) = api(&app, "kiel.localhost", "q=hundesteuer").await;
        // Same words, other spelling and filler: the same results (the cache's key).
        let (_, _, again) = api(&app, "kiel.localhost", "q=Wie%20HUNDESTEUER%20bitte").await;
        assert_eq!(leika_of(&first), leika_of(&again));
        assert_eq!(first["total"], again["total"]);
        // A new catalogue version: the same query answers from it, not from before.
        let top = leika_of(&first)[0].clone();
        let mut c = buergerportal::catalogue::Catalogue::load(app.state.store())
            .await
            .unwrap()
            .unwrap();
        c.version += 1;
        let l = c
            .leistungen
            .iter_mut()
            .find(|l| l.leika.as_str() == top)
            .unwrap();
        l.name = "Hundesteuer (neu benannt)".into();
        let config = buergerportal::http::SearchConfig::load(&app.config.catalogue_dir).unwrap();
        app.state
            .set_content(config.build(std::sync::Arc::new(c)).unwrap());
        let (_, _, after) = api(&app, "kiel.localhost", "q=hundesteuer").await;
        let names: Vec<&str> = after["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["name"].as_str())
            .collect();
        assert!(names.contains(&"Hundesteuer (neu benannt)"), "{after}");
    }
);

backend_test!(
    words_kept_across_portals_answer_as_a_fresh_search,
    |app: TestApp| async move {
        use buergerportal::search::{SearchRequest, TenantSignals};
        let config = buergerportal::http::SearchConfig::load(&app.config.catalogue_dir).unwrap();
        let catalogue = app.state.catalogue();
        let fresh = config.build(catalogue.clone()).unwrap();
        let mut keeping = config.clone();
        keeping.words_cache_bytes = 1 << 20;
        let kept = keeping.build(catalogue.clone()).unwrap();
        let n = catalogue.leistungen.len();
        let everywhere = vec![true; n];
        let every_other: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let popular: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.1).collect();
        let none = vec![0.0; n];
        let local = buergerportal::editor::local::LocalContent::default();
        let portals = [
            (1, &everywhere, &none),
            (2, &every_other, &popular),
            (1, &everywhere, &none),
        ];
        for q in [
            "personalausweis",
            "hundesteur",
            "ausweis abholen",
            "fuehrerschein verlaengern",
            "xqzvw",
        ] {
            for (scope, office, popularity) in portals {
                let signals = TenantSignals {
                    scope,
                    local: &local,
                    office,
                    popularity,
                };
                let req = SearchRequest {
                    query: q.into(),
                    ..Default::default()
                };
                let a = fresh.search.search(&catalogue, &signals, &req);
                let b = kept.search.search(&catalogue, &signals, &req);
                let shown = |r: &buergerportal::search::SearchResults| {
                    let hits: Vec<_> = r.hits.iter().map(|h| (h.ord, h.score.total)).collect();
                    format!(
                        "{} {hits:?} {:?} {:?}",
                        r.total, r.lebenslagen, r.suggestion
                    )
                };
                assert_eq!(shown(&a), shown(&b), "{q} on portal {scope}");
            }
        }
    }
);
