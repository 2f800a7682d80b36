//! Resource limits: the memory budget every input-driven allocation is checked against, and
//! bounded reading of input files.
//!
//! Every size that comes from input (voxel counts, resampled grids, grey levels, neighbour
//! directions, table cells) is computed with overflow-checked arithmetic and compared with the
//! budget *before* anything is allocated; a request above it is an error that names the
//! setting or field and the memory it would need ([`Error::Resource`]).
//!
//! The budget is the memory one process may use (`--max-memory`; by default half of the
//! memory this process can have: the machine's physical memory, or less where a resource
//! limit (`ulimit -v`, `ulimit -d`) or the control group (`memory.max`, as in containers and
//! batch jobs) allows less). A cohort run with `N` workers gives each case `1/N` of it
//! ([`WorkerShare`]). The largest buffers sized by input are also allocated fallibly
//! ([`zeroed_vec`]), so that memory the system refuses is an error, not an abort. Input files are read only when they are regular files no larger than
//! the format allows ([`read_bounded`]), so a device such as `/dev/zero` given as an image,
//! parameter file or manifest is refused instead of read forever.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Process-wide budget in bytes; 0 until set (the default is then used).
static MAX_MEMORY: AtomicU64 = AtomicU64::new(0);
/// Cases processed at once; each gets an equal share of the budget.
static WORKERS: AtomicUsize = AtomicUsize::new(1);

/// Budget used when the machine's memory cannot be read.
const FALLBACK_BUDGET: u64 = 8 << 30;

/// Smallest budget accepted by [`set_max_memory`] (below it nothing useful fits).
pub const MIN_BUDGET: u64 = 64 << 20;

/// Largest parameter file (YAML) gpurad reads: PyRadiomics' own are a few kilobytes.
pub const MAX_PARAMS_FILE: u64 = 1 << 20;

/// Deepest nesting of flow lists and mappings (`[`, `{`) accepted in a parameter file or
/// setting value.
pub const MAX_YAML_DEPTH: usize = 32;

/// Physical memory of the machine in bytes, where the platform tells it.
fn physical_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            return (pages as u64).checked_mul(size as u64);
        }
    }
    None
}

/// The address-space or data-segment limit of this process (`ulimit -v`, `ulimit -d`), where
/// one is set.
fn resource_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let limit = |resource| {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes into the struct passed; a failure leaves it untouched.
            let ok = unsafe { libc::getrlimit(resource, &mut r) } == 0;
            // rlim_t is 64 bits on Linux but not on every platform.
            #[allow(clippy::unnecessary_cast)]
            let current = r.rlim_cur as u64;
            (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(current)
        };
        return [limit(libc::RLIMIT_AS), limit(libc::RLIMIT_DATA)]
            .into_iter()
            .flatten()
            .min();
    }
    #[allow(unreachable_code)]
    None
}

/// The memory limit of this process's control group (cgroup v2 `memory.max`, or v1
/// `memory.limit_in_bytes`), where one is set.
fn cgroup_limit() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mut candidates = Vec::new();
    for line in own.lines() {
        // "0::/path" (v2) or "N:memory:/path" (v1).
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.is_empty() {
            candidates.push(format!("/sys/fs/cgroup{path}/memory.max"));
            candidates.push("/sys/fs/cgroup/memory.max".to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            candidates.push(format!("/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"));
            candidates.push("/sys/fs/cgroup/memory/memory.limit_in_bytes".to_string());
        }
    }
    candidates
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| t.trim().parse::<u64>().ok())
        // cgroup v1 reports "no limit" as a huge page-aligned number.
        .filter(|&v| v < 1 << 60)
        .min()
}

/// The default budget: half of the memory this process may have — the physical memory, or a
/// resource or control-group limit where lower (8 GiB where none can be read). Read from the
/// system once per process: every size check consults it, thousands of times per case.
pub fn default_max_memory() -> u64 {
    static DEFAULT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(read_default_max_memory)
}

fn read_default_max_memory() -> u64 {
    let available = [physical_memory(), resource_limit(), cgroup_limit()]
        .into_iter()
        .flatten()
        .min();
    available
        .map(|m| (m / 2).max(MIN_BUDGET))
        .unwrap_or(FALLBACK_BUDGET)
}

/// Sets the process-wide memory budget (`--max-memory`).
pub fn set_max_memory(bytes: u64) -> Result<()> {
    if bytes < MIN_BUDGET {
        return Err(Error::Settings(format!(
            "--max-memory {} is below the smallest usable budget of {}",
            human(bytes as u128),
            human(MIN_BUDGET as u128)
        )));
    }
    MAX_MEMORY.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// The process-wide memory budget in bytes.
pub fn max_memory() -> u64 {
    match MAX_MEMORY.load(Ordering::Relaxed) {
        0 => default_max_memory(),
        b => b,
    }
}

/// The memory one case may use: the budget shared among the workers of a cohort run.
pub fn case_budget() -> u64 {
    max_memory() / WORKERS.load(Ordering::Relaxed).max(1) as u64
}

/// While alive, the budget is shared by `workers` cases at once (restored on drop).
pub struct WorkerShare {
    previous: usize,
}

impl WorkerShare {
    /// Shares the budget among `workers` concurrent cases.
    pub fn new(workers: usize) -> Self {
        WorkerShare {
            previous: WORKERS.swap(workers.max(1), Ordering::Relaxed),
        }
    }
}

impl Drop for WorkerShare {
    fn drop(&mut self) {
        WORKERS.store(self.previous, Ordering::Relaxed);
    }
}

pub use crate::error::human;

/// Parses a memory size: a number of bytes, or a number with `K`, `M`, `G` or `T`
/// (binary units; `KiB`/`KB` spellings too), e.g. `512M`, `16G`, `1.5GiB`.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a size such as 512M or 16G"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        u => return Err(format!("unknown unit '{u}' in '{text}' (use K, M, G or T)")),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("'{text}' is too large"));
    }
    Ok(bytes as u64)
}

/// Fails when `bytes` exceed the budget of one case. `what` says what would be allocated and
/// from which setting or field (it starts the message); `hint` how to stay within it.
pub fn check(what: impl FnOnce() -> String, bytes: u128, hint: &str) -> Result<()> {
    let budget = case_budget();
    if bytes <= budget as u128 {
        return Ok(());
    }
    Err(Error::Resource {
        what: what(),
        needed: bytes,
        budget: budget as u128,
        workers: WORKERS.load(Ordering::Relaxed).max(1),
        hint: hint.to_string(),
    })
}

/// A vector of `n` default values, allocated fallibly: memory the system refuses (despite the
/// budget, e.g. under a tight limit or with much already in use) is an error naming `what`.
pub fn zeroed_vec<T: Clone + Default>(n: usize, what: impl FnOnce() -> String) -> Result<Vec<T>> {
    let mut v = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Err(Error::OutOfMemory {
            what: what(),
            needed: n as u128 * std::mem::size_of::<T>() as u128,
        });
    }
    v.resize(n, T::default());
    Ok(v)
}

/// Product of the factors, saturating at `u128::MAX` (which no budget allows).
pub fn product(factors: &[u128]) -> u128 {
    factors.iter().fold(1u128, |acc, &f| acc.saturating_mul(f))
}

/// Reads a whole file that must be a regular file of at most `max_len` bytes; `kind` names it
/// in errors ("parameter file", "manifest"). Devices, pipes and folders are refused.
pub fn read_bounded(path: &Path, max_len: u64, kind: &str) -> Result<Vec<u8>> {
    let (file, len) = open_regular(path, kind)?;
    if len > max_len {
        return Err(Error::Input {
            path: path.to_path_buf(),
            detail: format!(
                "the {kind} is {} long, more than the {} a {kind} may have",
                human(len as u128),
                human(max_len as u128)
            ),
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_len + 1)
        .read_to_end(&mut bytes)
        .map_err(|cause| Error::Io {
            path: path.to_path_buf(),
            cause,
        })?;
    if bytes.len() as u64 > max_len {
        return Err(Error::Input {
            path: path.to_path_buf(),
            detail: format!(
                "the {kind} grew beyond {} while it was read",
                human(max_len as u128)
            ),
        });
    }
    Ok(bytes)
}

/// As [`read_bounded`], as UTF-8 text.
pub fn read_text_bounded(path: &Path, max_len: u64, kind: &str) -> Result<String> {
    let bytes = read_bounded(path, max_len, kind)?;
    String::from_utf8(bytes).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        detail: format!(
            "the {kind} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Opens `path` for reading when it is a regular file (following symbolic links); returns
/// the file and its length.
pub fn open_regular(path: &Path, kind: &str) -> Result<(std::fs::File, u64)> {
    let meta = std::fs::metadata(path).map_err(|cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a device, pipe or socket)"
        };
        return Err(Error::Input {
            path: path.to_path_buf(),
            detail: format!("expected a {kind}, but it is {what}"),
        });
    }
    let file = std::fs::File::open(path).map_err(|cause| Error::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    Ok((file, meta.len()))
}

/// Largest table (CSV) gpurad reads into memory: a quarter of a case's budget, since parsed
/// cells take a few times their text's size.
pub fn max_table_file() -> u64 {
    case_budget() / 4
}

/// Deepest nesting of flow collections (`[`, `{`) in YAML `text`, counted on the raw text
/// (brackets inside strings and comments count too, so the count never falls short), so that
/// a pathological document is refused before the parser, which slows down quadratically on
/// deep nesting. Block-style nesting needs indentation that grows with depth, so the size
/// limit of the file already bounds it.
pub fn yaml_flow_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("16G"), Ok(16 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
        assert!(parse_size("1e30T").is_err());
    }

    #[test]
    fn check_names_the_request_and_the_budget() {
        let e = check(|| "the resampled grid".into(), u128::MAX, "use 1 mm")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the resampled grid")
                && e.contains("--max-memory")
                && e.contains("use 1 mm"),
            "{e}"
        );
        assert!(check(|| unreachable!(), 1024, "").is_ok());
    }

    #[test]
    fn worker_share_divides_and_restores() {
        let whole = case_budget();
        {
            let _share = WorkerShare::new(4);
            assert_eq!(case_budget(), max_memory() / 4);
        }
        assert_eq!(case_budget(), whole);
    }

    #[test]
    fn yaml_flow_depth_counts_brackets() {
        assert_eq!(yaml_flow_depth("setting:\n  binWidth: 5\n"), 0);
        assert_eq!(yaml_flow_depth("a: [[[1]]]\nb: {c: [1]}\n"), 3);
        assert_eq!(yaml_flow_depth("a: it's [[[["), 4);
        assert_eq!(yaml_flow_depth(&"[".repeat(200_000)), 200_000);
    }

    #[test]
    fn devices_and_folders_are_refused() {
        let e = read_bounded(Path::new("/dev/zero"), 1 << 20, "parameter file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("not a regular file"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = read_bounded(dir.path(), 1 << 20, "manifest")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a folder"), "{e}");
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; 2048]).unwrap();
        let e = read_bounded(&big, 1024, "parameter file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("2.0 KiB") && e.contains("1.0 KiB"), "{e}");
    }
}
