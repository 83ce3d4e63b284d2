//! SVG logos, rebuilt from an allow-list of elements and attributes.
//!
//! Written here because no maintained Rust crate sanitises SVG (ammonia is for
//! HTML and drops SVG altogether). The parser is quick-xml, streaming, with
//! DOCTYPE (and so entities) refused; the output is written anew from what
//! passed, so nothing the allow-list does not name can reach a page: no
//! script, no event handler, no external reference, no `foreignObject`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

pub const MAX_BYTES: usize = 256 * 1024;
const MAX_DEPTH: usize = 64;

const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
    "mask",
    "symbol",
    "use",
];

const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "xmlns:xlink",
    "version",
    "viewbox",
    "preserveaspectratio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "d",
    "points",
    "transform",
    "fill",
    "fill-rule",
    "fill-opacity",
    "clip-rule",
    "clip-path",
    "mask",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientunits",
    "gradienttransform",
    "spreadmethod",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "letter-spacing",
    "id",
    "class",
    "style",
    "role",
    "aria-label",
    "aria-hidden",
    "focusable",
    "href",
    "xlink:href",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SvgError {
    #[error("Die SVG-Datei ist größer als 256 KB.")]
    TooLarge,
    #[error("Die Datei ist kein gültiges SVG: {0}")]
    Invalid(String),
    #[error("SVG-Dateien mit DOCTYPE oder Entitäten werden nicht angenommen.")]
    Doctype,
    #[error("Die Datei enthält kein <svg>-Element.")]
    NoSvg,
}

/// A value that refers only inside the document (`#id`, `url(#id)`), or none.
fn internal_reference_only(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    let mut rest = v.as_str();
    while let Some(i) = rest.find("url(") {
        let after = rest[i + 4..].trim_start_matches(['\'', '"', ' ']);
        if !after.starts_with('#') {
            return false;
        }
        rest = &rest[i + 4..];
    }
    !(v.contains("javascript")
        || v.contains("expression")
        || v.contains("@import")
        || v.contains('\\')
        || v.contains("data:"))
}

fn clean_element(e: &BytesStart) -> Result<Option<BytesStart<'static>>, SvgError> {
    let local = e.local_name();
    let name = AsRef::<str>::as_ref(&local).to_ascii_lowercase();
    if !ELEMENTS.contains(&name.as_str()) {
        return Ok(None);
    }
    let qname = e.name();
    let mut out = BytesStart::new(AsRef::<str>::as_ref(&qname).to_string());
    for attr in e.attributes() {
        let attr = attr.map_err(|err| SvgError::Invalid(err.to_string()))?;
        let raw_key = AsRef::<str>::as_ref(&attr.key).to_string();
        let key = raw_key.to_ascii_lowercase();
        if !ATTRIBUTES.contains(&key.as_str()) {
            continue;
        }
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| SvgError::Invalid(err.to_string()))?;
        let allowed = if key == "href" || key == "xlink:href" {
            value.starts_with('#')
        } else {
            internal_reference_only(&value)
        };
        if allowed {
            out.push_attribute((raw_key.as_str(), value.as_ref()));
        }
    }
    Ok(Some(out))
}

/// The sanitised SVG, or why the file is refused.
pub fn sanitize(data: &[u8]) -> Result<Vec<u8>, SvgError> {
    if data.len() > MAX_BYTES {
        return Err(SvgError::TooLarge);
    }
    let text = std::str::from_utf8(data).map_err(|_| SvgError::Invalid("kein UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut writer = Writer::new(Vec::new());
    // Depth of elements dropped with everything inside them.
    let mut skipping: usize = 0;
    let mut depth = 0usize;
    let mut saw_svg = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| SvgError::Invalid(e.to_string()))?;
        match event {
            Event::DocType(_) => return Err(SvgError::Doctype),
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SvgError::Invalid("zu tief verschachtelt".into()));
                }
                if skipping > 0 {
                    skipping += 1;
                    continue;
                }
                match clean_element(&e)? {
                    Some(clean) => {
                        saw_svg |=
                            AsRef::<str>::as_ref(&clean.local_name()).eq_ignore_ascii_case("svg");
                        write(&mut writer, Event::Start(clean))?;
                    }
                    None => skipping = 1,
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                write(&mut writer, Event::End(e.into_owned()))?;
            }
            Event::Empty(e) => {
                if skipping > 0 {
                    continue;
                }
                if let Some(clean) = clean_element(&e)? {
                    write(&mut writer, Event::Empty(clean))?;
                }
            }
            Event::Text(t) if skipping == 0 => write(&mut writer, Event::Text(t.into_owned()))?,
            // Comments, processing instructions, CDATA (script bodies) and
            // anything inside a dropped element are left out.
            _ => {}
        }
    }
    if !saw_svg {
        return Err(SvgError::NoSvg);
    }
    Ok(writer.into_inner())
}

fn write(writer: &mut Writer<Vec<u8>>, event: Event<'_>) -> Result<(), SvgError> {
    writer
        .write_event(event)
        .map_err(|e| SvgError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        String::from_utf8(sanitize(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn keeps_a_plain_logo() {
        let logo = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>Kiel</title><rect x="1" y="1" width="8" height="8" fill="#00508c"/><path d="M0 0L10 10" stroke="url(#g)"/></svg>"##;
        assert_eq!(clean(logo), logo);
    }

    #[test]
    fn removes_every_active_or_external_part() {
        let evil = r##"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">
<script>alert(2)</script><script><![CDATA[alert(3)]]></script>
<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(4)"/></body></foreignObject>
<a href="javascript:alert(5)"><text>x</text></a>
<image href="https://evil.example/track.png"/>
<use href="https://evil.example/s.svg#a"/><use xlink:href="#ok"/>
<rect fill="url(https://evil.example/x)" style="background:url(//evil.example)" onclick="alert(6)"/>
<style>@import url(https://evil.example/x.css);</style>
</svg>"##;
        let out = clean(evil);
        for bad in [
            "onload",
            "script",
            "alert",
            "foreignObject",
            "onerror",
            "javascript",
            "evil.example",
            "<image",
            "<style",
            "onclick",
            "<a ",
        ] {
            assert!(!out.contains(bad), "{bad} survived: {out}");
        }
        assert!(out.contains(r##"<use xlink:href="#ok"/>"##));
    }

    #[test]
    fn refuses_doctype_entities_and_non_svg() {
        let xxe = r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>"#;
        assert_eq!(sanitize(xxe.as_bytes()), Err(SvgError::Doctype));
        assert_eq!(sanitize(b"<html></html>"), Err(SvgError::NoSvg));
        assert_eq!(
            sanitize(&vec![b' '; MAX_BYTES + 1]),
            Err(SvgError::TooLarge)
        );
    }
}
