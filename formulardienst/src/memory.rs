//! Everything this service remembers, in memory: used token ids (until they
//! expire), one-time cache ids of the Zwischenspeicher, open forms, the last
//! verified hand-off (a test aid) and the received applications.

use crate::form::Eingaben;
use crate::token::{Claims, CLOCK_SKEW_SECS};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A cache id must be redeemed soon: the browser follows it right away.
pub const CACHE_LIFETIME_SECS: i64 = 300;
/// Time a citizen has to fill in the form.
pub const SUBMISSION_LIFETIME_SECS: i64 = 2 * 3600;

struct Stored {
    claims: Arc<Claims>,
    expires_at: i64,
}

/// An application that arrived here, with whether the portal was informed.
#[derive(Debug, Clone)]
pub struct Eingang {
    pub claims: Arc<Claims>,
    pub eingaben: Eingaben,
    pub portal_informiert: bool,
}

#[derive(Default)]
struct Inner {
    used_jtis: HashMap<String, i64>,
    caches: HashMap<String, Stored>,
    submissions: HashMap<String, Stored>,
    last_payload: Option<Value>,
    received: Vec<Eingang>,
}

#[derive(Default)]
pub struct Memory(Mutex<Inner>);

/// Why a one-time id could not be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeem {
    /// Unknown, expired or already used: indistinguishable on purpose.
    Unknown,
    /// Valid, but for another service than the one in the path; not consumed.
    OtherLeika,
}

/// 128 random bits, base64url: unguessable ids for caches and forms.
pub fn random_id() -> String {
    use base64::Engine;
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random generator is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn insert(
    map: &mut HashMap<String, Stored>,
    claims: Arc<Claims>,
    expires_at: i64,
    now: i64,
) -> String {
    map.retain(|_, s| s.expires_at > now);
    let id = random_id();
    map.insert(id.clone(), Stored { claims, expires_at });
    id
}

impl Memory {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere does not make these maps inconsistent: keep serving.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Consumes the token's `jti`; `false` if it was used before. An accepted
    /// payload becomes the "last hand-off".
    pub fn accept(&self, claims: &Claims, payload: &Value, now: i64) -> bool {
        let mut inner = self.lock();
        inner
            .used_jtis
            .retain(|_, exp| *exp + CLOCK_SKEW_SECS >= now);
        if inner.used_jtis.contains_key(&claims.jti) {
            return false;
        }
        inner.used_jtis.insert(claims.jti.clone(), claims.exp);
        inner.last_payload = Some(payload.clone());
        true
    }

    pub fn last_payload(&self) -> Option<Value> {
        self.lock().last_payload.clone()
    }

    pub fn put_cache(&self, claims: Arc<Claims>, now: i64) -> String {
        let inner = &mut *self.lock();
        insert(&mut inner.caches, claims, now + CACHE_LIFETIME_SECS, now)
    }

    /// Redeems a cache id once, if it belongs to `leika`.
    pub fn take_cache(&self, id: &str, leika: &str, now: i64) -> Result<Arc<Claims>, Redeem> {
        let mut inner = self.lock();
        match inner.caches.get(id) {
            Some(s) if s.expires_at <= now => Err(Redeem::Unknown),
            Some(s) if s.claims.leika != leika => Err(Redeem::OtherLeika),
            Some(_) => Ok(inner.caches.remove(id).expect("present").claims),
            None => Err(Redeem::Unknown),
        }
    }

    /// Opens a form for a verified hand-off; the id goes into the form, not the token.
    pub fn open_submission(&self, claims: Arc<Claims>, now: i64) -> String {
        let inner = &mut *self.lock();
        insert(
            &mut inner.submissions,
            claims,
            now + SUBMISSION_LIFETIME_SECS,
            now,
        )
    }

    /// The hand-off of an open form, which stays open (for corrections).
    pub fn submission(&self, id: &str, now: i64) -> Option<Arc<Claims>> {
        let inner = self.lock();
        let stored = inner.submissions.get(id)?;
        (stored.expires_at > now).then(|| stored.claims.clone())
    }

    /// Closes an open form; `None` if another request closed it first.
    pub fn take_submission(&self, id: &str, now: i64) -> Option<Arc<Claims>> {
        let stored = self.lock().submissions.remove(id)?;
        (stored.expires_at > now).then_some(stored.claims)
    }

    pub fn record(&self, eingang: Eingang) {
        self.lock().received.push(eingang);
    }

    pub fn received(&self) -> Vec<Eingang> {
        self.lock().received.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(jti: &str, exp: i64) -> Claims {
        serde_json::from_value(serde_json::json!({
            "iss": "i", "aud": "a", "iat": exp - 300, "nbf": exp - 300, "exp": exp, "jti": jti,
            "vorgang": "BP-1", "leika": "99123456789012", "leistung": "L", "ars": "010020000000",
            "gemeinde": "Kiel", "mandant": "kiel", "rueckkehr_url": "http://p/", "einwilligung": false
        }))
        .unwrap()
    }

    #[test]
    fn a_jti_is_accepted_once_and_forgotten_after_expiry() {
        let m = Memory::default();
        let c = claims("j", 1300);
        assert!(m.accept(&c, &Value::Null, 1000));
        assert!(!m.accept(&c, &Value::Null, 1100));
        // Past exp + skew the token itself is refused as expired; the id may go.
        m.accept(&claims("other", 9999), &Value::Null, 1400);
        assert!(!m.lock().used_jtis.contains_key("j"));
    }

    #[test]
    fn a_cache_id_works_once_for_its_leika_within_its_lifetime() {
        let m = Memory::default();
        let id = m.put_cache(Arc::new(claims("j", 1300)), 1000);
        assert_eq!(
            m.take_cache(&id, "99000000000000", 1001).unwrap_err(),
            Redeem::OtherLeika
        );
        assert!(m.take_cache(&id, "99123456789012", 1001).is_ok());
        assert_eq!(
            m.take_cache(&id, "99123456789012", 1002).unwrap_err(),
            Redeem::Unknown
        );
        let late = m.put_cache(Arc::new(claims("k", 1300)), 1000);
        assert_eq!(
            m.take_cache(&late, "99123456789012", 1000 + CACHE_LIFETIME_SECS)
                .unwrap_err(),
            Redeem::Unknown
        );
    }

    #[test]
    fn a_submission_stays_open_until_taken() {
        let m = Memory::default();
        let id = m.open_submission(Arc::new(claims("j", 1300)), 1000);
        assert!(m.submission(&id, 1001).is_some());
        assert!(m.submission(&id, 1002).is_some());
        assert!(m.take_submission(&id, 1003).is_some());
        assert!(m.take_submission(&id, 1004).is_none());
        assert!(m.submission(&id, 1004).is_none());
    }

    #[test]
    fn ids_are_random() {
        assert_ne!(random_id(), random_id());
        assert_eq!(random_id().len(), 22);
    }
}
