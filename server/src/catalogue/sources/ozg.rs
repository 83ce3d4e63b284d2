//! The OZG catalogue from the KDN "OZG-Datenbank NRW" MySQL dump (`symfony.data.sql`).
//!
//! Reads the `` INSERT INTO `table` (cols) VALUES (…),(…); `` statements and picks the
//! catalogue tables by column name. Rows are kept raw, apart from trimming text
//! (23 service names end in a blank) and reading blank optional text as None
//! (`legal_basis` is '' in 1,349 rows): the caller decides which LeiKa keys and
//! types are valid.

use super::SourceError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OzgThemenfeld {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OzgLebenslage {
    pub id: u64,
    pub themenfeld_id: u64,
    pub name: String,
}

/// An OZG-Leistung (`ozg_service_system`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OzgLeistung {
    pub id: u64,
    pub lebenslage_id: Option<u64>,
    /// The OZG-ID (`service_key`), 10000–10601.
    pub ozg_id: Option<u32>,
    pub name: String,
}

/// A LeiKa service (`ozg_service`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OzgService {
    pub id: u64,
    pub leistung_id: Option<u64>,
    /// Raw `service_key`: mostly a 14-digit LeiKa key, but also e.g. "nicht im LeiKa";
    /// empty if NULL.
    pub leika: String,
    pub name: String,
    /// Raw LeiKa type such as "1", "2/3", "4", "5".
    pub leika_type: Option<String>,
    pub legal_basis: Option<String>,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OzgCatalogue {
    pub themenfelder: Vec<OzgThemenfeld>,
    pub lebenslagen: Vec<OzgLebenslage>,
    pub leistungen: Vec<OzgLeistung>,
    pub services: Vec<OzgService>,
}

pub fn parse_ozg_dump(file: &str, text: &str) -> Result<OzgCatalogue, SourceError> {
    let statements = parse_statements(text).map_err(|(record, reason)| SourceError {
        file: file.to_string(),
        record,
        reason,
    })?;
    let table = |name| Table::find(file, &statements, name);
    let mut lebenslagen = table("ozg_situation")?.map(file, lebenslage)?;
    // The dump has three test rows ("aaaaaaaaaaaaaaaaa", "aaaaabbbbb", "aaabbbccc")
    // among the 55 real Lebenslagen; no OZG-Leistung refers to them.
    lebenslagen.retain(|l| !is_junk_name(&l.name));
    Ok(OzgCatalogue {
        themenfelder: table("ozg_subject")?.map(file, themenfeld)?,
        lebenslagen,
        leistungen: table("ozg_service_system")?.map(file, leistung)?,
        services: table("ozg_service")?.map(file, service)?,
    })
}

fn is_junk_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| matches!(c, 'a' | 'b' | 'c'))
}

fn themenfeld(row: &Row) -> Result<OzgThemenfeld, String> {
    Ok(OzgThemenfeld {
        id: row.id()?,
        name: row.text("name")?,
    })
}

fn lebenslage(row: &Row) -> Result<OzgLebenslage, String> {
    Ok(OzgLebenslage {
        id: row.id()?,
        themenfeld_id: row.number("subject_id")?,
        name: row.text("name")?,
    })
}

fn leistung(row: &Row) -> Result<OzgLeistung, String> {
    Ok(OzgLeistung {
        id: row.id()?,
        lebenslage_id: row.optional_number("situation_id")?,
        ozg_id: row.optional_number("service_key")?,
        name: row.text("name")?,
    })
}

fn service(row: &Row) -> Result<OzgService, String> {
    Ok(OzgService {
        id: row.id()?,
        leistung_id: row.optional_number("service_system_id")?,
        leika: row.optional_text("service_key")?.unwrap_or_default(),
        name: row.text("name")?,
        leika_type: row.optional_text("service_type")?,
        legal_basis: row.optional_text("legal_basis")?,
        hidden: row.flag("hidden")?,
    })
}

/// One SQL value: NULL, a quoted string (unescaped) or a bare token such as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Null,
    Text(String),
    Bare(String),
}

impl Value {
    fn as_str(&self) -> Option<&str> {
        match self {
            Value::Null => None,
            Value::Text(s) | Value::Bare(s) => Some(s),
        }
    }
}

#[derive(Debug)]
struct Statement {
    table: String,
    columns: Vec<String>,
    tuples: Vec<Tuple>,
}

#[derive(Debug)]
struct Tuple {
    line: usize,
    values: Vec<Value>,
}

/// A human-findable name of a tuple: its id if it has one, else its position.
fn tuple_record(
    table: &str,
    columns: &[String],
    index: usize,
    values: &[Value],
    line: usize,
) -> String {
    let id = columns
        .iter()
        .position(|c| c == "id")
        .and_then(|i| values.get(i))
        .and_then(Value::as_str);
    match id {
        Some(id) => format!("{table} id {id} (Zeile {line})"),
        None => format!("{table} Tupel {} (Zeile {line})", index + 1),
    }
}

/// All rows of one table, possibly spread over several INSERT statements.
struct Table<'a> {
    name: &'a str,
    statements: Vec<&'a Statement>,
}

impl<'a> Table<'a> {
    fn find(file: &str, statements: &'a [Statement], name: &'a str) -> Result<Self, SourceError> {
        let statements: Vec<_> = statements.iter().filter(|s| s.table == name).collect();
        if statements.is_empty() {
            return Err(SourceError::new(
                file,
                format!("Tabelle {name}"),
                "keine INSERT-Anweisung für diese Tabelle",
            ));
        }
        Ok(Table { name, statements })
    }

    fn map<T>(
        &self,
        file: &str,
        convert: fn(&Row) -> Result<T, String>,
    ) -> Result<Vec<T>, SourceError> {
        let tuples = self
            .statements
            .iter()
            .flat_map(|s| s.tuples.iter().map(|t| (&s.columns, t)));
        let rows = tuples.enumerate().map(|(index, (columns, tuple))| Row {
            table: self.name,
            columns,
            tuple,
            index,
        });
        rows.map(|row| convert(&row).map_err(|reason| SourceError::new(file, row.record(), reason)))
            .collect()
    }
}

struct Row<'a> {
    table: &'a str,
    columns: &'a [String],
    tuple: &'a Tuple,
    index: usize,
}

impl Row<'_> {
    fn record(&self) -> String {
        tuple_record(
            self.table,
            self.columns,
            self.index,
            &self.tuple.values,
            self.tuple.line,
        )
    }

    fn get(&self, column: &str) -> Result<&Value, String> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.tuple.values.get(i))
            .ok_or_else(|| format!("Spalte '{column}' fehlt"))
    }

    /// Trimmed; None if NULL or blank (the dump writes '' and NULL alike for "none").
    fn optional_text(&self, column: &str) -> Result<Option<String>, String> {
        let text = self.get(column)?.as_str().map(str::trim);
        Ok(text.filter(|t| !t.is_empty()).map(str::to_string))
    }

    fn text(&self, column: &str) -> Result<String, String> {
        self.optional_text(column)?
            .ok_or_else(|| format!("Spalte '{column}' ist NULL oder leer"))
    }

    fn optional_number<T: std::str::FromStr>(&self, column: &str) -> Result<Option<T>, String> {
        match self.get(column)?.as_str() {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| format!("Spalte '{column}': '{s}' ist keine gültige Zahl")),
        }
    }

    fn number(&self, column: &str) -> Result<u64, String> {
        self.optional_number(column)?
            .ok_or_else(|| format!("Spalte '{column}' ist NULL"))
    }

    fn id(&self) -> Result<u64, String> {
        self.number("id")
    }

    fn flag(&self, column: &str) -> Result<bool, String> {
        match self.get(column)?.as_str() {
            Some("0") => Ok(false),
            Some("1") => Ok(true),
            other => Err(format!(
                "Spalte '{column}': '{}' ist weder 0 noch 1",
                other.unwrap_or("NULL")
            )),
        }
    }
}

const INSERT: &str = "INSERT INTO `";

/// Every INSERT statement of the dump; an error is (record, reason).
fn parse_statements(text: &str) -> Result<Vec<Statement>, (String, String)> {
    let mut cursor = Cursor {
        text,
        pos: 0,
        line: 1,
    };
    let mut statements = Vec::new();
    while let Some(offset) = text[cursor.pos..].find(INSERT) {
        cursor.skip_bytes(offset + INSERT.len());
        statements.push(parse_statement(&mut cursor)?);
    }
    Ok(statements)
}

fn parse_statement(cursor: &mut Cursor) -> Result<Statement, (String, String)> {
    let line = cursor.line;
    let header = |reason: String| (format!("INSERT INTO (Zeile {line})"), reason);
    let table = cursor.until('`').map_err(header)?;
    let header = |reason: String| (format!("INSERT INTO `{table}` (Zeile {line})"), reason);
    let columns = parse_columns(cursor).map_err(header)?;
    let mut tuples = Vec::new();
    loop {
        cursor.skip_whitespace();
        let line = cursor.line;
        let mut values = Vec::new();
        let more = parse_tuple(cursor, &mut values, columns.len()).map_err(|reason| {
            let record = tuple_record(&table, &columns, tuples.len(), &values, line);
            (record, reason)
        })?;
        tuples.push(Tuple { line, values });
        if !more {
            break;
        }
    }
    Ok(Statement {
        table,
        columns,
        tuples,
    })
}

/// `(`a`, `b`) VALUES`
fn parse_columns(cursor: &mut Cursor) -> Result<Vec<String>, String> {
    cursor.expect('(')?;
    let mut columns = Vec::new();
    loop {
        cursor.expect('`')?;
        columns.push(cursor.until('`')?);
        match cursor.next_token() {
            Some(',') => continue,
            Some(')') => break,
            other => return Err(unexpected("',' oder ')'", other)),
        }
    }
    cursor.skip_whitespace();
    if !cursor.eat("VALUES") {
        return Err("VALUES erwartet".into());
    }
    Ok(columns)
}

/// `(1,'a\'b',NULL)` and the separator after it; true if another tuple follows.
/// Values parsed so far stay in `values` for the error message.
fn parse_tuple(cursor: &mut Cursor, values: &mut Vec<Value>, width: usize) -> Result<bool, String> {
    cursor.expect('(')?;
    loop {
        values.push(parse_value(cursor)?);
        match cursor.next_token() {
            Some(',') => continue,
            Some(')') => break,
            other => return Err(unexpected("',' oder ')'", other)),
        }
    }
    if values.len() != width {
        return Err(format!("{} Werte statt {width} Spalten", values.len()));
    }
    match cursor.next_token() {
        Some(',') => Ok(true),
        Some(';') => Ok(false),
        other => Err(unexpected("',' oder ';'", other)),
    }
}

fn parse_value(cursor: &mut Cursor) -> Result<Value, String> {
    cursor.skip_whitespace();
    if cursor.eat("'") {
        return parse_string(cursor).map(Value::Text);
    }
    let token = cursor.take_while(|c| !matches!(c, ',' | ')') && !c.is_whitespace());
    match token.as_str() {
        "" => Err(unexpected("Wert", cursor.peek())),
        "NULL" => Ok(Value::Null),
        _ => Ok(Value::Bare(token)),
    }
}

/// The rest of a single-quoted string after the opening quote, with MySQL escapes.
fn parse_string(cursor: &mut Cursor) -> Result<String, String> {
    let mut s = String::new();
    loop {
        match cursor.bump() {
            None => return Err("Zeichenkette nicht geschlossen".into()),
            Some('\'') if cursor.eat("'") => s.push('\''),
            Some('\'') => return Ok(s),
            Some('\\') => match cursor.bump() {
                None => return Err("Zeichenkette nicht geschlossen".into()),
                Some(c) => unescape(c, &mut s),
            },
            Some(c) => s.push(c),
        }
    }
}

fn unescape(c: char, s: &mut String) {
    match c {
        '0' => s.push('\0'),
        'n' => s.push('\n'),
        'r' => s.push('\r'),
        't' => s.push('\t'),
        'b' => s.push('\u{8}'),
        'Z' => s.push('\u{1a}'),
        // MySQL keeps the backslash of \% and \_ (they only matter in LIKE patterns).
        '%' | '_' => {
            s.push('\\');
            s.push(c);
        }
        other => s.push(other),
    }
}

fn unexpected(expected: &str, found: Option<char>) -> String {
    match found {
        Some(c) => format!("{expected} erwartet, '{c}' gefunden"),
        None => format!("{expected} erwartet, Dateiende gefunden"),
    }
}

/// Position in the dump, counting lines for error messages.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_bytes(&mut self, n: usize) {
        self.line += self.text[self.pos..self.pos + n].matches('\n').count();
        self.pos += n;
    }

    fn eat(&mut self, s: &str) -> bool {
        let found = self.text[self.pos..].starts_with(s);
        if found {
            self.skip_bytes(s.len());
        }
        found
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            s.push(c);
            self.bump();
        }
        s
    }

    fn skip_whitespace(&mut self) {
        self.take_while(char::is_whitespace);
    }

    /// The next character that is not whitespace, consumed.
    fn next_token(&mut self) -> Option<char> {
        self.skip_whitespace();
        self.bump()
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next_token() {
            Some(found) if found == c => Ok(()),
            other => Err(unexpected(&format!("'{c}'"), other)),
        }
    }

    /// Everything up to the closing character, which is consumed.
    fn until(&mut self, end: char) -> Result<String, String> {
        let s = self.take_while(|c| c != end);
        if self.bump() == Some(end) {
            Ok(s)
        } else {
            Err(format!("'{end}' fehlt"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"-- MySQL dump
LOCK TABLES `ozg_subject` WRITE;
INSERT INTO `ozg_subject` (`id`, `modified_at`, `created_at`, `name`, `hidden`) VALUES
 (1,'2019-10-05 14:38:10','2019-10-05 14:38:10','Arbeit & Ruhestand',0);
INSERT INTO `ozg_subject` (`id`, `name`, `hidden`) VALUES
 (2,'Bauen & Wohnen',0);
INSERT INTO `ozg_other` (`id`, `x`) VALUES (1,'skipped; (with) \'tricks\''),(2,0x1F);
INSERT INTO `ozg_situation` (`id`, `subject_id`, `modified_at`, `created_at`, `name`, `hidden`) VALUES
 (14,2,NULL,NULL,'Bauen',0),
 (56,1,NULL,NULL,'aaaaabbbbb',0),
 (57,1,NULL,NULL,'Abbau',0);
INSERT INTO `ozg_service_system` (`name`, `id`, `situation_id`, `service_key`) VALUES
 ('Abbruchgenehmigung',1,14,'10513'),
 ('Ohne Lebenslage',2,NULL,NULL);
INSERT INTO `ozg_service` (`id`, `name`, `hidden`, `service_system_id`, `service_key`, `service_type`, `legal_basis`) VALUES
 (2,'Abbruchgenehmigung ',0,1,'99012001000000','4',''),
 (7,'Zeile\numbruch \"zitiert\" C:\\\\pfad\tTab \0 It\'s It''s',1,NULL,'nicht im LeiKa','2/3','§ 1 [http://x/__1.html]');
UNLOCK TABLES;
"#;

    #[test]
    fn parses_the_catalogue_tables() {
        let c = parse_ozg_dump("dump.sql", SAMPLE).expect("sample parses");
        let themen: Vec<_> = c
            .themenfelder
            .iter()
            .map(|t| (t.id, t.name.as_str()))
            .collect();
        assert_eq!(themen, [(1, "Arbeit & Ruhestand"), (2, "Bauen & Wohnen")]);
        let lagen: Vec<_> = c
            .lebenslagen
            .iter()
            .map(|l| (l.id, l.themenfeld_id, l.name.as_str()))
            .collect();
        assert_eq!(
            lagen,
            [(14, 2, "Bauen"), (57, 1, "Abbau")],
            "junk row dropped, 'Abbau' kept"
        );
        assert_eq!(
            c.leistungen,
            [
                OzgLeistung {
                    id: 1,
                    lebenslage_id: Some(14),
                    ozg_id: Some(10513),
                    name: "Abbruchgenehmigung".into()
                },
                OzgLeistung {
                    id: 2,
                    lebenslage_id: None,
                    ozg_id: None,
                    name: "Ohne Lebenslage".into()
                },
            ]
        );
        assert_eq!(
            c.services[0],
            OzgService {
                id: 2,
                leistung_id: Some(1),
                leika: "99012001000000".into(),
                name: "Abbruchgenehmigung".into(),
                leika_type: Some("4".into()),
                legal_basis: None,
                hidden: false,
            }
        );
        let s = &c.services[1];
        assert_eq!(
            s.name,
            "Zeile\numbruch \"zitiert\" C:\\\\pfad\tTab \0 It's It's"
        );
        assert_eq!(
            (s.leistung_id, s.leika.as_str(), s.hidden),
            (None, "nicht im LeiKa", true)
        );
        assert_eq!(s.legal_basis.as_deref(), Some("§ 1 [http://x/__1.html]"));
    }

    fn error(text: &str) -> SourceError {
        parse_ozg_dump("dump.sql", text).expect_err("must fail")
    }

    /// The error of the sample with `from` replaced by `to`.
    fn broken(from: &str, to: &str) -> SourceError {
        assert!(SAMPLE.contains(from), "sample lacks {from}");
        error(&SAMPLE.replace(from, to))
    }

    #[test]
    fn a_missing_table_is_an_error() {
        let e = broken("`ozg_situation`", "`ozg_lage`");
        assert_eq!(e.file, "dump.sql");
        assert_eq!(e.record, "Tabelle ozg_situation");
        assert!(e.reason.contains("keine INSERT-Anweisung"), "{}", e.reason);
    }

    #[test]
    fn a_wrong_column_count_names_the_row() {
        let e = broken("(57,1,NULL,NULL,'Abbau',0)", "(57,1,NULL,'Abbau',0)");
        assert_eq!(e.record, "ozg_situation id 57 (Zeile 11)");
        assert_eq!(e.reason, "5 Werte statt 6 Spalten");
    }

    #[test]
    fn a_malformed_tuple_names_the_row() {
        let e = broken(
            "(56,1,NULL,NULL,'aaaaabbbbb',0)",
            "(56,1,NULL,NULL,'aaaaabbbbb' 0)",
        );
        assert_eq!(e.record, "ozg_situation id 56 (Zeile 10)");
        assert_eq!(e.reason, "',' oder ')' erwartet, '0' gefunden");
        let e = broken("(56,1,NULL,NULL,'aaaaabbbbb',0)", "(,1)");
        assert_eq!(e.record, "ozg_situation Tupel 2 (Zeile 10)");
        assert_eq!(e.reason, "Wert erwartet, ',' gefunden");
        let e = error("INSERT INTO `ozg_subject` (`id`, `name`) VALUES\n (1,'offen);\n");
        assert_eq!(e.record, "ozg_subject id 1 (Zeile 2)");
        assert_eq!(e.reason, "Zeichenkette nicht geschlossen");
        let e = error("INSERT INTO `ozg_subject` (`id`, `name`) VALUES (1,'a')\nINSERT");
        assert_eq!(e.record, "ozg_subject id 1 (Zeile 1)");
        assert_eq!(e.reason, "',' oder ';' erwartet, 'I' gefunden");
        let e = error("INSERT INTO `ozg_subject` (`id` `name`) VALUES (1,'a');");
        assert_eq!(e.record, "INSERT INTO `ozg_subject` (Zeile 1)");
    }

    #[test]
    fn bad_values_name_the_row_and_column() {
        let e = broken(
            "(2,'Abbruchgenehmigung ',0,1,",
            "(2,'Abbruchgenehmigung ',2,1,",
        );
        assert_eq!(e.record, "ozg_service id 2 (Zeile 16)");
        assert_eq!(e.reason, "Spalte 'hidden': '2' ist weder 0 noch 1");
        let e = broken(
            "'Abbruchgenehmigung',1,14,'10513'",
            "'Abbruchgenehmigung',1,14,'A10'",
        );
        assert_eq!(e.record, "ozg_service_system id 1 (Zeile 13)");
        assert_eq!(
            e.reason,
            "Spalte 'service_key': 'A10' ist keine gültige Zahl"
        );
        let e = broken(
            "(14,2,NULL,NULL,'Bauen',0)",
            "(14,NULL,NULL,NULL,'Bauen',0)",
        );
        assert_eq!(e.reason, "Spalte 'subject_id' ist NULL");
        let e = broken("'Bauen',0)", "' ',0)");
        assert_eq!(e.reason, "Spalte 'name' ist NULL oder leer");
        let e = broken("`service_type`", "`type`");
        assert_eq!(e.reason, "Spalte 'service_type' fehlt");
    }

    #[test]
    fn bundled_dump() {
        let text = std::fs::read_to_string(
            super::super::sources_dir_for_tests().join("ozg-katalog-nrw-2019/symfony.data.sql"),
        )
        .expect("source in SOURCES_DIR");
        let text = text.as_str();
        let c = parse_ozg_dump("symfony.data.sql", text).expect("bundled dump parses");
        assert_eq!(c.themenfelder.len(), 14);
        assert_eq!(c.lebenslagen.len(), 55);
        assert_eq!(c.leistungen.len(), 557);
        assert_eq!(c.services.len(), 5_251);
        let valid_key =
            |k: &str| k.len() == 14 && k.starts_with("99") && k.bytes().all(|b| b.is_ascii_digit());
        assert_eq!(
            c.services.iter().filter(|s| valid_key(&s.leika)).count(),
            4_813
        );
        let without_leistung = c.services.iter().filter(|s| s.leistung_id.is_none());
        assert_eq!(without_leistung.filter(|s| valid_key(&s.leika)).count(), 16);
        let ozg_ids: Vec<u32> = c.leistungen.iter().filter_map(|l| l.ozg_id).collect();
        assert_eq!(ozg_ids.len(), 557);
        assert!(ozg_ids.iter().all(|id| (10_000..=10_601).contains(id)));
        let types = |t: &str| {
            c.services
                .iter()
                .filter(|s| s.leika_type.as_deref() == Some(t))
                .count()
        };
        assert_eq!(
            (types("2/3"), types("1"), types("4"), types("5")),
            (3_566, 964, 625, 42)
        );
        let abbruch = c
            .leistungen
            .iter()
            .find(|l| l.ozg_id == Some(10513))
            .expect("10513");
        assert_eq!(abbruch.name, "Abbruchgenehmigung");
        // The hierarchy holds together: every reference points to an existing row.
        let lage_ids: Vec<u64> = c.lebenslagen.iter().map(|l| l.id).collect();
        let themen_ids: Vec<u64> = c.themenfelder.iter().map(|t| t.id).collect();
        let leistung_ids: Vec<u64> = c.leistungen.iter().map(|l| l.id).collect();
        assert!(c
            .lebenslagen
            .iter()
            .all(|l| themen_ids.contains(&l.themenfeld_id)));
        assert!(c
            .leistungen
            .iter()
            .filter_map(|l| l.lebenslage_id)
            .all(|id| lage_ids.contains(&id)));
        assert!(c
            .services
            .iter()
            .filter_map(|s| s.leistung_id)
            .all(|id| leistung_ids.contains(&id)));
    }
}
