//! The modules of the application do not import each other in a cycle.
//!
//! Every `crate::x` (and, from a top-level module, `super::x`) path in the code of
//! `src/` is an edge from the module of the file to module `x`; `crate::Name` of a
//! name that `lib.rs` re-exports (`pub use x::{Name}`) is an edge to `x`. Comments
//! and string literals do not count. The graph must be acyclic, so that each module
//! can be read (and moved) with only the modules below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module name → the modules it uses.
type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn app_modules_do_not_import_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.len() > 5 && graph.values().any(|deps| !deps.is_empty()),
        "the module graph of {} looks empty: {graph:?}",
        src.display()
    );
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .filter(|(_, deps)| !deps.is_empty())
            .map(|(m, deps)| format!("  {m} -> {}", Vec::from_iter(deps.clone()).join(", ")))
            .collect();
        panic!(
            "app modules import each other in a cycle: {}\n\
             (move the shared item into the lower module)\nmodule graph:\n{}",
            cycle.join(" -> "),
            edges.join("\n")
        );
    }
}

#[test]
fn the_parser_finds_paths_and_the_check_finds_cycles() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d", "p"].map(String::from).into();
    let reexports = BTreeMap::from([("Progress".to_string(), "p".to_string())]);
    let code = strip_comments_and_strings(
        "use crate::{a::X, b as bee, self};\n\
         // crate::c in a comment\n\
         fn f(_: &dyn crate::Progress) { let _ = \"crate::c\"; let _ = '\"'; \
         let _ = r#\"crate::c\"#; super::d::g(); }\n\
         mod tests { use super::*; }",
    );
    let deps = uses(&code, "x", true, &modules, &reexports);
    assert_eq!(deps, ["a", "b", "d", "p"].map(String::from).into());

    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default();
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
}

/// The graph of the modules under `src` (a file `x.rs` or a folder `x/` is module `x`).
fn module_graph(src: &Path) -> Graph {
    let mut files: Vec<(String, PathBuf, bool)> = Vec::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for file in rust_files(&path) {
                let top =
                    file.file_name().is_some_and(|n| n == "mod.rs") && file.parent() == Some(&path);
                files.push((name.clone(), file, top));
            }
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            files.push((name, path, true));
        }
    }
    let modules: BTreeSet<String> = files.iter().map(|(m, _, _)| m.clone()).collect();
    let lib = strip_comments_and_strings(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let reexports = root_reexports(&lib, &modules);
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for (module, file, top) in &files {
        let code = strip_comments_and_strings(&std::fs::read_to_string(file).unwrap());
        let deps = uses(&code, module, *top, &modules, &reexports);
        graph.get_mut(module).unwrap().extend(deps);
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Names that `lib.rs` re-exports from a module (`pub use x::{A, B}` or `pub use x::A`).
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(rest) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest
            .trim()
            .trim_start_matches("crate::")
            .trim_start_matches("self::");
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        if !modules.contains(module.trim()) {
            continue;
        }
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            // `A as B` exports B.
            let name = item.split_whitespace().last().unwrap_or("");
            if !name.is_empty() {
                out.insert(name.to_string(), module.trim().to_string());
            }
        }
    }
    out
}

/// The modules that `code` (of module `module`) uses. `top`: the file is the
/// module's own (`x.rs` or `x/mod.rs`), whose `super` is the crate root.
fn uses(
    code: &str,
    module: &str,
    top: bool,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut roots = vec!["crate::"];
    if top {
        roots.push("super::");
    }
    for root in roots {
        for (at, _) in code.match_indices(root) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue; // `foo_crate::`, `super::super::` (inside a nested module) …
            }
            for name in first_segments(&code[at + root.len()..]) {
                let target = if modules.contains(&name) {
                    Some(name)
                } else {
                    reexports.get(&name).cloned()
                };
                if let Some(t) = target.filter(|t| t != module) {
                    out.insert(t);
                }
            }
        }
    }
    out
}

/// The first path segments after `crate::`: `x` of `x::…`, or of each item of `{x::…, y}`.
fn first_segments(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(ident(&group[start..i]));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(ident(&group[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// `code` with comments removed and the contents of string and char literals blanked.
fn strip_comments_and_strings(code: &str) -> String {
    let b: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string r"…" or r#"…"#: skip to the closing quote and hashes.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < b.len() {
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (b.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x', '\n', '\u{…}'), not a lifetime.
            i += 1;
            while i < b.len() && b[i] != '\'' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A cycle of the graph (first module repeated at the end), if any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        m: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(m.to_string(), Mark::Open);
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            match marks.get(d).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = path.iter().position(|p| p == d).unwrap();
                    let mut cycle = path[from..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(d, graph, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in graph.keys() {
        if marks.get(m).copied().unwrap_or(Mark::New) == Mark::New {
            let mut path = Vec::new();
            if let Some(c) = visit(m, graph, &mut marks, &mut path) {
                return Some(c);
            }
        }
    }
    None
}
