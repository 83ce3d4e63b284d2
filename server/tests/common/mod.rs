//! One harness for every integration test: the real app on port 0, against a
//! fresh database (SQLite file or PostgreSQL database) that already holds the
//! migrated schema, the demo tenants and the bundled catalogue.
//!
//! Importing the real catalogue takes seconds, so it happens once per test
//! binary into a template; each test gets a copy (a file copy for SQLite,
//! `CREATE DATABASE … TEMPLATE` for PostgreSQL).
#![allow(dead_code)]

use buergerportal::config::Config;
use buergerportal::http::AppState;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The public source data: `SOURCES_DIR`, or the shared folder beside the checkout.
pub fn sources_dir() -> PathBuf {
    buergerportal::catalogue::sources::sources_dir_for_tests()
}

/// A writable copy of everything an import reads, for tests that break a file.
pub fn import_copy() -> (tempfile::TempDir, buergerportal::catalogue::ImportPaths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = buergerportal::catalogue::ImportPaths {
        sources_dir: dir.path().join("sources"),
        catalogue_dir: dir.path().join("catalogue"),
    };
    copy_dir(&sources_dir(), &paths.sources_dir);
    copy_dir(&repo("catalogue"), &paths.catalogue_dir);
    (dir, paths)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            // The shared folder is read-only; the copy is for breaking.
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

/// Seals the test databases' signing keys (base64 of 32 bytes; tests only).
pub const TEST_SEALING_KEY: &str = "dGVzdC1zZWFsaW5nLWtleS0xMjM0NTY3ODkwMTIzNDU=";

pub fn config(database_url: String) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        metrics_bind: None,
        login_host: None,
        link_check_hours: 0,
        link_check_internal: false,
        database_url: Some(database_url),
        data_dir: std::env::temp_dir(),
        tenants_dir: repo("tenants"),
        sources_dir: sources_dir(),
        catalogue_dir: repo("catalogue"),
        assets_dir: repo("assets"),
        trust_forwarded_host: false,
        demo: false,
        limits: buergerportal::config::Limits::default(),
        public_https: false,
        oidc: buergerportal::config::OidcSettings::none(),
        editor_oidc: Default::default(),
        operator_hosts: vec!["betrieb.localhost".into()],
        session_idle_minutes: 30,
        session_max_minutes: 720,
        form_providers_file: None,
        signing_key_encryption_key: Some(TEST_SEALING_KEY.into()),
        signing_key_encryption_key_file: None,
        handoff_issuer: "http://buergerportal.localhost".into(),
    }
}

fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn postgres_url(db: &str) -> String {
    let admin = postgres_admin_url();
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    format!("{base}/{db}")
}

static SCRATCH: OnceLock<tempfile::TempDir> = OnceLock::new();
static SQLITE_TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
static POSTGRES_TEMPLATE: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn scratch() -> &'static Path {
    SCRATCH
        .get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

/// Runs async set-up on its own runtime, so the result outlives any one test's runtime.
fn block_on<F: std::future::Future<Output = T> + Send + 'static, T: Send + 'static>(f: F) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .expect("set-up thread")
}

fn prepared(url: String) {
    block_on(async move {
        let (store, _, catalogue) = buergerportal::prepare(&config(url))
            .await
            .expect("prepare template");
        assert!(catalogue.version > 0, "template has a catalogue");
        store.close().await;
    })
}

fn sqlite_template() -> &'static PathBuf {
    SQLITE_TEMPLATE.get_or_init(|| {
        let path = scratch().join("template.db");
        prepared(format!("sqlite://{}?mode=rwc", path.display()));
        path
    })
}

fn postgres_template() -> &'static str {
    POSTGRES_TEMPLATE.get_or_init(|| {
        let name = format!("bp_tmpl_{}", std::process::id());
        let admin = postgres_admin_url();
        let n = name.clone();
        block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin)
                .await
                .expect("PostgreSQL on 127.0.0.1:5432 (see README)");
            // Databases left by earlier, interrupted runs.
            let old =
                sqlx::query("SELECT datname::text FROM pg_database WHERE datname LIKE 'bp\\_t%'")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            // Only those of test processes that are gone: others may run beside us.
            for row in old {
                let db: String = sqlx::Row::get(&row, 0);
                if owner_alive(&db) {
                    continue;
                }
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                    .execute(&pool)
                    .await;
            }
            sqlx::query(&format!("CREATE DATABASE \"{n}\""))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
        prepared(postgres_url(&name));
        name
    })
}

/// Whether the test process that made a database (`bp_tmpl_<pid>`, `bp_t_<pid>_<n>`) still runs.
fn owner_alive(db: &str) -> bool {
    let pid = db
        .trim_start_matches("bp_tmpl_")
        .trim_start_matches("bp_t_")
        .split('_')
        .next()
        .unwrap_or("");
    !pid.is_empty() && Path::new("/proc").join(pid).exists()
}

/// A fresh database of the given backend, already prepared.
pub fn fresh_database(backend: Backend) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    match backend {
        Backend::Sqlite => {
            let path = scratch().join(format!("test-{n}.db"));
            std::fs::copy(sqlite_template(), &path).expect("copy template");
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let template = postgres_template().to_string();
            let name = format!("bp_t_{}_{n}", std::process::id());
            let admin = postgres_admin_url();
            let db = name.clone();
            block_on(async move {
                let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE \"{db}\" TEMPLATE \"{template}\""))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            });
            postgres_url(&name)
        }
    }
}

/// An empty PostgreSQL database (dropped with the others of this process's
/// runs once the process is gone), for tests of start-up itself.
pub fn empty_postgres_database() -> String {
    // The template's set-up also clears databases of earlier, dead runs.
    postgres_template();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("bp_t_{}_{n}", std::process::id());
    let admin = postgres_admin_url();
    let db = name.clone();
    block_on(async move {
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE \"{db}\""))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    postgres_url(&name)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub config: Config,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = config(fresh_database(backend));
        adjust(&mut config);
        let (state, router) = buergerportal::http::app(&config).await.expect("app starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = config.limits.clone();
        tokio::spawn(async move {
            buergerportal::http::edge::serve(listener, router, &limits, std::future::pending())
                .await
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr,
            state,
            config,
            client,
        }
    }

    /// GET with the given Host header, as a browser on that host would send it.
    pub async fn get(&self, host: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("http://{}{}", self.addr, path))
            .header("host", host)
            .send()
            .await
            .expect("request")
    }

    pub async fn page(&self, host: &str, path: &str) -> (u16, String) {
        let res = self.get(host, path).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }
}

/// Declares one test per backend: `backend_test!(name, |app| async move { … })`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let app = common::TestApp::spawn(common::Backend::Sqlite).await;
                ($body)(app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let app = common::TestApp::spawn(common::Backend::Postgres).await;
                ($body)(app).await;
            }
        }
    };
}

/// A signed-in back-office user: the cookie of a session as the login leaves
/// it (editors: `bp_redaktion` with key `editor`; operators: `bp_betrieb`
/// with key `operator`), and its CSRF token.
pub struct BackOffice {
    pub id: String,
    pub cookie: String,
    pub csrf: String,
}

pub async fn back_office_session(
    app: &TestApp,
    cookie: &str,
    key: &str,
    subject: &str,
) -> BackOffice {
    use tower_sessions::session::{Id, Record};
    use tower_sessions::SessionStore;
    let store = app.state.store();
    let now = buergerportal::clock::now_unix();
    let id = buergerportal::editor::upsert_editor(
        store,
        "https://idp.example",
        subject,
        subject,
        "",
        now,
    )
    .await
    .unwrap();
    let csrf = format!("csrf-{subject}-0123456789abcdef");
    let mut record = Record {
        id: Id::default(),
        data: std::collections::HashMap::from([(
            key.to_string(),
            serde_json::json!({
                "editor_id": id, "name": subject, "csrf": csrf, "id_token": "", "login_at": now,
            }),
        )]),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(30),
    };
    buergerportal::auth::DbSessionStore(store.clone())
        .create(&mut record)
        .await
        .unwrap();
    BackOffice {
        id,
        cookie: format!("{cookie}={}", record.id),
        csrf,
    }
}

impl TestApp {
    /// GET with a cookie; (status, body, Location).
    pub async fn get_as(
        &self,
        host: &str,
        path: &str,
        cookie: &str,
    ) -> (u16, String, Option<String>) {
        let res = self
            .client
            .get(format!("http://{}{path}", self.addr))
            .header("host", host)
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, res.text().await.unwrap(), location)
    }

    /// POST a form with a cookie, as a browser on that host sends it.
    pub async fn post_form(
        &self,
        host: &str,
        path: &str,
        cookie: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!("http://{}{path}", self.addr))
            .header("host", host)
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// POST a form with the session's CSRF token; (status, body, Location).
    pub async fn post_as(
        &self,
        host: &str,
        path: &str,
        who: &BackOffice,
        fields: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut all = vec![("csrf", who.csrf.as_str())];
        all.extend_from_slice(fields);
        let res = self.post_form(host, path, &who.cookie, &all).await;
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (status, res.text().await.unwrap(), location)
    }
}
