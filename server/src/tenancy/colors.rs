//! Brand colours as typed values: parsed from `#rrggbb` at the edge, written
//! into CSS only through their own formatting, and checked against WCAG 2.1.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An sRGB colour; its only text form is `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

pub const WHITE: Rgb = Rgb([255, 255, 255]);

/// Text on a coloured area (the header, buttons): WCAG 1.4.3.
pub const TEXT_CONTRAST: f64 = 4.5;
/// Controls and focus rings against the page: WCAG 1.4.11.
pub const CONTROL_CONTRAST: f64 = 3.0;

impl Rgb {
    pub fn parse(value: &str) -> Option<Rgb> {
        let hex = value.trim().strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb([byte(0)?, byte(2)?, byte(4)?]))
    }

    fn luminance(self) -> f64 {
        let ch = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(self.0[0]) + 0.7152 * ch(self.0[1]) + 0.0722 * ch(self.0[2])
    }

    /// The WCAG 2.1 contrast ratio of two colours.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The colour scaled towards black by `factor` (0 = black, 1 = unchanged).
    pub fn darker(self, factor: f64) -> Rgb {
        let f = |v: u8| (f64::from(v) * factor).round().clamp(0.0, 255.0) as u8;
        Rgb([f(self.0[0]), f(self.0[1]), f(self.0[2])])
    }

    /// The lightest darkening of this colour that reaches `needed` against `background`:
    /// what an editor is offered when a colour is refused.
    pub fn darkened_to(self, background: Rgb, needed: f64) -> Rgb {
        (0..=100)
            .rev()
            .map(|p| self.darker(f64::from(p) / 100.0))
            .find(|c| c.contrast(background) >= needed)
            .unwrap_or(Rgb([0, 0, 0]))
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }
}

impl Serialize for Rgb {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rgb, D::Error> {
        let s = String::deserialize(d)?;
        Rgb::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("„{s}“ ist keine Farbe der Form #rrggbb"))
        })
    }
}

/// Why a colour pair was refused: which colour, the measured ratio, what is
/// needed, and a colour that passes.
#[derive(Debug, Clone, PartialEq)]
pub struct ContrastProblem {
    pub field: &'static str,
    pub what: &'static str,
    pub ratio: f64,
    pub needed: f64,
    pub suggestion: Rgb,
}

impl std::fmt::Display for ContrastProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: Kontrast {:.2}:1, nötig sind mindestens {}:1. Vorschlag, der passt: {}",
            self.what, self.ratio, self.needed, self.suggestion
        )
    }
}

/// Checks a brand: white text on the primary colour and its dark variant,
/// and the accent (controls, focus rings) against the white page.
pub fn check_brand(primary: Rgb, primary_dark: Rgb, accent: Rgb) -> Vec<ContrastProblem> {
    let mut out = Vec::new();
    for (field, what, colour, needed) in [
        (
            "primary",
            "Weiße Schrift auf der Hauptfarbe",
            primary,
            TEXT_CONTRAST,
        ),
        (
            "primary_dark",
            "Weiße Schrift auf der dunklen Hauptfarbe",
            primary_dark,
            TEXT_CONTRAST,
        ),
        (
            "accent",
            "Akzentfarbe (Bedienelemente, Fokusrahmen) auf Weiß",
            accent,
            CONTROL_CONTRAST,
        ),
    ] {
        let ratio = colour.contrast(WHITE);
        if ratio < needed {
            out.push(ContrastProblem {
                field,
                what,
                ratio,
                needed,
                suggestion: colour.darkened_to(WHITE, needed),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_examples() {
        assert!((Rgb([0, 0, 0]).contrast(WHITE) - 21.0).abs() < 0.01);
        assert!((Rgb([0x76, 0x76, 0x76]).contrast(WHITE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn only_hex_colours_parse_and_they_print_as_hex() {
        assert_eq!(Rgb::parse("#00508C"), Some(Rgb([0, 0x50, 0x8c])));
        assert_eq!(Rgb::parse("#00508C").unwrap().to_string(), "#00508c");
        for bad in [
            "red",
            "#00508",
            "#00508CC",
            "00508C",
            "#0050 8",
            "#ä0508C",
            "#00508C;}",
        ] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_refused_colour_comes_with_a_suggestion_that_passes() {
        let light = Rgb::parse("#7fb2e5").unwrap();
        let problems = check_brand(light, light.darker(0.8), Rgb::parse("#ffe680").unwrap());
        assert_eq!(problems.len(), 3);
        for p in &problems {
            assert!(p.ratio < p.needed);
            assert!(p.suggestion.contrast(WHITE) >= p.needed, "{p}");
        }
        assert!(check_brand(
            Rgb::parse("#00508c").unwrap(),
            Rgb::parse("#003a66").unwrap(),
            Rgb::parse("#008a94").unwrap()
        )
        .is_empty());
    }
}
