// Texture matrices of one discretised ROI (gpurad) on its bounding box: grey levels are
// 1..ng inside the ROI and 0 outside. GLCM (many grey levels), GLDM and NGTDM run one
// invocation per voxel, GLCM with few grey levels a grid-stride loop per direction, GLRLM one
// invocation per line. Counts are exact integers (atomic<u32>), so the result equals the CPU
// reference bit for bit.
//
// Matrix layouts match src/matrices/*.rs:
//   GLCM  [angle][i-1][j-1]       (ng x ng per angle)
//   GLRLM [angle][i-1][len-1]     (ng x nr per angle)
//   GLDM  [i-1][dep-1]            (ng x nd)
//   NGTDM [i-1][c][0..3]          per grey level i and number c of ROI neighbours: voxel count,
//         and the 64-bit sum (low, high words) of |i*c - Σ neighbour levels|, exact integers;
//         s_i = Σ_c sum[i][c] / c is formed on the CPU.

struct Params {
    size_x: u32,
    size_y: u32,
    size_z: u32,
    n_angles: u32,
    ng: u32,
    nr: u32,
    alpha: u32,
    n_voxels: u32,
    // log2 of the grey levels packed in one word of `levels`: 0 (32-bit), 1 (16-bit), 2 (8-bit).
    level_shift: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
// Grey levels of the box, packed 4, 2 or 1 per word (see `level_of`).
@group(0) @binding(1) var<storage, read> levels: array<u32>;
@group(0) @binding(2) var<storage, read> angles: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

// Voxel index of a global invocation id (x and y of the dispatch grid flattened; z, where
// used, is the direction).
fn voxel_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

fn coords(idx: u32) -> vec3<i32> {
    let sx = params.size_x;
    let sy = params.size_y;
    return vec3<i32>(i32(idx % sx), i32((idx / sx) % sy), i32(idx / (sx * sy)));
}

fn inside(p: vec3<i32>) -> bool {
    return p.x >= 0 && p.y >= 0 && p.z >= 0 && p.x < i32(params.size_x) && p.y < i32(params.size_y)
        && p.z < i32(params.size_z);
}

// Grey level of voxel `idx`: lane `idx mod k` of word `idx / k`, k = 2^level_shift levels
// per word, each 32/k bits wide.
fn level_of(idx: u32) -> u32 {
    let s = params.level_shift;
    let bits = 32u >> s;
    let word = levels[idx >> s];
    let lane = idx & ((1u << s) - 1u);
    return (word >> (lane * bits)) & (0xffffffffu >> (32u - bits));
}

// Level of an invocation's own voxel: 0 past the end of the box as outside the ROI.
fn own_level(idx: u32) -> u32 {
    if (idx >= params.n_voxels) {
        return 0u;
    }
    return level_of(idx);
}

fn level_at(p: vec3<i32>) -> u32 {
    if (!inside(p)) {
        return 0u;
    }
    return level_of(u32(p.x) + params.size_x * (u32(p.y) + params.size_y * u32(p.z)));
}

@compute @workgroup_size(64)
fn gldm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    let l = own_level(idx);
    if (l == 0u) {
        return;
    }
    let p = coords(idx);
    var dep = 1u;
    for (var a = 0u; a < params.n_angles; a++) {
        let off = angles[a].xyz;
        let m1 = level_at(p + off);
        if (m1 != 0u && max(l, m1) - min(l, m1) <= params.alpha) {
            dep += 1u;
        }
        let m2 = level_at(p - off);
        if (m2 != 0u && max(l, m2) - min(l, m2) <= params.alpha) {
            dep += 1u;
        }
    }
    let nd = 2u * params.n_angles + 1u;
    atomicAdd(&counts[(l - 1u) * nd + dep - 1u], 1u);
}

// NGTDM: per (grey level, neighbour count) the voxel count and the exact 64-bit sum of
// |l * count - Σ neighbour levels| (carry into the high word on overflow).
@compute @workgroup_size(64)
fn ngtdm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    let l = own_level(idx);
    if (l == 0u) {
        return;
    }
    let p = coords(idx);
    var sum = 0u;
    var cnt = 0u;
    for (var a = 0u; a < params.n_angles; a++) {
        let off = angles[a].xyz;
        let m1 = level_at(p + off);
        if (m1 != 0u) {
            sum += m1;
            cnt += 1u;
        }
        let m2 = level_at(p - off);
        if (m2 != 0u) {
            sum += m2;
            cnt += 1u;
        }
    }
    let own = l * cnt;
    let diff = max(own, sum) - min(own, sum);
    let k = ((l - 1u) * (2u * params.n_angles + 1u) + cnt) * 3u;
    atomicAdd(&counts[k], 1u);
    let old = atomicAdd(&counts[k + 1u], diff);
    if (old > 0xffffffffu - diff) {
        atomicAdd(&counts[k + 2u], 1u);
    }
}

// ---- Workgroup-privatised variants -------------------------------------------------------
// Few distinct bins (a GLCM with few grey levels, the short runs of a GLRLM) make every
// invocation hit the same global counters. These kernels count into a per-workgroup copy in
// shared memory and add it to the global matrix once per workgroup. Dispatch: x = workgroups
// per direction (each loops over voxels or lines with a grid stride), z = direction.

const LOCAL_BINS: u32 = 4096u;
// Runs up to this length are counted locally, longer ones directly in global memory.
const LOCAL_RUNS: u32 = 4u;

var<workgroup> local_counts: array<atomic<u32>, LOCAL_BINS>;

fn clear_local(lid: u32, bins: u32) {
    for (var e = lid; e < bins; e += 64u) {
        atomicStore(&local_counts[e], 0u);
    }
}

@compute @workgroup_size(64)
fn glcm_local(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let ng = params.ng;
    let bins = ng * ng;
    // Several copies of the histogram, one per group of invocations, so that invocations
    // counting the same pair rarely wait on each other.
    let copies = min(LOCAL_BINS / bins, 16u);
    let mine = (lid % copies) * bins;
    clear_local(lid, bins * copies);
    workgroupBarrier();
    let a = wid.z;
    let off = angles[a].xyz;
    for (var idx = wid.x * 64u + lid; idx < params.n_voxels; idx += nwg.x * 64u) {
        let i = level_of(idx);
        if (i != 0u) {
            let j = level_at(coords(idx) + off);
            if (j != 0u) {
                atomicAdd(&local_counts[mine + (i - 1u) * ng + j - 1u], 1u);
            }
        }
    }
    workgroupBarrier();
    for (var e = lid; e < bins; e += 64u) {
        var v = 0u;
        for (var c = 0u; c < copies; c++) {
            v += atomicLoad(&local_counts[c * bins + e]);
        }
        if (v != 0u) {
            atomicAdd(&counts[a * bins + e], v);
        }
    }
}

// GLRLM by lines: one invocation walks a whole line along its direction from a start voxel
// (its predecessor lies outside the box), counting each maximal run once. The lines of
// direction a are numbered 0 .. angles[a].w; their start voxels lie on at most three face
// boxes of the grid, described in `starts` (see `line_start`). Runs up to LOCAL_RUNS long
// are counted in workgroup memory when Ng·LOCAL_RUNS fits.

@group(0) @binding(4) var<storage, read> starts: array<u32>;

// Start voxel of line `t` of direction `a`. Face f of direction a is
// starts[(a * 3 + f) * 8 ..]: origin x, y, z, lines on earlier faces, extent x, y, z, lines.
fn line_start(a: u32, t: u32) -> vec3<i32> {
    for (var f = 0u; f < 3u; f++) {
        let b = (a * 3u + f) * 8u;
        let k = t - starts[b + 3u];
        if (t >= starts[b + 3u] && k < starts[b + 7u]) {
            let ex = starts[b + 4u];
            let ey = starts[b + 5u];
            return vec3<i32>(
                i32(starts[b] + k % ex),
                i32(starts[b + 1u] + (k / ex) % ey),
                i32(starts[b + 2u] + k / (ex * ey)),
            );
        }
    }
    return vec3<i32>(-1, -1, -1);
}

fn count_run(a: u32, l: u32, len: u32, short: u32, local: bool, mine: u32) {
    if (local && len <= short) {
        atomicAdd(&local_counts[mine + (l - 1u) * short + len - 1u], 1u);
    } else {
        atomicAdd(&counts[(a * params.ng + l - 1u) * params.nr + len - 1u], 1u);
    }
}

// Adds a workgroup's short-run bins (`copies` copies of Ng × `short`) to run matrix `a`.
fn flush_runs(a: u32, lid: u32, bins: u32, short: u32, copies: u32) {
    for (var e = lid; e < bins; e += 64u) {
        var v = 0u;
        for (var c = 0u; c < copies; c++) {
            v += atomicLoad(&local_counts[c * bins + e]);
        }
        if (v != 0u) {
            atomicAdd(&counts[(a * params.ng + e / short) * params.nr + e % short], v);
        }
    }
}

@compute @workgroup_size(64)
fn glrlm_lines(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let ng = params.ng;
    let short = min(LOCAL_RUNS, params.nr);
    let bins = ng * short;
    let local = bins <= LOCAL_BINS;
    var copies = 1u;
    if (local) {
        copies = min(LOCAL_BINS / bins, 16u);
        clear_local(lid, bins * copies);
    }
    let mine = (lid % copies) * bins;
    workgroupBarrier();
    let a = wid.z;
    let off = angles[a].xyz;
    let n = u32(angles[a].w);
    // Steps between consecutive voxels of a line, in linear index.
    let stride = off.x + i32(params.size_x) * (off.y + i32(params.size_y) * off.z);
    // Neighbouring invocations walk neighbouring lines.
    for (var line = wid.x * 64u + lid; line < n; line += nwg.x * 64u) {
        let p = line_start(a, line);
        if (!inside(p)) {
            continue;
        }
        // Voxels on the line: the fewest steps until a moving coordinate leaves the box.
        var steps = 0xffffffffu;
        let size = vec3<u32>(params.size_x, params.size_y, params.size_z);
        for (var k = 0u; k < 3u; k++) {
            if (off[k] > 0) {
                steps = min(steps, size[k] - u32(p[k]));
            } else if (off[k] < 0) {
                steps = min(steps, u32(p[k]) + 1u);
            }
        }
        var idx = i32(u32(p.x) + params.size_x * (u32(p.y) + params.size_y * u32(p.z)));
        var cur = 0u;
        var len = 0u;
        for (var step = 0u; step < steps; step++) {
            let l = level_of(u32(idx));
            if (l == cur) {
                len += 1u;
            } else {
                if (cur != 0u) {
                    count_run(a, cur, len, short, local, mine);
                }
                cur = l;
                len = 1u;
            }
            idx += stride;
        }
        if (cur != 0u) {
            count_run(a, cur, len, short, local, mine);
        }
    }
    workgroupBarrier();
    if (local) {
        flush_runs(a, lid, bins, short, copies);
    }
}

// GLCM, one invocation per voxel for all directions: the voxel's coordinates and level are
// found once, and each pair goes straight to the global matrix.
@compute @workgroup_size(64)
fn glcm_voxel(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    let i = own_level(idx);
    if (i == 0u) {
        return;
    }
    let p = coords(idx);
    let ng = params.ng;
    for (var a = 0u; a < params.n_angles; a++) {
        let j = level_at(p + angles[a].xyz);
        if (j != 0u) {
            atomicAdd(&counts[(a * ng + i - 1u) * ng + j - 1u], 1u);
        }
    }
}
