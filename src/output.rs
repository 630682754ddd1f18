//! Writing files: atomically (a temporary file in the same folder, then a
//! rename), so a reader never sees half a layer.

use std::io::Write;

use image::{ImageFormat, RgbaImage};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically, creating the parent folder.
///
/// # Errors
/// [`Error::Io`] if the folder or file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io("write", &tmp, e))?;
    f.sync_all().map_err(|e| Error::io("write", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
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
