//! Official keys, parsed once at the edge and trusted inside.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} „{value}“ ist ungültig: {reason}")]
pub struct KeyError {
    pub what: &'static str,
    pub value: String,
    pub reason: &'static str,
}

fn digits(what: &'static str, value: &str, lengths: &[usize]) -> Result<String, KeyError> {
    let value = value.trim();
    let err = |reason| KeyError {
        what,
        value: value.chars().take(40).collect(),
        reason,
    };
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("nur Ziffern sind erlaubt"));
    }
    if !lengths.contains(&value.len()) {
        return Err(err("falsche Länge"));
    }
    Ok(value.to_string())
}

/// Amtlicher Regionalschlüssel, possibly a prefix naming a larger area:
/// 2 digits Land, 3 Regierungsbezirk, 5 Kreis, 9 Gemeindeverband, 12 Gemeinde.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ars(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ArsLevel {
    Land,
    Regierungsbezirk,
    Kreis,
    Gemeindeverband,
    Gemeinde,
}

impl Ars {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        digits("Regionalschlüssel", value, &[2, 3, 5, 9, 12]).map(Ars)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> ArsLevel {
        match self.0.len() {
            2 => ArsLevel::Land,
            3 => ArsLevel::Regierungsbezirk,
            5 => ArsLevel::Kreis,
            9 => ArsLevel::Gemeindeverband,
            _ => ArsLevel::Gemeinde,
        }
    }

    /// True when `self` is `other` or an area that contains it.
    pub fn contains(&self, other: &Ars) -> bool {
        other.0.starts_with(&self.0)
    }

    pub fn land(&self) -> Ars {
        Ars(self.0[..2].to_string())
    }

    pub fn kreis(&self) -> Option<Ars> {
        (self.0.len() >= 5).then(|| Ars(self.0[..5].to_string()))
    }

    pub fn verband(&self) -> Option<Ars> {
        (self.0.len() >= 9).then(|| Ars(self.0[..9].to_string()))
    }

    /// The 8-digit AGS of a Gemeinde (Land, RB, Kreis, Gemeinde without the Verband).
    pub fn ags(&self) -> Option<Ags> {
        (self.0.len() == 12).then(|| Ags(format!("{}{}", &self.0[..5], &self.0[9..])))
    }
}

impl fmt::Display for Ars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Amtlicher Gemeindeschlüssel, 8 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ags(String);

impl Ags {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        digits("Gemeindeschlüssel", value, &[8]).map(Ags)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Key of the federal service catalogue (LeiKa), 14 digits starting with 99.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeikaKey(String);

impl LeikaKey {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let key = digits("LeiKa-Schlüssel", value, &[14])?;
        if !key.starts_with("99") {
            return Err(KeyError {
                what: "LeiKa-Schlüssel",
                value: key,
                reason: "muss mit 99 beginnen",
            });
        }
        Ok(LeikaKey(key))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// As a plain string in JSON, parsed (and so checked) when read back.
impl serde::Serialize for LeikaKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LeikaKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LeikaKey, D::Error> {
        let s = String::deserialize(d)?;
        LeikaKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

// Lets maps keyed by LeikaKey be read with a plain &str (same hash: the inner String's).
impl std::borrow::Borrow<str> for LeikaKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LeikaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Postleitzahl, 5 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Plz(String);

impl Plz {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        digits("Postleitzahl", value, &[5]).map(Plz)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-case, URL-safe identifier of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let ok = !value.is_empty()
            && value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if ok {
            Ok(TenantSlug(value.to_string()))
        } else {
            Err(KeyError {
                what: "Mandantenkürzel",
                value: value.to_string(),
                reason: "nur a–z, 0–9 und Bindestrich",
            })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trust level an online service requires (Vertrauensniveau).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Vertrauensniveau {
    Basisregistrierung,
    Substantiell,
    Hoch,
}

impl Vertrauensniveau {
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        match value.trim().to_lowercase().as_str() {
            "basisregistrierung" | "niedrig" => Ok(Self::Basisregistrierung),
            "substantiell" => Ok(Self::Substantiell),
            "hoch" => Ok(Self::Hoch),
            _ => Err(KeyError {
                what: "Vertrauensniveau",
                value: value.to_string(),
                reason: "erlaubt sind basisregistrierung, substantiell, hoch",
            }),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basisregistrierung => "basisregistrierung",
            Self::Substantiell => "substantiell",
            Self::Hoch => "hoch",
        }
    }
    /// The short German name, e.g. for "Vertrauensniveau „substantiell“".
    pub fn short_label(self) -> &'static str {
        match self {
            Self::Basisregistrierung => "Basisregistrierung",
            Self::Substantiell => "substantiell",
            Self::Hoch => "hoch",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Basisregistrierung => "Basisregistrierung (Benutzername und Passwort)",
            Self::Substantiell => "substantiell (z. B. ELSTER-Zertifikat)",
            Self::Hoch => "hoch (Online-Ausweisfunktion des Personalausweises)",
        }
    }
}

/// A URL path segment from a German name: "Wohnen & Umzug" → "wohnen-umzug".
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ars_levels_and_containment() {
        let gemeinde = Ars::parse("010585890008").unwrap();
        let amt = Ars::parse("010585890").unwrap();
        let kreis = Ars::parse("01058").unwrap();
        assert_eq!(gemeinde.level(), ArsLevel::Gemeinde);
        assert_eq!(amt.level(), ArsLevel::Gemeindeverband);
        assert!(amt.contains(&gemeinde) && kreis.contains(&amt));
        assert!(!gemeinde.contains(&amt));
        assert_eq!(gemeinde.ags().unwrap().as_str(), "01058008");
        assert_eq!(gemeinde.verband(), Some(amt));
    }

    #[test]
    fn bad_keys_are_refused_with_reason() {
        assert!(Ars::parse("0105").is_err());
        assert!(Ars::parse("01a58").is_err());
        assert!(LeikaKey::parse("12345678901234").is_err());
        assert!(LeikaKey::parse("99050012104000").is_ok());
        assert!(Plz::parse("2436").is_err());
        assert!(TenantSlug::parse("Kiel").is_err());
        assert!(TenantSlug::parse("huettener-berge").is_ok());
    }

    #[test]
    fn slugs_fold_umlauts() {
        assert_eq!(slugify("Wohnen & Umzug"), "wohnen-umzug");
        assert_eq!(slugify("Führerschein"), "fuehrerschein");
        assert_eq!(slugify("  Straße (neu) "), "strasse-neu");
    }
}
