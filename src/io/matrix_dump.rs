//! Texture matrices written out for inspection and for comparison with other tools
//! (`gpurad matrices`): JSON with the grey levels and directions, or NumPy `.npy`.
//!
//! Matrices are the raw integer counts of [`crate::matrices`], before PyRadiomics'
//! post-processing (no symmetrisation, no normalisation, absent grey levels kept), indexed by
//! grey level 1..=Ng. Shapes: GLCM `(directions, Ng, Ng)`, GLRLM `(directions, Ng, Nr)`,
//! GLSZM `(Ng, Ns)`, GLDM `(Ng, Nd)`, NGTDM `(Ng, 2)` with columns `n_i`, `s_i`.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::error::{Error, Result};
use crate::matrices::{GreyImage, Matrix};

/// Shape, values (row-major) and directions of a matrix.
pub fn array(m: &Matrix) -> (Vec<usize>, Vec<f64>, Vec<[i32; 3]>) {
    let f = |v: &[u64]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    match m {
        Matrix::Glcm(g) => (
            vec![g.angles.len(), g.ng, g.ng],
            f(&g.counts),
            g.angles.clone(),
        ),
        Matrix::Glrlm(g) => (
            vec![g.angles.len(), g.ng, g.nr],
            f(&g.counts),
            g.angles.clone(),
        ),
        Matrix::Glszm(g) => {
            // Dense again: every size 1..=ns, as other tools lay the matrix out.
            let mut dense = vec![0.0; g.ng * g.ns];
            for (row, counts) in g.counts.chunks(g.sizes.len().max(1)).enumerate() {
                for (&size, &c) in g.sizes.iter().zip(counts) {
                    dense[row * g.ns + size - 1] = c as f64;
                }
            }
            (vec![g.ng, g.ns], dense, vec![])
        }
        Matrix::Gldm(g) => (vec![g.ng, g.nd], f(&g.counts), vec![]),
        Matrix::Ngtdm(g) => {
            let data =
                g.n.iter()
                    .zip(&g.s)
                    .flat_map(|(&n, &s)| [n as f64, s])
                    .collect();
            (vec![g.ng, 2], data, vec![])
        }
    }
}

/// Number of values [`array`] returns for `m` (GLSZM is stored with only its occurring zone
/// sizes and written dense).
pub fn dense_len(m: &Matrix) -> u128 {
    match m {
        Matrix::Glszm(g) => g.ng as u128 * g.ns as u128,
        Matrix::Glcm(g) => g.counts.len() as u128,
        Matrix::Glrlm(g) => g.counts.len() as u128,
        Matrix::Gldm(g) => g.counts.len() as u128,
        Matrix::Ngtdm(g) => 2 * g.ng as u128,
    }
}

/// The matrix as JSON: class, shape, grey levels present, directions (x, y, z) and values.
pub fn to_json(class: &str, m: &Matrix, img: &GreyImage, device: &str) -> serde_json::Value {
    let (shape, data, angles) = array(m);
    json!({
        "class": class,
        "device": device,
        "shape": shape,
        "grey_levels_present": img.present_levels(),
        "directions_xyz": angles,
        "roi_box_size_xyz": img.size,
        "values": data,
    })
}

/// Writes a little-endian float64 C-order `.npy` file (NumPy format version 1.0).
pub fn write_npy(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {tuple}, }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.div_ceil(64) * 64 - total));
    header.push('\n');
    let io = |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    };
    let mut f = std::io::BufWriter::new(crate::io::output::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00").map_err(io)?;
    f.write_all(&(header.len() as u16).to_le_bytes())
        .map_err(io)?;
    f.write_all(header.as_bytes()).map_err(io)?;
    for v in data {
        f.write_all(&v.to_le_bytes()).map_err(io)?;
    }
    f.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_data_follows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        write_npy(&p, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let b = std::fs::read(&p).unwrap();
        assert_eq!(&b[..6], b"\x93NUMPY");
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let header = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
        assert!(header.contains("'shape': (2, 3)"), "{header}");
        assert_eq!(b.len(), 10 + hlen + 48);
        assert_eq!(
            f64::from_le_bytes(b[b.len() - 8..].try_into().unwrap()),
            6.0
        );
    }
}
