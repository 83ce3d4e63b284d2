//! The portal's public keys (JWKS), fetched at first use and cached. A token
//! naming an unknown `kid` triggers a re-fetch (key rotation), but at most once
//! per interval, so forged `kid`s cannot make us hammer the portal.

use crate::token::TokenError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Read key by key: one key of a type we do not know must not hide the others.
#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Value>,
}

/// `(kid, key)` if this is an Ed25519 signing key; other keys are skipped.
fn ed25519(value: Value) -> Option<(String, DecodingKey)> {
    let jwk: Jwk = serde_json::from_value(value).ok()?;
    let AlgorithmParameters::OctetKeyPair(okp) = &jwk.algorithm else {
        return None;
    };
    let usable = okp.curve == EllipticCurve::Ed25519
        && matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::EdDSA))
        && matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        );
    // The crate's verifier takes the first 32 bytes and panics on fewer.
    let exact = URL_SAFE_NO_PAD.decode(&okp.x).is_ok_and(|x| x.len() == 32);
    let kid = jwk.common.key_id.clone().filter(|k| !k.is_empty())?;
    if !(usable && exact) {
        return None;
    }
    DecodingKey::from_jwk(&jwk).ok().map(|key| (kid, key))
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

pub struct KeySet {
    url: String,
    client: reqwest::Client,
    refetch_interval: Duration,
    cache: Mutex<Cache>,
}

impl KeySet {
    pub fn new(url: String, client: reqwest::Client, refetch_interval: Duration) -> KeySet {
        KeySet {
            url,
            client,
            refetch_interval,
            cache: Mutex::default(),
        }
    }

    /// The public key for `kid`, fetching the JWKS when it is not (yet) known.
    pub async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        // Held across the fetch: concurrent misses wait for one fetch instead of starting many.
        let mut cache = self.cache.lock().await;
        if let Some(key) = cache.keys.get(kid) {
            return Ok(key.clone());
        }
        let may_fetch = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.refetch_interval);
        if may_fetch {
            cache.keys = self.fetch().await?;
            cache.fetched_at = Some(Instant::now());
            tracing::info!(keys = cache.keys.len(), "JWKS des Portals geladen");
        }
        cache
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| TokenError::UnknownKey(kid.to_string()))
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, TokenError> {
        let unavailable = |e: reqwest::Error| TokenError::JwksUnavailable(e.to_string());
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        Ok(set.keys.into_iter().filter_map(ed25519).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kid(value: Value) -> Option<String> {
        ed25519(value).map(|(kid, _)| kid)
    }

    #[test]
    fn takes_only_ed25519_signing_keys() {
        let x = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let ok = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "a", "alg": "EdDSA", "use": "sig"});
        assert_eq!(kid(ok.clone()), Some("a".into()));
        for (field, value) in [
            ("kty", json!("RSA")),
            ("crv", json!("X25519")),
            ("use", json!("enc")),
            ("alg", json!("ES256")),
            ("x", json!("AAAA")),
            ("x", json!(URL_SAFE_NO_PAD.encode([7u8; 33]))),
            ("kid", json!(null)),
            ("kid", json!("")),
        ] {
            let mut key = ok.clone();
            key[field] = value;
            assert_eq!(kid(key), None, "{field}");
        }
    }
}
