#!/usr/bin/env python3
"""Compute-only speed of the Python extractors, one thread each, in one Python process.

For each case, the image and mask are read once with SimpleITK; then PyRadiomics'
``RadiomicsFeatureExtractor.execute(image, mask)`` and gpurad's (same call, same SimpleITK
images, same default settings) are each timed over ``--reps`` runs after one warm-up, and
the medians compared. Both run on one thread: OMP/BLAS/ITK thread counts and
RAYON_NUM_THREADS are set to 1 before anything is imported. Values are checked to agree
(1e-6 relative, shape 1e-5) before any timing counts.

    python benches/python_extractor.py --reps 5 [--data ../shared/data] [-o times.csv]

Needs, in one environment: gpurad (pip install .), PyRadiomics 3.1
(pip install "numpy<2" "scipy<1.17" scikit-image trimesh pyradiomics-bhklab==3.1.4) and
SimpleITK.
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
           "NUMEXPR_NUM_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS",
           "RAYON_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import csv
import logging
import statistics
import sys
import time

import SimpleITK as sitk

sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)

from radiomics import featureextractor as pyrad  # noqa: E402

from gpurad import featureextractor as gp  # noqa: E402

logging.getLogger("radiomics").setLevel(logging.ERROR)

CASES = ["brain1", "brain2", "breast1", "lung1", "lung2", "prostate"]


def timed(f, reps):
    f()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    rows = []
    for case in CASES:
        img = os.path.join(a.data, "pyradiomics", f"{case}_image.nii.gz")
        lbl = os.path.join(a.data, "pyradiomics", f"{case}_label.nii.gz")
        if not os.path.exists(img):
            print(f"{case}: not found, skipped", file=sys.stderr)
            continue
        image, mask = sitk.ReadImage(img), sitk.ReadImage(lbl)
        ours, theirs = gp.RadiomicsFeatureExtractor(), pyrad.RadiomicsFeatureExtractor()
        got, want = ours.execute(image, mask), theirs.execute(image, mask)
        for k, v in want.items():
            if k.startswith("diagnostics_"):
                continue
            rel = 1e-5 if "_shape_" in k else 1e-6
            g, w = float(got[k]), float(v)
            if abs(g - w) > rel * max(abs(w), 1e-300):
                sys.exit(f"{case} {k}: gpurad {g} vs PyRadiomics {w}")
        t_py = timed(lambda: theirs.execute(image, mask), a.reps)
        t_gp = timed(lambda: ours.execute(image, mask), a.reps)
        rows.append((case, t_py, t_gp, t_py / t_gp))
        print(f"{case:9} PyRadiomics {t_py * 1e3:9.1f} ms  gpurad {t_gp * 1e3:8.2f} ms  "
              f"{t_py / t_gp:6.1f}x", flush=True)
    if rows:
        print(f"median speed-up {statistics.median(r[3] for r in rows):.1f}x over {len(rows)} cases")
    if a.output:
        with open(a.output, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["case", "pyradiomics_s", "gpurad_s", "speedup"])
            w.writerows(rows)


if __name__ == "__main__":
    main()
