//! The shared catalogue from XZuFi 2.2: import, dry run, refusals, orphaned
//! deletions, history and rollback, and the PVOG's federal online services,
//! each on SQLite and PostgreSQL through the running app.
mod common;
use buergerportal::catalogue::exchange::{self, ExchangeError, Report};
use buergerportal::catalogue::xzufi::XzufiError;
use common::TestApp;
use std::io::{Read, Write};

const KIEL: &str = "kiel.localhost";
const HUSUM: &str = "husum.localhost";
const HUNDESTEUER: &str = "/leistungen/99102013002000";
const AUSBILDUNGSGELD: &str = "/leistungen/99007002017000";
const KIEL_TEXT: &str = "innerhalb von zwei Wochen zur Hundesteuer anmelden";
const FEDERAL_TEXT: &str = "zur Sicherung des Lebensunterhaltes Ausbildungsgeld";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/xzufi/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn import(app: &TestApp, name: &str, dry_run: bool) -> Result<Report, ExchangeError> {
    let limits = exchange::limits(app.config.limits.catalogue_max_bytes);
    exchange::import(app.state.store(), &fixture(name), &limits, "test", dry_run).await
}

async fn hash(app: &TestApp) -> String {
    exchange::catalogue_hash(app.state.store()).await.unwrap()
}

async fn history_len(app: &TestApp) -> usize {
    exchange::history(app.state.store()).await.unwrap().len()
}

/// A page, after the redirect from `/leistungen/<key>` to its canonical URL with the slug.
async fn page(app: &TestApp, host: &str, path: &str) -> String {
    let mut path = path.to_string();
    let res = app.get(host, &path).await;
    if res.status().as_u16() == 308 {
        path = res.headers()["location"].to_str().unwrap().to_string();
    }
    let (status, body) = app.page(host, &path).await;
    assert_eq!(status, 200, "{host}{path}");
    body
}

backend_test!(
    an_import_changes_every_portal_at_once,
    |app: TestApp| async move {
        // Rendered and cached before the import.
        assert!(!page(&app, KIEL, HUNDESTEUER).await.contains(KIEL_TEXT));
        assert!(!page(&app, HUSUM, AUSBILDUNGSGELD)
            .await
            .contains(FEDERAL_TEXT));
        let version = app.state.catalogue().version;

        let report = import(&app, "valid-full.xml", false).await.unwrap();
        assert!(report.import_id.is_some());
        assert_eq!(report.counts.leistung.changed, 2, "{report}");
        assert_eq!(report.counts.organisationseinheit.added, 1, "{report}");
        assert_eq!(report.counts.spezialisierung.added, 1, "{report}");
        let z = &report.counts.zustaendigkeit;
        assert_eq!(z.added + z.changed, 1, "{report}");
        // The responsibility of an office never delivered is reported, not guessed.
        assert_eq!(z.skipped, 1, "{report}");
        assert!(report
            .findings
            .iter()
            .any(|f| f.message.contains("102789950")));

        app.state.refresh().await.unwrap();
        assert!(app.state.catalogue().version > version);
        let kiel = page(&app, KIEL, HUNDESTEUER).await;
        assert!(kiel.contains(KIEL_TEXT), "{kiel}");
        assert!(kiel.contains("Fleethörn 9"), "the imported office answers");
        assert!(kiel.contains("Hundeanmeldung") || kiel.contains("Personalausweis oder Reisepass"));
        let husum = page(&app, HUSUM, AUSBILDUNGSGELD).await;
        assert!(husum.contains(FEDERAL_TEXT), "{husum}");
    }
);

backend_test!(
    a_dry_run_shows_the_difference_and_writes_nothing,
    |app: TestApp| async move {
        let before = hash(&app).await;
        let entries = history_len(&app).await;

        let report = import(&app, "valid-full.xml", true).await.unwrap();
        assert!(report.dry_run);
        assert_eq!(report.import_id, None);
        assert_eq!(report.counts.leistung.changed, 2);
        assert_eq!(report.counts.organisationseinheit.added, 1);
        assert!(report
            .counts
            .leistung
            .examples
            .iter()
            .any(|e| e.contains("Hund zur Hundesteuer anmelden")));
        let shown = report.to_string();
        assert!(shown.contains("Probelauf"), "{shown}");
        assert!(shown.contains("z. B. geändert"), "{shown}");

        assert_eq!(hash(&app).await, before);
        assert_eq!(history_len(&app).await, entries);
        app.state.refresh().await.unwrap();
        assert!(!page(&app, KIEL, HUNDESTEUER).await.contains(KIEL_TEXT));
    }
);

backend_test!(
    deletions_of_unknown_objects_are_counted,
    |app: TestApp| async move {
        let before = hash(&app).await;
        let report = import(&app, "deletions-unknown.xml", false).await.unwrap();
        let c = &report.counts;
        assert_eq!(c.zustaendigkeit.orphaned, 3);
        assert_eq!(c.leistung.orphaned, 1);
        assert_eq!(c.organisationseinheit.orphaned, 1);
        assert_eq!(c.spezialisierung.orphaned, 1);
        assert_eq!(c.onlinedienst.orphaned, 1);
        assert_eq!(c.leistung.removed + c.zustaendigkeit.removed, 0);
        assert_eq!(hash(&app).await, before);
        assert!(report.to_string().contains("3 verwaiste Löschungen"));
    }
);

backend_test!(
    what_the_importer_does_not_understand_is_reported_with_path_and_line,
    |app: TestApp| async move {
        let report = import(&app, "valid-unknown-elements.xml", false)
            .await
            .unwrap();
        let shown = report.to_string();
        for expected in [
            "Zeile 13, /xzufi.nachricht/schreibe/leistung/modulFoo",
            "/xzufi.nachricht/schreibe/formular",
            "/xzufi.nachricht/aktualisiere",
            "ext:barrierefreiheit",
            "javascript:alert",
        ] {
            assert!(shown.contains(expected), "{expected} in {shown}");
        }
        // The regional online service is not shown nationwide: it is reported instead.
        assert_eq!(report.counts.onlinedienst.skipped, 1, "{shown}");
    }
);

backend_test!(
    hostile_files_are_refused_and_nothing_changes,
    |app: TestApp| async move {
        let before = hash(&app).await;
        let entries = history_len(&app).await;
        let refused = |r: Result<Report, ExchangeError>| match r {
            Err(ExchangeError::Refused(e)) => e,
            other => panic!("refused expected, got {other:?}"),
        };
        let e = refused(import(&app, "not-well-formed.xml", false).await);
        assert!(matches!(e, XzufiError::NotWellFormed { .. }), "{e}");
        let e = refused(import(&app, "doctype-xxe.xml", false).await);
        assert!(matches!(e, XzufiError::Doctype { .. }), "{e}");
        let e = refused(import(&app, "billion-laughs.xml", false).await);
        assert!(matches!(e, XzufiError::Doctype { .. }), "{e}");
        let e = refused(import(&app, "entity-reference.xml", false).await);
        assert!(
            matches!(&e, XzufiError::ForbiddenEntity { name, line: 9, .. } if name == "xxe"),
            "{e}"
        );
        let e = refused(import(&app, "unknown-namespace.xml", false).await);
        assert!(matches!(e, XzufiError::WrongNamespace { .. }), "{e}");
        let e = refused(import(&app, "wrong-version.xml", false).await);
        assert!(matches!(e, XzufiError::WrongVersion { .. }), "{e}");
        let small = exchange::limits(1024);
        let e = refused(
            exchange::import(
                app.state.store(),
                &fixture("valid-full.xml"),
                &small,
                "test",
                false,
            )
            .await,
        );
        assert!(
            matches!(
                e,
                XzufiError::TooLarge {
                    max_bytes: 1024,
                    ..
                }
            ),
            "{e}"
        );
        let sentence = ExchangeError::Refused(e).to_string();
        assert!(sentence.contains("valid-full.xml"), "{sentence}");
        assert!(
            sentence.contains("größer als die erlaubten 1024 Bytes"),
            "{sentence}"
        );

        // One bad file in a folder refuses the whole folder.
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("valid-full.xml"), dir.path().join("a.xml")).unwrap();
        std::fs::copy(fixture("doctype-xxe.xml"), dir.path().join("b.xml")).unwrap();
        let limits = exchange::limits(app.config.limits.catalogue_max_bytes);
        let folder = dir.path().display().to_string();
        let e = refused(exchange::import(app.state.store(), &folder, &limits, "test", false).await);
        assert!(matches!(e, XzufiError::Doctype { .. }), "{e}");

        assert_eq!(hash(&app).await, before);
        assert_eq!(history_len(&app).await, entries);
    }
);

backend_test!(
    rollback_restores_the_catalogue_exactly,
    |app: TestApp| async move {
        let store = app.state.store();
        let original = hash(&app).await;
        assert!(matches!(
            exchange::rollback(store, "test").await,
            Err(ExchangeError::NothingToRollBack)
        ));

        let first = import(&app, "valid-full.xml", false).await.unwrap();
        let after_first = hash(&app).await;
        assert_ne!(after_first, original);
        let second = import(&app, "delete-hundesteuer.xml", false).await.unwrap();
        assert_eq!(second.counts.zustaendigkeit.removed, 1, "{second}");
        assert_ne!(hash(&app).await, after_first);

        let undone = exchange::rollback(store, "test").await.unwrap();
        assert_eq!(Some(undone.import_id), second.import_id);
        assert_eq!(hash(&app).await, after_first);
        let undone = exchange::rollback(store, "test").await.unwrap();
        assert_eq!(Some(undone.import_id), first.import_id);
        assert_eq!(hash(&app).await, original);
        assert!(matches!(
            exchange::rollback(store, "test").await,
            Err(ExchangeError::NothingToRollBack)
        ));

        // The running server follows: the rollback is a new catalogue version.
        app.state.refresh().await.unwrap();
        assert!(!page(&app, KIEL, HUNDESTEUER).await.contains(KIEL_TEXT));

        let history = exchange::history(store).await.unwrap();
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["ruecknahme", "ruecknahme", "xzufi", "xzufi", "quellen"]
        );
        // The later import was taken back first.
        assert_eq!(history[2].rolled_back_by, Some(history[1].id));
        assert_eq!(history[3].rolled_back_by, Some(history[0].id));
        assert_eq!(history[3].actor, "test");
        assert!(history[3].source.ends_with("valid-full.xml"));
        assert!(history[3].summary.contains("Leistungen: 0 neu, 2 geändert"));
    }
);

backend_test!(
    federal_services_link_their_real_online_service,
    |app: TestApp| async move {
        let body = page(&app, KIEL, "/leistungen/99006026104000").await;
        assert!(body.contains("Online beantragen"), "{body}");
        assert!(
            body.contains("/leistungen/99006026104000/beantragen"),
            "Mindestlohn-Meldung has its online service"
        );
        let res = app.get(KIEL, "/leistungen/99006026104000/beantragen").await;
        assert!(res.status().is_redirection(), "{}", res.status());
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(location, "https://www.meldeportal-mindestlohn.de");
        let about = page(&app, KIEL, "/ueber-diese-daten").await;
        assert!(about.contains("Portalverbund Online-Gateway (PVOG)"));
    }
);

/// A server that answers each connection with the next of `responses`.
fn serve(responses: Vec<Vec<u8>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for response in responses {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 8192];
            let _ = socket.read(&mut request);
            let _ = socket.write_all(&response);
        }
    });
    format!("http://{addr}/xzufi/nachricht.xml")
}

fn response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

backend_test!(
    urls_are_read_within_the_limit_and_redirects_are_not_followed,
    |app: TestApp| async move {
        let store = app.state.store();
        let body = std::fs::read(fixture("valid-full.xml")).unwrap();
        let limits = exchange::limits(app.config.limits.catalogue_max_bytes);
        let before = hash(&app).await;

        let url = serve(vec![response(
            "302 Found",
            "location: http://169.254.169.254/\r\n",
            b"",
        )]);
        let refused = exchange::import(store, &url, &limits, "test", false).await;
        assert!(
            matches!(refused, Err(ExchangeError::Status { status: 302, .. })),
            "{refused:?}"
        );
        let url = serve(vec![response("200 OK", "", &body)]);
        let refused = exchange::import(store, &url, &exchange::limits(1024), "test", false).await;
        assert!(
            matches!(
                refused,
                Err(ExchangeError::Refused(XzufiError::TooLarge { .. }))
            ),
            "{refused:?}"
        );
        assert_eq!(hash(&app).await, before);

        let url = serve(vec![response("200 OK", "", &body)]);
        let report = exchange::import(store, &url, &limits, "test", false)
            .await
            .unwrap();
        assert_eq!(report.counts.leistung.changed, 2, "{report}");
        let history = exchange::history(store).await.unwrap();
        assert_eq!(history[0].source, url);
    }
);

backend_test!(
    re_reading_unchanged_sources_keeps_the_xzufi_records,
    |app: TestApp| async move {
        import(&app, "valid-full.xml", false).await.unwrap();
        let imported = hash(&app).await;
        let paths = buergerportal::catalogue::ImportPaths::from_config(&app.config);
        let outcome = buergerportal::catalogue::import(app.state.store(), &paths)
            .await
            .unwrap();
        assert!(
            matches!(
                outcome,
                buergerportal::catalogue::ImportOutcome::Unchanged { .. }
            ),
            "{outcome:?}"
        );
        assert_eq!(hash(&app).await, imported);
    }
);
