//! The static facts Redis reports about each command (COMMAND INFO): arity, flags, key positions,
//! ACL categories, tips, key specs. The data itself is generated into `table_data.rs`.

/// Where the search for a command's keys begins (Redis's key-spec `begin_search`).
#[derive(Debug)]
pub enum BeginSearch {
    /// At this argument index.
    Index(i32),
    /// After the last (or first) occurrence of a keyword, searching from `startfrom`.
    Keyword(&'static str, i32),
    Unknown,
}

/// How keys are found after `begin_search` (Redis's key-spec `find_keys`).
#[derive(Debug)]
pub enum FindKeys {
    /// `lastkey` (relative, negative from the end), `keystep`, `limit`.
    Range(i32, i32, i32),
    /// `keynumidx`, `firstkey`, `keystep`.
    Keynum(i32, i32, i32),
    Unknown,
}

#[derive(Debug)]
pub struct KeySpec {
    pub flags: &'static [&'static str],
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// One command's (or subcommand's) metadata. `name` is Redis's full name, `container|sub` for a
/// subcommand.
#[derive(Debug)]
pub struct CommandMeta {
    pub name: &'static str,
    pub arity: i32,
    pub flags: &'static [&'static str],
    pub first_key: i32,
    pub last_key: i32,
    pub key_step: i32,
    pub acl_categories: &'static [&'static str],
    pub tips: &'static [&'static str],
    pub key_specs: &'static [KeySpec],
    pub group: &'static str,
    pub since: &'static str,
    pub subcommands: &'static [CommandMeta],
}

impl CommandMeta {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// The part after `|` for a subcommand, the name otherwise.
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }
}
