//! TEMPORARY placeholder until the viewer branch is merged.
use std::path::Path;
pub(crate) struct ViewerSummary {
    pub warnings: Vec<String>,
}
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn write_viewer(_out: &Path) -> byrum::Result<ViewerSummary> {
    Ok(ViewerSummary {
        warnings: Vec::new(),
    })
}
