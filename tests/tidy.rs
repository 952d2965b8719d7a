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

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list)
                if list.tokens.to_string().split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "test"))
    })
}

/// The `use` declarations of shipped code: the name each brings into
/// scope, with the full path it stands for.
#[derive(Default)]
struct Uses {
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
        match tree {
            syn::UseTree::Path(p) => self.tree(&join(&p.ident.to_string()), &p.tree),
            syn::UseTree::Name(n) if n.ident == "self" => {
                let last = prefix.rsplit("::").next().unwrap_or(prefix).to_string();
                self.aliases.insert(last, prefix.to_string());
                self.paths.push(prefix.to_string());
            }
            syn::UseTree::Name(n) => {
                let full = join(&n.ident.to_string());
                self.aliases.insert(n.ident.to_string(), full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Rename(r) => {
                let full = join(&r.ident.to_string());
                self.aliases.insert(r.rename.to_string(), full.clone());
                self.paths.push(full);
            }
            syn::UseTree::Glob(_) => self.paths.push(prefix.to_string()),
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
    aliases: &'u HashMap<String, String>,
    names: Names,
}

impl Collect<'_> {
    fn path(&mut self, segments: Vec<String>) {
        let Some(first) = segments.first() else {
            return;
        };
        let head = self.aliases.get(first).cloned().unwrap_or(first.clone());
        let mut full = vec![head];
        full.extend(segments.into_iter().skip(1));
        self.names.paths.push(full.join("::"));
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
fn names(text: &str) -> Result<Names, String> {
    let file = syn::parse_file(text).map_err(|e| e.to_string())?;
    let mut uses = Uses::default();
    uses.visit_file(&file);
    let mut collect = Collect {
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
            let found = match names(text) {
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
        "//! A module.\nuse std::fs::{self, File as F};\nuse crate::check as c;\n\
         fn f() { fs::rename(a, b); F::create(p); c::settings::x(); vec![std::net::TcpStream::connect(a)]; }\n",
    )
    .unwrap();
    for expected in [
        "std::fs::rename",
        "std::fs::File::create",
        "crate::check::settings::x",
        "std::net::TcpStream::connect",
    ] {
        assert!(
            names.paths.iter().any(|p| p == expected),
            "{expected} not in {:?}",
            names.paths
        );
    }
}
