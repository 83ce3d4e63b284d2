//! Citizens' sessions: idle and absolute timeouts, logout, the in-memory
//! session cache (also across instances on PostgreSQL) and logged-in pages
//! made from the cached anonymous page.

mod common;

use buergerportal::auth::{DbSessionStore, Person, SignedIn, RENEWED_AT, SIGNED_IN};
use common::{Backend, TestApp};
use std::time::{Duration, Instant};
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

const KIEL: &str = "kiel.localhost";
const SERVICE: &str = "/leistungen/99115005104000-wohnsitz-anmelden";
const CSRF: &str = "csrf-token-of-this-session-0123456789";
const NAME: &str = "Erika Mustermann";

async fn portal(backend: Backend) -> TestApp {
    portal_on(backend, None).await
}

/// A portal with a Servicekonto configured (never contacted here), on a
/// fresh database or on the given one.
async fn portal_on(backend: Backend, database_url: Option<String>) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.oidc.issuer = Some("http://127.0.0.1:9/servicekonto".into());
        c.oidc.client_secret = Some("geheim".into());
        if let Some(url) = database_url {
            c.database_url = Some(url);
        }
    })
    .await
}

struct Login {
    /// Seconds since the login.
    age: i64,
    /// Seconds since the idle deadline last moved.
    renewed: i64,
    /// Seconds until the idle deadline.
    idle_left: i64,
}

const FRESH: Login = Login {
    age: 0,
    renewed: 0,
    idle_left: 30 * 60,
};

/// A session as the login leaves it, written to the database. Returns its cookie.
async fn logged_in(app: &TestApp, login: Login) -> (Id, String) {
    let store = app.state.store();
    let now = buergerportal::clock::now_unix();
    let citizen_id = buergerportal::auth::account::upsert_citizen(store, "iss", "sub-erika", now)
        .await
        .unwrap();
    let signed_in = SignedIn {
        citizen_id,
        subject: "sub-erika".into(),
        name: NAME.into(),
        person: Person {
            name: NAME.into(),
            ..Default::default()
        },
        level: buergerportal::keys::Vertrauensniveau::Substantiell,
        id_token: String::new(),
        login_at: now - login.age,
        csrf: CSRF.into(),
    };
    let mut record = Record {
        id: Id::default(),
        data: [
            (
                SIGNED_IN.to_string(),
                serde_json::to_value(signed_in).unwrap(),
            ),
            (
                RENEWED_AT.to_string(),
                serde_json::json!(now - login.renewed),
            ),
        ]
        .into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::seconds(login.idle_left),
    };
    DbSessionStore(store.clone())
        .create(&mut record)
        .await
        .unwrap();
    (record.id, format!("bp_session={}", record.id))
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(format!("http://{}{path}", app.addr))
        .header("host", KIEL)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Whether Mein Bereich shows the citizen (else it sends to the login).
async fn signed_in(app: &TestApp, cookie: &str) -> bool {
    let res = get(app, "/mein-bereich", cookie).await;
    match res.status().as_u16() {
        200 => true,
        303 | 302 | 307 => {
            let to = res.headers()["location"].to_str().unwrap().to_string();
            assert!(to.starts_with("/anmelden"), "{to}");
            false
        }
        other => panic!("Mein Bereich answered {other}"),
    }
}

async fn post(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> u16 {
    app.post_form(KIEL, path, cookie, fields)
        .await
        .status()
        .as_u16()
}

async fn expires_at(app: &TestApp, id: &Id) -> Option<i64> {
    DbSessionStore(app.state.store().clone())
        .load(id)
        .await
        .unwrap()
        .map(|r| r.expiry_date.unix_timestamp())
}

/// One test per backend, each on a portal with login.
macro_rules! session_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                ($body)(portal(Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                ($body)(portal(Backend::Postgres).await).await;
            }
        }
    };
}

session_test!(
    logout_ends_a_cached_session_at_once,
    |app: TestApp| async move {
        let (id, cookie) = logged_in(&app, FRESH).await;
        assert!(signed_in(&app, &cookie).await);
        assert!(
            signed_in(&app, &cookie).await,
            "again, from this instance's cache"
        );
        assert_eq!(
            post(&app, "/abmelden", &cookie, &[("csrf", CSRF)]).await,
            303
        );
        assert!(
            !signed_in(&app, &cookie).await,
            "the old cookie is worth nothing"
        );
        assert_eq!(expires_at(&app, &id).await, None, "the session is gone");
    }
);

session_test!(
    the_absolute_timeout_ends_a_session,
    |app: TestApp| async move {
        let max = app.config.session_max_minutes * 60;
        let (_, young) = logged_in(
            &app,
            Login {
                age: max - 60,
                ..FRESH
            },
        )
        .await;
        assert!(signed_in(&app, &young).await);
        let (id, old) = logged_in(
            &app,
            Login {
                age: max + 1,
                ..FRESH
            },
        )
        .await;
        assert!(!signed_in(&app, &old).await);
        assert_eq!(expires_at(&app, &id).await, None, "the session is deleted");
    }
);

session_test!(
    the_idle_deadline_moves_at_most_once_a_minute,
    |app: TestApp| async move {
        let idle = app.config.session_idle_minutes * 60;
        // Renewed two minutes ago: this request moves the deadline and the cookie.
        let (id, cookie) = logged_in(
            &app,
            Login {
                renewed: 120,
                idle_left: idle - 120,
                ..FRESH
            },
        )
        .await;
        let before = expires_at(&app, &id).await.unwrap();
        let res = get(&app, "/mein-bereich", &cookie).await;
        assert_eq!(res.status(), 200);
        let set = res
            .headers()
            .get("set-cookie")
            .expect("the cookie is renewed");
        assert!(
            set.to_str().unwrap().contains(&format!("Max-Age={idle}")),
            "{set:?}"
        );
        let renewed = expires_at(&app, &id).await.unwrap();
        assert!(
            renewed >= before + 110,
            "deadline moved: {before} -> {renewed}"
        );
        // Renewed just now: nothing is written, the cookie is not sent again.
        let res = get(&app, "/mein-bereich", &cookie).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(expires_at(&app, &id).await, Some(renewed));
    }
);

session_test!(
    an_idle_session_ends_also_in_the_cache,
    |app: TestApp| async move {
        let (_, cookie) = logged_in(
            &app,
            Login {
                idle_left: 2,
                ..FRESH
            },
        )
        .await;
        assert!(signed_in(&app, &cookie).await, "read once, now cached");
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!signed_in(&app, &cookie).await, "past its idle deadline");
    }
);

session_test!(
    a_logged_in_page_from_the_cache_is_the_rendered_one,
    |app: TestApp| async move {
        let (_, cookie) = logged_in(&app, FRESH).await;
        // Nothing cached yet: the handler renders the citizen's page.
        let rendered = get(&app, SERVICE, &cookie).await;
        assert_eq!(rendered.status(), 200);
        assert!(rendered.headers().get("x-cache").is_none());
        let rendered = rendered.text().await.unwrap();
        assert!(rendered.contains(NAME) && rendered.contains(CSRF) && rendered.contains("Merken"));
        let (status, anonymous) = app.page(KIEL, SERVICE).await;
        assert_eq!(status, 200);
        assert!(
            !anonymous.contains(NAME) && !anonymous.contains(CSRF),
            "nothing personal is cached"
        );
        let res = get(&app, SERVICE, &cookie).await;
        assert_eq!(res.headers()["x-cache"], "personal");
        assert_eq!(res.headers()["cache-control"], "private, no-store");
        assert_eq!(
            res.text().await.unwrap(),
            rendered,
            "the same bytes as rendered"
        );
        // The Merkliste changes at once.
        let leika = "99115005104000";
        let fields = [
            ("csrf", CSRF),
            ("leika", leika),
            ("aktion", "merken"),
            ("zurueck", SERVICE),
        ];
        assert_eq!(
            post(&app, "/mein-bereich/merkliste", &cookie, &fields).await,
            303
        );
        let page = get(&app, SERVICE, &cookie).await.text().await.unwrap();
        assert!(page.contains("Von der Merkliste entfernen"), "saved");
        let (_, anonymous) = app.page(KIEL, SERVICE).await;
        assert!(!anonymous.contains(NAME) && !anonymous.contains("Merkliste entfernen"));
    }
);

/// Two instances on one PostgreSQL: a logout on one reaches the other's
/// session cache (`NOTIFY`), long before its entries would expire.
#[tokio::test]
async fn a_second_instance_forgets_a_logged_out_session() {
    let a = portal(Backend::Postgres).await;
    let url = a.config.database_url();
    let b = portal_on(Backend::Postgres, Some(url.clone())).await;
    let _wake_a = buergerportal::http::listen_for_changes(&a.state, &url);
    let _wake_b = buergerportal::http::listen_for_changes(&b.state, &url);
    let started = Instant::now();
    while !(a.state.session_cache().is_live() && b.state.session_cache().is_live()) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "both instances listen"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, cookie) = logged_in(&a, FRESH).await;
    assert!(signed_in(&a, &cookie).await);
    assert!(signed_in(&b, &cookie).await, "b has read and cached it");
    assert_eq!(post(&a, "/abmelden", &cookie, &[("csrf", CSRF)]).await, 303);
    let started = Instant::now();
    while signed_in(&b, &cookie).await {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "b still shows the logged-out session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

session_test!(
    a_search_page_kept_for_anonymous_visitors_is_never_shown_to_a_citizen,
    |app: TestApp| async move {
        const SEARCH: &str = "/suche?q=personalausweis";
        let (_, cookie) = logged_in(&app, FRESH).await;
        let text = |res: reqwest::Response| async move {
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        };
        // Anonymous first (kept), then the citizen, then anonymous again.
        let anonymous = text(get(&app, SEARCH, "").await).await;
        assert!(!anonymous.contains(NAME) && anonymous.contains("/anmelden"));
        let personal = text(get(&app, SEARCH, &cookie).await).await;
        assert!(personal.contains(NAME), "the citizen's account area");
        let again = text(get(&app, SEARCH, "").await).await;
        assert_eq!(again, anonymous, "the kept page");
        assert!(!again.contains(NAME) && !again.contains(CSRF));
        // Citizen first on another query: nothing of it reaches the next visitor.
        let personal = text(get(&app, "/suche?q=umzug", &cookie).await).await;
        assert!(personal.contains(NAME));
        let anonymous = text(get(&app, "/suche?q=umzug", "").await).await;
        assert!(!anonymous.contains(NAME) && !anonymous.contains(CSRF));
    }
);

session_test!(
    mein_bereich_shows_every_change_of_the_merkliste_at_once,
    |app: TestApp| async move {
        let (_, cookie) = logged_in(&app, FRESH).await;
        let leika = "99115005104000";
        // Read twice: the second comes from this instance's memory.
        assert!(!lists(&app, &cookie, leika).await);
        assert!(!lists(&app, &cookie, leika).await);
        for (action, expected) in [("merken", true), ("entfernen", false), ("merken", true)] {
            let fields = [("csrf", CSRF), ("leika", leika), ("aktion", action)];
            assert_eq!(
                post(&app, "/mein-bereich/merkliste", &cookie, &fields).await,
                303
            );
            assert_eq!(
                lists(&app, &cookie, leika).await,
                expected,
                "after {action}"
            );
        }
    }
);

/// Whether Mein Bereich lists the service on the Merkliste.
async fn lists(app: &TestApp, cookie: &str, leika: &str) -> bool {
    let res = get(app, "/mein-bereich", cookie).await;
    assert_eq!(res.status(), 200);
    res.text()
        .await
        .unwrap()
        .contains(&format!("/leistungen/{leika}"))
}

/// After the Servicekonto's logout, the login host sends the browser on to the
/// tenant the logout began on, and to nowhere else.
#[tokio::test]
async fn the_login_host_returns_a_logged_out_browser_only_to_a_tenant() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.login_host = Some("login.localhost".into());
    })
    .await;
    let back = |origin: &str| {
        format!(
            "/abgemeldet?state={}",
            form_urlencoded::byte_serialize(origin.as_bytes()).collect::<String>()
        )
    };
    let res = app
        .get("login.localhost", &back("http://husum.localhost:3000"))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "http://husum.localhost:3000/");
    for foreign in [
        "http://evil.example",
        "https://husum.localhost",
        "http://evil.example/@husum.localhost",
        "http://husum.localhost@evil.example",
        "//evil.example",
        "",
    ] {
        let res = app.get("login.localhost", &back(foreign)).await;
        assert_eq!(res.status(), 200, "{foreign}");
        assert!(res.headers().get("location").is_none(), "{foreign}");
        assert!(res.text().await.unwrap().contains("abgemeldet"));
    }
    // The tenants' hosts do not answer it.
    let res = app.get(KIEL, &back("http://husum.localhost")).await;
    assert_eq!(res.status(), 404);
}
