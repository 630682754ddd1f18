//! The main job: `byrum report` under the name the README's first command
//! uses. Every option of `byrum report` works here (`--help` lists them).
//!
//! ```text
//! cargo run --release --example report -- --input data/aalborg --out out/aalborg
//! cargo run --release --example report -- --incidents ../shared/data/real/minneapolis_stops_2017.csv --out out/minneapolis
//! ```

#[path = "../byrum/cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main(Some("report"))
}
