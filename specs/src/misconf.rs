//! The write-denial model (`specs/rules/misconf.md`): a small state machine over the
//! configuration (`stop-writes-on-bgsave-error`, whether save points exist), the status of the
//! last background save, the AOF's write and fsync status, the armed faults (`specs/faults.md`),
//! and one data client that writes a key, reads it, pings and runs transactions.
//!
//! Written from Redis 7.0.15's processCommand / writeCommandsDeniedByDiskError / rdb.c and checked
//! against a real redis-server, independently of the engine. `apply` returns the reply the
//! event's command must get; `rdb_status`/`aof_status` are what INFO persistence must show.

use crate::reply::Reply;

/// The RDB case's reply (MISCONF-3).
pub const MISCONF_RDB: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to \
persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report \
errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for \
details about the RDB error.";

/// A fault of the catalogue (specs/faults.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    NoSpace,
    Io,
    ShortWrite,
    Fsync,
    Rename,
    Create,
    Fork,
    Kill,
}

pub const FAULTS: [Fault; 8] = [
    Fault::NoSpace,
    Fault::Io,
    Fault::ShortWrite,
    Fault::Fsync,
    Fault::Rename,
    Fault::Create,
    Fault::Fork,
    Fault::Kill,
];

impl Fault {
    /// Its name for `DEBUG FAULT ARM`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::NoSpace => "enospc",
            Fault::Io => "eio",
            Fault::ShortWrite => "short-write",
            Fault::Fsync => "fsync",
            Fault::Rename => "rename",
            Fault::Create => "create",
            Fault::Fork => "fork",
            Fault::Kill => "kill",
        }
    }
}

/// What happens next. `Admin*` events come from a second client that is never inside MULTI;
/// `Aof*` events are what the AOF writer reports (the test sets them directly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// DEBUG FAULT ARM <fault> [COUNT n].
    Arm(Fault, Option<u8>),
    /// DEBUG FAULT DISARM.
    DisarmAll,
    /// BGSAVE, then the server's cron until the save has ended.
    Bgsave,
    /// SAVE.
    Save,
    /// CONFIG SET stop-writes-on-bgsave-error yes|no.
    StopWrites(bool),
    /// CONFIG SET save "3600 1" (true) or "" (false).
    SavePoints(bool),
    AofEnabled(bool),
    /// The last AOF write failed with this strerror text (None: it succeeded).
    AofWrite(Option<String>),
    /// The last background fsync failed with this text (None: it succeeded).
    AofFsync(Option<String>),
    /// The data client: SET k <v>.
    Set(u8),
    Get,
    Ping,
    Multi,
    Exec,
    Discard,
}

/// A command queued in MULTI.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Queued {
    Set(u8),
    Get,
    Ping,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Multi {
    queued: Vec<Queued>,
    /// A command was refused while queuing (EXEC will abort).
    dirty: bool,
    has_write: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenialModel {
    pub stop_writes_on_bgsave_error: bool,
    pub save_points: bool,
    pub last_bgsave_ok: bool,
    pub aof_enabled: bool,
    pub aof_write_error: Option<String>,
    pub aof_fsync_error: Option<String>,
    /// Armed faults, oldest first, with how many more times they fire (None: until disarmed).
    armed: Vec<(Fault, Option<u8>)>,
    /// The value of the data client's key.
    value: Option<u8>,
    multi: Option<Multi>,
}

impl Default for DenialModel {
    /// A server with `save 3600 1` and default settings, nothing failed yet.
    fn default() -> DenialModel {
        DenialModel {
            stop_writes_on_bgsave_error: true,
            save_points: true,
            last_bgsave_ok: true,
            aof_enabled: false,
            aof_write_error: None,
            aof_fsync_error: None,
            armed: Vec::new(),
            value: None,
            multi: None,
        }
    }
}

impl DenialModel {
    /// The reply a refused command gets now, if commands that may write are refused
    /// (MISCONF-1, MISCONF-2).
    pub fn denial(&self) -> Option<String> {
        if self.stop_writes_on_bgsave_error && self.save_points && !self.last_bgsave_ok {
            return Some(MISCONF_RDB.to_string());
        }
        if !self.aof_enabled {
            return None;
        }
        let reason = self.aof_write_error.as_ref().or(self.aof_fsync_error.as_ref())?;
        Some(format!("MISCONF Errors writing to the AOF file: {reason}"))
    }

    /// INFO's rdb_last_bgsave_status.
    pub fn rdb_status(&self) -> &'static str {
        if self.last_bgsave_ok {
            "ok"
        } else {
            "err"
        }
    }

    /// INFO's aof_last_write_status (MISCONF-9).
    pub fn aof_status(&self) -> &'static str {
        if self.aof_write_error.is_some() || self.aof_fsync_error.is_some() {
            "err"
        } else {
            "ok"
        }
    }

    pub fn in_multi(&self) -> bool {
        self.multi.is_some()
    }

    /// Fires the oldest armed fault among `kinds`, counting it down.
    fn fire(&mut self, kinds: &[Fault]) -> bool {
        let Some(i) = self.armed.iter().position(|(f, _)| kinds.contains(f)) else { return false };
        if let Some(n) = &mut self.armed[i].1 {
            *n -= 1;
            if *n == 0 {
                self.armed.remove(i);
            }
        }
        true
    }

    /// Whether a save that has started writes its file: the operations in order (create,
    /// writes, fsync, rename); the first that fails ends the save.
    fn save_file_succeeds(&mut self) -> bool {
        !(self.fire(&[Fault::Create])
            || self.fire(&[Fault::NoSpace, Fault::Io, Fault::ShortWrite])
            || self.fire(&[Fault::Fsync])
            || self.fire(&[Fault::Rename]))
    }

    /// Applies one event; returns the reply its command gets (Status "OK" for the AOF events,
    /// which are no command).
    pub fn apply(&mut self, event: &Event) -> Reply {
        match event {
            Event::Arm(f, count) => {
                self.armed.push((*f, count.map(|c| c.max(1))));
                Reply::ok()
            }
            Event::DisarmAll => Reply::Int(std::mem::take(&mut self.armed).len() as i64),
            Event::Bgsave => self.bgsave(),
            Event::Save => {
                // A foreground save: no fork and no child to kill; failure leaves the status.
                if self.save_file_succeeds() {
                    self.last_bgsave_ok = true;
                    Reply::ok()
                } else {
                    Reply::Error("ERR".to_string())
                }
            }
            Event::StopWrites(on) => {
                self.stop_writes_on_bgsave_error = *on;
                Reply::ok()
            }
            Event::SavePoints(on) => {
                self.save_points = *on;
                Reply::ok()
            }
            Event::AofEnabled(on) => {
                self.aof_enabled = *on;
                Reply::ok()
            }
            Event::AofWrite(e) => {
                self.aof_write_error = e.clone();
                Reply::ok()
            }
            Event::AofFsync(e) => {
                self.aof_fsync_error = e.clone();
                Reply::ok()
            }
            Event::Set(v) => self.data(Queued::Set(*v)),
            Event::Get => self.data(Queued::Get),
            Event::Ping => self.data(Queued::Ping),
            Event::Multi => match self.multi {
                Some(_) => Reply::err("MULTI calls can not be nested"),
                None => {
                    self.multi = Some(Multi::default());
                    Reply::ok()
                }
            },
            Event::Discard => match self.multi.take() {
                Some(_) => Reply::ok(),
                None => Reply::err("DISCARD without MULTI"),
            },
            Event::Exec => self.exec(),
        }
    }

    /// BGSAVE then its end (MISCONF-1): fork failure, kill, or the file's operations.
    fn bgsave(&mut self) -> Reply {
        if self.fire(&[Fault::Fork]) {
            self.last_bgsave_ok = false;
            return Reply::Error("ERR".to_string());
        }
        self.last_bgsave_ok = !self.fire(&[Fault::Kill]) && self.save_file_succeeds();
        Reply::Status("Background saving started".to_string())
    }

    /// A data command outside or inside MULTI (MISCONF-4, MISCONF-5).
    fn data(&mut self, cmd: Queued) -> Reply {
        let refused = matches!(cmd, Queued::Set(_) | Queued::Ping);
        if refused {
            if let Some(text) = self.denial() {
                if let Some(m) = &mut self.multi {
                    m.dirty = true;
                }
                return Reply::Error(text);
            }
        }
        if let Some(m) = &mut self.multi {
            if !m.dirty {
                m.has_write |= matches!(cmd, Queued::Set(_));
                m.queued.push(cmd);
            }
            return Reply::Status("QUEUED".to_string());
        }
        self.run(&cmd)
    }

    fn run(&mut self, cmd: &Queued) -> Reply {
        match cmd {
            Queued::Set(v) => {
                self.value = Some(*v);
                Reply::ok()
            }
            Queued::Get => self.value.map_or(Reply::Nil, |v| Reply::bulk(v.to_string())),
            Queued::Ping => Reply::Status("PONG".to_string()),
        }
    }

    fn exec(&mut self) -> Reply {
        let Some(m) = self.multi.as_ref() else { return Reply::err("EXEC without MULTI") };
        // The denial check of processCommand comes before EXEC looks at its own flags.
        if m.has_write {
            if let Some(text) = self.denial() {
                self.multi = None;
                return Reply::Error(format!("EXECABORT Transaction discarded because of: {text}"));
            }
        }
        if m.dirty {
            self.multi = None;
            return Reply::Error("EXECABORT Transaction discarded because of previous errors.".to_string());
        }
        let queued = self.multi.take().map(|m| m.queued).unwrap_or_default();
        Reply::Array(queued.iter().map(|c| self.run(c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // rule: MISCONF-1 MISCONF-7
    #[test]
    fn rdb_case_needs_all_three_conditions() {
        let mut m = DenialModel::default();
        m.apply(&Event::Arm(Fault::NoSpace, Some(1)));
        assert_eq!(m.apply(&Event::Bgsave), Reply::Status("Background saving started".into()));
        assert_eq!(m.denial().as_deref(), Some(MISCONF_RDB));
        m.apply(&Event::SavePoints(false));
        assert_eq!(m.denial(), None);
        assert_eq!(m.rdb_status(), "err");
        m.apply(&Event::SavePoints(true));
        assert!(m.denial().is_some());
        m.apply(&Event::StopWrites(false));
        assert_eq!(m.denial(), None);
        m.apply(&Event::StopWrites(true));
        m.apply(&Event::Bgsave);
        assert_eq!(m.denial(), None, "the fault fired once; the next save succeeds");
    }

    // rule: MISCONF-2 MISCONF-5
    #[test]
    fn aof_case_and_transactions() {
        let mut m = DenialModel::default();
        m.apply(&Event::Multi);
        m.apply(&Event::Set(1));
        m.apply(&Event::AofEnabled(true));
        m.apply(&Event::AofFsync(Some("Input/output error".into())));
        m.apply(&Event::AofWrite(Some("No space left on device".into())));
        let Reply::Error(e) = m.apply(&Event::Exec) else { panic!() };
        assert_eq!(e, "EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: No space left on device");
        m.apply(&Event::AofWrite(None));
        assert_eq!(
            m.apply(&Event::Ping),
            Reply::Error("MISCONF Errors writing to the AOF file: Input/output error".into())
        );
        m.apply(&Event::AofEnabled(false));
        assert_eq!(m.apply(&Event::Ping), Reply::Status("PONG".into()));
    }
}
