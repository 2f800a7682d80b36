//! Memory stays bounded: the peak resident memory of `gpurad extract` does not grow with the
//! cohort, and one large volume costs a small multiple of its decoded size. Peak RSS is the
//! child's `ru_maxrss` from `wait4` (Linux), which also counts what this test process had
//! mapped when it forked the child: the tests therefore keep their own memory small (inputs
//! are written by streaming or by a gpurad child).

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

use gpurad::image::Geometry;
use gpurad::io::nifti_write::write_volume;

mod common;
use common::put_i16;

/// Runs gpurad with `args`; returns its peak resident memory in bytes.
// The child is reaped by `wait4` below, which `Child` does not know about.
#[allow(clippy::zombie_processes)]
fn peak_rss(args: &[&str]) -> u64 {
    let child = Command::new(env!("CARGO_BIN_EXE_gpurad"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: plain FFI call with valid pointers to locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "gpurad {args:?} failed (status {status})"
    );
    usage.ru_maxrss as u64 * 1024
}

/// Writes an uncompressed NIfTI-1 file of `size` voxels, streaming the voxel bytes from
/// `voxel(x, y, z)` so that this (parent) process never holds the volume: a child's peak RSS
/// includes what its parent had mapped when it was forked.
fn write_streamed<T: gpurad::io::nifti_write::WritableVoxel>(
    path: &Path,
    g: &Geometry,
    voxel: impl Fn(usize, usize, usize) -> T,
) {
    use std::io::Write;
    // The header of a 1-voxel file with the same spacing, its dimensions patched.
    let tiny = path.parent().unwrap().join("one_voxel.nii");
    let one = Geometry::with_spacing([1, 1, 1], g.spacing);
    write_volume(&tiny, &one, &[voxel(0, 0, 0)]).unwrap();
    let mut header = std::fs::read(&tiny).unwrap();
    std::fs::remove_file(&tiny).unwrap();
    let offset = 352; // vox_offset of a NIfTI-1 single file without extensions
    header.truncate(offset);
    for (k, &s) in g.size.iter().enumerate() {
        put_i16(&mut header, 42 + 2 * k, s as i16);
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&header).unwrap();
    let [nx, ny, nz] = g.size;
    for z in 0..nz {
        for y in 0..ny {
            let row: Vec<T> = (0..nx).map(|x| voxel(x, y, z)).collect();
            f.write_all(bytemuck::cast_slice(&row)).unwrap();
        }
    }
    f.flush().unwrap();
}

#[test]
fn one_large_volume_costs_under_four_times_its_decoded_size() {
    let dir = tempfile::tempdir().unwrap();
    let size = [512, 512, 300];
    let g = Geometry::with_spacing(size, [0.8, 0.8, 1.0]);
    let inside = |x: usize, y: usize, z: usize| {
        ((x as f64 - 256.0) / 40.0).powi(2)
            + ((y as f64 - 256.0) / 40.0).powi(2)
            + ((z as f64 - 150.0) / 30.0).powi(2)
            <= 1.0
    };
    let noise = |x: usize, y: usize, z: usize| {
        let h = ((x * 73_856_093) ^ (y * 19_349_663) ^ (z * 83_492_791)) as u64;
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as i16
    };
    let (img, msk) = (dir.path().join("big.nii"), dir.path().join("big_mask.nii"));
    write_streamed(&img, &g, |x, y, z| {
        500 + noise(x, y, z) + if inside(x, y, z) { 200 } else { 0 }
    });
    write_streamed(&msk, &g, |x, y, z| u8::from(inside(x, y, z)));
    let decoded = (g.len() * 2) as u64; // int16 voxels
    let rss = peak_rss(&[
        "extract",
        "--device",
        "cpu",
        "--setting",
        "binCount:32",
        "--image",
        img.to_str().unwrap(),
        "--mask",
        msk.to_str().unwrap(),
    ]);
    eprintln!(
        "512×512×300 int16: decoded {:.0} MB, peak RSS {:.0} MB ({:.2}×)",
        decoded as f64 / 1e6,
        rss as f64 / 1e6,
        rss as f64 / decoded as f64
    );
    assert!(rss < 4 * decoded, "peak RSS {rss} bytes ≥ 4 × {decoded}");
}

fn write_manifest(dir: &Path, patients: usize) -> String {
    let all = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    let text: String = all
        .lines()
        .take(patients + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join(format!("m{patients}.csv"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn cohort_peak_memory_does_not_grow_with_the_cohort() {
    let dir = tempfile::tempdir().unwrap();
    // The cohort is written by a child too, so that this process stays small.
    peak_rss(&[
        "synth",
        "--out",
        dir.path().to_str().unwrap(),
        "--patients",
        "120",
        "--seed",
        "3",
    ]);
    let run = |patients: usize| {
        let m = write_manifest(dir.path(), patients);
        let out = dir.path().join(format!("f{patients}.csv"));
        peak_rss(&[
            "extract",
            "--device",
            "cpu",
            "--jobs",
            "2",
            "--progress",
            "quiet",
            "--manifest",
            &m,
            "-o",
            out.to_str().unwrap(),
        ])
    };
    // The peak levels off once the allocator's pools and the largest case's buffers are in
    // place (a few dozen cases); from there a longer run must not need more.
    let small = run(40);
    let large = run(120);
    eprintln!(
        "peak RSS: 40 patients {:.1} MB, 120 patients {:.1} MB",
        small as f64 / 1e6,
        large as f64 / 1e6
    );
    // Which cases happen to run at the same time moves the peak by a few MB (measured
    // 15–24 MB over 20 to 500 patients). Keeping what 80 more patients' images decode to
    // (≈ 1.2 MB each) would add ~100 MB; 20 MB of slack separates the two.
    assert!(
        large <= small + 20_000_000,
        "peak RSS grew from {small} to {large} bytes"
    );
}
