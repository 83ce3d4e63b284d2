//! A minimal one-page PDF, written by hand: Helvetica (a standard font, so
//! nothing is embedded) with WinAnsi encoding for umlauts, and an exact xref.

use std::fmt::Write;

const PAGE_WIDTH: u32 = 595;
const PAGE_HEIGHT: u32 = 842;
const MARGIN: u32 = 72;
/// Helvetica at 11 pt averages about 5.5 pt a character: wrap before the margin.
const WRAP_CHARS: usize = 80;

/// A one-page document with a bold heading and paragraphs of plain text.
pub fn one_page(heading: &str, paragraphs: &[String]) -> Vec<u8> {
    let content = content_stream(heading, paragraphs);
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R /Lang (de-DE) >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        )
        .into_bytes(),
        font("Helvetica"),
        font("Helvetica-Bold"),
        stream,
        format!(
            "<< /Title {} /Producer (Formulardienst) >>",
            utf16_string(heading)
        )
        .into_bytes(),
    ];
    assemble(&objects)
}

fn font(name: &str) -> Vec<u8> {
    format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>")
        .into_bytes()
}

/// Objects numbered from 1; the last one is the document information.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    // The binary comment tells transfer tools that the file is not plain text.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        // Each entry is exactly 20 bytes, the line end included.
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1,
        objects.len()
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

fn content_stream(heading: &str, paragraphs: &[String]) -> Vec<u8> {
    let mut out =
        format!("BT\n/F2 16 Tf\n{MARGIN} {} Td\n", PAGE_HEIGHT - MARGIN - 16).into_bytes();
    out.extend_from_slice(&literal(heading));
    out.extend_from_slice(b" Tj\n/F1 11 Tf\n15 TL\nT* T*\n");
    for paragraph in paragraphs {
        for line in wrap(paragraph, WRAP_CHARS) {
            out.extend_from_slice(&literal(&line));
            out.extend_from_slice(b" Tj T*\n");
        }
        out.extend_from_slice(b"T*\n");
    }
    out.extend_from_slice(b"ET");
    out
}

/// Greedy word wrap; an empty paragraph is one empty line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if line.is_empty() {
            line.push_str(word);
        } else if line.chars().count() + 1 + word.chars().count() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(word.to_string());
        }
    }
    lines
}

/// A PDF literal string in WinAnsi; characters outside it become `?`.
fn literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for byte in text.chars().map(winansi) {
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b')');
    out
}

fn winansi(c: char) -> u8 {
    match c {
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        ' '..='~' => c as u8,
        '\u{A0}'..='\u{FF}' => c as u32 as u8,
        _ => b'?',
    }
}

/// A text string for metadata: UTF-16BE with byte order mark, as hex.
fn utf16_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn is_a_pdf_whose_xref_points_at_its_objects() {
        let pdf = one_page(
            "Eingangsbestätigung",
            &["Leistung: Hund (an)melden – Kiel".into()],
        );
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let startxref = find(&pdf, b"startxref\n").unwrap() + 10;
        let tail = String::from_utf8_lossy(&pdf[startxref..]);
        let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref\n0 8\n"));
        let table = String::from_utf8_lossy(&pdf[xref_at..]);
        for (n, line) in table.lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            let expected = format!("{} 0 obj\n", n + 1);
            assert!(
                pdf[offset..].starts_with(expected.as_bytes()),
                "object {}",
                n + 1
            );
        }
    }

    #[test]
    fn stream_length_is_exact() {
        let pdf = one_page("Ä", &["ö (x) \\ ü".into()]);
        let start = find(&pdf, b"stream\n").unwrap() + 7;
        let end = find(&pdf, b"\nendstream").unwrap();
        let declared = format!("/Length {}", end - start);
        assert!(find(&pdf, declared.as_bytes()).is_some());
    }

    #[test]
    fn encodes_umlauts_and_escapes_delimiters() {
        assert_eq!(
            literal("Bestätigung (1)\\"),
            b"(Best\xE4tigung \\(1\\)\\\\)"
        );
        assert_eq!(literal("„€“ 漢"), b"(\x84\x80\x93 ?)");
    }

    #[test]
    fn wraps_long_paragraphs() {
        let lines = wrap("aaa bbb ccc", 7);
        assert_eq!(lines, ["aaa bbb", "ccc"]);
        assert_eq!(wrap("", 7), [""]);
    }
}
