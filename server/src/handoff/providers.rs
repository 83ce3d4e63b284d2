//! Form providers, configured by the operator in a TOML file. An online service
//! belongs to the provider whose catalogue prefix its URL starts with.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// The browser posts the token to the form URL in a form body; never in a URL.
    Formular,
    /// The token is posted server-to-server; the URL carries only a one-time cache id.
    Zwischenspeicher,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub name: String,
    /// Online service URLs in the catalogue that start with this belong to the provider.
    pub katalog_praefix: String,
    /// Where the provider is reached; replaces the prefix (default: unchanged).
    #[serde(default)]
    pub basis_url: Option<String>,
    pub audience: String,
    pub uebergabe: Delivery,
    /// For `zwischenspeicher`: where the portal posts the token.
    #[serde(default)]
    pub zwischenspeicher_url: Option<String>,
    /// SHA-256 (hex) of the credential the provider uses for the return channel.
    pub zugang_sha256: String,
}

impl Provider {
    /// The sender id under which its messages and status reports are accepted.
    pub fn sender_id(&self) -> String {
        format!("anbieter:{}", self.id)
    }

    /// The form URL the citizen is sent to, for a catalogue URL of this provider.
    pub fn form_url(&self, catalogue_url: &str) -> String {
        let rest = &catalogue_url[self.katalog_praefix.len()..];
        match &self.basis_url {
            Some(base) => format!("{base}{rest}"),
            None => catalogue_url.to_string(),
        }
    }

    /// The origin of the form URLs, for the Content-Security-Policy's form-action.
    pub fn origin(&self) -> Option<String> {
        let url = self.basis_url.as_deref().unwrap_or(&self.katalog_praefix);
        let scheme_end = url.find("://")? + 3;
        let end = url[scheme_end..]
            .find('/')
            .map(|i| scheme_end + i)
            .unwrap_or(url.len());
        Some(url[..end].to_string())
    }
}

/// SHA-256 of the demo provider's credential, which is published in the
/// repository (`catalogue/formularanbieter.toml`): live only in demo mode.
pub const DEMO_CREDENTIAL_SHA256: &str =
    "f13187bb530aee883947f1363ed3a1590fc694844542b0e5c6a26d1d9ef06d89";

#[derive(Debug, Clone, Default)]
pub struct Providers(Vec<Provider>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    anbieter: Vec<Provider>,
}

impl Providers {
    pub fn parse(name: &str, text: &str) -> Result<Providers, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for p in &file.anbieter {
            let bad = |what: &str| Err(format!("{name}: Anbieter „{}“: {what}", p.id));
            if p.id.is_empty() || !p.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return bad("id nur aus Buchstaben, Ziffern und Bindestrich");
            }
            if !(p.katalog_praefix.starts_with("http://")
                || p.katalog_praefix.starts_with("https://"))
            {
                return bad("katalog_praefix muss eine http(s)-URL sein");
            }
            if p.uebergabe == Delivery::Zwischenspeicher && p.zwischenspeicher_url.is_none() {
                return bad("uebergabe = \"zwischenspeicher\" braucht zwischenspeicher_url");
            }
            if p.zugang_sha256.len() != 64
                || !p.zugang_sha256.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return bad("zugang_sha256 muss ein SHA-256 in Hex sein (64 Zeichen)");
            }
            if p.audience.is_empty() {
                return bad("audience fehlt");
            }
        }
        Ok(Providers(file.anbieter))
    }

    /// Reads the configured file (none: no providers). The published demo
    /// credential is refused unless the portal runs in demo mode.
    pub fn load(path: Option<&Path>, demo: bool) -> Result<Providers, String> {
        let Some(path) = path else {
            return Ok(Providers::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("FORM_PROVIDERS_FILE {}: {e}", path.display()))?;
        let providers = Self::parse(&path.display().to_string(), &text)?;
        if !demo {
            if let Some(p) = providers
                .all()
                .iter()
                .find(|p| p.zugang_sha256.eq_ignore_ascii_case(DEMO_CREDENTIAL_SHA256))
            {
                return Err(format!(
                    "{}: Der Formularanbieter „{}“ nutzt die veröffentlichte Demo-Zugangskennung; sie gilt nur im Demo-Modus (DEMO=true).",
                    path.display(),
                    p.id
                ));
            }
        }
        Ok(providers)
    }

    pub fn all(&self) -> &[Provider] {
        &self.0
    }

    pub fn by_id(&self, id: &str) -> Option<&Provider> {
        self.0.iter().find(|p| p.id == id)
    }

    /// The provider of an online service URL (the longest matching prefix).
    pub fn for_url(&self, url: &str) -> Option<&Provider> {
        self.0
            .iter()
            .filter(|p| url.starts_with(&p.katalog_praefix))
            .max_by_key(|p| p.katalog_praefix.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn file(extra: &str) -> String {
        format!(
            "[[anbieter]]\nid = \"ref\"\nname = \"Referenz\"\nkatalog_praefix = \"http://formulare.localhost:3001/\"\n\
             audience = \"urn:x\"\nzugang_sha256 = \"{HASH}\"\n{extra}"
        )
    }

    #[test]
    fn maps_catalogue_urls_to_the_provider_and_its_base() {
        let p = Providers::parse(
            "t",
            &file("uebergabe = \"formular\"\nbasis_url = \"http://formulare.localhost:4000/\""),
        )
        .unwrap();
        let provider = p
            .for_url("http://formulare.localhost:3001/antrag/99")
            .unwrap();
        assert_eq!(
            provider.form_url("http://formulare.localhost:3001/antrag/99"),
            "http://formulare.localhost:4000/antrag/99"
        );
        assert_eq!(
            provider.origin().as_deref(),
            Some("http://formulare.localhost:4000")
        );
        assert!(p.for_url("http://anderswo.example/antrag").is_none());
    }

    #[test]
    fn the_published_demo_credential_works_only_in_demo_mode() {
        let dir = std::env::temp_dir().join(format!("bp-providers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("anbieter.toml");
        std::fs::write(
            &path,
            file("uebergabe = \"formular\"").replace(HASH, DEMO_CREDENTIAL_SHA256),
        )
        .unwrap();
        let err = Providers::load(Some(&path), false).unwrap_err();
        assert!(err.contains("Demo-Modus"), "{err}");
        assert_eq!(Providers::load(Some(&path), true).unwrap().all().len(), 1);
        assert!(Providers::load(None, false).unwrap().all().is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn refuses_incomplete_providers() {
        let err = Providers::parse("t", &file("uebergabe = \"zwischenspeicher\"")).unwrap_err();
        assert!(err.contains("zwischenspeicher_url"), "{err}");
        assert!(Providers::parse("t", &file("uebergabe = \"fax\"")).is_err());
        assert!(Providers::parse("t", &file("uebergabe = \"url\"")).is_err());
    }
}
