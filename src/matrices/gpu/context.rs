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
    /// log2 of the grey levels packed in one word of the level buffer (see [`pack_levels`]).
    level_shift: u32,
    pad: [u32; 3],
}

/// Which shader entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Gldm = 0,
    Ngtdm = 1,
    /// GLCM with few grey levels, counted in workgroup memory first (Ng² ≤ `LOCAL_BINS`).
    GlcmLocal = 2,
    /// GLRLM walked line by line, short runs counted in workgroup memory first.
    GlrlmLines = 3,
    /// GLCM, one invocation per voxel for all directions, global counters.
    GlcmVoxel = 4,
}

/// Entry points of `texture.wgsl`, in the order of [`Kernel`].
const ENTRY_POINTS: [&str; 5] = ["gldm", "ngtdm", "glcm_local", "glrlm_lines", "glcm_voxel"];

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
/// Most workgroups of a privatised kernel over all directions (see `grid_stride_groups`);
/// on an H100, 8192 beat 512 and 2048 at 128³ and 256³ voxels.
const TARGET_WORKGROUPS: u64 = 8192;
/// Copies of the Ng² bins that must fit in workgroup memory for the privatised GLCM kernel:
/// with fewer copies (more grey levels), invocations wait on each other's counters and the
/// one-invocation-per-voxel kernel is faster (measured on an H100 at Ng 16 and 64).
const GLCM_LOCAL_COPIES: u64 = 8;

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
    /// Host-visible upload buffers, mapped and ready to be written: grey levels are packed
    /// straight into them (no intermediate copy, no per-case staging allocation).
    uploads: Mutex<Vec<wgpu::Buffer>>,
    pipelines: Vec<wgpu::ComputePipeline>,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    /// Message of an uncaptured device error, if one happened.
    fault: Arc<Mutex<Option<String>>>,
    /// Whether compute passes can write timestamps.
    timestamps: bool,
    /// Kernel choices forced by `GPURAD_GLCM_KERNEL` / `GPURAD_GLRLM_KERNEL` (benchmarking).
    forced: Forced,
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
        // Pass timestamps, where the adapter has them, for `gpurad bench --profile`.
        let features = adapter.features() & wgpu::Features::TIMESTAMP_QUERY;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gpurad"),
            required_limits: limits.clone(),
            required_features: features,
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
        let pipelines = ENTRY_POINTS
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
            uploads: Mutex::new(Vec::new()),
            pipelines,
            info,
            limits,
            fault,
            timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
            forced: Forced::from_env(),
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
        return_to_pool(&self.pool, buffers, POOL_BYTES);
    }

    /// A mapped host-visible buffer of at least `bytes` for uploading, from the pool or new.
    fn take_upload(&self, bytes: u64) -> Result<wgpu::Buffer, String> {
        let size = bytes.max(16).next_power_of_two();
        if size > self.limits.max_buffer_size {
            return Err(format!(
                "an upload of {} MiB is above the device's {} MiB per buffer",
                bytes >> 20,
                self.limits.max_buffer_size >> 20
            ));
        }
        {
            let mut pool = self.uploads.lock().expect("upload pool lock");
            if let Some(i) = pool.iter().position(|b| b.size() == size) {
                return Ok(pool.swap_remove(i));
            }
        }
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gpurad upload"),
            size,
            usage: wgpu::BufferUsages::MAP_WRITE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: true,
        }))
    }

    /// Returns mapped upload buffers to their pool, which keeps at most `POOL_BYTES / 4`.
    fn give_uploads(&self, buffers: impl Iterator<Item = wgpu::Buffer>) {
        return_to_pool(&self.uploads, buffers, POOL_BYTES / 4);
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
        self.build_batch_profiled(jobs, false).map(|(m, _)| m)
    }

    /// [`GpuContext::build_batch`], also returning where the time went; with `timestamps`
    /// (and an adapter that has them) each compute pass is timed on the GPU.
    pub fn build_batch_profiled(
        &self,
        jobs: &[(&GreyImage, &[Request])],
        timestamps: bool,
    ) -> Result<(Vec<Vec<Matrix>>, BatchProfile), String> {
        struct Pending {
            kernel: Kernel,
            offset: u64,
            words: u64,
        }
        let t0 = std::time::Instant::now();
        let mut profile = BatchProfile::default();
        let max = self.max_binding_bytes();
        let mut encoder = self.device.create_command_encoder(&Default::default());
        let mut keep: Vec<wgpu::Buffer> = Vec::new();
        let mut used: Vec<wgpu::Buffer> = Vec::new();
        let mut plan: Vec<Vec<Option<Pending>>> = Vec::new();
        let mut copies: Vec<(usize, u64, u64)> = Vec::new(); // (buffer index, dst offset, bytes)
        let mut total: u64 = 0;
        let n_passes: usize = jobs.iter().map(|(_, r)| r.len()).sum();
        let queries = (timestamps && self.timestamps && n_passes > 0).then(|| {
            self.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("pass times"),
                ty: wgpu::QueryType::Timestamp,
                count: 2 * n_passes as u32,
            })
        });
        let mut n_timed = 0u32;
        let mut uploads: Vec<wgpu::Buffer> = Vec::new();
        for (img, reqs) in jobs {
            let n_vox = img.levels.len() as u64;
            if n_vox >= u32::MAX as u64 {
                return Err(format!(
                    "ROI box of {n_vox} voxels is too large for 32-bit indexing"
                ));
            }
            let level_shift = level_shift(img.ng);
            let levels_bytes = packed_bytes(img.levels.len(), level_shift);
            if levels_bytes > max {
                return Err(format!(
                    "ROI box of {n_vox} voxels needs {} MiB, above the device's {} MiB per buffer",
                    levels_bytes >> 20,
                    max >> 20
                ));
            }
            let staged = self.take_upload(levels_bytes)?;
            {
                let mut view = staged
                    .slice(..levels_bytes)
                    .get_mapped_range_mut()
                    .map_err(|e| format!("cannot write the upload buffer: {e}"))?;
                pack_levels(&img.levels, level_shift, view.slice(..));
            }
            staged.unmap();
            let levels = self.take(
                wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                levels_bytes,
            );
            encoder.copy_buffer_to_buffer(&staged, 0, &levels, 0, levels_bytes);
            uploads.push(staged);
            profile.upload_bytes += levels_bytes;
            let mut row = Vec::new();
            for req in reqs.iter() {
                let ng = img.ng as u64;
                let nr = glrlm_nr(img) as u64;
                let (kernel, angles, alpha, words) = match req {
                    Request::Glcm(a) => (self.glcm_kernel(ng), a, 0, a.len() as u64 * ng * ng),
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
                    level_shift,
                    pad: [0; 3],
                };
                let uniform = self.upload(wgpu::BufferUsages::UNIFORM, bytemuck::bytes_of(&params));
                let mut packed: Vec<[i32; 4]> = angles
                    .iter()
                    .map(|o: &Offset| [o[0], o[1], o[2], 0])
                    .collect();
                // GLRLM by lines: each direction's line count in the angle's w component and
                // its start faces (`line_start` in the shader).
                let mut starts: Vec<u32> = Vec::new();
                let mut widest = 0u64;
                if let Kernel::GlrlmLines = kernel {
                    for (a, &off) in angles.iter().enumerate() {
                        let faces = glrlm::line_faces(img.size, off);
                        let mut before = 0usize;
                        for f in 0..3 {
                            let face = faces.get(f).copied();
                            let n = face.map_or(0, |f| f.len());
                            let (o, e) = face.map_or(([0; 3], [0; 3]), |f| (f.origin, f.extent));
                            starts.extend(
                                [o[0], o[1], o[2], before, e[0], e[1], e[2], n].map(|v| v as u32),
                            );
                            before += n;
                        }
                        packed[a][3] = before as i32;
                        widest = widest.max(before as u64);
                    }
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
                profile.upload_bytes += starts_bytes + angle_bytes;
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
                        Kernel::GlcmLocal => (
                            self.grid_stride_groups(n_vox, angles.len() as u64)
                                .min(max_dim),
                            1,
                        ),
                        Kernel::GlrlmLines => {
                            (widest.div_ceil(LINES_PER_WORKGROUP).clamp(1, max_dim), 1)
                        }
                        _ => grid_2d(n_vox, max_dim),
                    };
                    let timestamp_writes =
                        queries.as_ref().map(|q| wgpu::ComputePassTimestampWrites {
                            query_set: q,
                            beginning_of_pass_write_index: Some(2 * n_timed),
                            end_of_pass_write_index: Some(2 * n_timed + 1),
                        });
                    if queries.is_some() {
                        n_timed += 1;
                    }
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: None,
                        timestamp_writes,
                    });
                    pass.set_pipeline(&self.pipelines[kernel as usize]);
                    pass.set_bind_group(0, &bind, &[]);
                    // The privatised kernels: one grid layer per direction.
                    let gz = match kernel {
                        Kernel::GlcmLocal | Kernel::GlrlmLines => angles.len() as u32,
                        _ => 1,
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
        // Pass timestamps go after the matrices in the read-back.
        let stamps_at = total.next_multiple_of(8);
        let stamps_bytes = 8 * 2 * n_timed as u64;
        let read_bytes = (stamps_at + stamps_bytes).max(4);
        let staging = self.take(
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            read_bytes,
        );
        for &(b, dst, bytes) in &copies {
            encoder.copy_buffer_to_buffer(&keep[b], 0, &staging, dst, bytes);
        }
        if let (Some(q), true) = (&queries, n_timed > 0) {
            let resolved = self.take(
                wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                stamps_bytes,
            );
            encoder.resolve_query_set(q, 0..2 * n_timed, &resolved, 0);
            encoder.copy_buffer_to_buffer(&resolved, 0, &staging, stamps_at, stamps_bytes);
            used.push(resolved);
        }
        profile.read_bytes = total;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        profile.encode_seconds = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        self.queue.submit([encoder.finish()]);
        let slice = staging.slice(..read_bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        // The upload buffers are mapped again for the next batch once this one is done.
        let remapped: Vec<Arc<std::sync::atomic::AtomicBool>> = uploads
            .iter()
            .map(|b| {
                let ok = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let flag = ok.clone();
                b.slice(..).map_async(wgpu::MapMode::Write, move |r| {
                    flag.store(r.is_ok(), std::sync::atomic::Ordering::Release);
                });
                ok
            })
            .collect();
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("device poll failed: {e}"))?;
        self.give_uploads(
            uploads
                .into_iter()
                .zip(remapped)
                .filter(|(_, ok)| ok.load(std::sync::atomic::Ordering::Acquire))
                .map(|(b, _)| b),
        );
        profile.wait_seconds = t1.elapsed().as_secs_f64();
        let t2 = std::time::Instant::now();
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("out of GPU memory: {e}"));
        }
        if let Some(e) = self.take_fault() {
            return Err(e);
        }
        rx.recv()
            .map_err(|_| "read-back was cancelled".to_string())?
            .map_err(|e| format!("read-back failed: {e}"))?;
        let matrices = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| format!("read-back failed: {e}"))?;
            let words: &[u32] = bytemuck::cast_slice(&view[..total as usize]);
            if n_timed > 0 {
                let stamps: &[u64] = bytemuck::cast_slice(
                    &view[stamps_at as usize..(stamps_at + stamps_bytes) as usize],
                );
                let period = self.queue.get_timestamp_period() as f64 * 1e-9;
                profile.kernel_seconds = Some(
                    stamps
                        .chunks_exact(2)
                        .map(|p| p[1].saturating_sub(p[0]) as f64 * period)
                        .sum(),
                );
            }
            jobs.iter()
                .zip(plan)
                .map(|((img, reqs), row)| {
                    reqs.iter()
                        .zip(row)
                        .map(|(req, p)| match p {
                            None => crate::matrices::build_cpu(img, req),
                            Some(p) => {
                                let o = (p.offset / 4) as usize;
                                assemble(img, req, p.kernel, &words[o..o + p.words as usize])
                            }
                        })
                        .collect()
                })
                .collect()
        };
        staging.unmap();
        used.push(staging);
        used.extend(keep);
        self.give(used);
        profile.read_seconds = t2.elapsed().as_secs_f64();
        Ok((matrices, profile))
    }

    /// Workgroups per direction of the grid-stride kernels (which add a workgroup histogram
    /// to the global matrix once per workgroup): one per `VOXELS_PER_WORKGROUP` voxels, but
    /// no more than about `TARGET_WORKGROUPS` over all directions, so that large boxes do not
    /// pay for many more histogram flushes than the device can run at once.
    fn grid_stride_groups(&self, n_vox: u64, n_dirs: u64) -> u64 {
        let cap = (self.forced.workgroups / n_dirs.max(1)).max(1);
        n_vox.div_ceil(VOXELS_PER_WORKGROUP).clamp(1, cap)
    }

    /// The GLCM kernel for `ng` grey levels: workgroup-memory histograms where at least
    /// `GLCM_LOCAL_COPIES` copies of the Ng² bins fit (few grey levels make invocations collide
    /// on the same counters), else one invocation per voxel for all directions with global
    /// counters. `GPURAD_GLCM_KERNEL` may force either where it applies.
    fn glcm_kernel(&self, ng: u64) -> Kernel {
        let local_fits = ng * ng <= LOCAL_BINS;
        match self.forced.glcm {
            Some(Kernel::GlcmLocal) if local_fits => Kernel::GlcmLocal,
            Some(Kernel::GlcmVoxel) => Kernel::GlcmVoxel,
            _ if ng * ng * GLCM_LOCAL_COPIES <= LOCAL_BINS => Kernel::GlcmLocal,
            _ => Kernel::GlcmVoxel,
        }
    }
}

/// Where the time of one [`GpuContext::build_batch_profiled`] call went.
#[derive(Debug, Clone, Default)]
pub struct BatchProfile {
    /// Packing and queueing the uploads, recording the commands (host).
    pub encode_seconds: f64,
    /// Submission until the results are ready to map: transfers and kernels.
    pub wait_seconds: f64,
    /// Mapping the read-back and turning it into matrices (host).
    pub read_seconds: f64,
    /// Sum of the compute passes' GPU times, when timestamps were asked for and exist.
    pub kernel_seconds: Option<f64>,
    /// Bytes uploaded (packed grey levels, directions, line starts).
    pub upload_bytes: u64,
    /// Bytes of matrices read back.
    pub read_bytes: u64,
}

/// Kernel settings taken from the environment, to compare kernels with `gpurad bench` on a
/// given GPU: `GPURAD_GLCM_KERNEL` = voxel | local, `GPURAD_WORKGROUPS` (the cap on the
/// privatised GLCM kernel's workgroups over all directions). Results are identical whichever
/// runs.
#[derive(Debug, Clone)]
struct Forced {
    glcm: Option<Kernel>,
    workgroups: u64,
}

impl Forced {
    fn from_env() -> Forced {
        let var = |k: &str| std::env::var(k).ok();
        Forced {
            glcm: var("GPURAD_GLCM_KERNEL").and_then(|v| match v.as_str() {
                "voxel" => Some(Kernel::GlcmVoxel),
                "local" => Some(Kernel::GlcmLocal),
                _ => None,
            }),
            workgroups: var("GPURAD_WORKGROUPS")
                .and_then(|v| v.parse().ok())
                .filter(|&v: &u64| v >= 1)
                .unwrap_or(TARGET_WORKGROUPS),
        }
    }
}

/// Adds `buffers` to `pool`, then drops the oldest until the pool holds at most `max_bytes`.
fn return_to_pool(
    pool: &Mutex<Vec<wgpu::Buffer>>,
    buffers: impl IntoIterator<Item = wgpu::Buffer>,
    max_bytes: u64,
) {
    let mut pool = pool.lock().expect("buffer pool lock");
    pool.extend(buffers);
    let mut total: u64 = pool.iter().map(|b| b.size()).sum();
    while total > max_bytes && !pool.is_empty() {
        total -= pool.remove(0).size();
    }
}

/// log2 of the grey levels packed per 32-bit word for `ng` levels: four 8-bit levels when
/// Ng ≤ 255, two 16-bit levels when Ng ≤ 65535, else one (level 0, outside the ROI, stays 0).
fn level_shift(ng: u32) -> u32 {
    if ng <= 0xff {
        2
    } else if ng <= 0xffff {
        1
    } else {
        0
    }
}

/// Bytes of `n` packed levels: a whole number of words, at least one.
fn packed_bytes(n: usize, shift: u32) -> u64 {
    ((n * (4 >> shift)).next_multiple_of(4).max(4)) as u64
}

/// A write-only view of mapped bytes that may move to another thread.
struct Exclusive<'a>(wgpu::WriteOnly<'a, [u8]>);

// SAFETY: `WriteOnly<[u8]>` is exclusive, write-only access to plain bytes, like `&mut [u8]`,
// which is `Send`; wgpu implements `Send` for `WriteOnly<T>` only where `T` is sized.
unsafe impl Send for Exclusive<'_> {}

/// Packs grey levels little-endian, `4 >> shift` bytes each, into `out` (in parallel chunks;
/// the tail of `out` past the levels is zeroed).
fn pack_levels(levels: &[u32], shift: u32, out: wgpu::WriteOnly<'_, [u8]>) {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 14;
    let width = 4usize >> shift;
    let mut parts = Vec::with_capacity(levels.len().div_ceil(CHUNK) + 1);
    let mut rest = out;
    for chunk in levels.chunks(CHUNK) {
        let (head, tail) = rest.split_at(chunk.len() * width);
        parts.push((chunk, Exclusive(head)));
        rest = tail;
    }
    let mut tail = rest;
    tail.fill(0);
    parts.into_par_iter().for_each(|(src, dst)| {
        let mut dst = dst.0;
        let mut tmp = [0u8; CHUNK * 4];
        let tmp = &mut tmp[..src.len() * width];
        match width {
            1 => tmp.iter_mut().zip(src).for_each(|(d, &l)| *d = l as u8),
            2 => tmp
                .chunks_exact_mut(2)
                .zip(src)
                .for_each(|(d, &l)| d.copy_from_slice(&(l as u16).to_le_bytes())),
            _ => tmp
                .chunks_exact_mut(4)
                .zip(src)
                .for_each(|(d, &l)| d.copy_from_slice(&l.to_le_bytes())),
        }
        dst.copy_from_slice(tmp);
    });
}

/// A dispatch grid of (x, y) workgroups of `WORKGROUP` invocations covering `n` items
/// (`voxel_index` in the shader flattens it).
fn grid_2d(n: u64, max_dim: u64) -> (u64, u64) {
    let groups = n.div_ceil(WORKGROUP as u64).max(1);
    let gx = groups.min(max_dim);
    (gx, groups.div_ceil(gx))
}

/// Longest possible run in a box (as the CPU GLRLM).
fn glrlm_nr(img: &GreyImage) -> usize {
    img.size.iter().copied().max().unwrap_or(1)
}

/// Read-back 32-bit counts as the CPU path's 64-bit counts (in parallel for large matrices).
fn widen(data: &[u32]) -> Vec<u64> {
    use rayon::prelude::*;
    if data.len() < 1 << 16 {
        return data.iter().map(|&v| v as u64).collect();
    }
    let mut out = vec![0u64; data.len()];
    out.par_chunks_mut(1 << 15)
        .zip(data.par_chunks(1 << 15))
        .for_each(|(d, s)| d.iter_mut().zip(s).for_each(|(d, &s)| *d = s as u64));
    out
}

/// Turns read-back counts into the matrix types of the CPU path.
fn assemble(img: &GreyImage, req: &Request, kernel: Kernel, data: &[u32]) -> Matrix {
    let counts = || widen(data);
    let ng = img.ng as usize;
    match (kernel, req) {
        (Kernel::GlcmLocal | Kernel::GlcmVoxel, Request::Glcm(a)) => Matrix::Glcm(glcm::Glcm {
            ng,
            angles: a.clone(),
            counts: counts(),
        }),
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
