//! The backend's floors: the top-level modules of `src/` import one another without circles. Two
//! modules that import each other, or a longer ring (a → b → c → a), each need the others to
//! compile and to be understood, so one fails this test, naming the ring.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Names the crate root re-exports, and the module each comes from.
const ROOT_REEXPORTS: [(&str, &str); 3] = [
    ("Console", "console"),
    ("Config", "config"),
    ("Error", "error"),
];

/// The text with every `#[cfg(test)]` item removed (test code may reach anywhere).
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // Skip to the end of the item: its braces balanced, or its `;`.
        let (mut depth, mut end) = (0usize, item.len());
        for (i, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Each top-level module of `src/` and the other top-level modules its code names.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let top: BTreeSet<String> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            match name.strip_suffix(".rs") {
                Some("lib" | "main" | "module_floors") => None,
                Some(m) => Some(m.to_string()),
                None if p.is_dir() => Some(name),
                None => None,
            }
        })
        .collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_str()
                .unwrap();
            let owner = first.strip_suffix(".rs").unwrap_or(first).to_string();
            if !top.contains(&owner) {
                continue;
            }
            // Code only: a doc comment's link to another module is not an import.
            let code: String = without_tests(&std::fs::read_to_string(&path).unwrap())
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let target = ROOT_REEXPORTS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(name.clone(), |(_, m)| m.to_string());
                if top.contains(&target) && target != owner {
                    deps.entry(owner.clone()).or_default().insert(target);
                }
            }
        }
    }
    deps
}

/// Every ring of imports, each as the modules on it in order (starting from its smallest name),
/// found by a depth-first walk from each module.
fn circles(deps: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    fn walk(
        deps: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        let here = path.last().cloned().unwrap_or_default();
        for next in deps.get(&here).into_iter().flatten() {
            if let Some(at) = path.iter().position(|m| m == next) {
                let mut ring = path[at..].to_vec();
                let start = (0..ring.len()).min_by_key(|&i| &ring[i]).unwrap_or(0);
                ring.rotate_left(start);
                found.insert(ring);
            } else if path.len() < deps.len() {
                path.push(next.clone());
                walk(deps, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in deps.keys() {
        walk(deps, &mut vec![start.clone()], &mut found);
    }
    found
}

#[test]
fn no_modules_of_src_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = circles(&imports(&src));
    assert!(
        found.is_empty(),
        "these modules of src/ import each other in a ring (move what they share to a lower, neutral module, or have the higher one declare a trait the assembler implements): {found:?}"
    );
}

#[test]
fn the_scan_sees_a_circle_and_ignores_test_code() {
    let dir = std::env::temp_dir().join(format!("floors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::X;\n").unwrap();
    std::fs::write(dir.join("b.rs"), "pub mod inner;\n").unwrap();
    std::fs::write(dir.join("b/inner.rs"), "fn f() { crate::a::g(); }\n").unwrap();
    // A longer ring: d -> e -> f -> d.
    std::fs::write(dir.join("d.rs"), "use crate::e::X;\n").unwrap();
    std::fs::write(dir.join("e.rs"), "use crate::f::Y;\n").unwrap();
    std::fs::write(dir.join("f.rs"), "fn g() { crate::d::h(); }\n").unwrap();
    std::fs::write(
        dir.join("c.rs"),
        "use crate::Console;\n#[cfg(test)]\nmod tests { use crate::a::g; }\npub fn after() {}\n",
    )
    .unwrap();
    let deps = imports(&dir);
    let pairs = circles(&deps);
    std::fs::remove_dir_all(&dir).unwrap();
    let ring = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert_eq!(
        pairs.into_iter().collect::<Vec<_>>(),
        vec![ring(&["a", "b"]), ring(&["d", "e", "f"])]
    );
    // c names the root's Console (console, not a module here) and a only in its tests.
    assert_eq!(deps.get("c"), None, "{deps:?}");
}
