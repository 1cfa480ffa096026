//! The release build's contract with template.yaml, checked without building: `make build`
//! (infra/build.sh) packages every package under `functions/` as
//! `target/lambda/<package>/bootstrap`, and SAM deploys what each function's `CodeUri` names.
//! A function added without a template resource, or a resource pointing at a folder no build
//! writes, fails here instead of at `sam deploy`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The `members` of the workspace manifest.
fn workspace_members() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let start = manifest.find("members").expect("a members list");
    let list = &manifest[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    list.split(',').map(|m| m.trim().trim_matches('"').to_owned()).filter(|m| !m.is_empty()).collect()
}

/// The binary each function package builds: its package name (what cargo-lambda names the
/// folder), as long as the manifest does not rename it.
fn function_binaries() -> BTreeSet<String> {
    workspace_members()
        .into_iter()
        .filter(|m| m.starts_with("functions/"))
        .map(|m| {
            let manifest = std::fs::read_to_string(root().join(&m).join("Cargo.toml")).unwrap();
            assert!(!manifest.contains("[[bin]]"), "{m}: a [[bin]] section would rename the bootstrap folder");
            let name = manifest.lines().find_map(|l| l.strip_prefix("name = ")).expect("a package name");
            name.trim().trim_matches('"').to_owned()
        })
        .collect()
}

/// `CodeUri` of every `AWS::Serverless::Function` in template.yaml.
fn template_code_uris() -> BTreeSet<String> {
    let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(root().join("template.yaml")).unwrap()).unwrap();
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| r["Properties"]["CodeUri"].as_str().unwrap_or_else(|| panic!("{id:?} has no CodeUri")).to_owned())
        .collect()
}

#[test]
fn template_code_uris_and_function_packages_match_one_to_one() {
    let functions = function_binaries();
    assert_eq!(functions.len(), 9, "auth, users, api-keys, admin, uploads, billing, purge, events and web: {functions:?}");
    let built: BTreeSet<String> = functions.iter().map(|f| format!("target/lambda/{f}/")).collect();
    assert_eq!(template_code_uris(), built, "template.yaml CodeUris vs what `make build` writes");
}

#[test]
fn the_release_build_takes_its_packages_from_the_functions_folder_and_builds_arm64() {
    let script = std::fs::read_to_string(root().join("infra/build.sh")).unwrap();
    assert!(script.contains("for manifest in functions/*/Cargo.toml"), "infra/build.sh picks its packages from functions/");
    assert!(
        script.contains("cargo lambda build --release \"$arch\" --lambda-dir \"$ROOT/target/lambda\""),
        "cargo lambda, release, into target/lambda"
    );
    assert!(script.contains("arch=--arm64"), "arm64 is what the template deploys");
    let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(root().join("template.yaml")).unwrap()).unwrap();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Architectures"], serde_yaml::from_str::<serde_yaml::Value>("[arm64]").unwrap());
    assert_eq!(globals["Runtime"], "provided.al2023");
}
