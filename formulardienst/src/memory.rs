//! What this service keeps only in memory, for minutes or hours: one-time
//! cache ids of the Zwischenspeicher, open forms, and (only when inspection is
//! switched on) the hand-offs as received. A restart forgets them: the citizen
//! starts again in the portal. Used token ids and received applications are
//! durable, see [`crate::store`].

use crate::token::Claims;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A cache id must be redeemed soon: the browser follows it right away.
pub const CACHE_LIFETIME_SECS: i64 = 300;
/// Time a citizen has to fill in the form.
pub const SUBMISSION_LIFETIME_SECS: i64 = 2 * 3600;

/// How long a received hand-off can be inspected: as long as its form is open.
pub const INSPECTION_LIFETIME_SECS: i64 = SUBMISSION_LIFETIME_SECS;

struct Stored {
    claims: Arc<Claims>,
    expires_at: i64,
}

#[derive(Default)]
struct Inner {
    caches: HashMap<String, Stored>,
    submissions: HashMap<String, Stored>,
    /// vorgang → (payload as received, expires_at); filled only with inspection on.
    handoffs: HashMap<String, (Value, i64)>,
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

    /// Keeps a verified payload for the inspection endpoint, for a while.
    pub fn keep_for_inspection(&self, vorgang: &str, payload: Value, now: i64) {
        let mut inner = self.lock();
        inner
            .handoffs
            .retain(|_, (_, expires_at)| *expires_at > now);
        inner.handoffs.insert(
            vorgang.to_string(),
            (payload, now + INSPECTION_LIFETIME_SECS),
        );
    }

    pub fn inspect(&self, vorgang: &str, now: i64) -> Option<Value> {
        let inner = self.lock();
        let (payload, expires_at) = inner.handoffs.get(vorgang)?;
        (*expires_at > now).then(|| payload.clone())
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

    /// Opens a form again under its old id, after it could not be stored.
    pub fn reopen_submission(&self, id: &str, claims: Arc<Claims>, now: i64) {
        self.lock().submissions.insert(
            id.to_string(),
            Stored {
                claims,
                expires_at: now + SUBMISSION_LIFETIME_SECS,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::token::sample_claims as claims;

    #[test]
    fn a_hand_off_can_be_inspected_while_its_form_is_open() {
        let m = Memory::default();
        m.keep_for_inspection("BP-1", serde_json::json!({"jti": "j"}), 1000);
        assert_eq!(m.inspect("BP-1", 1001).unwrap()["jti"], "j");
        assert!(m.inspect("BP-2", 1001).is_none());
        assert!(m.inspect("BP-1", 1000 + INSPECTION_LIFETIME_SECS).is_none());
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
