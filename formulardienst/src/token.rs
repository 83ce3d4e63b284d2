//! The hand-off token: a JWS (compact serialization) signed by the portal with
//! Ed25519 (`alg` = `EdDSA`). Verified in this order: header and algorithm,
//! key, signature, then the claims. Replay protection (`jti`) lives in
//! [`crate::memory`], because it needs shared state.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// Clock difference tolerated between the portal and this service.
pub const CLOCK_SKEW_SECS: i64 = 30;
/// The contract: `exp = iat + 300`. Longer-lived tokens are refused.
pub const MAX_LIFETIME_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token ist keine JWS in kompakter Form: {0}")]
    Malformed(&'static str),
    #[error("Algorithmus „{0}“ wird nicht akzeptiert (nur EdDSA)")]
    Algorithm(String),
    #[error("Schlüssel „{0}“ ist im JWKS des Portals nicht veröffentlicht")]
    UnknownKey(String),
    #[error("Signatur ungültig")]
    Signature,
    #[error("Claims ungültig: {0}")]
    Claims(String),
    #[error("Aussteller „{0}“ ist nicht das Portal")]
    Issuer(String),
    #[error("Token ist für „{0}“ bestimmt, nicht für diesen Dienst")]
    Audience(String),
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

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Address {
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub locality: Option<String>,
}

/// Personal data from the Servicekonto; only present with consent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    /// Extensions we would have to understand; we understand none.
    crit: Option<Value>,
}

/// A token whose header is acceptable but whose signature is not yet checked.
#[derive(Debug)]
pub struct Unverified<'a> {
    kid: String,
    signing_input: &'a str,
    payload: &'a str,
    signature: Vec<u8>,
}

/// What a token must say to be accepted here.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now: i64,
}

fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed(what))
}

/// Splits the token and checks its header; refuses any algorithm but EdDSA.
pub fn parse(token: &str) -> Result<Unverified<'_>, TokenError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("nicht drei Teile"));
    };
    let header: Header = serde_json::from_slice(&decode(header_b64, "Header kein Base64url")?)
        .map_err(|_| TokenError::Malformed("Header kein JSON"))?;
    if header.alg != "EdDSA" {
        return Err(TokenError::Algorithm(header.alg));
    }
    if header.crit.is_some() {
        return Err(TokenError::Malformed("crit wird nicht unterstützt"));
    }
    let kid = header.kid.ok_or(TokenError::UnknownKey(String::new()))?;
    let signing_input = &token[..header_b64.len() + 1 + payload.len()];
    Ok(Unverified {
        kid,
        signing_input,
        payload,
        signature: decode(signature, "Signatur kein Base64url")?,
    })
}

impl Unverified<'_> {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Checks the signature with the Ed25519 public key; returns the payload as received.
    pub fn verify(&self, public_key: &[u8]) -> Result<Value, TokenError> {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
            .verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| TokenError::Signature)?;
        let payload: Value =
            serde_json::from_slice(&decode(self.payload, "Payload kein Base64url")?)
                .map_err(|_| TokenError::Malformed("Payload kein JSON"))?;
        if !payload.is_object() {
            return Err(TokenError::Malformed("Payload kein JSON-Objekt"));
        }
        Ok(payload)
    }
}

/// Checks the claims of a verified payload: shape, issuer, audience, time.
pub fn check_claims(payload: &Value, expected: &Expected) -> Result<Claims, TokenError> {
    let claims: Claims =
        serde_json::from_value(payload.clone()).map_err(|e| TokenError::Claims(e.to_string()))?;
    check_shape(&claims).map_err(|what| TokenError::Claims(what.into()))?;
    if claims.iss != expected.issuer {
        return Err(TokenError::Issuer(claims.iss));
    }
    if claims.aud != expected.audience {
        return Err(TokenError::Audience(claims.aud));
    }
    check_times(&claims, expected.now)?;
    Ok(claims)
}

fn check_times(c: &Claims, now: i64) -> Result<(), TokenError> {
    if now > c.exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(TokenError::Expired);
    }
    if c.nbf > now + CLOCK_SKEW_SECS || c.iat > now + CLOCK_SKEW_SECS {
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

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    use serde_json::json;

    fn b64(data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(data)
    }

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    fn sign(key: &Ed25519KeyPair, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{input}.{}", b64(key.sign(input.as_bytes()).as_ref()))
    }

    fn claims(now: i64) -> Value {
        json!({
            "iss": "http://portal", "aud": "urn:x", "iat": now, "nbf": now, "exp": now + 300,
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

    #[test]
    fn accepts_a_signed_token() {
        let key = key();
        let token = sign(&key, &HEADER(), &claims(1000));
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.kid(), "k1");
        let payload = parsed.verify(key.public_key().as_ref()).unwrap();
        let c = check_claims(&payload, &expected(1010)).unwrap();
        assert_eq!(c.vorgang, "BP-1");
        assert_eq!(c.behoerde, None);
    }

    #[test]
    fn refuses_other_algorithms_before_looking_at_keys() {
        let key = key();
        for alg in ["none", "HS256", "RS256", "eddsa"] {
            let token = sign(&key, &json!({"alg": alg, "kid": "k1"}), &claims(1000));
            assert_eq!(
                parse(&token).unwrap_err(),
                TokenError::Algorithm(alg.into())
            );
        }
    }

    #[test]
    fn refuses_a_signature_by_another_key_or_over_other_claims() {
        let (key, other) = (key(), key());
        let token = sign(&other, &HEADER(), &claims(1000));
        let err = parse(&token).unwrap().verify(key.public_key().as_ref());
        assert_eq!(err.unwrap_err(), TokenError::Signature);

        let token = sign(&key, &HEADER(), &claims(1000));
        let parts: Vec<&str> = token.split('.').collect();
        let mut changed = claims(1000);
        changed["leika"] = "99000000000000".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64(changed.to_string().as_bytes()),
            parts[2]
        );
        let err = parse(&forged).unwrap().verify(key.public_key().as_ref());
        assert_eq!(err.unwrap_err(), TokenError::Signature);
    }

    #[test]
    fn refuses_garbage() {
        for token in ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"] {
            assert!(parse(token).is_err(), "{token}");
        }
    }

    #[test]
    fn checks_times_with_skew() {
        let c = claims(1000);
        assert!(check_claims(&c, &expected(1300 + CLOCK_SKEW_SECS)).is_ok());
        assert_eq!(
            check_claims(&c, &expected(1301 + CLOCK_SKEW_SECS)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            check_claims(&c, &expected(1000 - CLOCK_SKEW_SECS - 1)),
            Err(TokenError::NotYetValid)
        );
        let mut long = claims(1000);
        long["exp"] = 5000.into();
        assert_eq!(
            check_claims(&long, &expected(1000)),
            Err(TokenError::LifetimeTooLong)
        );
    }

    #[test]
    fn checks_issuer_audience_and_shape() {
        let mut c = claims(1000);
        c["aud"] = "urn:other".into();
        assert!(matches!(
            check_claims(&c, &expected(1000)),
            Err(TokenError::Audience(_))
        ));
        let mut c = claims(1000);
        c["iss"] = "http://evil".into();
        assert!(matches!(
            check_claims(&c, &expected(1000)),
            Err(TokenError::Issuer(_))
        ));
        for (field, value) in [
            ("leika", json!("123")),
            ("ars", json!("01002")),
            ("rueckkehr_url", json!("javascript:alert(1)")),
            ("einwilligung", json!("ja")),
        ] {
            let mut c = claims(1000);
            c[field] = value;
            assert!(
                matches!(
                    check_claims(&c, &expected(1000)),
                    Err(TokenError::Claims(_))
                ),
                "{field}"
            );
        }
    }

    #[test]
    fn the_consent_flag_governs_the_person() {
        let mut c = claims(1000);
        c["person"] = json!({"family_name": "Muster"});
        let parsed = check_claims(&c, &expected(1000)).unwrap();
        assert!(parsed.consented_person().is_none());
        c["einwilligung"] = true.into();
        let parsed = check_claims(&c, &expected(1000)).unwrap();
        assert_eq!(
            parsed.consented_person().unwrap().family_name.as_deref(),
            Some("Muster")
        );
    }
}
