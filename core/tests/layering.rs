//! The crate's modules import one way: each only from the modules below it in [`LAYERS`]
//! (the order the crate documentation's layer table gives). A `use crate::connection` in
//! `dimse/`, or of `dimse` in `service/`, fails here with the file and the line.
//!
//! Read from the sources: every `crate::<module>` path outside comments and test code, and
//! the names the crate root re-exports (`crate::Connection` is `connection`'s).

use std::path::{Path, PathBuf};

/// Bottom to top.
const LAYERS: &[&str] = &[
    "codec",
    "time",
    "dataset",
    "pdu",
    "ul",
    "assoc",
    "service",
    "dimse",
    "connection",
    "trace",
];

/// What the crate root re-exports, by the module that defines it.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("BufferTooSmall", "codec"),
    ("Instant", "time"),
    ("Duration", "time"),
    ("Connection", "connection"),
    ("Closing", "connection"),
    ("Event", "connection"),
    ("Output", "connection"),
    ("Storage", "connection"),
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Test-only folders.
            if path.file_name().is_some_and(|n| n != "tests") {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The modules a line of code names through `crate::`.
fn named(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end].split(',').map(str::trim).collect()
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            vec![&rest[..end]]
        };
        for name in names {
            let head = name.split("::").next().unwrap_or("");
            let module = ROOT_NAMES
                .iter()
                .find(|(n, _)| *n == head)
                .map_or(head, |(_, m)| *m);
            found.push(module.to_string());
        }
    }
    found
}

#[test]
fn modules_import_only_from_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (rank, layer) in LAYERS.iter().enumerate() {
        let mut paths = Vec::new();
        let dir = src.join(layer);
        if dir.is_dir() {
            files(&dir, &mut paths);
        } else {
            paths.push(src.join(format!("{layer}.rs")));
        }
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                // Test code may use the whole crate: a file's tests come last.
                if code.starts_with("mod tests") || code.starts_with("pub(crate) mod tests") {
                    break;
                }
                if code.starts_with("//") {
                    continue;
                }
                for module in named(code) {
                    checked += 1;
                    let Some(at) = LAYERS.iter().position(|l| *l == module) else {
                        continue; // `crate::fmt` macros and the like: no layer
                    };
                    if at > rank {
                        wrong.push(format!(
                            "{}:{}: `{layer}` imports `{module}`, a layer above it: {}",
                            path.strip_prefix(&src).unwrap().display(),
                            n + 1,
                            code
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 50,
        "found only {checked} crate paths: is the source where it was?"
    );
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_import_against_the_layers() {
    // The reader itself: a grouped root import and a path both name their modules.
    assert_eq!(
        named("use crate::{Connection, Instant};"),
        ["connection", "time"]
    );
    assert_eq!(
        named("let x = crate::dimse::Status::new(crate::service::code::SUCCESS);"),
        ["dimse", "service"]
    );
}
