//! The fault catalogue: named persistence failures that can be armed on purpose, in tests and in
//! a running server (`DEBUG FAULT`, see `cmd/faults.rs`), to see how Redis-compatible servers and
//! their clients behave when the disk or the background save fails. specs/faults.md documents each
//! entry: what Redis does when the real failure happens and which rule (MISCONF-n) it triggers.
//!
//! - `FaultPlan`: the armed faults, shared (cheap clones) by the engine, the disk wrapper and the
//!   background saver.
//! - `FaultDisk`: a `Disk` wrapper (over `RealDisk` in the server, over any disk in tests) that
//!   makes the armed disk operations fail with the catalogue's error.
//! - The task faults (`fork`, `kill`) are read by the savers: `snapshot::InlineSaver` and
//!   `fork::ForkSaver` (whose child kills itself midway through the file).
//!
//! Counting: an armed fault fires for every matching operation until disarmed, or only for the
//! next `count` of them. Operations done in a forked child are counted in the child's copy of the
//! plan and reported back to the parent when the child ends (`hits_line`/`apply_hits_line`).

use super::disk::{Disk, DiskFile};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// Writes fail with ENOSPC (the disk is full).
    NoSpace,
    /// Writes fail with EIO (a failing device).
    Io,
    /// A write stores only part of its bytes, then the next write fails with ENOSPC.
    ShortWrite,
    /// fsync fails with EIO.
    Fsync,
    /// rename fails with EIO.
    Rename,
    /// Creating a file fails with EACCES (an unwritable directory).
    Create,
    /// The background save cannot start (fork fails with ENOMEM).
    Fork,
    /// The background save is killed (SIGKILL) midway through the file.
    Kill,
}

/// Every fault, in the order `DEBUG FAULT LIST` shows them.
pub const CATALOGUE: [FaultKind; 8] = [
    FaultKind::NoSpace,
    FaultKind::Io,
    FaultKind::ShortWrite,
    FaultKind::Fsync,
    FaultKind::Rename,
    FaultKind::Create,
    FaultKind::Fork,
    FaultKind::Kill,
];

/// errno values the catalogue uses (Linux).
const ENOSPC: i32 = 28;
const EIO: i32 = 5;
const EACCES: i32 = 13;
/// The signal a killed save dies of.
pub const SIGKILL: i32 = 9;

impl FaultKind {
    /// The name used by `DEBUG FAULT ARM <name>`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::NoSpace => "enospc",
            FaultKind::Io => "eio",
            FaultKind::ShortWrite => "short-write",
            FaultKind::Fsync => "fsync",
            FaultKind::Rename => "rename",
            FaultKind::Create => "create",
            FaultKind::Fork => "fork",
            FaultKind::Kill => "kill",
        }
    }

    pub fn from_name(name: &str) -> Option<FaultKind> {
        CATALOGUE.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// One line for `DEBUG FAULT LIST` and the docs.
    pub fn description(self) -> &'static str {
        match self {
            FaultKind::NoSpace => "file writes fail with ENOSPC (No space left on device)",
            FaultKind::Io => "file writes fail with EIO (Input/output error)",
            FaultKind::ShortWrite => "a file write stores part of its bytes, the next one fails with ENOSPC",
            FaultKind::Fsync => "fsync fails with EIO",
            FaultKind::Rename => "rename fails with EIO",
            FaultKind::Create => "creating a file fails with EACCES (Permission denied)",
            FaultKind::Fork => "a background save cannot start (fork: Cannot allocate memory)",
            FaultKind::Kill => "a background save is killed by SIGKILL midway through the file",
        }
    }

    /// True for faults of the background task rather than of a disk operation.
    pub fn is_task_fault(self) -> bool {
        matches!(self, FaultKind::Fork | FaultKind::Kill)
    }

    /// The error a failed disk operation returns.
    pub fn error(self) -> io::Error {
        let errno = match self {
            FaultKind::NoSpace | FaultKind::ShortWrite => ENOSPC,
            FaultKind::Create => EACCES,
            FaultKind::Io | FaultKind::Fsync | FaultKind::Rename => EIO,
            FaultKind::Fork => 12, // ENOMEM
            FaultKind::Kill => EIO,
        };
        io::Error::from_raw_os_error(errno)
    }
}

/// The error text a save that could not start reports (as Redis's "fork: <strerror>").
pub fn fork_failure_text() -> String {
    format!("fork: {}", crate::engine::config::strerror(&FaultKind::Fork.error()))
}

/// One armed fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmedFault {
    /// Unique within its plan (hits reported by a child name it).
    pub id: u64,
    pub kind: FaultKind,
    /// How many more times it fires; None: until disarmed.
    pub remaining: Option<u64>,
    /// Only for paths containing this text ("" for every path).
    pub path_contains: String,
    /// Times it has fired.
    pub fired: u64,
}

#[derive(Debug, Default)]
struct PlanState {
    armed: Vec<ArmedFault>,
    next_id: u64,
    /// Fires counted since the plan was copied for a child (what the child reports).
    hits: Vec<(u64, u64)>,
}

/// The armed faults. Clones share them.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    state: Arc<Mutex<PlanState>>,
}

/// Bounds on what can be armed at once (a client cannot grow the plan without limit).
pub const MAX_ARMED: usize = 64;

impl FaultPlan {
    pub fn new() -> FaultPlan {
        FaultPlan::default()
    }

    fn lock(&self) -> MutexGuard<'_, PlanState> {
        // The state is plain data: a panic elsewhere while holding the lock leaves it usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Arms `kind` for the next `count` matching operations (None: until disarmed), for paths
    /// containing `path_contains`. Err when too many faults are armed.
    pub fn arm(&self, kind: FaultKind, count: Option<u64>, path_contains: &str) -> Result<u64, String> {
        let mut s = self.lock();
        if s.armed.len() >= MAX_ARMED {
            return Err(format!("too many armed faults (at most {MAX_ARMED})"));
        }
        s.next_id += 1;
        let id = s.next_id;
        s.armed.push(ArmedFault { id, kind, remaining: count, path_contains: path_contains.to_string(), fired: 0 });
        Ok(id)
    }

    /// Disarms every fault of `kind` (every fault when None); returns how many were armed.
    pub fn disarm(&self, kind: Option<FaultKind>) -> usize {
        let mut s = self.lock();
        let before = s.armed.len();
        s.armed.retain(|f| kind.is_some_and(|k| k != f.kind));
        before - s.armed.len()
    }

    /// The armed faults, oldest first.
    pub fn armed(&self) -> Vec<ArmedFault> {
        self.lock().armed.clone()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().armed.is_empty()
    }

    /// Fires the oldest armed fault among `kinds` that matches `path`: counts it down and
    /// returns its kind, or None when nothing is armed for it.
    pub fn fire(&self, kinds: &[FaultKind], path: &str) -> Option<FaultKind> {
        let mut s = self.lock();
        let i = s.armed.iter().position(|f| kinds.contains(&f.kind) && path.contains(&f.path_contains))?;
        let (id, kind) = (s.armed[i].id, s.armed[i].kind);
        s.armed[i].fired += 1;
        if let Some(n) = &mut s.armed[i].remaining {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.armed.remove(i);
            }
        }
        match s.hits.iter_mut().find(|(h, _)| *h == id) {
            Some((_, n)) => *n += 1,
            None => s.hits.push((id, 1)),
        }
        Some(kind)
    }

    /// An independent copy for a forked child: it shares no lock with this process's threads.
    pub fn detached(&self) -> FaultPlan {
        let s = self.lock();
        let copy = PlanState { armed: s.armed.clone(), next_id: s.next_id, hits: Vec::new() };
        FaultPlan { state: Arc::new(Mutex::new(copy)) }
    }

    /// What fired in this (child's) copy, as one line: `faults <id>:<n> ...`.
    pub fn hits_line(&self) -> String {
        let s = self.lock();
        let mut line = String::from("faults");
        for (id, n) in &s.hits {
            line.push_str(&format!(" {id}:{n}"));
        }
        line
    }

    /// Counts down the faults a child reported firing (`hits_line`); unknown ids (disarmed
    /// meanwhile) and malformed parts are ignored.
    pub fn apply_hits_line(&self, line: &str) {
        let Some(rest) = line.strip_prefix("faults") else { return };
        let mut s = self.lock();
        for part in rest.split_whitespace().take(MAX_ARMED) {
            let Some((id, n)) = part.split_once(':') else { continue };
            let (Ok(id), Ok(n)) = (id.parse::<u64>(), n.parse::<u64>()) else { continue };
            let Some(i) = s.armed.iter().position(|f| f.id == id) else { continue };
            s.armed[i].fired += n;
            if let Some(r) = &mut s.armed[i].remaining {
                *r = r.saturating_sub(n);
                if *r == 0 {
                    s.armed.remove(i);
                }
            }
        }
    }
}

/// A disk whose operations fail as the plan says, and otherwise go to the disk it wraps.
pub struct FaultDisk {
    inner: Box<dyn Disk>,
    plan: FaultPlan,
}

impl FaultDisk {
    pub fn new(inner: Box<dyn Disk>, plan: FaultPlan) -> FaultDisk {
        FaultDisk { inner, plan }
    }
}

impl Disk for FaultDisk {
    fn create(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        if let Some(k) = self.plan.fire(&[FaultKind::Create], path) {
            return Err(k.error());
        }
        let inner = self.inner.create(path)?;
        Ok(Box::new(FaultFile { inner, plan: self.plan.clone(), path: path.to_string(), full: false }))
    }

    fn open(&mut self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        self.inner.open(path)
    }

    fn size(&mut self, path: &str) -> io::Result<u64> {
        self.inner.size(path)
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        if let Some(k) = self.plan.fire(&[FaultKind::Rename], from) {
            return Err(k.error());
        }
        self.inner.rename(from, to)
    }

    fn remove(&mut self, path: &str) -> io::Result<()> {
        self.inner.remove(path)
    }

    fn sync_dir(&mut self, path: &str) -> io::Result<()> {
        self.inner.sync_dir(path)
    }

    fn handle(&self) -> Box<dyn Disk> {
        Box::new(FaultDisk { inner: self.inner.handle(), plan: self.plan.clone() })
    }

    /// The AOF appends through here: its writes and fsyncs meet the armed faults as a new file's do.
    fn append(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        if let Some(k) = self.plan.fire(&[FaultKind::Create], path) {
            return Err(k.error());
        }
        let inner = self.inner.append(path)?;
        Ok(Box::new(FaultFile { inner, plan: self.plan.clone(), path: path.to_string(), full: false }))
    }

    fn truncate(&mut self, path: &str, len: u64) -> io::Result<()> {
        self.inner.truncate(path, len)
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.inner.create_dir(path)
    }

    fn dir_exists(&mut self, path: &str) -> bool {
        self.inner.dir_exists(path)
    }
}

/// A file on a `FaultDisk`.
struct FaultFile {
    inner: Box<dyn DiskFile>,
    plan: FaultPlan,
    path: String,
    /// A short write happened: the next write finds the disk full.
    full: bool,
}

const WRITE_FAULTS: [FaultKind; 3] = [FaultKind::NoSpace, FaultKind::Io, FaultKind::ShortWrite];

impl Write for FaultFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if std::mem::take(&mut self.full) {
            return Err(FaultKind::NoSpace.error());
        }
        match self.plan.fire(&WRITE_FAULTS, &self.path) {
            None => self.inner.write(buf),
            Some(FaultKind::ShortWrite) if buf.len() >= 2 => {
                // Part of the bytes reach the file and are reported as written; the rest fail.
                let written = self.inner.write(&buf[..buf.len() / 2])?;
                self.full = true;
                Ok(written)
            }
            Some(FaultKind::ShortWrite) => Err(FaultKind::NoSpace.error()),
            Some(k) => Err(k.error()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl DiskFile for FaultFile {
    fn sync(&mut self) -> io::Result<()> {
        if let Some(k) = self.plan.fire(&[FaultKind::Fsync], &self.path) {
            return Err(k.error());
        }
        self.inner.sync()
    }

    /// The AOF's background fsync thread syncs through this handle, so an armed fsync fault
    /// reaches it too.
    fn sync_handle(&self) -> Option<Box<dyn DiskFile>> {
        let inner = self.inner.sync_handle()?;
        Some(Box::new(FaultFile { inner, plan: self.plan.clone(), path: self.path.clone(), full: false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::disk::SimDisk;

    fn disk() -> (FaultDisk, SimDisk, FaultPlan) {
        let sim = SimDisk::new();
        let plan = FaultPlan::new();
        (FaultDisk::new(Box::new(sim.clone()), plan.clone()), sim, plan)
    }

    #[test]
    fn names_round_trip() {
        for k in CATALOGUE {
            assert_eq!(FaultKind::from_name(&k.name().to_uppercase()), Some(k));
        }
        assert_eq!(FaultKind::from_name("nope"), None);
    }

    #[test]
    fn write_faults_fire_count_times_for_matching_paths() {
        let (mut d, _, plan) = disk();
        plan.arm(FaultKind::NoSpace, Some(2), "rdb").unwrap();
        let mut other = d.create("x.aof").unwrap();
        assert!(other.write_all(b"fine").is_ok());
        let mut f = d.create("temp-1.rdb").unwrap();
        assert_eq!(f.write(b"a").unwrap_err().raw_os_error(), Some(28));
        assert_eq!(f.write(b"a").unwrap_err().raw_os_error(), Some(28));
        assert_eq!(f.write(b"a").unwrap(), 1);
        assert!(plan.is_empty());
    }

    #[test]
    fn short_write_stores_half_then_fails() {
        let (mut d, sim, plan) = disk();
        plan.arm(FaultKind::ShortWrite, Some(1), "").unwrap();
        let mut f = d.create("f").unwrap();
        let err = f.write_all(b"0123456789").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
        assert_eq!(sim.read("f").unwrap(), b"01234");
        assert!(f.write_all(b"more").is_ok(), "only the next write fails");
    }

    #[test]
    fn sync_rename_create_faults() {
        let (mut d, _, plan) = disk();
        plan.arm(FaultKind::Fsync, None, "").unwrap();
        let mut f = d.create("a").unwrap();
        assert_eq!(f.sync().unwrap_err().raw_os_error(), Some(5));
        assert_eq!(f.sync().unwrap_err().raw_os_error(), Some(5));
        assert_eq!(plan.disarm(Some(FaultKind::Fsync)), 1);
        assert!(f.sync().is_ok());
        plan.arm(FaultKind::Rename, Some(1), "").unwrap();
        assert_eq!(d.rename("a", "b").unwrap_err().raw_os_error(), Some(5));
        assert!(d.rename("a", "b").is_ok());
        plan.arm(FaultKind::Create, Some(1), "").unwrap();
        assert_eq!(d.create("c").err().unwrap().raw_os_error(), Some(13));
    }

    #[test]
    fn child_hits_count_down_the_parent_plan() {
        let plan = FaultPlan::new();
        let a = plan.arm(FaultKind::NoSpace, Some(3), "").unwrap();
        plan.arm(FaultKind::Io, None, "zzz").unwrap();
        let child = plan.detached();
        assert_eq!(child.fire(&WRITE_FAULTS, "temp.rdb"), Some(FaultKind::NoSpace));
        assert_eq!(child.fire(&WRITE_FAULTS, "temp.rdb"), Some(FaultKind::NoSpace));
        assert_eq!(plan.armed()[0].remaining, Some(3), "the child's copy is separate");
        let line = child.hits_line();
        assert_eq!(line, format!("faults {a}:2"));
        plan.apply_hits_line(&line);
        assert_eq!(plan.armed()[0].remaining, Some(1));
        plan.apply_hits_line("faults 99:1 junk 1:x");
        plan.apply_hits_line(&line);
        assert_eq!(plan.armed().len(), 1, "counted down to zero: removed");
    }

    #[test]
    fn arming_is_bounded() {
        let plan = FaultPlan::new();
        for _ in 0..MAX_ARMED {
            plan.arm(FaultKind::Io, None, "").unwrap();
        }
        assert!(plan.arm(FaultKind::Io, None, "").is_err());
        assert_eq!(plan.disarm(None), MAX_ARMED);
    }
}
