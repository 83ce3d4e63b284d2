//! A pull reader over quick-xml that enforces the refusals (DTD, entities,
//! limits, well-formedness quick-xml leaves to its caller) and offers the
//! object parsers one element at a time.

use super::error::{describe, XzufiError};
use super::source::Source;
use super::{Limits, Problem, Unknown, XZUFI_NS};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};
use std::io::BufRead;

pub(super) type Result<T> = std::result::Result<T, XzufiError>;

/// Unknown elements and problems cost memory per element: beyond this many
/// of each, they are only counted, so a small hostile file cannot make them
/// grow without bound.
pub(super) const MAX_LISTED: usize = 10_000;
const MAX_PATH_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ns {
    Xzufi,
    /// Unqualified: XÖV code types declare their `code` and `name` children so.
    None,
    Foreign(String),
}

#[derive(Debug, Clone)]
pub(super) struct Element {
    /// The local name, or the name as written for an element of a foreign namespace.
    pub name: String,
    pub ns: Ns,
    pub attrs: Vec<(String, String)>,
    pub line: u64,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

enum Node {
    Open(Element),
    Close,
    Text { text: String, line: u64 },
    Eof,
}

pub(super) struct Pull<R> {
    xml: NsReader<Source<R>>,
    buf: Vec<u8>,
    file: String,
    limits: Limits,
    open: Vec<String>,
    root_seen: bool,
    peeked: Option<Node>,
    close_pending: bool,
    pub unknown: Vec<Unknown>,
    pub unknown_not_listed: u64,
    pub problems: Vec<Problem>,
    pub problems_not_listed: u64,
}

impl<R: BufRead> Pull<R> {
    pub fn new(file: &str, reader: R, limits: &Limits) -> Self {
        let mut xml = NsReader::from_reader(Source::new(reader, limits.max_bytes));
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.trim_text(false);
        Pull {
            xml,
            buf: Vec::new(),
            file: file.to_string(),
            limits: limits.clone(),
            open: Vec::new(),
            root_seen: false,
            peeked: None,
            close_pending: false,
            unknown: Vec::new(),
            unknown_not_listed: 0,
            problems: Vec::new(),
            problems_not_listed: 0,
        }
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Element path of the innermost open element, e.g.
    /// `/xzufi.nachricht/schreibe/leistung`, cut short after 1 KiB.
    pub fn path(&self) -> String {
        let mut path = String::new();
        for name in &self.open {
            path.push('/');
            path.push_str(name);
            if path.len() > MAX_PATH_BYTES {
                let mut end = MAX_PATH_BYTES;
                while !path.is_char_boundary(end) {
                    end -= 1;
                }
                path.truncate(end);
                path.push('…');
                break;
            }
        }
        path
    }

    /// The root element, after the prolog (declaration, comments, processing instructions).
    pub fn root(&mut self) -> Result<Element> {
        loop {
            match self.next()? {
                Node::Open(element) => return Ok(element),
                Node::Text { .. } => {}
                Node::Close | Node::Eof => {
                    return Err(self.not_well_formed(self.line(), "kein Wurzelelement"))
                }
            }
        }
    }

    /// After the root's end tag: only comments, processing instructions and
    /// whitespace may follow.
    pub fn finish(&mut self) -> Result<()> {
        loop {
            match self.next()? {
                Node::Eof => return Ok(()),
                Node::Text { .. } => {}
                Node::Open(_) | Node::Close => {
                    return Err(self.not_well_formed(self.line(), "Inhalt nach dem Wurzelelement"))
                }
            }
        }
    }

    /// The next child of the innermost open element, or `None` at its end tag.
    /// Children of a foreign namespace are recorded as unknown and skipped.
    pub fn child(&mut self) -> Result<Option<Element>> {
        loop {
            match self.next()? {
                Node::Open(element) if matches!(element.ns, Ns::Foreign(_)) => {
                    self.unknown(&element)?;
                }
                Node::Open(element) => return Ok(Some(element)),
                Node::Close => return Ok(None),
                Node::Text { text, line } => {
                    if !text.trim().is_empty() {
                        self.problem(line, "Text ohne Feld wird ignoriert");
                    }
                }
                Node::Eof => return Err(self.not_well_formed(self.line(), "Dateiende")),
            }
        }
    }

    /// The trimmed text of the element just opened, up to its end tag.
    /// Child elements in it are recorded as unknown.
    pub fn text(&mut self) -> Result<String> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Node::Open(element) => self.unknown(&element)?,
                Node::Text { text: part, line } => {
                    text.push_str(&part);
                    self.check_text_length(text.len(), line)?;
                }
                Node::Close => return Ok(text.trim().to_string()),
                Node::Eof => return Err(self.not_well_formed(self.line(), "Dateiende")),
            }
        }
    }

    /// Skips the rest of the element just opened, known but not needed.
    pub fn skip(&mut self) -> Result<()> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Node::Open(_) => depth += 1,
                Node::Close if depth == 0 => return Ok(()),
                Node::Close => depth -= 1,
                Node::Text { .. } => {}
                Node::Eof => return Err(self.not_well_formed(self.line(), "Dateiende")),
            }
        }
    }

    /// Records the element just opened as not understood, then skips it.
    pub fn unknown(&mut self, element: &Element) -> Result<()> {
        if self.unknown.len() < MAX_LISTED {
            self.unknown.push(Unknown {
                path: self.path(),
                line: element.line,
            });
        } else {
            self.unknown_not_listed += 1;
        }
        self.skip()
    }

    /// Something understood but not taken over; the path is the innermost open element's.
    pub fn problem(&mut self, line: u64, message: impl Into<String>) {
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                path: self.path(),
                line,
                message: message.into(),
            });
        } else {
            self.problems_not_listed += 1;
        }
    }

    fn line(&self) -> u64 {
        self.xml.get_ref().line()
    }

    pub fn not_well_formed(&self, line: u64, detail: impl Into<String>) -> XzufiError {
        XzufiError::NotWellFormed {
            file: self.file.clone(),
            line,
            detail: detail.into(),
        }
    }

    /// One node; adjacent text, CDATA and references joined into one text node.
    fn next(&mut self) -> Result<Node> {
        let node = match self.peeked.take() {
            Some(node) => node,
            None => self.next_raw()?,
        };
        let Node::Text { mut text, line } = node else {
            return Ok(node);
        };
        loop {
            match self.next_raw()? {
                Node::Text { text: more, .. } => {
                    text.push_str(&more);
                    self.check_text_length(text.len(), line)?;
                }
                other => {
                    self.peeked = Some(other);
                    return Ok(Node::Text { text, line });
                }
            }
        }
    }

    fn next_raw(&mut self) -> Result<Node> {
        if std::mem::take(&mut self.close_pending) {
            return self.track(Node::Close);
        }
        loop {
            self.buf.clear();
            let offset = self.xml.buffer_position();
            let line = self.line();
            let (ns, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
                Ok((ns, event)) => (classify(ns), event),
                Err(e) => return Err(self.xml_error(e, offset, line)),
            };
            let node = match event {
                Event::Start(start) => {
                    Node::Open(element(&self.file, &self.limits, ns, &start, line)?)
                }
                // Not expected with expand_empty_elements, but cheap to handle.
                Event::Empty(start) => {
                    self.close_pending = true;
                    Node::Open(element(&self.file, &self.limits, ns, &start, line)?)
                }
                Event::End(_) => Node::Close,
                Event::Text(text) => Node::Text {
                    text: text.xml10_content().into_owned(),
                    line,
                },
                Event::CData(cdata) => Node::Text {
                    text: cdata.xml10_content().into_owned(),
                    line,
                },
                Event::GeneralRef(reference) => Node::Text {
                    text: resolve_reference(&self.file, &reference, line)?.to_string(),
                    line,
                },
                Event::DocType(_) => {
                    return Err(XzufiError::Doctype {
                        file: self.file.clone(),
                        line,
                    })
                }
                Event::Decl(decl) => {
                    check_encoding(&self.file, decl.encoding(), line)?;
                    continue;
                }
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Eof => Node::Eof,
            };
            return self.track(node);
        }
    }

    /// Keeps the open-element path and checks what quick-xml leaves to its caller.
    fn track(&mut self, node: Node) -> Result<Node> {
        match &node {
            Node::Open(element) => {
                if self.open.is_empty() && self.root_seen {
                    return Err(self.not_well_formed(element.line, "zweites Wurzelelement"));
                }
                if self.open.len() >= self.limits.max_depth {
                    return Err(XzufiError::TooDeep {
                        file: self.file.clone(),
                        line: element.line,
                        max_depth: self.limits.max_depth,
                    });
                }
                self.root_seen = true;
                self.open.push(element.name.clone());
            }
            Node::Close => {
                self.open.pop();
            }
            Node::Text { text, line } => {
                self.check_text_length(text.len(), *line)?;
                if self.open.is_empty() && !text.trim().is_empty() {
                    return Err(self.not_well_formed(*line, "Text außerhalb des Wurzelelements"));
                }
            }
            Node::Eof => {
                if let Some(name) = self.open.last() {
                    let detail = format!("Dateiende, <{name}> nicht geschlossen");
                    return Err(self.not_well_formed(self.line(), detail));
                }
            }
        }
        Ok(node)
    }

    fn check_text_length(&self, length: usize, line: u64) -> Result<()> {
        if length > self.limits.max_text_bytes {
            return Err(XzufiError::TextTooLong {
                file: self.file.clone(),
                line,
                max_text_bytes: self.limits.max_text_bytes,
            });
        }
        Ok(())
    }

    /// Maps a quick-xml error to the line it points at: quick-xml reports a
    /// byte offset within the event that failed, whose bytes are still in `buf`.
    fn xml_error(&self, error: quick_xml::Error, offset: u64, line: u64) -> XzufiError {
        if let quick_xml::Error::Io(io) = &error {
            if self.xml.get_ref().exceeded() {
                return XzufiError::TooLarge {
                    file: self.file.clone(),
                    max_bytes: self.limits.max_bytes,
                };
            }
            return XzufiError::Io {
                file: self.file.clone(),
                message: io.to_string(),
            };
        }
        let within = self.xml.error_position().saturating_sub(offset);
        let within = usize::try_from(within)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        let newlines = self.buf[..within].iter().filter(|&&b| b == b'\n').count();
        self.not_well_formed(line + newlines as u64, describe(&error))
    }
}

fn classify(ns: ResolveResult<'_>) -> std::result::Result<Ns, String> {
    match ns {
        ResolveResult::Bound(ns) if ns.as_ref() == XZUFI_NS => Ok(Ns::Xzufi),
        ResolveResult::Bound(ns) => Ok(Ns::Foreign(ns.as_ref().to_string())),
        ResolveResult::Unbound => Ok(Ns::None),
        ResolveResult::Unknown(prefix) => Err(prefix),
    }
}

fn element(
    file: &str,
    limits: &Limits,
    ns: std::result::Result<Ns, String>,
    start: &BytesStart<'_>,
    line: u64,
) -> Result<Element> {
    let not_well_formed = |detail: String| XzufiError::NotWellFormed {
        file: file.to_string(),
        line,
        detail,
    };
    let ns = ns.map_err(|prefix| not_well_formed(format!("Präfix „{prefix}“ nicht deklariert")))?;
    let name = match ns {
        Ns::Foreign(_) => start.name().as_ref().to_string(),
        Ns::Xzufi | Ns::None => start.local_name().as_ref().to_string(),
    };
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| not_well_formed(format!("Attribut: {e}")))?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let value =
            attr.normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XzufiError::ForbiddenEntity {
                        file: file.to_string(),
                        line,
                        name,
                    },
                    other => not_well_formed(describe(&other)),
                })?;
        if value.len() > limits.max_text_bytes {
            return Err(XzufiError::TextTooLong {
                file: file.to_string(),
                line,
                max_text_bytes: limits.max_text_bytes,
            });
        }
        attrs.push((key.as_ref().to_string(), value.into_owned()));
    }
    Ok(Element {
        name,
        ns,
        attrs,
        line,
    })
}

/// Only the five predefined entities and character references; anything else
/// would need a DTD, which is refused anyway.
fn resolve_reference(
    file: &str,
    reference: &quick_xml::events::BytesRef<'_>,
    line: u64,
) -> Result<char> {
    let predefined = match reference.as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            _ => Err(XzufiError::NotWellFormed {
                file: file.to_string(),
                line,
                detail: format!("ungültige Zeichenreferenz „&{};“", reference.as_ref()),
            }),
        };
    }
    Err(XzufiError::ForbiddenEntity {
        file: file.to_string(),
        line,
        name: reference.as_ref().to_string(),
    })
}

/// XML 1.0 `Char`: no control characters but tab and line ends, no U+FFFE/U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_encoding(
    file: &str,
    encoding: Option<
        std::result::Result<std::borrow::Cow<'_, str>, quick_xml::events::attributes::AttrError>,
    >,
    line: u64,
) -> Result<()> {
    match encoding {
        None => Ok(()),
        Some(Ok(name))
            if name.eq_ignore_ascii_case("utf-8") || name.eq_ignore_ascii_case("utf8") =>
        {
            Ok(())
        }
        Some(Ok(name)) => Err(XzufiError::UnsupportedEncoding {
            file: file.to_string(),
            line,
            encoding: name.into_owned(),
        }),
        Some(Err(e)) => Err(XzufiError::NotWellFormed {
            file: file.to_string(),
            line,
            detail: format!("XML-Deklaration: {e}"),
        }),
    }
}
