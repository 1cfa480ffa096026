//! The one message catalog of the product, shared by the mail and the hosted pages: Fluent
//! files under `shared/locales/<lang>/` (`mail.ftl`, `web.ftl`, `admin.ftl`), compiled into the binary and
//! parsed once. Callers ask for a message by id ([`text`], [`text_with`]); the catalog holds
//! plain text, and whoever puts it into HTML escapes it (values included).
//!
//! Nothing here panics on a request: a parse error in a file leaves the other messages
//! usable and is reported by a unit test, and a missing id renders as the id itself, with a
//! warning.

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// A language the catalog has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    /// Every language, the default (the fallback of [`negotiate`](Lang::negotiate)'s callers) first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// From a BCP 47 primary subtag, in any case; anything we have no catalog for is English.
    pub fn from_primary(primary: &str) -> Self {
        if primary.eq_ignore_ascii_case("es") { Lang::Es } else { Lang::En }
    }

    /// The language tag (`<html lang>`, the catalog's folder).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language of ours an `Accept-Language` header (RFC 9110 §12.5.4) prefers: the one
    /// with the highest q-value, any region (`es-MX` is Spanish), `*` standing for the ones it
    /// does not name. A tie goes to the range listed first. `None` when the header names none
    /// of ours (or refuses them with `q=0`), is absent or is not a valid header; the caller
    /// falls back to English. Malformed members are skipped, never an error.
    pub fn negotiate(accept_language: Option<&str>) -> Option<Lang> {
        let ranges: Vec<(usize, Range<'_>, u16)> =
            accept_language?.split(',').enumerate().filter_map(|(at, member)| parse_member(member).map(|(r, q)| (at, r, q))).collect();
        let mut best: Option<(u16, std::cmp::Reverse<usize>, Lang)> = None;
        for lang in Lang::ALL {
            // The ranges that name this language decide; `*` only speaks for the others.
            let named = ranges.iter().filter(|(_, r, _)| matches!(r, Range::Primary(p) if p.eq_ignore_ascii_case(lang.code())));
            let chosen =
                named.max_by_key(|(at, _, q)| (*q, std::cmp::Reverse(*at))).or_else(|| ranges.iter().find(|(_, r, _)| *r == Range::Any));
            if let Some((at, _, q)) = chosen {
                let rank = (*q, std::cmp::Reverse(*at), lang);
                if *q > 0 && best.is_none_or(|b| (rank.0, rank.1) > (b.0, b.1)) {
                    best = Some(rank);
                }
            }
        }
        best.map(|(_, _, lang)| lang)
    }
}

/// A language range of `Accept-Language`: `*` or the primary subtag of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range<'a> {
    Any,
    Primary(&'a str),
}

/// One member of the list, `range [; q=value]`, with its weight in thousandths; `None` when it
/// is not well formed.
fn parse_member(member: &str) -> Option<(Range<'_>, u16)> {
    let mut parts = member.split(';');
    let range = parts.next()?.trim_matches([' ', '\t']);
    let range = if range == "*" {
        Range::Any
    } else {
        let mut subtags = range.split('-');
        let primary = subtags.next()?;
        let alpha = |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic());
        let alnum = |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if !alpha(primary) || !subtags.all(alnum) {
            return None;
        }
        Range::Primary(primary)
    };
    let mut q = 1000;
    for param in parts {
        let (name, value) = param.trim_matches([' ', '\t']).split_once('=')?;
        if !name.eq_ignore_ascii_case("q") {
            return None;
        }
        q = qvalue(value)?;
    }
    Some((range, q))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn qvalue(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The catalog files of each language, in the order they are added to its bundle.
const SOURCES: [(Lang, &str, &str); 6] = [
    (Lang::En, "en/mail.ftl", include_str!("../locales/en/mail.ftl")),
    (Lang::En, "en/web.ftl", include_str!("../locales/en/web.ftl")),
    (Lang::Es, "es/mail.ftl", include_str!("../locales/es/mail.ftl")),
    (Lang::Es, "es/web.ftl", include_str!("../locales/es/web.ftl")),
    (Lang::En, "en/admin.ftl", include_str!("../locales/en/admin.ftl")),
    (Lang::Es, "es/admin.ftl", include_str!("../locales/es/admin.ftl")),
];

struct Catalog {
    en: FluentBundle<FluentResource>,
    es: FluentBundle<FluentResource>,
}

impl Catalog {
    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Es => &self.es,
        }
    }
}

/// The compiled-in catalog, parsed on first use: immutable data, the same for every `App`.
/// A problem is logged (a unit test keeps the list empty); the messages that parsed still work.
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let (catalog, problems) = build();
    for problem in &problems {
        tracing::error!(problem, "message catalog");
    }
    catalog
});

/// The bundles, and what went wrong building them (parse errors, duplicate ids).
fn build() -> (Catalog, Vec<String>) {
    let mut problems = Vec::new();
    let mut bundle = |lang: Lang| {
        let id: LanguageIdentifier = lang.code().parse().unwrap_or_else(|e| {
            problems.push(format!("{}: {e}", lang.code()));
            LanguageIdentifier::default()
        });
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Plain text into mail and HTML: no U+2068/U+2069 marks around the values.
        bundle.set_use_isolating(false);
        for (_, file, source) in SOURCES.iter().filter(|(l, _, _)| *l == lang) {
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(partial, errors)| {
                problems.extend(errors.iter().map(|e| format!("{file}: {e:?}")));
                partial
            });
            if let Err(errors) = bundle.add_resource(resource) {
                problems.extend(errors.iter().map(|e| format!("{file}: {e}")));
            }
        }
        bundle
    };
    let (en, es) = (bundle(Lang::En), bundle(Lang::Es));
    (Catalog { en, es }, problems)
}

/// The message `id` in `lang`, without arguments.
pub fn text(lang: Lang, id: &str) -> String {
    format(lang, id, None)
}

/// The message `id` in `lang`, with string arguments (`{ $username }` ← `("username", "ana")`).
pub fn text_with(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        fluent_args.set(*name, *value);
    }
    format(lang, id, Some(&fluent_args))
}

/// Whether the catalog has the message `id` in `lang`.
pub fn has(lang: Lang, id: &str) -> bool {
    CATALOG.bundle(lang).get_message(id).is_some_and(|m| m.value().is_some())
}

fn format(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
    let bundle = CATALOG.bundle(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(lang = lang.code(), id, "no such message in the catalog");
        return id.to_owned();
    };
    let mut errors = Vec::new();
    let text: Cow<'_, str> = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(lang = lang.code(), id, errors = ?errors, "message formatted with errors");
    }
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::BTreeSet;

    /// The message ids and the variables each uses, of every file of `lang`.
    fn messages(lang: Lang) -> Vec<(String, BTreeSet<String>)> {
        let mut out = Vec::new();
        for (_, _, source) in SOURCES.iter().filter(|(l, _, _)| *l == lang) {
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, _)| r);
            for entry in resource.entries() {
                if let ast::Entry::Message(m) = entry {
                    let mut vars = BTreeSet::new();
                    if let Some(pattern) = &m.value {
                        variables(pattern, &mut vars);
                    }
                    out.push((m.id.name.to_owned(), vars));
                }
            }
        }
        out
    }

    fn variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    /// The variables an expression reads, through select expressions (plural variants).
    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        let inline = |e: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>| match e {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_owned());
            }
            ast::InlineExpression::Placeable { expression } => expression_variables(expression, out),
            _ => {}
        };
        match expression {
            ast::Expression::Inline(e) => inline(e, out),
            ast::Expression::Select { selector, variants } => {
                inline(selector, out);
                for variant in variants {
                    variables(&variant.value, out);
                }
            }
        }
    }

    #[test]
    fn every_file_parses_and_no_id_is_defined_twice() {
        let (_, problems) = build();
        assert!(problems.is_empty(), "catalog problems:\n{}", problems.join("\n"));
        for lang in Lang::ALL {
            let ids: Vec<String> = messages(lang).into_iter().map(|(id, _)| id).collect();
            let unique: BTreeSet<&String> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "{lang:?} defines an id twice");
            assert!(!ids.is_empty());
        }
    }

    #[test]
    fn every_message_exists_in_both_languages_with_the_same_variables() {
        let en: std::collections::BTreeMap<_, _> = messages(Lang::En).into_iter().collect();
        let es: std::collections::BTreeMap<_, _> = messages(Lang::Es).into_iter().collect();
        let only_en: Vec<_> = en.keys().filter(|id| !es.contains_key(*id)).collect();
        let only_es: Vec<_> = es.keys().filter(|id| !en.contains_key(*id)).collect();
        assert!(only_en.is_empty() && only_es.is_empty(), "only in en: {only_en:?}; only in es: {only_es:?}");
        for (id, vars) in &en {
            assert_eq!(Some(vars), es.get(id), "{id} takes other variables in es");
        }
    }

    #[test]
    fn every_message_formats_without_errors_in_both_languages() {
        for lang in Lang::ALL {
            let bundle = CATALOG.bundle(lang);
            for (id, vars) in messages(lang) {
                assert!(has(lang, &id), "{lang:?} {id}");
                let mut args = FluentArgs::new();
                for var in &vars {
                    args.set(var.clone(), "value");
                }
                let pattern = bundle.get_message(&id).and_then(|m| m.value());
                let pattern = pattern.unwrap_or_else(|| panic!("{lang:?} {id} has no value"));
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{lang:?} {id}: {errors:?}");
                assert!(!text.trim().is_empty(), "{lang:?} {id} is empty");
            }
        }
    }

    #[test]
    fn arguments_are_substituted_without_isolation_marks() {
        assert_eq!(text_with(Lang::En, "greeting", &[("username", "ana")]), "Hello ana,");
        assert_eq!(text_with(Lang::Es, "greeting", &[("username", "<b>")]), "Hola <b>:");
        assert_eq!(text(Lang::Es, "activation-subject"), "Activa tu cuenta");
        assert_eq!(text(Lang::En, "app-name"), "Accounts");
    }

    #[test]
    fn a_missing_id_renders_as_itself() {
        assert_eq!(text(Lang::En, "no-such-message"), "no-such-message");
        assert_eq!(text_with(Lang::Es, "no-such-message", &[("a", "b")]), "no-such-message");
        assert!(!has(Lang::En, "no-such-message"));
        assert!(has(Lang::Es, "app-name"));
    }

    #[test]
    fn from_primary_knows_spanish_in_any_case_and_defaults_to_english() {
        assert_eq!(Lang::from_primary("es"), Lang::Es);
        assert_eq!(Lang::from_primary("ES"), Lang::Es);
        assert_eq!(Lang::from_primary("fr"), Lang::En);
        assert_eq!(Lang::from_primary(""), Lang::En);
        assert_eq!((Lang::En.code(), Lang::Es.code()), ("en", "es"));
    }

    #[test]
    fn negotiate_picks_the_best_q_value_of_ours() {
        let cases: &[(Option<&str>, Option<Lang>)] = &[
            (Some("fr, es;q=0.8, en;q=0.5"), Some(Lang::Es)),
            (Some("en-GB,en;q=0.9"), Some(Lang::En)),
            (Some("es-MX;q=0.9"), Some(Lang::Es)),
            (Some("ES-mx"), Some(Lang::Es)),
            (Some("en;q=0.4, es-419;q=0.6"), Some(Lang::Es)),
            (Some("es, en"), Some(Lang::Es)),
            (Some("en ; Q=1.000 , es;q=1"), Some(Lang::En)),
            (Some("de"), None),
            (Some("es;q=0, de"), None),
            (Some("*"), Some(Lang::En)),
            (Some("en;q=0, *;q=0.1"), Some(Lang::Es)),
            (Some("es;q=0.5, *;q=0.8"), Some(Lang::En)),
            (Some(""), None),
            (None, None),
            (Some(";;;,,=q=,\u{0}é"), None),
            (Some("es;q=2"), None),
            (Some("es;q=0.1234"), None),
            (Some("es;q=-1"), None),
            (Some("es;level=1"), None),
            (Some("toolongsubtag"), None),
        ];
        for (header, expected) in cases {
            assert_eq!(Lang::negotiate(*header), *expected, "{header:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn negotiate_never_panics(header in "\\PC{0,64}") {
            let _ = Lang::negotiate(Some(&header));
        }

        #[test]
        fn negotiate_never_panics_on_header_like_input(header in "([a-zA-Z*-]{0,10}(;[ qQ]{0,2}=[0-9.]{0,6})?[ ,]{0,2}){0,6}") {
            let lang = Lang::negotiate(Some(&header));
            if !header.to_ascii_lowercase().contains("es") && !header.to_ascii_lowercase().contains("en") && !header.contains('*') {
                proptest::prop_assert_eq!(lang, None);
            }
        }
    }
}
