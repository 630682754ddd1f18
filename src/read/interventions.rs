//! The interventions file: which place changed how, and from which date.
//!
//! A small CSV with a header line and one row per intervention:
//!
//! ```text
//! place_id,date,kind,description
//! arkivpladsen,2024-01-01,lighting,New LED lighting over the whole square
//! ```
//!
//! - `place_id`: the `id` of a place in the places file (also `place`,
//!   `sted_id`, `sted`);
//! - `date`: the first day of the intervention, ISO `YYYY-MM-DD`, a local
//!   date in the data's zone (also `dato`, `start_date`);
//! - `kind`: `lighting`, `benches`, `service`, or any other word (also
//!   `type`); see [`InterventionKind`];
//! - `description`: free text, optional (also `beskrivelse`);
//! - `controls`: optional, the ids of the control places chosen for this
//!   intervention, separated by `;` or `|` (also `control_places`,
//!   `kontrolsteder`); empty means the evaluation chooses them
//!   ([`Controls`](crate::Controls)).
//!
//! Commas, semicolons or tabs separate fields (the most frequent in the header line); a UTF-8
//! byte-order mark and CRLF line ends are accepted. A file that cannot be
//! used at all (cannot be read, empty, no `place_id`/`date`/`kind` column) is
//! an [`Error`]. Otherwise every data row is one row of the
//! [`IngestReport`] (kind `interventions`; `line` is the line in the file,
//! the header being line 1), accepted or rejected with one of these reasons:
//!
//! | reason | meaning |
//! |---|---|
//! | `wrong_field_count` | the row has more or fewer fields than the header |
//! | `missing_place_id` | the place id is empty |
//! | `unknown_place` | no place has that id |
//! | `bad_date` | the date is empty or not `YYYY-MM-DD` |
//! | `implausible_date` | the date is outside the years 1971–2069 ([`PLAUSIBLE_YEARS`](crate::PLAUSIBLE_YEARS)), e.g. a placeholder 1900-01-01 |
//! | `missing_kind` | the kind is empty |
//! | `duplicate_intervention` | the same place, date and kind as an earlier row |
//! | `unknown_control_place` | a control id that no place has, or the treated place itself |
//!
//! Notes on the whole file: `unused_column` (a column the reader does not
//! know, ignored) and `no_rows` (a header without rows).

use std::collections::HashSet;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::IngestReport;
use crate::model::Place;

/// What an intervention changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InterventionKind {
    /// New or better lighting (`lighting`, `light`, `belysning`, `lys`):
    /// evaluated also in darkness versus daylight.
    Lighting,
    /// Benches or other seating (`benches`, `bench`, `seating`, `bænke`).
    Benches,
    /// A service opened, closed or moved (`service`, `moved_service`, `tilbud`).
    Service,
    /// Anything else, by its given name (lower case).
    Other(String),
}

impl InterventionKind {
    /// Parses a kind name, including Danish names.
    ///
    /// ```
    /// use byrum::InterventionKind;
    /// assert_eq!(InterventionKind::parse(" Belysning "), InterventionKind::Lighting);
    /// assert_eq!(InterventionKind::parse("planting").as_str(), "planting");
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Self {
        let k = s.trim().to_lowercase().replace([' ', '-'], "_");
        match k.as_str() {
            "lighting" | "light" | "lights" | "belysning" | "lys" => Self::Lighting,
            "benches" | "bench" | "seating" | "bænke" | "baenke" | "bænk" => Self::Benches,
            "service" | "moved_service" | "new_service" | "tilbud" => Self::Service,
            _ => Self::Other(k),
        }
    }

    /// The kind as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Lighting => "lighting",
            Self::Benches => "benches",
            Self::Service => "service",
            Self::Other(s) => s,
        }
    }
}

/// One intervention at one place from one local date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervention {
    /// The place's id, as written.
    pub place_id: String,
    /// Index of the place in the places given to the reader (and so in
    /// [`Dataset::places`](crate::Dataset::places) when the same list is used).
    pub place: usize,
    /// The first local date with the intervention in place.
    pub date: NaiveDate,
    /// What changed.
    pub kind: InterventionKind,
    /// Free text.
    pub description: String,
    /// Control place ids chosen for this intervention (empty: chosen by the
    /// evaluation).
    pub controls: Vec<String>,
    /// The line in the file (header is line 1).
    pub line: u64,
}

/// The column names accepted for each field (lower case).
const COLUMNS: [(&str, &[&str]); 5] = [
    ("place_id", &["place_id", "place", "sted_id", "sted"]),
    ("date", &["date", "dato", "start_date", "from"]),
    ("kind", &["kind", "type", "art"]),
    ("description", &["description", "beskrivelse", "note"]),
    (
        "controls",
        &["controls", "control_places", "kontrolsteder", "kontrol"],
    ),
];

/// Reads the interventions file; place ids are checked against `places`.
///
/// ```
/// use byrum::read::interventions::read_interventions;
/// # let dir = std::env::temp_dir().join("byrum-doc-interventions");
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("interventions.csv");
/// std::fs::write(&path, "place_id,date,kind,description\n\
///     square,2024-01-01,lighting,New lamps\n\
///     nowhere,2024-01-01,benches,\n\
///     square,1.1.2024,benches,\n").unwrap();
/// # let poly = geo::MultiPolygon::new(vec![]); // the outline is not needed here
/// # let places = vec![byrum::Place { id: "square".into(), name: "Square".into(), geometry: poly,
/// #     kind: byrum::PlaceKind::Square, attributes: Default::default() }];
/// let (list, report) = read_interventions(&path, &places)?;
/// assert_eq!(list.len(), 1);
/// assert_eq!(list[0].kind, byrum::InterventionKind::Lighting);
/// assert_eq!(report.rejected_by_reason["unknown_place"], 1);
/// assert_eq!(report.rejections[1].line, 4);
/// assert_eq!(report.rejections[1].reason, "bad_date");
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; [`Error::Input`] if it is empty,
/// not UTF-8, or lacks a `place_id`, `date` or `kind` column.
pub fn read_interventions(
    path: &Path,
    places: &[Place],
) -> Result<(Vec<Intervention>, IngestReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::input(path, "the file is not UTF-8 text; save it as UTF-8 CSV"))?;
    // CRLF and lone CR (which the csv crate also ends a record at) become LF,
    // so that line numbers count them.
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let Some(header_line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Err(Error::input(
            path,
            "the file is empty; expected a header line place_id,date,kind,description and one row per intervention",
        ));
    };
    // The most frequent of `,`, `;` and tab in the header line (`,` if none).
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| (header_line.bytes().filter(|&b| b == d).count(), d == b','))
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut records = rdr.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|f| f.trim().to_lowercase()).collect(),
        Some(Err(e)) => {
            return Err(Error::input(
                path,
                format!("cannot read the header line: {e}"),
            ));
        }
        None => return Err(Error::input(path, "the file is empty")),
    };
    let mut report = IngestReport::new(path.display().to_string(), "interventions");
    let mut col = [None; 5];
    for (slot, (_, names)) in col.iter_mut().zip(COLUMNS) {
        *slot = header.iter().position(|h| names.contains(&h.as_str()));
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&col)
        .take(3)
        .filter(|(_, c)| c.is_none())
        .map(|((name, _), _)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(
            path,
            format!(
                "no {} column; the header is {:?}, expected place_id,date,kind,description",
                missing.join(", no "),
                header.join(",")
            ),
        ));
    }
    for (i, h) in header.iter().enumerate() {
        if !col.contains(&Some(i)) {
            report.warn(
                None,
                "unused_column",
                format!(
                    "column {h:?} is not used (known: place_id, date, kind, description, controls)"
                ),
            );
        }
    }
    let ids: Vec<&str> = places.iter().map(|p| p.id.as_str()).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |pos| line_at(&text, pos.byte()));
                report.reject(line, "wrong_field_count", format!("unreadable row: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |pos| line_at(&text, pos.byte()));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line is not a row
        }
        if rec.len() != header.len() {
            report.reject(
                line,
                "wrong_field_count",
                format!(
                    "{} fields but the header has {} (quote a description that contains {:?})",
                    rec.len(),
                    header.len(),
                    char::from(delimiter)
                ),
            );
            continue;
        }
        let field = |k: usize| col[k].and_then(|c| rec.get(c)).unwrap_or("").trim();
        let (place_id, date, kind) = (field(0), field(1), field(2));
        if place_id.is_empty() {
            report.reject(line, "missing_place_id", "the place_id is empty");
            continue;
        }
        let Some(place) = ids.iter().position(|&id| id == place_id) else {
            let known = ids.iter().take(8).copied().collect::<Vec<_>>().join(", ");
            report.reject(
                line,
                "unknown_place",
                format!("no place has id {place_id:?} (places: {known})"),
            );
            continue;
        };
        let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            report.reject(
                line,
                "bad_date",
                format!("date {date:?} is not an ISO date YYYY-MM-DD such as 2024-01-01"),
            );
            continue;
        };
        let (first, last) = crate::read::incidents::PLAUSIBLE_YEARS;
        if !(first..=last).contains(&date.year()) {
            report.reject(
                line,
                "implausible_date",
                format!(
                    "date {date} is outside the plausible years {first}–{last} (a placeholder for an unknown date?)"
                ),
            );
            continue;
        }
        if kind.is_empty() {
            report.reject(
                line,
                "missing_kind",
                "the kind is empty (e.g. lighting, benches, service)",
            );
            continue;
        }
        let controls: Vec<String> = field(4)
            .split([';', '|', ','])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = controls
            .iter()
            .find(|c| c.as_str() == place_id || !ids.contains(&c.as_str()))
        {
            let why = if bad == place_id {
                "is the place of the intervention itself".to_owned()
            } else {
                "is not the id of a place".to_owned()
            };
            report.reject(
                line,
                "unknown_control_place",
                format!("control place {bad:?} {why}"),
            );
            continue;
        }
        let kind = InterventionKind::parse(kind);
        if !seen.insert((place, date, kind.clone())) {
            report.reject(
                line,
                "duplicate_intervention",
                format!(
                    "{place_id} {date} {} is listed on an earlier line",
                    kind.as_str()
                ),
            );
            continue;
        }
        report.accept();
        out.push(Intervention {
            place_id: place_id.to_owned(),
            place,
            date,
            kind,
            description: field(3).to_owned(),
            controls,
            line,
        });
    }
    if report.read == 0 {
        report.warn(
            None,
            "no_rows",
            "the file has a header but no interventions",
        );
    }
    Ok((out, report))
}

/// The 1-based line of the record starting at byte `at` (the csv crate
/// places a record that follows a blank line at the blank line).
fn line_at(text: &str, at: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut i = (at as usize).min(bytes.len());
    while bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    1 + text[..i].matches('\n').count() as u64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn places() -> Vec<Place> {
        ["a", "b"]
            .iter()
            .map(|id| Place {
                id: (*id).to_owned(),
                name: id.to_uppercase(),
                geometry: geo::MultiPolygon::new(vec![]),
                kind: crate::model::PlaceKind::Square,
                attributes: crate::model::Attributes::new(),
            })
            .collect()
    }

    fn read(name: &str, text: &str) -> Result<(Vec<Intervention>, IngestReport)> {
        let dir = std::env::temp_dir().join("byrum-test-interventions");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        read_interventions(&path, &places())
    }

    #[test]
    fn every_row_is_accepted_or_rejected_with_its_line() {
        let text = "\u{feff}Place_ID,Date,Kind,Description,owner\r\n\
            a,2024-01-01,Lighting,\"New lamps, LED\",x\r\n\
            c,2024-01-01,benches,,x\r\n\
            b,2024-13-01,benches,,x\r\n\
            \r\n\
            b,2024-02-01,,,x\r\n\
            ,2024-02-01,benches,,x\r\n\
            b,2024-02-01,benches,too,many,x\r\n\
            a,2024-01-01,belysning,again,x\r\n\
            b,2024-02-01,Bænke,,x\r\n";
        let (list, r) = read("mixed.csv", text).unwrap();
        assert!(r.is_reconciled());
        assert_eq!((r.read, r.accepted, r.rejected), (8, 2, 6));
        let lines: Vec<(u64, &str)> = r
            .rejections
            .iter()
            .map(|x| (x.line, x.reason.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, "unknown_place"),
                (4, "bad_date"),
                (6, "missing_kind"),
                (7, "missing_place_id"),
                (8, "wrong_field_count"),
                (9, "duplicate_intervention"),
            ]
        );
        assert_eq!(list[0].description, "New lamps, LED");
        assert_eq!(list[0].kind, InterventionKind::Lighting);
        assert_eq!((list[0].place, list[0].line), (0, 2));
        assert_eq!(list[1].kind, InterventionKind::Benches);
        assert_eq!(list[1].date, NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
        assert_eq!(r.warnings_by_kind["unused_column"], 1);
        assert!(list.iter().all(|iv| iv.controls.is_empty()));
        assert!(r.rejections[0].detail.contains("\"c\""));
    }

    #[test]
    fn semicolons_and_header_only() {
        let (list, r) = read("semi.csv", "sted_id;dato;type\nb;2024-03-05;lys\n").unwrap();
        assert_eq!(list[0].place, 1);
        assert_eq!(list[0].kind, InterventionKind::Lighting);
        assert_eq!(r.accepted, 1);
        let (list, r) = read(
            "controls.csv",
            "place_id,date,kind,controls\na,2024-01-01,lighting,\"b; c\"\na,2024-02-01,lighting,a\na,2024-03-01,lighting, b |b\n",
        )
        .unwrap();
        assert_eq!(r.rejected_by_reason["unknown_control_place"], 2);
        assert!(r.rejections[0].detail.contains("\"c\" is not"));
        assert!(r.rejections[1].detail.contains("itself"));
        assert_eq!(list[0].controls, vec!["b", "b"]);
        let (list, r) = read("header.csv", "place_id,date,kind,description\n").unwrap();
        assert!(list.is_empty());
        assert_eq!(r.warnings_by_kind["no_rows"], 1);
    }

    #[test]
    fn unusable_files_are_errors_with_clear_messages() {
        let e = read("empty.csv", "").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = read("blank.csv", "\n\n").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = read("cols.csv", "id,when,what\na,2024-01-01,x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no place_id, no date, no kind column"), "{e}");
        let e = read("nodate.csv", "place_id,kind\na,x\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no date column"), "{e}");
        let e = read_interventions(Path::new("/nonexistent/iv.csv"), &places())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
    }
}
