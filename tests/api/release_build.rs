//! The release build's contract with template.yaml, checked without building: `make build`
//! (infra/build.sh) is `sam build`, which builds every `AWS::Serverless::Function` with its
//! `Metadata` (`BuildMethod: rust-cargolambda`, `Binary: <package>`) from `CodeUri`
//! `functions/<package>/`: `cargo lambda build --release --arm64 --bin <package>`. A function
//! added without a template resource, or a resource that would build another binary or
//! architecture, fails here instead of at `sam build`; `make test` then runs the real
//! `sam build` (infra/sam.sh).

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

fn template() -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(root().join("template.yaml")).unwrap()).unwrap()
}

/// `(CodeUri, BuildMethod, Binary, Architectures)` of every `AWS::Serverless::Function`.
fn template_functions() -> Vec<(String, String, String, Option<serde_yaml::Value>)> {
    let template = template();
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| {
            let field = |v: &serde_yaml::Value, what: &str| v.as_str().unwrap_or_else(|| panic!("{id:?} has no {what}")).to_owned();
            (
                field(&r["Properties"]["CodeUri"], "CodeUri"),
                field(&r["Metadata"]["BuildMethod"], "Metadata.BuildMethod"),
                field(&r["Metadata"]["BuildProperties"]["Binary"], "Metadata.BuildProperties.Binary"),
                r["Properties"].get("Architectures").cloned(),
            )
        })
        .collect()
}

#[test]
fn every_function_package_is_one_sam_function_built_by_cargo_lambda_from_its_folder() {
    let functions = function_binaries();
    assert_eq!(functions.len(), 10, "auth, users, api-keys, admin, uploads, billing, purge, events, web and mail-events: {functions:?}");
    let in_template = template_functions();
    let binaries: BTreeSet<String> = in_template.iter().map(|(_, _, binary, _)| binary.clone()).collect();
    assert_eq!(binaries, functions, "template.yaml's Binary of each function vs the packages under functions/");
    for (code_uri, method, binary, architectures) in &in_template {
        assert_eq!(method, "rust-cargolambda", "{binary}: `sam build` must build it with cargo-lambda");
        assert_eq!(
            code_uri,
            &format!("functions/{binary}/"),
            "{binary}: CodeUri is the package's folder (sam build runs cargo lambda there)"
        );
        assert!(architectures.is_none(), "{binary}: the architecture comes from Globals (arm64), not from the function");
    }
}

#[test]
fn make_build_is_sam_build_for_arm64_and_make_deploy_deploys_what_it_built() {
    let script = std::fs::read_to_string(root().join("infra/build.sh")).unwrap();
    assert!(script.contains("sam build"), "infra/build.sh builds with `sam build`");
    assert!(!script.contains("SAM_BUILD_MODE"), "make build is a release build");
    let makefile = std::fs::read_to_string(root().join("Makefile")).unwrap();
    let deploy = makefile.lines().skip_while(|l| !l.starts_with("deploy:")).take(6).collect::<Vec<_>>().join("\n");
    assert!(deploy.starts_with("deploy: build"), "make deploy builds first:\n{deploy}");
    assert!(
        deploy.contains("sam deploy") && !deploy.contains("--template-file template.yaml"),
        "it deploys .aws-sam/build's template:\n{deploy}"
    );
    let template = template();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Architectures"], serde_yaml::from_str::<serde_yaml::Value>("[arm64]").unwrap());
    assert_eq!(globals["Runtime"], "provided.al2023");
}
