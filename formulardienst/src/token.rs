//! The hand-off token: a JWS (compact serialization) signed by the portal with
//! Ed25519 (`alg` = `EdDSA`), verified with the `jsonwebtoken` crate. Order:
//! header and algorithm, key, signature, then the claims. Replay protection
//! (`jti`) lives in [`crate::store`], because it must survive a restart.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Clock difference tolerated between the portal and this service.
pub const CLOCK_SKEW_SECS: i64 = 30;
/// The contract: `exp = iat + 300`. Longer-lived tokens are refused.
pub const MAX_LIFETIME_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token ist keine JWS in kompakter Form: {0}")]
    Malformed(&'static str),
    #[error("Kopf oder Algorithmus nicht annehmbar (nur EdDSA): {0}")]
    Algorithm(String),
    #[error("Schlüssel „{0}“ ist im JWKS des Portals nicht veröffentlicht")]
    UnknownKey(String),
    #[error("Signatur ungültig")]
    Signature,
    #[error("Claims ungültig: {0}")]
    Claims(String),
    #[error("Aussteller ist nicht das Portal")]
    Issuer,
    #[error("Token ist nicht für diesen Dienst bestimmt")]
    Audience,
    #[error("Token ist abgelaufen")]
    Expired,
    #[error("Token ist noch nicht gültig")]
    NotYetValid,
    #[error("Token ist länger als {MAX_LIFETIME_SECS} Sekunden gültig")]
    LifetimeTooLong,
    #[error("Token wurde bereits verwendet")]
    Replayed,
    #[error("JWKS des Portals nicht abrufbar: {0}")]
    JwksUnavailable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
}

/// Personal data from the Servicekonto; only present with consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub vorgang: String,
    pub leika: String,
    pub leistung: String,
    pub ars: String,
    pub gemeinde: String,
    pub behoerde: Option<String>,
    pub mandant: String,
    pub rueckkehr_url: String,
    pub einwilligung: bool,
    pub person: Option<Person>,
}

impl Claims {
    /// The person, but only if the citizen consented: the flag governs.
    pub fn consented_person(&self) -> Option<&Person> {
        self.person.as_ref().filter(|_| self.einwilligung)
    }
}

/// What a token must say to be accepted here.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: i64,
}

/// A verified token: the typed claims and the payload exactly as received.
#[derive(Debug, Clone)]
pub struct Verified {
    pub claims: Claims,
    pub payload: Value,
}

/// The `kid` a token names. Refuses every algorithm but EdDSA before any key
/// is looked up, so that forged tokens cannot make us fetch the JWKS.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    let header = jsonwebtoken::decode_header(token.trim()).map_err(refusal)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenError::Algorithm(format!("alg {:?}", header.alg)));
    }
    header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(TokenError::UnknownKey(String::new()))
}

/// Verifies signature and claims with the portal's key for the token's `kid`.
pub fn verify(token: &str, key: &DecodingKey, expected: &Expected) -> Result<Verified, TokenError> {
    // The algorithm is pinned here, whatever the header says.
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.leeway = CLOCK_SKEW_SECS as u64;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    let payload = jsonwebtoken::decode::<Value>(token.trim(), key, &validation)
        .map_err(refusal)?
        .claims;
    if !payload.is_object() {
        return Err(TokenError::Malformed("Payload kein JSON-Objekt"));
    }
    // `iat`, `jti` and the portal's own claims are required by the type.
    let claims: Claims =
        serde_json::from_value(payload.clone()).map_err(|e| TokenError::Claims(e.to_string()))?;
    check_shape(&claims).map_err(|what| TokenError::Claims(what.into()))?;
    check_issued(&claims, expected.now)?;
    Ok(Verified { claims, payload })
}

/// The crate's verdict in our terms (and so in our status codes).
fn refusal(e: jsonwebtoken::errors::Error) -> TokenError {
    match e.kind() {
        ErrorKind::InvalidSignature | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidKeyFormat => {
            TokenError::Signature
        }
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm(e.to_string()),
        // A header that is JSON but no acceptable JOSE header, e.g. `alg: none`.
        ErrorKind::Json(json) if json.classify() == serde_json::error::Category::Data => {
            TokenError::Algorithm(json.to_string())
        }
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::ImmatureSignature => TokenError::NotYetValid,
        ErrorKind::InvalidIssuer => TokenError::Issuer,
        ErrorKind::InvalidAudience => TokenError::Audience,
        ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim) => {
            TokenError::Claims(format!("{claim} fehlt oder hat die falsche Form"))
        }
        ErrorKind::Base64(_) => TokenError::Malformed("kein Base64url"),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => TokenError::Malformed("kein JSON"),
        _ => TokenError::Malformed("nicht lesbar"),
    }
}

/// What the crate does not check: `iat` not in the future, and the lifetime.
fn check_issued(c: &Claims, now: i64) -> Result<(), TokenError> {
    if c.iat > now + CLOCK_SKEW_SECS {
        return Err(TokenError::NotYetValid);
    }
    if c.exp.saturating_sub(c.iat) > MAX_LIFETIME_SECS {
        return Err(TokenError::LifetimeTooLong);
    }
    Ok(())
}

fn digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

fn check_shape(c: &Claims) -> Result<(), &'static str> {
    if c.jti.is_empty() || c.vorgang.is_empty() {
        return Err("jti und vorgang dürfen nicht leer sein");
    }
    if !digits(&c.leika, 14) {
        return Err("leika muss 14 Ziffern haben");
    }
    if !digits(&c.ars, 12) {
        return Err("ars muss 12 Ziffern haben");
    }
    // The URL becomes a link: only http(s), never javascript: or data:.
    match reqwest::Url::parse(&c.rueckkehr_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        _ => Err("rueckkehr_url muss eine absolute http(s)-URL sein"),
    }
}

/// Claims as verified, for the tests of the modules that keep them.
#[cfg(test)]
pub(crate) fn sample_claims(jti: &str, exp: i64) -> Claims {
    serde_json::from_value(serde_json::json!({
        "iss": "i", "aud": "a", "iat": exp - 300, "nbf": exp - 300, "exp": exp, "jti": jti,
        "vorgang": "BP-1", "leika": "99123456789012", "leistung": "L", "ars": "010020000000",
        "gemeinde": "Kiel", "mandant": "kiel", "rueckkehr_url": "http://p/", "einwilligung": false
    }))
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use serde_json::json;

    fn b64(data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(data)
    }

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    fn public(key: &Ed25519KeyPair) -> DecodingKey {
        DecodingKey::from_ed_components(&b64(key.public_key().as_ref())).unwrap()
    }

    /// Signs by hand, so that tests can also write headers no portal would.
    fn sign(key: &Ed25519KeyPair, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{input}.{}", b64(key.sign(input.as_bytes()).as_ref()))
    }

    fn now() -> i64 {
        crate::now()
    }

    fn claims(iat: i64) -> Value {
        json!({
            "iss": "http://portal", "aud": "urn:x", "iat": iat, "nbf": iat, "exp": iat + 300,
            "jti": "j1", "vorgang": "BP-1", "leika": "99123456789012", "leistung": "Hund anmelden",
            "ars": "010020000000", "gemeinde": "Kiel", "mandant": "kiel",
            "rueckkehr_url": "http://portal/antraege/BP-1", "einwilligung": false
        })
    }

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: "http://portal",
            audience: "urn:x",
            now,
        }
    }

    const HEADER: fn() -> Value = || json!({"alg": "EdDSA", "typ": "JWT", "kid": "k1"});

    fn check(key: &Ed25519KeyPair, claims: &Value) -> Result<Verified, TokenError> {
        verify(
            &sign(key, &HEADER(), claims),
            &public(key),
            &expected(now()),
        )
    }

    #[test]
    fn accepts_a_signed_token() {
        let key = key();
        let token = sign(&key, &HEADER(), &claims(now()));
        assert_eq!(key_id(&token).unwrap(), "k1");
        let verified = verify(&token, &public(&key), &expected(now())).unwrap();
        assert_eq!(verified.claims.vorgang, "BP-1");
        assert_eq!(verified.claims.behoerde, None);
        assert_eq!(verified.payload, claims(verified.claims.iat));
    }

    #[test]
    fn refuses_other_algorithms_before_looking_at_keys() {
        let key = key();
        for alg in ["none", "HS256", "RS256", "ES256", "eddsa"] {
            let token = sign(&key, &json!({"alg": alg, "kid": "k1"}), &claims(now()));
            assert!(
                matches!(key_id(&token), Err(TokenError::Algorithm(_))),
                "{alg}"
            );
        }
        let token = sign(&key, &json!({"alg": "EdDSA"}), &claims(now()));
        assert_eq!(key_id(&token), Err(TokenError::UnknownKey(String::new())));
    }

    #[test]
    fn the_crate_pins_the_algorithm_even_without_the_header_check() {
        let key = key();
        for alg in ["HS256", "RS256", "ES256"] {
            let token = sign(&key, &json!({"alg": alg, "kid": "k1"}), &claims(now()));
            assert!(
                matches!(
                    verify(&token, &public(&key), &expected(now())),
                    Err(TokenError::Algorithm(_))
                ),
                "{alg}"
            );
        }
        let hmac = DecodingKey::from_secret(b"the public key as an HMAC secret").unwrap();
        let token = sign(&key, &HEADER(), &claims(now()));
        assert!(verify(&token, &hmac, &expected(now())).is_err());
    }

    #[test]
    fn refuses_a_signature_by_another_key_or_over_other_claims() {
        let (key, other) = (key(), key());
        let token = sign(&other, &HEADER(), &claims(now()));
        assert_eq!(
            verify(&token, &public(&key), &expected(now())).unwrap_err(),
            TokenError::Signature
        );

        let token = sign(&key, &HEADER(), &claims(now()));
        let parts: Vec<&str> = token.split('.').collect();
        let mut changed = claims(now());
        changed["leika"] = "99000000000000".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(changed.to_string().as_bytes()),
            parts[2]
        );
        assert_eq!(
            verify(&forged, &public(&key), &expected(now())).unwrap_err(),
            TokenError::Signature
        );
    }

    #[test]
    fn refuses_garbage_and_critical_extensions() {
        for token in ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"] {
            assert!(key_id(token).is_err(), "{token}");
        }
        let key = key();
        let crit = json!({"alg": "EdDSA", "kid": "k1", "crit": ["exp"], "exp": 1});
        let token = sign(&key, &crit, &claims(now()));
        assert!(verify(&token, &public(&key), &expected(now())).is_err());
    }

    #[test]
    fn checks_times_with_a_small_leeway() {
        let key = key();
        let now = now();
        assert!(check(&key, &claims(now - 300 - CLOCK_SKEW_SECS + 2)).is_ok());
        assert_eq!(
            check(&key, &claims(now - 300 - CLOCK_SKEW_SECS - 2)).unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(
            check(&key, &claims(now + CLOCK_SKEW_SECS + 5)).unwrap_err(),
            TokenError::NotYetValid
        );
        let mut issued_later = claims(now);
        issued_later["iat"] = (now + CLOCK_SKEW_SECS + 5).into();
        assert_eq!(
            check(&key, &issued_later).unwrap_err(),
            TokenError::NotYetValid
        );
        let mut long = claims(now);
        long["exp"] = (now + 5000).into();
        assert_eq!(check(&key, &long).unwrap_err(), TokenError::LifetimeTooLong);
    }

    #[test]
    fn a_time_claim_of_the_wrong_type_is_refused_not_skipped() {
        let key = key();
        for claim in ["exp", "nbf", "iat"] {
            let mut c = claims(now());
            c[claim] = "99999999999".into();
            assert!(
                matches!(check(&key, &c), Err(TokenError::Claims(_))),
                "{claim}"
            );
        }
    }

    #[test]
    fn checks_issuer_audience_and_shape() {
        let key = key();
        let mut c = claims(now());
        c["aud"] = "urn:other".into();
        assert_eq!(check(&key, &c).unwrap_err(), TokenError::Audience);
        let mut c = claims(now());
        c["iss"] = "http://evil".into();
        assert_eq!(check(&key, &c).unwrap_err(), TokenError::Issuer);
        for (field, value) in [
            ("leika", json!("123")),
            ("ars", json!("01002")),
            ("rueckkehr_url", json!("javascript:alert(1)")),
            ("einwilligung", json!("ja")),
            ("jti", json!("")),
            ("jti", json!(null)),
        ] {
            let mut c = claims(now());
            c[field] = value;
            assert!(
                matches!(check(&key, &c), Err(TokenError::Claims(_))),
                "{field}"
            );
        }
        for required in ["jti", "iat", "exp", "nbf", "iss", "aud"] {
            let mut c = claims(now());
            c.as_object_mut().unwrap().remove(required);
            assert!(check(&key, &c).is_err(), "without {required}");
        }
    }

    #[test]
    fn the_consent_flag_governs_the_person() {
        let key = key();
        let mut c = claims(now());
        c["person"] = json!({"family_name": "Muster"});
        let parsed = check(&key, &c).unwrap().claims;
        assert!(parsed.consented_person().is_none());
        c["einwilligung"] = true.into();
        let parsed = check(&key, &c).unwrap().claims;
        assert_eq!(
            parsed.consented_person().unwrap().family_name.as_deref(),
            Some("Muster")
        );
    }
}
