//! Lazy free: the handoff of unreachable data (a deleted value, a flushed database's tables) to a
//! background thread that drops it, so that the command which removed the data replies without
//! paying for the deallocation (Redis's lazyfree.c with bio.c's BIO_LAZY_FREE thread).
//!
//! This module knows nothing of the engine's types: a job is any `Send` value that says how many
//! objects it stands for (`Job::objects`), and freeing it is dropping it. Ownership moves with the
//! job, so no command can see data that is being freed. Few dependencies keep it small enough to
//! model-check with loom: `tests/loom_lazyfree.rs` compiles this file and `sync.rs` into the test
//! crate (see `sync.rs`).
//!
//! Two back ends behind one handle:
//! - `LazyFree::inline()` frees at once on the caller. The engine starts with it, so that the
//!   engine stays single-threaded and deterministic in tests; the counters behave as if the
//!   background thread were infinitely fast.
//! - `LazyFree::threaded(capacity)` starts one free thread fed by a bounded FIFO queue (a Mutex
//!   and a Condvar; loom has no `sync_channel`). The server installs it.
//!
//! Choices:
//! - **Full queue**: the caller frees the job itself, inline. Redis's queue is unbounded; a bound
//!   turns a producer that outruns the free thread into back-pressure instead of unbounded garbage.
//!   `submit` says which happened.
//! - **Shutdown drains**: closing the queue lets the thread free every job already queued, then
//!   the owner joins it; afterwards `submit` frees inline. Redis simply exits with its queue
//!   unprocessed (the OS reclaims the memory); verdis also runs embedded in other processes, where
//!   abandoned jobs would be leaked memory, so it drains. `Drop` does the same.
//!
//! Counters (INFO's `lazyfree_pending_objects` and `lazyfreed_objects`), readable at any moment
//! from any thread: `pending` is raised before a job is handed over and lowered only after the job
//! was dropped, so it never underflows, and it is 0 whenever no job is queued or being freed.

use crate::sync::{lock, thread, wait, Arc, AtomicU64, Condvar, Mutex, Ordering};
use std::collections::VecDeque;

/// Something that can be freed in the background. Dropping it is freeing it.
pub trait Job: Send + 'static {
    /// How many objects the job counts for in the counters (Redis: 1 for a value, the number of
    /// keys for a database's tables). Must not change while the job waits in the queue.
    fn objects(&self) -> u64;
}

/// What `submit` did with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposal {
    /// Freed on the caller before `submit` returned (inline back end, full queue, or after
    /// shutdown).
    FreedInline,
    /// Queued for the free thread.
    Queued,
}

/// Deliberate bugs for showing that the loom models catch them (tests/loom_lazyfree.rs). They
/// can be switched on only in the loom test build; elsewhere `Queue::fault` is always false.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(not(all(loom, test)), allow(dead_code))]
pub(crate) struct Faults {
    /// Raise `pending` after the job is queued instead of before.
    pub count_after_handoff: bool,
    /// The free thread stops as soon as the queue is closed, leaving queued jobs unfreed.
    pub exit_without_draining: bool,
    /// Closing the queue does not wake the free thread.
    pub close_without_notify: bool,
}

/// The counters shared by the owner, the free thread and readers.
struct Counters {
    /// Objects handed to lazy free and not yet dropped.
    pending: AtomicU64,
    /// Objects dropped by lazy free since the start (or the last CONFIG RESETSTAT).
    freed: AtomicU64,
}

impl Counters {
    fn new() -> Counters {
        Counters { pending: AtomicU64::new(0), freed: AtomicU64::new(0) }
    }

    fn announce(&self, objects: u64) {
        self.pending.fetch_add(objects, Ordering::AcqRel);
    }

    /// Drops `job` and moves its objects from pending to freed, in that order: an object counts as
    /// pending until its memory is released.
    fn free<J>(&self, job: J, objects: u64) {
        drop(job);
        let before = self.pending.fetch_sub(objects, Ordering::AcqRel);
        // An underflow would be a bug in this module, never a consequence of client input.
        if cfg!(any(debug_assertions, loom)) {
            assert!(before >= objects, "lazyfree pending counter underflow: {before} < {objects}");
        }
        self.freed.fetch_add(objects, Ordering::AcqRel);
    }
}

/// The queue between the owner and the free thread.
struct Queue<J> {
    state: Mutex<QueueState<J>>,
    /// Signalled when a job is queued or the queue is closed.
    work: Condvar,
    /// Signalled when the queue becomes empty and no job is being freed.
    idle: Condvar,
    capacity: usize,
    #[cfg(all(loom, test))]
    faults: Faults,
}

struct QueueState<J> {
    jobs: VecDeque<(J, u64)>,
    /// The free thread is dropping a job it took from the queue.
    busy: bool,
    /// No more jobs are accepted; the free thread exits once the queue is empty.
    closed: bool,
}

impl<J> Queue<J> {
    #[cfg(all(loom, test))]
    fn fault(&self, pick: impl Fn(&Faults) -> bool) -> bool {
        pick(&self.faults)
    }

    #[cfg(not(all(loom, test)))]
    fn fault(&self, _pick: impl Fn(&Faults) -> bool) -> bool {
        false
    }
}

/// The threaded back end: the queue and the free thread's handle.
struct Worker<J> {
    queue: Arc<Queue<J>>,
    handle: Option<thread::JoinHandle<()>>,
}

enum Backend<J> {
    Inline,
    Threaded(Worker<J>),
}

/// The handle the engine owns.
pub struct LazyFree<J: Job> {
    counters: Arc<Counters>,
    backend: Backend<J>,
}

impl<J: Job> Default for LazyFree<J> {
    fn default() -> Self {
        Self::inline()
    }
}

impl<J: Job> std::fmt::Debug for LazyFree<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyFree")
            .field("threaded", &self.is_threaded())
            .field("pending_objects", &self.pending_objects())
            .field("freed_objects", &self.freed_objects())
            .finish()
    }
}

impl<J: Job> LazyFree<J> {
    /// The inline back end: every job is freed on the caller at once.
    pub fn inline() -> Self {
        LazyFree { counters: Arc::new(Counters::new()), backend: Backend::Inline }
    }

    /// The threaded back end: a free thread named `lazyfree` and a queue of at most `capacity`
    /// jobs (at least 1). Fails only when the thread cannot be started.
    pub fn threaded(capacity: usize) -> std::io::Result<Self> {
        Self::start(capacity, |queue| queue)
    }

    /// The threaded back end with deliberate bugs (loom models only).
    #[cfg(all(loom, test))]
    pub(crate) fn threaded_with_faults(capacity: usize, faults: Faults) -> std::io::Result<Self> {
        Self::start(capacity, |mut queue| {
            queue.faults = faults;
            queue
        })
    }

    fn start(capacity: usize, adjust: impl FnOnce(Queue<J>) -> Queue<J>) -> std::io::Result<Self> {
        let queue = adjust(Queue {
            state: Mutex::new(QueueState { jobs: VecDeque::new(), busy: false, closed: false }),
            work: Condvar::new(),
            idle: Condvar::new(),
            capacity: capacity.max(1),
            #[cfg(all(loom, test))]
            faults: Faults::default(),
        });
        let queue = Arc::new(queue);
        let counters = Arc::new(Counters::new());
        let (thread_queue, thread_counters) = (queue.clone(), counters.clone());
        let handle = thread::Builder::new()
            .name("lazyfree".to_string())
            .spawn(move || free_thread(&thread_queue, &thread_counters))?;
        Ok(LazyFree { counters, backend: Backend::Threaded(Worker { queue, handle: Some(handle) }) })
    }

    pub fn is_threaded(&self) -> bool {
        matches!(self.backend, Backend::Threaded(_))
    }

    /// Hands `job` over to be freed: queued for the free thread, or freed at once (inline back
    /// end, full queue, closed queue).
    pub fn submit(&self, job: J) -> Disposal {
        let objects = job.objects();
        let Backend::Threaded(worker) = &self.backend else {
            self.counters.announce(objects);
            self.counters.free(job, objects);
            return Disposal::FreedInline;
        };
        let queue = &*worker.queue;
        let late_count = queue.fault(|f| f.count_after_handoff);
        if !late_count {
            self.counters.announce(objects);
        }
        let mut state = lock(&queue.state);
        if state.closed || state.jobs.len() >= queue.capacity {
            drop(state);
            if late_count {
                self.counters.announce(objects);
            }
            self.counters.free(job, objects);
            return Disposal::FreedInline;
        }
        state.jobs.push_back((job, objects));
        drop(state);
        if late_count {
            self.counters.announce(objects);
        }
        queue.work.notify_one();
        Disposal::Queued
    }

    /// Objects handed over and not yet freed (INFO memory `lazyfree_pending_objects`).
    pub fn pending_objects(&self) -> u64 {
        self.counters.pending.load(Ordering::Acquire)
    }

    /// Objects freed so far (INFO stats `lazyfreed_objects`).
    pub fn freed_objects(&self) -> u64 {
        self.counters.freed.load(Ordering::Acquire)
    }

    /// Zeroes `lazyfreed_objects` (CONFIG RESETSTAT, as Redis's lazyfreeResetStats).
    pub fn reset_freed_objects(&self) {
        self.counters.freed.store(0, Ordering::Release);
    }

    /// Blocks until the free thread has nothing queued and nothing in hand. Returns at once for the
    /// inline back end. For tests and benchmarks; the server never waits for the free thread.
    pub fn wait_idle(&self) {
        let Backend::Threaded(worker) = &self.backend else {
            return;
        };
        let queue = &*worker.queue;
        let mut state = lock(&queue.state);
        // Each wake-up follows a job being freed; the queue is finite, so this ends.
        while !state.jobs.is_empty() || state.busy {
            state = wait(&queue.idle, state);
        }
    }

    /// Closes the queue, lets the free thread drain it, and joins the thread. Afterwards the
    /// handle works as the inline back end. Doing it twice is harmless.
    pub fn shutdown(&mut self) {
        let Backend::Threaded(worker) = &mut self.backend else {
            return;
        };
        lock(&worker.queue.state).closed = true;
        if !worker.queue.fault(|f| f.close_without_notify) {
            worker.queue.work.notify_all();
        }
        if let Some(handle) = worker.handle.take() {
            // A panic on the free thread (a value's Drop) has nothing more to report here.
            let _ = handle.join();
        }
        self.backend = Backend::Inline;
    }
}

impl<J: Job> Drop for LazyFree<J> {
    /// Drains as `shutdown` does, except while the thread is unwinding from a panic: then the free
    /// thread is left waiting (it holds nothing but the queue), because joining it could block or
    /// panic again and abort the process.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.shutdown();
    }
}

/// The free thread: takes jobs in order and drops them, until the queue is closed and empty.
fn free_thread<J: Job>(queue: &Queue<J>, counters: &Counters) {
    let mut state = lock(&queue.state);
    loop {
        if state.closed && queue.fault(|f| f.exit_without_draining) {
            return;
        }
        if let Some((job, objects)) = state.jobs.pop_front() {
            state.busy = true;
            drop(state);
            counters.free(job, objects);
            state = lock(&queue.state);
            state.busy = false;
            if state.jobs.is_empty() {
                queue.idle.notify_all();
            }
        } else if state.closed {
            return;
        } else {
            state = wait(&queue.work, state);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A job of `n` objects that records how often it was dropped.
    struct Tracked {
        objects: u64,
        drops: Arc<AtomicUsize>,
    }

    impl Job for Tracked {
        fn objects(&self) -> u64 {
            self.objects
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn tracked(objects: u64, drops: &Arc<AtomicUsize>) -> Tracked {
        Tracked { objects, drops: drops.clone() }
    }

    #[test]
    fn inline_frees_at_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let lf = LazyFree::inline();
        assert_eq!(lf.submit(tracked(3, &drops)), Disposal::FreedInline);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!((lf.pending_objects(), lf.freed_objects()), (0, 3));
        lf.reset_freed_objects();
        assert_eq!(lf.freed_objects(), 0);
    }

    #[test]
    fn threaded_frees_everything_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let lf = LazyFree::threaded(1024).unwrap();
        assert!(lf.is_threaded());
        for _ in 0..100 {
            lf.submit(tracked(2, &drops));
        }
        lf.wait_idle();
        assert_eq!(drops.load(Ordering::SeqCst), 100);
        assert_eq!((lf.pending_objects(), lf.freed_objects()), (0, 200));
    }

    #[test]
    fn full_queue_frees_inline() {
        // The free thread is held inside a job's drop until released, so the queue fills up.
        let (enter_tx, enter_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        struct Blocker(std::sync::mpsc::Sender<()>, std::sync::Mutex<std::sync::mpsc::Receiver<()>>);
        impl Job for Blocker {
            fn objects(&self) -> u64 {
                1
            }
        }
        impl Drop for Blocker {
            fn drop(&mut self) {
                let _ = self.0.send(());
                let _ = self.1.lock().unwrap().recv();
            }
        }
        enum Either {
            Block(Blocker),
            Plain(Tracked),
        }
        impl Job for Either {
            fn objects(&self) -> u64 {
                match self {
                    Either::Block(b) => b.objects(),
                    Either::Plain(t) => t.objects(),
                }
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let mut lf = LazyFree::threaded(2).unwrap();
        let blocker = Blocker(enter_tx, std::sync::Mutex::new(release_rx));
        assert_eq!(lf.submit(Either::Block(blocker)), Disposal::Queued);
        enter_rx.recv().unwrap(); // the free thread is now busy
        assert_eq!(lf.submit(Either::Plain(tracked(1, &drops))), Disposal::Queued);
        assert_eq!(lf.submit(Either::Plain(tracked(1, &drops))), Disposal::Queued);
        assert_eq!(lf.pending_objects(), 3);
        assert_eq!(lf.submit(Either::Plain(tracked(1, &drops))), Disposal::FreedInline);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!((lf.pending_objects(), lf.freed_objects()), (3, 1));
        release_tx.send(()).unwrap();
        lf.shutdown();
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert_eq!((lf.pending_objects(), lf.freed_objects()), (0, 4));
        // After shutdown the handle frees inline.
        assert!(!lf.is_threaded());
        assert_eq!(lf.submit(Either::Plain(tracked(5, &drops))), Disposal::FreedInline);
        assert_eq!(lf.freed_objects(), 9);
    }

    #[test]
    fn shutdown_drains_queued_jobs() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut lf = LazyFree::threaded(1024).unwrap();
        for _ in 0..50 {
            lf.submit(tracked(1, &drops));
        }
        lf.shutdown();
        lf.shutdown();
        assert_eq!(drops.load(Ordering::SeqCst), 50);
        assert_eq!((lf.pending_objects(), lf.freed_objects()), (0, 50));
    }

    #[test]
    fn drop_drains_too() {
        let drops = Arc::new(AtomicUsize::new(0));
        {
            let lf = LazyFree::threaded(8).unwrap();
            for _ in 0..8 {
                lf.submit(tracked(1, &drops));
            }
        }
        assert_eq!(drops.load(Ordering::SeqCst), 8);
    }
}
