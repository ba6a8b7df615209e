//! What every rule may consult besides the object itself.
//!
//! A leaf module: the router builds a [`Ctx`] for each request and hands it
//! down; rules read it and never import from their caller. The lookups of
//! related objects (`crate::cluster::Lookups`) are not in it: the router
//! passes them, as their own argument, only to the families whose rules
//! look up (SPEC 12 and 15).

use crate::rule::RuleSet;
use crate::settings::Settings;

/// The context of one request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx<'a> {
    pub settings: &'a Settings,
    /// The namespace of the request (used when the object names none).
    pub request_namespace: &'a str,
    /// Whether the policy may answer with a patch. `false` on UPDATE of a Pod
    /// or a Job, whose pod spec the API server does not let change (SPEC
    /// section 8): what injection would repair is reported instead.
    pub may_patch: bool,
    /// The rules the `exceptions` setting excepts for this object (SPEC
    /// section 11): their violations become warnings, and an excepted W5 or
    /// X3 triggers no injection.
    pub excepted: RuleSet,
}

impl<'a> Ctx<'a> {
    /// A context for a CREATE in `request_namespace`.
    pub(crate) fn new(settings: &'a Settings, request_namespace: &'a str) -> Ctx<'a> {
        Ctx {
            settings,
            request_namespace,
            may_patch: true,
            excepted: RuleSet::EMPTY,
        }
    }
}
