//! The shape of the shipped code in `src/` (issue 23), read with `syn`:
//!
//! - **No arrow back up, no cycles**: every `crate::`, `super::` and
//!   `self::` path names a module; a module never names one of its
//!   ancestors (a rule never imports from its caller), and the modules form
//!   no cycle.
//! - **Short functions**: no shipped function is longer than
//!   [`MAX_FN_LINES`] lines, from `fn` to its closing brace.
//!
//! Test code (`#[cfg(test)]` items and modules, `#[test]` functions) is left
//! out of both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The longest a shipped function may be.
const MAX_FN_LINES: usize = 80;

/// A module path: `["workloads", "certs"]`; the crate root is empty.
type Module = Vec<String>;

fn is_test_attr(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.is_ident("test") {
            return true;
        }
        if !path.is_ident("cfg") {
            return false;
        }
        let mut test = false;
        let _ = a.parse_nested_meta(|m| {
            test |= m.path.is_ident("test");
            Ok(())
        });
        test
    })
}

/// One source file of the crate: its module and its parsed text.
struct Source {
    module: Module,
    path: PathBuf,
    file: syn::File,
}

/// Every shipped source file of `src/`: from `lib.rs`, following `mod x;`
/// declarations that are not `#[cfg(test)]`.
fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut todo = vec![(Module::new(), root.join("lib.rs"))];
    while let Some((module, path)) = todo.pop() {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let dir = match path.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs") => path.parent().unwrap().to_path_buf(),
            _ => path.with_extension(""),
        };
        for item in &file.items {
            let syn::Item::Mod(m) = item else { continue };
            if m.content.is_some() || is_test_attr(&m.attrs) {
                continue;
            }
            let name = m.ident.to_string();
            let mut child = module.clone();
            child.push(name.clone());
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            todo.push((child, if flat.exists() { flat } else { nested }));
        }
        out.push(Source { module, path, file });
    }
    out.sort_by(|a, b| a.module.cmp(&b.module));
    out
}

fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// The modules one file names, and its functions' lengths.
struct Reader<'s> {
    /// The module paths resolve against: the file's, plus inline modules.
    base: Module,
    modules: &'s BTreeSet<Module>,
    named: BTreeSet<Module>,
    long: Vec<(String, usize, usize)>,
}

impl Reader<'_> {
    /// The module `segments` (a path as written) names, if it starts with
    /// `crate`, `super` or `self`: the longest prefix that is a module.
    fn name(&mut self, segments: &[String]) {
        let mut at: Module = match segments.first().map(String::as_str) {
            Some("crate") => Module::new(),
            Some("super" | "self") => self.base.clone(),
            _ => return,
        };
        let mut rest = &segments[usize::from(segments[0] == "crate")..];
        while let Some(s) = rest.first() {
            match s.as_str() {
                "super" => {
                    at.pop();
                }
                "self" => {}
                _ => break,
            }
            rest = &rest[1..];
        }
        // A bare `crate` or `super` is a visibility (`pub(crate)`), no name.
        if rest.is_empty() {
            return;
        }
        // `super::Item` names the parent module itself.
        let mut best = Some(at.clone());
        for s in rest {
            at.push(s.clone());
            if self.modules.contains(&at) {
                best = Some(at.clone());
            }
        }
        if let Some(m) = best {
            self.named.insert(m);
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.name(prefix);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.name(prefix);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.name(prefix),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    fn measure(&mut self, name: &syn::Ident, sig: &syn::Signature, body: &syn::Block) {
        let from = sig.fn_token.span.start().line;
        let to = body.brace_token.span.close().end().line;
        let lines = to - from + 1;
        if lines > MAX_FN_LINES {
            self.long.push((name.to_string(), from, lines));
        }
    }
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_attr(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.base.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.base.pop();
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        if let syn::ImplItem::Fn(f) = item {
            if is_test_attr(&f.attrs) {
                return;
            }
        }
        syn::visit::visit_impl_item(self, item);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.name(&segments);
        syn::visit::visit_path(self, p);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.measure(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.measure(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.measure(&f.sig.ident, &f.sig, body);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// Every module's edges to the modules it names (itself left out), and the
/// functions over [`MAX_FN_LINES`] lines (`file:line name (lines)`).
fn read() -> (BTreeMap<Module, BTreeSet<Module>>, Vec<String>) {
    let sources = sources();
    let modules: BTreeSet<Module> = sources.iter().map(|s| s.module.clone()).collect();
    let mut edges = BTreeMap::new();
    let mut long = Vec::new();
    for s in &sources {
        let mut r = Reader {
            base: s.module.clone(),
            modules: &modules,
            named: BTreeSet::new(),
            long: Vec::new(),
        };
        r.visit_file(&s.file);
        r.named.remove(&s.module);
        edges.insert(s.module.clone(), r.named);
        for (name, line, lines) in r.long {
            long.push(format!(
                "{}:{line} {name} ({lines} lines)",
                s.path.display()
            ));
        }
    }
    (edges, long)
}

#[test]
fn the_module_graph_has_no_arrow_back_up() {
    let (edges, _) = read();
    assert!(edges.len() > 40, "the source files were not found");
    assert!(
        edges[&vec!["review".to_string()]].contains(&vec!["workloads".to_string()]),
        "the paths were not read"
    );
    let up: Vec<String> = edges
        .iter()
        .flat_map(|(from, to)| {
            to.iter()
                .filter(|t| t.len() < from.len() && from.starts_with(t))
                .map(move |t| format!("{} -> {}", show(from), show(t)))
        })
        .collect();
    assert!(up.is_empty(), "modules naming an ancestor: {up:#?}");
}

/// The families of objects (the router's callees) read shared pieces from
/// leaves, never from one another.
#[test]
fn no_family_reads_another() {
    let (edges, _) = read();
    let families = ["monitors", "certificates", "workloads", "kueue"];
    let family = |m: &Module| {
        m.first()
            .filter(|f| families.contains(&f.as_str()))
            .cloned()
    };
    let sideways: Vec<String> = edges
        .iter()
        .filter(|(from, _)| family(from).is_some())
        .flat_map(|(from, to)| {
            to.iter()
                .filter(|t| family(t).is_some() && family(t) != family(from))
                .map(move |t| format!("{} -> {}", show(from), show(t)))
        })
        .collect();
    assert!(
        sideways.is_empty(),
        "families reading one another: {sideways:#?}"
    );
}

#[test]
fn the_module_graph_has_no_cycle() {
    let (edges, _) = read();
    // Depth-first, with the path walked so far: an edge back into it is a cycle.
    fn walk(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.clone());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = walk(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.clone());
        None
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        if let Some(cycle) = walk(m, &edges, &mut Vec::new(), &mut done) {
            let shown: Vec<String> = cycle.iter().map(|m| show(m)).collect();
            panic!("a cycle: {}", shown.join(" -> "));
        }
    }
}

#[test]
fn no_shipped_function_is_longer_than_80_lines() {
    let (_, long) = read();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines: {long:#?}"
    );
}
