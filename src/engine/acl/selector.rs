//! A selector: one set of permissions (commands, key patterns, channel patterns). A user has a
//! root selector and any number of extra ones; a command is allowed when one selector allows it.

use super::catalogue::{catalogue, Catalogue, CATEGORIES};
use super::SetError;

/// Key pattern permission bits.
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;
pub const READ_WRITE: u8 = READ | WRITE;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    /// READ, WRITE or both.
    pub perms: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub all_keys: bool,
    pub all_channels: bool,
    /// Set by `+@all`/`allcommands`, cleared when any command is removed.
    pub all_commands: bool,
    /// One bit per catalogue command.
    allowed: Vec<u64>,
    /// Redis's reserved "future commands" bit: set by `+@all`, cleared only by `-@all`. It tells
    /// the description to start from `+@all` rather than `-@all`.
    future: bool,
    /// First arguments allowed for commands whose bit is clear (`+select|0`), by command index,
    /// in the order they were added.
    pub first_args: Vec<(usize, Vec<Vec<u8>>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

/// Redis's isspace() set plus NUL: characters patterns and user names may not contain.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0))
}

impl Selector {
    /// An empty selector: no commands, no keys; channels as `acl-pubsub-default` says.
    pub fn new(all_channels: bool) -> Selector {
        let words = catalogue().len().div_ceil(64);
        Selector {
            all_keys: false,
            all_channels,
            all_commands: false,
            allowed: vec![0; words],
            future: false,
            first_args: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    pub fn bit(&self, id: usize) -> bool {
        self.allowed.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, value: bool) {
        if let Some(w) = self.allowed.get_mut(id / 64) {
            if value {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    pub fn can_run_future_commands(&self) -> bool {
        self.future
    }

    /// Allows or denies a command; for a container, all its subcommands too. Any first
    /// arguments allowed for it are forgotten.
    pub fn change_command(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.retain(|(c, _)| *c != id);
        let cat = catalogue();
        for &sub in &cat.commands[id].subs {
            self.set_bit(sub, allow);
        }
    }

    /// `+@cat` / `-@cat`: every command in the category (a container in it brings all its
    /// subcommands, as in Redis).
    pub fn change_category(&mut self, bit: u32, allow: bool) {
        let cat = catalogue();
        for id in 0..cat.len() {
            if cat.commands[id].categories & bit != 0 {
                self.change_command(id, allow);
            }
        }
    }

    fn set_all_commands(&mut self, allow: bool) {
        let fill = if allow { u64::MAX } else { 0 };
        self.allowed.iter_mut().for_each(|w| *w = fill);
        self.all_commands = allow;
        self.future = allow;
        self.first_args.clear();
    }

    fn add_first_arg(&mut self, id: usize, arg: &[u8]) {
        match self.first_args.iter_mut().find(|(c, _)| *c == id) {
            Some((_, args)) => {
                if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
                    args.push(arg.to_vec());
                }
            }
            None => self.first_args.push((id, vec![arg.to_vec()])),
        }
    }

    pub fn first_args_of(&self, id: usize) -> Option<&[Vec<u8>]> {
        self.first_args.iter().find(|(c, _)| *c == id).map(|(_, a)| a.as_slice())
    }

    /// Applies one selector rule (Redis's ACLSetSelector).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), SetError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        if is("allkeys") || is("~*") {
            self.all_keys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if is("allchannels") || is("&*") {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all_commands(true);
        } else if is("nocommands") || is("-@all") {
            self.set_all_commands(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(SetError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(SetError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
            self.all_channels = false;
        } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
            self.allow_command(&op[1..])?;
        } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
            let id = catalogue().lookup(&op[1..]).ok_or(SetError::UnknownCommand)?;
            self.change_command(id, false);
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let bit = Catalogue::category_bit(&op[2..]).ok_or(SetError::UnknownCommand)?;
            self.change_category(bit, op[0] == b'+');
        } else {
            return Err(SetError::Syntax);
        }
        Ok(())
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), SetError> {
        if self.all_keys {
            return Err(SetError::KeyAfterAll);
        }
        let (perms, offset) = if op[0] == b'%' {
            let mut perms = 0;
            let mut offset = 1;
            while offset < op.len() {
                let c = op[offset].to_ascii_uppercase();
                if c == b'R' && perms & READ == 0 {
                    perms |= READ;
                } else if c == b'W' && perms & WRITE == 0 {
                    perms |= WRITE;
                } else if c == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(SetError::Syntax);
                }
                offset += 1;
            }
            // Redis 7.0.15 refuses a pattern that grants nothing (`%~key`).
            if perms == 0 {
                return Err(SetError::Syntax);
            }
            (perms, offset)
        } else {
            (READ_WRITE, 1)
        };
        // Past the end (`%R` with no `~`) the pattern is empty, as in Redis.
        let pattern = op.get(offset..).unwrap_or_default();
        if has_spaces(pattern) {
            return Err(SetError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(existing) => existing.perms |= perms,
            None => self.patterns.push(KeyPattern { pattern: pattern.to_vec(), perms }),
        }
        self.all_keys = false;
        Ok(())
    }

    /// `+command`, `+container|sub`, or `+command|firstarg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), SetError> {
        let cat = catalogue();
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = cat.lookup(name).ok_or(SetError::UnknownCommand)?;
            self.change_command(id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = cat.lookup(base).ok_or(SetError::UnknownCommand)?;
        if cat.commands[id].parent.is_some() {
            return Err(SetError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(SetError::Syntax);
        }
        if cat.commands[id].subs.is_empty() {
            // Allowing one first argument of a plain command (`+select|0`): deprecated in
            // Redis but still accepted.
            self.add_first_arg(id, sub);
        } else {
            let sub_id = cat.lookup(name).ok_or(SetError::UnknownCommand)?;
            self.change_command(sub_id, true);
        }
        Ok(())
    }

    /// The command rules that rebuild this selector's bitmap (Redis's
    /// ACLDescribeSelectorCommandRules): `+@all` or `-@all`, then the categories that best fit,
    /// then single commands.
    pub fn describe_commands(&self) -> String {
        let cat = catalogue();
        let additive = !self.future;
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = Selector::new(false);
        fake.set_all_commands(!additive);
        // `temp` tracks the commands not yet explained by the categories applied so far.
        let mut temp = self.clone();
        let mut applied = [false; CATEGORIES.len()];
        for _ in 0..CATEGORIES.len() {
            let mut best = None;
            let (mut min_diff, mut max_same) = (u64::MAX, 0u64);
            for (j, done) in applied.iter().enumerate() {
                if *done {
                    continue;
                }
                let (on, off) = temp.count_category(1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(j) = best else { break };
            fake.change_category(1 << j, additive);
            temp.change_category(1 << j, !additive);
            rules.push_str(if additive { "+@" } else { "-@" });
            rules.push_str(CATEGORIES[j]);
            rules.push(' ');
            applied[j] = true;
        }
        for id in 0..cat.len() {
            let user_bit = self.bit(id);
            if user_bit != fake.bit(id) {
                rules.push(if user_bit { '+' } else { '-' });
                rules.push_str(cat.commands[id].meta.name);
                rules.push(' ');
                fake.change_command(id, user_bit);
            }
            if !user_bit {
                for arg in self.first_args_of(id).unwrap_or_default() {
                    rules.push('+');
                    rules.push_str(cat.commands[id].meta.name);
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(arg));
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// How many commands of a category this selector allows and denies.
    fn count_category(&self, bit: u32) -> (u64, u64) {
        let cat = catalogue();
        let (mut on, mut off) = (0, 0);
        for id in 0..cat.len() {
            if cat.commands[id].categories & bit != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// Key patterns as GETUSER shows them: `~*` or the patterns joined by spaces.
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        join(self.patterns.iter().map(pattern_string))
    }

    /// Channel patterns as GETUSER shows them.
    pub fn describe_channels(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        join(self.channels.iter().map(|c| [b"&".as_slice(), c].concat()))
    }

    /// The selector in rule form (ACL LIST), each rule followed by a space except the last.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.all_keys {
            out.extend_from_slice(b"~* ");
        } else {
            for p in &self.patterns {
                out.extend(pattern_string(p));
                out.push(b' ');
            }
        }
        if self.all_channels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(self.describe_commands().as_bytes());
        out
    }
}

fn pattern_string(p: &KeyPattern) -> Vec<u8> {
    let prefix: &[u8] = match p.perms {
        READ => b"%R~",
        WRITE => b"%W~",
        _ => b"~",
    };
    [prefix, &p.pattern].concat()
}

fn join(items: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend(item);
    }
    out
}
