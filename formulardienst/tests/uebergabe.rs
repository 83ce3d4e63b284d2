//! The hand-off end to end over HTTP: a fake portal serves the JWKS and
//! records the return channel; tokens are signed here as the portal would.

mod support;

use base64::Engine;
use serde_json::{json, Value};
use support::*;

const PREFILLED: &str = "aus dem Servicekonto übernommen";

fn assert_no_form(page: &Page) {
    assert!(!page.html.contains("<form"), "no form on a refusal");
    assert!(
        !page.html.contains("Mustermann"),
        "no personal data on a refusal"
    );
}

fn complete_fields(id: &str) -> Vec<(&str, &str)> {
    vec![
        ("uebergabe", id),
        ("vorname", "Erika"),
        ("nachname", "Mustermann"),
        ("strasse", "Heidestraße 17"),
        ("plz", "24103"),
        ("ort", "Kiel"),
        ("email", "erika@example.org"),
        ("anliegen", "Anmeldung eines Fahrradhandels."),
    ]
}

#[tokio::test]
async fn a_valid_token_shows_the_prefilled_form_and_records_the_hand_off() {
    let h = Harness::start().await;
    let claims = claims();
    let page = h.arrive(&h.key.sign(&claims)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    for (field, value) in [
        ("vorname", "Erika"),
        ("nachname", "Mustermann"),
        ("strasse", "Heidestraße 17"),
        ("plz", "24103"),
        ("ort", "Kiel"),
        ("email", "erika@example.org"),
        ("anliegen", ""),
    ] {
        assert_eq!(field_value(&page.html, field), value, "{field}");
    }
    assert_eq!(
        page.html.matches(PREFILLED).count(),
        6 + 1,
        "six fields and the note"
    );
    for shown in [
        "Gewerbeanmeldung",
        LEIKA,
        "Kiel, Landeshauptstadt",
        "010020000000",
        "Gewerbeamt Kiel",
        "BP-4711",
    ] {
        assert!(page.html.contains(shown), "shows {shown}");
    }
    let submission = field_value(&page.html, "uebergabe");
    assert_eq!(submission.len(), 22, "a random id");
    assert!(!page
        .html
        .contains(&claims["jti"].as_str().unwrap().to_string()));

    let (status, received) = h.inspect("BP-4711", Some(INSPECTION)).await;
    assert_eq!(status, 200);
    assert_eq!(received, claims, "exactly the claims received");
}

#[tokio::test]
async fn pages_are_protected_by_headers_and_styled_by_the_service_itself() {
    let h = Harness::start().await;
    let page = h.arrive(&h.key.sign(&claims())).await;
    let header = |name: &str| {
        page.headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    assert!(header("content-security-policy").starts_with("default-src 'self'"));
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("cache-control"), "no-store");
    assert!(page.html.contains("<html lang=\"de\">"));
    assert_eq!(page.html.matches("<h1>").count(), 1);
    assert!(!page.html.contains("<script") && !page.html.contains("style="));

    let css = h.get("/style.css").await;
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(h.get("/healthz").await.html, "ok");
    assert_eq!(h.get("/unbekannt").await.status, 404);
}

#[tokio::test]
async fn a_token_works_once() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims());
    assert_eq!(h.arrive(&token).await.status, 200);
    let again = h.arrive(&token).await;
    assert_eq!(again.status, 410);
    assert!(again.html.contains("Weiterleitung bereits verwendet"));
    assert!(again.html.contains("bereits_verwendet"));
    assert_no_form(&again);
}

#[tokio::test]
async fn a_replayed_token_is_still_refused_after_a_restart() {
    let mut h = Harness::start().await;
    let claims = claims();
    let token = h.key.sign(&claims);
    assert_eq!(h.arrive(&token).await.status, 200);
    h.restart().await;
    assert!(h
        .service
        .store()
        .jti_used(claims["jti"].as_str().unwrap())
        .await
        .unwrap());
    let again = h.arrive(&token).await;
    assert_eq!(again.status, 410, "{}", again.html);
    assert!(again.html.contains("bereits_verwendet"));
    assert_no_form(&again);
    assert_eq!(
        h.arrive(&h.key.sign(&claims_without_consent()))
            .await
            .status,
        200,
        "a fresh token still works after the restart"
    );
}

#[tokio::test]
async fn a_token_in_the_url_is_refused_without_being_read() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims());
    for path in [
        format!("/antrag/{LEIKA}?token={token}"),
        format!("/antrag/{LEIKA}?token="),
        format!("/antrag/{LEIKA}?cache=x&token={token}"),
    ] {
        let page = h.get(&path).await;
        assert_eq!(page.status, 400, "{path}");
        assert!(page.html.contains("Übergabe im Link nicht möglich"));
        assert!(page.html.contains("token_in_adresse"));
        assert!(!page.html.contains(&token), "the token is not echoed");
        assert_no_form(&page);
    }
    assert_eq!(
        h.arrive(&token).await.status,
        200,
        "the token was not used up by the refused GET"
    );
}

#[tokio::test]
async fn the_token_post_must_be_a_small_form() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims());
    let as_json = h
        .client
        .post(h.url(&format!("/antrag/{LEIKA}")))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    let page = page_of(as_json).await;
    assert_eq!(page.status, 400);
    assert!(page.html.contains("token_unlesbar"));
    assert_no_form(&page);

    let huge = "a".repeat(formulardienst::MAX_HANDOFF_BODY + 1);
    let page = h.arrive(&huge).await;
    assert_eq!(page.status, 413);
    assert!(page.html.contains("anfrage_zu_gross"));
    assert_no_form(&page);

    let page = h.arrive("").await;
    assert_eq!(page.status, 400);
    assert!(page.html.contains("kein_token"));
    assert_eq!(h.arrive(&token).await.status, 200, "still unused");
}

#[tokio::test]
async fn the_inspection_endpoint_needs_its_credential() {
    let h = Harness::start().await;
    let claims = claims();
    assert_eq!(h.arrive(&h.key.sign(&claims)).await.status, 200);
    for credential in [None, Some("falsch"), Some("test-einsich"), Some("")] {
        let (status, body) = h.inspect("BP-4711", credential).await;
        assert_eq!(status, 401, "{credential:?}");
        assert!(!body.to_string().contains("Mustermann"));
    }
    let basic = h
        .client
        .get(h.url("/api/uebergaben/BP-4711"))
        .basic_auth("x", Some(INSPECTION))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert_eq!(basic.headers()["www-authenticate"], "Bearer");
    let (status, body) = h.inspect("BP-4711", Some(INSPECTION)).await;
    assert_eq!(status, 200);
    assert_eq!(body, claims);
    assert_eq!(h.inspect("BP-0000", Some(INSPECTION)).await.0, 404);
    // The old, open endpoint is gone: "letzte" is just an unknown Vorgang.
    assert_eq!(h.inspect("letzte", None).await.0, 401);
    assert_eq!(h.inspect("letzte", Some(INSPECTION)).await.0, 404);
}

#[tokio::test]
async fn without_an_inspection_credential_the_endpoint_does_not_exist() {
    let h = Harness::start_with(|c| c.inspection_credential = None).await;
    assert_eq!(h.arrive(&h.key.sign(&claims())).await.status, 200);
    for credential in [None, Some(INSPECTION), Some("")] {
        let (status, body) = h.inspect("BP-4711", credential).await;
        assert_eq!(status, 404, "{credential:?}");
        assert!(!body.to_string().contains("Mustermann"));
    }
    assert!(
        h.service.memory().inspect("BP-4711", now()).is_none(),
        "nothing kept for inspection"
    );
}

#[tokio::test]
async fn an_expired_token_is_gone() {
    let h = Harness::start().await;
    let mut c = claims();
    let past = now() - 400;
    c["iat"] = past.into();
    c["nbf"] = past.into();
    c["exp"] = (past + 300).into();
    let page = h.arrive(&h.key.sign(&c)).await;
    assert_eq!(page.status, 410);
    assert!(page.html.contains("Link abgelaufen"));
    assert_no_form(&page);
}

#[tokio::test]
async fn a_tampered_payload_is_unauthorized() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims_without_consent());
    let mut forged = claims();
    forged["jti"] = "anders".into();
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged.to_string().as_bytes()),
        parts[2]
    );
    let page = h.arrive(&tampered).await;
    assert_eq!(page.status, 401);
    assert!(page.html.contains("signatur_ungueltig"));
    assert_no_form(&page);
}

#[tokio::test]
async fn a_token_for_another_audience_or_from_another_issuer_is_forbidden() {
    let h = Harness::start().await;
    let mut c = claims();
    c["aud"] = "urn:formulardienst:anderer".into();
    let page = h.arrive(&h.key.sign(&c)).await;
    assert_eq!(page.status, 403);
    assert_no_form(&page);

    let mut c = claims();
    c["iss"] = "http://anderes-portal.test".into();
    let page = h.arrive(&h.key.sign(&c)).await;
    assert_eq!(page.status, 403);
    assert_no_form(&page);
}

#[tokio::test]
async fn alg_none_and_other_algorithms_are_unauthorized() {
    let h = Harness::start().await;
    let payload = b64(claims().to_string().as_bytes());
    let none = format!(
        "{}.{payload}.",
        b64(json!({"alg": "none", "typ": "JWT"}).to_string().as_bytes())
    );
    let page = h.arrive(&none).await;
    assert_eq!(page.status, 401);
    assert!(page.html.contains("algorithmus_abgelehnt"));
    assert_no_form(&page);

    let hs256 = h
        .key
        .sign_with_header(&json!({"alg": "HS256", "kid": h.key.kid}), &claims());
    assert_eq!(h.arrive(&hs256).await.status, 401);
}

#[tokio::test]
async fn a_key_not_in_the_jwks_is_unauthorized() {
    let h = Harness::start().await;
    let stranger = SigningKey::generate("fremd");
    let page = h.arrive(&stranger.sign(&claims())).await;
    assert_eq!(page.status, 401);
    assert!(page.html.contains("schluessel_unbekannt"));
    assert_no_form(&page);

    // The right kid, the wrong key: the signature fails.
    let impostor = SigningKey::generate(&h.key.kid);
    assert_eq!(h.arrive(&impostor.sign(&claims())).await.status, 401);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it() {
    let h = Harness::start().await;
    assert_eq!(h.arrive(&h.key.sign(&claims())).await.status, 200);
    let next = SigningKey::generate("schluessel-2");
    h.portal.jwks.lock().unwrap().push(next.jwk());
    assert_eq!(h.arrive(&next.sign(&claims())).await.status, 200);
    assert_eq!(
        h.arrive(&h.key.sign(&claims())).await.status,
        200,
        "the old key still verifies"
    );
}

#[tokio::test]
async fn a_token_for_another_service_is_refused_without_using_it_up() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims());
    let page = h.arrive_at("99000000000000", &token).await;
    assert_eq!(page.status, 400);
    assert!(page.html.contains("leistung_passt_nicht"));
    assert_no_form(&page);
    assert_eq!(h.arrive(&token).await.status, 200);
}

#[tokio::test]
async fn without_a_token_the_citizen_is_sent_to_the_portal() {
    let h = Harness::start().await;
    for page in [
        h.get(&format!("/antrag/{LEIKA}")).await,
        h.get(&format!("/antrag/{LEIKA}?cache=")).await,
        h.arrive("  ").await,
    ] {
        assert_eq!(page.status, 400);
        assert!(page.html.contains("Antrag im Bürgerportal starten"));
        assert_no_form(&page);
    }
    assert_eq!(h.arrive("kein.gueltiges.token").await.status, 400);
}

#[tokio::test]
async fn without_consent_the_form_is_empty() {
    let h = Harness::start().await;
    let page = h.arrive(&h.key.sign(&claims_without_consent())).await;
    assert_eq!(page.status, 200);
    for field in ["vorname", "nachname", "strasse", "plz", "ort", "email"] {
        assert_eq!(field_value(&page.html, field), "", "{field}");
    }
    assert!(!page.html.contains(PREFILLED));
    assert!(page.html.contains("nicht zugestimmt"));

    // The consent flag governs, even if a person came along by mistake.
    let mut c = claims();
    c["einwilligung"] = false.into();
    let page = h.arrive(&h.key.sign(&c)).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("Mustermann"));
}

#[tokio::test]
async fn an_absent_office_says_not_transmitted() {
    let h = Harness::start().await;
    let mut c = claims();
    c.as_object_mut().unwrap().remove("behoerde");
    let page = h.arrive(&h.key.sign(&c)).await;
    assert_eq!(page.status, 200);
    assert!(page
        .html
        .contains("<dt>Zuständige Stelle</dt><dd>nicht übermittelt</dd>"));
}

#[tokio::test]
async fn the_zwischenspeicher_gives_a_cache_id_that_works_once() {
    let h = Harness::start().await;
    let token = h.key.sign(&claims());
    let (status, body) = h.prefill(&token).await;
    assert_eq!(status, 201, "{body}");
    let cache = body["cache_id"].as_str().unwrap().to_string();

    let (status, body) = h.prefill(&token).await;
    assert_eq!(status, 410, "prefilling consumed the token");
    assert!(body["error"].is_string());
    assert_eq!(h.arrive(&token).await.status, 410);

    let wrong = h
        .get(&format!("/antrag/99000000000000?cache={cache}"))
        .await;
    assert_eq!(wrong.status, 400, "another service's page");
    let page = h.get(&format!("/antrag/{LEIKA}?cache={cache}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(field_value(&page.html, "nachname"), "Mustermann");
    let again = h.get(&format!("/antrag/{LEIKA}?cache={cache}")).await;
    assert_eq!(again.status, 410);
    assert_no_form(&again);
    assert_eq!(
        h.get(&format!("/antrag/{LEIKA}?cache=erfunden"))
            .await
            .status,
        410
    );
}

#[tokio::test]
async fn the_zwischenspeicher_refuses_bad_tokens_as_json() {
    let h = Harness::start().await;
    let mut c = claims();
    c["aud"] = "urn:anderer".into();
    let (status, body) = h.prefill(&h.key.sign(&c)).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "empfaenger_falsch");
    let (status, _) = h
        .prefill(&SigningKey::generate("fremd").sign(&claims()))
        .await;
    assert_eq!(status, 401);

    let response = h
        .client
        .post(h.url("/api/prefill"))
        .header("content-type", "application/json")
        .body("{kein json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn submitting_reports_status_and_receipt_to_the_portal() {
    let h = Harness::start().await;
    let page = h.arrive(&h.key.sign(&claims())).await;
    let id = field_value(&page.html, "uebergabe");
    let done = h.submit(&complete_fields(&id)).await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done
        .html
        .contains("Vielen Dank – Ihr Antrag ist eingegangen"));
    assert!(done.html.contains("BP-4711"));
    assert!(done.html.contains(
        "<a href=\"http://kiel.portal.test/mein-bereich/antraege\">Zurück zum Bürgerportal</a>"
    ));

    let requests = h.portal.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert_eq!(r.authorization.as_deref(), Some("Bearer test-zugang"));
    }
    assert_eq!(requests[0].path, "/api/v1/antraege/BP-4711/status");
    assert_eq!(requests[0].body, json!({"status": "eingegangen"}));
    let message = &requests[1];
    assert_eq!(message.path, "/api/v1/antraege/BP-4711/nachrichten");
    assert_eq!(message.body["sender_message_id"], "BP-4711-eingang");
    assert_eq!(
        message.body["subject"],
        "Eingangsbestätigung: Gewerbeanmeldung"
    );
    let body = message.body["body"].as_str().unwrap();
    assert!(
        body.starts_with("Guten Tag Erika Mustermann,\n\n"),
        "{body}"
    );
    assert!(body.contains("BP-4711"));
    let attachment = &message.body["attachments"][0];
    assert_eq!(attachment["filename"], "Eingangsbestaetigung.pdf");
    assert_eq!(attachment["content_type"], "application/pdf");
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(attachment["content_base64"].as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    let received = h.service.store().received().await.unwrap();
    assert_eq!(received.len(), 1);
    assert!(received[0].portal_informiert);
    assert_eq!(
        received[0].eingaben.anliegen,
        "Anmeldung eines Fahrradhandels."
    );

    let twice = h.submit(&complete_fields(&id)).await;
    assert_eq!(twice.status, 410, "a submission id is single use");
    assert_eq!(h.portal.requests().len(), 2);
}

#[tokio::test]
async fn invalid_fields_show_the_form_again_with_what_was_typed() {
    let h = Harness::start().await;
    let page = h.arrive(&h.key.sign(&claims_without_consent())).await;
    let id = field_value(&page.html, "uebergabe");
    let typed = [
        ("uebergabe", id.as_str()),
        ("vorname", "Max <b>"),
        ("nachname", "  "),
        ("strasse", "Holstenstraße 1"),
        ("plz", "2410x"),
        ("ort", ""),
        ("email", ""),
        ("anliegen", "Bitte \"schnell\" & gründlich."),
    ];
    let again = h.submit(&typed).await;
    assert_eq!(again.status, 422);
    assert!(again.html.contains("<title>Fehler: "));
    assert!(again.html.contains("Bitte prüfen Sie Ihre Angaben"));
    assert_eq!(again.html.matches("aria-invalid=\"true\"").count(), 3);
    for message in [
        "Bitte geben Sie Ihren Nachnamen an.",
        "Die Postleitzahl besteht aus fünf Ziffern",
        "Bitte geben Sie Ihren Wohnort an.",
    ] {
        assert_eq!(
            again.html.matches(message).count(),
            2,
            "summary and field: {message}"
        );
    }
    assert_eq!(field_value(&again.html, "vorname"), "Max &lt;b&gt;");
    assert_eq!(field_value(&again.html, "strasse"), "Holstenstraße 1");
    assert_eq!(field_value(&again.html, "plz"), "2410x");
    assert_eq!(
        field_value(&again.html, "anliegen"),
        "Bitte &quot;schnell&quot; &amp; gründlich."
    );
    assert_eq!(field_value(&again.html, "uebergabe"), id);
    assert!(h.portal.requests().is_empty(), "nothing reported yet");

    let mut fixed = complete_fields(&id);
    fixed[2] = ("nachname", "Muster");
    let done = h.submit(&fixed).await;
    assert_eq!(done.status, 200);
    assert_eq!(h.portal.requests().len(), 2);
}

#[tokio::test]
async fn a_failing_portal_does_not_lose_the_application() {
    let mut h = Harness::start().await;
    h.portal.fail(true);
    let page = h.arrive(&h.key.sign(&claims())).await;
    let id = field_value(&page.html, "uebergabe");
    let done = h.submit(&complete_fields(&id)).await;
    assert_eq!(done.status, 202);
    assert!(done
        .html
        .contains("Ihr Antrag ist eingegangen – das Bürgerportal wurde nicht benachrichtigt"));
    assert!(done.html.contains("BP-4711"));
    assert!(done.html.contains("Zurück zum Bürgerportal"));
    assert_eq!(
        h.portal.requests().len(),
        1,
        "stops after the refused status"
    );
    h.restart().await;
    let received = h.service.store().received().await.unwrap();
    assert_eq!(received.len(), 1, "kept across a restart");
    assert!(!received[0].portal_informiert);
    assert_eq!(received[0].claims.vorgang, "BP-4711");
    assert_eq!(received[0].eingaben.nachname, "Mustermann");
}

#[tokio::test]
async fn an_unknown_submission_is_gone() {
    let h = Harness::start().await;
    let page = h.submit(&complete_fields("erfunden")).await;
    assert_eq!(page.status, 410);
    assert!(page.html.contains("Formular nicht mehr gültig"));
}
