//! The rule catalogue (SPEC section 12, "Rule ids"): every id a message, a
//! warning, a test or the README may use, as one type.
//!
//! Reports and warnings take a [`Rule`], never a string, so an id cannot exist
//! in one place only; `tests/catalogue.rs` checks that the README's rule table
//! lists exactly these ids and that the code raises each of them.

use std::fmt;

/// Writes the catalogue once: the enum, [`Rule::ALL`] in the README's order,
/// [`Rule::id`] and [`Rule::anchor`] all come from one list of
/// `Variant => "id", "anchor";` rows.
macro_rules! catalogue {
    ($($(#[$doc:meta])* $variant:ident => $id:literal, $anchor:literal;)+) => {
        /// A rule of the SPEC, or one of the three kinds of problem that are
        /// not rules of their own (`type`, `invalid`, `settings`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule {
            $($(#[$doc])* $variant,)+
        }

        impl Rule {
            /// Every id, in the order of the README's rule table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)+];

            /// The id as the SPEC writes it (`M1`, `W-serverName`, `type`).
            pub const fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)+
                }
            }

            /// The anchor of the README section that explains the rule (the
            /// heading's anchor, as GitHub and kwctl's renderer make it; the
            /// rule table links each id to it): `README.md#m1-no-insecureskipverify`.
            pub const fn anchor(self) -> &'static str {
                match self {
                    $(Rule::$variant => $anchor,)+
                }
            }
        }
    };
}

catalogue! {
    M1 => "M1", "m1-no-insecureskipverify";
    M2 => "M2", "m2-client-certificate-and-key-come-together";
    M3 => "M3", "m3-one-source-per-item";
    M4 => "M4", "m4-tlsconfig-needs-scheme-https";
    M5 => "M5", "m5-no-credentials-in-the-clear";
    M6 => "M6", "m6-requirehttps";
    M7 => "M7", "m7-tls-versions";
    M8 => "M8", "m8-a-trust-anchor-when-certificates-are-external";
    M9 => "M9", "m9-no-placeholders-in-servername-or-secret-names";
    M10 => "M10", "m10-no-file-references-denyfilereferences";
    /// The `serverName` warning of section 3.
    WServerName => "W-serverName", "warning-servername";
    C1 => "C1", "c1-mode-mismatch";
    C2 => "C2", "c2-names";
    C3 => "C3", "c3-usages";
    C4 => "C4", "c4-not-a-ca";
    W1 => "W1", "w1-half-pair";
    W2 => "W2", "w2-metrics-mtls-env";
    W3 => "W3", "w3-plaintext-exposure";
    W4 => "W4", "w4-address-syntax";
    W5 => "W5", "w5-certificate-files-not-mounted";
    X1 => "X1", "x1-issuer-certificates-under-internal-certificate-management";
    X2 => "X2", "x2-external-metrics-internal-webhooks";
    X3 => "X3", "x3-external-webhooks-internal-metrics";
    X4 => "X4", "cross-object-checks-context-aware-r1-r3-x4";
    R1 => "R1", "cross-object-checks-context-aware-r1-r3-x4";
    R2 => "R2", "cross-object-checks-context-aware-r1-r3-x4";
    R3 => "R3", "cross-object-checks-context-aware-r1-r3-x4";
    /// A field a rule reads has the wrong JSON type.
    Type => "type", "what-the-policy-sees";
    /// A value its consumer would refuse (a scheme other than http/https, a
    /// boolean flag Go cannot parse, an annotation value the policy defines).
    Invalid => "invalid", "what-the-policy-sees";
    /// A problem with the policy's own settings.
    Settings => "settings", "settings";
}

impl Rule {
    /// The rule with this id, exactly as the SPEC spells it.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Whether an exception may name this rule (SPEC section 13: `type`,
    /// `invalid` and `settings` are not rules an exception may list).
    pub const fn is_exceptable(self) -> bool {
        !matches!(self, Rule::Type | Rule::Invalid | Rule::Settings)
    }
}

/// A set of rules, such as the rules excepted for one object: a bit per
/// rule, room for 64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleSet(u64);

impl RuleSet {
    pub const EMPTY: RuleSet = RuleSet(0);

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= 1 << rule as u64;
    }

    pub fn contains(self, rule: Rule) -> bool {
        self.0 & (1 << rule as u64) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(iter: I) -> Self {
        let mut set = RuleSet::EMPTY;
        for r in iter {
            set.insert(r);
        }
        set
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for &r in Rule::ALL {
            assert_eq!(Rule::from_id(r.id()), Some(r));
        }
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        assert_eq!(Rule::from_id("m1"), None, "ids are case-sensitive");
        assert_eq!(Rule::from_id("inject"), None);
    }

    #[test]
    fn only_spec_rules_are_exceptable() {
        assert!(Rule::M1.is_exceptable() && Rule::X4.is_exceptable());
        assert!(Rule::WServerName.is_exceptable());
        assert!(!Rule::Type.is_exceptable());
        assert!(!Rule::Invalid.is_exceptable());
        assert!(!Rule::Settings.is_exceptable());
        assert_eq!(Rule::WServerName.anchor(), "warning-servername");
    }

    #[test]
    fn rule_sets_hold_every_rule() {
        let set: RuleSet = [Rule::M1, Rule::Settings].into_iter().collect();
        assert!(set.contains(Rule::M1) && set.contains(Rule::Settings));
        assert!(!set.contains(Rule::M2) && !set.is_empty());
        assert!(RuleSet::EMPTY.is_empty());
        assert!(Rule::ALL.len() <= 64, "a RuleSet is a u64");
        let all: RuleSet = Rule::ALL.iter().copied().collect();
        assert!(Rule::ALL.iter().all(|&r| all.contains(r)));
    }
}
