//! GPU texture-matrix engine: WGSL compute shaders (`shaders/texture.wgsl`) run through wgpu
//! (Vulkan, Metal, DX12 or GL), with exact integer counts so that every matrix equals the
//! CPU reference ([`super::build_cpu`]).
//!
//! One [`GpuContext`] is created per process ([`GpuContext::shared`]): instance, adapter,
//! device, queue and the compiled pipelines. A batch of images (the sequences of a patient, or
//! several patients) with their requested matrices goes to the GPU in one submission and is
//! read back once. GLSZM (connected components) is built on the CPU.

mod context;

pub use context::{BatchProfile, GpuContext, ADAPTER_ENV};

use super::{build_cpu_all, GreyImage, Matrix, Request};

/// Where texture matrices are built (`--device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The GPU when a hardware adapter exists and some ROI box of the batch holds at least
    /// [`AUTO_GPU_MIN_VOXELS`] voxels, else the CPU (a software adapter such as Mesa's
    /// lavapipe is slower than the CPU path, and so is a GPU round trip for a small ROI).
    #[default]
    Auto,
    /// The GPU, software adapters included; an error when no adapter exists.
    Gpu,
    /// The CPU reference builders.
    Cpu,
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "gpu" => Ok(Self::Gpu),
            "cpu" => Ok(Self::Cpu),
            o => Err(format!("unknown device '{o}' (use auto, gpu or cpu)")),
        }
    }
}

/// Smallest ROI bounding box (voxels) that `--device auto` sends to the GPU. Below it the
/// CPU builds the matrices faster than a GPU submission and read-back take: on an H100 with
/// 16 workers, a cohort of ~3,000-voxel ROIs ran 1.4× slower on the GPU than on the CPU,
/// while from 32³ voxels up the GPU builds each class faster than the 16-thread CPU path.
pub const AUTO_GPU_MIN_VOXELS: usize = 32 * 32 * 32;

/// Receiver of the one-line notice that says, the first time a batch asks for the GPU, which
/// device builds the texture matrices ([`set_notice`]).
static NOTICE: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();
static NOTICED: std::sync::Once = std::sync::Once::new();

/// Installs the receiver of the device notice (the command-line tool prints it on standard
/// error). Without one, the library says nothing.
pub fn set_notice(receiver: fn(&str)) {
    let _ = NOTICE.set(receiver);
}

/// Sends the device notice once per process, when a receiver is installed.
fn notice(message: impl FnOnce() -> String) {
    if let Some(receiver) = NOTICE.get() {
        NOTICED.call_once(|| receiver(&message()));
    }
}

/// Builds the requested matrices of each image: on the GPU when `choice` allows and the
/// context works, else on the CPU. Returns the matrices and a description of the device used
/// (for `diagnostics_Device`), which names the reason whenever the GPU was wanted but not used.
pub fn build_batch(
    jobs: &[(&GreyImage, &[Request])],
    choice: DeviceChoice,
) -> (Vec<Vec<Matrix>>, String) {
    let cpu = || {
        jobs.iter()
            .map(|(img, reqs)| build_cpu_all(img, reqs))
            .collect()
    };
    if choice == DeviceChoice::Cpu {
        return (cpu(), "cpu".into());
    }
    let ctx = match GpuContext::shared() {
        Ok(c) => c,
        Err(e) => {
            notice(|| format!("no usable GPU ({e}); texture matrices on the CPU"));
            return (cpu(), format!("cpu (no GPU: {e})"));
        }
    };
    notice(|| {
        match choice {
        DeviceChoice::Auto if ctx.is_software() => format!(
            "only a software GPU adapter ({}); texture matrices on the CPU (--device gpu uses it anyway)",
            ctx.adapter_name()
        ),
        DeviceChoice::Auto => format!(
            "texture matrices on GPU {} for ROI boxes of {AUTO_GPU_MIN_VOXELS} voxels or more, else on the CPU",
            ctx.adapter_name()
        ),
        _ => format!("texture matrices on GPU {}", ctx.adapter_name()),
    }
    });
    if choice == DeviceChoice::Auto && ctx.is_software() {
        return (
            cpu(),
            format!("cpu (only a software GPU adapter: {})", ctx.adapter_name()),
        );
    }
    let largest = jobs
        .iter()
        .map(|(img, _)| img.levels.len())
        .max()
        .unwrap_or(0);
    if choice == DeviceChoice::Auto && largest < AUTO_GPU_MIN_VOXELS {
        return (
            cpu(),
            format!(
                "cpu (ROI box of {largest} voxels, below the {AUTO_GPU_MIN_VOXELS} voxels that --device auto sends to the GPU)"
            ),
        );
    }
    match ctx.build_batch(jobs) {
        Ok(m) => (m, format!("gpu ({})", ctx.adapter_name())),
        Err(e) => (
            cpu(),
            format!("cpu (GPU {} failed: {e})", ctx.adapter_name()),
        ),
    }
}
