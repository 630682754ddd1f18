//! Tables for analysts, as polars `DataFrame`s, and their CSV files.

use std::path::Path;

use polars::prelude::*;

use crate::dataset::Dataset;
use crate::error::Result;
use crate::index::SpatialIndex;
use crate::output::write_atomic;

/// The place × time-bin table: one row per place (and one for incidents
/// outside every place, `place_id` `_outside`) and bin, with `count`,
/// `exposure_hours`, `rate_per_hour` and `rate_per_hour_per_1000m2`. Counts
/// from 1 to `min_count − 1` are suppressed (null), and so are further
/// counts where subtraction from a place's or a bin's total would give a
/// withheld one back ([`withheld_table`](crate::withheld_table)).
///
/// `place_of` is each incident's place (`u32::MAX` for none), `bins` its bin.
///
/// # Errors
/// A polars error if the frame cannot be built.
pub fn place_bin_table(
    ds: &Dataset,
    index: &SpatialIndex,
    place_of: &[u32],
    bins: &[u32],
    labels: &[String],
    exposure: &[f64],
    min_count: u64,
) -> Result<DataFrame> {
    let nb = labels.len();
    let np = ds.places.len();
    let mut counts = vec![0u64; (np + 1) * nb];
    for (p, b) in place_of.iter().zip(bins) {
        let row = if *p == u32::MAX { np } else { *p as usize };
        counts[row * nb + *b as usize] += 1;
    }
    let (
        mut ids,
        mut names,
        mut kinds,
        mut areas,
        mut bin_col,
        mut hours,
        mut count_col,
        mut rate,
        mut density,
    ) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    // Each place's bins add up to its total (shown in place_profiles.csv),
    // each bin's places to the bin's total (time_bins.csv): complementary
    // suppression, see the `privacy` module doc (rule 2).
    let totals: Vec<u64> = counts.chunks(nb.max(1)).map(|r| r.iter().sum()).collect();
    let (row_w, cell_w) = crate::privacy::withheld_table(&totals, &counts, min_count);
    for p in 0..=np {
        let (id, name, kind, area) = if p < np {
            let pl = &ds.places[p];
            (
                pl.id.clone(),
                pl.name.clone(),
                pl.kind.as_str().to_owned(),
                Some(index.place_area_m2(p)),
            )
        } else {
            (
                "_outside".to_owned(),
                "(outside all places)".to_owned(),
                String::new(),
                None,
            )
        };
        for b in 0..nb {
            let c = counts[p * nb + b];
            let shown = (!row_w[p] && !cell_w[p * nb + b]).then_some(c);
            let r = shown
                .filter(|_| exposure[b] > 0.0)
                .map(|c| c as f64 / exposure[b]);
            ids.push(id.clone());
            names.push(name.clone());
            kinds.push(kind.clone());
            areas.push(area);
            bin_col.push(labels[b].clone());
            hours.push(exposure[b]);
            count_col.push(shown);
            rate.push(r);
            density.push(match (r, area) {
                (Some(r), Some(a)) if a > 0.0 => Some(r / (a / 1000.0)),
                _ => None,
            });
        }
    }
    let df = DataFrame::new_infer_height(vec![
        Column::new("place_id".into(), ids),
        Column::new("place_name".into(), names),
        Column::new("place_kind".into(), kinds),
        Column::new("area_m2".into(), areas),
        Column::new("bin".into(), bin_col),
        Column::new("exposure_hours".into(), hours),
        Column::new("count".into(), count_col),
        Column::new("rate_per_hour".into(), rate),
        Column::new("rate_per_hour_per_1000m2".into(), density),
    ])?;
    Ok(df)
}

/// Writes a frame as CSV (header, comma-separated), atomically.
///
/// # Errors
/// A polars error, or [`Error::Io`](crate::Error::Io).
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<()> {
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf).include_header(true).finish(df)?;
    write_atomic(path, &buf)
}
