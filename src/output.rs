//! Output written all or nothing: a folder of results is there complete, as it was before, or not
//! at all.
//!
//! A run, a comparison or a finished sweep writes files that only mean something together: a
//! `summary.json` of one seed beside a dashboard of another looks like a result and is not one. So
//! a set of files, already rendered in memory, is written into a hidden temporary folder, each
//! file synced to disk, and only then moved into place:
//!
//! ```text
//!   out/.crash-sticky.Xb3kQ9.partial/new/{summary.json, …}   written and synced
//!   out/crash-sticky/                                         one rename: the folder appears whole
//! ```
//!
//! Into a folder that already exists, the temporary folder is made inside it
//! (`out/crash-sticky/.fleetsim.Xb3kQ9.partial/`), and each entry of the set is renamed over the
//! one of the same name, the earlier one set aside until every entry is in and put back if a move
//! fails. The folder itself is not swapped for a new one: `--out` may name a folder holding files
//! fleetsim did not write (deleted with the old folder), or a mount point (which cannot be
//! renamed). Entries the set does not name, like a sweep's streamed `sweep.csv`, are left alone.
//! Any failure before the move (a full disk, a folder that cannot be created) leaves the
//! destination as it was and removes the temporary folder, and folders created on the way to it.
//!
//! Interruptions: SIGINT, SIGTERM and SIGHUP are taken by a thread of their own, which removes every
//! temporary folder and file still listed in `UNFINISHED` and exits with 128 + the signal's
//! number. Every change under a listed path happens while holding that list's lock, and the
//! handler never lets go of it, so an interruption waits for the file being written or the move
//! into place under way, and nothing starts after it. (SIGKILL or a power cut in the middle of the
//! few renames into an existing folder can still leave it half replaced: only an atomic exchange
//! of folders, which not every platform has, would close that gap.)

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{ensure, Context, Result};
use tempfile::TempDir;

/// Writes `files` (paths relative to `dest`, with their bytes) into the folder `dest`, all or
/// nothing, replacing entries of the same names. Every error names the path it concerns.
pub(crate) fn write_folder<P: AsRef<Path>>(dest: &Path, files: &[(P, Vec<u8>)]) -> Result<()> {
    let staged = Staged::new(dest)?;
    for (path, bytes) in files {
        staged.write(path.as_ref(), bytes)?;
    }
    staged.commit()
}

/// Writes `bytes` to a hidden sibling of `path`, then renames it over `path`: readers see the old
/// file or the new one, never half of one. For files replaced one at a time, like a sweep's
/// `sweep.json` and its `sweep.csv` put in run order.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .context("internal: an output path has no file name")?
        .to_string_lossy();
    let partial = path.with_file_name(format!(".{file_name}.partial"));
    let mut unfinished = unfinished();
    unfinished.push(Unfinished::File(partial.clone()));
    let written = write_synced(&partial, bytes)
        .with_context(|| format!("cannot write {}", partial.display()))
        .and_then(|()| {
            fs::rename(&partial, path)
                .with_context(|| format!("cannot move {} into place", path.display()))
        });
    if written.is_err() {
        // Best effort: the error being returned matters more than a failed clean-up.
        let _ = fs::remove_file(&partial);
    } else {
        sync_folder(path.parent());
    }
    forget(&mut unfinished, &partial);
    written
}

/// From now on, SIGINT, SIGTERM and SIGHUP remove unfinished output, print one line and exit with
/// 130, 143 and 129.
#[cfg(unix)]
pub(crate) fn clean_up_on_interrupt() -> Result<()> {
    use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    use std::io::IsTerminal;

    let mut signals =
        Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot handle interruptions")?;
    std::thread::Builder::new()
        .name("interrupts".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Kept until exit: nothing is written or moved after this.
                let unfinished = unfinished();
                for entry in unfinished.iter().rev() {
                    entry.remove();
                }
                let name = match signal {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                // Off the end of a progress bar's line.
                let newline = if io::stderr().is_terminal() { "\n" } else { "" };
                eprintln!("{newline}error: interrupted ({name}); unfinished output removed");
                std::process::exit(128 + signal);
            }
        })
        .context("cannot handle interruptions")?;
    Ok(())
}

/// Interruptions end the process as the platform does.
#[cfg(not(unix))]
pub(crate) fn clean_up_on_interrupt() -> Result<()> {
    Ok(())
}

/// What an interruption must remove, in the order it was made; removed last first.
static UNFINISHED: Mutex<Vec<Unfinished>> = Mutex::new(Vec::new());

#[derive(Debug, PartialEq)]
enum Unfinished {
    /// A temporary folder, with everything in it.
    Tree(PathBuf),
    /// A temporary file.
    File(PathBuf),
    /// A folder created on the way to a destination: removed only while empty, since something
    /// else may have been put in it since.
    Folder(PathBuf),
}

impl Unfinished {
    fn path(&self) -> &Path {
        match self {
            Unfinished::Tree(path) | Unfinished::File(path) | Unfinished::Folder(path) => path,
        }
    }

    /// Best effort: there is no one left to tell.
    fn remove(&self) {
        let _ = match self {
            Unfinished::Tree(path) => fs::remove_dir_all(path),
            Unfinished::File(path) => fs::remove_file(path),
            Unfinished::Folder(path) => fs::remove_dir(path),
        };
    }
}

fn unfinished() -> MutexGuard<'static, Vec<Unfinished>> {
    // The list stays valid whatever a panicking holder was doing: every change is one push or one
    // removal.
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

fn forget(unfinished: &mut Vec<Unfinished>, path: &Path) {
    unfinished.retain(|entry| entry.path() != path);
}

/// A set of files on its way to the folder `dest`, in a hidden temporary folder: in `dest` when
/// that exists, beside it otherwise. Dropped without [`Staged::commit`] (on an error), it removes
/// the temporary folder and the folders it created.
struct Staged {
    dest: PathBuf,
    /// Whether `dest` was a folder already: its entries are then replaced one by one.
    existing: bool,
    /// `new/` holds the set being written, `old/` what it replaces while it moves into place.
    temp: Option<TempDir>,
    /// Folders created to hold `dest`, outermost first.
    created: Vec<PathBuf>,
}

impl Staged {
    fn new(dest: &Path) -> Result<Self> {
        let existing = match fs::metadata(dest) {
            Ok(found) => {
                ensure!(
                    found.is_dir(),
                    "{} exists and is not a folder",
                    dest.display()
                );
                true
            }
            // Absent, or under something that is not a folder: creating it says which.
            Err(_) => false,
        };
        let mut staged = Staged {
            dest: dest.to_owned(),
            existing,
            temp: None,
            created: Vec::new(),
        };
        let (parent, prefix) = if existing {
            (dest.to_owned(), ".fleetsim.".to_owned())
        } else {
            let name = dest
                .file_name()
                .with_context(|| format!("{} cannot be created as a folder", dest.display()))?;
            let parent = match dest.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
                _ => PathBuf::from("."),
            };
            let mut unfinished = unfinished();
            staged.created = missing_folders(&parent);
            unfinished.extend(staged.created.iter().cloned().map(Unfinished::Folder));
            fs::create_dir_all(&parent)
                .with_context(|| format!("cannot create the folder {}", dest.display()))?;
            (parent, format!(".{}.", name.to_string_lossy()))
        };
        let mut unfinished = unfinished();
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".partial")
            .tempdir_in(&parent)
            .with_context(|| {
                format!(
                    "cannot create a temporary folder in {} for {}",
                    parent.display(),
                    dest.display()
                )
            })?;
        unfinished.push(Unfinished::Tree(temp.path().to_owned()));
        staged.temp = Some(temp);
        // Created with the same permissions as any new folder, since it becomes `dest`.
        fs::create_dir(staged.new_dir())
            .with_context(|| format!("cannot create the folder {}", dest.display()))?;
        drop(unfinished);
        Ok(staged)
    }

    fn temp_dir(&self) -> &Path {
        self.temp.as_ref().expect("present until dropped").path()
    }

    fn new_dir(&self) -> PathBuf {
        self.temp_dir().join("new")
    }

    /// Writes and syncs `relative`, a path inside the set, creating the folders it is in.
    fn write(&self, relative: &Path, bytes: &[u8]) -> Result<()> {
        ensure!(
            relative.components().next().is_some()
                && relative
                    .components()
                    .all(|c| matches!(c, Component::Normal(_))),
            "internal: {} is not a path inside a folder",
            relative.display()
        );
        // Errors name the path the file is written for, not its temporary one.
        let shown = self.dest.join(relative);
        let path = self.new_dir().join(relative);
        let _unfinished = unfinished();
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).with_context(|| {
                format!(
                    "cannot create the folder {}",
                    shown.parent().unwrap_or(&shown).display()
                )
            })?;
        }
        write_synced(&path, bytes).with_context(|| format!("cannot write {}", shown.display()))
    }

    /// Moves the set into place: the whole folder when `dest` did not exist, else entry by entry.
    fn commit(mut self) -> Result<()> {
        let new = self.new_dir();
        sync_tree(&new);
        let mut unfinished = unfinished();
        if self.existing {
            self.replace_entries(&new)?;
            sync_folder(Some(&self.dest));
        } else {
            rename_into_place(&new, &self.dest)
                .with_context(|| format!("cannot move {} into place", self.dest.display()))?;
            // They hold the output now.
            for folder in std::mem::take(&mut self.created) {
                forget(&mut unfinished, &folder);
            }
            sync_folder(self.dest.parent());
        }
        Ok(())
    }

    /// Renames each entry of `new` over the one of the same name in `dest`, setting the earlier
    /// one aside; if a move fails, the entries already moved go back and the earlier ones return.
    fn replace_entries(&self, new: &Path) -> Result<()> {
        let old = self.temp_dir().join("old");
        fs::create_dir(&old)
            .with_context(|| format!("cannot create a folder in {}", self.dest.display()))?;
        let mut names: Vec<OsString> = fs::read_dir(new)
            .and_then(|entries| entries.map(|e| e.map(|e| e.file_name())).collect())
            .with_context(|| format!("cannot list what was written for {}", self.dest.display()))?;
        names.sort();
        // (name, whether an earlier entry was set aside)
        let mut moved: Vec<(&OsString, bool)> = Vec::with_capacity(names.len());
        for name in &names {
            let target = self.dest.join(name);
            match swap_in(&new.join(name), &target, &old.join(name)) {
                Ok(had_earlier) => moved.push((name, had_earlier)),
                Err(e) => {
                    // Best effort, last first: the error being returned says what went wrong.
                    for (name, had_earlier) in moved.into_iter().rev() {
                        let target = self.dest.join(name);
                        let _ = fs::rename(&target, new.join(name));
                        if had_earlier {
                            let _ = fs::rename(old.join(name), &target);
                        }
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let mut unfinished = unfinished();
        if let Some(temp) = self.temp.take() {
            forget(&mut unfinished, temp.path());
            // Removes it, with what a committed set left in it (earlier entries set aside).
            drop(temp);
        }
        for folder in self.created.drain(..).rev() {
            forget(&mut unfinished, &folder);
            let _ = fs::remove_dir(&folder);
        }
    }
}

/// Moves `from` to `to`, setting an earlier `to` aside at `aside` first (and back if the move
/// fails); returns whether there was one.
fn swap_in(from: &Path, to: &Path, aside: &Path) -> Result<bool> {
    let earlier = fs::symlink_metadata(to).is_ok();
    if earlier {
        fs::rename(to, aside)
            .with_context(|| format!("cannot move the earlier {} aside", to.display()))?;
    }
    if let Err(e) = rename_into_place(from, to) {
        if earlier {
            let _ = fs::rename(aside, to);
        }
        return Err(e).with_context(|| format!("cannot move {} into place", to.display()));
    }
    Ok(earlier)
}

/// The last rename of a set's file or folder into place: where tests make a move fail.
fn rename_into_place(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(test)]
    tests::count_a_move()?;
    fs::rename(from, to)
}

/// `folder` and its ancestors that do not exist, outermost first.
fn missing_folders(folder: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = folder
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err())
        .map(Path::to_owned)
        .collect();
    missing.reverse();
    missing
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a folder's list of entries, so that a rename in it survives a crash. Best effort: not
/// every file system can sync a folder, and the files in it are synced already.
fn sync_folder(folder: Option<&Path>) {
    let folder = match folder {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let _ = File::open(folder).and_then(|f| f.sync_all());
}

/// [`sync_folder`] on `folder` and every folder under it.
fn sync_tree(folder: &Path) {
    if let Ok(entries) = fs::read_dir(folder) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                sync_tree(&entry.path());
            }
        }
    }
    sync_folder(Some(folder));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::BTreeMap;

    thread_local! {
        /// Moves into place this thread may still make before one fails; `None`: no limit.
        static MOVES_LEFT: Cell<Option<usize>> = const { Cell::new(None) };
    }

    pub(crate) fn count_a_move() -> io::Result<()> {
        MOVES_LEFT.with(|left| match left.get() {
            Some(0) => Err(io::Error::other("a move made to fail by the test")),
            Some(n) => {
                left.set(Some(n - 1));
                Ok(())
            }
            None => Ok(()),
        })
    }

    /// Makes this thread's moves into place fail after `n` of them, until the guard is dropped.
    pub(crate) fn fail_moves_after(n: usize) -> impl Drop {
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                MOVES_LEFT.with(|left| left.set(None));
            }
        }
        MOVES_LEFT.with(|left| left.set(Some(n)));
        Reset
    }

    /// Every file under `folder`, hidden ones included, with its bytes.
    pub(crate) fn contents(folder: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut found = BTreeMap::new();
        let mut todo = vec![folder.to_owned()];
        while let Some(dir) = todo.pop() {
            for entry in fs::read_dir(&dir).expect("readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    found.insert(path.strip_prefix(folder).unwrap().to_owned(), Vec::new());
                    todo.push(path);
                } else {
                    let bytes = fs::read(&path).expect("readable");
                    found.insert(path.strip_prefix(folder).unwrap().to_owned(), bytes);
                }
            }
        }
        found
    }

    fn files(set: &[(&str, &str)]) -> Vec<(PathBuf, Vec<u8>)> {
        set.iter()
            .map(|(path, text)| (PathBuf::from(path), text.as_bytes().to_vec()))
            .collect()
    }

    fn listed(path: &Path) -> bool {
        unfinished().iter().any(|entry| entry.path() == path)
    }

    const EARLIER: [(&str, &str); 3] = [
        ("summary.json", "seed 1"),
        ("runs/a/report.html", "seed 1"),
        ("timeseries.csv", "seed 1"),
    ];

    const LATER: [(&str, &str); 3] = [
        ("summary.json", "seed 2"),
        ("runs/b/report.html", "seed 2"),
        ("timeseries.csv", "seed 2"),
    ];

    #[test]
    fn a_new_folder_appears_whole_with_no_temporary_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a/b/crash-sticky");

        write_folder(&dest, &files(&EARLIER)).expect("written");

        assert_eq!(
            contents(&dest).keys().collect::<Vec<_>>(),
            [
                "runs",
                "runs/a",
                "runs/a/report.html",
                "summary.json",
                "timeseries.csv"
            ]
            .map(Path::new)
        );
        assert_eq!(fs::read(dest.join("summary.json")).unwrap(), b"seed 1");
        let beside: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(beside.len(), 1, "only the folder itself");
    }

    #[test]
    fn a_second_set_replaces_the_entries_it_names_and_leaves_others_alone() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        write_folder(&dest, &files(&EARLIER)).unwrap();
        fs::write(dest.join("notes.txt"), "mine").unwrap();

        write_folder(&dest, &files(&LATER)).expect("written");

        let found = contents(&dest);
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            [
                "notes.txt",
                "runs",
                "runs/b",
                "runs/b/report.html",
                "summary.json",
                "timeseries.csv"
            ]
            .map(Path::new),
            "runs/ is replaced whole: no runs/a from the first set"
        );
        assert_eq!(found[Path::new("summary.json")], b"seed 2");
        assert_eq!(found[Path::new("notes.txt")], b"mine");
    }

    #[test]
    fn a_write_that_fails_half_way_leaves_the_earlier_folder_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        write_folder(&dest, &files(&EARLIER)).unwrap();
        let before = contents(dir.path());

        // The third file cannot be written: `summary.json` is a file, not a folder.
        let mut later = files(&LATER[..2]);
        later.push(("summary.json/x".into(), b"seed 2".to_vec()));
        let error = write_folder(&dest, &later).expect_err("must fail");

        assert!(
            format!("{error:#}").contains(&dest.join("summary.json").display().to_string()),
            "{error:#}"
        );
        assert_eq!(
            contents(dir.path()),
            before,
            "byte for byte, nothing hidden left"
        );
    }

    #[test]
    fn a_move_that_fails_half_way_puts_the_earlier_entries_back() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        write_folder(&dest, &files(&EARLIER)).unwrap();
        let before = contents(dir.path());

        // `runs` and `summary.json` move in; `timeseries.csv` does not.
        let _failing = fail_moves_after(2);
        let error = write_folder(&dest, &files(&LATER)).expect_err("must fail");

        assert!(format!("{error:#}").contains("timeseries.csv"), "{error:#}");
        assert_eq!(
            contents(dir.path()),
            before,
            "byte for byte, nothing hidden left"
        );
    }

    #[test]
    fn a_new_folder_that_cannot_be_moved_into_place_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a/b/out");

        let _failing = fail_moves_after(0);
        let error = write_folder(&dest, &files(&LATER)).expect_err("must fail");

        assert!(format!("{error:#}").contains("into place"), "{error:#}");
        assert!(contents(dir.path()).is_empty(), "not even the folders a/b");
    }

    #[test]
    fn a_file_where_the_folder_goes_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        fs::write(&dest, "a file").unwrap();

        let error = write_folder(&dest, &files(&LATER)).expect_err("must fail");

        assert!(
            format!("{error:#}").contains("is not a folder"),
            "{error:#}"
        );
        assert_eq!(fs::read(&dest).unwrap(), b"a file");
        assert_eq!(contents(dir.path()).len(), 1);
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x", "/x", "", "a/../../x"] {
            let error =
                write_folder(&dir.path().join("out"), &[(bad, b"x".to_vec())]).expect_err(bad);
            assert!(format!("{error:#}").contains("not a path inside"), "{bad}");
        }
        assert!(contents(dir.path()).is_empty());
    }

    #[test]
    fn temporaries_are_listed_for_an_interruption_until_they_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a/out");
        let staged = Staged::new(&dest).unwrap();
        staged.write(Path::new("summary.json"), b"x").unwrap();
        let temp = staged.temp_dir().to_owned();
        assert!(listed(&temp) && listed(&dir.path().join("a")));

        // What the interruption handler does with each entry.
        for entry in [
            Unfinished::Tree(temp.clone()),
            Unfinished::Folder(dir.path().join("a")),
        ] {
            entry.remove();
        }
        assert!(contents(dir.path()).is_empty());

        drop(staged);
        assert!(!listed(&temp) && !listed(&dir.path().join("a")));
    }

    #[test]
    fn a_folder_made_for_output_is_removed_only_while_empty() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out");
        fs::create_dir(&folder).unwrap();
        fs::write(folder.join("theirs"), "x").unwrap();
        Unfinished::Folder(folder.clone()).remove();
        assert!(folder.join("theirs").exists());
    }

    #[test]
    fn a_file_written_atomically_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(
            contents(dir.path()),
            BTreeMap::from([(PathBuf::from("sweep.json"), b"second".to_vec())])
        );
        assert!(!listed(&dir.path().join(".sweep.json.partial")));
    }
}
