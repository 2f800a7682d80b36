// Texture matrices of one discretised ROI (gpurad). One invocation per voxel of the ROI
// bounding box; grey levels are 1..ng inside the ROI and 0 outside. Counts are exact
// integers (atomic<u32>), so the result equals the CPU reference bit for bit.
//
// Matrix layouts match src/matrices/*.rs:
//   GLCM  [angle][i-1][j-1]       (ng x ng per angle)
//   GLRLM [angle][i-1][len-1]     (ng x nr per angle)
//   GLDM  [i-1][dep-1]            (ng x nd)
//   NGTDM per voxel: sum of ROI neighbour levels and their count (the f64 differences are
//         accumulated on the CPU in voxel order, so they too match exactly).

struct Params {
    size_x: u32,
    size_y: u32,
    size_z: u32,
    n_angles: u32,
    ng: u32,
    nr: u32,
    alpha: u32,
    n_voxels: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> levels: array<u32>;
@group(0) @binding(2) var<storage, read> angles: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;

// Voxel index of a global invocation id (2D dispatch grid flattened), or n_voxels if none.
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

fn level_at(p: vec3<i32>) -> u32 {
    if (!inside(p)) {
        return 0u;
    }
    return levels[u32(p.x) + params.size_x * (u32(p.y) + params.size_y * u32(p.z))];
}

@compute @workgroup_size(64)
fn glcm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    if (idx >= params.n_voxels) {
        return;
    }
    let i = levels[idx];
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

@compute @workgroup_size(64)
fn glrlm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    if (idx >= params.n_voxels) {
        return;
    }
    let l = levels[idx];
    if (l == 0u) {
        return;
    }
    let p = coords(idx);
    for (var a = 0u; a < params.n_angles; a++) {
        let off = angles[a].xyz;
        // Only the first voxel of a run counts it.
        if (level_at(p - off) == l) {
            continue;
        }
        var len = 1u;
        var q = p + off;
        while (level_at(q) == l) {
            len += 1u;
            q += off;
        }
        atomicAdd(&counts[(a * params.ng + l - 1u) * params.nr + len - 1u], 1u);
    }
}

@compute @workgroup_size(64)
fn gldm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    if (idx >= params.n_voxels) {
        return;
    }
    let l = levels[idx];
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

// NGTDM neighbourhoods: counts[2*idx] = Σ neighbour levels, counts[2*idx+1] = neighbours.
@compute @workgroup_size(64)
fn ngtdm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = voxel_index(gid, nwg);
    if (idx >= params.n_voxels) {
        return;
    }
    if (levels[idx] == 0u) {
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
    atomicStore(&counts[2u * idx], sum);
    atomicStore(&counts[2u * idx + 1u], cnt);
}
