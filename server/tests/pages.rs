//! Every page type, for tenants with different branding, through HTTP.
mod common;
use common::TestApp;

const TENANTS: [(&str, &str); 2] = [("kiel.localhost", "Kiel"), ("husum.localhost", "Husum")];

/// A service with a hand-written text and an online service, found through the pages themselves.
async fn demo_service_path(app: &TestApp, host: &str) -> String {
    let (_, start) = app.page(host, "/").await;
    let href = start
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/leistungen/99"))
        .expect("start page features a service")
        .to_string();
    href
}

fn theme_href(body: &str) -> String {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with("/theme.css"))
        .unwrap()
        .to_string()
}

backend_test!(
    every_page_type_renders_in_the_tenants_branding,
    |app: TestApp| async move {
        let mut themes = Vec::new();
        for (host, name) in TENANTS {
            let service = demo_service_path(&app, host).await;
            let pages = [
                "/".to_string(),
                "/lebenslagen".into(),
                "/lebenslagen/wohnen-umzug".into(),
                service,
                "/a-z".into(),
                "/a-z/p".into(),
                "/suche?q=Personalausweis".into(),
                "/impressum".into(),
                "/datenschutz".into(),
                "/barrierefreiheit".into(),
                "/ueber-diese-daten".into(),
            ];
            for path in &pages {
                let res = app.get(host, path).await;
                assert_eq!(res.status(), 200, "{host}{path}");
                let csp = res
                    .headers()
                    .get("content-security-policy")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
                assert_eq!(
                    res.headers().get("x-content-type-options").unwrap(),
                    "nosniff"
                );
                assert!(res.headers().get("referrer-policy").is_some());
                let body = res.text().await.unwrap();
                assert!(
                    body.starts_with("<!DOCTYPE html><html lang=\"de\">"),
                    "{host}{path}"
                );
                assert!(body.contains(name), "{host}{path} names the tenant");
                let scripts: Vec<&str> = body.split("<script").skip(1).collect();
                assert!(
                    scripts
                        .iter()
                        .all(|s| s.trim_start().starts_with("src=\"/assets/")),
                    "{host}{path} has no inline script"
                );
                for legal in ["/impressum", "/datenschutz", "/barrierefreiheit"] {
                    assert!(
                        body.contains(&format!("href=\"{legal}\"")),
                        "{host}{path} links {legal}"
                    );
                }
            }
            let (_, start) = app.page(host, "/").await;
            let css = app
                .get(host, &theme_href(&start))
                .await
                .text()
                .await
                .unwrap();
            assert!(css.contains("--brand:#"));
            themes.push(css);
        }
        assert_ne!(themes[0], themes[1], "tenants differ in branding");
    }
);

backend_test!(not_found_pages_are_branded, |app: TestApp| async move {
    for (host, name) in TENANTS {
        for path in [
            "/gibt-es-nicht",
            "/leistungen/99999999999999-nix",
            "/lebenslagen/nix",
            "/a-z/1",
        ] {
            let (status, body) = app.page(host, path).await;
            assert_eq!(status, 404, "{host}{path}");
            assert!(
                body.contains(name) && body.contains("Seite nicht gefunden"),
                "{host}{path}"
            );
        }
    }
});

backend_test!(bad_input_never_gives_a_500, |app: TestApp| async move {
    let long = "a".repeat(10_000);
    let paths = [
        "/suche?q=%FF%FE".to_string(),
        format!("/suche?q={long}"),
        "/suche?q=%3A%28%29*%22~%5E%5B%5D".into(),
        "/suche?q=%00%01%1F".into(),
        "/leistungen/%FF".into(),
        "/?gemeinde=%FF".into(),
    ];
    for path in &paths {
        let (status, body) = app.page("kiel.localhost", path).await;
        assert!(status < 500, "{path} gave {status}");
        assert!(body.contains("Kiel"), "{path} is a branded page");
        assert!(!body.to_lowercase().contains("panicked"));
    }
});

backend_test!(service_urls_are_canonical, |app: TestApp| async move {
    let path = demo_service_path(&app, "kiel.localhost").await;
    let key = &path["/leistungen/".len().."/leistungen/".len() + 14];
    let res = app
        .get("kiel.localhost", &format!("/leistungen/{key}"))
        .await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], path.as_str());
    let res = app
        .get("kiel.localhost", &format!("/leistungen/{key}-alter-name"))
        .await;
    assert_eq!(res.headers()["location"], path.as_str());
});

backend_test!(
    online_link_hands_off_to_the_online_service,
    |app: TestApp| async move {
        // Wohnsitz Anmeldung has an online service in the demo catalogue.
        let res = app
            .get("husum.localhost", "/leistungen/99115005104000")
            .await;
        let path = res.headers()["location"].to_str().unwrap().to_string();
        let (_, body) = app.page("husum.localhost", &path).await;
        let apply = body
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|h| h.ends_with("/beantragen"))
            .expect("online link")
            .to_string();
        assert!(body.contains("Vertrauensniveau"));
        let res = app.get("husum.localhost", &apply).await;
        assert_eq!(res.status(), 303);
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("http"));
    }
);

backend_test!(
    anonymous_pages_set_no_cookie_and_are_served_again_identically,
    |app: TestApp| async move {
        let first = app.get("kiel.localhost", "/lebenslagen").await;
        assert!(first.headers().get("set-cookie").is_none());
        let a = first.text().await.unwrap();
        let b = app.page("kiel.localhost", "/lebenslagen").await.1;
        assert_eq!(a, b);
    }
);

backend_test!(
    about_the_data_credits_every_source_with_its_licence,
    |app: TestApp| async move {
        let (status, body) = app.page("kiel.localhost", "/ueber-diese-daten").await;
        assert_eq!(status, 200);
        let body = body.replace("&amp;", "&");
        for source in buergerportal::catalogue::sources::SOURCES {
            assert!(
                body.contains(source.attribution) && body.contains(source.licence),
                "{} is credited",
                source.folder
            );
            assert!(
                common::sources_dir().join(source.folder).is_dir(),
                "{} is a folder of SOURCES_DIR",
                source.folder
            );
        }
    }
);
