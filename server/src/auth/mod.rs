//! Citizen login with the Servicekonto (OpenID Connect), sessions and accounts.
//!
//! The trust level of a session is read only from the verified ID token's `acr`,
//! mapped to a Vertrauensniveau by the operator's configuration.

pub mod account;
pub mod central;
pub mod oidc;
pub mod session_store;

use crate::keys::Vertrauensniveau;
use serde::{Deserialize, Serialize};

pub use oidc::{Oidc, OidcError, VerifiedLogin};
pub use session_store::{CachedSessionStore, DbSessionStore, SessionCache};

/// Session keys.
pub const PENDING_LOGIN: &str = "login";
pub const SIGNED_IN: &str = "citizen";
/// When the session's idle deadline last moved (unix seconds).
pub const RENEWED_AT: &str = "renewed_at";

/// acr values per trust level, from `OIDC_ACR_VALUES`.
#[derive(Debug, Clone)]
pub struct AcrMap(Vec<(Vertrauensniveau, String)>);

impl AcrMap {
    pub fn parse(spec: &str) -> Result<AcrMap, String> {
        let mut pairs = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (level, acr) = item
                .split_once('=')
                .ok_or_else(|| format!("OIDC_ACR_VALUES: „{item}“ ist nicht niveau=acr"))?;
            let level =
                Vertrauensniveau::parse(level).map_err(|e| format!("OIDC_ACR_VALUES: {e}"))?;
            let acr = acr.trim();
            if acr.is_empty() {
                return Err(format!(
                    "OIDC_ACR_VALUES: leerer acr-Wert für {}",
                    level.as_str()
                ));
            }
            pairs.push((level, acr.to_string()));
        }
        for level in [
            Vertrauensniveau::Basisregistrierung,
            Vertrauensniveau::Substantiell,
            Vertrauensniveau::Hoch,
        ] {
            if !pairs.iter().any(|(l, _)| *l == level) {
                return Err(format!(
                    "OIDC_ACR_VALUES: kein acr-Wert für {}",
                    level.as_str()
                ));
            }
        }
        Ok(AcrMap(pairs))
    }

    /// The trust level an acr value stands for; unknown values grant nothing.
    pub fn level_of(&self, acr: &str) -> Option<Vertrauensniveau> {
        self.0.iter().find(|(_, a)| a == acr).map(|(l, _)| *l)
    }

    /// The acr value to request for a level (the first configured).
    pub fn acr_for(&self, level: Vertrauensniveau) -> &str {
        self.0
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, a)| a.as_str())
            .unwrap_or_default()
    }
}

/// A login in progress, kept in the session between `/anmelden` and the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
    pub level: Option<Vertrauensniveau>,
    pub started_at: i64,
}

/// Personal data from the Servicekonto's ID token; passed on only with consent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub street_address: String,
    pub postal_code: String,
    pub locality: String,
}

impl Person {
    /// The address as lines for display.
    pub fn address_lines(&self) -> Vec<String> {
        let city = format!("{} {}", self.postal_code, self.locality)
            .trim()
            .to_string();
        [self.street_address.clone(), city]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect()
    }
}

/// A logged-in citizen, as kept in the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    pub citizen_id: String,
    pub subject: String,
    pub name: String,
    pub person: Person,
    pub level: Vertrauensniveau,
    pub id_token: String,
    pub login_at: i64,
    /// Proves that a form was sent from one of our pages.
    pub csrf: String,
}

/// A random, URL-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    openidconnect::CsrfToken::new_random_len(32)
        .secret()
        .to_string()
}

/// Compares secrets without an early exit.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A return path on the same host: a single leading slash, no scheme, no
/// backslash, no control characters. Anything else becomes `fallback`.
pub fn safe_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 2000
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_map_reads_levels_and_refuses_gaps() {
        let m =
            AcrMap::parse("basisregistrierung=a, substantiell=b,hoch=c,substantiell=b2").unwrap();
        assert_eq!(m.level_of("b2"), Some(Vertrauensniveau::Substantiell));
        assert_eq!(m.level_of("x"), None);
        assert_eq!(m.acr_for(Vertrauensniveau::Substantiell), "b");
        assert!(AcrMap::parse("basisregistrierung=a,hoch=c").is_err());
        assert!(AcrMap::parse("mittel=a").is_err());
    }

    #[test]
    fn next_stays_on_this_host() {
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "x",
            "/a\nb",
        ] {
            assert_eq!(
                safe_next(Some(bad), "/mein-bereich"),
                "/mein-bereich",
                "{bad}"
            );
        }
        assert_eq!(
            safe_next(Some("/leistungen/x?gemeinde=1"), "/"),
            "/leistungen/x?gemeinde=1"
        );
        assert_eq!(safe_next(None, "/"), "/");
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
