//! Ingest reports: every row read is either accepted or rejected with its
//! file, line and reason, so that `read == accepted + rejected` always holds.

use std::collections::BTreeMap;

use serde::Serialize;

/// At most this many rejections and warnings are listed one by one per input
/// (counts are always complete).
pub const MAX_LISTED: usize = 100_000;

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// The input file (or `<DataFrame>`).
    pub file: String,
    /// The line in the file (1-based, header is line 1) or the row number for tables.
    pub line: u64,
    /// Short machine-readable reason (`bad_coordinate`, `out_of_study_area`, …).
    pub reason: String,
    /// Plain-language detail naming the offending value.
    pub detail: String,
}

/// One accepted row with a caveat, or a note about a whole input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// The input file.
    pub file: String,
    /// The line, if the warning is about one row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Short machine-readable kind (`ambiguous_local_time`, `duplicate_record`, …).
    pub kind: String,
    /// Plain-language message.
    pub message: String,
}

/// What happened to the rows of one input.
///
/// ```
/// let mut r = byrum::IngestReport::new("incidents.csv", "incidents");
/// r.accept();
/// r.reject(3, "bad_coordinate", "latitude 95.2 is outside −90…90");
/// assert_eq!(r.read, 2);
/// assert!(r.is_reconciled());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestReport {
    /// The input file.
    pub file: String,
    /// What it holds (`incidents`, `places`, `services`, `routes`).
    pub kind: String,
    /// Data rows (or features) read.
    pub read: u64,
    /// Rows used.
    pub accepted: u64,
    /// Rows not used.
    pub rejected: u64,
    /// Rejected rows per reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Rejected rows, one by one (at most [`MAX_LISTED`]).
    pub rejections: Vec<Rejection>,
    /// Accepted rows with a caveat, and notes about the whole input.
    pub warnings: Vec<Warning>,
    /// Warnings per kind (complete even when the list is cut).
    pub warnings_by_kind: BTreeMap<String, u64>,
}

impl IngestReport {
    /// An empty report for `file`.
    #[must_use]
    pub fn new(file: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            kind: kind.into(),
            ..Self::default()
        }
    }

    /// Counts one accepted row.
    pub fn accept(&mut self) {
        self.read += 1;
        self.accepted += 1;
    }

    /// Counts `n` accepted rows.
    pub fn accept_rows(&mut self, n: u64) {
        self.read += n;
        self.accepted += n;
    }

    /// Counts one rejected row.
    pub fn reject(&mut self, line: u64, reason: &str, detail: impl Into<String>) {
        self.read += 1;
        self.rejected += 1;
        *self
            .rejected_by_reason
            .entry(reason.to_owned())
            .or_default() += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(Rejection {
                file: self.file.clone(),
                line,
                reason: reason.to_owned(),
                detail: detail.into(),
            });
        }
    }

    /// Takes back an accepted row and rejects it (used when a later check,
    /// such as the study area, fails after acceptance).
    pub fn unaccept_and_reject(&mut self, line: u64, reason: &str, detail: impl Into<String>) {
        self.read -= 1;
        self.accepted -= 1;
        self.reject(line, reason, detail);
    }

    /// Records a caveat on an accepted row (`line`) or a note on the input (`None`).
    pub fn warn(&mut self, line: Option<u64>, kind: &str, message: impl Into<String>) {
        *self.warnings_by_kind.entry(kind.to_owned()).or_default() += 1;
        if self.warnings.len() < MAX_LISTED {
            self.warnings.push(Warning {
                file: self.file.clone(),
                line,
                kind: kind.to_owned(),
                message: message.into(),
            });
        }
    }

    /// Whether `read == accepted + rejected` and the per-reason counts add up.
    #[must_use]
    pub fn is_reconciled(&self) -> bool {
        self.read == self.accepted + self.rejected
            && self.rejected_by_reason.values().sum::<u64>() == self.rejected
    }
}

/// The reports of all inputs of a run, with totals, as written to
/// `ingest_report.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// Rows read over all inputs.
    pub read: u64,
    /// Rows accepted over all inputs.
    pub accepted: u64,
    /// Rows rejected over all inputs.
    pub rejected: u64,
    /// Rejections per reason over all inputs.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// All warnings (rows accepted with a caveat, notes on inputs).
    pub warnings: Vec<Warning>,
    /// The per-input reports.
    pub inputs: Vec<IngestReport>,
}

impl IngestSummary {
    /// Sums the reports.
    #[must_use]
    pub fn of(reports: Vec<IngestReport>) -> Self {
        let mut s = Self::default();
        for r in &reports {
            s.read += r.read;
            s.accepted += r.accepted;
            s.rejected += r.rejected;
            for (k, v) in &r.rejected_by_reason {
                *s.rejected_by_reason.entry(k.clone()).or_default() += v;
            }
            s.warnings.extend(r.warnings.iter().cloned());
        }
        s.inputs = reports;
        s
    }
}
