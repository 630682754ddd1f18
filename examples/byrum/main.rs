//! `byrum`: where and when incidents concentrate in squares and parks, from
//! exported files to a planner's report, map layers, heatmap tiles and an
//! offline map viewer.
//!
//! ```text
//! cargo run --release --example byrum -- --help
//! cargo run --release --example byrum -- report --input data/aalborg --out out/aalborg
//! cargo run --release --example byrum -- inspect --incidents export.csv --tz Europe/Copenhagen
//! cargo run --release --example byrum -- hotspots --config aalborg.toml --out out/hot
//! ```
//!
//! Subcommands: `report` (everything), `hotspots`, `tiles`, `evaluate`,
//! `inspect`; `--config FILE` / `--save-config FILE` (TOML), `--quiet`,
//! `--json`. Exit codes are listed by `--help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main(None)
}
