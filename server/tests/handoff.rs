//! The hand-off's JWKS and key rotation, and the return channel's checks, on both backends.
mod common;
use buergerportal::handoff::applications::{self, NewApplication};
use common::TestApp;
use serde_json::{json, Value};

const CREDENTIAL_A: &str = "zugang-anbieter-a-0123456789";
const CREDENTIAL_B: &str = "zugang-anbieter-b-0123456789";

fn sha256(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Two providers, each with its own credential.
async fn app_with_providers(backend: common::Backend) -> TestApp {
    let file = std::env::temp_dir().join(format!(
        "bp-providers-{}-{:?}.toml",
        std::process::id(),
        backend
    ));
    let mut text = String::new();
    for (id, credential) in [("a", CREDENTIAL_A), ("b", CREDENTIAL_B)] {
        text += &format!(
            "[[anbieter]]\nid = \"{id}\"\nname = \"Anbieter {id}\"\nkatalog_praefix = \"http://{id}.example/\"\n\
             audience = \"urn:{id}\"\nuebergabe = \"formular\"\nzugang_sha256 = \"{}\"\n\n",
            sha256(credential)
        );
    }
    std::fs::write(&file, text).unwrap();
    TestApp::spawn_with(backend, |c| c.form_providers_file = Some(file)).await
}

async fn application_of_a(app: &TestApp) -> String {
    let store = app.state.store();
    let citizen = buergerportal::auth::account::upsert_citizen(store, "iss", "sub-erika", 1)
        .await
        .unwrap();
    applications::create(
        store,
        NewApplication {
            citizen_id: &citizen,
            provider_id: "a",
            leika: "99102013002000",
            service_name: "Hund anmelden",
            tenant_slug: "kiel",
            ars: "010020000000",
            place_name: "Kiel",
            office: "Landeshauptstadt Kiel",
            consent: false,
        },
        1,
    )
    .await
    .unwrap()
}

async fn post(app: &TestApp, path: &str, credential: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .post(format!("http://{}{path}", app.addr))
        .header("authorization", format!("Bearer {credential}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn history(app: &TestApp) -> Vec<(String, i64)> {
    let citizen = buergerportal::auth::account::find_citizen(app.state.store(), "iss", "sub-erika")
        .await
        .unwrap()
        .unwrap();
    applications::list(app.state.store(), &citizen.id)
        .await
        .unwrap()[0]
        .events
        .clone()
}

mod return_channel {
    use super::*;

    async fn run(backend: common::Backend) {
        let app = app_with_providers(backend).await;
        let id = application_of_a(&app).await;
        let status = |s: &str| json!({ "status": s });
        let refused = [
            (
                format!("/api/v1/antraege/{id}/status"),
                "falsch-0123456789abcdef",
                status("eingegangen"),
                401,
            ),
            (
                format!("/api/v1/antraege/{id}/status"),
                CREDENTIAL_B,
                status("eingegangen"),
                404,
            ),
            (
                "/api/v1/antraege/BP-unbekannt/status".to_string(),
                CREDENTIAL_A,
                status("eingegangen"),
                404,
            ),
            (
                format!("/api/v1/antraege/{id}/status"),
                CREDENTIAL_A,
                status("erfunden"),
                400,
            ),
            (
                format!("/api/v1/antraege/{id}/nachrichten"),
                CREDENTIAL_B,
                json!({ "sender_message_id": "x", "subject": "s", "body": "b" }),
                404,
            ),
        ];
        for (path, credential, body, expected) in refused {
            let (got, problem) = post(&app, &path, credential, body).await;
            assert_eq!(got, expected, "{path}: {problem}");
            assert!(
                problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{problem}"
            );
        }
        assert_eq!(
            history(&app).await.len(),
            1,
            "nothing changed by refused reports"
        );

        let (got, _) = post(
            &app,
            &format!("/api/v1/antraege/{id}/status"),
            CREDENTIAL_A,
            status("eingegangen"),
        )
        .await;
        assert_eq!(got, 200);
        let (_, again) = post(
            &app,
            &format!("/api/v1/antraege/{id}/status"),
            CREDENTIAL_A,
            status("eingegangen"),
        )
        .await;
        assert_eq!(again["changed"], false, "a repeated report adds no event");
        let (got, msg) = post(
            &app,
            &format!("/api/v1/antraege/{id}/nachrichten"),
            CREDENTIAL_A,
            json!({ "sender_message_id": "eingang", "subject": "Eingangsbestätigung", "body": "Ihr Antrag ist da." }),
        )
        .await;
        assert_eq!(got, 201, "{msg}");
        let events: Vec<String> = history(&app).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(events, ["weitergeleitet", "eingegangen"]);
        let citizen =
            buergerportal::auth::account::find_citizen(app.state.store(), "iss", "sub-erika")
                .await
                .unwrap()
                .unwrap();
        let list = applications::list(app.state.store(), &citizen.id)
            .await
            .unwrap();
        assert_eq!(
            list[0].messages.len(),
            1,
            "the message is linked to its application"
        );
        assert_eq!(list[0].messages[0].1, "Eingangsbestätigung");
    }

    #[tokio::test]
    async fn sqlite() {
        run(common::Backend::Sqlite).await
    }

    #[tokio::test]
    async fn postgres() {
        run(common::Backend::Postgres).await
    }
}

backend_test!(
    jwks_keeps_the_old_key_after_a_rotation,
    |app: TestApp| async move {
        let jwks = |app: &TestApp| {
            let url = format!("http://{}/.well-known/jwks.json", app.addr);
            let client = app.client.clone();
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .map(|t| serde_json::from_str::<Value>(&t).unwrap())
                    .unwrap()
            }
        };
        let before = jwks(&app).await;
        let keys = before["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["kty"], "OKP");
        assert_eq!(keys[0]["crv"], "Ed25519");
        let old = keys[0]["kid"].as_str().unwrap().to_string();
        let sealer = buergerportal::handoff::keys::Sealer::from_config(&app.config)
            .unwrap()
            .expect("tests configure a sealing key");
        let new = buergerportal::handoff::keys::rotate(
            app.state.store(),
            &sealer,
            buergerportal::clock::now_unix(),
        )
        .await
        .unwrap();
        app.state.reload_keys().await.unwrap();
        let after = jwks(&app).await;
        let kids: Vec<&str> = after["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert!(
            kids.contains(&old.as_str()) && kids.contains(&new.as_str()),
            "{kids:?}"
        );
        assert_eq!(
            app.state.keys().unwrap().active_kid(),
            new,
            "the new key signs"
        );
    }
);

/// The consent POST, as Erika's browser sends it after logging in.
mod consent {
    use super::*;
    use axum::routing::post;
    use base64::Engine;
    use buergerportal::auth::{Person, SignedIn, SIGNED_IN};
    use buergerportal::keys::Vertrauensniveau;
    use std::sync::{Arc, Mutex};
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::SessionStore;

    const GEWERBE: &str = "99050012104000"; // online at substantiell
    const KIEL: &str = "kiel.localhost";
    const KIEL_ARS: &str = "010020000000";
    const FORMS: &str = "http://formulare.test:4000";
    const CSRF: &str = "csrf-token-of-this-session-0123456789";

    fn person() -> Person {
        Person {
            name: "Erika Mustermann".into(),
            given_name: "Erika".into(),
            family_name: "Mustermann".into(),
            email: "erika@example.org".into(),
            street_address: "Heidestraße 17".into(),
            postal_code: "24103".into(),
            locality: "Kiel".into(),
        }
    }

    /// A portal with a Servicekonto configured (never contacted here) and the
    /// reference provider under `FORMS` with the given delivery style.
    async fn portal(backend: common::Backend, uebergabe: &str, extra: &str) -> TestApp {
        let file = std::env::temp_dir().join(format!(
            "bp-consent-{}-{backend:?}-{uebergabe}.toml",
            std::process::id()
        ));
        std::fs::write(
            &file,
            format!(
                "[[anbieter]]\nid = \"referenz\"\nname = \"Referenz-Formulardienst\"\n\
                 katalog_praefix = \"http://formulare.localhost:3001/\"\nbasis_url = \"{FORMS}/\"\n\
                 audience = \"urn:formulardienst:referenz\"\nuebergabe = \"{uebergabe}\"\n{extra}\
                 zugang_sha256 = \"{}\"\n",
                sha256(CREDENTIAL_A)
            ),
        )
        .unwrap();
        TestApp::spawn_with(backend, |c| {
            c.form_providers_file = Some(file);
            c.oidc.issuer = Some("http://127.0.0.1:9/servicekonto".into());
            c.oidc.client_secret = Some("geheim".into());
        })
        .await
    }

    /// A session as the login leaves it: Erika at substantiell. Returns the cookie.
    async fn logged_in(app: &TestApp) -> String {
        let store = app.state.store();
        let now = buergerportal::clock::now_unix();
        let citizen_id =
            buergerportal::auth::account::upsert_citizen(store, "iss", "sub-erika", now)
                .await
                .unwrap();
        let signed_in = SignedIn {
            citizen_id,
            subject: "sub-erika".into(),
            name: "Erika Mustermann".into(),
            person: person(),
            level: Vertrauensniveau::Substantiell,
            id_token: String::new(),
            login_at: now,
            csrf: CSRF.into(),
        };
        let mut record = Record {
            id: Id::default(),
            data: [(
                SIGNED_IN.to_string(),
                serde_json::to_value(signed_in).unwrap(),
            )]
            .into(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
        };
        buergerportal::auth::DbSessionStore(store.clone())
            .create(&mut record)
            .await
            .unwrap();
        format!("bp_session={}", record.id)
    }

    async fn consent(app: &TestApp, cookie: &str, einwilligung: bool) -> reqwest::Response {
        let mut form = vec![("csrf", CSRF), ("gemeinde", KIEL_ARS)];
        if einwilligung {
            form.push(("einwilligung", "ja"));
        }
        app.post_form(
            KIEL,
            &format!("/leistungen/{GEWERBE}/beantragen"),
            cookie,
            &form,
        )
        .await
    }

    /// The value of the attribute `name` in the first tag that contains `marker`.
    fn attribute(html: &str, marker: &str, name: &str) -> String {
        let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
        let start = html[..at].rfind('<').unwrap();
        let tag = &html[start..start + html[start..].find('>').unwrap()];
        let value = tag
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + name.len()
            + 2;
        tag[value..value + tag[value..].find('"').unwrap()].to_string()
    }

    fn claims_of(token: &str) -> Value {
        let payload = token.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    async fn form_post(backend: common::Backend) {
        let app = portal(backend, "formular", "").await;
        let cookie = logged_in(&app).await;
        let res = consent(&app, &cookie, true).await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers().get("location").is_none(), "no redirect");
        let header = |name: &str| res.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("cache-control"), "private, no-store");
        let csp = header("content-security-policy");
        let form_action = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("form-action"))
            .unwrap()
            .to_string();
        assert!(
            form_action.split(' ').any(|source| source == FORMS),
            "the CSP lets the form post to the provider: {form_action}"
        );
        let html = res.text().await.unwrap();

        let form_url = format!("{FORMS}/antrag/{GEWERBE}");
        assert_eq!(attribute(&html, "data-auto-submit", "action"), form_url);
        assert_eq!(attribute(&html, "data-auto-submit", "method"), "post");
        assert_eq!(attribute(&html, "name=\"token\"", "type"), "hidden");
        let token = attribute(&html, "name=\"token\"", "value");
        assert_eq!(token.split('.').count(), 3, "a compact JWS");
        assert!(!html.contains("token="), "the token is in no URL");
        assert!(
            !html.contains("style="),
            "no inline style (CSP style-src 'self')"
        );
        assert!(html.contains(">Weiter zum Antrag</button>"));
        assert!(
            html.contains("Ihr Antrag öffnet sich beim Formulardienst „Referenz-Formulardienst“.")
        );
        assert!(
            html.contains("Landeshauptstadt Kiel"),
            "in the tenant's layout"
        );

        let claims = claims_of(&token);
        assert_eq!(claims["aud"], "urn:formulardienst:referenz");
        assert_eq!(claims["leika"], GEWERBE);
        assert_eq!(claims["einwilligung"], true);
        assert_eq!(claims["person"]["family_name"], "Mustermann");
        assert_eq!(
            claims["person"]["address"]["street_address"],
            "Heidestraße 17"
        );

        // The optional script that submits the form is self-hosted and served.
        let script = attribute(&html, "/assets/js/uebergabe", "src");
        let res = app.get(KIEL, &script).await;
        assert_eq!(res.status().as_u16(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert!(res.text().await.unwrap().contains("form.submit()"));

        // Declined: the page is the same, the token has no person.
        let res = consent(&app, &cookie, false).await;
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.unwrap();
        let claims = claims_of(&attribute(&html, "name=\"token\"", "value"));
        assert_eq!(claims["einwilligung"], false);
        assert!(claims.get("person").is_none());
    }

    #[tokio::test]
    async fn form_post_sqlite() {
        form_post(common::Backend::Sqlite).await
    }

    #[tokio::test]
    async fn form_post_postgres() {
        form_post(common::Backend::Postgres).await
    }

    /// A stand-in for the provider's Zwischenspeicher that records what it gets.
    async fn zwischenspeicher() -> (String, Arc<Mutex<Vec<String>>>) {
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let router = axum::Router::new().route(
            "/api/prefill",
            post(move |body: String| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(body);
                    (
                        axum::http::StatusCode::CREATED,
                        [("content-type", "application/json")],
                        r#"{"cache_id": "einmal-123"}"#,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/prefill", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (url, received)
    }

    async fn cache_id_only(backend: common::Backend) {
        let (url, received) = zwischenspeicher().await;
        let app = portal(
            backend,
            "zwischenspeicher",
            &format!("zwischenspeicher_url = \"{url}\"\n"),
        )
        .await;
        let cookie = logged_in(&app).await;
        let res = consent(&app, &cookie, true).await;
        assert_eq!(res.status().as_u16(), 303);
        let location = res.headers()["location"].to_str().unwrap();
        assert_eq!(
            location,
            format!("{FORMS}/antrag/{GEWERBE}?cache=einmal-123"),
            "the URL carries the one-time id and nothing else"
        );
        let posted = received.lock().unwrap().clone();
        assert_eq!(posted.len(), 1);
        let body: Value = serde_json::from_str(&posted[0]).unwrap();
        let claims = claims_of(body["token"].as_str().unwrap());
        assert_eq!(
            claims["person"]["family_name"], "Mustermann",
            "server to server"
        );
    }

    #[tokio::test]
    async fn zwischenspeicher_sqlite() {
        cache_id_only(common::Backend::Sqlite).await
    }

    #[tokio::test]
    async fn zwischenspeicher_postgres() {
        cache_id_only(common::Backend::Postgres).await
    }
}
