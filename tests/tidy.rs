//! Architecture invariants, checked on the parsed source (rust-analyzer's
//! `tidy` style): cheap to run, and they fail the build instead of relying
//! on review.
//!
//! Each file is parsed with syn. What its shipped code names is collected:
//! every path, written out in full through the file's `use` declarations
//! (`use std::{fs, io}` then `fs::write(…)` is `std::fs::write`), and every
//! string literal, macros' arguments included. Items under `#[cfg(test)]`
//! are left out wherever they stand in the file. Each rule is data, and
//! `every_rule_catches_a_planted_violation` proves that each one can fail.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out.sort();
    out
}

/// What a file's shipped code names.
#[derive(Debug, Default)]
struct Names {
    /// Every path, expanded through the file's `use` declarations.
    paths: Vec<String>,
    /// Every string literal's value.
    strings: Vec<String>,
    /// Every method called, as `.name`.
    methods: Vec<String>,
    /// The file opens with an inner doc comment (`//!`).
    module_doc: bool,
}

/// An item is test-only when its `#[cfg(…)]` cannot hold without `test`:
/// `cfg(test)`, `cfg(all(test, unix))`, but not `cfg(not(test))` or
/// `cfg(any(test, feature = "x"))`.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|predicate| holds_without_test(&predicate) == Some(false))
    })
}

/// Whether a cfg predicate holds in a build without `test`: always, never,
/// or `None`, depending on other flags.
fn holds_without_test(predicate: &syn::Meta) -> Option<bool> {
    use syn::punctuated::Punctuated;
    let args = |list: &syn::MetaList| {
        list.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            .map(|args| args.iter().map(holds_without_test).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    match predicate {
        syn::Meta::Path(path) if path.is_ident("test") => Some(false),
        syn::Meta::List(list) if list.path.is_ident("not") => {
            let inner = list.parse_args::<syn::Meta>().ok()?;
            holds_without_test(&inner).map(|holds| !holds)
        }
        syn::Meta::List(list) if list.path.is_ident("all") => {
            let args = args(list);
            if args.contains(&Some(false)) {
                Some(false)
            } else if args.iter().all(|a| *a == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        syn::Meta::List(list) if list.path.is_ident("any") => {
            let args = args(list);
            if args.contains(&Some(true)) {
                Some(true)
            } else if args.iter().all(|a| *a == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `segments` as an absolute path: `self::` and `super::` resolved against
/// `module` (the file's own path, `crate::push::files`).
fn absolute(module: &[String], segments: Vec<String>) -> Vec<String> {
    let mut base: Vec<String> = module.to_vec();
    let mut rest = segments.into_iter().peekable();
    match rest.peek().map(String::as_str) {
        Some("self") => {
            rest.next();
        }
        Some("super") => {
            while rest.peek().map(String::as_str) == Some("super") {
                rest.next();
                base.pop();
            }
        }
        _ => return rest.collect(),
    }
    base.extend(rest);
    base
}

/// A source file's module path: `src/push/files.rs` is
/// `crate::push::files`, `src/push/mod.rs` `crate::push`.
fn module_of(path: &Path) -> Vec<String> {
    let mut module = vec!["crate".to_string()];
    let relative = path.strip_prefix("src").unwrap_or(path).with_extension("");
    for part in relative.components() {
        let part = part.as_os_str().to_string_lossy();
        if !["lib", "main", "mod"].contains(&part.as_ref()) {
            module.push(part.into_owned());
        }
    }
    module
}

/// The `use` declarations of shipped code: the name each brings into
/// scope, with the full path it stands for.
#[derive(Default)]
struct Uses {
    /// The file's module path, for `self::` and `super::`.
    module: Vec<String>,
    aliases: HashMap<String, String>,
    /// Each declaration, flattened (`std::{fs, io}` is two).
    paths: Vec<String>,
}

impl Uses {
    fn tree(&mut self, prefix: &str, tree: &syn::UseTree) {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}::{name}")
            }
        };
        // Resolved at the leaves, so `super::super::x` climbs twice.
        let module = self.module.clone();
        let resolve = |path: &str| {
            absolute(&module, path.split("::").map(str::to_string).collect()).join("::")
        };
        match tree {
            syn::UseTree::Path(p) => self.tree(&join(&p.ident.to_string()), &p.tree),
            syn::UseTree::Name(n) if n.ident == "self" => {
                let last = prefix.rsplit("::").next().unwrap_or(prefix).to_string();
                let full = resolve(prefix);
                self.aliases.insert(last, full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Name(n) => {
                let full = resolve(&join(&n.ident.to_string()));
                self.aliases.insert(n.ident.to_string(), full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Rename(r) => {
                let full = resolve(&join(&r.ident.to_string()));
                self.aliases.insert(r.rename.to_string(), full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Glob(_) => self.paths.push(resolve(prefix)),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.tree(prefix, item);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Uses {
    fn visit_item(&mut self, item: &'a syn::Item) {
        if !is_test_only(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }
    fn visit_item_use(&mut self, item: &'a syn::ItemUse) {
        self.tree("", &item.tree);
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Collects paths and strings, expanding each path's first segment through
/// the `use` aliases.
struct Collect<'u> {
    module: &'u [String],
    aliases: &'u HashMap<String, String>,
    names: Names,
}

impl Collect<'_> {
    fn path(&mut self, segments: Vec<String>) {
        let Some(first) = segments.first() else {
            return;
        };
        let head = self.aliases.get(first).cloned().unwrap_or(first.clone());
        let mut full: Vec<String> = head.split("::").map(str::to_string).collect();
        full.extend(segments.into_iter().skip(1));
        self.names
            .paths
            .push(absolute(self.module, full).join("::"));
    }

    /// A macro's arguments: parsed as expressions where they are (so their
    /// paths and strings are seen), else scanned token by token.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use syn::parse::Parser;
        let parsed = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated
            .parse2(tokens.clone());
        if let Ok(exprs) = parsed {
            for expr in &exprs {
                self.visit_expr(expr);
            }
            return;
        }
        let mut run: Vec<String> = Vec::new();
        let mut colons = 0;
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(ident) => {
                    if colons != 2 && !run.is_empty() {
                        self.path(std::mem::take(&mut run));
                    }
                    run.push(ident.to_string());
                    colons = 0;
                }
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ':' => colons += 1,
                other => {
                    if !run.is_empty() {
                        self.path(std::mem::take(&mut run));
                    }
                    colons = 0;
                    match other {
                        proc_macro2::TokenTree::Literal(lit) => {
                            if let Ok(s) = syn::parse_str::<syn::LitStr>(&lit.to_string()) {
                                self.names.strings.push(s.value());
                            }
                        }
                        proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                        _ => {}
                    }
                }
            }
        }
        if !run.is_empty() {
            self.path(run);
        }
    }
}

impl<'a> Visit<'a> for Collect<'_> {
    fn visit_item(&mut self, item: &'a syn::Item) {
        if !is_test_only(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }
    fn visit_impl_item_fn(&mut self, item: &'a syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }
    fn visit_item_use(&mut self, _: &'a syn::ItemUse) {
        // Counted from `Uses`, already expanded.
    }
    /// `#[derive(clap::Parser)]`, `#[serde(with = "…")]`: paths in
    /// attribute lists count; doc comments (`#[doc = "…"]`) do not.
    fn visit_attribute(&mut self, attr: &'a syn::Attribute) {
        if let syn::Meta::List(list) = &attr.meta {
            if !list.path.is_ident("cfg") {
                self.tokens(list.tokens.clone());
            }
        }
    }
    fn visit_path(&mut self, path: &'a syn::Path) {
        self.path(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }
    fn visit_expr_method_call(&mut self, call: &'a syn::ExprMethodCall) {
        self.names.methods.push(format!(".{}", call.method));
        syn::visit::visit_expr_method_call(self, call);
    }
    fn visit_lit_str(&mut self, lit: &'a syn::LitStr) {
        self.names.strings.push(lit.value());
    }
    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }
}

/// What `text` names, or why it does not parse.
fn names(path: &Path, text: &str) -> Result<Names, String> {
    let file = syn::parse_file(text).map_err(|e| e.to_string())?;
    let module = module_of(path);
    let mut uses = Uses {
        module: module.clone(),
        ..Uses::default()
    };
    uses.visit_file(&file);
    let mut collect = Collect {
        module: &module,
        aliases: &uses.aliases,
        names: Names::default(),
    };
    collect.visit_file(&file);
    let mut names = collect.names;
    names.paths.extend(uses.paths);
    names.module_doc = file.attrs.first().is_some_and(|attr| {
        attr.path().is_ident("doc") && matches!(attr.style, syn::AttrStyle::Inner(_))
    });
    Ok(names)
}

/// One invariant: in the files `applies` selects, `finds` returns what breaks it.
struct Rule {
    name: &'static str,
    applies: fn(&Path) -> bool,
    finds: fn(&Names) -> Vec<String>,
    /// A path the rule applies to and code that breaks it, for the proof.
    planted: (&'static str, &'static str),
}

/// Paths that are, or lie under, one of `forbidden`; a pattern ending in
/// `*` matches any last segment that starts with what precedes it.
fn paths_under(names: &Names, forbidden: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = names
        .paths
        .iter()
        .filter(|path| {
            forbidden.iter().any(|f| match f.strip_suffix('*') {
                Some(stem) => path.starts_with(stem),
                None => *path == f || path.starts_with(&format!("{f}::")),
            })
        })
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

/// String literals that spell a recorded series' or a rule group's prefix
/// (`"slo:…"`, `"lookout:…"`); diagnostic codes (`"lookout::…"`) are not names.
fn name_literals(names: &Names) -> Vec<String> {
    names
        .strings
        .iter()
        .filter(|s| {
            s.starts_with("slo:") || (s.starts_with("lookout:") && !s.starts_with("lookout::"))
        })
        .cloned()
        .collect()
}

const RULES: &[Rule] = &[
    Rule {
        name: "every source file opens with a module doc",
        applies: |_| true,
        finds: |names| {
            if names.module_doc {
                vec![]
            } else {
                vec!["no //! module doc".into()]
            }
        },
        planted: ("src/ops.rs", "// A plain comment is no module doc."),
    },
    Rule {
        name: "only cli/ knows clap",
        applies: |p| !p.starts_with("src/cli"),
        finds: |names| paths_under(names, &["clap", "clap_complete"]),
        planted: ("src/ops.rs", "use clap::{Parser, ValueEnum};"),
    },
    Rule {
        name: "model/ and emit/ do no I/O",
        applies: |p| p.starts_with("src/emit") || p.starts_with("src/model"),
        finds: |names| {
            paths_under(
                names,
                &["std::fs", "std::net", "std::process", "std::env", "reqwest"],
            )
        },
        planted: (
            "src/emit/grafana.rs",
            "use std::{fmt, fs};\nfn f(p: &str) { let x = fs::read(p); }",
        ),
    },
    Rule {
        name: "only spec/ parses YAML input",
        // The Loki and Mimir rulers answer in YAML: a server's reply, not a spec.
        applies: |p| !p.starts_with("src/spec") && p != Path::new("src/push/ruler.rs"),
        finds: |names| paths_under(names, &["serde_saphyr::from_*"]),
        planted: (
            "src/push/mod.rs",
            "use serde_saphyr as yaml;\nfn f(t: &str) { let v: u8 = yaml::from_str(t).unwrap(); }",
        ),
    },
    Rule {
        name: "only out/ writes files",
        applies: |p| !p.starts_with("src/out"),
        finds: |names| {
            paths_under(
                names,
                &[
                    "std::fs::write",
                    "std::fs::File::create",
                    "std::fs::File::options",
                    "std::fs::OpenOptions",
                    "std::fs::rename",
                    "std::fs::remove_file",
                    "std::fs::remove_dir",
                    "std::fs::remove_dir_all",
                    "std::fs::create_dir",
                    "std::fs::create_dir_all",
                    "std::fs::copy",
                    "std::fs::set_permissions",
                    "std::fs::hard_link",
                ],
            )
        },
        planted: (
            "src/push/prometheus.rs",
            "use std::{fs, io};\nfn f(p: &str) -> io::Result<()> { fs::write(p, \"x\") }",
        ),
    },
    Rule {
        name: "only push/ talks to the network",
        applies: |p| !p.starts_with("src/push"),
        finds: |names| paths_under(names, &["reqwest", "rustls", "std::net"]),
        planted: (
            "src/ops.rs",
            "use reqwest::blocking;\nfn f() { let c = blocking::Client::new(); }",
        ),
    },
    Rule {
        name: "push/ imports nothing from check/ or spec/ (data flows down)",
        applies: |p| p.starts_with("src/push"),
        finds: |names| paths_under(names, &["crate::check", "crate::spec"]),
        planted: (
            "src/push/preflight.rs",
            "fn f(q: &str) -> String { crate::check::promql::substitute_grafana_variables(q) }",
        ),
    },
    Rule {
        name: "alert windows and burn-rate factors are resolved in model/ only",
        applies: |p| !p.starts_with("src/model"),
        finds: |names| {
            let mut found = paths_under(
                names,
                &[
                    "crate::model::WindowPair",
                    "crate::model::AlertWindow::resolve",
                    "crate::model::burn_rate",
                ],
            );
            found.extend(names.methods.iter().filter(|m| *m == ".factor").cloned());
            found
        },
        planted: (
            "src/emit/grafana.rs",
            "use crate::model::{default_pairs, Duration};\nfn f() -> f64 { default_pairs()[0].factor(Duration::days(1)) }",
        ),
    },
    Rule {
        name: "series and group names are spelt in model/names.rs only",
        applies: |p| p != Path::new("src/model/names.rs"),
        finds: name_literals,
        planted: (
            "src/emit/grafana.rs",
            r#"fn f() -> String { format!("{}", "slo:sli_error:ratio_rate5m") }"#,
        ),
    },
];

fn violations(rule: &Rule, files: &[(PathBuf, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, _)| (rule.applies)(path))
        .flat_map(|(path, text)| {
            let found = match names(path, text) {
                Ok(names) => (rule.finds)(&names),
                Err(e) => vec![format!("does not parse: {e}")],
            };
            found
                .into_iter()
                .map(move |found| format!("{}: {found}", path.display()))
        })
        .collect()
}

#[test]
fn the_source_keeps_every_invariant() {
    let files = sources(Path::new("src"));
    assert!(
        files.len() > 50,
        "src/ not found from {:?}",
        std::env::current_dir()
    );
    let broken: Vec<String> = RULES
        .iter()
        .flat_map(|rule| {
            violations(rule, &files)
                .into_iter()
                .map(move |v| format!("{}: {v}", rule.name))
        })
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_rule_catches_a_planted_violation() {
    for rule in RULES {
        let (path, snippet) = rule.planted;
        let doc_rule = rule.name.contains("module doc");
        let doc = if doc_rule { "" } else { "//! A module.\n" };
        // A test module first: what follows it is still shipped code.
        let planted = [(
            PathBuf::from(path),
            format!("{doc}#[cfg(test)]\nmod tests {{}}\n\n{snippet}\n"),
        )];
        assert!(
            !violations(rule, &planted).is_empty(),
            "`{}` missed {snippet:?} in {path}",
            rule.name
        );
        if doc_rule {
            continue;
        }
        // The same code in a comment or in test-only items is allowed.
        let allowed = [(
            PathBuf::from(path),
            format!(
                "//! A module.\n// {}\n#[cfg(test)]\nmod tests {{\n{snippet}\n}}\n\
                 #[cfg(all(test, unix))]\nmod more_tests {{\n{snippet}\n}}\n",
                snippet.replace('\n', " ")
            ),
        )];
        assert_eq!(
            violations(rule, &allowed),
            Vec::<String>::new(),
            "{}",
            rule.name
        );
    }
}

#[test]
fn paths_are_expanded_through_use_declarations() {
    let names = names(
        Path::new("src/push/files.rs"),
        "//! A module.\nuse std::fs::{self, File as F};\nuse crate::check as c;\n\
         use super::super::spec::v1;\nuse self::inner::Thing;\n\
         #[derive(clap::ValueEnum)]\nenum E { A }\n\
         #[cfg(not(test))]\nfn shipped() { std::process::exit(1) }\n\
         fn f() { fs::rename(a, b); F::create(p); c::settings::x(); vec![std::net::TcpStream::connect(a)]; }\n",
    )
    .unwrap();
    for expected in [
        "std::fs::rename",
        "std::fs::File::create",
        "crate::check::settings::x",
        "std::net::TcpStream::connect",
        // `super::super` from crate::push::files is the crate.
        "crate::spec::v1",
        "crate::push::files::inner::Thing",
        // Attribute lists are read.
        "clap::ValueEnum",
        // `cfg(not(test))` is shipped code.
        "std::process::exit",
    ] {
        assert!(
            names.paths.iter().any(|p| p == expected),
            "{expected} not in {:?}",
            names.paths
        );
    }
}

#[test]
fn test_only_means_cannot_hold_without_test() {
    let only = |cfg: &str| {
        let item: syn::ItemFn = syn::parse_str(&format!("#[cfg({cfg})] fn f() {{}}")).unwrap();
        is_test_only(&item.attrs)
    };
    assert!(only("test"));
    assert!(only("all(test, unix)"));
    assert!(only("all(unix, not(not(test)))"));
    assert!(!only("not(test)"));
    assert!(!only("any(test, feature = \"x\")"));
    assert!(!only("unix"));
}

/// Lines of a file before its first test-only module, the convention
/// that closes a file.
fn production_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .position(|(i, line)| {
            line.starts_with("#[cfg(test)]")
                && lines
                    .get(i + 1)
                    .is_some_and(|next| next.starts_with("mod "))
        })
        .unwrap_or(lines.len())
}

/// The longest production file a reader can hold in mind: past it, a file
/// is split by concern.
const MAX_PRODUCTION_LINES: usize = 800;

#[test]
fn no_production_file_is_over_800_lines() {
    let long: Vec<String> = sources(Path::new("src"))
        .into_iter()
        .filter(|(_, text)| production_lines(text) > MAX_PRODUCTION_LINES)
        .map(|(path, text)| format!("{}: {} lines", path.display(), production_lines(&text)))
        .collect();
    assert!(long.is_empty(), "split by concern: {long:?}");
    // Planted: 801 lines of code, then the tests, which do not count.
    let planted = format!(
        "{}#[cfg(test)]\nmod tests {{\n{}}}\n",
        "fn f() {}\n".repeat(801),
        "fn g() {}\n".repeat(900)
    );
    assert_eq!(production_lines(&planted), 801);
}

/// The test targets Cargo.toml marks `test = false`: the slow tier.
fn slow_tier(manifest: &str) -> Vec<String> {
    let mut slow = Vec::new();
    for block in manifest.split("[[").skip(1) {
        let Some(body) = block.strip_prefix("test]]") else {
            continue;
        };
        let value = |key: &str| {
            body.lines().find_map(|line| {
                let (k, v) = line.split_once('=')?;
                (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        if value("test").as_deref() == Some("false") {
            slow.extend(value("name"));
        }
    }
    slow
}

/// What makes a test slow: a real server, a real tool, Node.
const SLOW_CALLS: &[&str] = &[
    "support::tool(",
    "support::node(",
    "servers::start",
    "start_prometheus(",
];

fn slow_but_fast_tier(files: &[(String, String)], slow: &[String]) -> Vec<String> {
    files
        .iter()
        .filter(|(name, text)| {
            SLOW_CALLS.iter().any(|call| text.contains(call)) && !slow.contains(name)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn tests_that_start_tools_are_in_the_slow_tier() {
    let manifest = std::fs::read_to_string("Cargo.toml").unwrap();
    let slow = slow_tier(&manifest);
    assert!(slow.contains(&"prometheus".to_string()), "{slow:?}");
    let files: Vec<(String, String)> = std::fs::read_dir("tests")
        .unwrap()
        .map(|e| e.unwrap().path())
        // This file names the calls as data.
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("tidy.rs"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    let misplaced = slow_but_fast_tier(&files, &slow);
    assert!(
        misplaced.is_empty(),
        "start tools but run in `cargo test`: {misplaced:?}; add a `[[test]]` entry with `test = false`"
    );
    // Planted: a fast-tier file that runs promtool.
    let planted = [(
        "sneaky".to_string(),
        "fn t() { support::tool(\"promtool\"); }".to_string(),
    )];
    assert_eq!(slow_but_fast_tier(&planted, &slow), ["sneaky"]);
}
