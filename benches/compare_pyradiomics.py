#!/usr/bin/env python3
"""Wall time per case: gpurad (CPU, one thread) versus PyRadiomics 3 (one thread), measured in
one run on the same machine; by default all 107 PyRadiomics default features at default
settings, with --params a PyRadiomics parameter file given to both (e.g.
benches/params/mr_style.yaml, benches/params/mr_3mm.yaml).

Run with the PyRadiomics environment, from the repository root, after
`cargo build --release`:

    .venv-ref/bin/python benches/compare_pyradiomics.py [OUT_DIR] [--reps 5] [--gpurad PATH]
        [--params FILE]

What is timed, per case and repetition (the two tools alternate, and which one goes first
alternates between repetitions, to spread machine noise over both; medians are reported):

* gpurad: `gpurad extract --image I --mask M --device cpu -o OUT.csv` with
  RAYON_NUM_THREADS=1, timed as a subprocess, so process start, reading the NIfTI files and
  writing the CSV are included (column gpurad_s). Column gpurad_startup_s is the median time of
  the same command on a missing image (it fails right after start-up, before reading
  anything); gpurad_inproc_s = gpurad_s - gpurad_startup_s estimates the in-process time.
* PyRadiomics: `RadiomicsFeatureExtractor()` (default settings: Original image, all default
  features, binWidth 25; or `RadiomicsFeatureExtractor(FILE)`), `extractor.execute(image,
  mask)` timed inside Python (file reading included, interpreter start and imports not).

Both run on one thread: OMP/OpenBLAS/MKL/ITK thread counts are set to 1 before numpy and
SimpleITK are imported. Before timing, one untimed run of each tool per case warms the file
cache and checks that both produce the same 107 features (the largest relative difference is
reported). The table is printed and written to OUT_DIR/gpurad_vs_pyradiomics.csv
(OUT_DIR defaults to /tmp).
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "NUMEXPR_NUM_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"):
    os.environ[_v] = "1"

import argparse
import csv
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("GPURAD_SHARED_DATA", REPO.parent / "shared" / "data"))
PY_CASES = ["brain1", "brain2", "breast1", "lung1", "lung2", "prostate"]


def cases():
    out = []
    for c in PY_CASES:
        d = DATA / "pyradiomics"
        out.append((c, d / f"{c}_image.nii.gz", d / f"{c}_label.nii.gz"))
    d = DATA / "ibsi" / "ct_radiomics_phantom"
    out.append(("ibsi_ct_phantom", d / "image.nii.gz", d / "mask.nii.gz"))
    return out


def gpurad_env():
    env = dict(os.environ)
    env["RAYON_NUM_THREADS"] = "1"
    if "XDG_RUNTIME_DIR" not in env:
        xdg = tempfile.mkdtemp(prefix="xdg-")
        os.chmod(xdg, 0o700)
        env["XDG_RUNTIME_DIR"] = xdg
    return env


PARAMS = []


def run_gpurad(exe, image, mask, out_csv, env):
    cmd = [str(exe), "extract", "--image", str(image), "--mask", str(mask),
           "--device", "cpu", "-o", str(out_csv)] + PARAMS
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"gpurad failed ({r.returncode}): {r.stderr.strip()}")
    return dt


def gpurad_startup(exe, env, out_csv):
    cmd = [str(exe), "extract", "--image", "/nonexistent.nii.gz", "--mask",
           "/nonexistent.nii.gz", "--device", "cpu", "-o", str(out_csv)]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def run_pyradiomics(extractor, image, mask):
    t = time.perf_counter()
    res = extractor.execute(str(image), str(mask))
    return time.perf_counter() - t, res


def compare(gp_csv, py_res):
    """(number of features in common, largest relative difference) over the features."""
    with open(gp_csv, newline="") as f:
        row = next(csv.DictReader(f))
    worst, n = 0.0, 0
    for k, v in py_res.items():
        if k.startswith("diagnostics_") or k not in row:
            continue
        a, b = float(row[k]), float(np.asarray(v))
        n += 1
        if np.isnan(a) and np.isnan(b):
            continue
        worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
    return n, worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", nargs="?", default="/tmp")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--gpurad", default=str(REPO / "target" / "release" / "gpurad"))
    ap.add_argument("--params", default=None, help="PyRadiomics parameter file for both tools")
    args = ap.parse_args()
    if args.params:
        PARAMS.extend(["--params", str(Path(args.params).resolve())])
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exe = Path(args.gpurad)
    if not exe.exists():
        sys.exit(f"{exe} not found: run `cargo build --release` first")

    radiomics.setVerbosity(logging.ERROR)
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    extractor = (featureextractor.RadiomicsFeatureExtractor(str(Path(args.params).resolve()))
                 if args.params else featureextractor.RadiomicsFeatureExtractor())
    env = gpurad_env()
    tmp = Path(tempfile.mkdtemp(prefix="gpurad-cmp-", dir=out_dir))
    out_csv = tmp / "row.csv"
    gp_version = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"gpurad: {exe} ({gp_version}), RAYON_NUM_THREADS=1, --device cpu")
    print(f"PyRadiomics {radiomics.__version__}, SimpleITK {sitk.Version.VersionString()}, "
          f"numpy {np.__version__}, Python {sys.version.split()[0]}; one thread")
    print(f"parameters: {args.params or 'PyRadiomics defaults'}")
    print(f"{args.reps} alternating repetitions per case; medians\n")

    # Start-up cost of the gpurad process, alone.
    startup = statistics.median(gpurad_startup(exe, env, out_csv) for _ in range(max(5, args.reps)))

    todo, skipped = [], []
    for name, image, mask in cases():
        try:
            run_gpurad(exe, image, mask, out_csv, env)
        except Exception as e:  # noqa: BLE001
            skipped.append((name, f"gpurad: {e}"))
            continue
        try:
            _, res = run_pyradiomics(extractor, image, mask)
        except Exception as e:  # noqa: BLE001
            skipped.append((name, f"PyRadiomics: {e}"))
            continue
        n, worst = compare(out_csv, res)
        voxels = int(res["diagnostics_Mask-original_VoxelNum"])
        todo.append(dict(case=name, image=image, mask=mask, voxels=voxels, features=n,
                         max_rel_diff=worst, gp=[], py=[]))

    for rep in range(args.reps):
        for c in todo:
            order = ("gp", "py") if rep % 2 == 0 else ("py", "gp")
            for tool in order:
                if tool == "gp":
                    c["gp"].append(run_gpurad(exe, c["image"], c["mask"], out_csv, env))
                else:
                    c["py"].append(run_pyradiomics(extractor, c["image"], c["mask"])[0])

    rows = []
    for c in todo:
        gp, py = statistics.median(c["gp"]), statistics.median(c["py"])
        inproc = max(gp - startup, 0.0)
        rows.append(dict(case=c["case"], roi_voxels=c["voxels"], features=c["features"],
                         gpurad_s=gp, gpurad_startup_s=startup, gpurad_inproc_s=inproc,
                         pyradiomics_s=py, ratio=py / gp, ratio_inproc=py / inproc if inproc else float("nan"),
                         max_rel_diff=c["max_rel_diff"],
                         gpurad_min_s=min(c["gp"]), gpurad_max_s=max(c["gp"]),
                         pyradiomics_min_s=min(c["py"]), pyradiomics_max_s=max(c["py"])))

    hdr = (f"{'case':<16} {'ROI voxels':>10} {'feat':>4} {'gpurad s':>9} {'(in-proc)':>9} "
           f"{'PyRad s':>9} {'PyRad/gpurad':>12} {'(in-proc)':>9} {'max rel diff':>12}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['case']:<16} {r['roi_voxels']:>10} {r['features']:>4} {r['gpurad_s']:>9.3f} "
              f"{r['gpurad_inproc_s']:>9.3f} {r['pyradiomics_s']:>9.3f} {r['ratio']:>11.1f}x "
              f"{r['ratio_inproc']:>8.1f}x {r['max_rel_diff']:>12.2e}")
    if rows:
        print(f"{'median':<16} {'':>10} {'':>4} {'':>9} {'':>9} {'':>9} "
              f"{statistics.median(r['ratio'] for r in rows):>11.1f}x "
              f"{statistics.median(r['ratio_inproc'] for r in rows):>8.1f}x")
    print(f"\ngpurad process start-up (extract of a missing file, --device cpu): {startup:.3f} s")
    for name, why in skipped:
        print(f"skipped {name}: {why}")

    path = out_dir / "gpurad_vs_pyradiomics.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["case"])
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    print(f"written {path}")
    out_csv.unlink(missing_ok=True)
    tmp.rmdir()


if __name__ == "__main__":
    main()
