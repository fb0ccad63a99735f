//! The file system, behind a trait: `RealDisk` for the server, `SimDisk` for tests. The simulated
//! disk keeps files in memory, models what survives a crash (synced contents, synced directory
//! entries), and injects faults on demand: ENOSPC, EIO, short writes, fsync and rename failures.
//! The write-denial and crash tests build on these.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// A file being written.
pub trait DiskFile: Write + Send {
    /// Makes the written contents durable (fsync).
    fn sync(&mut self) -> io::Result<()>;
    /// Another handle on the same open file, for syncing from another thread (the AOF's
    /// background fsync); None when the file cannot be shared.
    fn sync_handle(&self) -> Option<Box<dyn DiskFile>> {
        None
    }
}

pub trait Disk: Send {
    /// Creates (or truncates) a file for writing.
    fn create(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>>;
    /// Opens a file for reading.
    fn open(&mut self, path: &str) -> io::Result<Box<dyn Read + Send>>;
    /// The size of a file.
    fn size(&mut self, path: &str) -> io::Result<u64>;
    /// Renames atomically, replacing `to`.
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    fn remove(&mut self, path: &str) -> io::Result<()>;
    /// Makes the directory entries of the directory holding `path` durable.
    fn sync_dir(&mut self, path: &str) -> io::Result<()>;
    /// Another handle on the same file system (for a background job).
    fn handle(&self) -> Box<dyn Disk>;
    /// Opens a file for appending, creating it if missing (O_APPEND|O_CREAT).
    fn append(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>>;
    /// Cuts a file to `len` bytes.
    fn truncate(&mut self, path: &str, len: u64) -> io::Result<()>;
    /// Creates a directory if it does not exist.
    fn create_dir(&mut self, path: &str) -> io::Result<()>;
    /// True when `path` is an existing directory.
    fn dir_exists(&mut self, path: &str) -> bool;
}

/// The operating system's file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealDisk;

impl DiskFile for std::fs::File {
    fn sync(&mut self) -> io::Result<()> {
        // fdatasync, as Redis's redis_fsync on Linux: the size is part of the data it syncs.
        self.sync_data()
    }

    fn sync_handle(&self) -> Option<Box<dyn DiskFile>> {
        self.try_clone().ok().map(|f| Box::new(f) as Box<dyn DiskFile>)
    }
}

impl Disk for RealDisk {
    fn create(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        Ok(Box::new(std::fs::File::create(path)?))
    }

    fn open(&mut self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(std::fs::File::open(path)?))
    }

    fn size(&mut self, path: &str) -> io::Result<u64> {
        Ok(std::fs::metadata(path)?.len())
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove(&mut self, path: &str) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn sync_dir(&mut self, path: &str) -> io::Result<()> {
        let parent = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
        let dir = parent.unwrap_or(std::path::Path::new("."));
        std::fs::File::open(dir)?.sync_all()
    }

    fn handle(&self) -> Box<dyn Disk> {
        Box::new(RealDisk)
    }

    fn append(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        Ok(Box::new(std::fs::OpenOptions::new().append(true).create(true).open(path)?))
    }

    fn truncate(&mut self, path: &str, len: u64) -> io::Result<()> {
        std::fs::OpenOptions::new().write(true).open(path)?.set_len(len)
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        match std::fs::create_dir(path) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && std::path::Path::new(path).is_dir() => Ok(()),
            other => other,
        }
    }

    fn dir_exists(&mut self, path: &str) -> bool {
        std::path::Path::new(path).is_dir()
    }
}

/// Operations a simulated fault can hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskOp {
    Create,
    Write,
    Sync,
    Rename,
    Remove,
    Open,
    SyncDir,
}

/// What a simulated fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// ENOSPC.
    NoSpace,
    /// EIO.
    Io,
    /// A write stores only part of its bytes, then the disk is full (ENOSPC).
    ShortWrite,
}

impl Fault {
    fn error(self) -> io::Error {
        match self {
            Fault::NoSpace | Fault::ShortWrite => io::Error::from_raw_os_error(28),
            Fault::Io => io::Error::from_raw_os_error(5),
        }
    }
}

#[derive(Clone, Debug)]
struct FaultRule {
    op: DiskOp,
    fault: Fault,
    /// Only for paths containing this text ("" for all).
    path_contains: String,
    /// How many more times it fires (None: until cleared).
    remaining: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct SimData {
    data: Vec<u8>,
    /// What a crash keeps: the contents at the last sync.
    durable: Vec<u8>,
}

#[derive(Debug, Default)]
struct SimState {
    /// The namespace as the running program sees it: path -> file id.
    names: BTreeMap<String, u64>,
    /// The namespace as of the last directory sync.
    durable_names: BTreeMap<String, u64>,
    files: BTreeMap<u64, SimData>,
    next_id: u64,
    faults: Vec<FaultRule>,
    /// Total bytes the disk holds before ENOSPC.
    capacity_bytes: Option<u64>,
    /// Every operation, for tests to inspect.
    log: Vec<(DiskOp, String)>,
    /// Operations still allowed before the simulated power loss: once it reaches zero every
    /// operation fails (EIO) without effect, as if the machine had stopped there.
    ops_until_freeze: Option<u64>,
}

impl SimState {
    fn check(&mut self, op: DiskOp, path: &str) -> Result<(), Fault> {
        if let Some(n) = self.ops_until_freeze.as_mut() {
            if *n == 0 {
                return Err(Fault::Io);
            }
            *n -= 1;
        }
        self.log.push((op, path.to_string()));
        let hit = self.faults.iter().position(|r| r.op == op && path.contains(&r.path_contains));
        let Some(i) = hit else { return Ok(()) };
        let fault = self.faults[i].fault;
        if let Some(n) = &mut self.faults[i].remaining {
            *n -= 1;
            if *n == 0 {
                self.faults.remove(i);
            }
        }
        Err(fault)
    }

    fn used_bytes(&self) -> u64 {
        self.files.values().map(|f| f.data.len() as u64).sum()
    }

    fn collect_garbage(&mut self) {
        let live: std::collections::BTreeSet<u64> =
            self.names.values().chain(self.durable_names.values()).copied().collect();
        self.files.retain(|id, _| live.contains(id));
    }
}

/// An in-memory file system with faults and crashes. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct SimDisk {
    state: Arc<Mutex<SimState>>,
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk::default()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock (in a test) leaves plain data behind: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `op` fail with `fault` the next `times` times (None: until `clear_faults`), for paths
    /// containing `path_contains`.
    pub fn fail(&self, op: DiskOp, fault: Fault, path_contains: &str, times: Option<u32>) {
        self.lock().faults.push(FaultRule { op, fault, path_contains: path_contains.to_string(), remaining: times });
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Limits the disk to `bytes` in total (writes beyond fail with ENOSPC).
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.lock().capacity_bytes = bytes;
    }

    /// A file's current contents.
    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        let s = self.lock();
        s.names.get(path).and_then(|id| s.files.get(id)).map(|f| f.data.clone())
    }

    /// Puts a file in place, durably (test set-up).
    pub fn put(&self, path: &str, bytes: &[u8]) {
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        s.files.insert(id, SimData { data: bytes.to_vec(), durable: bytes.to_vec() });
        s.names.insert(path.to_string(), id);
        s.durable_names.insert(path.to_string(), id);
    }

    pub fn exists(&self, path: &str) -> bool {
        self.lock().names.contains_key(path)
    }

    /// All current paths.
    pub fn paths(&self) -> Vec<String> {
        self.lock().names.keys().cloned().collect()
    }

    /// Simulates a power loss: only synced contents and synced directory entries remain.
    pub fn crash(&self) {
        let mut s = self.lock();
        s.ops_until_freeze = None;
        s.names = s.durable_names.clone();
        for f in s.files.values_mut() {
            f.data = f.durable.clone();
        }
        s.collect_garbage();
    }

    /// The operations done so far.
    pub fn ops(&self) -> Vec<(DiskOp, String)> {
        self.lock().log.clone()
    }
}

struct SimFile {
    disk: SimDisk,
    id: u64,
    path: String,
}

impl Write for SimFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.disk.lock();
        let room = s.capacity_bytes.map(|c| c.saturating_sub(s.used_bytes()));
        let fault = match s.check(DiskOp::Write, &self.path) {
            Err(f) => Some(f),
            Ok(()) if room.is_some_and(|r| (r as usize) < buf.len()) => Some(Fault::ShortWrite),
            Ok(()) => None,
        };
        let keep = match fault {
            None => buf.len(),
            Some(Fault::ShortWrite) => {
                let part = room.map_or(buf.len() / 2, |r| r as usize).min(buf.len() / 2);
                if part == 0 {
                    return Err(Fault::NoSpace.error());
                }
                part
            }
            Some(f) => return Err(f.error()),
        };
        if let Some(f) = s.files.get_mut(&self.id) {
            f.data.extend_from_slice(&buf[..keep]);
        }
        if keep < buf.len() {
            // The short write is reported as written; the next write finds the disk full.
            drop(s);
            self.disk.fail(DiskOp::Write, Fault::NoSpace, &self.path, Some(1));
        }
        Ok(keep)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl DiskFile for SimFile {
    fn sync_handle(&self) -> Option<Box<dyn DiskFile>> {
        Some(Box::new(SimFile { disk: self.disk.clone(), id: self.id, path: self.path.clone() }))
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut s = self.disk.lock();
        s.check(DiskOp::Sync, &self.path).map_err(Fault::error)?;
        if let Some(f) = s.files.get_mut(&self.id) {
            f.durable = f.data.clone();
        }
        Ok(())
    }
}

impl Disk for SimDisk {
    fn create(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        let mut s = self.lock();
        s.check(DiskOp::Create, path).map_err(Fault::error)?;
        let id = s.next_id;
        s.next_id += 1;
        s.files.insert(id, SimData::default());
        s.names.insert(path.to_string(), id);
        s.collect_garbage();
        Ok(Box::new(SimFile { disk: self.clone(), id, path: path.to_string() }))
    }

    fn open(&mut self, path: &str) -> io::Result<Box<dyn Read + Send>> {
        let mut s = self.lock();
        s.check(DiskOp::Open, path).map_err(Fault::error)?;
        let data = s.names.get(path).and_then(|id| s.files.get(id)).map(|f| f.data.clone());
        match data {
            Some(d) => Ok(Box::new(io::Cursor::new(d))),
            None => Err(io::Error::from_raw_os_error(2)),
        }
    }

    fn size(&mut self, path: &str) -> io::Result<u64> {
        let s = self.lock();
        s.names
            .get(path)
            .and_then(|id| s.files.get(id))
            .map(|f| f.data.len() as u64)
            .ok_or_else(|| io::Error::from_raw_os_error(2))
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let mut s = self.lock();
        s.check(DiskOp::Rename, from).map_err(Fault::error)?;
        let id = s.names.remove(from).ok_or_else(|| io::Error::from_raw_os_error(2))?;
        s.names.insert(to.to_string(), id);
        s.collect_garbage();
        Ok(())
    }

    fn remove(&mut self, path: &str) -> io::Result<()> {
        let mut s = self.lock();
        s.check(DiskOp::Remove, path).map_err(Fault::error)?;
        s.names.remove(path).ok_or_else(|| io::Error::from_raw_os_error(2))?;
        s.collect_garbage();
        Ok(())
    }

    fn sync_dir(&mut self, path: &str) -> io::Result<()> {
        let mut s = self.lock();
        s.check(DiskOp::SyncDir, path).map_err(Fault::error)?;
        // One directory in the model: syncing it makes every entry durable.
        s.durable_names = s.names.clone();
        s.collect_garbage();
        Ok(())
    }

    fn handle(&self) -> Box<dyn Disk> {
        Box::new(self.clone())
    }

    fn append(&mut self, path: &str) -> io::Result<Box<dyn DiskFile>> {
        let existing = self.lock().names.get(path).copied();
        match existing {
            Some(id) => {
                self.lock().check(DiskOp::Open, path).map_err(Fault::error)?;
                Ok(Box::new(SimFile { disk: self.clone(), id, path: path.to_string() }))
            }
            None => self.create(path),
        }
    }

    fn truncate(&mut self, path: &str, len: u64) -> io::Result<()> {
        let mut s = self.lock();
        s.check(DiskOp::Write, path).map_err(Fault::error)?;
        let id = *s.names.get(path).ok_or_else(|| io::Error::from_raw_os_error(2))?;
        if let Some(f) = s.files.get_mut(&id) {
            f.data.truncate(len as usize);
        }
        Ok(())
    }

    fn create_dir(&mut self, _path: &str) -> io::Result<()> {
        // One flat namespace: directories exist implicitly.
        Ok(())
    }

    fn dir_exists(&mut self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.lock().names.keys().any(|k| k.starts_with(&prefix))
    }
}

impl SimDisk {
    /// Simulates a power loss that keeps part of what was written but not synced: for every file
    /// whose unsynced contents extend its synced contents, `keep(path, synced_len, written_len)`
    /// chooses how many bytes survive (clamped to that range), so a crash may drop the unsynced
    /// tail, keep it, or tear it anywhere. Directory entries are treated as `crash` does.
    pub fn crash_keeping(&self, mut keep: impl FnMut(&str, usize, usize) -> usize) {
        let mut s = self.lock();
        s.ops_until_freeze = None;
        let names: Vec<(String, u64)> = s.durable_names.iter().map(|(k, v)| (k.clone(), *v)).collect();
        s.names = s.durable_names.clone();
        for (path, id) in names {
            if let Some(f) = s.files.get_mut(&id) {
                let (synced, written) = (f.durable.len(), f.data.len());
                if written > synced && f.data.starts_with(&f.durable) {
                    let n = keep(&path, synced, written).clamp(synced, written);
                    f.data.truncate(n);
                    f.durable = f.data.clone();
                } else {
                    f.data = f.durable.clone();
                }
            }
        }
        s.collect_garbage();
    }

    /// Stops the disk after `ops` more operations (see `ops_until_freeze`); `crash_keeping` and
    /// `crash` lift it.
    pub fn freeze_after(&self, ops: u64) {
        self.lock().ops_until_freeze = Some(ops);
    }

    /// Operations done so far.
    pub fn op_count(&self) -> u64 {
        self.lock().log.len() as u64
    }

    /// An independent copy of the whole disk (contents, durability, faults).
    pub fn deep_copy(&self) -> SimDisk {
        let s = self.lock();
        let copy = SimState {
            names: s.names.clone(),
            durable_names: s.durable_names.clone(),
            files: s.files.clone(),
            next_id: s.next_id,
            faults: s.faults.clone(),
            capacity_bytes: s.capacity_bytes,
            log: Vec::new(),
            ops_until_freeze: s.ops_until_freeze,
        };
        SimDisk { state: Arc::new(Mutex::new(copy)) }
    }

    /// Bytes written to `path` and not yet synced.
    pub fn unsynced_bytes(&self, path: &str) -> usize {
        let s = self.lock();
        s.names.get(path).and_then(|id| s.files.get(id)).map_or(0, |f| f.data.len().saturating_sub(f.durable.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_only_synced_state() {
        let mut disk = SimDisk::new();
        let mut f = disk.create("a.tmp").unwrap();
        f.write_all(b"hello").unwrap();
        f.sync().unwrap();
        f.write_all(b" world").unwrap();
        disk.rename("a.tmp", "a").unwrap();
        assert_eq!(disk.read("a").unwrap(), b"hello world");
        disk.crash();
        assert!(!disk.exists("a"), "the rename was never made durable");
        let mut f = disk.create("b.tmp").unwrap();
        f.write_all(b"data").unwrap();
        f.sync().unwrap();
        disk.rename("b.tmp", "b").unwrap();
        disk.sync_dir("b").unwrap();
        disk.crash();
        assert_eq!(disk.read("b").unwrap(), b"data");
    }

    #[test]
    fn faults() {
        let mut disk = SimDisk::new();
        disk.fail(DiskOp::Create, Fault::Io, "", Some(1));
        assert_eq!(disk.create("x").err().unwrap().raw_os_error(), Some(5));
        assert!(disk.create("x").is_ok());
        disk.set_capacity(Some(10));
        let mut f = disk.create("y").unwrap();
        let err = f.write_all(b"0123456789abcdef").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
        assert!(disk.read("y").unwrap().len() < 16);
        disk.set_capacity(None);
        disk.fail(DiskOp::Sync, Fault::Io, "z", None);
        let mut z = disk.create("z").unwrap();
        assert!(z.sync().is_err());
        assert!(z.sync().is_err());
        disk.clear_faults();
        assert!(z.sync().is_ok());
        disk.fail(DiskOp::Rename, Fault::NoSpace, "", Some(1));
        assert!(disk.rename("z", "w").is_err());
        assert!(disk.rename("z", "w").is_ok());
    }
}
