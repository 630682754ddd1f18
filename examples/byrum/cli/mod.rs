//! The `byrum` program: subcommands, the config file, progress and exit codes.
//! Shared by the `byrum` example and the `report` example (`byrum report`
//! under the name the README's main command uses).

mod args;
mod commands;
mod config;
mod inspect;
mod maps;
mod pipeline;
mod planner;
mod ui;
mod viewer;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use serde_json::json;

use args::{Cli, Command, Options};

/// Exit code: an unexpected failure.
const EXIT_INTERNAL: u8 = 1;
/// Exit code: a wrong option, value or config file.
const EXIT_USAGE: u8 = 2;
/// Exit code: an input file missing, unreadable or unusable.
const EXIT_INPUT: u8 = 3;
/// Exit code: the output folder could not be written.
const EXIT_OUTPUT: u8 = 4;
/// Exit code: `inspect --strict` found rows that would be rejected.
const EXIT_REJECTED: u8 = 5;

/// The exit code that says what kind of failure `e` is.
fn exit_code(e: &byrum::Error) -> u8 {
    match e {
        byrum::Error::Parameter { .. } | byrum::Error::UnknownTimeZone(_) => EXIT_USAGE,
        byrum::Error::Input { .. } | byrum::Error::Projection(_) => EXIT_INPUT,
        byrum::Error::Io { action, .. } if matches!(*action, "read" | "open") => EXIT_INPUT,
        byrum::Error::Io { .. } | byrum::Error::TileArchive { .. } => EXIT_OUTPUT,
        _ => EXIT_INTERNAL,
    }
}

/// What the user can do about an error, added to its message.
fn hint(command: &str, code: u8) -> &'static str {
    match code {
        EXIT_INPUT if command == "inspect" => "",
        EXIT_USAGE => " (see --help for the options and their values)",
        EXIT_INPUT => {
            " (`byrum inspect` with the same input options lists every row that would be rejected)"
        }
        EXIT_OUTPUT => " (the previous contents of --out are unchanged)",
        _ => "",
    }
}

/// Runs the program; `default` is the subcommand to assume (the `report`
/// example is `byrum report`).
pub(crate) fn main(default: Option<&str>) -> ExitCode {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    if let Some(d) = default {
        argv.insert(1.min(argv.len()), d.into());
    }
    let argv = match config::expand(argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let matches = match Cli::command().try_get_matches_from(&argv) {
        Ok(m) => m,
        Err(e) => {
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(EXIT_USAGE);
        }
    };
    ui::init(cli.global.quiet, cli.global.json);
    let name = cli.command.name();
    if let Some(path) = &cli.global.save_config
        && let Err(e) = config::save(path, &matches, name)
    {
        return fail(name, &e);
    }
    match run(&cli.command) {
        Ok(code) => code,
        Err(e) => fail(name, &e),
    }
}

/// Reports `e` (and as JSON with `--json`) and gives its exit code.
fn fail(command: &str, e: &byrum::Error) -> ExitCode {
    let code = exit_code(e);
    eprintln!("error: {e}{}", hint(command, code));
    if ui::json() {
        println!(
            "{}",
            json!({"command": command, "status": "error", "exit_code": code, "error": e.to_string()})
        );
    }
    ExitCode::from(code)
}

/// Runs a subcommand.
fn run(command: &Command) -> byrum::Result<ExitCode> {
    if let Command::Inspect(cmd) = command {
        let found = inspect::inspect(cmd)?;
        let strict_fail = cmd.strict && found.rejected > 0;
        if ui::json() {
            let mut doc = found.json;
            doc["command"] = json!("inspect");
            doc["status"] = json!(if strict_fail { "rejected_rows" } else { "ok" });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        return Ok(if strict_fail {
            ExitCode::from(EXIT_REJECTED)
        } else {
            ExitCode::SUCCESS
        });
    }
    let (mut options, job): (Options, fn(&Options) -> byrum::Result<commands::Summary>) =
        match command {
            Command::Report(c) => (Options::report(c)?, commands::report),
            Command::Hotspots(c) => (Options::hotspots(c)?, commands::hotspots),
            Command::Tiles(c) => (Options::tiles(c)?, commands::tiles),
            Command::Evaluate(c) => (Options::evaluate(c)?, commands::evaluate),
            Command::Inspect(_) => unreachable!("handled above"),
        };
    let started = std::time::Instant::now();
    // Write into a staging folder next to --out and swap it in only when every
    // output is written: a failed or interrupted run leaves the old outputs whole.
    let stage = byrum::OutputDir::stage(&options.out)?;
    stage.path().clone_into(&mut options.out);
    let summary = job(&options)?;
    let out = stage.commit()?;
    let (entries, files) = commands::listing(&out);
    if ui::json() {
        let doc = json!({
            "command": command.name(),
            "status": "ok",
            "out": out.display().to_string(),
            "files": files,
            "entries": entries,
            "ingest": summary.ingest.as_ref().map(|i| json!({
                "read": i.read,
                "accepted": i.accepted,
                "rejected": i.rejected,
                "rejected_by_reason": i.rejected_by_reason,
                "inputs": i.inputs.iter().map(|r| json!({
                    "file": r.file, "kind": r.kind, "read": r.read,
                    "accepted": r.accepted, "rejected": r.rejected,
                })).collect::<Vec<_>>(),
            })),
            "findings": summary.findings,
            "seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        ui::say(&format!(
            "wrote {}: {}",
            out.display(),
            summary.written.join(", ")
        ));
        if let Some(i) = &summary.ingest {
            for (reason, n) in &i.rejected_by_reason {
                ui::say(&format!("  rejected {n:>7} rows: {reason}"));
            }
        }
        ui::say(&format!(
            "outputs in {} ({files} files, {:.1} s)",
            out.display(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
