//! A fake portal (JWKS and return channel, recording what it receives) and the
//! form service wired to it, both on port 0.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use formulardienst::config::Config;
use formulardienst::Service;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ISSUER: &str = "http://portal.test";
pub const AUDIENCE: &str = "urn:formulardienst:test";
pub const CREDENTIAL: &str = "test-zugang";
pub const INSPECTION: &str = "test-einsicht";
pub const LEIKA: &str = "99050012104000";

pub fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub struct SigningKey {
    pub kid: String,
    pair: Ed25519KeyPair,
}

impl SigningKey {
    pub fn generate(kid: &str) -> SigningKey {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        SigningKey {
            kid: kid.into(),
            pair: Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap(),
        }
    }

    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP", "crv": "Ed25519", "x": b64(self.pair.public_key().as_ref()),
            "kid": self.kid, "alg": "EdDSA", "use": "sig"
        })
    }

    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{input}.{}", b64(self.pair.sign(input.as_bytes()).as_ref()))
    }

    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": self.kid});
        self.sign_with_header(&header, claims)
    }
}

/// One request to the return channel, as the fake portal saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
pub struct FakePortal {
    pub jwks: Mutex<Vec<Value>>,
    pub requests: Mutex<Vec<Recorded>>,
    pub fail: AtomicBool,
}

impl FakePortal {
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
}

async fn jwks(State(portal): State<Arc<FakePortal>>) -> Json<Value> {
    Json(json!({ "keys": portal.jwks.lock().unwrap().clone() }))
}

async fn return_channel(
    State(portal): State<Arc<FakePortal>>,
    Path((vorgang, what)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    portal.requests.lock().unwrap().push(Recorded {
        path: format!("/api/v1/antraege/{vorgang}/{what}"),
        authorization: headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string()),
        body,
    });
    if portal.fail.load(Ordering::SeqCst) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "kaputt"})),
        );
    }
    match what.as_str() {
        "nachrichten" => (StatusCode::CREATED, Json(json!({"id": "m1"}))),
        _ => (StatusCode::OK, Json(json!({}))),
    }
}

async fn listen(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// The form service on port 0, stoppable like the real one (graceful shutdown).
struct Running {
    base: String,
    service: Arc<Service>,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<()>,
}

async fn run_service(config: Config) -> Running {
    let service = Arc::new(Service::open(config).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = formulardienst::router(service.clone());
    let served = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap()
    });
    Running {
        base: format!("http://{address}"),
        service,
        stop,
        served,
    }
}

pub struct Harness {
    pub base: String,
    pub service: Arc<Service>,
    pub portal: Arc<FakePortal>,
    pub key: SigningKey,
    pub client: reqwest::Client,
    pub config: Config,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<()>>,
    _data: tempfile::TempDir,
}

pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    /// Starts with a fresh data folder, inspection on, and `adjust` applied to the config.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Harness {
        let data = tempfile::tempdir().unwrap();
        let key = SigningKey::generate("schluessel-1");
        let portal = Arc::new(FakePortal::default());
        portal.jwks.lock().unwrap().push(key.jwk());
        let portal_url = listen(
            Router::new()
                .route("/.well-known/jwks.json", get(jwks))
                .route("/api/v1/antraege/{vorgang}/{what}", post(return_channel))
                .with_state(portal.clone()),
        )
        .await;
        let mut config = Config {
            audience: AUDIENCE.into(),
            issuer: ISSUER.into(),
            jwks_url: format!("{portal_url}/.well-known/jwks.json")
                .parse()
                .unwrap(),
            portal_api_url: portal_url.parse().unwrap(),
            return_credential: CREDENTIAL.into(),
            jwks_refetch_interval: Duration::ZERO,
            data_dir: data.path().join("formulardienst"),
            inspection_credential: Some(INSPECTION.into()),
            ..Config::default()
        };
        adjust(&mut config);
        let running = run_service(config.clone()).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Harness {
            base: running.base,
            service: running.service,
            portal,
            key,
            client,
            config,
            stop: Some(running.stop),
            served: Some(running.served),
            _data: data,
        }
    }

    /// Stops the service as SIGTERM would, closes its database and starts it
    /// again on the same data folder (memory is gone, the store is not).
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.unwrap();
        }
        self.service.close().await;
        let running = run_service(self.config.clone()).await;
        self.base = running.base;
        self.service = running.service;
        self.stop = Some(running.stop);
        self.served = Some(running.served);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Page {
        page_of(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// The portal's way: the token in a form POST body.
    pub async fn arrive(&self, token: &str) -> Page {
        self.arrive_at(LEIKA, token).await
    }

    pub async fn arrive_at(&self, leika: &str, token: &str) -> Page {
        let response = self
            .client
            .post(self.url(&format!("/antrag/{leika}")))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        page_of(response).await
    }

    /// `GET /api/uebergaben/{vorgang}` with the given bearer credential (if any).
    pub async fn inspect(&self, vorgang: &str, credential: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .get(self.url(&format!("/api/uebergaben/{vorgang}")));
        if let Some(c) = credential {
            request = request.bearer_auth(c);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn submit(&self, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(self.url(&format!("/antrag/{LEIKA}/absenden")))
            .form(fields)
            .send()
            .await
            .unwrap();
        page_of(response).await
    }

    pub async fn prefill(&self, token: &str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/api/prefill"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

pub async fn page_of(response: reqwest::Response) -> Page {
    Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        html: response.text().await.unwrap(),
    }
}

pub fn now() -> i64 {
    formulardienst::now()
}

/// Claims as the portal sends them, with consent and a person.
pub fn claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
        "jti": formulardienst::memory::random_id(),
        "vorgang": "BP-4711", "leika": LEIKA, "leistung": "Gewerbeanmeldung",
        "ars": "010020000000", "gemeinde": "Kiel, Landeshauptstadt",
        "behoerde": "Gewerbeamt Kiel", "mandant": "kiel",
        "rueckkehr_url": "http://kiel.portal.test/mein-bereich/antraege",
        "einwilligung": true,
        "person": {
            "name": "Erika Mustermann", "given_name": "Erika", "family_name": "Mustermann",
            "email": "erika@example.org",
            "address": {"street_address": "Heidestraße 17", "postal_code": "24103", "locality": "Kiel"}
        }
    })
}

/// The claims after declining consent: no person.
pub fn claims_without_consent() -> Value {
    let mut c = claims();
    c["einwilligung"] = false.into();
    c.as_object_mut().unwrap().remove("person");
    c
}

/// The `value` of the input named `name` (or the content of the textarea).
pub fn field_value(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[start..];
    let tag_end = rest.find('>').unwrap();
    if name == "anliegen" {
        return rest[tag_end + 1..rest.find("</textarea>").unwrap()].to_string();
    }
    let tag = &rest[..tag_end];
    let value = tag.find("value=\"").expect("a value") + 7;
    tag[value..value + tag[value..].find('"').unwrap()].to_string()
}
