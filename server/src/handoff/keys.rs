//! The keys that sign hand-off tokens: Ed25519 (JWS `EdDSA`), kept in the store
//! so that every instance signs with the same key and publishes the same JWKS.

use crate::store::{int, text, Store, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sqlx::Row;

/// How long a retired key stays in the JWKS: far longer than any token lives
/// (minutes) plus any provider's JWKS cache.
pub const RETIRED_KEY_PUBLISHED_SECS: i64 = 7 * 24 * 3600;

pub struct SigningKey {
    pub kid: String,
    pair: Ed25519KeyPair,
}

pub struct KeySet {
    /// The newest key not retired: it signs.
    active: SigningKey,
    /// (kid, public key) of every published key, the active one included.
    published: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Schlüssel: {0}")]
    Crypto(String),
}

impl From<sqlx::Error> for KeyError {
    fn from(e: sqlx::Error) -> Self {
        KeyError::Store(e.into())
    }
}

fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Creates a new signing key and retires the one that signed until now.
pub async fn rotate(store: &Store, now: i64) -> Result<String, KeyError> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let public = pair.public_key().as_ref().to_vec();
    let kid = b64(&ring::digest::digest(&ring::digest::SHA256, &public).as_ref()[..12]);
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, pkcs8, public_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&kid)
    .bind(pkcs8.as_ref().to_vec())
    .bind(public)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(kid)
}

impl KeySet {
    /// Loads the keys, creating the first one when there is none.
    pub async fn load(store: &Store, now: i64) -> Result<KeySet, KeyError> {
        if let Some(set) = Self::read(store, now).await? {
            return Ok(set);
        }
        rotate(store, now).await?;
        Self::read(store, now)
            .await?
            .ok_or_else(|| KeyError::Crypto("kein aktiver Schlüssel".into()))
    }

    async fn read(store: &Store, now: i64) -> Result<Option<KeySet>, KeyError> {
        let rows = sqlx::query(
            "SELECT kid, pkcs8, public_key, retired_at FROM signing_keys \
             WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid",
        )
        .bind(now - RETIRED_KEY_PUBLISHED_SECS)
        .fetch_all(store.pool())
        .await?;
        let mut active = None;
        let mut published = Vec::new();
        for row in &rows {
            let kid = text(row, "kid")?;
            if active.is_none() && int(row, "retired_at")?.is_none() {
                let pkcs8: Vec<u8> = row.try_get("pkcs8")?;
                let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
                    .map_err(|e| KeyError::Crypto(e.to_string()))?;
                active = Some(SigningKey {
                    kid: kid.clone(),
                    pair,
                });
            }
            published.push((kid, row.try_get::<Vec<u8>, _>("public_key")?));
        }
        Ok(active.map(|active| KeySet { active, published }))
    }

    pub fn active_kid(&self) -> &str {
        &self.active.kid
    }

    /// A JWS in compact serialization over the given claims.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({ "alg": "EdDSA", "typ": "JWT", "kid": self.active.kid });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.active.pair.sign(input.as_bytes());
        format!("{input}.{}", b64(signature.as_ref()))
    }

    /// The published keys as a JSON Web Key Set (RFC 8037 for Ed25519).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self
            .published
            .iter()
            .map(|(kid, public)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": b64(public),
                    "kid": kid, "alg": "EdDSA", "use": "sig",
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ED25519};

    #[test]
    fn signature_verifies_with_the_published_key() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let set = KeySet {
            active: SigningKey {
                kid: "k1".into(),
                pair,
            },
            published: vec![("k1".into(), public)],
        };
        let jws = set.sign(&serde_json::json!({ "aud": "x" }));
        let (input, sig) = jws.rsplit_once('.').unwrap();
        let jwk = &set.jwks()["keys"][0];
        let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        UnparsedPublicKey::new(&ED25519, x)
            .verify(input.as_bytes(), &sig)
            .expect("verifies");
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(input.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], "k1");
    }
}
