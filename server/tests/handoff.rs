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
             audience = \"urn:{id}\"\nuebergabe = \"url\"\nzugang_sha256 = \"{}\"\n\n",
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
