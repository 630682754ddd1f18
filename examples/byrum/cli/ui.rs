//! What the program says while it works: step lines and progress bars on a
//! terminal, nothing with `--quiet`, and stdout kept for one JSON document
//! with `--json`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const NORMAL: u8 = 0;
const QUIET: u8 = 1;
const JSON: u8 = 2;
const JSON_QUIET: u8 = 3;

static MODE: AtomicU8 = AtomicU8::new(NORMAL);

/// Sets the mode from `--quiet` and `--json`, once, before any step.
pub(crate) fn init(quiet: bool, json: bool) {
    let mode = match (quiet, json) {
        (false, false) => NORMAL,
        (true, false) => QUIET,
        (false, true) => JSON,
        (true, true) => JSON_QUIET,
    };
    MODE.store(mode, Ordering::Relaxed);
}

fn mode() -> u8 {
    MODE.load(Ordering::Relaxed)
}

/// Whether `--json` was given (stdout holds only the JSON document).
pub(crate) fn json() -> bool {
    matches!(mode(), JSON | JSON_QUIET)
}

fn quiet() -> bool {
    matches!(mode(), QUIET | JSON_QUIET)
}

/// A step line: stdout normally, stderr with `--json`, nowhere with `--quiet`.
pub(crate) fn say(msg: &str) {
    match mode() {
        NORMAL => println!("{msg}"),
        JSON => eprintln!("{msg}"),
        _ => {}
    }
}

/// A warning: always on stderr (also with `--quiet`: warnings matter, e.g. raw
/// points written).
pub(crate) fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

fn hidden_or(pb: ProgressBar) -> ProgressBar {
    if quiet() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb
}

/// A spinner for a step that may take more than a second; it draws on a
/// terminal (stderr) only.
pub(crate) fn spinner(msg: &str) -> ProgressBar {
    let pb = hidden_or(ProgressBar::new_spinner());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_owned());
    if !pb.is_hidden() {
        pb.enable_steady_tick(Duration::from_millis(120));
    }
    pb
}

/// A bar of `len` steps (tiles, time bins).
pub(crate) fn bar(len: u64, msg: &str) -> ProgressBar {
    let pb = hidden_or(ProgressBar::new(len));
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {bar:30} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(msg.to_owned());
    pb
}

/// Ends a step with its result line (printed as a step line when no bar is drawn).
pub(crate) fn done(pb: &ProgressBar, msg: String) {
    if pb.is_hidden() {
        say(&msg);
        pb.finish();
    } else {
        pb.finish_with_message(msg);
    }
}

/// A line printed while a bar may be drawing.
pub(crate) fn note(pb: &ProgressBar, msg: String) {
    if pb.is_hidden() {
        say(&msg);
    } else {
        pb.println(msg);
    }
}
