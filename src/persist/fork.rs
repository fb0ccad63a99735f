//! BGSAVE by fork(2): the only `unsafe` code in verdis, contained here.
//!
//! Why fork: the child gets the whole keyspace frozen at the instant of the fork for the cost of
//! copying page tables (a few milliseconds for a few hundred MiB), and the kernel copies a page
//! only when the parent writes to it, so extra memory is proportional to the writes during the
//! save. The event loop's keyspace stays a plain hash table with no per-write cost. The measured
//! alternatives are in docs/decisions/002-snapshots.md.
//!
//! What the child may touch, and why it is sound: after fork only the forking thread exists in
//! the child, so any lock another thread held stays locked forever. The child therefore:
//! - reads the databases it was given (its private copy-on-write view) and encodes them;
//! - allocates (glibc's fork wrapper makes malloc usable in the child) and writes the file
//!   through `RealDisk` (plain system calls, no locks), wrapped in a `FaultDisk` when faults are
//!   armed: its plan is a copy made by the parent's forking thread just before the fork, so its
//!   lock is free and no other thread can hold it;
//! - reads /proc/self/smaps_rollup for its copy-on-write size;
//! - writes lines to the pipe to its parent: a progress line about once a second while it
//!   saves (checked every 1024 keys, as Redis's rdbSaveDb), and its outcome at the end; reading
//!   the clock for that is a plain system call;
//! - never logs (the logger has a lock), never touches stdout, never returns into the event
//!   loop, and ends with `_exit`, which runs no destructors and no atexit handlers.

#![allow(unsafe_code)]

use super::disk::{Disk, RealDisk};
use super::faults::{self, FaultDisk, FaultKind, FaultPlan};
use super::snapshot::{write_job_file, BackgroundSaver, SaveJob, SaveOutcome, SaveProgress};
use crate::engine::db::Db;
use std::time::{Duration, Instant};

struct Child {
    pid: libc::pid_t,
    /// Read end of the pipe the child reports on (non-blocking).
    report_fd: libc::c_int,
    temp_path: String,
    /// Taken just before the fork: the child times its reports from it (both processes read the
    /// same monotonic clock), so the parent can tell how old a measurement is.
    base: Instant,
    /// Bytes read from the pipe that do not form a whole line yet.
    partial: Vec<u8>,
    /// Lines other than progress reports (the outcome), kept for the end.
    final_lines: String,
}

/// The prefix of a progress line: `progress <keys> <cow bytes> <µs from base to the measurement>`.
const PROGRESS: &str = "progress ";

/// Keys between two looks at the clock in the child (Redis's `key_counter & 1023`).
const PROGRESS_KEY_STRIDE: u64 = 1024;
/// The least time between two progress reports.
const PROGRESS_PERIOD: Duration = Duration::from_secs(1);
/// A copy-on-write measurement costs time (walking the memory maps): the next one waits at
/// least this many times as long as the last took (Redis's CHILD_COW_DUTY_CYCLE).
const COW_DUTY_CYCLE: u32 = 100;

/// Forks a child per background save.
#[derive(Default)]
pub struct ForkSaver {
    child: Option<Child>,
    last_fork_us: u64,
    /// Armed faults (`DEBUG FAULT`): the child writes through a copy of them.
    faults: Option<FaultPlan>,
}

impl ForkSaver {
    pub fn new() -> ForkSaver {
        ForkSaver::default()
    }

    /// The running child's pid.
    pub fn child_pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.pid as u32)
    }
}

fn os_error() -> String {
    crate::engine::config::strerror(&std::io::Error::last_os_error())
}

/// The child's private dirty memory: pages it holds alone, i.e. the pages copied because the
/// parent wrote to them, plus the child's own buffers (Redis measures the same way).
fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// What the child does about armed faults: a copy of the plan (taken in the parent before the
/// fork, so it shares no lock with the parent's threads) and whether to die midway.
struct ChildFaults {
    plan: Option<FaultPlan>,
    kill_midway: bool,
}

/// The `kill` fault: the child dies of SIGKILL, as if the OOM killer or an operator stopped it.
fn die_by_sigkill() {
    // SAFETY: signals this (child) process only.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
}

/// Writes `line` to the parent; a child whose parent is gone has no reason to go on (Redis's
/// child exits when its report cannot be written).
fn send_line(report_fd: libc::c_int, line: &str) {
    let bytes = line.as_bytes();
    // SAFETY: writes from a valid buffer to the pipe's write end, owned by this process.
    let n = unsafe { libc::write(report_fd, bytes.as_ptr().cast(), bytes.len()) };
    if n != bytes.len() as isize {
        // SAFETY: ends the child without unwinding, destructors or atexit handlers.
        unsafe { libc::_exit(1) };
    }
}

/// The child's progress reports (Redis's sendChildInfo with CHILD_INFO_TYPE_CURRENT_INFO).
struct ProgressReporter {
    report_fd: libc::c_int,
    base: Instant,
    keys: u64,
    last_report: Option<Instant>,
    cow_bytes: u64,
    cow_measured: Option<Instant>,
    cow_cost: Duration,
}

impl ProgressReporter {
    /// One more key reached: every 1024 keys, report if a second has passed since the last
    /// report (the first key always reports).
    fn key_reached(&mut self) {
        let check = self.keys.is_multiple_of(PROGRESS_KEY_STRIDE);
        self.keys += 1;
        if !check {
            return;
        }
        let now = Instant::now();
        if self.last_report.is_some_and(|t| now.duration_since(t) < PROGRESS_PERIOD) {
            return;
        }
        self.last_report = Some(now);
        let due = self.cow_measured.is_none_or(|t| now.duration_since(t) > self.cow_cost * COW_DUTY_CYCLE);
        if due {
            self.cow_bytes = private_dirty_bytes();
            let measured = Instant::now();
            self.cow_cost = measured.duration_since(now);
            self.cow_measured = Some(measured);
        }
        let at_us = self.cow_measured.map_or(0, |t| t.duration_since(self.base).as_micros());
        send_line(self.report_fd, &format!("{PROGRESS}{} {} {at_us}\n", self.keys, self.cow_bytes));
    }
}

/// The child's work: write the file, report, return the exit code.
fn child_main(dbs: &[Db], job: &SaveJob, report_fd: libc::c_int, child_faults: ChildFaults, base: Instant) -> i32 {
    let mut disk: Box<dyn Disk> = match &child_faults.plan {
        Some(plan) => Box::new(FaultDisk::new(Box::new(RealDisk), plan.clone())),
        None => Box::new(RealDisk),
    };
    let temp = job.temp_path(std::process::id());
    let delay = Duration::from_micros(job.key_save_delay_us.max(0) as u64);
    // A killed save dies halfway through the keys (at once when there are none).
    let total_keys: usize = dbs.iter().map(Db::len).sum();
    let kill_at = child_faults.kill_midway.then_some(total_keys.div_ceil(2));
    if kill_at == Some(0) {
        die_by_sigkill();
    }
    let mut keys_done = 0usize;
    let mut progress = ProgressReporter {
        report_fd,
        base,
        keys: 0,
        last_report: None,
        cow_bytes: 0,
        cow_measured: None,
        cow_cost: Duration::ZERO,
    };
    let result = write_job_file(disk.as_mut(), dbs, job, &temp, || {
        progress.key_reached();
        keys_done += 1;
        if kill_at == Some(keys_done) {
            die_by_sigkill();
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    });
    let cow = private_dirty_bytes();
    let mut line = match &result {
        Ok(_) => format!("ok {cow}\n"),
        Err(e) => format!("err {cow} {e}\n"),
    };
    if let Some(plan) = &child_faults.plan {
        line.push_str(&plan.hits_line());
        line.push('\n');
    }
    send_line(report_fd, &line);
    i32::from(result.is_err())
}

impl BackgroundSaver for ForkSaver {
    fn start(&mut self, dbs: &[Db], job: SaveJob, _disk: &mut dyn Disk) -> Result<u32, String> {
        if self.child.is_some() {
            return Err("a child is already running".to_string());
        }
        let fire = |kind| self.faults.as_ref().and_then(|p| p.fire(&[kind], &job.path)).is_some();
        if fire(FaultKind::Fork) {
            return Err(faults::fork_failure_text());
        }
        let kill_midway = fire(FaultKind::Kill);
        let child_faults = ChildFaults { plan: self.faults.as_ref().map(FaultPlan::detached), kill_midway };
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(format!("pipe: {}", os_error()));
        }
        // The parent reads progress while the child runs: its end must never block.
        // SAFETY: sets a flag on our own, valid descriptor.
        unsafe { libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK) };
        let started = Instant::now();
        // SAFETY: see the module comment for what the child does after this point.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: closing the read end, which the child does not use.
            unsafe { libc::close(fds[0]) };
            let code = child_main(dbs, &job, fds[1], child_faults, started);
            // SAFETY: ends the child without unwinding, destructors or atexit handlers.
            unsafe { libc::_exit(code) };
        }
        self.last_fork_us = started.elapsed().as_micros() as u64;
        // SAFETY: closing our copy of the write end (the child keeps its own).
        unsafe { libc::close(fds[1]) };
        if pid < 0 {
            let e = os_error();
            // SAFETY: the read end is ours and unused.
            unsafe { libc::close(fds[0]) };
            return Err(format!("fork: {e}"));
        }
        self.child = Some(Child {
            pid,
            report_fd: fds[0],
            temp_path: job.temp_path(pid as u32),
            base: started,
            partial: Vec::new(),
            final_lines: String::new(),
        });
        Ok(pid as u32)
    }

    fn poll(&mut self, _disk: &mut dyn Disk) -> Option<SaveOutcome> {
        let child = self.child.as_ref()?;
        let mut status: libc::c_int = 0;
        // SAFETY: waits (without blocking) for our own child; `status` is a valid out pointer.
        let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            return None;
        }
        let mut child = self.child.take()?;
        // The child has exited: what is left in the pipe is its last progress and its outcome.
        let last_progress = child.take_reports();
        let report = std::mem::take(&mut child.final_lines);
        // SAFETY: the pipe's read end is ours; the child has exited.
        unsafe { libc::close(child.report_fd) };
        let (mut ok, mut signal) = (false, None);
        if r < 0 {
            // Reaped elsewhere or vanished: a failed save.
        } else if libc::WIFEXITED(status) {
            ok = libc::WEXITSTATUS(status) == 0;
        } else if libc::WIFSIGNALED(status) {
            signal = Some(libc::WTERMSIG(status));
        }
        let (cow_bytes, error) = parse_report(&report);
        let cow_bytes = cow_bytes.max(last_progress.map_or(0, |p| p.cow_bytes));
        if let Some(plan) = &self.faults {
            report.lines().skip(1).for_each(|line| plan.apply_hits_line(line));
        }
        Some(SaveOutcome { child_id: child.pid as u32, ok, signal, cow_bytes, error, temp_path: child.temp_path })
    }

    fn kill(&mut self) {
        if let Some(c) = &self.child {
            // SAFETY: signals our own child process.
            unsafe { libc::kill(c.pid, libc::SIGUSR1) };
        }
    }

    fn last_start_us(&self) -> u64 {
        self.last_fork_us
    }

    fn progress(&mut self) -> Option<SaveProgress> {
        self.child.as_mut()?.take_reports()
    }

    fn forks(&self) -> bool {
        true
    }

    fn arm_faults(&mut self, plan: FaultPlan) {
        self.faults = Some(plan);
    }
}

impl Drop for ForkSaver {
    /// A server that goes away stops its child and waits for it, leaving no orphan writing files.
    fn drop(&mut self) {
        if let Some(c) = self.child.take() {
            let mut status = 0;
            // SAFETY: signals and reaps our own child; closes our pipe end.
            unsafe {
                libc::kill(c.pid, libc::SIGUSR1);
                libc::waitpid(c.pid, &mut status, 0);
                libc::close(c.report_fd);
            }
            let _ = std::fs::remove_file(&c.temp_path);
        }
    }
}

impl Child {
    /// Reads what the child has written so far (without blocking) and returns its latest
    /// progress report, if one came; other lines are kept for the outcome.
    fn take_reports(&mut self) -> Option<SaveProgress> {
        let mut buf = [0u8; 512];
        // Bounded: the child writes a line a second; 64 reads drain far more than that.
        for _ in 0..64 {
            // SAFETY: reads into a valid buffer of the given size from our (non-blocking) end.
            let n = unsafe { libc::read(self.report_fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            self.partial.extend_from_slice(&buf[..n as usize]);
        }
        let mut latest = None;
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            match line.strip_prefix(PROGRESS) {
                Some(fields) => latest = parse_progress(fields, self.base).or(latest),
                None => {
                    self.final_lines.push_str(&line);
                    self.final_lines.push('\n');
                }
            }
        }
        latest
    }
}

/// `<keys> <cow bytes> <µs from base>` as a report, its measurement's age counted from now.
fn parse_progress(fields: &str, base: Instant) -> Option<SaveProgress> {
    let mut parts = fields.split(' ').map(|p| p.parse::<u64>().ok());
    let (keys, cow, at_us) = (parts.next()??, parts.next()??, parts.next()??);
    let age = base.elapsed().saturating_sub(Duration::from_micros(at_us));
    Some(SaveProgress { keys_processed: keys, cow_bytes: cow, cow_age_ms: age.as_millis() as u64 })
}

/// `ok <cow>` or `err <cow> <message>`.
fn parse_report(report: &str) -> (u64, Option<String>) {
    let line = report.lines().next().unwrap_or("");
    let mut parts = line.splitn(3, ' ');
    let status = parts.next().unwrap_or("");
    let cow = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let error = (status == "err").then(|| parts.next().unwrap_or("").to_string());
    (cow, error)
}
