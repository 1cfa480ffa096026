//! The dependency rule of `lib.rs`, checked on the sources: every file under `src/` is read
//! (relative to `CARGO_MANIFEST_DIR`), its comments and literals are dropped, and each path
//! that starts at `crate`, `super` or `self` is resolved to the top-level module it reaches,
//! through `use` groups (`use crate::{domain::X, http::{self, Y}}`) and `super::super::…`
//! chains, inline `mod` blocks included. A file of a layer that reaches a module the rule puts
//! above it, or names a crate its layer must not use, fails the test with file and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The adapters: they own an SDK or a crate and sit below the services.
const ADAPTERS: [&str; 16] = [
    "store",
    "metrics",
    "avatars",
    "mail",
    "i18n",
    "objects",
    "payments",
    "passwords",
    "tokens",
    "captcha",
    "crypto",
    "kms",
    "secrets",
    "outbound",
    "breached",
    "legacy_hashes",
];

/// Which files a rule covers (a folder or a file under `src/`), the top-level modules they must
/// not reach, and the crates they must not name.
struct Rule {
    layer: &'static [&'static str],
    modules: &'static [&'static str],
    crates: &'static [&'static str],
}

const SDK_CRATES: &[&str] = &["aws_sdk_", "lambda_http"];

const RULES: &[Rule] = &[
    // The bottom: validated values and shared types, nothing above them.
    Rule {
        layer: &["domain"],
        modules: &[
            "http",
            "api",
            "web",
            "services",
            "store",
            "config",
            "app",
            "App",
            "avatars",
            "mail",
            "i18n",
            "objects",
            "payments",
            "passwords",
            "tokens",
            "captcha",
            "crypto",
            "kms",
            "secrets",
            "outbound",
            "breached",
            "legacy_hashes",
        ],
        crates: SDK_CRATES,
    },
    // Adapters serve the services; they never call up into them or the HTTP side.
    Rule { layer: &ADAPTERS, modules: &["services", "http", "api", "web"], crates: &[] },
    // The error map and the envelope are used by every layer, so they are below `http`.
    Rule { layer: &["error.rs", "envelope.rs"], modules: &["http", "api", "services", "store"], crates: &[] },
    // Use cases know no HTTP and no SDK.
    Rule { layer: &["services"], modules: &["http", "api", "web"], crates: SDK_CRATES },
    // Routes call services, never the store; the HTTP glue calls services for its principal.
    Rule { layer: &["api"], modules: &["store", "web"], crates: &[] },
    // The pages are a second presentation of the same services: no store, no JSON routes.
    Rule { layer: &["web"], modules: &["store", "api"], crates: &[] },
    Rule { layer: &["http"], modules: &["store", "api", "web"], crates: &[] },
];

/// One reference of a source file: the line and what it reaches (`module:http`, `crate:lambda_http`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reference {
    line: usize,
    target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// The code of a file as tokens with their lines: comments, strings, raw strings and character
/// literals are dropped (a doc link or a URL is not an import).
fn tokens(source: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(chars[i] == '\n');
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(&chars, i, &mut line),
            '\'' => {
                // A character literal ('x', '\n', '\'') is skipped; a lifetime ('a) is not a literal.
                if at(i + 1) == '\\' {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == '\'' {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            ':' if at(i + 1) == ':' => {
                out.push((line, Token::PathSep));
                i += 2;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
                let ident: String = chars[start..i].iter().collect();
                let mut hashes = 0;
                while at(i + hashes) == '#' {
                    hashes += 1;
                }
                match ident.as_str() {
                    // b"…": escapes as in a plain string.
                    "b" if at(i) == '"' => i = skip_string(&chars, i, &mut line),
                    // r"…", r#"…"#, br#"…"#: no escapes; it ends at a quote and as many hashes.
                    "r" | "br" if at(i + hashes) == '"' => {
                        let mut j = i + hashes + 1;
                        while j < chars.len() && !(chars[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#')) {
                            line += usize::from(chars[j] == '\n');
                            j += 1;
                        }
                        i = j + 1 + hashes;
                    }
                    // r#type: a raw identifier.
                    "r" if hashes == 1 => {
                        let from = i + 1;
                        i = from;
                        while at(i).is_alphanumeric() || at(i) == '_' {
                            i += 1;
                        }
                        out.push((line, Token::Ident(chars[from..i].iter().collect())));
                    }
                    _ => out.push((line, Token::Ident(ident))),
                }
            }
            c if c.is_whitespace() => i += 1,
            c => {
                out.push((line, Token::Punct(c)));
                i += 1;
            }
        }
    }
    out
}

/// The index after the string literal whose opening quote is at `i` (escapes honoured).
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    i += 1;
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        *line += usize::from(chars.get(i) == Some(&'\n'));
        i += 1;
    }
    i + 1
}

/// The module path of a file under `src/`: `services/users/account.rs` → `[services, users, account]`,
/// `services/mod.rs` → `[services]`, `lib.rs` → `[]`.
fn module_path(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Parses one use tree or path at `i`, below `prefix`, and collects every absolute path it names.
/// Returns the index after it.
fn tree(tokens: &[(usize, Token)], mut i: usize, mut path: Vec<String>, found: &mut Vec<(usize, Vec<String>)>) -> usize {
    let line = tokens.get(i).map_or(0, |t| t.0);
    loop {
        match tokens.get(i).map(|t| &t.1) {
            Some(Token::Punct('{')) => {
                i += 1;
                loop {
                    match tokens.get(i).map(|t| &t.1) {
                        Some(Token::Punct('}')) | None => return i + 1,
                        Some(Token::Punct(',')) => i += 1,
                        _ => i = tree(tokens, i, path.clone(), found),
                    }
                }
            }
            Some(Token::Ident(name)) => {
                match name.as_str() {
                    "self" => {}
                    "super" => {
                        path.pop();
                    }
                    other => path.push(other.to_owned()),
                }
                if matches!(tokens.get(i + 1).map(|t| &t.1), Some(Token::PathSep)) {
                    i += 2;
                } else {
                    found.push((line, path));
                    return i + 1;
                }
            }
            _ => {
                // `*`, `as`, or the end of the path: what was named so far is the reference.
                found.push((line, path));
                return i;
            }
        }
    }
}

/// Every top-level module of the crate a file reaches, and every external crate it names.
fn references(relative: &str, source: &str) -> BTreeSet<Reference> {
    let tokens = tokens(source);
    let file_module = module_path(relative);
    // Inline `mod name { … }` blocks: (brace depth at which it closes, name).
    let mut inline: Vec<(usize, String)> = Vec::new();
    let mut depth = 0;
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        let (line, token) = &tokens[i];
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(d, _)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            Token::Ident(kw) if kw == "mod" => {
                if let (Some((_, Token::Ident(name))), Some((_, Token::Punct('{')))) = (tokens.get(i + 1), tokens.get(i + 2)) {
                    inline.push((depth + 1, name.clone()));
                }
            }
            Token::Ident(name) if name.starts_with("aws_sdk_") || name == "lambda_http" => {
                out.insert(Reference { line: *line, target: format!("crate:{name}") });
            }
            Token::Ident(start) if matches!(start.as_str(), "crate" | "super" | "self") => {
                let after_sep = i > 0 && tokens[i - 1].1 == Token::PathSep;
                if !after_sep && matches!(tokens.get(i + 1).map(|t| &t.1), Some(Token::PathSep)) {
                    let here: Vec<String> = file_module.iter().cloned().chain(inline.iter().map(|(_, n)| n.clone())).collect();
                    let base = if start == "crate" { Vec::new() } else { here };
                    let begin = if start == "crate" { i + 2 } else { i };
                    let mut found = Vec::new();
                    let next = tree(&tokens, begin, base, &mut found);
                    for (line, path) in found {
                        if let Some(top) = path.first() {
                            out.insert(Reference { line, target: format!("module:{top}") });
                        }
                    }
                    i = next.max(i + 1);
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The references of `relative` that `rule` forbids, as `(line, "crate::http" | "lambda_http")`.
fn violations(rule: &Rule, relative: &str, refs: &BTreeSet<Reference>) -> Vec<(usize, String)> {
    let own = module_path(relative).first().cloned().unwrap_or_default();
    refs.iter()
        .filter_map(|r| match r.target.split_once(':') {
            Some(("module", m)) if m != own && rule.modules.contains(&m) => Some((r.line, format!("crate::{m}"))),
            Some(("crate", c)) if rule.crates.iter().any(|p| c.starts_with(p)) => Some((r.line, c.to_owned())),
            _ => None,
        })
        .collect()
}

fn covered(rule: &Rule, relative: &str) -> bool {
    rule.layer.iter().any(|l| relative == *l || relative == format!("{l}.rs") || relative.starts_with(&format!("{l}/")))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "expected the crate's sources under {}", src.display());
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        if relative == "layering.rs" {
            continue;
        }
        let source = std::fs::read_to_string(file).unwrap();
        let refs = references(&relative, &source);
        for rule in RULES.iter().filter(|r| covered(r, &relative)) {
            for (line, what) in violations(rule, &relative, &refs) {
                wrong.push(format!("src/{relative}:{line} uses {what}"));
            }
        }
    }
    assert!(wrong.is_empty(), "edges against the dependency rule in lib.rs:\n{}", wrong.join("\n"));
}

#[test]
fn grouped_nested_and_relative_imports_are_all_seen() {
    let source = r#"
        //! Mentions crate::store in a comment, which is no import.
        use crate::{domain::User, http::{self, Reply}};
        use super::super::super::store::Thing;
        use super::limits;
        const URL: &str = "crate::config";
        fn f() { let _ = crate::config::Config::from_env(); let _c = '"'; let _ = lambda_http::Body::Empty; }
        mod tests { use super::super::super::super::api::x; }
    "#;
    let refs = references("services/users/account.rs", source);
    let targets: Vec<&str> = refs.iter().map(|r| r.target.as_str()).collect();
    for expected in ["module:domain", "module:http", "module:store", "module:config", "module:api", "module:services", "crate:lambda_http"]
    {
        assert!(targets.contains(&expected), "{expected} not found in {targets:?}");
    }
    let rule = &RULES[3];
    let found: Vec<String> = violations(rule, "services/users/account.rs", &refs).into_iter().map(|(_, what)| what).collect();
    assert_eq!(found, ["crate::http", "lambda_http", "crate::api"], "services may use the store and themselves, not these");
}

#[test]
fn a_comment_string_or_raw_string_is_not_a_reference() {
    let source = "/* crate::http */ const A: &str = r#\"crate::http\"#; const B: &[u8] = b\"crate::http\"; // crate::http\n";
    assert!(references("domain/x.rs", source).is_empty());
}
