//! The TOML config file: every option of the command line, saved with
//! `--save-config` and read back with `--config`.
//!
//! A key is an option's long name with `_` for `-` (`h3_res = 10` is
//! `--h3-res 10`). The file's options are put in front of the command line's,
//! and an option given twice takes the later value, so the command line wins.
//! One file serves every subcommand: a key the subcommand does not take is
//! left out for it, and a key no subcommand takes is an error naming its line.
//! Relative paths in the file are read relative to the file's folder.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{ArgAction, ArgMatches, CommandFactory};

use super::args::Cli;

/// Options whose values are paths (read relative to the config file).
const PATHS: &[&str] = &[
    "input",
    "incidents",
    "places",
    "services",
    "routes",
    "interventions",
    "out",
];
/// Options whose values may be a path or something else (a bounding box, a
/// spacing): a relative value is a path if that file exists next to the config.
const MAYBE_PATHS: &[&str] = &["study_area", "haven_candidates"];
/// Options that belong on the command line only.
const COMMAND_LINE_ONLY: &[&str] = &["config", "save_config", "quiet", "json", "help", "version"];

/// A config file that cannot be used: the message names the file, the line
/// and the fix.
#[derive(Debug)]
pub(crate) struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The subcommand in `argv` (its index) and the value of `--config`.
fn scan(argv: &[OsString], names: &[String]) -> (Option<usize>, Option<PathBuf>) {
    let mut sub = None;
    let mut config = None;
    let mut i = 1;
    while i < argv.len() {
        let t = argv[i].to_string_lossy();
        if t == "--" {
            break;
        }
        if t == "--config" {
            config = argv.get(i + 1).map(PathBuf::from);
            i += 2;
            continue;
        }
        if let Some(v) = t.strip_prefix("--config=") {
            config = Some(PathBuf::from(v));
        } else if sub.is_none() && names.iter().any(|n| *n == t) {
            sub = Some(i);
        }
        i += 1;
    }
    (sub, config)
}

/// The line of `key` in the file's text (1-based), for messages.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
                || l.strip_prefix(&format!("\"{key}\""))
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// The command line with the config file's options put in front of the
/// user's own, right after the subcommand.
///
/// # Errors
/// A [`ConfigError`] if the file cannot be read or parsed, or names an
/// option no subcommand takes, or gives an option a value of the wrong kind.
pub(crate) fn expand(argv: Vec<OsString>) -> Result<Vec<OsString>, ConfigError> {
    let cli = Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    let (sub, config) = scan(&argv, &names);
    let (Some(sub), Some(path)) = (sub, config) else {
        return Ok(argv);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError(format!(
            "cannot read the config file {}: {e}; check the path given to --config",
            path.display()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        ConfigError(format!(
            "{}{}: not valid TOML: {}; write one option per line, e.g. h3_res = 10 or tz = \"Europe/Copenhagen\"",
            path.display(),
            line.map_or_else(String::new, |l| format!(":{l}")),
            e.message()
        ))
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let subcommand = argv[sub].to_string_lossy().into_owned();
    let own = cli
        .find_subcommand(&subcommand)
        .expect("scan found a subcommand name");
    let mut known: Vec<String> = Vec::new();
    for c in cli.get_subcommands() {
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                known.push(l.replace('-', "_"));
            }
        }
    }
    let mut tokens: Vec<OsString> = Vec::new();
    for (key, value) in &table {
        let at = || {
            format!(
                "{}{}",
                path.display(),
                line_of(&text, key).map_or_else(String::new, |l| format!(":{l}"))
            )
        };
        if COMMAND_LINE_ONLY.contains(&key.as_str()) {
            return Err(ConfigError(format!(
                "{}: `{key}` belongs on the command line (--{}), not in a config file; remove the line",
                at(),
                key.replace('_', "-")
            )));
        }
        if !known.contains(key) {
            let near = known
                .iter()
                .filter(|k| strsim::jaro_winkler(k, key) > 0.85)
                .max_by(|a, b| {
                    strsim::jaro_winkler(a, key).total_cmp(&strsim::jaro_winkler(b, key))
                })
                .map_or_else(String::new, |k| format!("; did you mean `{k}`?"));
            return Err(ConfigError(format!(
                "{}: `{key}` is not an option of byrum{near} (keys are the long options with `_` for `-`; `byrum {subcommand} --help` lists them)",
                at()
            )));
        }
        let long = key.replace('_', "-");
        let Some(arg) = own
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
        else {
            continue; // an option of another subcommand
        };
        let flag = matches!(arg.get_action(), ArgAction::SetTrue);
        let text_value = match value {
            toml::Value::Boolean(b) if flag => {
                if *b {
                    tokens.push(format!("--{long}").into());
                }
                continue;
            }
            _ if flag => {
                return Err(ConfigError(format!(
                    "{}: `{key}` is a switch: write {key} = true or {key} = false",
                    at()
                )));
            }
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            _ => {
                return Err(ConfigError(format!(
                    "{}: `{key}` needs a text or a number, e.g. {key} = \"…\"",
                    at()
                )));
            }
        };
        let resolved = resolve_path(key, &text_value, &dir);
        tokens.push(format!("--{long}").into());
        tokens.push(resolved);
    }
    let mut out: Vec<OsString> = argv[..=sub].to_vec();
    out.extend(tokens);
    out.extend(argv[sub + 1..].iter().cloned());
    Ok(out)
}

/// A relative path in the config is relative to the config's folder.
fn resolve_path(key: &str, value: &str, dir: &Path) -> OsString {
    let p = Path::new(value);
    if p.is_absolute() || dir.as_os_str().is_empty() {
        return value.into();
    }
    let joined = dir.join(p);
    if PATHS.contains(&key) || (MAYBE_PATHS.contains(&key) && joined.exists()) {
        joined.into_os_string()
    } else {
        value.into()
    }
}

/// A value as TOML: numbers as numbers, switches as booleans, the rest as text.
fn toml_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>()
        && !raw.starts_with('+')
        && (raw == "0" || !raw.starts_with('0'))
    {
        return toml::Value::Integer(i);
    }
    if raw.contains('.')
        && let Ok(f) = raw.parse::<f64>()
        && f.is_finite()
    {
        return toml::Value::Float(f);
    }
    toml::Value::String(raw.to_owned())
}

/// A path option's value as the saved file should hold it: relative to the
/// file's folder when it lies inside it, else absolute.
fn relative_to(value: &str, dir: &Path) -> String {
    let Ok(abs) = std::path::absolute(value) else {
        return value.to_owned();
    };
    let base = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match std::path::absolute(base) {
        Ok(base) if abs.starts_with(&base) => pathdiff::diff_paths(&abs, &base)
            .map_or_else(|| abs.display().to_string(), |p| p.display().to_string()),
        _ => abs.display().to_string(),
    }
}

/// Saves every option of the subcommand (given, from a config, or default)
/// to `path`, grouped as `--help` groups them, each with its help line.
///
/// # Errors
/// [`byrum::Error::Io`] if the file cannot be written.
pub(crate) fn save(path: &Path, matches: &ArgMatches, subcommand: &str) -> byrum::Result<()> {
    let cli = Cli::command();
    let Some(cmd) = cli.find_subcommand(subcommand) else {
        return Ok(());
    };
    let Some(sub) = matches.subcommand_matches(subcommand) else {
        return Ok(());
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut text = format!(
        "# byrum {} options for `byrum {subcommand}`, saved with --save-config.\n\
         # Run again with: byrum {subcommand} --config {}\n\
         # Options on the command line win over this file; relative paths are read\n\
         # relative to this file's folder. Commented-out keys are unset options.\n",
        env!("CARGO_PKG_VERSION"),
        path.display()
    );
    let mut heading: Option<&str> = None;
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        let Some(long) = arg.get_long() else {
            continue;
        };
        let key = long.replace('-', "_");
        if COMMAND_LINE_ONLY.contains(&key.as_str()) || arg.is_global_set() {
            continue;
        }
        if arg.get_help_heading() != heading || heading.is_none() {
            heading = arg.get_help_heading();
            let _ = write!(text, "\n# == {} ==\n", heading.unwrap_or("Options"));
        }
        if let Some(help) = arg.get_help() {
            for line in help.to_string().lines() {
                let _ = writeln!(text, "# {line}");
            }
        }
        let flag = matches!(arg.get_action(), ArgAction::SetTrue);
        if flag {
            let on = sub.get_flag(id);
            let _ = writeln!(text, "{key} = {on}");
            continue;
        }
        let raw: Option<String> = sub
            .get_raw(id)
            .and_then(|mut v| v.next())
            .map(|v| v.to_string_lossy().into_owned());
        match raw {
            None => {
                let _ = writeln!(text, "# {key} = ");
            }
            Some(v) => {
                let exists = Path::new(&v).exists();
                let v = if PATHS.contains(&key.as_str())
                    || (MAYBE_PATHS.contains(&key.as_str()) && exists)
                {
                    relative_to(&v, &dir)
                } else {
                    v
                };
                let mut table = toml::Table::new();
                table.insert(key.clone(), toml_value(&v));
                text.push_str(&toml::to_string(&table).unwrap_or_default());
            }
        }
    }
    byrum::write_atomic(path, text.as_bytes())?;
    super::ui::say(&format!("saved the options to {}", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_kind() {
        assert_eq!(toml_value("9"), toml::Value::Integer(9));
        assert_eq!(toml_value("0.05"), toml::Value::Float(0.05));
        assert_eq!(toml_value("007"), toml::Value::String("007".into()));
        assert_eq!(
            toml_value("18446744073709551615"),
            toml::Value::String("18446744073709551615".into())
        );
        assert_eq!(
            toml_value("Europe/Copenhagen"),
            toml::Value::String("Europe/Copenhagen".into())
        );
    }
}
