//! The operator's side: the whole life of a tenant through the console and
//! through the command line, bulk onboarding, and that the console is
//! reachable only on its own host and only by operators. Both backends.
mod common;
use buergerportal::editor::{self, content::Who, Role};
use common::{back_office_session, BackOffice, TestApp};

const CONSOLE: &str = "betrieb.localhost";
/// Flensburg: a kreisfreie Stadt of Schleswig-Holstein that is no demo tenant.
const FLENSBURG: &str = "010010000000";

/// Every tenant as "slug|ars|status", for comparing states.
async fn tenant_rows(app: &TestApp) -> Vec<String> {
    let rows = sqlx::query("SELECT slug, ars, status FROM tenants ORDER BY slug")
        .fetch_all(app.state.store().pool())
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let field = |c: &str| buergerportal::store::text(r, c).unwrap();
            format!("{}|{}|{}", field("slug"), field("ars"), field("status"))
        })
        .collect()
}

async fn operator(app: &TestApp, subject: &str) -> BackOffice {
    let op = back_office_session(app, "bp_betrieb", "operator", subject).await;
    buergerportal::operator::grant_operator(app.state.store(), &op.id, 1)
        .await
        .unwrap();
    op
}

/// Writes what the go-live checklist asks for, as the tenant's editors would.
async fn make_ready(app: &TestApp, host: &str, slug: &str) {
    let t = app.state.tenants().by_slug(slug).unwrap().clone();
    let admin = back_office_session(app, "bp_redaktion", "editor", &format!("admin-{slug}")).await;
    editor::grant(
        app.state.store(),
        t.scope(),
        &admin.id,
        Role::Admin,
        Who {
            actor: "test",
            now: 1,
        },
    )
    .await
    .unwrap();
    for page in ["impressum", "datenschutz", "barrierefreiheit"] {
        let (s, _, _) = app
            .post_as(
                host,
                &format!("/redaktion/rechtliches/{page}"),
                &admin,
                &[("markdown", "## Angaben\n\nStadt Flensburg"), ("rev", "0")],
            )
            .await;
        assert_eq!(s, 303);
        let (s, _, _) = app
            .post_as(
                host,
                &format!("/redaktion/inhalt/legal/{page}/veroeffentlichen"),
                &admin,
                &[],
            )
            .await;
        assert_eq!(s, 303, "{page}");
    }
    let settings = [
        ("tagline", "Bürgerservice"),
        ("primary", "#00508c"),
        ("accent", "#008a94"),
        ("logo_alt", "Flensburg"),
        ("contact_name", "Bürgerbüro"),
        ("contact_phone", "040 66969-200"),
        ("rev", "0"),
    ];
    let (s, _, _) = app
        .post_as(host, "/redaktion/darstellung", &admin, &settings)
        .await;
    assert_eq!(s, 303);
    let png = {
        let mut out = Vec::new();
        image::RgbImage::new(4, 4)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    let form = reqwest::multipart::Form::new()
        .text("csrf", admin.csrf.clone())
        .part(
            "logo",
            reqwest::multipart::Part::bytes(png).file_name("logo.png"),
        );
    let res = app
        .client
        .post(format!("http://{}/redaktion/darstellung/logo", app.addr))
        .header("host", host)
        .header("cookie", &admin.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (s, _, _) = app
        .post_as(
            host,
            "/redaktion/inhalt/settings/main/veroeffentlichen",
            &admin,
            &[],
        )
        .await;
    assert_eq!(s, 303);
}

backend_test!(
    the_life_of_a_tenant_through_the_console,
    |app: TestApp| async move {
        let op = operator(&app, "betrieb").await;
        let (s, body, _) = app
            .post_as(
                CONSOLE,
                "/mandanten",
                &op,
                &[("ars", FLENSBURG), ("hosts", "flensburg.localhost")],
            )
            .await;
        assert_eq!(s, 200, "{body}");
        assert!(
            body.contains("/redaktion/einladung/"),
            "an invitation for the first admin"
        );
        let host = "flensburg.localhost";
        let slug = app
            .state
            .tenants()
            .resolve(host)
            .unwrap()
            .slug
            .as_str()
            .to_string();
        let res = app.get(host, "/").await;
        assert_eq!(res.status(), 503, "a draft is not open yet");
        assert_eq!(res.headers()["x-robots-tag"], "noindex, nofollow");
        assert!(res.text().await.unwrap().contains("Noch nicht geöffnet"));

        let (s, body, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/status"),
                &op,
                &[("status", "live")],
            )
            .await;
        assert_eq!(s, 409, "go-live refused until the checklist passes");
        assert!(
            body.contains("Impressum") && body.contains("Logo"),
            "names what is missing"
        );
        make_ready(&app, host, &slug).await;
        let (s, _, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/status"),
                &op,
                &[("status", "live")],
            )
            .await;
        assert_eq!(s, 303);
        assert_eq!(app.get(host, "/").await.status(), 200, "live");

        let (s, _, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/status"),
                &op,
                &[("status", "suspended")],
            )
            .await;
        assert_eq!(s, 303);
        let res = app.get(host, "/").await;
        assert_eq!(res.status(), 503);
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Wartung") && body.contains("040 66969-200"),
            "maintenance with the contact"
        );
        let (s, _) = app.page(host, "/redaktion/anmelden").await;
        assert_ne!(s, 503, "editors keep access");
        let (s, _, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/status"),
                &op,
                &[("status", "live")],
            )
            .await;
        assert_eq!(s, 303);
        assert_eq!(app.get(host, "/").await.status(), 200, "resumed");

        let (s, _, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/host"),
                &op,
                &[("host", "flensburg.buergerportal.example")],
            )
            .await;
        assert_eq!(s, 303);
        let moved = app.get(host, "/impressum").await;
        assert_eq!(moved.status(), 308, "the former host redirects permanently");
        assert!(moved.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("http://flensburg.buergerportal.example"));
        assert_eq!(
            app.get("flensburg.buergerportal.example", "/")
                .await
                .status(),
            200
        );

        let (s, export, _) = app
            .get_as(CONSOLE, &format!("/mandanten/{slug}/export"), &op.cookie)
            .await;
        assert_eq!(s, 200);
        let export: serde_json::Value = serde_json::from_str(&export).unwrap();
        assert_eq!(export["format"], "buergerportal-mandant");
        assert!(export["content"].as_array().unwrap().len() >= 4);
        assert!(!export["audit"].as_array().unwrap().is_empty());

        let id = app.state.tenants().by_slug(&slug).unwrap().id;
        let (s, _, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/loeschen"),
                &op,
                &[("bestaetigung", "falsch")],
            )
            .await;
        assert_eq!(s, 422, "deleting needs the slug typed");
        let (s, body, _) = app
            .post_as(
                CONSOLE,
                &format!("/mandanten/{slug}/loeschen"),
                &op,
                &[("bestaetigung", &slug)],
            )
            .await;
        assert_eq!(s, 200);
        assert!(
            body.contains("content_versions") && body.contains("gelöscht"),
            "a report of what went"
        );
        for table in buergerportal::operator::TENANT_TABLES
            .iter()
            .chain(["changes"].iter())
        {
            let column = if *table == "tenants" {
                "id"
            } else {
                "tenant_id"
            };
            let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1");
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_one(app.state.store().pool())
                .await
                .unwrap();
            assert_eq!(
                buergerportal::store::int(&row, "n").unwrap(),
                Some(0),
                "{table} holds nothing of the tenant"
            );
        }
        assert_eq!(
            app.get("flensburg.buergerportal.example", "/")
                .await
                .status(),
            404
        );

        // The export is accepted by a re-onboarding.
        let again = buergerportal::operator::export::import(
            app.state.store(),
            &export,
            Who {
                actor: "test",
                now: 2,
            },
        )
        .await
        .unwrap();
        assert_eq!(again, slug);
        app.state.refresh().await.unwrap();
        let (s, page) = app
            .page("flensburg.buergerportal.example", "/impressum")
            .await;
        assert_eq!(s, 200);
        assert!(
            page.contains("Stadt Flensburg"),
            "content and versions came back"
        );
    }
);

backend_test!(
    bulk_onboarding_of_a_land_twice_gives_the_same_state,
    |app: TestApp| async move {
        let c = app.state.catalogue();
        let candidates = buergerportal::operator::land_candidates(&c, "01").unwrap();
        assert!(
            candidates.len() > 150,
            "every administration of Schleswig-Holstein: {}",
            candidates.len()
        );
        assert!(
            candidates.iter().any(|c| c.ars.as_str() == "01054"),
            "Kreis Nordfriesland"
        );
        assert!(
            candidates.iter().any(|c| c.ars.as_str() == "010585890"),
            "Amt Hüttener Berge"
        );
        let who = Who {
            actor: "test",
            now: 1,
        };
        let first = buergerportal::operator::onboard(
            app.state.store(),
            &candidates,
            |s| vec![format!("{s}.sh.example")],
            who,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(first.unchanged, 3, "the three demo tenants were there");
        let before = tenant_rows(&app).await;
        let second = buergerportal::operator::onboard(
            app.state.store(),
            &candidates,
            |s| vec![format!("{s}.sh.example")],
            who,
            |_| {},
        )
        .await
        .unwrap();
        assert!(second.created.is_empty());
        assert_eq!(second.unchanged, candidates.len());
        let after = tenant_rows(&app).await;
        assert_eq!(before, after, "a second run changes nothing");
        app.state.refresh().await.unwrap();
        let slug: String = sqlx::query_scalar("SELECT slug FROM tenants WHERE ars = '01054'")
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        let (s, _) = app.page(&format!("{slug}.sh.example"), "/").await;
        assert_eq!(s, 503, "new portals start as drafts");
    }
);

backend_test!(
    the_console_lives_only_on_its_host_and_only_for_operators,
    |app: TestApp| async move {
        let op = operator(&app, "betrieb").await;
        assert_eq!(app.get_as(CONSOLE, "/", &op.cookie).await.0, 200);
        // On a tenant's host the console's routes do not exist.
        for path in [
            "/mandanten/kiel",
            "/protokoll",
            "/mandanten/kiel/export",
            "/einblick",
            "/mandanten/kiel/einblick",
        ] {
            let (s, body, _) = app.get_as("kiel.localhost", path, &op.cookie).await;
            assert_eq!(s, 404, "{path} on a tenant host");
            assert!(!body.contains("Mandanten"), "{path}");
        }
        let (s, _, _) = app
            .post_as(
                "kiel.localhost",
                "/mandanten/kiel/loeschen",
                &op,
                &[("bestaetigung", "kiel")],
            )
            .await;
        assert!(s == 404 || s == 405, "{s}");
        assert!(app.state.tenants().by_slug("kiel").is_some());
        // An editor, even with the operator's identity provider, is not an operator.
        let ed = back_office_session(&app, "bp_betrieb", "editor", "redakteurin").await;
        let (s, _, location) = app.get_as(CONSOLE, "/", &ed.cookie).await;
        assert_eq!((s, location.as_deref()), (303, Some("/anmelden")));
        let no_role = back_office_session(&app, "bp_betrieb", "operator", "ehemals").await;
        assert_eq!(app.get_as(CONSOLE, "/", &no_role.cookie).await.0, 403);
        let (s, _, _) = app
            .post_as(
                CONSOLE,
                "/mandanten/kiel/loeschen",
                &no_role,
                &[("bestaetigung", "kiel")],
            )
            .await;
        assert_eq!(s, 403);
        // Without the session's CSRF token nothing happens.
        let forged = BackOffice {
            csrf: "falsch".into(),
            ..operator(&app, "zweiter").await
        };
        let (s, _, _) = app
            .post_as(
                CONSOLE,
                "/mandanten/kiel/status",
                &forged,
                &[("status", "suspended")],
            )
            .await;
        assert_eq!(s, 403);
        app.state.refresh().await.unwrap();
        assert_eq!(app.get("kiel.localhost", "/").await.status(), 200);
    }
);

/// The command line does what the console does.
#[tokio::test]
async fn the_life_of_a_tenant_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_buergerportal"))
            .args(args)
            .env("DATABASE_URL", &db)
            .env("TENANTS_DIR", common::repo("tenants"))
            .env("CATALOGUE_DIR", common::repo("catalogue"))
            .env("SOURCES_DIR", common::sources_dir())
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&[
        "tenant",
        "onboard",
        "--ars",
        FLENSBURG,
        "--host",
        "flensburg.localhost",
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Entwurf") && out.contains("/redaktion/einladung/"),
        "{out}"
    );
    let slug = out
        .split('„')
        .nth(1)
        .unwrap()
        .split('“')
        .next()
        .unwrap()
        .to_string();
    let (ok, out) = run(&["tenant", "go-live", &slug]);
    assert!(
        !ok && out.contains("Impressum"),
        "refused with what is missing: {out}"
    );
    // A draft cannot be suspended, so suspend and resume are no way past the checklist.
    let (ok, out) = run(&["tenant", "suspend", &slug]);
    assert!(!ok && out.contains("Entwurf"), "{out}");
    let (ok, out) = run(&["tenant", "resume", &slug]);
    assert!(!ok && out.contains("Impressum"), "{out}");
    let file = dir.path().join("export.json");
    let (ok, out) = run(&["tenant", "export", &slug, file.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["tenant", "delete", &slug]);
    assert!(
        ok && out.contains("tenants") && out.contains("gelöscht"),
        "{out}"
    );
    let (ok, out) = run(&["tenant", "onboard", "--from", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["tenant", "onboard-land", "01", "--domain", "sh.example"]);
    assert!(ok && out.contains("als Entwurf angelegt"), "{out}");
    let (ok, out) = run(&["tenant", "onboard-land", "01", "--domain", "sh.example"]);
    assert!(ok && out.contains("nichts geändert"), "{out}");
    let (ok, out) = run(&[
        "tenant",
        "onboard",
        "--ars",
        "0100",
        "--host",
        "x.localhost",
    ]);
    assert!(
        !ok && out.contains("Regionalschlüssel"),
        "a clear error: {out}"
    );
}

backend_test!(
    insight_counts_per_day_per_tenant_and_for_the_platform,
    |app: TestApp| async move {
        let found = app
            .page("kiel.localhost", "/api/v1/search?q=personalausweis")
            .await
            .1;
        let found: serde_json::Value = serde_json::from_str(&found).unwrap();
        let service = found["hits"][0]["url"].as_str().unwrap().to_string();
        assert_eq!(app.page("kiel.localhost", &service).await.0, 200);
        app.page("kiel.localhost", "/api/v1/search?q=qqxyzzyqq")
            .await;
        app.page("husum.localhost", "/suche?q=hund").await;
        app.state.refresh().await.unwrap();

        let kiel = app.state.tenants().by_slug("kiel").unwrap().scope();
        let days = buergerportal::operator::insight::daily(app.state.store(), Some(kiel), 30)
            .await
            .unwrap();
        // Summed over the days (a run may cross midnight), in the order of
        // Metric::ALL: page views, searches, without result, hand-offs, logins.
        let total = |days: &[buergerportal::operator::insight::Day]| {
            days.iter().fold([0; 5], |mut sum, d| {
                sum.iter_mut().zip(d.counts).for_each(|(s, n)| *s += n);
                sum
            })
        };
        assert_eq!(total(&days), [1, 2, 1, 0, 0], "{days:?}");
        let platform = buergerportal::operator::insight::daily(app.state.store(), None, 30)
            .await
            .unwrap();
        assert_eq!(
            total(&platform)[1],
            3,
            "Husum's search counts for the platform"
        );

        let op = operator(&app, "betrieb").await;
        let (s, page, _) = app
            .get_as(CONSOLE, "/mandanten/kiel/einblick", &op.cookie)
            .await;
        assert_eq!(s, 200);
        assert!(
            page.contains("Suchen ohne Treffer") && page.contains("<td class=\"number\">2</td>"),
            "{page}"
        );
        let (s, page, _) = app.get_as(CONSOLE, "/einblick", &op.cookie).await;
        assert_eq!(s, 200);
        assert!(page.contains("<td class=\"number\">3</td>"));
        // Nothing that identifies a person: the query texts are not in the counts.
        assert!(!page.contains("qqxyzzyqq"));
    }
);
