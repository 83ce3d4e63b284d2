//! Plain HTML pages. Every interpolated value goes through [`esc`].

use std::fmt::Write;

pub const STYLESHEET: &str = include_str!("style.css");

/// Escapes text for element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page: `title` is plain text, `main` is HTML that starts with the page's only h1.
pub fn page(title: &str, main: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Formulardienst</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<a class="sprung" href="#inhalt">Zum Inhalt springen</a>
<header class="kopf"><p class="marke">Formulardienst <span>Referenzumgebung des Bürgerportals</span></p></header>
<main id="inhalt" tabindex="-1">
{main}
</main>
<footer class="fuss"><p>Dies ist der Referenz-Formulardienst für die Anbindung an das Bürgerportal. Er stellt keine echten Anträge.</p></footer>
</body>
</html>
"##,
        title = esc(title),
    )
}

/// A page that explains why the form is not shown.
pub fn refusal(title: &str, message: &str, code: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p class=\"technik\">Technische Angabe: <code>{}</code></p>",
            esc(title),
            esc(message),
            esc(code)
        ),
    )
}

pub fn start() -> String {
    page(
        "Antrag im Bürgerportal starten",
        "<h1>Antrag im Bürgerportal starten</h1>\n\
         <p>Über diesen Formulardienst stellen Sie Anträge, die Sie im Bürgerportal begonnen haben. \
         Bitte suchen Sie die gewünschte Leistung im Bürgerportal und starten Sie den Antrag dort; \
         Sie werden dann hierher weitergeleitet.</p>",
    )
}

/// After submitting: the Vorgangsnummer and the way back, and whether the portal knows.
pub fn received(vorgang: &str, return_url: &str, portal_informed: bool) -> String {
    let (title, note) = if portal_informed {
        (
            "Vielen Dank – Ihr Antrag ist eingegangen",
            "Eine Eingangsbestätigung finden Sie in Ihrem Postfach im Bürgerportal.",
        )
    } else {
        (
            "Ihr Antrag ist eingegangen – das Bürgerportal wurde nicht benachrichtigt",
            "Ihr Antrag ist beim Formulardienst eingegangen und wird bearbeitet; \
             Sie müssen ihn nicht erneut stellen. Das Bürgerportal konnte jedoch gerade nicht \
             benachrichtigt werden. Deshalb erscheinen der Status und die Eingangsbestätigung \
             dort noch nicht. Bitte notieren Sie sich Ihre Vorgangsnummer.",
        )
    };
    page(
        title,
        &format!(
            "<h1>{}</h1>\n<p>Ihre Vorgangsnummer: <strong>{}</strong></p>\n<p>{}</p>\n\
             <p><a href=\"{}\">Zurück zum Bürgerportal</a></p>",
            esc(title),
            esc(vorgang),
            esc(note),
            esc(return_url)
        ),
    )
}

pub fn not_found() -> String {
    refusal(
        "Seite nicht gefunden",
        "Diese Seite gibt es nicht. Bitte starten Sie Ihren Antrag im Bürgerportal.",
        "nicht_gefunden",
    )
}

/// A definition list of (term, description) pairs, both plain text.
pub fn facts(items: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"fakten\">\n");
    for (term, description) in items {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", esc(term), esc(description));
    }
    out.push_str("</dl>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;"
        );
    }

    #[test]
    fn a_page_is_german_with_one_h1() {
        let html = refusal("Titel <b>", "Text", "code");
        assert!(html.contains("<html lang=\"de\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<title>Titel &lt;b&gt; – Formulardienst</title>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("style="));
    }
}
