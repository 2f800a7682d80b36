//! GPU ≡ CPU: every texture matrix built by the WGSL shaders equals the CPU reference
//! exactly (integer counts; the NGTDM difference sums are accumulated from identical integer
//! neighbourhood tables), on the IBSI phantom, on all PyRadiomics cases, and on randomized
//! volumes (odd sizes, one-voxel ROIs, one grey level, holes, many grey levels). Feature rows
//! from `--device gpu` and `--device cpu` are identical too.
//!
//! Without a GPU adapter the tests print why and pass, unless `GPURAD_REQUIRE_GPU=1` (set by
//! `.ci/run`, which installs Mesa's software Vulkan driver), in which case they fail.

mod common;

use common::*;
use gpurad::extract::{case_grey_image, extract_case_on, Value};
use gpurad::matrices::angles::generate;
use gpurad::matrices::gpu::{build_batch, DeviceChoice, GpuContext};
use gpurad::matrices::{build_cpu, GreyImage, Request};
use gpurad::Params;

fn gpu() -> Option<&'static GpuContext> {
    // Mesa's drivers complain on every start without a private runtime folder; give them one
    // before the (shared) context is first created, as the gpurad binary does.
    static RUNTIME_DIR: std::sync::Once = std::sync::Once::new();
    #[cfg(unix)]
    RUNTIME_DIR.call_once(|| {
        if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
            let dir =
                std::env::temp_dir().join(format!("gpurad-test-runtime-{}", std::process::id()));
            if std::fs::create_dir_all(&dir).is_ok() {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
                std::env::set_var("XDG_RUNTIME_DIR", &dir);
            }
        }
    });
    match GpuContext::shared() {
        Ok(c) => Some(c),
        Err(e) => {
            assert!(
                std::env::var("GPURAD_REQUIRE_GPU").as_deref() != Ok("1"),
                "GPURAD_REQUIRE_GPU=1 but no GPU: {e}"
            );
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}

/// Every class with the direction sets PyRadiomics settings can give: distances 1 and
/// {1, 2}, 3D and in-plane, gldm_a 0 and 1.
fn requests(img: &GreyImage) -> Vec<Request> {
    let mut out = Vec::new();
    for distances in [&[1usize][..], &[1, 2]] {
        for force2d in [None, Some(0)] {
            let a = generate(img.size, distances, force2d);
            out.push(Request::Glcm(a.clone()));
            out.push(Request::Gldm(a.clone(), 0.0));
            out.push(Request::Gldm(a.clone(), 1.0));
            out.push(Request::Ngtdm(a.clone()));
            if distances.len() == 1 {
                out.push(Request::Glrlm(a.clone()));
                out.push(Request::Glszm(a));
            }
        }
    }
    out
}

/// Builds all requests of all images in one GPU submission and compares each with the CPU.
fn assert_identical(ctx: &GpuContext, images: &[(String, GreyImage)]) -> usize {
    let reqs: Vec<Vec<Request>> = images.iter().map(|(_, img)| requests(img)).collect();
    let jobs: Vec<(&GreyImage, &[Request])> = images
        .iter()
        .zip(&reqs)
        .map(|((_, img), r)| (img, r.as_slice()))
        .collect();
    let built = ctx
        .build_batch(&jobs)
        .unwrap_or_else(|e| panic!("GPU batch failed: {e}"));
    let mut n = 0;
    for (((label, img), reqs), mats) in images.iter().zip(&reqs).zip(built) {
        for (req, m) in reqs.iter().zip(mats) {
            assert!(
                m == build_cpu(img, req),
                "{label}: GPU and CPU differ for {req:?}"
            );
            n += 1;
        }
    }
    n
}

/// A deterministic pseudo-random generator (tests must be repeatable).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as u32
    }
}

fn random_image(size: [usize; 3], ng: u32, fill_percent: u32, seed: u64) -> GreyImage {
    let mut r = Lcg(seed);
    let n = size.iter().product();
    let mut levels: Vec<u32> = (0..n)
        .map(|_| {
            if r.next(100) < fill_percent {
                1 + r.next(ng)
            } else {
                0
            }
        })
        .collect();
    if levels.iter().all(|&l| l == 0) {
        levels[0] = 1;
    }
    let ng = *levels.iter().max().unwrap();
    GreyImage {
        size,
        spacing: [0.7, 0.7, 4.0],
        levels,
        ng,
    }
}

#[test]
fn randomized_volumes() {
    let Some(ctx) = gpu() else { return };
    let cases: Vec<(String, GreyImage)> = vec![
        ("one voxel".into(), random_image([1, 1, 1], 1, 100, 1)),
        (
            "single grey level".into(),
            random_image([9, 8, 7], 1, 100, 2),
        ),
        ("odd box 7x5x3".into(), random_image([7, 5, 3], 6, 100, 3)),
        (
            "flat 13x1x9 with holes".into(),
            random_image([13, 1, 9], 5, 60, 4),
        ),
        (
            "one slice 31x17x1".into(),
            random_image([31, 17, 1], 12, 80, 5),
        ),
        ("sparse 31x17x5".into(), random_image([31, 17, 5], 8, 15, 6)),
        (
            "dense 24x20x16, 32 levels".into(),
            random_image([24, 20, 16], 32, 95, 7),
        ),
        (
            "many levels 9x9x9, 400".into(),
            random_image([9, 9, 9], 400, 90, 8),
        ),
    ];
    let n = assert_identical(ctx, &cases);
    println!(
        "{n} random-volume matrices identical on {}",
        ctx.adapter_name()
    );
}

#[test]
fn ibsi_phantom_and_pyradiomics_cases() {
    let Some(ctx) = gpu() else { return };
    let (ph_img, ph_mask) = ibsi_phantom();
    let mut images = Vec::new();
    for setting in ["binWidth:1", "binWidth:25"] {
        let mut p = Params::default();
        p.settings.apply_override(setting).unwrap();
        let img = case_grey_image(&ph_img, &ph_mask, &p).unwrap();
        images.push((format!("IBSI phantom {setting}"), img));
    }
    for case in available_cases(&PYRADIOMICS_CASES) {
        let (img, mask) = pyradiomics_case(case);
        for overrides in [
            vec![],
            vec!["normalize:true", "normalizeScale:100", "binWidth:5"],
        ] {
            let mut p = Params::default();
            for o in &overrides {
                p.settings.apply_override(o).unwrap();
            }
            let g = case_grey_image(&img, &mask, &p).unwrap();
            images.push((format!("{case} {overrides:?}"), g));
        }
    }
    let n = assert_identical(ctx, &images);
    println!(
        "{n} matrices identical over {} images on {}",
        images.len(),
        ctx.adapter_name()
    );
}

#[test]
fn device_gpu_and_cpu_give_identical_feature_rows() {
    let Some(ctx) = gpu() else { return };
    for case in available_cases(&PYRADIOMICS_CASES) {
        let (img, mask) = pyradiomics_case(case);
        let p = Params::default();
        let cpu = extract_case_on(&img, &mask, &p, DeviceChoice::Cpu).unwrap();
        let gpu = extract_case_on(&img, &mask, &p, DeviceChoice::Gpu).unwrap();
        let device = gpu.iter().find(|(k, _)| k == "diagnostics_Device").unwrap();
        assert_eq!(
            device.1,
            Value::Text(format!("gpu ({})", ctx.adapter_name())),
            "{case}"
        );
        let strip = |r: &[(String, Value)]| -> Vec<(String, Value)> {
            r.iter()
                .filter(|(k, _)| k != "diagnostics_Device")
                .cloned()
                .collect()
        };
        assert_eq!(strip(&cpu), strip(&gpu), "{case}: rows differ");
        assert!(
            cpu.iter()
                .filter(|(k, _)| k.starts_with("original_"))
                .count()
                >= 107
        );
    }
}

#[test]
fn device_gpu_and_cpu_give_identical_rows_on_filtered_images() {
    let Some(_) = gpu() else { return };
    let p = Params::from_yaml(
        "imageType:\n  Original: {}\n  Square: {}\n  Logarithm: {}\n  Wavelet: {wavelet: haar, binWidth: 10}\n  \
         LoG: {sigma: [1.0, 3]}\n  Gradient: {binWidth: 5}\n  LBP2D: {binWidth: 1}\n  \
         LBP3D: {binWidth: 0.5}\n",
    )
    .unwrap();
    for case in ["breast1", "brain2"] {
        let (img, mask) = pyradiomics_case(case);
        let cpu = extract_case_on(&img, &mask, &p, DeviceChoice::Cpu).unwrap();
        let gpu = extract_case_on(&img, &mask, &p, DeviceChoice::Gpu).unwrap();
        let strip = |r: &[(String, Value)]| -> Vec<(String, Value)> {
            r.iter()
                .filter(|(k, _)| k != "diagnostics_Device")
                .cloned()
                .collect()
        };
        assert_eq!(strip(&cpu), strip(&gpu), "{case}: rows differ");
        let wavelet = cpu
            .iter()
            .filter(|(k, _)| k.starts_with("wavelet-"))
            .count();
        assert_eq!(wavelet, 8 * 93, "{case}: 8 sub-bands of 93 features");
        for prefix in [
            "log-sigma-1-0-mm-3D_",
            "log-sigma-3-mm-3D_",
            "gradient_",
            "lbp-2D_",
        ] {
            let n = cpu.iter().filter(|(k, _)| k.starts_with(prefix)).count();
            assert_eq!(n, 93, "{case}: {prefix}");
        }
    }
}

#[test]
fn over_the_device_limit_falls_back_to_cpu_with_a_reason() {
    let Some(ctx) = gpu() else { return };
    // 4096 grey levels: the 13-direction GLCM needs 13 · 4096² · 4 bytes = 832 MiB.
    let mut img = random_image([6, 6, 6], 4096, 100, 9);
    img.levels[0] = 4096;
    img.ng = 4096;
    let reqs = vec![Request::Glcm(generate(img.size, &[1], None))];
    if (13u64 * 4096 * 4096 * 4) <= ctx.max_binding_bytes() {
        eprintln!(
            "device binds {} bytes: the GLCM fits, nothing to fall back from",
            ctx.max_binding_bytes()
        );
        return;
    }
    let err = ctx.build_batch(&[(&img, &reqs)]).unwrap_err();
    assert!(err.contains("MiB"), "{err}");
    let (mats, used) = build_batch(&[(&img, &reqs)], DeviceChoice::Gpu);
    assert!(
        used.starts_with("cpu (GPU") && used.contains("MiB"),
        "{used}"
    );
    assert!(mats[0][0] == build_cpu(&img, &reqs[0]));
}

#[test]
fn every_level_packing_width() {
    // Levels go to the GPU four to a word (Ng ≤ 255), two to a word (Ng ≤ 65535) or one
    // (above): check both sides of each boundary, with boxes whose voxel count is not a
    // multiple of four.
    let Some(ctx) = gpu() else { return };
    for (ng, seed) in [(255u32, 21u64), (256, 22), (65535, 23), (65536, 24)] {
        let mut img = random_image([7, 5, 3], ng, 90, seed);
        img.levels[4] = ng;
        img.levels[5] = ng;
        img.ng = ng;
        let a = generate(img.size, &[1], None);
        let mut reqs = vec![
            Request::Glrlm(a.clone()),
            Request::Gldm(a.clone(), 0.0),
            Request::Ngtdm(a.clone()),
        ];
        if ng <= 256 {
            reqs.push(Request::Glcm(a));
        }
        let built = ctx
            .build_batch(&[(&img, &reqs)])
            .unwrap_or_else(|e| panic!("Ng {ng}: GPU batch failed: {e}"));
        for (req, m) in reqs.iter().zip(&built[0]) {
            assert!(
                *m == build_cpu(&img, req),
                "Ng {ng}: GPU and CPU differ for {req:?}"
            );
        }
    }
}

/// Under IBSI names the texture matrices of every aggregation (the ROI's image for 3D and
/// 2.5D, each slice for 2D) are built in one batch on the GPU: rows equal the CPU's, bit for
/// bit, in the 3D and the 2D/2.5D aggregations.
#[test]
fn device_gpu_and_cpu_give_identical_rows_under_ibsi_names() {
    let Some(ctx) = gpu() else { return };
    let (phantom_image, phantom_mask) = ibsi_phantom();
    let (breast_image, breast_mask) = pyradiomics_case("breast1");
    for force2d in [false, true] {
        let mut p = Params::from_yaml("setting:\n  featureNames: ibsi\n  binWidth: 1\n").unwrap();
        p.settings
            .apply_override(&format!("force2D:{force2d}"))
            .unwrap();
        for (image, mask) in [
            (&phantom_image, &phantom_mask),
            (&breast_image, &breast_mask),
        ] {
            let cpu = extract_case_on(image, mask, &p, DeviceChoice::Cpu).unwrap();
            let gpu = extract_case_on(image, mask, &p, DeviceChoice::Gpu).unwrap();
            let device = gpu.iter().find(|(k, _)| k == "diagnostics_Device").unwrap();
            assert_eq!(
                device.1,
                Value::Text(format!("gpu ({})", ctx.adapter_name()))
            );
            let strip = |r: &[(String, Value)]| -> Vec<(String, Value)> {
                r.iter()
                    .filter(|(k, _)| k != "diagnostics_Device")
                    .cloned()
                    .collect()
            };
            assert_eq!(strip(&cpu), strip(&gpu), "force2D {force2d}: rows differ");
            let suffix = if force2d { "_BTW3" } else { "_ITBB" };
            assert!(cpu.iter().any(|(k, _)| k.ends_with(suffix)));
        }
    }
}
