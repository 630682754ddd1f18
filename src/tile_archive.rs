//! Tile archives: MBTiles 1.3 (SQLite, TMS rows) and PMTiles v3 (one file,
//! Hilbert-ordered, via the `pmtiles` crate). Both are written to a temporary
//! file next to the target and renamed into place on
//! [`finish`](MbTilesWriter::finish), so an interrupted run never leaves a
//! half-written archive under the final name.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::output::TempFile;
use crate::tile::TileId;

/// What an archive says about its tiles: the MBTiles `metadata` table and the
/// PMTiles header and JSON metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TileSetInfo {
    /// Name of the tile set (e.g. `byrum density 21-24_winter`).
    pub name: String,
    /// Longer description (what the colours mean).
    pub description: String,
    /// Attribution shown by map clients.
    pub attribution: String,
    /// Image format of the tiles (`png`).
    pub format: String,
    /// West, south, east, north in degrees (WGS84).
    pub bounds: (f64, f64, f64, f64),
    /// Longitude, latitude and zoom a client should open at.
    pub center: (f64, f64, u8),
    /// Lowest zoom.
    pub min_zoom: u8,
    /// Highest zoom.
    pub max_zoom: u8,
}

impl TileSetInfo {
    /// Info for PNG tiles covering `tiles`: bounds are the union of the
    /// tiles at the deepest zoom, the centre is the middle of the bounds at
    /// two levels above the lowest zoom (within the range).
    ///
    /// # Errors
    /// [`Error::Parameter`] if `tiles` is empty.
    ///
    /// ```
    /// use byrum::{TileId, TileSetInfo};
    /// let t = TileId::containing(9.9187, 57.0488, 14)?;
    /// let info = TileSetInfo::covering("demo", &[t])?;
    /// assert_eq!((info.min_zoom, info.max_zoom, info.center.2), (14, 14, 14));
    /// assert!(info.bounds.0 < 9.9187 && 9.9187 < info.bounds.2);
    /// # Ok::<(), byrum::Error>(())
    /// ```
    pub fn covering(name: impl Into<String>, tiles: &[TileId]) -> Result<Self> {
        let (Some(min_zoom), Some(max_zoom)) = (
            tiles.iter().map(|t| t.z).min(),
            tiles.iter().map(|t| t.z).max(),
        ) else {
            return Err(Error::parameter(
                "tile set",
                "has no tiles: the study area touches none at these zooms",
            ));
        };
        let mut b = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for t in tiles.iter().filter(|t| t.z == max_zoom) {
            let (w, s, e, n) = t.bounds_lonlat();
            b = (b.0.min(w), b.1.min(s), b.2.max(e), b.3.max(n));
        }
        Ok(Self {
            name: name.into(),
            description: String::new(),
            attribution: String::new(),
            format: "png".to_owned(),
            bounds: b,
            center: (
                f64::midpoint(b.0, b.2),
                f64::midpoint(b.1, b.3),
                (min_zoom + 2).min(max_zoom),
            ),
            min_zoom,
            max_zoom,
        })
    }

    /// The MBTiles 1.3 `metadata` rows, in a fixed order.
    #[must_use]
    pub fn mbtiles_metadata(&self) -> Vec<(&'static str, String)> {
        let (w, s, e, n) = self.bounds;
        let (lon, lat, z) = self.center;
        vec![
            ("name", self.name.clone()),
            ("format", self.format.clone()),
            ("bounds", format!("{w:.7},{s:.7},{e:.7},{n:.7}")),
            ("center", format!("{lon:.7},{lat:.7},{z}")),
            ("minzoom", self.min_zoom.to_string()),
            ("maxzoom", self.max_zoom.to_string()),
            ("description", self.description.clone()),
            ("attribution", self.attribution.clone()),
            ("type", "overlay".to_owned()),
            ("version", "1".to_owned()),
        ]
    }
}

fn archive_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::TileArchive {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Writes an MBTiles 1.3 file: a `metadata` table and a `tiles` table keyed
/// by zoom, column and TMS row (`2^z − 1 − y`), in one transaction.
///
/// ```
/// use byrum::{MbTilesWriter, TileId, TileSetInfo};
/// # let dir = std::env::temp_dir().join("byrum-doc-mbtiles");
/// let t = TileId::new(14, 8643, 5015)?;
/// let mut w = MbTilesWriter::create(&dir.join("demo.mbtiles"), &TileSetInfo::covering("demo", &[t])?)?;
/// w.add(t, b"\x89PNG...")?;
/// assert_eq!(w.finish()?, 1);
/// # Ok::<(), byrum::Error>(())
/// ```
pub struct MbTilesWriter {
    conn: Connection,
    tmp: TempFile,
    path: PathBuf,
    count: usize,
}

impl std::fmt::Debug for MbTilesWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbTilesWriter")
            .field("path", &self.path)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl MbTilesWriter {
    /// Starts an archive that will appear at `path` on [`finish`](Self::finish).
    ///
    /// # Errors
    /// [`Error::Io`] if the folder cannot be created; [`Error::TileArchive`]
    /// if SQLite cannot create the file.
    pub fn create(path: &Path, info: &TileSetInfo) -> Result<Self> {
        let tmp = TempFile::next_to(path)?;
        let conn = Connection::open(&tmp.path).map_err(|e| archive_error(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE UNIQUE INDEX name ON metadata (name);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
             BEGIN;",
        )
        .map_err(|e| archive_error(path, e))?;
        for (name, value) in info.mbtiles_metadata() {
            conn.execute(
                "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(|e| archive_error(path, e))?;
        }
        Ok(Self {
            conn,
            tmp,
            path: path.to_owned(),
            count: 0,
        })
    }

    /// Adds one tile (stored under its TMS row).
    ///
    /// # Errors
    /// [`Error::TileArchive`] if the tile is already there or SQLite fails.
    pub fn add(&mut self, tile: TileId, data: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![tile.z, tile.x, tile.tms_y(), data]))
            .map_err(|e| archive_error(&self.path, format!("tile {}: {e}", tile.path())))?;
        self.count += 1;
        Ok(())
    }

    /// Commits, closes and renames the archive into place; returns the number
    /// of tiles.
    ///
    /// # Errors
    /// [`Error::TileArchive`] if SQLite fails; [`Error::Io`] if the file
    /// cannot be renamed into place.
    pub fn finish(self) -> Result<usize> {
        let Self {
            conn,
            tmp,
            path,
            count,
        } = self;
        conn.execute_batch("COMMIT;")
            .map_err(|e| archive_error(&path, e))?;
        conn.close().map_err(|(_, e)| archive_error(&path, e))?;
        tmp.rename_to(&path)?;
        Ok(count)
    }
}

/// Writes a PMTiles v3 archive (via the `pmtiles` crate). Tiles should be
/// added in increasing PMTiles tile id (see [`pmtiles_order`]) so the archive
/// is clustered; identical tiles are stored once.
pub struct PmTilesWriter {
    inner: pmtiles::PmTilesStreamWriter<File>,
    tmp: TempFile,
    path: PathBuf,
    count: usize,
}

impl std::fmt::Debug for PmTilesWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PmTilesWriter")
            .field("path", &self.path)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl PmTilesWriter {
    /// Starts an archive of PNG tiles that will appear at `path` on
    /// [`finish`](Self::finish). The JSON metadata carries the name,
    /// description and attribution.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be created; [`Error::TileArchive`] if
    /// the writer fails.
    pub fn create(path: &Path, info: &TileSetInfo) -> Result<Self> {
        let tmp = TempFile::next_to(path)?;
        let file = File::create(&tmp.path).map_err(|e| Error::io("create", &tmp.path, e))?;
        let (w, s, e, n) = info.bounds;
        let metadata = serde_json::json!({
            "name": info.name,
            "description": info.description,
            "attribution": info.attribution,
            "format": info.format,
            "type": "overlay",
        });
        let inner = pmtiles::PmTilesWriter::new(pmtiles::TileType::Png)
            .min_zoom(info.min_zoom)
            .max_zoom(info.max_zoom)
            .bounds(w, s, e, n)
            .center(info.center.0, info.center.1)
            .center_zoom(info.center.2)
            .metadata(metadata.to_string())
            .create(file)
            .map_err(|e| archive_error(path, e))?;
        Ok(Self {
            inner,
            tmp,
            path: path.to_owned(),
            count: 0,
        })
    }

    /// Adds one tile.
    ///
    /// # Errors
    /// [`Error::TileArchive`] if the writer fails.
    pub fn add(&mut self, tile: TileId, data: &[u8]) -> Result<()> {
        let coord = pmtiles::TileCoord::new(tile.z, tile.x, tile.y)
            .map_err(|e| archive_error(&self.path, e))?;
        self.inner
            .add_tile(coord, data)
            .map_err(|e| archive_error(&self.path, e))?;
        self.count += 1;
        Ok(())
    }

    /// Writes the directories and header and renames the archive into place;
    /// returns the number of tiles added.
    ///
    /// # Errors
    /// [`Error::TileArchive`] if the writer fails; [`Error::Io`] if the file
    /// cannot be renamed into place.
    pub fn finish(self) -> Result<usize> {
        self.inner
            .finalize()
            .map_err(|e| archive_error(&self.path, e))?;
        self.tmp.rename_to(&self.path)?;
        Ok(self.count)
    }
}

/// The PMTiles v3 tile id (position on the Hilbert curves of all zooms), the
/// order a clustered archive stores tiles in.
///
/// ```
/// use byrum::{TileId, pmtiles_order};
/// assert_eq!(pmtiles_order(TileId::new(0, 0, 0)?), 0);
/// assert_eq!(pmtiles_order(TileId::new(1, 0, 0)?), 1);
/// assert_eq!(pmtiles_order(TileId::new(2, 0, 0)?), 5);
/// # Ok::<(), byrum::Error>(())
/// ```
#[must_use]
pub fn pmtiles_order(tile: TileId) -> u64 {
    pmtiles::TileCoord::new(tile.z, tile.x, tile.y)
        .map_or(u64::MAX, |c| pmtiles::TileId::from(c).value())
}
