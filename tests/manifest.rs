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

/// What each function of the manifest may send to, by queue name (the generated manifest,
/// which `functions_json_is_current` holds the committed one to).
fn send_rights() -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let doc: serde_json::Value = serde_json::from_str(&local::manifest()).unwrap();
    let mut rights = std::collections::BTreeMap::new();
    for f in doc["functions"].as_array().unwrap() {
        let queues: BTreeSet<String> = f["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["actions"].as_array().unwrap().iter().any(|a| a == "sqs:SendMessage"))
            .map(|p| p["resource"].as_str().unwrap().trim_start_matches("queue:").to_owned())
            .collect();
        rights.insert(f["name"].as_str().unwrap().to_owned(), queues);
    }
    rights
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn each_publisher_may_send_only_to_the_queues_its_events_go_to() {
    let rights = send_rights();
    let fleet = shared::operation::Fleet::of(&local::operations());
    for op in local::operations() {
        let declared: BTreeSet<String> = op
            .permissions
            .iter()
            .filter(|p| p.actions.contains(&"sqs:SendMessage"))
            .map(|p| p.resource.into())
            .collect();
        let mut expected: BTreeSet<String> = fleet
            .routes
            .for_publisher(op)
            .destinations()
            .into_iter()
            .map(str::to_owned)
            .chain(declared.iter().map(|r| r.trim_start_matches("queue:").to_owned()))
            .collect();
        if op.redrives {
            expected.extend(fleet.queues.iter().map(|q| q.name.to_owned()));
        }
        assert_eq!(rights[op.name], expected, "{}", op.name);
    }

    // What must hold however many consumers are added later.
    let may = |function: &str, queue: &str| rights[function].contains(queue);
    for notified in ["notifications-email", "notifications-whatsapp"] {
        assert!(may("appointments-book", notified) && may("appointments-reschedule", notified), "{notified}");
        assert!(may("waitlist-offer", notified), "offers go out by email and WhatsApp");
    }
    assert!(may("appointments-cancel", "waitlist-offer"), "a cancellation goes to the waitlist");
    assert!(!may("appointments-book", "waitlist-offer"), "a booking frees no time");
    assert!(!may("auth-register", "notifications-whatsapp"), "account mail has no WhatsApp form");
    assert!(!may("notifications-relay", "auth-requests"), "the relay sends outbox rows only");
    assert_eq!(rights["auth-password-forgot"], set(&["auth-requests"]), "its own queue, not the outbox's");
    assert!(rights["appointments-list"].is_empty(), "a reader sends nothing");
    let every: BTreeSet<String> = fleet.queues.iter().map(|q| q.name.to_owned()).collect();
    assert_eq!(rights["notifications-dlq-redrive"], every);
}
