//! The application form: its fields, prefilling from the Servicekonto,
//! validation with German messages, and the accessible markup.

use crate::html::{self, esc};
use crate::token::{Claims, Person};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

pub const PREFILLED: &str = "aus dem Servicekonto übernommen";
pub const NOT_TRANSMITTED: &str = "nicht übermittelt";

/// What the citizen typed (or what was prefilled).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Eingaben {
    pub vorname: String,
    pub nachname: String,
    pub strasse: String,
    pub plz: String,
    pub ort: String,
    pub email: String,
    pub anliegen: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Email,
    Numeric,
    Textarea,
}

struct Field {
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    required: bool,
    kind: Kind,
}

const fn field(
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    required: bool,
    kind: Kind,
) -> Field {
    Field {
        name,
        label,
        autocomplete,
        required,
        kind,
    }
}

const PERSON_FIELDS: [Field; 6] = [
    field("vorname", "Vorname", "given-name", false, Kind::Text),
    field("nachname", "Nachname", "family-name", true, Kind::Text),
    field(
        "strasse",
        "Straße und Hausnummer",
        "street-address",
        false,
        Kind::Text,
    ),
    field("plz", "PLZ", "postal-code", true, Kind::Numeric),
    field("ort", "Ort", "address-level2", true, Kind::Text),
    field("email", "E-Mail", "email", false, Kind::Email),
];
const ANLIEGEN: Field = field("anliegen", "Ihr Anliegen", "off", false, Kind::Textarea);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

fn or_empty(value: &Option<String>) -> String {
    value.as_deref().unwrap_or_default().trim().to_string()
}

impl Eingaben {
    /// Prefills from the Servicekonto's data; without consent, everything stays empty.
    pub fn from_person(person: Option<&Person>) -> Eingaben {
        let Some(p) = person else {
            return Eingaben::default();
        };
        let address = p.address.as_ref();
        let addr = |f: fn(&crate::token::Address) -> &Option<String>| {
            address.map(|a| or_empty(f(a))).unwrap_or_default()
        };
        Eingaben {
            vorname: or_empty(&p.given_name),
            nachname: or_empty(&p.family_name),
            strasse: addr(|a| &a.street_address),
            plz: addr(|a| &a.postal_code),
            ort: addr(|a| &a.locality),
            email: or_empty(&p.email),
            anliegen: String::new(),
        }
    }

    pub fn trimmed(self) -> Eingaben {
        Eingaben {
            vorname: self.vorname.trim().into(),
            nachname: self.nachname.trim().into(),
            strasse: self.strasse.trim().into(),
            plz: self.plz.trim().into(),
            ort: self.ort.trim().into(),
            email: self.email.trim().into(),
            anliegen: self.anliegen.trim().into(),
        }
    }

    fn get(&self, name: &str) -> &str {
        match name {
            "vorname" => &self.vorname,
            "nachname" => &self.nachname,
            "strasse" => &self.strasse,
            "plz" => &self.plz,
            "ort" => &self.ort,
            "email" => &self.email,
            _ => &self.anliegen,
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.vorname, self.nachname)
            .trim()
            .to_string()
    }
}

fn plausible_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// The errors in field order; empty when the form may be submitted.
pub fn validate(e: &Eingaben) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |field, message| errors.push(FieldError { field, message });
    if e.nachname.is_empty() {
        fail("nachname", "Bitte geben Sie Ihren Nachnamen an.");
    }
    if e.plz.is_empty() {
        fail("plz", "Bitte geben Sie Ihre Postleitzahl an.");
    } else if e.plz.len() != 5 || !e.plz.bytes().all(|b| b.is_ascii_digit()) {
        fail(
            "plz",
            "Die Postleitzahl besteht aus fünf Ziffern, zum Beispiel 24103.",
        );
    }
    if e.ort.is_empty() {
        fail("ort", "Bitte geben Sie Ihren Wohnort an.");
    }
    if !e.email.is_empty() && !plausible_email(&e.email) {
        fail(
            "email",
            "Bitte geben Sie eine E-Mail-Adresse wie name@beispiel.de an oder lassen Sie das Feld leer.",
        );
    }
    errors
}

/// Everything the form page shows.
pub struct FormView<'a> {
    pub claims: &'a Claims,
    pub submission_id: &'a str,
    pub eingaben: &'a Eingaben,
    /// What came from the Servicekonto, to mark fields still holding it.
    pub prefilled: &'a Eingaben,
    pub errors: &'a [FieldError],
}

impl FormView<'_> {
    pub fn render(&self) -> String {
        let c = self.claims;
        let title = format!("Antrag: {}", c.leistung);
        let page_title = if self.errors.is_empty() {
            title.clone()
        } else {
            format!("Fehler: {title}")
        };
        let mut main = format!("<h1>{}</h1>\n", esc(&title));
        main.push_str(&self.error_summary());
        main.push_str(&handed_over(c));
        main.push_str(&self.form());
        html::page(&page_title, &main)
    }

    fn error_of(&self, name: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message)
    }

    fn error_summary(&self) -> String {
        if self.errors.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "<div class=\"fehlerliste\" role=\"alert\" aria-labelledby=\"fehler-titel\">\n\
             <h2 id=\"fehler-titel\">Bitte prüfen Sie Ihre Angaben</h2>\n<ul>\n",
        );
        for e in self.errors {
            let label = all_fields()
                .find(|f| f.name == e.field)
                .map_or(e.field, |f| f.label);
            let _ = writeln!(
                out,
                "<li><a href=\"#{}\">{}: {}</a></li>",
                e.field,
                esc(label),
                esc(e.message)
            );
        }
        out.push_str("</ul>\n</div>\n");
        out
    }

    fn form(&self) -> String {
        let mut out = format!(
            "<form method=\"post\" action=\"/antrag/{}/absenden\" novalidate>\n\
             <input type=\"hidden\" name=\"uebergabe\" value=\"{}\">\n\
             <h2>Ihre Angaben</h2>\n{}\
             <p>Pflichtfelder sind mit „(Pflichtfeld)“ gekennzeichnet.</p>\n\
             <fieldset>\n<legend>Angaben zu Ihrer Person</legend>\n",
            esc(&self.claims.leika),
            esc(self.submission_id),
            consent_note(self.claims)
        );
        for f in &PERSON_FIELDS {
            out.push_str(&self.field(f));
        }
        out.push_str("</fieldset>\n");
        out.push_str(&self.field(&ANLIEGEN));
        out.push_str("<button type=\"submit\">Antrag absenden</button>\n</form>\n");
        out
    }

    fn field(&self, f: &Field) -> String {
        let value = self.eingaben.get(f.name);
        let prefilled = self.prefilled.get(f.name);
        let marked = !prefilled.is_empty() && value == prefilled;
        let error = self.error_of(f.name);
        let mut described = Vec::new();
        let mut out = format!(
            "<div class=\"feld\">\n<label for=\"{}\">{}",
            f.name,
            esc(f.label)
        );
        if f.required {
            out.push_str(" <span class=\"pflicht\">(Pflichtfeld)</span>");
        }
        out.push_str("</label>\n");
        if marked {
            let _ = writeln!(
                out,
                "<p class=\"hinweis\" id=\"{}-hinweis\">{PREFILLED}</p>",
                f.name
            );
            described.push(format!("{}-hinweis", f.name));
        }
        if let Some(message) = error {
            let _ = writeln!(
                out,
                "<p class=\"feldfehler\" id=\"{}-fehler\"><span class=\"unsichtbar\">Fehler: </span>{}</p>",
                f.name,
                esc(message)
            );
            described.push(format!("{}-fehler", f.name));
        }
        let mut attrs = format!(
            "id=\"{0}\" name=\"{0}\" autocomplete=\"{1}\"",
            f.name, f.autocomplete
        );
        if f.required {
            attrs.push_str(" required");
        }
        if error.is_some() {
            attrs.push_str(" aria-invalid=\"true\"");
        }
        if !described.is_empty() {
            let _ = write!(attrs, " aria-describedby=\"{}\"", described.join(" "));
        }
        out.push_str(&control(f.kind, &attrs, value));
        out.push_str("</div>\n");
        out
    }
}

fn all_fields() -> impl Iterator<Item = &'static Field> {
    PERSON_FIELDS.iter().chain(std::iter::once(&ANLIEGEN))
}

fn control(kind: Kind, attrs: &str, value: &str) -> String {
    let value = esc(value);
    match kind {
        Kind::Textarea => format!("<textarea {attrs} rows=\"6\">{value}</textarea>\n"),
        Kind::Email => format!("<input type=\"email\" {attrs} value=\"{value}\">\n"),
        Kind::Numeric => format!(
            "<input type=\"text\" inputmode=\"numeric\" class=\"kurz\" {attrs} value=\"{value}\">\n"
        ),
        Kind::Text => format!("<input type=\"text\" {attrs} value=\"{value}\">\n"),
    }
}

fn handed_over(c: &Claims) -> String {
    let office = c
        .behoerde
        .clone()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| NOT_TRANSMITTED.into());
    format!(
        "<section aria-labelledby=\"uebermittelt\">\n<h2 id=\"uebermittelt\">Vom Bürgerportal übermittelt</h2>\n{}\n</section>\n",
        html::facts(&[
            ("Leistung", c.leistung.clone()),
            ("Leistungsschlüssel", c.leika.clone()),
            ("Gemeinde", c.gemeinde.clone()),
            ("Regionalschlüssel", c.ars.clone()),
            ("Zuständige Stelle", office),
            ("Vorgangsnummer", c.vorgang.clone()),
        ])
    )
}

fn consent_note(c: &Claims) -> &'static str {
    if c.consented_person().is_some() {
        "<p>Angaben mit dem Hinweis „aus dem Servicekonto übernommen“ stammen aus Ihrem Servicekonto. Bitte prüfen Sie sie; Sie können sie ändern.</p>\n"
    } else {
        "<p>Sie haben der Übermittlung Ihrer Daten aus dem Servicekonto nicht zugestimmt. Bitte füllen Sie die Felder selbst aus.</p>\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Address;

    fn claims(person: Option<serde_json::Value>) -> Claims {
        let mut c = serde_json::json!({
            "iss": "i", "aud": "a", "iat": 1, "nbf": 1, "exp": 301, "jti": "j",
            "vorgang": "BP-<1>", "leika": "99123456789012", "leistung": "Hund & Katze anmelden",
            "ars": "010020000000", "gemeinde": "Kiel", "mandant": "kiel",
            "rueckkehr_url": "http://p/", "einwilligung": person.is_some()
        });
        if let Some(p) = person {
            c["person"] = p;
        }
        serde_json::from_value(c).unwrap()
    }

    fn person() -> Person {
        Person {
            name: Some("Erika Mustermann".into()),
            given_name: Some("Erika".into()),
            family_name: Some("Mustermann".into()),
            email: None,
            address: Some(Address {
                street_address: Some("Heidestraße 17".into()),
                postal_code: Some("24103".into()),
                locality: None,
            }),
        }
    }

    #[test]
    fn prefills_what_the_person_has() {
        let e = Eingaben::from_person(Some(&person()));
        assert_eq!(e.vorname, "Erika");
        assert_eq!(e.strasse, "Heidestraße 17");
        assert_eq!(e.ort, "");
        assert_eq!(Eingaben::from_person(None), Eingaben::default());
    }

    #[test]
    fn validates_required_fields_and_formats() {
        let errors = validate(&Eingaben {
            plz: "2410".into(),
            email: "kein at".into(),
            ..Eingaben::default()
        });
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["nachname", "plz", "ort", "email"]);
        let ok = Eingaben {
            nachname: "Muster".into(),
            plz: "24103".into(),
            ort: "Kiel".into(),
            email: "a@b.de".into(),
            ..Eingaben::default()
        };
        assert!(validate(&ok).is_empty());
    }

    #[test]
    fn renders_escaped_marked_and_accessible() {
        let c = claims(Some(serde_json::json!({})));
        let prefilled = Eingaben::from_person(Some(&person()));
        let eingaben = Eingaben {
            vorname: "Erika".into(),
            nachname: "\"><script>".into(),
            ..prefilled.clone()
        };
        let errors = validate(&eingaben);
        let html = FormView {
            claims: &c,
            submission_id: "s1",
            eingaben: &eingaben,
            prefilled: &prefilled,
            errors: &errors,
        }
        .render();
        assert!(!html.contains("<script>"));
        assert!(html.contains("Hund &amp; Katze anmelden"));
        assert!(html.contains("BP-&lt;1&gt;"));
        assert!(html.contains(NOT_TRANSMITTED));
        assert_eq!(html.matches("<h1>").count(), 1);
        // Vorname still holds the prefilled value; Nachname was changed.
        assert!(html.contains("id=\"vorname-hinweis\""));
        assert!(!html.contains("id=\"nachname-hinweis\""));
        assert!(html.contains("id=\"ort\" name=\"ort\" autocomplete=\"address-level2\" required aria-invalid=\"true\" aria-describedby=\"ort-fehler\""));
        assert!(html.contains("<a href=\"#ort\">Ort: Bitte geben Sie Ihren Wohnort an.</a>"));
        for f in all_fields() {
            assert!(
                html.contains(&format!("<label for=\"{}\">", f.name)),
                "{}",
                f.name
            );
        }
    }
}
