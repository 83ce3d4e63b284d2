//! The attacks that once worked, each proven to fail safely; on both backends
//! where a database is involved.
mod common;
use buergerportal::postfach;
use common::{Backend, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HOST: &str = "kiel.localhost";
const ISSUER: &str = "https://servicekonto.example";
/// The credential that is published in the repository (catalogue/formularanbieter.toml).
const DEMO_CREDENTIAL: &str = "formulardienst-demo-zugang";

async fn api(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app.get(HOST, &format!("/api/v1/search?{query}")).await;
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn any_search_input_is_answered_or_refused_clearly() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let endless = "a".repeat(10_000);
    let (status, problem) = api(&app, &format!("q={endless}")).await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("zu lang"));
    let cases = [
        "a".repeat(199),
        "hundesteuerpersonalausweisführerschein".repeat(5),
        "hund ".repeat(40),
        "\"(hund OR katze) AND name:steuer~2^3 +pass -ausweis [a TO z] *".into(),
        "anwohnerparkausweisss\u{7}\u{1b}[31m".into(),
    ];
    for q in cases {
        let encoded: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let (status, body) = api(&app, &format!("q={encoded}")).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert!(body["hits"].is_array());
    }
    let (status, _) = api(&app, "q=hund&page=51").await;
    assert_eq!(status, 400, "pagination is capped");
    let res = app.get(HOST, &format!("/suche?q={endless}")).await;
    assert_eq!(res.status(), 200, "the page cuts and says so");
    assert!(res.text().await.unwrap().contains("sehr lang"));
}

#[tokio::test]
async fn junk_query_parameters_never_fill_the_page_cache() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let kiel = app.state.tenants().by_slug("kiel").unwrap().id;
    assert_eq!(app.get(HOST, "/a-z").await.status(), 200);
    let (_, before) = app.state.cache().tenant_usage(kiel);
    for i in 0..200 {
        for junk in [
            format!("/a-z?x={i}"),
            format!("/a-z?gemeinde=010020000000&gemeinde={i}"),
            format!("/a-z?gemeinde={i:012}"),
            format!("/?utm_source={i}"),
        ] {
            let status = app.get(HOST, &junk).await.status();
            assert!(status == 200 || status == 400, "{junk}: {status}");
        }
    }
    let (_, after) = app.state.cache().tenant_usage(kiel);
    assert_eq!(after, before, "no junk URL became a cache entry");
    assert!(
        app.state.cache().contains(kiel, "/a-z"),
        "the real page stays"
    );
    let chosen = "/a-z?gemeinde=010020000000";
    assert_eq!(app.get(HOST, chosen).await.status(), 200);
    assert!(
        app.state.cache().contains(kiel, chosen),
        "a real choice of Gemeinde is cached"
    );
}

#[tokio::test]
async fn one_tenant_cannot_evict_another_tenants_pages() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.limits.page_cache_tenant_mb = 1).await;
    let husum = app.state.tenants().by_slug("husum").unwrap().id;
    let kiel = app.state.tenants().by_slug("kiel").unwrap().id;
    assert_eq!(app.get("husum.localhost", "/").await.status(), 200);
    // Many real pages of Kiel: far more than its budget holds.
    let c = app.state.catalogue();
    let pages: Vec<String> = c
        .leistungen
        .iter()
        .take(150)
        .map(|l| format!("/leistungen/{}-{}", l.leika, l.slug))
        .collect();
    for p in &pages {
        assert_eq!(app.get(HOST, p).await.status(), 200, "{p}");
    }
    let (bytes, _) = app.state.cache().tenant_usage(kiel);
    assert!(bytes <= 1024 * 1024, "Kiel stays in its budget: {bytes}");
    assert!(
        app.state.cache().contains(husum, "/"),
        "Husum's start page is still cached"
    );
}

async fn deliver(app: &TestApp, credential: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(format!("http://{}/api/v1/postfach/messages", app.addr))
        .header("authorization", format!("Bearer {credential}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (
        status,
        serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

fn message(to: &str, id: &str, text: &str) -> Value {
    json!({
        "recipient": { "subject": to, "issuer": ISSUER },
        "sender_message_id": id,
        "subject": "Ihr Bescheid",
        "body": text,
    })
}

async fn messages(app: &TestApp) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM postfach_messages")
        .fetch_one(app.state.store().pool())
        .await
        .unwrap();
    buergerportal::store::int(&row, "n").unwrap().unwrap()
}

/// A sender of the Stadt Kiel; Erika lives in Kiel, Max in the Amt Hüttener Berge.
async fn kiel_sender(app: &TestApp) -> String {
    let store = app.state.store();
    let (_, credential) = postfach::add_sender(store, "Stadt Kiel", &["01002".into()], None, 1)
        .await
        .unwrap();
    for (sub, home) in [
        ("sub-erika", "010020000000"),
        ("sub-anna", "010020000000"),
        ("sub-max", "010585890054"),
    ] {
        let id = buergerportal::auth::account::upsert_citizen(store, ISSUER, sub, 1)
            .await
            .unwrap();
        buergerportal::auth::account::set_home(store, &id, Some(home))
            .await
            .unwrap();
    }
    credential
}

backend_test!(
    the_published_demo_credential_is_not_live_by_default,
    |app: TestApp| async move {
        let (status, _) = deliver(&app, DEMO_CREDENTIAL, &message("sub-erika", "m", "x")).await;
        assert_eq!(status, 401, "no provider, no sender by default");

        // A sender someone registered with the published credential is disabled at start.
        let store = app.state.store();
        postfach::add_sender(
            store,
            "Alt",
            &["01".into()],
            Some(DEMO_CREDENTIAL.into()),
            1,
        )
        .await
        .unwrap();
        buergerportal::handoff::register_senders(
            store,
            &buergerportal::handoff::Providers::default(),
            false,
            2,
        )
        .await
        .unwrap();
        let (status, _) = deliver(&app, DEMO_CREDENTIAL, &message("sub-erika", "m", "x")).await;
        assert_eq!(status, 401);

        // The demo provider's file is refused outside demo mode…
        let mut config = app.config.clone();
        config.form_providers_file = Some(common::repo("catalogue/formularanbieter.toml"));
        let err = buergerportal::http::app(&config)
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("Demo-Modus"), "{err}");
    }
);

#[tokio::test]
async fn in_demo_mode_the_demo_provider_serves_only_its_return_channel() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.demo = true).await;
    let (status, problem) = deliver(&app, DEMO_CREDENTIAL, &message("sub-erika", "m", "x")).await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(messages(&app).await, 0);
}

backend_test!(
    senders_reach_only_their_areas_and_learn_nothing_about_accounts,
    |app: TestApp| async move {
        let credential = kiel_sender(&app).await;
        let unknown = deliver(&app, &credential, &message("sub-nobody", "a", "x")).await;
        let outside = deliver(&app, &credential, &message("sub-max", "b", "x")).await;
        assert_eq!(unknown.0, 422);
        assert_eq!(
            unknown, outside,
            "an unknown person and one outside the area get the same answer"
        );
        assert_eq!(messages(&app).await, 0);
        let inside = deliver(&app, &credential, &message("sub-erika", "c", "x")).await;
        assert_eq!(inside.0, 201, "{}", inside.1);
    }
);

backend_test!(
    a_message_id_is_bound_to_its_message,
    |app: TestApp| async move {
        let credential = kiel_sender(&app).await;
        let first = deliver(&app, &credential, &message("sub-erika", "b-1", "Text")).await;
        assert_eq!(first.0, 201);
        let retry = deliver(&app, &credential, &message("sub-erika", "b-1", "Text")).await;
        assert_eq!((retry.0, &retry.1["id"]), (200, &first.1["id"]));
        for other in [
            message("sub-erika", "b-1", "Anderer Text"),
            message("sub-anna", "b-1", "Text"),
        ] {
            let (status, problem) = deliver(&app, &credential, &other).await;
            assert_eq!(status, 409, "{problem}");
            assert!(problem.get("id").is_none(), "no message id is given away");
        }
        // Concurrent identical deliveries: one message, no error.
        let body = message("sub-erika", "b-2", "Gleichzeitig");
        let answers =
            futures_util::future::join_all((0..8).map(|_| deliver(&app, &credential, &body))).await;
        let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 200),
            "{statuses:?}"
        );
        assert_eq!(messages(&app).await, 2);
    }
);

/// Opens a raw connection, sends `head` and returns what the server answers
/// before it closes the connection (or `None` if it keeps it open).
async fn raw(app: &TestApp, head: &[u8], wait: Duration) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head).await.unwrap();
    let mut answer = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_half_sent_header_and_an_idle_connection_are_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.limits.header_timeout_secs = 1).await;
    let half = b"GET / HTTP/1.1\r\nHost: kiel.localhost\r\nX-Slow: ";
    assert!(
        raw(&app, half, Duration::from_secs(20)).await.is_some(),
        "the server closes a connection whose header never ends"
    );
    let whole = b"GET /healthz HTTP/1.1\r\nHost: kiel.localhost\r\n\r\n";
    let answer = raw(&app, whole, Duration::from_secs(20))
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

backend_test!(
    no_body_is_read_before_its_size_and_credential_are_checked,
    |app: TestApp| async move {
        let head = |length: u64, credential: &str| {
            format!(
                "POST /api/v1/postfach/messages HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {credential}\r\n\
                 Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            )
        };
        // Neither body is ever sent: an answer proves the server did not wait for it.
        let huge = raw(
            &app,
            head(30_000_000, "wrong-credential-0123456789").as_bytes(),
            Duration::from_secs(20),
        )
        .await
        .expect("answered without the body");
        assert!(huge.starts_with("HTTP/1.1 413"), "{huge}");
        let unauthenticated = raw(
            &app,
            head(20_000_000, "wrong-credential-0123456789").as_bytes(),
            Duration::from_secs(20),
        )
        .await
        .expect("answered without the body");
        assert!(
            unauthenticated.starts_with("HTTP/1.1 401"),
            "{unauthenticated}"
        );
    }
);

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.rate_search_per_second = 1;
        c.limits.rate_login_per_minute = 2;
    })
    .await;
    let statuses = |path: &'static str| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for _ in 0..6 {
                out.push(app.get(HOST, path).await);
            }
            out
        }
    };
    for path in ["/api/v1/search?q=hund", "/anmelden"] {
        let answers = statuses(path).await;
        let limited = answers
            .iter()
            .find(|r| r.status() == 429)
            .unwrap_or_else(|| panic!("{path} is limited"));
        assert!(limited.headers().get("retry-after").is_some(), "{path}");
    }
    assert_eq!(
        app.get(HOST, "/").await.status(),
        200,
        "pages are not limited"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_of_ours() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app
        .client
        .get(format!("http://{}/", app.addr))
        .header("host", HOST)
        .header("x-request-id", "forged-id")
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id, "forged-id", "a client's id is not taken over");
    assert!(
        id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    let other = app.get(HOST, "/").await.headers()["x-request-id"].clone();
    assert_ne!(other.to_str().unwrap(), id, "one id per request");
}

#[tokio::test]
async fn over_https_responses_carry_hsts() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.public_https = true).await;
    let res = app.get(HOST, "/").await;
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

backend_test!(
    an_ended_session_is_never_written_back,
    |app: TestApp| async move {
        use tower_sessions::session::{Id, Record};
        use tower_sessions::SessionStore;
        let store = buergerportal::auth::DbSessionStore(app.state.store().clone());
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        };
        store.create(&mut record).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_some());
        store.delete(&record.id).await.unwrap();
        // A request that loaded the session before the logout now saves it.
        store.save(&record).await.unwrap();
        assert!(
            store.load(&record.id).await.unwrap().is_none(),
            "the logged-out session stays gone"
        );
    }
);

backend_test!(
    signing_keys_are_sealed_and_retired_ones_deleted,
    |app: TestApp| async move {
        let store = app.state.store();
        let rows = sqlx::query("SELECT kid, pkcs8, sealed FROM signing_keys")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let pkcs8: Vec<u8> = sqlx::Row::try_get(&rows[0], "pkcs8").unwrap();
        // An Ed25519 PKCS#8 document starts with this DER prefix; sealed, it does not.
        assert!(!pkcs8.starts_with(&[0x30, 0x53, 0x02, 0x01]) && !pkcs8.starts_with(&[0x30, 0x51]));
        assert_eq!(
            buergerportal::store::int(&rows[0], "sealed").unwrap(),
            Some(1)
        );

        let sealer = buergerportal::handoff::keys::Sealer::from_config(&app.config)
            .unwrap()
            .unwrap();
        let now = buergerportal::clock::now_unix();
        let week = buergerportal::handoff::keys::RETIRED_KEY_PUBLISHED_SECS;
        buergerportal::handoff::keys::rotate(store, &sealer, now)
            .await
            .unwrap();
        buergerportal::handoff::keys::rotate(store, &sealer, now + week + 60)
            .await
            .unwrap();
        let left = sqlx::query("SELECT COUNT(*) AS n FROM signing_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(
            buergerportal::store::int(&left, "n").unwrap(),
            Some(2),
            "the key retired a week ago is gone, with its private part"
        );
    }
);

#[tokio::test]
async fn without_a_sealing_key_there_are_no_hand_offs() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.signing_key_encryption_key = None;
    })
    .await;
    let jwks: Value = app
        .client
        .get(format!("http://{}/.well-known/jwks.json", app.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(jwks["keys"], json!([]));
    assert!(app.state.keys().is_none());
    assert_eq!(
        app.get(HOST, "/").await.status(),
        200,
        "the portal itself runs"
    );
}
