//! The layering of `src/` as a test: each folder is a layer that may import only the
//! layers below it, no two modules import each other (directly or round a circle),
//! and only `glue` touches Workers. Test code (`tests.rs`, and everything from a
//! file's top-level `#[cfg(test)]` on) and comments are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Lowest first. `testkit` (fixtures for tests and benches) sits just above `core`.
const LAYERS: &[&str] = &[
    "ports", "core", "testkit", "delivery", "policy", "config", "service", "surface", "glue",
];

/// Names only the edge glue may use.
const PLATFORM: &[&str] = &[
    "worker::",
    "use worker",
    "getrandom",
    "wasm_bindgen",
    "Date::now",
];

struct Source {
    /// Path components under `src/`, without `.rs` and without a trailing `mod`.
    module: Vec<String>,
    /// The non-test code, comments removed.
    code: String,
}

fn sources(dir: &Path, under: &Path, out: &mut Vec<Source>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, under, out);
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "tests.rs" || name == "lib.rs" {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let code: String = text
            .lines()
            .take_while(|line| *line != "#[cfg(test)]")
            .filter(|line| !line.trim_start().starts_with("//"))
            .map(|line| format!("{line}\n"))
            .collect();
        let relative = path.strip_prefix(under).unwrap().with_extension("");
        let mut module: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        out.push(Source { module, code });
    }
}

/// Every `crate::a::b` path in `code`, as `[a, b]` (or `[a]`).
fn references(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let path: Vec<String> = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|s| !s.is_empty())
            .take(2)
            .map(str::to_owned)
            .collect();
        if !path.is_empty() {
            found.push(path);
        }
    }
    found
}

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// A module as the circle check sees it: the layer and the module inside it.
fn node(path: &[String]) -> String {
    path.iter().take(2).cloned().collect::<Vec<_>>().join("::")
}

fn all_sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    sources(&src, &src, &mut all);
    assert!(all.len() > 40, "found the sources");
    all
}

#[test]
fn every_folder_is_a_known_layer() {
    for source in all_sources() {
        assert!(
            rank(&source.module[0]).is_some(),
            "src/{} is in no layer of {LAYERS:?}",
            source.module.join("/")
        );
    }
}

#[test]
fn layers_import_only_layers_below() {
    let mut violations = Vec::new();
    for source in all_sources() {
        let own = rank(&source.module[0]).unwrap_or(usize::MAX);
        for path in references(&source.code) {
            if let Some(theirs) = rank(&path[0]) {
                if theirs > own {
                    violations.push(format!(
                        "src/{} imports crate::{}",
                        source.module.join("/"),
                        path.join("::")
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn only_the_glue_touches_the_platform() {
    for source in all_sources().iter().filter(|s| s.module[0] != "glue") {
        for name in PLATFORM {
            assert!(
                !source.code.contains(name),
                "src/{} uses {name}",
                source.module.join("/")
            );
        }
    }
}

/// The module is built with `-Zfmt-debug=none` (scripts/build): `{:?}` writes
/// nothing there, so the code that runs in it must not format with `Debug` (tests
/// may: they run natively).
#[test]
fn the_module_formats_nothing_with_debug() {
    for source in all_sources() {
        for pattern in [":?}", ":#?}", "dbg!("] {
            assert!(
                !source.code.contains(pattern),
                "src/{} formats with Debug ({pattern}): the module prints nothing for it",
                source.module.join("/")
            );
        }
    }
}

/// std's float formatting (its Grisu and Dragon tables, about 9 KB) is not in the
/// module: nothing reaches it. So the code holds a float only to hand a number to
/// the runtime (`JsValue::from_f64`, `as_f64`), or to ignore one (`_: f64`, a
/// visitor refusing a number), and formats none: one that did would bring it back.
#[test]
fn the_module_formats_no_float() {
    let handed = ["from_f64(", "as f64", "as_f64()", "_: f64)"];
    for source in all_sources() {
        for line in source.code.lines() {
            let mut rest = line.to_owned();
            for allowed in handed {
                rest = rest.replace(allowed, "");
            }
            // The type list of serde's `forward_to_deserialize_any!` (a deserializer
            // that forwards every kind, floats included, to another).
            if rest.contains("u128 f32 f64") {
                continue;
            }
            for float in ["f32", "f64"] {
                let word = rest.match_indices(float).any(|(at, _)| {
                    let before = rest[..at].chars().next_back();
                    let after = rest[at + 3..].chars().next();
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                assert!(
                    !word,
                    "src/{} uses {float} (`{}`): the module cannot format a float",
                    source.module.join("/"),
                    line.trim()
                );
            }
        }
    }
}

/// std's `&str` patterns (`contains("…")`, `replace("…", …)`, `split_once("…")`, and
/// `contains` of a char beyond ASCII) bring its Two-Way searcher into the module; the
/// module's short texts are searched with `core::text` instead. A char pattern
/// (`split(',')`, `replace('＠', "@")`) stays std's: that is a byte search.
#[test]
fn the_module_searches_text_with_core_text() {
    let methods: Vec<&str> = "contains find rfind replace replacen split rsplit splitn \
        rsplitn split_once rsplit_once split_terminator matches match_indices \
        trim_matches trim_start_matches trim_end_matches"
        .split_whitespace()
        .collect();
    for source in all_sources() {
        for line in source.code.lines() {
            for &method in &methods {
                for (at, _) in line.match_indices(&format!(".{method}(")) {
                    let argument = line[at + method.len() + 2..].trim_start();
                    let string = argument.starts_with('"') || argument.starts_with("r#\"");
                    let wide_char = method == "contains"
                        && argument.starts_with('\'')
                        && argument[1..].chars().next().is_some_and(|c| !c.is_ascii());
                    assert!(
                        !string && !wide_char,
                        "src/{} searches with std's string pattern (`{}`): use core::text",
                        source.module.join("/"),
                        line.trim()
                    );
                }
            }
        }
    }
}

#[test]
fn no_import_circles() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in all_sources() {
        let from = node(&source.module);
        for path in references(&source.code) {
            let to = node(&path);
            if to != from && rank(&path[0]).is_some() {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search; a grey node met again closes a circle.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap();
                let mut circle = path[start..].to_vec();
                circle.push(n.to_owned());
                return Some(circle);
            }
            Some(_) => return None,
            None => {}
        }
        state.insert(n.to_owned(), 1);
        path.push(n.to_owned());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, state, path) {
                return Some(circle);
            }
        }
        path.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(circle) = visit(n, &edges, &mut state, &mut Vec::new()) {
            panic!("import circle: {}", circle.join(" → "));
        }
    }
}

#[test]
fn the_checks_see_what_they_check() {
    let refs = references("use crate::surface::api::{self, Route};\nlet x = crate::VERSION;");
    assert_eq!(refs[0], ["surface", "api"]);
    assert_eq!(refs[1], ["VERSION"]);
    assert_eq!(node(&refs[0]), "surface::api");
}
