//! The OpenID Connect relying party: authorization code flow with PKCE (S256),
//! `state` and `nonce`, ID token verified (signature, issuer, audience, expiry, acr).

use super::{AcrMap, PendingLogin};
use crate::config::OidcSettings;
use crate::keys::Vertrauensniveau;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType,
    CoreIdToken, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    reqwest, AuthenticationContextClass, AuthenticationFlow, AuthorizationCode, ClientId,
    ClientSecret, CsrfToken, IssuerUrl, LogoutProviderMetadata, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadata, RedirectUrl, Scope,
};
use std::str::FromStr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// RFC 9207: a provider that announces `iss` in its answers must always send it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct IssParameter {
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl openidconnect::AdditionalProviderMetadata for IssParameter {}

/// The ID token algorithms we accept, whatever the provider announces.
const ALLOWED_ALGS: [openidconnect::core::CoreJwsSigningAlgorithm; 3] = [
    openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256,
];

/// Tolerated clock difference to the provider.
const CLOCK_SKEW_SECS: i64 = 60;
/// An ID token is used at once; older ones are replays or clock trouble.
const MAX_TOKEN_AGE_SECS: i64 = 600;

fn issued_recently(iat: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    let age = chrono::Utc::now().signed_duration_since(iat).num_seconds();
    if age < -CLOCK_SKEW_SECS {
        Err("Das Token ist in der Zukunft ausgestellt (iat).".into())
    } else if age > MAX_TOKEN_AGE_SECS {
        Err("Das Token ist zu alt (iat).".into())
    } else {
        Ok(())
    }
}

/// Discovery with the end-session endpoint (RP-initiated logout) and RFC 9207.
type Metadata = ProviderMetadata<
    LogoutProviderMetadata<IssParameter>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The client as built from discovery: auth URL set, token and userinfo endpoints maybe.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Discovery and keys are fetched again after this long, or at once on an unknown key.
const METADATA_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("Das Servicekonto ist nicht erreichbar: {0}")]
    Unreachable(String),
    #[error("Konfiguration: {0}")]
    Config(String),
    #[error("Das Servicekonto hat den Anmeldecode nicht angenommen: {0}")]
    Exchange(String),
    #[error("Die Antwort des Servicekontos ist ungültig: {0}")]
    Token(String),
    /// Possibly a key the provider rotated in since discovery: worth one more try.
    #[error("Die Antwort des Servicekontos ist ungültig: {0}")]
    Signature(String),
}

/// What a verified ID token says about the citizen.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct VerifiedLogin {
    pub issuer: String,
    pub subject: String,
    pub level: Vertrauensniveau,
    pub person: super::Person,
    pub id_token: String,
}

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    /// Levels of assurance: the citizens' Servicekonto has them; the editors'
    /// identity provider need not.
    acr: Option<AcrMap>,
    pub account_url: Option<String>,
    http: reqwest::Client,
    metadata: RwLock<Option<(Metadata, Instant)>>,
}

impl Oidc {
    /// `None` when no issuer is configured: the portal then offers no login.
    pub fn from_settings(s: &OidcSettings) -> Result<Option<Oidc>, String> {
        let Some(issuer) = s.issuer.as_deref().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let issuer = IssuerUrl::new(issuer.to_string()).map_err(|e| format!("OIDC_ISSUER: {e}"))?;
        let http = reqwest::ClientBuilder::new()
            // Following redirects would let the provider's answers point anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Some(Oidc {
            issuer,
            client_id: ClientId::new(s.client_id.clone()),
            client_secret: s.client_secret.clone().map(ClientSecret::new),
            acr: Some(AcrMap::parse(&s.acr_values)?),
            account_url: s.account_url.clone().filter(|u| !u.is_empty()),
            http,
            metadata: RwLock::new(None),
        }))
    }

    /// The operator's identity provider for editors: the same checks, no
    /// levels of assurance. `None` without an issuer: no editor login.
    pub fn for_editors(
        issuer: Option<&str>,
        client_id: &str,
        client_secret: Option<&str>,
    ) -> Result<Option<Oidc>, String> {
        let settings = OidcSettings {
            issuer: issuer.map(String::from),
            client_id: client_id.to_string(),
            client_secret: client_secret.map(String::from),
            ..OidcSettings::none()
        };
        Ok(Self::from_settings(&settings)?.map(|o| Oidc { acr: None, ..o }))
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// Whether the provider promises `iss` in every authorization response.
    pub async fn sends_iss(&self) -> Result<bool, OidcError> {
        let m = self.metadata(false).await?;
        Ok(m.additional_metadata()
            .additional_metadata
            .authorization_response_iss_parameter_supported
            .unwrap_or(false))
    }

    /// The issuer's origin, for the Content-Security-Policy's form-action (logout is a form).
    pub fn origin(&self) -> String {
        let url = self.issuer.url();
        url.origin().ascii_serialization()
    }

    async fn metadata(&self, fresh: bool) -> Result<Metadata, OidcError> {
        if !fresh {
            let cached = self.metadata.read().unwrap_or_else(|e| e.into_inner());
            if let Some((m, at)) = cached.as_ref() {
                if at.elapsed() < METADATA_TTL {
                    return Ok(m.clone());
                }
            }
        }
        let m = Metadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        *self.metadata.write().unwrap_or_else(|e| e.into_inner()) =
            Some((m.clone(), Instant::now()));
        Ok(m)
    }

    fn client(&self, m: Metadata, redirect: &str) -> Result<Client, OidcError> {
        let redirect =
            RedirectUrl::new(redirect.to_string()).map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            m,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the citizen, and what to remember until they come back.
    pub async fn begin(
        &self,
        redirect: &str,
        next: String,
        level: Option<Vertrauensniveau>,
        now: i64,
    ) -> Result<(String, PendingLogin), OidcError> {
        let client = self.client(self.metadata(false).await?, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("address".into()))
            .set_pkce_challenge(challenge);
        if let Some(acr) = &self.acr {
            let wanted = level.unwrap_or(Vertrauensniveau::Basisregistrierung);
            request = request.add_auth_context_value(AuthenticationContextClass::new(
                acr.acr_for(wanted).to_string(),
            ));
        }
        let (url, state, nonce) = request.url();
        Ok((
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next,
                level,
                started_at: now,
            },
        ))
    }

    /// Exchanges the code and verifies the ID token. `state` is checked by the caller.
    pub async fn finish(
        &self,
        redirect: &str,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<VerifiedLogin, OidcError> {
        let client = self.client(self.metadata(false).await?, redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(exchange_reason(&e)))?;
        let id_token = response
            .extra_fields()
            .id_token()
            .ok_or_else(|| OidcError::Token("kein ID-Token erhalten".into()))?
            .clone();
        match self.verify(&client, &id_token, pending) {
            // An unknown key may be a rotation at the provider: fetch the keys once more.
            Err(OidcError::Signature(_)) => {
                let client = self.client(self.metadata(true).await?, redirect)?;
                self.verify(&client, &id_token, pending)
            }
            other => other,
        }
    }

    fn verify(
        &self,
        client: &Client,
        id_token: &CoreIdToken,
        pending: &PendingLogin,
    ) -> Result<VerifiedLogin, OidcError> {
        let acr_map = self.acr.clone();
        let needs_acr = acr_map.is_some();
        // The crate's default accepts any acr; only configured values grant a level.
        // The algorithms come from our allow-list, never from the provider's
        // metadata; and a token must have been issued just now.
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs(ALLOWED_ALGS)
            .set_issue_time_verifier_fn(issued_recently)
            .set_auth_context_verifier_fn(move |acr| match (&acr_map, acr) {
                (None, _) => Ok(()),
                (Some(map), Some(a)) if map.level_of(a).is_some() => Ok(()),
                (Some(_), Some(a)) => Err(format!(
                    "unbekanntes Vertrauensniveau (acr) „{}“",
                    a.as_str()
                )),
                (Some(_), None) => Err("kein Vertrauensniveau (acr) im Token".into()),
            });
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| match e {
                openidconnect::ClaimsVerificationError::SignatureVerification(_) => {
                    OidcError::Signature(verification_reason(&e))
                }
                _ => OidcError::Token(verification_reason(&e)),
            })?;
        let level = match &self.acr {
            Some(map) => claims
                .auth_context_ref()
                .and_then(|a| map.level_of(a.as_str()))
                .ok_or_else(|| OidcError::Token("kein bekanntes Vertrauensniveau".into()))?,
            None if !needs_acr => Vertrauensniveau::Basisregistrierung,
            None => return Err(OidcError::Token("kein bekanntes Vertrauensniveau".into())),
        };
        let localized = |c: Option<&openidconnect::LocalizedClaim<_>>| -> String {
            c.and_then(|n| n.get(None))
                .map(|n: &openidconnect::EndUserName| n.as_str().to_string())
                .unwrap_or_default()
        };
        let address = claims.address();
        let field = |f: Option<&String>| f.cloned().unwrap_or_default();
        let mut person = super::Person {
            name: localized(claims.name()),
            given_name: claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            family_name: claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            email: claims
                .email()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
            street_address: field(address.and_then(|a| a.street_address.as_deref())),
            postal_code: field(address.and_then(|a| a.postal_code.as_deref())),
            locality: field(address.and_then(|a| a.locality.as_deref())),
        };
        // Servicekonten usually send no `name`, only its parts.
        if person.name.trim().is_empty() {
            person.name = format!("{} {}", person.given_name, person.family_name)
                .trim()
                .to_string();
        }
        Ok(VerifiedLogin {
            issuer: claims.issuer().as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            level,
            person,
            id_token: id_token.to_string(),
        })
    }

    /// The provider's logout URL (RP-initiated logout), if it offers one.
    /// `state` comes back to `post_logout` unchanged.
    pub async fn logout_url(
        &self,
        id_token: &str,
        post_logout: &str,
        state: Option<&str>,
    ) -> Option<String> {
        let m = self.metadata(false).await.ok()?;
        let endpoint = m.additional_metadata().end_session_endpoint.clone()?;
        let mut request = openidconnect::LogoutRequest::from(endpoint);
        if let Ok(token) = CoreIdToken::from_str(id_token) {
            request = request.set_id_token_hint(&token);
        }
        if let Ok(url) = PostLogoutRedirectUrl::new(post_logout.to_string()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        if let Some(state) = state {
            request = request.set_state(openidconnect::CsrfToken::new(state.to_string()));
        }
        Some(request.http_get_url().to_string())
    }
}

fn exchange_reason<E: std::error::Error>(e: &E) -> String {
    match e.source() {
        Some(s) => format!("{e} ({s})"),
        None => e.to_string(),
    }
}

fn verification_reason(e: &openidconnect::ClaimsVerificationError) -> String {
    use openidconnect::ClaimsVerificationError as E;
    match e {
        E::SignatureVerification(s) => format!("Signatur ungültig ({s})"),
        // Our own `iat` check reports through the same variant as `exp`.
        E::Expired(s) if s.contains("(iat)") => s.clone(),
        E::Expired(_) => "Token abgelaufen".into(),
        E::InvalidAudience(_) => "Token ist für einen anderen Empfänger ausgestellt".into(),
        E::InvalidIssuer(_) => "Token stammt von einem anderen Aussteller".into(),
        E::InvalidNonce(_) => "Nonce passt nicht zu dieser Anmeldung".into(),
        E::InvalidAuthContext(s) => s.clone(),
        other => other.to_string(),
    }
}
