//! The rule catalogue, read from the README's rule table (which
//! `tests/catalogue.rs` keeps equal to `Rule::ALL` of `src/rule.rs`): each
//! rule's id, its README anchor and its summary, for SARIF's `rules` and for
//! splitting the policy's messages into rule and field.

/// The README, for its rule table.
const README: &str = include_str!("../../README.md");

/// Where the README is published (`io.kubewarden.policy.url` of
/// `policy-metadata.yml`: a placeholder until the project is published).
pub const README_URL: &str =
    "https://github.com/secure-metrics/secure-metrics-policy/blob/main/README.md";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    pub id: String,
    pub anchor: String,
    pub objects: String,
    pub summary: String,
}

impl RuleEntry {
    pub fn help_uri(&self) -> String {
        format!("{README_URL}#{}", self.anchor)
    }
}

/// The rows of the first table after the README's `## Rules` heading.
pub fn rules() -> Vec<RuleEntry> {
    parse(README)
}

fn parse(readme: &str) -> Vec<RuleEntry> {
    readme
        .lines()
        .skip_while(|l| l.trim_end() != "## Rules")
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(row)
        .collect()
}

/// `| [M1](#m1-no-insecureskipverify) | objects | summary |`: the id and
/// the anchor of the README section its link points to.
fn row(line: &str) -> Option<RuleEntry> {
    let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
    let [first, objects, summary] = cells.as_slice() else {
        return None;
    };
    let linked = first.trim().strip_prefix('[')?;
    let (id, rest) = linked.split_once("](#")?;
    let anchor = rest.strip_suffix(')')?;
    Some(RuleEntry {
        id: id.to_string(),
        anchor: anchor.to_string(),
        objects: objects.trim().to_string(),
        summary: summary.trim().to_string(),
    })
}

/// A rejection line `<field path>: <reason>: <advice> [<rule>]` split into
/// its rule and its field path (either may be missing from a line that does
/// not follow the format).
pub fn split_violation(line: &str) -> (Option<String>, Option<String>) {
    let rule = line
        .trim_end()
        .strip_suffix(']')
        .and_then(|l| l.rsplit_once('['))
        .map(|(_, id)| id.to_string())
        .filter(|id| !id.is_empty() && !id.contains(' '));
    let path = line
        .split_once(": ")
        .map(|(p, _)| p.to_string())
        .filter(|p| !p.contains(' '));
    (rule, path)
}

/// A warning `[<rule>] <field path>: <what to know>` split likewise.
pub fn split_warning(line: &str) -> (Option<String>, Option<String>) {
    let Some((id, rest)) = line.strip_prefix('[').and_then(|l| l.split_once("] ")) else {
        return (None, None);
    };
    let path = rest
        .split_once(": ")
        .map(|(p, _)| p.to_string())
        .filter(|p| !p.contains(' '));
    (Some(id.to_string()), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_table_gives_every_rule_an_anchor() {
        let rules = rules();
        assert_eq!(rules.len(), 30, "{rules:?}");
        assert_eq!(rules[0].id, "M1");
        assert_eq!(rules[0].anchor, "m1-no-insecureskipverify");
        assert!(rules[0].summary.contains("insecureSkipVerify"));
        let ws = rules.iter().find(|r| r.id == "W-serverName").unwrap();
        assert_eq!(ws.anchor, "warning-servername");
        let invalid = rules.iter().find(|r| r.id == "invalid").unwrap();
        assert_eq!(
            invalid.help_uri(),
            format!("{README_URL}#what-the-policy-sees")
        );
        // Every anchor is a heading of the README.
        for r in &rules {
            let heading = README.lines().any(|l| {
                l.starts_with('#') && {
                    let text: String = l
                        .trim_start_matches('#')
                        .trim()
                        .to_lowercase()
                        .chars()
                        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                        .map(|c| if c == ' ' { '-' } else { c })
                        .collect();
                    text == r.anchor
                }
            });
            assert!(
                heading,
                "{} links to #{}, which no heading has",
                r.id, r.anchor
            );
        }
    }

    #[test]
    fn messages_split_into_rule_and_path() {
        assert_eq!(
            split_violation("spec.endpoints[0].tlsConfig.serverName: Invalid value: \"x\": the Certificate lists y [R1]"),
            (Some("R1".into()), Some("spec.endpoints[0].tlsConfig.serverName".into()))
        );
        assert_eq!(split_violation("something else"), (None, None));
        assert_eq!(
            split_warning("[W5] spec.template.spec.containers[0]: mounted the certificate"),
            (
                Some("W5".into()),
                Some("spec.template.spec.containers[0]".into())
            )
        );
        assert_eq!(split_warning("no rule here"), (None, None));
    }
}
