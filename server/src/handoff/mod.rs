//! Hand-off to online application forms hosted by form providers: consent,
//! a signed single-use token for the provider's audience, and the return
//! channel through which providers report status and send messages.

pub mod applications;
pub mod keys;
pub mod providers;

pub use keys::KeySet;
pub use providers::{Delivery, Provider, Providers};

use crate::auth::{random_token, Person};

/// Hand-off tokens are short-lived: the browser follows them at once.
pub const TOKEN_LIFETIME_SECS: i64 = 300;

/// What the portal tells the provider. Personal data only with consent.
pub struct Handoff<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub application: &'a str,
    pub leika: &'a str,
    pub service_name: &'a str,
    pub ars: &'a str,
    pub place_name: &'a str,
    pub office: Option<&'a str>,
    pub tenant: &'a str,
    pub return_url: &'a str,
    pub person: Option<&'a Person>,
}

impl Handoff<'_> {
    pub fn claims(&self, now: i64) -> serde_json::Value {
        let mut claims = serde_json::json!({
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "jti": random_token(),
            "vorgang": self.application,
            "leika": self.leika,
            "leistung": self.service_name,
            "ars": self.ars,
            "gemeinde": self.place_name,
            "mandant": self.tenant,
            "rueckkehr_url": self.return_url,
            "einwilligung": self.person.is_some(),
        });
        if let Some(office) = self.office {
            claims["behoerde"] = office.into();
        }
        if let Some(p) = self.person {
            let mut address = serde_json::Map::new();
            for (k, v) in [
                ("street_address", &p.street_address),
                ("postal_code", &p.postal_code),
                ("locality", &p.locality),
            ] {
                if !v.is_empty() {
                    address.insert(k.into(), v.clone().into());
                }
            }
            let mut person = serde_json::Map::new();
            for (k, v) in [
                ("name", &p.name),
                ("given_name", &p.given_name),
                ("family_name", &p.family_name),
                ("email", &p.email),
            ] {
                if !v.is_empty() {
                    person.insert(k.into(), v.clone().into());
                }
            }
            if !address.is_empty() {
                person.insert("address".into(), address.into());
            }
            claims["person"] = person.into();
        }
        claims
    }
}

/// Each provider delivers messages and status reports as a sender with the
/// credential the operator configured (only its hash is known here); that
/// credential serves only the return channel. Providers whose configuration
/// is gone are disabled, and so is any sender with the published demo
/// credential outside demo mode.
pub async fn register_senders(
    store: &crate::store::Store,
    providers: &Providers,
    demo: bool,
    now: i64,
) -> Result<(), crate::store::StoreError> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE postfach_senders SET disabled_at = $1 WHERE kind = 'anbieter' AND disabled_at IS NULL",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for p in providers.all() {
        sqlx::query(
            "INSERT INTO postfach_senders (id, name, credential_sha256, created_at, kind, areas) \
             VALUES ($1, $2, $3, $4, 'anbieter', '') \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, credential_sha256 = excluded.credential_sha256, \
             kind = 'anbieter', areas = '', disabled_at = NULL",
        )
        .bind(p.sender_id())
        .bind(&p.name)
        .bind(p.zugang_sha256.to_ascii_lowercase())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if !demo {
        sqlx::query(
            "UPDATE postfach_senders SET disabled_at = $1 WHERE credential_sha256 = $2 AND disabled_at IS NULL",
        )
        .bind(now)
        .bind(providers::DEMO_CREDENTIAL_SHA256)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(person: Option<&Person>) -> serde_json::Value {
        Handoff {
            issuer: "iss",
            audience: "aud",
            application: "BP-1",
            leika: "99102013002000",
            service_name: "Hund anmelden",
            ars: "010020000000",
            place_name: "Kiel",
            office: Some("Landeshauptstadt Kiel"),
            tenant: "kiel",
            return_url: "http://kiel.localhost/mein-bereich/antraege",
            person,
        }
        .claims(1000)
    }

    #[test]
    fn without_consent_no_personal_data_is_in_the_token() {
        let claims = handoff(None);
        assert_eq!(claims["einwilligung"], false);
        assert!(claims.get("person").is_none());
        assert_eq!(claims["exp"], 1000 + TOKEN_LIFETIME_SECS);
    }

    #[test]
    fn with_consent_the_person_is_passed() {
        let p = Person {
            name: "Erika Mustermann".into(),
            family_name: "Mustermann".into(),
            postal_code: "24103".into(),
            ..Person::default()
        };
        let claims = handoff(Some(&p));
        assert_eq!(claims["einwilligung"], true);
        assert_eq!(claims["person"]["family_name"], "Mustermann");
        assert_eq!(claims["person"]["address"]["postal_code"], "24103");
        assert!(
            claims["person"].get("email").is_none(),
            "empty claims are left out"
        );
    }
}
