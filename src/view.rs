//! Typed, path-aware reading of untyped JSON.
//!
//! The policy runs as a mutating webhook, before the API server checks CRD
//! schemas, so any field may arrive with the wrong JSON type. Rules never index
//! `serde_json::Value` themselves: they read through [`Obj`] and [`List`], which
//! know the field path of everything they hand out and turn a wrong type into a
//! `type` violation in the [`Report`] instead of a panic or a silent default.
//!
//! `null` is read as absent, as the API server does for optional fields.

use crate::report::{FieldPath, Report};
use serde_json::{Map, Value};

/// A JSON object together with its field path.
#[derive(Clone, Debug)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: FieldPath,
}

/// A JSON array together with its field path.
#[derive(Clone, Debug)]
pub(crate) struct List<'a> {
    pub items: &'a [Value],
    pub path: FieldPath,
}

// Sizes for WebAssembly (4-byte pointers): LLVM copies a value of up to 8
// aligned stores inline, so 8-byte alignment keeps a copy of up to 64 bytes
// inline where a 4-byte aligned one of more than 32 becomes `memory.copy`,
// which wasmtime runs as a call into the runtime. A view (a reference and a
// path) is moved for every field a rule reads.
#[cfg(target_arch = "wasm32")]
const _: () = {
    assert!(std::mem::size_of::<Obj>() == 64);
    assert!(std::mem::size_of::<List>() == 64);
};

impl<'a> Obj<'a> {
    /// Views `value` as an object at `path`, reporting a type error otherwise.
    pub(crate) fn at(value: &'a Value, path: FieldPath, report: &mut Report) -> Option<Obj<'a>> {
        match value {
            Value::Object(map) => Some(Obj { map, path }),
            Value::Null => None,
            other => {
                report.type_invalid(path, "object", other);
                None
            }
        }
    }

    /// The path of a child field.
    pub(crate) fn path_of(&self, key: &str) -> FieldPath {
        self.path.child(key)
    }

    /// The raw value of `key`; `None` when absent or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        // Most objects have a few keys, a pod spec or a container a dozen or
        // two: a scan that compares lengths first rejects almost every key
        // without comparing bytes, where the ordered search compares bytes
        // (a `memcmp` call) at each step. Large maps keep the search.
        let found = if self.map.len() <= 24 {
            self.map
                .iter()
                .find(|(k, _)| crate::bytes::same(k, key))
                .map(|(_, v)| v)
        } else {
            self.map.get(key)
        };
        match found {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// Whether `key` is present and not `null`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(crate) fn str(&self, key: &str, report: &mut Report) -> Option<&'a str> {
        match self.get(key)? {
            Value::String(s) => Some(s.as_str()),
            other => {
                report.type_invalid(self.path_of(key), "string", other);
                None
            }
        }
    }

    pub(crate) fn bool(&self, key: &str, report: &mut Report) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                report.type_invalid(self.path_of(key), "boolean", other);
                None
            }
        }
    }

    pub(crate) fn obj(&self, key: &str, report: &mut Report) -> Option<Obj<'a>> {
        let v = self.get(key)?;
        Obj::at(v, self.path_of(key), report)
    }

    pub(crate) fn list(&self, key: &str, report: &mut Report) -> Option<List<'a>> {
        match self.get(key)? {
            Value::Array(items) => Some(List {
                items,
                path: self.path_of(key),
            }),
            other => {
                report.type_invalid(self.path_of(key), "list", other);
                None
            }
        }
    }
}

impl<'a> List<'a> {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The elements that are objects; other elements are reported as type
    /// errors (`null` elements are skipped silently). An element's index is
    /// the last part of its view's path. The lists a workload has one of per
    /// container (its env, mounts, ports) are read element by element with
    /// [`List::obj`], without the vector.
    pub(crate) fn objs(&self, report: &mut Report) -> Vec<Obj<'a>> {
        let mut out = Vec::with_capacity(self.items.len());
        for (i, v) in self.items.iter().enumerate() {
            if let Some(o) = Obj::at(v, self.path.index(i), report) {
                out.push(o);
            }
        }
        out
    }

    /// Element `i` when it is an object; otherwise reported as [`List::objs`]
    /// reports it (`for i in 0..list.len()` reads a list in order).
    pub(crate) fn obj(&self, i: usize, report: &mut Report) -> Option<Obj<'a>> {
        Obj::at(self.items.get(i)?, self.path.index(i), report)
    }

    /// The elements that are strings, with their index; other elements are
    /// reported as type errors.
    pub(crate) fn strs(&self, report: &mut Report) -> Vec<(usize, &'a str)> {
        let mut out = Vec::with_capacity(self.items.len());
        self.each_str(report, |i, s| out.push((i, s)));
        out
    }

    /// [`List::strs`], handed to `f` one by one instead of collected.
    pub(crate) fn each_str(&self, report: &mut Report, mut f: impl FnMut(usize, &'a str)) {
        for (i, v) in self.items.iter().enumerate() {
            match v {
                Value::String(s) => f(i, s.as_str()),
                other => report.type_invalid(self.path.index(i), "string", other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root(v: &Value) -> Obj<'_> {
        let mut r = Report::new();
        Obj::at(v, FieldPath::root(), &mut r).unwrap()
    }

    #[test]
    fn reads_typed_fields_and_reports_wrong_types_with_paths() {
        let v = json!({"spec": {"scheme": "https", "port": 8443, "flag": "yes",
                                 "items": [{"a": 1}, 3, null], "names": ["a", 2]}});
        let o = root(&v);
        let mut r = Report::new();
        let spec = o.obj("spec", &mut r).unwrap();
        assert_eq!(spec.str("scheme", &mut r), Some("https"));
        assert_eq!(spec.bool("flag", &mut r), None);
        let items = spec.list("items", &mut r).unwrap();
        let objs = items.objs(&mut r);
        assert_eq!(objs.len(), 1);
        assert_eq!(objs[0].path.to_string(), "spec.items[0]");
        let one_by_one: Vec<_> = (0..4).map(|i| items.obj(i, &mut Report::new())).collect();
        assert_eq!(
            one_by_one[0].as_ref().map(|o| o.path.to_string()),
            Some("spec.items[0]".into())
        );
        assert!(one_by_one[1..].iter().all(Option::is_none));
        let names = spec.list("names", &mut r).unwrap();
        assert_eq!(names.strs(&mut r), vec![(0, "a")]);
        let rendered: Vec<String> = r.violations.iter().map(|v| v.to_string()).collect();
        assert_eq!(
            rendered,
            vec![
                "spec.flag: Invalid type: expected boolean, got string [type]",
                "spec.items[1]: Invalid type: expected object, got number [type]",
                "spec.names[1]: Invalid type: expected string, got number [type]",
            ]
        );
    }

    #[test]
    fn null_is_absent() {
        let v = json!({"a": null, "b": {}});
        let o = root(&v);
        let mut r = Report::new();
        assert!(!o.has("a") && o.has("b"));
        assert!(o.obj("a", &mut r).is_none());
        assert!(o.obj("b", &mut r).is_some());
        assert!(r.is_clean());
    }
}
