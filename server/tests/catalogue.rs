//! The catalogue: import idempotence, rollback, responsibility and places, through the real store.
mod common;
use buergerportal::catalogue::{self, Catalogue, ImportOutcome, ImportPaths};
use common::{Backend, TestApp};

const TABLES: [&str; 8] = [
    "regions",
    "postcodes",
    "lebenslagen",
    "leistungen",
    "leistung_lebenslagen",
    "organisationseinheiten",
    "zustaendigkeiten",
    "onlinedienste",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in TABLES.iter().chain(["catalogue_imports"].iter()) {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {t}"))
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        out.push(buergerportal::store::int(&row, "n").unwrap().unwrap());
    }
    out
}

backend_test!(
    importing_the_same_sources_twice_changes_nothing,
    |app: TestApp| async move {
        let before = counts(&app).await;
        let version = app.state.catalogue().version;
        let paths = catalogue::ImportPaths::from_config(&app.config);
        let outcome = catalogue::import(app.state.store(), &paths).await.unwrap();
        assert_eq!(outcome, ImportOutcome::Unchanged { version });
        assert_eq!(counts(&app).await, before);
        assert!(before[3] > 4000, "real catalogue: {} Leistungen", before[3]);
    }
);

async fn assert_refused(app: &TestApp, break_it: impl FnOnce(&ImportPaths), expect: &[&str]) {
    let before = counts(app).await;
    let version = Catalogue::load(app.state.store())
        .await
        .unwrap()
        .unwrap()
        .version;
    let (_dir, paths) = common::import_copy();
    break_it(&paths);
    let err = catalogue::import(app.state.store(), &paths)
        .await
        .expect_err("refused")
        .to_string();
    for part in expect {
        assert!(err.contains(part), "error `{err}` should mention `{part}`");
    }
    assert_eq!(counts(app).await, before, "store unchanged");
    assert_eq!(
        Catalogue::load(app.state.store())
            .await
            .unwrap()
            .unwrap()
            .version,
        version
    );
    assert_eq!(app.page("kiel.localhost", "/").await.0, 200);
}

backend_test!(
    a_malformed_source_is_refused_and_nothing_changes,
    |app: TestApp| async move {
        assert_refused(
            &app,
            |paths| {
                let csv = paths.sources_dir.join(catalogue::import::PLZ);
                let mut text = std::fs::read_to_string(&csv).unwrap();
                text.push_str("4711,12x45678,Nirgendwo,99999,,Atlantis\n");
                std::fs::write(csv, text).unwrap();
            },
            &["zuordnung_plz_ort.csv", "12x45678"],
        )
        .await;
    }
);

backend_test!(
    an_inconsistent_source_is_refused_and_nothing_changes,
    |app: TestApp| async move {
        assert_refused(
            &app,
            |paths| {
                let toml = paths.catalogue_dir.join(catalogue::import::DEMO);
                let text = std::fs::read_to_string(&toml).unwrap();
                let first_key = text.split("\nleika = \"").nth(1).unwrap()[..14].to_string();
                let broken = text.replacen(
                    &format!("leika = \"{first_key}\""),
                    "leika = \"99999999999999\"",
                    1,
                );
                assert_ne!(broken, text);
                std::fs::write(toml, broken).unwrap();
            },
            &["leistungen.toml", "99999999999999"],
        )
        .await;
    }
);

backend_test!(
    a_missing_sources_folder_is_named_and_nothing_changes,
    |app: TestApp| async move {
        assert_refused(
            &app,
            |paths| std::fs::remove_dir_all(&paths.sources_dir).unwrap(),
            &["Ordner der Quelldaten", "sources", "SOURCES_DIR"],
        )
        .await;
    }
);

backend_test!(
    a_missing_source_is_named_and_nothing_changes,
    |app: TestApp| async move {
        assert_refused(
            &app,
            |paths| std::fs::remove_file(paths.sources_dir.join(catalogue::import::OZG)).unwrap(),
            &[
                "Quelle „ozg-katalog-nrw-2019/symfony.data.sql“ fehlt",
                "SOURCES_DIR",
            ],
        )
        .await;
    }
);

/// `serve` on an empty database needs the sources and says so in one sentence;
/// a database that holds a catalogue starts without them.
#[tokio::test]
async fn serve_needs_the_sources_only_for_an_empty_database() {
    let missing = std::env::temp_dir().join("bp-no-sources-here");
    let empty = tempfile::tempdir().unwrap();
    let mut config = common::config(format!(
        "sqlite://{}?mode=rwc",
        empty.path().join("empty.db").display()
    ));
    config.sources_dir = missing.clone();
    let err = buergerportal::http::app(&config)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains(&missing.display().to_string()) && err.contains("SOURCES_DIR"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one sentence: {err}");

    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.sources_dir = missing).await;
    assert_eq!(app.page("kiel.localhost", "/").await.0, 200);
}

#[tokio::test]
async fn a_changed_source_is_imported_in_one_step() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let version = app.state.catalogue().version;
    let (_dir, paths) = common::import_copy();
    let toml = paths.catalogue_dir.join(catalogue::import::DEMO);
    let text = std::fs::read_to_string(&toml).unwrap();
    let name = text
        .split("\nname = \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        &toml,
        text.replacen(
            &format!("name = \"{name}\""),
            "name = \"Geänderter Name\"",
            1,
        ),
    )
    .unwrap();
    let outcome = catalogue::import(app.state.store(), &paths).await.unwrap();
    assert!(matches!(outcome, ImportOutcome::Imported { version: v, .. } if v > version));
    app.state.refresh().await.unwrap();
    let (_, body) = app.page("kiel.localhost", "/suche?q=Geänderter").await;
    assert!(
        body.contains("Geänderter Name"),
        "the running server shows the new import"
    );
}

/// Finds a service page link in a page by its visible name.
fn link_to(body: &str, name: &str) -> Option<String> {
    body.split("<a href=\"")
        .skip(1)
        .find(|s| s.contains(&format!(">{name}<")))
        .map(|s| s.split('"').next().unwrap().to_string())
}

backend_test!(
    responsibility_follows_the_ars_hierarchy,
    |app: TestApp| async move {
        // Kiel is a kreisfreie Stadt: its own administration does municipal and Kreis services.
        let c = app.state.catalogue();
        // Wohnsitz Anmeldung (municipal) and Kraftfahrzeug Zulassung (Kreis).
        let anmeldung = buergerportal::keys::LeikaKey::parse("99115005104000").unwrap();
        let kfz = buergerportal::keys::LeikaKey::parse("99036008007000").unwrap();
        let kiel = buergerportal::keys::Ars::parse("010020000000").unwrap();
        let husum = buergerportal::keys::Ars::parse("010540056056").unwrap();
        let ascheffel = c.gemeinden_in(&buergerportal::keys::Ars::parse("010585890").unwrap())[0]
            .ars
            .clone();
        assert_eq!(
            c.responsible(&anmeldung, &kiel).unwrap().office.name,
            "Landeshauptstadt Kiel"
        );
        assert_eq!(
            c.responsible(&kfz, &kiel).unwrap().office.name,
            "Landeshauptstadt Kiel"
        );
        assert_eq!(
            c.responsible(&anmeldung, &husum).unwrap().office.name,
            "Stadt Husum"
        );
        assert_eq!(
            c.responsible(&kfz, &husum).unwrap().office.name,
            "Kreisverwaltung Nordfriesland"
        );
        assert_eq!(
            c.responsible(&anmeldung, &ascheffel).unwrap().office.name,
            "Amt Hüttener Berge"
        );
        assert_eq!(
            c.responsible(&kfz, &ascheffel).unwrap().office.name,
            "Kreisverwaltung Rendsburg-Eckernförde"
        );
        // Outside the generated Land nobody is known, and the page says so with the tenant's contact.
        let munich = buergerportal::keys::Ars::parse("091620000000").unwrap();
        assert!(c.responsible(&anmeldung, &munich).is_none());
    }
);

backend_test!(
    an_amt_asks_where_the_citizen_lives,
    |app: TestApp| async move {
        let host = "huettener-berge.localhost";
        let (_, start) = app.page(host, "/").await;
        let service = start
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|h| h.starts_with("/leistungen/99"))
            .unwrap()
            .to_string();
        let (status, body) = app.page(host, &service).await;
        assert_eq!(status, 200);
        assert!(
            body.contains("id=\"wohnort\"") && body.contains("Ascheffel"),
            "asks for the Gemeinde"
        );

        // One postcode, one Gemeinde of the Amt: straight to the answer, the choice in the URL.
        let res = app.get(host, &format!("{service}?plz=24358")).await;
        assert_eq!(
            res.status(),
            200,
            "24358 spans Ascheffel, Hütten and Ahlefeld-Bistensee"
        );
        let body = res.text().await.unwrap();
        for g in ["Ascheffel", "Hütten", "Ahlefeld-Bistensee"] {
            assert!(link_to(&body, g).is_some(), "offers {g}");
        }
        let chosen = link_to(&body, "Ascheffel").unwrap();
        assert!(chosen.contains("?gemeinde=01058"));
        let (status, body) = app.page(host, &chosen.replace("&amp;", "&")).await;
        assert_eq!(status, 200);
        assert!(body.contains("Amt Hüttener Berge") && body.contains("Ihr Wohnort"));

        let res = app.get(host, &format!("{service}?plz=24791")).await;
        assert_eq!(
            res.status(),
            303,
            "24791 spans two Gemeinden, one of them in the Amt"
        );
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("?gemeinde=010585890"));

        for (plz, message) in [("12", "fünf Ziffern"), ("10115", "keiner Gemeinde")] {
            let (status, body) = app
                .page(host, &format!("{service}?plz={plz}&gemeinde="))
                .await;
            assert_eq!(status, 200);
            assert!(body.contains(message), "{plz}");
            assert!(
                body.contains(&format!("value=\"{plz}\"")),
                "keeps what was typed"
            );
        }
    }
);
