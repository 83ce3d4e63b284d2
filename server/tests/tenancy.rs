//! The host chooses the tenant: known hosts, unknown hosts, ports, case, proxies.
mod common;
use common::{Backend, TestApp};

backend_test!(
    known_hosts_get_their_own_portal,
    |app: TestApp| async move {
        let (status, kiel) = app.page("kiel.localhost", "/").await;
        assert_eq!(status, 200);
        assert!(kiel.contains("Kiel"));
        let (status, husum) = app.page("husum.localhost", "/").await;
        assert_eq!(status, 200);
        assert!(husum.contains("Husum") && !husum.contains("Landeshauptstadt Kiel"));
    }
);

backend_test!(port_and_case_are_ignored, |app: TestApp| async move {
    for host in [
        "KIEL.localhost",
        "kiel.LOCALHOST:3000",
        "kiel.localhost.",
        "Kiel.Localhost:8080",
    ] {
        let (status, body) = app.page(host, "/").await;
        assert_eq!(status, 200, "{host}");
        assert!(body.contains("Kiel"), "{host}");
    }
});

backend_test!(
    unknown_hosts_get_a_404_that_names_no_tenant,
    |app: TestApp| async move {
        for host in [
            "unknown.localhost",
            "127.0.0.1",
            "kiel.localhost.evil.example",
            "bad host",
        ] {
            let (status, body) = app.page(host, "/").await;
            assert_eq!(status, 404, "{host}");
            for name in ["Kiel", "Husum", "Hüttener", "kiel", "husum"] {
                assert!(!body.contains(name), "{host} reveals {name}");
            }
        }
        // Health checks do not depend on a tenant.
        assert_eq!(app.get("127.0.0.1", "/healthz").await.status(), 200);
        assert_eq!(app.get("127.0.0.1", "/readyz").await.status(), 200);
    }
);

#[tokio::test]
async fn forwarded_host_is_trusted_only_when_configured() {
    let plain = TestApp::spawn(Backend::Sqlite).await;
    let res = plain
        .client
        .get(format!("http://{}/", plain.addr))
        .header("host", "unknown.localhost")
        .header("x-forwarded-host", "kiel.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let proxied = TestApp::spawn_with(Backend::Sqlite, |c| c.trust_forwarded_host = true).await;
    let res = proxied
        .client
        .get(format!("http://{}/", proxied.addr))
        .header("host", "internal:8080")
        .header("x-forwarded-host", "husum.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Husum"));
}
