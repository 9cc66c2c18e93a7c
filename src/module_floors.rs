//! The backend's floors: no two top-level modules of `src/` may import each other. A pair that
//! does is a circle (each needs the other to compile and to be understood), so a new one fails this
//! test. The pairs that still exist are listed in [`KNOWN`]; when one is broken it must be taken
//! off the list, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Pairs (alphabetical) that still import each other, all through `federation::Console`, which
/// assembles the capabilities it sits below.
const KNOWN: [(&str, &str); 4] = [
    ("federation", "overview"),
    ("federation", "routing"),
    ("federation", "telemetry"),
    ("federation", "tenants"),
];

/// Names the crate root re-exports, and the module each comes from.
const ROOT_REEXPORTS: [(&str, &str); 3] = [
    ("Console", "federation"),
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

fn circles(deps: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<(String, String)> {
    let mut pairs = BTreeSet::new();
    for (a, targets) in deps {
        for b in targets {
            if a < b && deps.get(b).is_some_and(|t| t.contains(a)) {
                pairs.insert((a.clone(), b.clone()));
            }
        }
    }
    pairs
}

#[test]
fn no_new_pair_of_modules_imports_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = circles(&imports(&src));
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let new: Vec<_> = found.difference(&known).collect();
    assert!(
        new.is_empty(),
        "these modules of src/ now import each other (move what both need to a lower, neutral module): {new:?}"
    );
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "these pairs no longer import each other: take them off KNOWN in src/module_floors.rs: {gone:?}"
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
    std::fs::write(
        dir.join("c.rs"),
        "use crate::Console;\n#[cfg(test)]\nmod tests { use crate::a::g; }\npub fn after() {}\n",
    )
    .unwrap();
    let deps = imports(&dir);
    let pairs = circles(&deps);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        pairs.into_iter().collect::<Vec<_>>(),
        vec![("a".to_string(), "b".to_string())]
    );
    // c names the root's Console (federation, not a module here) and a only in its tests.
    assert_eq!(deps.get("c"), None, "{deps:?}");
}
