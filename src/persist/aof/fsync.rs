//! The background fsync of `appendfsync everysec` (Redis's bio AOF fsync job): the event loop
//! hands over a second handle on the incr file and keeps serving; the thread syncs it and
//! reports the outcome, which the next flush or cron picks up.

use crate::persist::disk::DiskFile;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

/// One job: sync this handle; it covers the file up to `offset` bytes.
struct Job {
    file: Box<dyn DiskFile>,
    offset: u64,
}

/// The last finished job: the offset it covered and its outcome.
type Done = Arc<Mutex<Option<(u64, Result<(), String>)>>>;

pub struct BgFsync {
    jobs: Sender<Job>,
    busy: Arc<AtomicBool>,
    done: Done,
}

impl BgFsync {
    /// Starts the thread.
    pub fn start() -> std::io::Result<BgFsync> {
        let (jobs, rx) = channel::<Job>();
        let busy = Arc::new(AtomicBool::new(false));
        let done: Done = Arc::new(Mutex::new(None));
        let (b, d) = (busy.clone(), done.clone());
        std::thread::Builder::new().name("aof-fsync".into()).spawn(move || {
            // Ends when the sender (the engine) is dropped.
            while let Ok(mut job) = rx.recv() {
                let result = job.file.sync().map_err(|e| crate::engine::config::strerror(&e));
                if let Ok(mut slot) = d.lock() {
                    *slot = Some((job.offset, result));
                }
                b.store(false, Ordering::SeqCst);
            }
        })?;
        Ok(BgFsync { jobs, busy, done })
    }

    /// True while a sync runs.
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// Starts syncing `file` (covering `offset` bytes); false if one is already running.
    pub fn submit(&self, file: Box<dyn DiskFile>, offset: u64) -> bool {
        if self.busy.swap(true, Ordering::SeqCst) {
            return false;
        }
        if self.jobs.send(Job { file, offset }).is_err() {
            self.busy.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The outcome of the last finished sync, once.
    pub fn take_done(&self) -> Option<(u64, Result<(), String>)> {
        self.done.lock().ok().and_then(|mut d| d.take())
    }

    /// Waits (bounded) for a running sync to finish.
    pub fn wait_idle(&self) {
        for _ in 0..10_000 {
            if !self.busy() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}
