//! The process-wide GPU context and the batch dispatcher.

use std::sync::{Arc, Mutex, OnceLock};

use crate::matrices::angles::Offset;
use crate::matrices::{glcm, gldm, glrlm, ngtdm, GreyImage, Matrix, Request};

/// Environment variable that picks an adapter by (case-insensitive) name substring, e.g.
/// `GPURAD_ADAPTER=H100` on a machine with several GPUs.
pub const ADAPTER_ENV: &str = "GPURAD_ADAPTER";

const SHADER: &str = include_str!("../../../shaders/texture.wgsl");
const WORKGROUP: u32 = 64;

/// Uniform block of the shaders (`Params` in `texture.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    size: [u32; 3],
    n_angles: u32,
    ng: u32,
    nr: u32,
    alpha: u32,
    n_voxels: u32,
}

/// Which shader entry point.
#[derive(Clone, Copy)]
enum Kernel {
    Glcm = 0,
    Gldm = 1,
    Ngtdm = 2,
    /// GLCM counted in workgroup memory first (at most `LOCAL_BINS` = Ng² bins).
    GlcmLocal = 3,
    /// GLRLM walked line by line, short runs counted in workgroup memory first.
    GlrlmLines = 4,
    /// GLCM with the pairs near the diagonal counted in workgroup memory first.
    GlcmBand = 5,
}

/// Bins of the workgroup-memory histograms (`LOCAL_BINS` in `texture.wgsl`).
const LOCAL_BINS: u64 = 4096;
/// Lines walked by one workgroup of the GLRLM kernel (two per invocation).
const LINES_PER_WORKGROUP: u64 = 128;
/// Most bytes of buffers kept for reuse between batches.
const POOL_BYTES: u64 = 2 << 30;

/// Binds the first `bytes` of a (possibly larger, pooled) buffer.
fn part(buffer: &wgpu::Buffer, bytes: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer,
        offset: 0,
        size: std::num::NonZeroU64::new(bytes.max(4)),
    })
}

/// Voxels per workgroup and direction for the privatised kernels: enough to pay for adding
/// the workgroup's histogram to the global one.
const VOXELS_PER_WORKGROUP: u64 = 4096;

/// Adapter, device, queue and compiled pipelines, created once per process.
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    /// Bound as `starts` by the kernels that do not read it.
    no_starts: wgpu::Buffer,
    /// Buffers kept between batches for reuse: creating, zero-filling and first-touching
    /// large buffers for every case would cost more than the dispatches themselves.
    pool: Mutex<Vec<wgpu::Buffer>>,
    pipelines: Vec<wgpu::ComputePipeline>,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    /// Message of an uncaptured device error, if one happened.
    fault: Arc<Mutex<Option<String>>>,
    /// Seconds spent creating the context.
    pub init_seconds: f64,
}

static SHARED: OnceLock<Result<GpuContext, String>> = OnceLock::new();

fn storage(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl GpuContext {
    /// The process-wide context, created on first use (an error when no adapter works).
    pub fn shared() -> Result<&'static GpuContext, String> {
        SHARED
            .get_or_init(GpuContext::new)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Creates a context on the best adapter (or the one named by [`ADAPTER_ENV`]).
    pub fn new() -> Result<GpuContext, String> {
        let t0 = std::time::Instant::now();
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = match std::env::var(ADAPTER_ENV) {
            Ok(want) => {
                let adapters =
                    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
                let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
                adapters
                    .into_iter()
                    .find(|a| {
                        a.get_info()
                            .name
                            .to_lowercase()
                            .contains(&want.to_lowercase())
                    })
                    .ok_or_else(|| {
                        format!(
                            "no adapter matches {ADAPTER_ENV}={want} (found: {})",
                            names.join(", ")
                        )
                    })?
            }
            Err(_) => pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            }))
            .map_err(|e| format!("no GPU adapter: {e}"))?,
        };
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpurad"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| format!("cannot open device on '{}': {e}", info.name))?;
        let fault = Arc::new(Mutex::new(None));
        let sink = fault.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            *sink.lock().expect("fault lock") = Some(e.to_string());
        }));
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("texture.wgsl"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("texture"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                storage(1, true),
                storage(2, true),
                storage(3, false),
                storage(4, true),
            ],
        });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("texture"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        // In the order of `Kernel`.
        let pipelines = [
            "glcm",
            "gldm",
            "ngtdm",
            "glcm_local",
            "glrlm_lines",
            "glcm_band",
        ]
        .iter()
        .map(|entry| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pl),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })
        .collect();
        let no_starts = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("no starts"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let ctx = GpuContext {
            device,
            queue,
            layout,
            no_starts,
            pool: Mutex::new(Vec::new()),
            pipelines,
            info,
            limits,
            fault,
            init_seconds: 0.0,
        };
        if let Some(e) = ctx.take_fault() {
            return Err(format!("shader setup failed on '{}': {e}", ctx.info.name));
        }
        Ok(GpuContext {
            init_seconds: t0.elapsed().as_secs_f64(),
            ..ctx
        })
    }

    /// Adapter name and backend, e.g. `NVIDIA H100 80GB HBM3 (Vulkan)`.
    pub fn adapter_name(&self) -> String {
        format!("{} ({:?})", self.info.name, self.info.backend)
    }

    /// Whether the adapter is a software rasteriser on the CPU (Mesa's lavapipe/llvmpipe,
    /// WARP): correct, but slower than gpurad's own CPU path.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Largest storage buffer the device binds, in bytes.
    pub fn max_binding_bytes(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// A buffer of `usage` holding at least `bytes` (sizes are rounded up to a power of two so
    /// that buffers can be reused across cases), from the pool or new.
    fn take(&self, usage: wgpu::BufferUsages, bytes: u64) -> wgpu::Buffer {
        let size = bytes.max(16).next_power_of_two();
        let size = if size > self.limits.max_buffer_size {
            bytes.max(16).next_multiple_of(4)
        } else {
            size
        };
        {
            let mut pool = self.pool.lock().expect("pool lock");
            if let Some(i) = pool
                .iter()
                .position(|b| b.usage() == usage && b.size() == size)
            {
                return pool.swap_remove(i);
            }
        }
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpurad"),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Returns buffers to the pool, which keeps at most `POOL_BYTES` (the newest).
    fn give(&self, buffers: Vec<wgpu::Buffer>) {
        let mut pool = self.pool.lock().expect("pool lock");
        pool.extend(buffers);
        let mut total: u64 = pool.iter().map(|b| b.size()).sum();
        while total > POOL_BYTES && !pool.is_empty() {
            total -= pool.remove(0).size();
        }
    }

    /// A pooled buffer filled with `data` (written before the next submission's commands).
    fn upload(&self, usage: wgpu::BufferUsages, data: &[u8]) -> wgpu::Buffer {
        let b = self.take(usage | wgpu::BufferUsages::COPY_DST, data.len() as u64);
        self.queue.write_buffer(&b, 0, data);
        b
    }

    fn take_fault(&self) -> Option<String> {
        self.fault.lock().expect("fault lock").take()
    }

    /// Builds the requested matrices of every image in one submission and one read-back.
    /// An error (buffer over the device's limits, device lost, out of memory) leaves nothing
    /// half-done: the caller builds on the CPU instead.
    pub fn build_batch(
        &self,
        jobs: &[(&GreyImage, &[Request])],
    ) -> Result<Vec<Vec<Matrix>>, String> {
        struct Pending {
            kernel: Kernel,
            offset: u64,
            words: u64,
        }
        let max = self.max_binding_bytes();
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let mut keep: Vec<wgpu::Buffer> = Vec::new();
        let mut used: Vec<wgpu::Buffer> = Vec::new();
        let mut plan: Vec<Vec<Option<Pending>>> = Vec::new();
        let mut copies: Vec<(usize, u64, u64)> = Vec::new(); // (buffer index, dst offset, bytes)
        let mut total: u64 = 0;
        for (img, reqs) in jobs {
            let n_vox = img.levels.len() as u64;
            if n_vox * 4 > max {
                return Err(format!(
                    "ROI box of {n_vox} voxels needs {} MiB, above the device's {} MiB per buffer",
                    (n_vox * 4) >> 20,
                    max >> 20
                ));
            }
            if n_vox >= u32::MAX as u64 {
                return Err(format!(
                    "ROI box of {n_vox} voxels is too large for 32-bit indexing"
                ));
            }
            let levels_bytes = n_vox * 4;
            let levels = self.upload(
                wgpu::BufferUsages::STORAGE,
                bytemuck::cast_slice(&img.levels),
            );
            let mut row = Vec::new();
            for req in reqs.iter() {
                let ng = img.ng as u64;
                let nr = glrlm_nr(img) as u64;
                let (kernel, angles, alpha, words) = match req {
                    Request::Glcm(a) => {
                        // Band half-width that fits the workgroup histogram.
                        let band = (LOCAL_BINS / ng).saturating_sub(1) / 2;
                        let (k, w) = if ng * ng <= LOCAL_BINS {
                            (Kernel::GlcmLocal, 0)
                        } else if band >= 1 {
                            (Kernel::GlcmBand, band as u32)
                        } else {
                            (Kernel::Glcm, 0)
                        };
                        (k, a, w, a.len() as u64 * ng * ng)
                    }
                    Request::Glrlm(a) => (Kernel::GlrlmLines, a, 0, a.len() as u64 * ng * nr),
                    Request::Gldm(a, alpha) => (
                        Kernel::Gldm,
                        a,
                        alpha.max(0.0).floor().min(u32::MAX as f64) as u32,
                        (2 * a.len() as u64 + 1) * img.ng as u64,
                    ),
                    Request::Ngtdm(a) => (
                        Kernel::Ngtdm,
                        a,
                        0,
                        3 * (2 * a.len() as u64 + 1) * img.ng as u64,
                    ),
                    Request::Glszm(_) => {
                        row.push(None);
                        continue;
                    }
                };
                let bytes = words.max(1) * 4;
                if bytes > max {
                    return Err(format!(
                        "a {} MiB matrix is above the device's {} MiB per buffer (grey levels {}, directions {})",
                        bytes >> 20,
                        max >> 20,
                        img.ng,
                        angles.len()
                    ));
                }
                let params = Params {
                    size: [img.size[0] as u32, img.size[1] as u32, img.size[2] as u32],
                    n_angles: angles.len() as u32,
                    ng: img.ng,
                    nr: glrlm_nr(img) as u32,
                    alpha,
                    n_voxels: n_vox as u32,
                };
                let uniform = self.upload(wgpu::BufferUsages::UNIFORM, bytemuck::bytes_of(&params));
                let mut packed: Vec<[i32; 4]> = angles
                    .iter()
                    .map(|o: &Offset| [o[0], o[1], o[2], 0])
                    .collect();
                // GLRLM: each direction's start voxels, its range in the angle's w component
                // and a closing sentinel direction.
                let mut starts: Vec<u32> = Vec::new();
                let mut widest = 0u64;
                if let Kernel::GlrlmLines = kernel {
                    for (a, &off) in angles.iter().enumerate() {
                        packed[a][3] = starts.len() as i32;
                        let s = glrlm::line_starts(img.size, off);
                        widest = widest.max(s.len() as u64);
                        starts.extend(s);
                    }
                    packed.push([0, 0, 0, starts.len() as i32]);
                }
                let starts_buf = (!starts.is_empty()).then(|| {
                    self.upload(wgpu::BufferUsages::STORAGE, bytemuck::cast_slice(&starts))
                });
                let starts_bytes = starts.len() as u64 * 4;
                let packed = if packed.is_empty() {
                    vec![[0i32; 4]]
                } else {
                    packed
                };
                let angle_bytes = packed.len() as u64 * 16;
                let angle_buf =
                    self.upload(wgpu::BufferUsages::STORAGE, bytemuck::cast_slice(&packed));
                let counts = self.take(
                    wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    bytes,
                );
                encoder.clear_buffer(&counts, 0, Some(bytes));
                let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("texture"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: part(&uniform, std::mem::size_of::<Params>() as u64),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: part(&levels, levels_bytes),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: part(&angle_buf, angle_bytes),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: part(&counts, bytes),
                        },
                        wgpu::BindGroupEntry {
                            binding: 4,
                            resource: match &starts_buf {
                                Some(b) => part(b, starts_bytes),
                                None => self.no_starts.as_entire_binding(),
                            },
                        },
                    ],
                });
                if !angles.is_empty() || matches!(kernel, Kernel::Gldm | Kernel::Ngtdm) {
                    let max_dim = self.limits.max_compute_workgroups_per_dimension as u64;
                    let (gx, gy) = match kernel {
                        Kernel::GlcmLocal | Kernel::GlcmBand => {
                            (n_vox.div_ceil(VOXELS_PER_WORKGROUP).min(max_dim), 1)
                        }
                        Kernel::GlrlmLines => {
                            (widest.div_ceil(LINES_PER_WORKGROUP).clamp(1, max_dim), 1)
                        }
                        _ => {
                            let groups = n_vox.div_ceil(WORKGROUP as u64);
                            let gx = groups.min(max_dim);
                            (gx, groups.div_ceil(gx))
                        }
                    };
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&self.pipelines[kernel as usize]);
                    pass.set_bind_group(0, &bind, &[]);
                    // GLCM and GLRLM: one grid layer per direction.
                    let gz = match kernel {
                        Kernel::Glcm
                        | Kernel::GlcmLocal
                        | Kernel::GlcmBand
                        | Kernel::GlrlmLines => angles.len() as u32,
                        Kernel::Gldm | Kernel::Ngtdm => 1,
                    };
                    pass.dispatch_workgroups(gx as u32, gy as u32, gz);
                }
                used.extend([uniform, angle_buf]);
                used.extend(starts_buf);
                copies.push((keep.len(), total, bytes));
                row.push(Some(Pending {
                    kernel,
                    offset: total,
                    words,
                }));
                total += bytes;
                keep.push(counts);
            }
            plan.push(row);
            used.push(levels);
        }
        let staging = self.take(
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            total.max(4),
        );
        for &(b, dst, bytes) in &copies {
            encoder.copy_buffer_to_buffer(&keep[b], 0, &staging, dst, bytes);
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        self.queue.submit([encoder.finish()]);
        let slice = staging.slice(..total.max(4));
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("device poll failed: {e}"))?;
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("out of GPU memory: {e}"));
        }
        if let Some(e) = self.take_fault() {
            return Err(e);
        }
        rx.recv()
            .map_err(|_| "read-back was cancelled".to_string())?
            .map_err(|e| format!("read-back failed: {e}"))?;
        let words: Vec<u32> = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| format!("read-back failed: {e}"))?;
            bytemuck::cast_slice(&view).to_vec()
        };
        staging.unmap();
        used.push(staging);
        used.extend(keep);
        self.give(used);
        Ok(jobs
            .iter()
            .zip(plan)
            .map(|((img, reqs), row)| {
                reqs.iter()
                    .zip(row)
                    .map(|(req, p)| match p {
                        None => crate::matrices::build_cpu(img, req),
                        Some(p) => {
                            let o = (p.offset / 4) as usize;
                            let data = &words[o..o + p.words as usize];
                            assemble(img, req, p.kernel, data)
                        }
                    })
                    .collect()
            })
            .collect())
    }
}

/// Longest possible run in a box (as the CPU GLRLM).
fn glrlm_nr(img: &GreyImage) -> usize {
    img.size.iter().copied().max().unwrap_or(1)
}

/// Turns read-back counts into the matrix types of the CPU path.
fn assemble(img: &GreyImage, req: &Request, kernel: Kernel, data: &[u32]) -> Matrix {
    let counts = || data.iter().map(|&v| v as u64).collect::<Vec<u64>>();
    let ng = img.ng as usize;
    match (kernel, req) {
        (Kernel::Glcm | Kernel::GlcmLocal | Kernel::GlcmBand, Request::Glcm(a)) => {
            Matrix::Glcm(glcm::Glcm {
                ng,
                angles: a.clone(),
                counts: counts(),
            })
        }
        (Kernel::GlrlmLines, Request::Glrlm(a)) => {
            let mut m = glrlm::Glrlm {
                ng,
                nr: glrlm_nr(img),
                angles: a.clone(),
                counts: counts(),
            };
            glrlm::empty_flat_directions(img, &mut m);
            Matrix::Glrlm(m)
        }
        (Kernel::Gldm, Request::Gldm(a, _)) => Matrix::Gldm(gldm::Gldm {
            ng,
            nd: 2 * a.len() + 1,
            counts: counts(),
        }),
        (Kernel::Ngtdm, Request::Ngtdm(a)) => {
            let cells = data
                .chunks_exact(3)
                .map(|c| (c[0] as u64, c[1] as u64 | (c[2] as u64) << 32))
                .collect();
            Matrix::Ngtdm(ngtdm::from_table(&ngtdm::Table {
                ng,
                nc: 2 * a.len() + 1,
                cells,
            }))
        }
        _ => unreachable!("kernel matches its request"),
    }
}
