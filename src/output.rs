//! Writing outputs safely.
//!
//! - **Atomic files**: [`write_atomic`] writes to a temporary name in the same
//!   folder (unique per process, thread and call) and renames it into place,
//!   so a reader never sees half a file. Every byrum writer (layers, tables,
//!   images, tiles, archives, the report) goes through it or through the same
//!   temporary-name scheme.
//! - **Whole output folders**: [`OutputDir`] stages a run in a sibling folder
//!   and swaps it in only when everything succeeded, so an interrupted or
//!   failed run leaves the previous outputs whole. It forces the staged files
//!   to disk once, before the swap, so a committed run also survives a power
//!   cut. Single files are not forced to disk one by one: a `fsync` took
//!   3 ms per small file and 20 ms per 8 MB on our 2-core test machine, most
//!   of the time of writing 600 tiles.
//! - **Untrusted names**: [`safe_file_name`] turns a name from data or options
//!   (a time bin, a season, a place) into one plain file name that cannot leave
//!   the output folder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use image::{ImageFormat, RgbaImage};

use crate::error::{Error, Result};

/// Numbers the temporary names of this process, so no two writers (threads,
/// or two writes of the same file) ever share one.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The longest name (in bytes) [`safe_file_name`] returns before its suffix;
/// leaves room for prefixes, extensions and temporary names within the
/// 255-byte limit of common file systems.
pub const MAX_NAME_BYTES: usize = 96;

/// A temporary name next to `path`: `.<name>.<pid>-<n>.tmp`, unique within
/// this process and between processes.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = truncate(&name, 200);
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// `s` cut to at most `max` bytes at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Creates the parent folder of `path` (if it has one).
pub(crate) fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    Ok(())
}

/// A temporary file that is removed when dropped, unless [`kept`](Self::keep)
/// (after it was renamed into place).
#[derive(Debug)]
pub(crate) struct TempFile {
    pub(crate) path: PathBuf,
    keep: bool,
}

impl TempFile {
    /// A fresh temporary name next to `path` (folder created).
    pub(crate) fn next_to(path: &Path) -> Result<Self> {
        create_parent(path)?;
        Ok(Self {
            path: temporary_path(path),
            keep: false,
        })
    }

    /// Renames the file to `path`; it is not removed afterwards.
    pub(crate) fn rename_to(mut self, path: &Path) -> Result<()> {
        rename_into_place(&self.path, path)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Renames the finished temporary file `tmp` to `path`; removes `tmp` if
/// that fails.
pub(crate) fn rename_into_place(tmp: &Path, path: &Path) -> Result<()> {
    let done = std::fs::rename(tmp, path).map_err(|e| Error::io("write", path, e));
    if done.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    done
}

/// Writes `bytes` to `path` atomically, creating the parent folder: the bytes
/// go to a temporary name in the same folder (unique per process and call, so
/// parallel writers never collide), and the file is renamed into place. A
/// reader sees the old file or the new one, never a mix; if writing fails the
/// temporary file is removed. The file is not forced to disk: write into an
/// [`OutputDir`], whose commit does that for the whole run at once.
///
/// ```
/// # let dir = std::env::temp_dir().join("byrum-doc-write-atomic");
/// let path = dir.join("sub/table.csv");
/// byrum::write_atomic(&path, b"a,b\n1,2\n")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n1,2\n");
/// # Ok::<(), byrum::Error>(())
/// ```
///
/// # Errors
/// [`Error::Io`] if the folder or file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    create_parent(path)?;
    let tmp = temporary_path(path);
    let written = std::fs::File::create(&tmp)
        .map_err(|e| Error::io("create", &tmp, e))
        .and_then(|mut f| f.write_all(bytes).map_err(|e| Error::io("write", &tmp, e)))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// PNG bytes of an image (deterministic: the same pixels give the same bytes).
pub(crate) fn encode_png(img: &RgbaImage) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
        .map_err(|e| Error::parameter("PNG", e.to_string()))?;
    Ok(bytes)
}

/// Writes an image as PNG to `path` atomically, creating the parent folder.
///
/// # Errors
/// [`Error::Io`] if the file cannot be written; [`Error::Parameter`] if the
/// image cannot be encoded.
pub fn write_png(path: &Path, img: &RgbaImage) -> Result<()> {
    write_atomic(path, &encode_png(img)?)
}

/// A plain file name made from an untrusted name (a time bin, a season, a
/// place): one path component that cannot leave the folder it is joined to.
///
/// Letters and digits (any script, so `Nørresundby` and `Töölö` stay as they
/// are), `-`, `_` and `.` are kept; every other character (`/`, `\`, `:`, NUL,
/// spaces, controls, `~`, …) becomes `_`. The result never starts or ends
/// with `.` (so never `.` or `..`, never hidden), is never empty, never a
/// reserved Windows device name (`CON`, `NUL`, `COM1`, …) and at most
/// [`MAX_NAME_BYTES`] bytes before the suffix. A name that had to change gets
/// `~` and 8 hex digits of a hash of the original (FNV-1a), so distinct inputs
/// give distinct outputs: an unchanged name never contains `~`. The same input
/// always gives the same output (no randomness). Apply it once: a changed
/// name, passed again, changes again.
///
/// File systems that ignore case (macOS, Windows) still see `Winter` and
/// `winter` as one name.
///
/// ```
/// use byrum::safe_file_name;
/// assert_eq!(safe_file_name("21-24_winter"), "21-24_winter");
/// assert_eq!(safe_file_name("Nørresundby"), "Nørresundby");
/// let s = safe_file_name("../../etc");
/// assert!(s.starts_with("_._.._etc~") && !s.contains('/'));
/// assert_ne!(safe_file_name("a/b"), safe_file_name("a:b"));
/// ```
#[must_use]
pub fn safe_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let keep = truncate(&out, MAX_NAME_BYTES).len();
    out.truncate(keep);
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    if out.ends_with('.') {
        out.pop();
        out.push('_');
    }
    if out.is_empty() {
        out.push('_');
    }
    if windows_reserved(&out) {
        out.insert(0, '_');
    }
    if out == name {
        out
    } else {
        format!("{out}~{:08x}", fnv1a32(name.as_bytes()))
    }
}

/// Whether a name's stem (before the first `.`) is a reserved Windows device.
fn windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || (stem.len() == 4
        && (stem.starts_with("COM") || stem.starts_with("LPT"))
        && stem.as_bytes()[3].is_ascii_digit())
}

/// FNV-1a over the bytes, folded to 32 bits (stable across platforms and
/// versions, unlike the standard library's hasher).
fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((h >> 32) ^ h) as u32
}

/// An output folder written as a whole: files go into a staging folder next
/// to the target (`<out>.byrum-partial-<pid>-<n>`), and [`commit`](Self::commit)
/// swaps it in with two renames (old `<out>` → `<out>.byrum-old-<pid>-<n>`,
/// staging → `<out>`) and then deletes the old folder. A run that fails (or
/// is dropped without `commit`) removes its staging folder and leaves the
/// previous `<out>` untouched; a run that is killed leaves its staging folder,
/// which the next [`stage`](Self::stage) of the same target removes once that
/// process is gone (and if it was killed between the two renames, the old
/// folder is put back: between them `<out>` is briefly missing, never mixed).
///
/// To avoid deleting someone's files, an existing `<out>` (or a leftover) is
/// replaced or removed only if it is empty or was written by byrum: it holds
/// the marker file [`OutputDir::MARKER`] (every staged folder gets one), or,
/// from versions before the marker, `ingest_report.json`. A mount point
/// cannot be renamed: give a folder inside it.
///
/// ```
/// use byrum::{OutputDir, write_atomic};
/// # let base = std::env::temp_dir().join("byrum-doc-output-dir");
/// # let _ = std::fs::remove_dir_all(&base);
/// let out = base.join("out");
/// let stage = OutputDir::stage(&out)?;
/// write_atomic(&stage.path().join("a.csv"), b"x\n1\n")?;
/// assert!(!out.exists()); // nothing visible until commit
/// stage.commit()?;
/// assert_eq!(std::fs::read(out.join("a.csv")).unwrap(), b"x\n1\n");
///
/// // A failed run: the staging folder goes, the old output stays whole.
/// let stage = OutputDir::stage(&out)?;
/// write_atomic(&stage.path().join("a.csv"), b"half")?;
/// drop(stage);
/// assert_eq!(std::fs::read(out.join("a.csv")).unwrap(), b"x\n1\n");
/// # Ok::<(), byrum::Error>(())
/// ```
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl OutputDir {
    /// The marker file every staged output folder holds (its content is
    /// fixed, so it does not break byte-for-byte comparisons of runs).
    pub const MARKER: &'static str = ".byrum-output";

    /// Starts a run that will replace the folder `target`: removes what
    /// killed runs left next to it, checks that an existing `target` may be
    /// replaced, and creates an empty staging folder (with the marker).
    ///
    /// # Errors
    /// [`Error::Parameter`] if `target` has no folder name (`/`, `..`), is a
    /// file, or is a folder with files that byrum did not write;
    /// [`Error::Io`] if the folders cannot be read or created.
    pub fn stage(target: impl AsRef<Path>) -> Result<Self> {
        let mut target = target.as_ref().to_owned();
        if target.is_symlink() || target.file_name().is_none() {
            // `out -> /data/out`, `.`, `out/..`: work on the real folder.
            target = target
                .canonicalize()
                .map_err(|e| Error::io("read", &target, e))?;
        }
        let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Err(Error::parameter(
                "output folder",
                format!(
                    "{} has no folder name: give a folder such as out/aalborg",
                    target.display()
                ),
            ));
        };
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        std::fs::create_dir_all(&parent).map_err(|e| Error::io("create", &parent, e))?;
        recover(&parent, &name, &target)?;
        check_replaceable(&target)?;
        let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let staging = parent.join(format!("{name}.byrum-partial-{}-{n}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|e| Error::io("create", &staging, e))?;
        let dir = Self {
            target,
            staging,
            committed: false,
        };
        write_atomic(
            &dir.staging.join(Self::MARKER),
            b"Written by byrum. Each run replaces this whole folder.\n",
        )?;
        Ok(dir)
    }

    /// The staging folder: write every output here.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the outputs will appear in on [`commit`](Self::commit).
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Forces the staged files to disk, then swaps the staging folder in for
    /// the target (old target → `<out>.byrum-old-<pid>-<n>`, staging → target,
    /// old deleted) and returns the target. If the second rename fails, the
    /// old folder is put back.
    ///
    /// # Errors
    /// [`Error::Io`] if the files cannot be forced to disk or a rename fails
    /// (the previous outputs are then still in place).
    pub fn commit(mut self) -> Result<PathBuf> {
        sync_tree(&self.staging)?;
        let old = if self.target.exists() {
            let name = self
                .target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let old = self
                .target
                .with_file_name(format!("{name}.byrum-old-{}-{n}", std::process::id()));
            std::fs::rename(&self.target, &old).map_err(|e| Error::io("move", &self.target, e))?;
            Some(old)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if let Some(old) = &old {
                let _ = std::fs::rename(old, &self.target);
            }
            return Err(Error::io("move", &self.staging, e));
        }
        self.committed = true;
        sync_dir(self.target.parent());
        if let Some(old) = old {
            // Already out of sight; a failure here is cleaned up by the next run.
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Forces every file under `dir` to disk: on Linux one `syncfs` (the file
/// system's pending writes at once, where each file's `fsync` would wait on
/// the disk once per file), elsewhere each file's `fsync`.
fn sync_tree(dir: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let d = std::fs::File::open(dir).map_err(|e| Error::io("read", dir, e))?;
        rustix::fs::syncfs(&d).map_err(|e| Error::io("write", dir, e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))? {
            let path = entry.map_err(|e| Error::io("read", dir, e))?.path();
            if path.is_dir() {
                sync_tree(&path)?;
            } else {
                std::fs::File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| Error::io("write", &path, e))?;
            }
        }
        Ok(())
    }
}

/// Syncs a folder's entries (the renames) to disk where the platform allows.
fn sync_dir(dir: Option<&Path>) {
    #[cfg(unix)]
    if let Some(d) = dir.filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(d).and_then(|f| f.sync_all());
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// What a killed run left next to `<parent>/<name>`: staging (`partial`) and
/// old (`old`) folders with their process id.
fn leftovers(parent: &Path, name: &str) -> Result<Vec<(PathBuf, bool, u32)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(parent).map_err(|e| Error::io("read", parent, e))?;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(name) else {
            continue;
        };
        let (is_old, tail) = if let Some(t) = rest.strip_prefix(".byrum-old-") {
            (true, t)
        } else if let Some(t) = rest.strip_prefix(".byrum-partial-") {
            (false, t)
        } else {
            continue;
        };
        let Some((pid, n)) = tail.split_once('-') else {
            continue;
        };
        if let (Ok(pid), Ok(_)) = (pid.parse::<u32>(), n.parse::<u64>()) {
            found.push((entry.path(), is_old, pid));
        }
    }
    found.sort();
    Ok(found)
}

/// Whether process `pid` may still be running (and using its folders).
fn may_be_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true; // another OutputDir of this process
    }
    let proc = Path::new("/proc");
    // Without /proc (not Linux) a foreign run is taken as finished: two runs
    // into the same folder at once are not supported there.
    proc.is_dir() && proc.join(pid.to_string()).exists()
}

/// Removes what killed runs left; puts an old folder back if a run was killed
/// between the two renames of its commit.
fn recover(parent: &Path, name: &str, target: &Path) -> Result<()> {
    for (path, is_old, pid) in leftovers(parent, name)? {
        if may_be_running(pid) || !written_by_byrum(&path) {
            continue;
        }
        if is_old && !target.exists() {
            std::fs::rename(&path, target).map_err(|e| Error::io("move", &path, e))?;
        } else {
            std::fs::remove_dir_all(&path).map_err(|e| Error::io("remove", &path, e))?;
        }
    }
    Ok(())
}

/// Whether a folder may be replaced or removed: it is empty, holds the
/// marker, or (from versions before the marker) `ingest_report.json`.
fn written_by_byrum(dir: &Path) -> bool {
    let empty = std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_none());
    empty || dir.join(OutputDir::MARKER).is_file() || dir.join("ingest_report.json").is_file()
}

/// An existing target may be replaced only if it is an empty folder or a
/// byrum output folder.
fn check_replaceable(target: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Ok(()); // nothing there
    };
    if !meta.is_dir() {
        return Err(Error::parameter(
            "output folder",
            format!(
                "{} is a file, not a folder: give a folder for the outputs",
                target.display()
            ),
        ));
    }
    std::fs::read_dir(target).map_err(|e| Error::io("read", target, e))?;
    if written_by_byrum(target) {
        Ok(())
    } else {
        Err(Error::parameter(
            "output folder",
            format!(
                "{} holds files that byrum did not write; each run replaces the whole output folder, so give a new or empty folder",
                target.display()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn safe_names_keep_plain_names_and_change_the_rest() {
        for plain in [
            "all",
            "21-24_winter",
            "legend.json",
            "Nørresundby",
            "Töölö",
            "a.b",
        ] {
            assert_eq!(safe_file_name(plain), plain);
        }
        for (input, prefix) in [
            ("../../etc", "_._.._etc~"),
            ("../x", "_._x~"),
            ("..", "__~"),
            (".", "_~"),
            ("", "_~"),
            (".hidden", "_hidden~"),
            ("a/b", "a_b~"),
            ("a\\b", "a_b~"),
            ("a\0b", "a_b~"),
            ("C:evil", "C_evil~"),
            ("/etc/passwd", "_etc_passwd~"),
            ("x.", "x_~"),
            ("CON", "_CON~"),
            ("nul.txt", "_nul.txt~"),
            ("com7", "_com7~"),
            ("a~b", "a_b~"),
            ("a b", "a_b~"),
            ("a\u{202e}b", "a_b~"),
        ] {
            let s = safe_file_name(input);
            assert!(s.starts_with(prefix), "{input:?} → {s:?}");
            assert_eq!(s.len(), prefix.len() + 8, "{input:?} → {s:?}");
            assert!(s[prefix.len()..].chars().all(|c| c.is_ascii_hexdigit()));
        }
        // Not a reserved name: COM is only reserved with a digit.
        assert_eq!(safe_file_name("COMx"), "COMx");
        assert_eq!(safe_file_name("console"), "console");
    }

    #[test]
    fn safe_names_stay_distinct_and_stable() {
        let inputs = [
            "a/b", "a\\b", "a:b", "a\0b", "a_b", "a b", "a~b", "../x", "..", ".", "", "_",
        ];
        let outputs: Vec<String> = inputs.iter().map(|s| safe_file_name(s)).collect();
        let mut unique = outputs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), inputs.len(), "{outputs:?}");
        assert_eq!(safe_file_name("a/b"), safe_file_name("a/b"));
        // The hash is the published 64-bit FNV-1a (test vectors of the FNV
        // reference: "a" → 0xaf63dc4c8601ec8c, "foobar" → 0x85944171f73967e8),
        // folded to 32 bits, so names are the same on every platform.
        assert_eq!(fnv1a32(b"a"), 0xaf63_dc4c ^ 0x8601_ec8c);
        assert_eq!(fnv1a32(b"foobar"), 0x8594_4171 ^ 0xf739_67e8);
    }

    #[test]
    fn long_names_are_cut_and_marked() {
        let long = "å".repeat(200);
        let s = safe_file_name(&long);
        assert!(s.len() <= MAX_NAME_BYTES + 9, "{}", s.len());
        assert!(s.contains('~'));
        assert_ne!(safe_file_name(&"å".repeat(201)), s);
    }

    #[test]
    fn temporary_names_never_repeat() {
        let p = Path::new("/x/y.png");
        let names: std::collections::BTreeSet<PathBuf> =
            (0..100).map(|_| temporary_path(p)).collect();
        assert_eq!(names.len(), 100);
        assert!(names.iter().all(|n| n.parent() == Some(Path::new("/x"))));
    }
}
