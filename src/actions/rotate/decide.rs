//! The decision for one target, pure: given the target, its account's configs and whether this is
//! a dry run, what to write (update in place, create) or why to write nothing.

use crate::cloudflare::ConfigSummary;
use crate::config::Target;

/// What to do for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Sign a token and write it (or plan to, in a dry run).
    Write(Write),
    /// Two or more configs share the name: write nothing, a person must choose.
    Duplicate { ids: Vec<String> },
}

/// The write a target gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// One config has the target's name: update it in place (Workers bind to its id).
    Update { id: String },
    /// No config has the name: create one.
    Create,
    /// A dry run's [`Write::Update`].
    WouldUpdate { id: String },
    /// A dry run's [`Write::Create`].
    WouldCreate,
}

/// Decides what to do for `target` given every config of its account.
pub fn decide(target: &Target, listing: &[ConfigSummary], dry_run: bool) -> Decision {
    let same_name: Vec<&ConfigSummary> = listing.iter().filter(|c| c.name == target.name).collect();
    match (same_name.as_slice(), dry_run) {
        ([], false) => Decision::Write(Write::Create),
        ([], true) => Decision::Write(Write::WouldCreate),
        ([one], false) => Decision::Write(Write::Update { id: one.id.clone() }),
        ([one], true) => Decision::Write(Write::WouldUpdate { id: one.id.clone() }),
        (many, _) => Decision::Duplicate {
            ids: many.iter().map(|c| c.id.clone()).collect(),
        },
    }
}

/// The report's message for [`Decision::Duplicate`].
pub fn duplicate_message(target: &Target, ids: &[String]) -> String {
    format!(
        "{} Hyperdrive configs are named {:?} in account {} (ids {}); nothing was written: delete or rename all but the one your Workers are bound to",
        ids.len(),
        target.name,
        target.account_id,
        ids.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::{base, parse, HOST};

    fn target(name: &str) -> Target {
        let json = format!(r#"[{{"name":"{name}","host":"{HOST}"}}]"#);
        parse(&base(&[("HYPERDRIVE_TARGETS", &json)]))
            .unwrap()
            .targets
            .remove(0)
    }

    fn listed(pairs: &[(&str, &str)]) -> Vec<ConfigSummary> {
        pairs
            .iter()
            .map(|(id, name)| ConfigSummary {
                id: (*id).into(),
                name: (*name).into(),
                created_on: None,
                modified_on: None,
            })
            .collect()
    }

    #[test]
    fn one_config_of_the_name_is_updated_in_place() {
        let listing = listed(&[("id-1", "orders-db"), ("id-2", "users-db")]);
        assert_eq!(
            decide(&target("orders-db"), &listing, false),
            Decision::Write(Write::Update { id: "id-1".into() })
        );
        assert_eq!(
            decide(&target("orders-db"), &listing, true),
            Decision::Write(Write::WouldUpdate { id: "id-1".into() })
        );
    }

    #[test]
    fn no_config_of_the_name_is_created() {
        let listing = listed(&[("id-2", "users-db"), ("id-3", "Orders-DB")]);
        assert_eq!(
            decide(&target("orders-db"), &listing, false),
            Decision::Write(Write::Create),
            "names are compared exactly"
        );
        assert_eq!(
            decide(&target("orders-db"), &[], true),
            Decision::Write(Write::WouldCreate)
        );
    }

    #[test]
    fn two_configs_of_the_name_write_nothing_even_in_a_dry_run() {
        let listing = listed(&[("id-1", "orders-db"), ("id-9", "orders-db")]);
        for dry_run in [false, true] {
            assert_eq!(
                decide(&target("orders-db"), &listing, dry_run),
                Decision::Duplicate {
                    ids: vec!["id-1".into(), "id-9".into()]
                }
            );
        }
        assert_eq!(
            duplicate_message(&target("orders-db"), &["id-1".into(), "id-9".into()]),
            "2 Hyperdrive configs are named \"orders-db\" in account 0123456789abcdef0123456789abcdef (ids id-1, id-9); nothing was written: delete or rename all but the one your Workers are bound to"
        );
    }
}
