//! Rich text from outside sources (PVOG, DLDB), reduced to the PVOG allow-list.
//!
//! Parsing is html5ever's (through ammonia), linear in the input; nothing is refused
//! here, so callers bound the input size (the source parsers cap each field).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

const TAGS: [&str; 18] = [
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "sup", "sub", "ul",
    "ol", "li", "a",
];

/// Tags that start a new line of text: their boundaries separate words in [`plain_text`].
const BLOCK_TAGS: [&str; 11] = [
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
];

static PVOG: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut builder = Builder::empty();
    builder
        .tags(TAGS.into_iter().collect())
        .clean_content_tags(HashSet::from(["script", "style", "template", "noscript"]))
        .generic_attributes(HashSet::new())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    builder
});

/// Keeps `p`, `br`, `h1`–`h6`, `strong`, `b`, `em`, `i`, `sup`, `sub`, `ul`, `ol`, `li`
/// and `a href` with an http, https, mailto or tel URL; other tags are unwrapped (their
/// text stays), `script`, `style`, `template` and `noscript` go with their content.
/// A link whose URL is dropped stays an `<a>` without `href`: inert, not focusable.
pub fn sanitize_pvog(html: &str) -> String {
    // Editors leave zero-width spaces at paragraph starts and line ends (76 in
    // Munich's texts); none carries meaning, and they defeat trimming and search.
    let html = html.replace('\u{200b}', "");
    PVOG.clean(&html).to_string().trim().to_string()
}

/// Markdown as editors write it, rendered (pulldown-cmark, raw HTML passed
/// through as text would be unsafe, so it goes through the same allow-list as
/// everything else): headings, paragraphs, lists, emphasis and http(s),
/// mailto and tel links. Callers bound the input size.
pub fn markdown(md: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::empty());
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitize_pvog(&html)
}

/// The text of an HTML fragment, whitespace collapsed, for search and previews.
pub fn plain_text(html: &str) -> String {
    let text = strip_tags(&sanitize_pvog(html));
    unescape(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes the tags of serialised, sanitised HTML, putting a blank at block boundaries.
/// Sound only for html5ever's output: attribute values are double-quoted with `"`
/// escaped, and `<` in text is escaped, so every `<` starts a tag.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let end = tag_end(tag);
        if BLOCK_TAGS.contains(&tag_name(&tag[..end])) {
            out.push(' ');
        }
        rest = &tag[end..];
    }
    out.push_str(rest);
    out
}

/// Byte length of the tag at the start of `tag`, up to and including its `>`.
fn tag_end(tag: &str) -> usize {
    let mut quoted = false;
    for (i, b) in tag.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return i + 1,
            _ => {}
        }
    }
    tag.len()
}

fn tag_name(tag: &str) -> &str {
    let name = tag.trim_start_matches(['<', '/']);
    let len = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    &name[..len]
}

/// The entities html5ever writes in text.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod markdown_tests {
    use super::markdown;

    #[test]
    fn renders_the_allow_list_and_nothing_else() {
        assert_eq!(
            markdown("## Gebühren\n\n- **30 €** bei [Abholung](https://kiel.de/a)"),
            "<h2>Gebühren</h2>\n<ul>\n<li><strong>30 €</strong> bei <a href=\"https://kiel.de/a\" rel=\"noopener noreferrer\">Abholung</a></li>\n</ul>"
        );
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=https://evil.example></iframe>",
            "[x](data:text/html,<script>alert(1)</script>)",
        ] {
            let out = markdown(evil);
            for bad in [
                "<script",
                "onerror",
                "javascript:",
                "<svg",
                "<iframe",
                "data:",
                "<img",
            ] {
                assert!(!out.contains(bad), "{evil} → {out}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        sanitize_pvog(html)
    }

    #[test]
    fn keeps_the_allow_list() {
        let html = "<h2>Kosten</h2><p><strong>50</strong> <b>Euro</b>, <em>ermäßigt</em> \
                    <i>25</i> m<sup>2</sup> H<sub>2</sub>O<br></p><ul><li>a</li></ul><ol><li>b</li></ol>";
        assert_eq!(clean(html), html);
    }

    #[test]
    fn removes_script_and_style_with_their_content() {
        assert_eq!(clean("<p>a<script>alert(1)</script>b</p>"), "<p>ab</p>");
        assert_eq!(clean("<style>p{color:red}</style><p>a</p>"), "<p>a</p>");
        assert_eq!(clean("<SCRIPT>alert(1)</SCRIPT>x"), "x");
        assert_eq!(clean("<p>a<noscript>b</noscript></p>"), "<p>a</p>");
    }

    #[test]
    fn removes_event_handlers_and_style_attributes() {
        assert_eq!(
            clean(r#"<p onclick="alert(1)" style="color:red" class="x">a</p>"#),
            "<p>a</p>"
        );
        assert_eq!(
            clean(r#"<a href="https://x.de/" onclick="alert(1)" target="_blank">x</a>"#),
            r#"<a href="https://x.de/" rel="noopener noreferrer">x</a>"#
        );
    }

    #[test]
    fn removes_svg_and_img_payloads() {
        // ammonia drops SVG and MathML with their content (mutation XSS lives there).
        assert_eq!(clean("<svg onload=alert(1)><g>a</g></svg>b"), "b");
        assert_eq!(clean("<img src=x onerror=alert(1)>b"), "b");
        assert_eq!(clean("<iframe src=\"https://x.de\"></iframe>b"), "b");
    }

    #[test]
    fn drops_unsafe_and_relative_link_targets() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "/relativ",
            "../relativ",
            "seite.html",
            "//evil.example/",
        ] {
            let html = format!(r#"<a href="{href}">x</a>"#);
            assert_eq!(
                clean(&html),
                r#"<a rel="noopener noreferrer">x</a>"#,
                "{href}"
            );
        }
    }

    #[test]
    fn keeps_mail_phone_and_web_links() {
        for href in [
            "mailto:buergerbuero@muenchen.de",
            "tel:+4989233",
            "http://x.de/",
            "https://stadt.muenchen.de/a?b=1&amp;c=2",
        ] {
            let html = format!(r#"<a href="{href}">x</a>"#);
            let expected = format!(r#"<a href="{href}" rel="noopener noreferrer">x</a>"#);
            assert_eq!(clean(&html), expected);
        }
    }

    #[test]
    fn unwraps_other_tags_keeping_their_text() {
        assert_eq!(
            clean("<div><span style=\"x\">a</span> <u>b</u></div>"),
            "a b"
        );
        let nested = "<table><tr><td>Gebühr<table><tr><td>innen</td></tr></table></td>\
                      <td><p>50 Euro</p></td></tr></table>";
        assert_eq!(clean(nested), "Gebührinnen<p>50 Euro</p>");
    }

    #[test]
    fn strips_zero_width_spaces_and_trims() {
        assert_eq!(
            clean("\u{200b} <p>\u{200b}Sie haben</p>\n"),
            "<p>Sie haben</p>"
        );
        assert_eq!(clean("<p>\u{200b}</p>"), "<p></p>");
    }

    #[test]
    fn escapes_text() {
        assert_eq!(clean("a < b & c"), "a &lt; b &amp; c");
        assert_eq!(clean("<!-- Kommentar -->a"), "a");
    }

    #[test]
    fn plain_text_separates_blocks_and_collapses_whitespace() {
        let html = "<p>Gebühr:</p><ul><li><strong>50</strong>&nbsp;Euro</li><li>a &amp; b &lt;c&gt;</li></ul>\
                    <p>mehr <a href=\"https://x.de/?a=1&quot;>\">hier</a>.</p><script>x</script>";
        assert_eq!(plain_text(html), "Gebühr: 50 Euro a & b <c> mehr hier.");
        assert_eq!(plain_text("<p>\u{200b}</p>"), "");
        assert_eq!(plain_text("Zeile<br>zwei"), "Zeile zwei");
    }
}
