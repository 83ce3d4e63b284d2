//! Munich's service database (DLDB) as local content of the München demo tenant,
//! on both backends: what the demo start imports and publishes, a second import
//! that changes nothing, the city's own fee text on a service page, a broken
//! file that is refused and changes nothing, and hostile HTML that never reaches
//! a citizen's page.
mod common;
use buergerportal::catalogue::sources::{
    parse_dldb_locations, parse_dldb_services, DldbLocation, DldbService,
};
use buergerportal::editor::content::Who;
use buergerportal::editor::dldb::{self, DldbError, Report};
use buergerportal::editor::model::Kind;
use buergerportal::keys::LeikaKey;
use buergerportal::tenancy::Tenant;
use common::TestApp;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HOST: &str = "muenchen.localhost";
/// "Personalausweis" in Munich's export, and its LeiKa key.
const PERSONALAUSWEIS: &str = "1063441";
const PERSONALAUSWEIS_LEIKA: &str = "99008001000000";

fn folder() -> PathBuf {
    common::sources_dir().join("dldb-muenchen-2026")
}

fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (
        dir.join(dldb::SERVICES_FILE),
        dir.join(dldb::LOCATIONS_FILE),
    )
}

fn export() -> (Vec<DldbService>, Vec<DldbLocation>) {
    let (s, l) = files(&folder());
    let services =
        parse_dldb_services("s", &std::fs::read_to_string(s).unwrap()).expect("services parse");
    let locations =
        parse_dldb_locations("l", &std::fs::read_to_string(l).unwrap()).expect("locations parse");
    (services, locations)
}

fn service_path(l: &buergerportal::catalogue::model::Leistung) -> String {
    format!("/leistungen/{}-{}", l.leika, l.slug)
}

/// Text as the pages write it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn muenchen(app: &TestApp) -> Arc<Tenant> {
    app.state
        .tenants()
        .by_slug(dldb::DEMO_TENANT)
        .expect("München is a demo tenant")
        .clone()
}

fn who() -> Who<'static> {
    Who {
        actor: dldb::IMPORT_ACTOR,
        now: buergerportal::clock::now_unix(),
    }
}

async fn import(app: &TestApp, tenant: &Tenant, dir: &Path) -> Result<Report, DldbError> {
    let (s, l) = files(dir);
    let catalogue = app.state.catalogue();
    dldb::import_files(app.state.store(), &catalogue, tenant, &s, &l, who()).await
}

async fn count(app: &TestApp, table: &str, tenant: &Tenant) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!(
        "SELECT COUNT(*) FROM {table} WHERE tenant_id = $1"
    ))
    .bind(tenant.id)
    .fetch_one(app.state.store().pool())
    .await
    .unwrap()
}

/// Rows of the tables an import writes, for "nothing changed".
async fn snapshot(app: &TestApp, tenant: &Tenant) -> [i64; 3] {
    [
        count(app, "content_items", tenant).await,
        count(app, "content_versions", tenant).await,
        count(app, "audit_log", tenant).await,
    ]
}

async fn keys(app: &TestApp, tenant: &Tenant, kind: Kind) -> BTreeSet<String> {
    buergerportal::editor::content::items(app.state.store(), tenant.scope(), kind)
        .await
        .unwrap()
        .into_iter()
        .map(|i| {
            assert_eq!(i.published_version, 1, "{} published once", i.key);
            assert!(i.draft.is_none(), "{} has no draft left", i.key);
            i.key
        })
        .collect()
}

backend_test!(
    demo_start_imports_munich_and_a_second_import_changes_nothing,
    |app: TestApp| async move {
        let (services, locations) = export();
        assert_eq!(
            (services.len(), locations.len()),
            (287, 109),
            "as SOURCE.md says"
        );
        let pairs: usize = locations.iter().map(|l| l.service_ids.len()).sum();
        assert_eq!(pairs, 526, "office-service pairs as SOURCE.md says");
        let c = app.state.catalogue();
        let in_catalogue = |s: &DldbService| s.leika.iter().any(|k| c.leistung(k).is_some());
        let public: Vec<&DldbService> = services.iter().filter(|s| s.public).collect();
        let expected_offices: BTreeSet<String> = locations
            .iter()
            .filter(|l| l.public)
            .map(|l| dldb::item_key(&l.id))
            .collect();
        let expected_local: BTreeSet<String> = public
            .iter()
            .filter(|s| !in_catalogue(s))
            .map(|s| dldb::item_key(&s.id))
            .collect();
        let expected_additions: BTreeSet<String> = public
            .iter()
            .flat_map(|s| s.leika.iter())
            .filter(|k| c.leistung(k).is_some())
            .map(|k| k.as_str().to_string())
            .collect();
        assert!(expected_additions.len() > 40 && expected_local.len() > 40);

        let t = muenchen(&app);
        assert_eq!(keys(&app, &t, Kind::Office).await, expected_offices);
        assert_eq!(keys(&app, &t, Kind::Service).await, expected_local);
        assert_eq!(keys(&app, &t, Kind::Addition).await, expected_additions);
        let publishers: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT DISTINCT author, approved_by FROM content_versions WHERE tenant_id = $1",
        )
        .bind(t.id)
        .fetch_all(app.state.store().pool())
        .await
        .unwrap();
        assert_eq!(
            publishers,
            [(dldb::IMPORT_ACTOR.to_string(), Some("demo".to_string()))]
        );

        // Search keywords are kept with the content the citizen pages read.
        let gewerbe = t
            .local
            .additions
            .get(&LeikaKey::parse("99050012104000").unwrap());
        if let Some(a) = gewerbe {
            assert!(a.data.keywords.iter().any(|k| k == "Gewerbeanmeldung"));
        }
        let with_keywords = t
            .local
            .services
            .iter()
            .filter(|s| !s.data.keywords.is_empty())
            .count();
        assert!(with_keywords > 0, "local services carry their keywords");

        let before = snapshot(&app, &t).await;
        let again = import(&app, &t, &folder()).await.expect("imports again");
        assert!(again.drafts.is_empty(), "{again}");
        assert_eq!(snapshot(&app, &t).await, before, "nothing written");
        assert_eq!(
            (again.services, again.locations),
            (287, 109),
            "the report counts as SOURCE.md"
        );
        assert_eq!(
            again.services_as_additions + again.local_services + again.services_skipped,
            287
        );
        assert_eq!(again.offices + again.locations_skipped, 109);
        assert_eq!(
            (again.additions, again.local_services, again.offices),
            (
                expected_additions.len(),
                expected_local.len(),
                expected_offices.len()
            )
        );
        assert_eq!(
            again.services_skipped,
            services.len() - public.len(),
            "services the city does not publish stay out"
        );
    }
);

backend_test!(
    a_munich_service_page_shows_the_citys_own_text,
    |app: TestApp| async move {
        let (services, locations) = export();
        let ausweis = services
            .iter()
            .find(|s| s.id == PERSONALAUSWEIS)
            .expect("Personalausweis");
        assert!(ausweis.fees_html.contains("27,60 Euro"), "the city's fee");
        let key = LeikaKey::parse(PERSONALAUSWEIS_LEIKA).unwrap();
        assert_eq!(ausweis.leika, std::slice::from_ref(&key));
        let c = app.state.catalogue();
        let l = c
            .leistung(&key)
            .expect("Personalausweis is a catalogue service");
        let path = service_path(l);

        let (status, body) = app.page(HOST, &path).await;
        assert_eq!(status, 200, "{path}");
        let addition = body
            .find("Gut zu wissen bei Landeshauptstadt München")
            .map(|at| &body[at..])
            .expect("München's addition beside the central text");
        assert!(addition.contains("27,60 Euro"), "Munich's own fee text");
        let office = ausweis
            .location_ids
            .iter()
            .find_map(|id| locations.iter().find(|l| &l.id == id && l.public))
            .expect("a public office");
        assert!(
            addition.contains(&escaped(&office.name)),
            "its office: {}",
            office.name
        );
        let (_, kiel) = app.page("kiel.localhost", &path).await;
        assert!(!kiel.contains("München"), "Munich's text stays Munich's");

        let local = services
            .iter()
            .find(|s| s.public && s.leika.is_empty() && !s.fees_html.is_empty())
            .expect("a local service with fees");
        let local_path = format!("/leistungen/lokal/{}", dldb::item_key(&local.id));
        let (status, body) = app.page(HOST, &local_path).await;
        assert_eq!(status, 200, "{local_path}");
        assert!(body.contains(&escaped(&local.name)));
        let (status, _) = app.page("kiel.localhost", &local_path).await;
        assert_eq!(status, 404, "a local service of München only in München");

        let (_, about) = app.page(HOST, "/ueber-diese-daten").await;
        assert!(about.contains("Landeshauptstadt München (it@M), Dienstleistungsdatenbank"));
    }
);

/// A writable copy of the export with `change` applied to one file's JSON.
fn broken_copy(file: &str, change: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&folder(), dir.path());
    let path = dir.path().join(file);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(&mut json);
    std::fs::write(&path, json.to_string()).unwrap();
    dir
}

backend_test!(
    a_broken_export_is_refused_and_changes_nothing,
    |app: TestApp| async move {
        let kiel = app.state.tenants().by_slug("kiel").unwrap().clone();
        let t = muenchen(&app);
        let before = (snapshot(&app, &t).await, snapshot(&app, &kiel).await);

        // Record 200 of the services carries a broken LeiKa key.
        let dir = broken_copy(dldb::SERVICES_FILE, |v| {
            v["data"][199]["leika"] = serde_json::json!("99008001X");
        });
        let id = export().0[199].id.clone();
        for tenant in [&t, &kiel] {
            let e = import(&app, tenant, dir.path()).await.expect_err("refused");
            let DldbError::Refused(source) = &e else {
                panic!("{e}")
            };
            assert!(
                source.file.ends_with(dldb::SERVICES_FILE),
                "{}",
                source.file
            );
            assert_eq!(source.record, format!("Datensatz 200 (id {id})"));
            assert!(source.reason.contains("99008001X"), "{}", source.reason);
            assert!(e.to_string().contains("nichts geändert"), "{e}");
        }

        // An office that names a service the export does not have.
        let dir = broken_copy(dldb::LOCATIONS_FILE, |v| {
            v["data"][3]["services"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"service": "4711"}));
        });
        let e = import(&app, &kiel, dir.path())
            .await
            .expect_err("inconsistent");
        let DldbError::Refused(source) = &e else {
            panic!("{e}")
        };
        assert!(source.file.ends_with(dldb::LOCATIONS_FILE));
        assert!(source.reason.contains("4711"), "{}", source.reason);

        // A name too long for the editors' form fails as the form would.
        let dir = broken_copy(dldb::SERVICES_FILE, |v| {
            let public = v["data"]
                .as_array()
                .unwrap()
                .iter()
                .position(|s| {
                    s["public"] != serde_json::json!(false)
                        && s["leika"].as_str().is_none_or(|k| k.trim().is_empty())
                })
                .unwrap();
            v["data"][public]["name"] = serde_json::json!("Lang".repeat(100));
        });
        let e = import(&app, &kiel, dir.path()).await.expect_err("too long");
        assert!(
            e.to_string().contains("name: Höchstens 300 Zeichen."),
            "{e}"
        );

        assert_eq!(
            (snapshot(&app, &t).await, snapshot(&app, &kiel).await),
            before,
            "nothing changed"
        );
    }
);

backend_test!(
    hostile_html_in_an_export_never_reaches_a_page,
    |app: TestApp| async move {
        let evil = concat!(
            "<p>Hallo<script>alert('dldb')</script>",
            "<img src=x onerror=\"alert(1)\">",
            "<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">klick</a>",
            "<span style=\"background:url(javascript:alert(4))\">Text</span></p>\n\n",
            "<p>*nicht kursiv*</p><iframe src=\"https://evil.example\"></iframe>"
        );
        let services = serde_json::json!({
            "data": [
                {"id": "900", "name": "Eigene <b>Leistung</b>", "description": evil,
                 "fees": "<p onmouseover=\"alert(5)\">12 Euro</p>", "leika": "",
                 "meta": {"keywords": "Böse, Probe", "url": "javascript:alert(6)"},
                 "links": [{"name": "x", "link": "javascript:alert(7)", "description": ""}],
                 "locations": [{"location": "1"}]},
                {"id": "901", "name": "Ausweis", "description": evil, "fees": evil,
                 "leika": PERSONALAUSWEIS_LEIKA, "meta": {}, "locations": []}
            ],
            "meta": {"datacount": 2}
        });
        let locations = serde_json::json!({
            "data": [{"id": "1", "name": "Amt <script>alert(8)</script>",
                      "contact": {"webinfo": "javascript:alert(9)"},
                      "services": [{"service": "900"}]}],
            "meta": {"datacount": 1}
        });
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(dldb::SERVICES_FILE), services.to_string()).unwrap();
        std::fs::write(dir.path().join(dldb::LOCATIONS_FILE), locations.to_string()).unwrap();
        let kiel = app.state.tenants().by_slug("kiel").unwrap().clone();
        let report = import(&app, &kiel, dir.path()).await.expect("imports");
        assert_eq!((report.additions, report.local_services), (1, 1));
        let targets: Vec<_> = report
            .drafts
            .iter()
            .map(|(kind, key)| buergerportal::editor::content::Target { kind: *kind, key })
            .collect();
        let publisher = Who {
            actor: "test",
            now: buergerportal::clock::now_unix(),
        };
        buergerportal::editor::publish_all(app.state.store(), &kiel, &targets, publisher)
            .await
            .unwrap();
        app.state.refresh().await.unwrap();

        let c = app.state.catalogue();
        let l = c
            .leistung(&LeikaKey::parse(PERSONALAUSWEIS_LEIKA).unwrap())
            .unwrap();
        let pages = ["/leistungen/lokal/dldb-900".to_string(), service_path(l)];
        for path in pages {
            let (status, body) = app.page("kiel.localhost", &path).await;
            assert_eq!(status, 200, "{path}");
            let main = &body[body.find("<main").unwrap()..body.find("</main>").unwrap()];
            assert!(main.contains("Hallo") && main.contains("klick"), "{path}");
            assert!(
                main.contains("*nicht kursiv*"),
                "HTML is not read as Markdown"
            );
            for bad in [
                "<script",
                "onerror=",
                "onclick=",
                "onmouseover=",
                "javascript:",
                "<iframe",
                "<img",
                "style=",
            ] {
                assert!(!main.contains(bad), "{bad} on {path}");
            }
        }
    }
);
