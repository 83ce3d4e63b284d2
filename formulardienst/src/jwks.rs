//! The portal's public keys (JWKS), fetched at first use and cached. A token
//! naming an unknown `kid` triggers a re-fetch (key rotation), but at most once
//! per interval, so forged `kid`s cannot make us hammer the portal.

use crate::token::TokenError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
}

impl Jwk {
    /// `(kid, public key)` if this is an Ed25519 signing key; other keys are skipped.
    fn ed25519(self) -> Option<(String, Vec<u8>)> {
        let usable = self.kty.as_deref() == Some("OKP")
            && self.crv.as_deref() == Some("Ed25519")
            && matches!(self.alg.as_deref(), None | Some("EdDSA"))
            && matches!(self.use_.as_deref(), None | Some("sig"));
        let x = URL_SAFE_NO_PAD.decode(self.x?).ok()?;
        (usable && x.len() == 32).then_some((self.kid?, x))
    }
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Vec<u8>>,
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
    pub async fn key(&self, kid: &str) -> Result<Vec<u8>, TokenError> {
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

    async fn fetch(&self) -> Result<HashMap<String, Vec<u8>>, TokenError> {
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
        Ok(set.keys.into_iter().filter_map(Jwk::ed25519).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk(value: serde_json::Value) -> Option<(String, Vec<u8>)> {
        serde_json::from_value::<Jwk>(value).unwrap().ed25519()
    }

    #[test]
    fn takes_only_ed25519_signing_keys() {
        let x = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let ok = json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "a", "alg": "EdDSA", "use": "sig"});
        assert_eq!(jwk(ok.clone()), Some(("a".into(), vec![7u8; 32])));
        for (field, value) in [
            ("kty", json!("RSA")),
            ("crv", json!("X25519")),
            ("use", json!("enc")),
            ("alg", json!("ES256")),
            ("x", json!("AAAA")),
            ("kid", json!(null)),
        ] {
            let mut key = ok.clone();
            key[field] = value;
            assert_eq!(jwk(key), None, "{field}");
        }
    }
}
