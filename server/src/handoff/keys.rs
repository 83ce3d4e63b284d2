//! The keys that sign hand-off tokens: Ed25519 (JWS `EdDSA`), kept in the store
//! so that every instance signs with the same key and publishes the same JWKS.
//! Private keys are sealed at rest (AES-256-GCM, ring) with a key from the
//! environment; without one there are no signing keys and no hand-offs.

use crate::store::{int, text, Store, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
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
    #[error("SIGNING_KEY_ENCRYPTION_KEY passt nicht zu den gespeicherten Signaturschlüsseln.")]
    WrongSealingKey,
    #[error("SIGNING_KEY_ENCRYPTION_KEY: {0}")]
    BadSealingKey(String),
}

/// Seals private signing keys at rest.
pub struct Sealer(LessSafeKey);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

/// In demo mode without a configured key: a key everyone can read in this
/// file, so that the demo works out of the box; it protects nothing.
const DEMO_SEALING_KEY: [u8; 32] = *b"buergerportal-demo-sealing-key!!";

impl Sealer {
    pub fn new(key: &[u8]) -> Result<Sealer, KeyError> {
        let key = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| KeyError::BadSealingKey("32 Bytes erwartet".into()))?;
        Ok(Sealer(LessSafeKey::new(key)))
    }

    /// From `SIGNING_KEY_ENCRYPTION_KEY` or the file named by
    /// `SIGNING_KEY_ENCRYPTION_KEY_FILE` (base64 of 32 random bytes); in demo
    /// mode without either, the published demo key. `None`: no hand-offs.
    pub fn from_config(config: &crate::config::Config) -> Result<Option<Sealer>, KeyError> {
        let encoded = match (
            &config.signing_key_encryption_key,
            &config.signing_key_encryption_key_file,
        ) {
            (Some(k), _) if !k.trim().is_empty() => k.trim().to_string(),
            (_, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| KeyError::BadSealingKey(format!("{}: {e}", path.display())))?
                .trim()
                .to_string(),
            _ if config.demo => return Sealer::new(&DEMO_SEALING_KEY).map(Some),
            _ => return Ok(None),
        };
        let key = base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .map_err(|_| KeyError::BadSealingKey("kein gültiges Base64".into()))?;
        if key.len() != 32 {
            return Err(KeyError::BadSealingKey(format!(
                "32 Bytes erwartet, {} erhalten",
                key.len()
            )));
        }
        Sealer::new(&key).map(Some)
    }

    /// nonce ‖ ciphertext ‖ tag; the key id is bound as associated data, so a
    /// sealed key cannot be moved to another row.
    fn seal(&self, kid: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| KeyError::Crypto("Zufall".into()))?;
        let mut data = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut data,
            )
            .map_err(|_| KeyError::Crypto("versiegeln".into()))?;
        Ok([nonce.to_vec(), data].concat())
    }

    fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(KeyError::WrongSealingKey);
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::WrongSealingKey)?;
        let mut data = data.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut data)
            .map_err(|_| KeyError::WrongSealingKey)?;
        Ok(plain.to_vec())
    }
}

impl From<sqlx::Error> for KeyError {
    fn from(e: sqlx::Error) -> Self {
        KeyError::Store(e.into())
    }
}

fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Creates a new signing key, sealed, and retires the one that signed until
/// now. Keys retired so long ago that they left the JWKS are deleted.
pub async fn rotate(store: &Store, sealer: &Sealer, now: i64) -> Result<String, KeyError> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let public = pair.public_key().as_ref().to_vec();
    let kid = b64(&ring::digest::digest(&ring::digest::SHA256, &public).as_ref()[..12]);
    let sealed = sealer.seal(&kid, pkcs8.as_ref())?;
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, pkcs8, public_key, created_at, sealed) VALUES ($1, $2, $3, $4, 1)",
    )
    .bind(&kid)
    .bind(sealed)
    .bind(public)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    delete_unpublished(store, now).await?;
    Ok(kid)
}

/// A retired private key is of no use once its public key left the JWKS.
pub async fn delete_unpublished(store: &Store, now: i64) -> Result<u64, KeyError> {
    let done =
        sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at <= $1")
            .bind(now - RETIRED_KEY_PUBLISHED_SECS)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected())
}

/// Seals keys written before keys were sealed (in place, same key id).
async fn seal_legacy(store: &Store, sealer: &Sealer) -> Result<(), KeyError> {
    let rows = sqlx::query("SELECT kid, pkcs8 FROM signing_keys WHERE sealed = 0")
        .fetch_all(store.pool())
        .await?;
    for row in &rows {
        let kid = text(row, "kid")?;
        let plain: Vec<u8> = row.try_get("pkcs8")?;
        sqlx::query("UPDATE signing_keys SET pkcs8 = $1, sealed = 1 WHERE kid = $2 AND sealed = 0")
            .bind(sealer.seal(&kid, &plain)?)
            .bind(&kid)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}

impl KeySet {
    /// Loads the keys, creating the first one when there is none.
    pub async fn load(store: &Store, sealer: &Sealer, now: i64) -> Result<KeySet, KeyError> {
        seal_legacy(store, sealer).await?;
        if let Some(set) = Self::read(store, sealer, now).await? {
            return Ok(set);
        }
        rotate(store, sealer, now).await?;
        Self::read(store, sealer, now)
            .await?
            .ok_or_else(|| KeyError::Crypto("kein aktiver Schlüssel".into()))
    }

    async fn read(store: &Store, sealer: &Sealer, now: i64) -> Result<Option<KeySet>, KeyError> {
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
                let sealed: Vec<u8> = row.try_get("pkcs8")?;
                let pkcs8 = sealer.open(&kid, &sealed)?;
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
    fn sealed_keys_open_only_with_their_key_and_row() {
        let sealer = Sealer::new(&[7u8; 32]).unwrap();
        let sealed = sealer.seal("kid-1", b"secret pkcs8").unwrap();
        assert!(
            !sealed.windows(6).any(|w| w == b"secret"),
            "not in the clear"
        );
        assert_eq!(sealer.open("kid-1", &sealed).unwrap(), b"secret pkcs8");
        assert!(matches!(
            sealer.open("kid-2", &sealed),
            Err(KeyError::WrongSealingKey)
        ));
        let other = Sealer::new(&[8u8; 32]).unwrap();
        assert!(matches!(
            other.open("kid-1", &sealed),
            Err(KeyError::WrongSealingKey)
        ));
    }

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
