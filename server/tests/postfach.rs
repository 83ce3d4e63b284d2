//! The Postfach delivery API and the owner checks, on both backends.
mod common;
use base64::Engine;
use buergerportal::postfach;
use common::TestApp;
use serde_json::{json, Value};

const HOST: &str = "kiel.localhost";
const ISSUER: &str = "https://servicekonto.example";

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

struct Fixture {
    credential: String,
    erika: String,
    max: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let store = app.state.store();
    let (_, credential) =
        postfach::add_sender(store, "Stadt Kiel, Bürgeramt", &["01002".into()], None, 1)
            .await
            .unwrap();
    let erika = buergerportal::auth::account::upsert_citizen(store, ISSUER, "sub-erika", 1)
        .await
        .unwrap();
    let max = buergerportal::auth::account::upsert_citizen(store, ISSUER, "sub-max", 1)
        .await
        .unwrap();
    // Erika lives in Kiel, Max in Hütten (Amt Hüttener Berge).
    buergerportal::auth::account::set_home(store, &erika, Some("010020000000"))
        .await
        .unwrap();
    buergerportal::auth::account::set_home(store, &max, Some("010585890054"))
        .await
        .unwrap();
    Fixture {
        credential,
        erika,
        max,
    }
}

fn message(subject: &str, id: &str, attachments: Value) -> Value {
    json!({
        "recipient": { "subject": subject, "issuer": ISSUER },
        "sender_message_id": id,
        "subject": "Ihr Bescheid zur Hundesteuer",
        "body": "Guten Tag,\n\nanbei Ihr Bescheid.",
        "attachments": attachments,
    })
}

async fn post(app: &TestApp, credential: Option<&str>, body: String) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("http://{}/api/v1/postfach/messages", app.addr))
        .header("host", HOST)
        .header("content-type", "application/json")
        .body(body);
    if let Some(c) = credential {
        req = req.header("authorization", format!("Bearer {c}"));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn stored(app: &TestApp) -> (i64, i64) {
    let count = |table: &'static str| async move {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(app.state.store().pool())
            .await
            .unwrap();
        buergerportal::store::int(&row, "n").unwrap().unwrap()
    };
    (
        count("postfach_messages").await,
        count("postfach_attachments").await,
    )
}

backend_test!(
    delivery_is_idempotent_and_reaches_only_its_recipient,
    |app: TestApp| async move {
        let f = fixture(&app).await;
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
        let body = message(
            "sub-erika",
            "bescheid-1",
            json!([{ "filename": "Bescheid.pdf", "content_type": "application/pdf", "content_base64": b64(pdf) }]),
        )
        .to_string();
        let (status, first) = post(&app, Some(&f.credential), body.clone()).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["created"], true);
        let (status, again) = post(&app, Some(&f.credential), body).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["id"], first["id"], "a retry names the same message");
        assert_eq!(stored(&app).await, (1, 1));

        let id = first["id"].as_str().unwrap();
        let store = app.state.store();
        let mine = postfach::get(store, &f.erika, id).await.unwrap().unwrap();
        assert_eq!(mine.sender, "Stadt Kiel, Bürgeramt");
        let att = &mine.attachments[0];
        let file = postfach::attachment(store, &f.erika, id, &att.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.data, pdf);
        assert_eq!(postfach::unread_count(store, &f.erika).await.unwrap(), 1);
        // Max knows neither the message nor the file, even with both ids in hand.
        assert!(postfach::get(store, &f.max, id).await.unwrap().is_none());
        assert!(postfach::attachment(store, &f.max, id, &att.id)
            .await
            .unwrap()
            .is_none());
        assert!(postfach::list(store, &f.max, false)
            .await
            .unwrap()
            .is_empty());
        for action in [postfach::Action::Archive, postfach::Action::Delete] {
            assert!(!postfach::apply(store, &f.max, id, action, 2).await.unwrap());
        }
        assert!(postfach::get(store, &f.erika, id).await.unwrap().is_some());
    }
);

backend_test!(
    delivery_refuses_bad_requests_and_stores_nothing,
    |app: TestApp| async move {
        let f = fixture(&app).await;
        let ok = message("sub-erika", "m-1", json!([])).to_string();
        let png_as_pdf = message(
            "sub-erika",
            "m-2",
            json!([{ "filename": "a.pdf", "content_type": "application/pdf", "content_base64": b64(b"\x89PNG\r\n\x1a\n....") }]),
        );
        let html = message(
            "sub-erika",
            "m-3",
            json!([{ "filename": "a.html", "content_type": "text/html", "content_base64": b64(b"<script>") }]),
        );
        let mut big = b"%PDF-".to_vec();
        big.resize(6 * 1024 * 1024, b'0');
        let too_big = message(
            "sub-erika",
            "m-4",
            json!([{ "filename": "gross.pdf", "content_type": "application/pdf", "content_base64": b64(&big) }]),
        );
        let cases: Vec<(Option<&str>, String, u16)> = vec![
            (None, ok.clone(), 401),
            (Some("bps_wrong-credential-0123456789"), ok.clone(), 401),
            (
                Some(&f.credential),
                message("sub-unknown", "m-5", json!([])).to_string(),
                422,
            ),
            (Some(&f.credential), png_as_pdf.to_string(), 415),
            (Some(&f.credential), html.to_string(), 415),
            (Some(&f.credential), too_big.to_string(), 413),
            (Some(&f.credential), "{\"recipient\":".into(), 400),
            (
                Some(&f.credential),
                message("sub-erika", " ", json!([])).to_string(),
                400,
            ),
            (
                Some(&f.credential),
                "x".repeat(postfach::MAX_REQUEST_BYTES + 10),
                413,
            ),
        ];
        for (credential, body, expected) in cases {
            let (status, problem) = post(&app, credential, body).await;
            assert_eq!(status, expected, "{problem}");
            assert!(
                problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "a clear error: {problem}"
            );
        }
        assert_eq!(stored(&app).await, (0, 0), "nothing stored");
        assert_eq!(post(&app, Some(&f.credential), ok).await.0, 201);
    }
);

backend_test!(
    anonymous_visitors_get_no_cookie_and_own_pages_need_login,
    |app: TestApp| async move {
        for path in ["/", "/suche?q=hund", "/lebenslagen", "/a-z"] {
            let res = app.get(HOST, path).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(
                res.headers().get("set-cookie").is_none(),
                "{path} sets no cookie"
            );
        }
        // Without a Servicekonto configured there is no login, and nothing to see.
        let res = app.get(HOST, "/mein-bereich").await;
        assert!(
            res.status() == 303 || res.status() == 404,
            "{}",
            res.status()
        );
        assert_eq!(app.get(HOST, "/anmelden").await.status(), 404);
    }
);
