//! The crate's error type.
//!
//! Row-level problems (a bad coordinate on line 812) are *not* errors: they are
//! rejections recorded in an [`IngestReport`](crate::IngestReport), and reading
//! goes on. An [`Error`] means a whole input or request cannot be used: a file
//! that cannot be opened, a missing column, an unknown time zone, a parameter
//! out of range. Every message names the file or parameter and says what to do.

use std::path::PathBuf;

/// Everything that can make a byrum call fail as a whole.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// An input file cannot be used at all (empty, wrong columns, not GeoJSON, …).
    #[error("{}: {message}", path.display())]
    Input {
        /// The file (or a name such as `<DataFrame>` for in-memory input).
        path: PathBuf,
        /// What is wrong and what to do about it, in plain words.
        message: String,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid {name}: {reason}")]
    Parameter {
        /// The parameter, as the user would write it (`h3 resolution`, `--tz`).
        name: &'static str,
        /// Why the value cannot be used.
        reason: String,
    },
    /// A time-zone name is not in the IANA database.
    #[error(
        "unknown time zone {0:?}: use an IANA name such as \"Europe/Copenhagen\" or \"America/Chicago\""
    )]
    UnknownTimeZone(String),
    /// A coordinate transformation failed.
    #[error("projection failed: {0}")]
    Projection(String),
    /// An error reported by polars while reading or writing a table.
    #[error("table error: {0}")]
    Polars(#[from] polars::error::PolarsError),
    /// A tile archive (MBTiles or PMTiles) could not be written.
    #[error("cannot write tile archive {}: {reason}", path.display())]
    TileArchive {
        /// The archive.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// JSON could not be written.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// An [`Error::Input`] for `path` with `message`.
    pub(crate) fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Parameter`].
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        Error::Parameter {
            name,
            reason: reason.into(),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
