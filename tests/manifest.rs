//! functions.json is generated from the operation descriptions and must be current; every
//! operation has its binary and fixture, and nothing exists without an operation.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn names_in(dir: &Path, ext: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(ext)).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn functions_json_is_current() {
    let path = root().join("functions.json");
    let expected = local::manifest();
    if std::env::var_os("UPDATE_MANIFEST").is_some() {
        std::fs::write(&path, &expected).expect("write functions.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "functions.json is stale: regenerate it with `UPDATE_MANIFEST=1 cargo test -p e2e --test manifest`"
    );
}

#[test]
fn every_operation_has_a_binary_and_a_fixture_and_vice_versa() {
    let root = root();
    let ops = local::operations();
    let mut names = HashSet::new();
    let mut routes = HashSet::new();
    for op in &ops {
        assert!(names.insert(op.name), "operation {} is described twice", op.name);
        if let Some((method, path, _)) = op.http_route() {
            assert!(routes.insert((method, path)), "{method} {path} is served twice");
        }
        let bin = root.join(format!("functions/{}/src/bin/{}.rs", op.domain, op.name));
        let source =
            std::fs::read_to_string(&bin).unwrap_or_else(|_| panic!("{} has no binary at {}", op.name, bin.display()));
        assert!(
            source.contains("shared::lambda::serve("),
            "{} must be a one-line call to shared::lambda::serve",
            bin.display()
        );
        assert!(source.lines().count() <= 3, "{} must stay a one-line main", bin.display());
        assert!(
            root.join(format!("events-fixtures/{}.json", op.name)).is_file(),
            "{} has no fixture in events-fixtures/",
            op.name
        );
    }

    let mut binaries = BTreeSet::new();
    for domain in std::fs::read_dir(root.join("functions")).expect("functions/").filter_map(|e| e.ok()) {
        binaries.extend(names_in(&domain.path().join("src/bin"), ".rs"));
    }
    let orphans: Vec<_> = binaries.iter().filter(|b| !names.contains(b.as_str())).collect();
    assert!(orphans.is_empty(), "binaries without an operation: {orphans:?}");

    let fixtures = names_in(&root.join("events-fixtures"), ".json");
    let orphans: Vec<_> = fixtures.iter().filter(|f| !names.contains(f.as_str())).collect();
    assert!(orphans.is_empty(), "fixtures without an operation: {orphans:?}");
}

#[test]
fn the_permission_table_in_docs_is_current() {
    let path = root().join("docs/permissions.md");
    let expected = format!(
        "# Permissions\n\nGenerated from `shared::auth::MATRIX`, the one place that says which role may do what\n\
         (`UPDATE_MANIFEST=1 cargo test -p e2e --test manifest` rewrites this file). Handlers ask for a\n\
         permission with `auth.require(Permission::...)`; platform administrators and customer links are\n\
         separate access levels, not roles.\n\n{}",
        shared::auth::matrix_markdown()
    );
    if std::env::var_os("UPDATE_MANIFEST").is_some() {
        std::fs::write(&path, &expected).expect("write docs/permissions.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/permissions.md is stale: run `UPDATE_MANIFEST=1 cargo test -p e2e --test manifest`"
    );
}
