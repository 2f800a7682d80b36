//! A discretised ROI box inside a border of zero voxels, for the CPU builders.
//!
//! Grey level 0 means "outside the ROI", and a neighbour outside the box never counts, so
//! surrounding the box with `pad` voxels of level 0 lets a builder reach every neighbour up to
//! `pad` voxels away by adding a fixed linear offset, with no per-neighbour bounds checks.
//! The counts are those of the unpadded box.

use super::angles::Offset;
use super::GreyImage;

/// Grey levels of a box with a zero border.
pub(crate) struct Padded {
    /// Levels of the padded grid, x fastest.
    pub levels: Vec<u32>,
    /// Padded grid size.
    dims: [usize; 3],
    /// Border width.
    pad: usize,
}

/// Largest |component| of the offsets: the border they need.
pub(crate) fn reach(offsets: &[Offset]) -> usize {
    offsets
        .iter()
        .flat_map(|o| o.iter().map(|v| v.unsigned_abs() as usize))
        .max()
        .unwrap_or(0)
}

impl Padded {
    /// `img`'s levels inside a border of `pad` zero voxels.
    pub fn new(img: &GreyImage, pad: usize) -> Padded {
        let s = img.size;
        let dims = [s[0] + 2 * pad, s[1] + 2 * pad, s[2] + 2 * pad];
        let mut levels = vec![0u32; dims.iter().product()];
        for z in 0..s[2] {
            for y in 0..s[1] {
                let src = img.index(0, y, z);
                let dst = (z + pad) * dims[1] * dims[0] + (y + pad) * dims[0] + pad;
                levels[dst..dst + s[0]].copy_from_slice(&img.levels[src..src + s[0]]);
            }
        }
        Padded { levels, dims, pad }
    }

    /// Padded linear index of box voxel (x, y, z).
    #[inline]
    pub fn index(&self, x: usize, y: usize, z: usize) -> usize {
        (z + self.pad) * self.dims[1] * self.dims[0] + (y + self.pad) * self.dims[0] + x + self.pad
    }

    /// Linear step of offset `o` (|components| ≤ `pad`).
    pub fn step(&self, o: Offset) -> isize {
        debug_assert!(o.iter().all(|v| v.unsigned_abs() as usize <= self.pad));
        o[0] as isize
            + self.dims[0] as isize * (o[1] as isize + self.dims[1] as isize * o[2] as isize)
    }

    /// Level at padded index `p` moved by `step`.
    #[inline]
    pub fn at(&self, p: usize, step: isize) -> u32 {
        self.levels[p.wrapping_add_signed(step)]
    }

    /// Bit `k` set where the level at `p + steps[k]` satisfies `keep` (compared with no
    /// branches), for up to 64 steps. The common neighbourhoods (13 directions for
    /// distance 1) are compiled with their length known, so that the loop unrolls.
    #[inline]
    pub fn mask_of(&self, p: usize, steps: &[isize], keep: impl Fn(u32) -> bool) -> u64 {
        #[inline(always)]
        fn fixed<const N: usize>(
            pad: &Padded,
            p: usize,
            steps: &[isize; N],
            keep: impl Fn(u32) -> bool,
        ) -> u64 {
            let mut m = 0u64;
            for (k, &d) in steps.iter().enumerate() {
                m |= u64::from(keep(pad.at(p, d))) << k;
            }
            m
        }
        debug_assert!(steps.len() <= 64, "at most 64 steps in one mask");
        match <&[isize; 13]>::try_from(steps) {
            Ok(s13) => fixed(self, p, s13, keep),
            Err(_) => {
                let mut m = 0u64;
                for (k, &d) in steps.iter().enumerate() {
                    m |= u64::from(keep(self.at(p, d))) << k;
                }
                m
            }
        }
    }
}
