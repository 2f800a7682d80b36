//! Output files: folders created on demand, writes that report every failure (a full disk is
//! an error, never a silent exit 0), and no output that would overwrite one of its inputs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Creates the folder that will hold `path`, if it has one that does not exist yet.
pub fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            std::fs::create_dir_all(dir).map_err(write_error(dir))
        }
        _ => Ok(()),
    }
}

/// Creates (or truncates) the file `path`, creating its folder first. An existing `path`
/// must be a regular file: a folder, device or named pipe (which would block until read) is
/// refused.
pub fn create(path: &Path) -> Result<File> {
    require_regular_or_new(path, "the output")?;
    create_parent(path)?;
    File::create(path).map_err(write_error(path))
}

/// Creates `path` for a streamed output: as [`create`], but a character device (a terminal,
/// `/dev/null`, `/dev/stdout`) is accepted too.
fn create_stream(path: &Path) -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device()) {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(write_error(path));
        }
    }
    create(path)
}

/// Writes `bytes` to `path` (its folder created first), reporting any failure.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let mut f = create(path)?;
    f.write_all(bytes.as_ref()).map_err(write_error(path))?;
    f.flush().map_err(write_error(path))
}

/// Calls `fill` with a buffered writer on `path`, or on standard output when `path` is
/// `None`, then flushes it: a write that fails at any point (a full disk, a closed pipe) is
/// an error naming the destination.
pub fn with_writer(
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let stdout = PathBuf::from("<standard output>");
    let name = path.unwrap_or(&stdout);
    let result = match path {
        Some(p) => {
            let mut w = std::io::BufWriter::new(create_stream(p)?);
            fill(&mut w).and_then(|_| w.flush())
        }
        None => {
            let mut w = std::io::stdout().lock();
            fill(&mut w).and_then(|_| w.flush())
        }
    };
    result.map_err(write_error(name))
}

/// Fails when `path` exists but is not a regular file (a device, named pipe or folder):
/// writing a named pipe blocks until someone reads it, and a table that is rewritten through
/// a temporary file and a rename would replace a device itself. `option` names the output in
/// the message.
pub fn require_regular_or_new(path: &Path, option: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::Input {
            path: path.to_path_buf(),
            detail: format!(
                "{option} is not a regular file (a folder, device or named pipe); write to a new or existing file"
            ),
        }),
        _ => Ok(()),
    }
}

/// An exclusive claim on an output for the life of a run, so that two runs (say, a job
/// submitted twice) cannot write one file at once: an advisory lock (`flock`) on the file
/// `<output>.lock`, released when the run ends or dies, and the file removed on drop.
pub struct OutputLock {
    path: PathBuf,
    _file: File,
}

impl OutputLock {
    /// Takes the lock on `output`, or fails at once when another run holds it.
    pub fn take(output: &Path) -> Result<OutputLock> {
        let mut name = output.as_os_str().to_os_string();
        name.push(".lock");
        let path = PathBuf::from(name);
        create_parent(&path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_error(&path))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                return Err(Error::Input {
                    path: output.to_path_buf(),
                    detail: format!(
                        "another gpurad run is writing this output (it holds the lock '{}'); wait for it to finish or write elsewhere",
                        path.display()
                    ),
                });
            }
        }
        Ok(OutputLock { path, _file: file })
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The absolute, symlink-free form of `path`; for a file that does not exist yet, that of its
/// folder joined with its name.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(dir.join(name))
}

/// Writes one line to standard output; a failed write (a closed pipe, a full disk) is an error
/// naming standard output, never a panic. Use through [`crate::outln`].
pub fn stdout_line(args: std::fmt::Arguments<'_>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
        .map_err(write_error(Path::new("<standard output>")))
}

thread_local! {
    /// Whether notes of the current thread are silenced ([`quietly`]).
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with this thread's notes ([`crate::note`]) silenced: for work repeated many
/// times whose notes the caller summarises (the models refitted by a bootstrap).
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let before = QUIET.with(|q| q.replace(true));
    let out = f();
    QUIET.with(|q| q.set(before));
    out
}

/// Writes one line to standard error for the user to read (progress, notes); a failed write
/// is ignored, never a panic. Use through [`crate::note`].
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    if QUIET.with(|q| q.get()) {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|_| err.write_all(b"\n"));
}

/// Whether two existing paths are one file (the same device and inode: hard links too).
fn same_inode(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Fails when the output `output` is the same file as one of `inputs` (after resolving
/// relative paths, symbolic and hard links): writing it would destroy the input before or
/// while it is read. `option` names the output option in the message.
pub fn refuse_overwrite<'a>(
    output: &Path,
    option: &str,
    inputs: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> Result<()> {
    // Checked before any work: a folder or named pipe can never be written as an output (a
    // character device, such as /dev/null, can be for streamed outputs).
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if std::fs::metadata(output).is_ok_and(|m| !m.is_file() && !m.file_type().is_char_device())
        {
            require_regular_or_new(output, "the output")?;
        }
    }
    let Some(out) = resolved(output) else {
        return Ok(());
    };
    for (what, input) in inputs {
        if resolved(input).is_some_and(|i| i == out) || same_inode(output, input) {
            return Err(Error::Settings(format!(
                "{option} '{}' is the {what} '{}': writing it would overwrite the input; choose another output file",
                output.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_created_and_inputs_protected() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/model.json");
        write(&deep, "{}").unwrap();
        assert_eq!(std::fs::read_to_string(&deep).unwrap(), "{}");
        let input = dir.path().join("cases.csv");
        std::fs::write(&input, "ID\n").unwrap();
        let same = dir.path().join("a/../cases.csv");
        let e = refuse_overwrite(&same, "-o", [("manifest", input.as_path())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("manifest") && e.contains("overwrite"), "{e}");
        assert!(refuse_overwrite(&deep, "-o", [("manifest", input.as_path())]).is_ok());
        let link = dir.path().join("hard.csv");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(refuse_overwrite(&link, "-o", [("manifest", input.as_path())]).is_err());
    }

    #[test]
    #[cfg(unix)]
    fn an_output_is_claimed_by_one_run_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("features.csv");
        let first = OutputLock::take(&out).unwrap();
        let e = OutputLock::take(&out).err().unwrap().to_string();
        assert!(e.contains("another gpurad run"), "{e}");
        drop(first);
        assert!(!dir.path().join("features.csv.lock").exists());
        OutputLock::take(&out).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn a_full_disk_is_an_error() {
        use std::os::unix::fs::FileTypeExt;
        let full = Path::new("/dev/full");
        if std::fs::metadata(full).is_ok_and(|m| m.file_type().is_char_device()) {
            let e = with_writer(Some(full), |w| w.write_all(b"x")).unwrap_err();
            assert!(e.to_string().contains("/dev/full"), "{e}");
        }
    }
}
