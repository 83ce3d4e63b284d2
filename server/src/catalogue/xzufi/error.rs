/// Why a whole XZuFi file is refused. Each names the file and, where it
/// applies, the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XzufiError {
    #[error("{file}, Zeile {line}: Die Datei ist kein wohlgeformtes XML ({detail}).")]
    NotWellFormed {
        file: String,
        line: u64,
        detail: String,
    },
    #[error(
        "{file}, Zeile {line}: Die Datei enthält eine DOCTYPE-Deklaration, \
         die aus Sicherheitsgründen nicht verarbeitet wird."
    )]
    Doctype { file: String, line: u64 },
    #[error(
        "{file}, Zeile {line}: Die Entität „&{name};“ ist nicht erlaubt, zulässig sind nur \
         die fünf vordefinierten XML-Entitäten und numerische Zeichenreferenzen."
    )]
    ForbiddenEntity {
        file: String,
        line: u64,
        name: String,
    },
    #[error(
        "{file}, Zeile {line}: Das Wurzelelement „{element}“ liegt {}, nicht im XZuFi-Namensraum „http://xoev.de/schemata/xzufi/2_2_0“.",
        namespace_phrase(.found)
    )]
    WrongNamespace {
        file: String,
        line: u64,
        element: String,
        found: String,
    },
    #[error(
        "{file}, Zeile {line}: Die XZuFi-Version „{found}“ wird nicht unterstützt, \
         erwartet ist 2.2.0."
    )]
    WrongVersion {
        file: String,
        line: u64,
        found: String,
    },
    #[error(
        "{file}, Zeile {line}: Die Zeichenkodierung „{encoding}“ wird nicht unterstützt, \
         erwartet ist UTF-8."
    )]
    UnsupportedEncoding {
        file: String,
        line: u64,
        encoding: String,
    },
    #[error("{file}: Die Datei ist größer als die erlaubten {max_bytes} Bytes.")]
    TooLarge { file: String, max_bytes: u64 },
    #[error(
        "{file}, Zeile {line}: Die Elemente sind tiefer als die erlaubten {max_depth} Ebenen \
         verschachtelt."
    )]
    TooDeep {
        file: String,
        line: u64,
        max_depth: usize,
    },
    #[error("{file}, Zeile {line}: Ein Text ist länger als die erlaubten {max_text_bytes} Bytes.")]
    TextTooLong {
        file: String,
        line: u64,
        max_text_bytes: usize,
    },
    #[error(
        "{file}, Zeile {line}: Die Nachricht enthält mehr als die erlaubten {max_objects} \
         Operationen."
    )]
    TooManyObjects {
        file: String,
        line: u64,
        max_objects: usize,
    },
    #[error("{file}, Zeile {line}: Die Löschung nennt die unbekannte Klasse „{klasse}“.")]
    UnknownKlasse {
        file: String,
        line: u64,
        klasse: String,
    },
    #[error("{file}, Zeile {line}: Das Objekt „{element}“ hat keine Kennung (id).")]
    MissingId {
        file: String,
        line: u64,
        element: String,
    },
    #[error("{file}, Zeile {line}: Der LeiKa-Schlüssel „{value}“ ist ungültig ({reason}).")]
    InvalidLeika {
        file: String,
        line: u64,
        value: String,
        reason: String,
    },
    #[error(
        "{file}, Zeile {line}: Der Regionalschlüssel „{value}“ ist ungültig, erwartet sind \
         2, 5, 9 oder 12 Ziffern."
    )]
    InvalidArs {
        file: String,
        line: u64,
        value: String,
    },
    #[error("{file}: Die Datei kann nicht gelesen werden ({message}).")]
    Io { file: String, message: String },
}

impl XzufiError {
    /// The 1-based line the error points at, if it points at one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::TooLarge { .. } | Self::Io { .. } => None,
            Self::NotWellFormed { line, .. }
            | Self::Doctype { line, .. }
            | Self::ForbiddenEntity { line, .. }
            | Self::WrongNamespace { line, .. }
            | Self::WrongVersion { line, .. }
            | Self::UnsupportedEncoding { line, .. }
            | Self::TooDeep { line, .. }
            | Self::TextTooLong { line, .. }
            | Self::TooManyObjects { line, .. }
            | Self::UnknownKlasse { line, .. }
            | Self::MissingId { line, .. }
            | Self::InvalidLeika { line, .. }
            | Self::InvalidArs { line, .. } => Some(*line),
        }
    }
}

fn namespace_phrase(found: &str) -> String {
    if found.is_empty() {
        "in keinem Namensraum".to_string()
    } else {
        format!("im Namensraum „{found}“")
    }
}

/// German wording for quick-xml's well-formedness errors; the rare rest keeps
/// the parser's own words.
pub(super) fn describe(error: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    use quick_xml::Error;
    match error {
        Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("Endtag </{found}> schließt <{expected}>")
        }
        Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("Endtag </{name}> ohne Starttag")
        }
        Error::IllFormed(IllFormedError::UnclosedReference) => {
            "„&“ ohne abschließendes „;“".to_string()
        }
        Error::Syntax(SyntaxError::UnclosedTag) => "Tag nicht geschlossen".to_string(),
        Error::Syntax(
            SyntaxError::UnclosedDoubleQuotedAttributeValue
            | SyntaxError::UnclosedSingleQuotedAttributeValue,
        ) => "Attributwert nicht geschlossen".to_string(),
        Error::Syntax(SyntaxError::UnclosedComment) => "Kommentar nicht geschlossen".to_string(),
        Error::Encoding(_) => "kein gültiges UTF-8".to_string(),
        Error::Namespace(e) => format!("Namensraumfehler: {e}"),
        other => other.to_string(),
    }
}
