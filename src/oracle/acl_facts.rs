//! The command table's facts the model's ACL decision needs (verdis-spec `AclFacts`), taken from
//! the metadata generated from real Redis: names, containers, categories, key positions and the
//! permission each key needs. The decision itself stays the model's.

use crate::engine::acl::{self, catalogue::catalogue, catalogue::CATEGORIES};
use std::sync::{Arc, OnceLock};
use verdis_spec::model::acl::{AclFacts, CommandFacts, KeyNeed, Table};

#[derive(Debug)]
pub struct TableFacts {
    table: Table,
}

impl AclFacts for TableFacts {
    fn table(&self) -> &Table {
        &self.table
    }

    fn keys(&self, full_name: &str, argv: &[Vec<u8>]) -> Vec<(usize, KeyNeed)> {
        let Some(id) = catalogue().index_of(full_name) else { return Vec::new() };
        acl::key_needs(id, argv).into_iter().map(|(pos, read, write)| (pos, KeyNeed { read, write })).collect()
    }
}

/// The facts of every Redis 7.0 command, built once.
pub fn table_facts() -> Arc<TableFacts> {
    static FACTS: OnceLock<Arc<TableFacts>> = OnceLock::new();
    FACTS
        .get_or_init(|| {
            let cat = catalogue();
            let mut table = Table::new();
            for c in &cat.commands {
                let facts = CommandFacts {
                    name: c.meta.name.to_string(),
                    parent: c.parent.map(|p| cat.commands[p].meta.name.to_string()),
                    container: !c.subs.is_empty(),
                    categories: CATEGORIES
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| c.categories & (1 << i) != 0)
                        .map(|(_, n)| n.to_string())
                        .collect(),
                    no_auth: c.no_auth,
                };
                table.insert(facts.name.clone(), facts);
            }
            Arc::new(TableFacts { table })
        })
        .clone()
}
