//! Every process the live fleet starts, and the guarantee that none outlives the run.
//!
//! Three layers, because each covers what the others cannot:
//! - [`Children`]'s `Drop` kills and reaps every child when the run ends, fails or panics;
//! - a signal action (run inside the SIGINT/SIGTERM/SIGHUP handler itself, before the
//!   interrupt handler of `output` exits the process) sends SIGKILL to every registered pid;
//! - each child asks the kernel for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), which
//!   covers even a SIGKILL of fleetsim. The kernel ties that to the thread that spawned the
//!   child, so children are only ever spawned from the supervisor's (main) thread.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

use anyhow::{Context, Result};

/// Pids of live children (0 = free slot), readable from a signal handler.
static PIDS: [AtomicI32; 128] = [const { AtomicI32::new(0) }; 128];

fn register(pid: i32) {
    for slot in &PIDS {
        if slot
            .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

fn unregister(pid: i32) {
    for slot in &PIDS {
        let _ = slot.compare_exchange(pid, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// SIGKILL to every registered child: async-signal-safe (atomic loads and `kill`).
fn kill_registered() {
    for slot in &PIDS {
        let pid = slot.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe and has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Installs the signal action once per process.
fn install_signal_action() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the action only calls async-signal-safe functions (see kill_registered).
            let registered = unsafe { signal_hook::low_level::register(signal, kill_registered) };
            if let Err(e) = registered {
                result = Err(e);
            }
        }
    });
    result.context("cannot install the handler that stops the live fleet on interruption")
}

/// A started child process.
pub(crate) struct Proc {
    child: Child,
}

impl Proc {
    pub(crate) fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGKILL).
    pub(crate) fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Whether it has exited (reaping it if so).
    pub(crate) fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    fn stop(&mut self) {
        if !self.exited() {
            self.signal(libc::SIGCONT); // a stopped process dies of SIGKILL too, but be plain
            self.signal(libc::SIGKILL);
        }
        let _ = self.child.wait();
        unregister(self.pid());
    }
}

/// The processes of one live run.
#[derive(Default)]
pub(crate) struct Children {
    procs: Vec<Proc>,
}

impl Children {
    pub(crate) fn new() -> Result<Self> {
        install_signal_action()?;
        Ok(Children::default())
    }

    /// Starts `command` with stdout and stderr appended to `log`; returns its index here.
    pub(crate) fn spawn(&mut self, name: &str, command: &mut Command, log: &Path) -> Result<usize> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))?;
        let err = out.try_clone()?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl(2) is async-signal-safe; the closure touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {name} ({:?})", command.get_program()))?;
        register(child.id() as i32);
        self.procs.push(Proc { child });
        Ok(self.procs.len() - 1)
    }

    pub(crate) fn get(&mut self, index: usize) -> &mut Proc {
        &mut self.procs[index]
    }

    /// Kills and reaps the child at `index`.
    pub(crate) fn kill(&mut self, index: usize) {
        self.procs[index].stop();
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            p.stop();
        }
    }
}
