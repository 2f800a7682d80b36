//! Intensity histogram features (IBSI family ZVCW) of the discretised intensities `X_d` of
//! the ROI intensity mask's `N_v` voxels, with `N_g` bins numbered 1 … N_g; `n_i` is the
//! count of bin i (empty bins included) and `p_i = n_i / N_v`.
//!
//! | IBSI | feature | formula |
//! |---|---|---|
//! | X6K6, CH89, 88K1, C3I7 | mean, variance, skewness, excess kurtosis | as the statistics family, on `X_d` |
//! | WIFQ, 1PR8, GPMT, OZ0C, 3NCY | median, minimum, P₁₀, P₉₀, maximum | on `X_d` |
//! | AMMC | mode | the bin with the largest `n_i`; of several, the one nearest the mean, the lower if two are equally near |
//! | WR0O, 5Z3W, D2ZX, WRZB, 4RNL, CWYJ, SLWD | IQR, range, MAD, robust MAD, median AD, CoV, QCoD | as the statistics family, on `X_d` |
//! | TLU2 | entropy | −Σ p_i log₂ p_i |
//! | BJ5W | uniformity | Σ p_i² |
//! | 12CE, 8E6O | maximum histogram gradient and its bin | max H′, the first i where it is reached |
//! | VQB3, RHQZ | minimum histogram gradient and its bin | min H′, the first i where it is reached |
//!
//! The gradient is H′₁ = n₂ − n₁, H′ᵢ = (n_{i+1} − n_{i−1}) / 2 for 1 < i < N_g and
//! H′_{N_g} = n_{N_g} − n_{N_g−1} (0 for a single bin). (The manual's text heads the 10th and
//! 90th percentiles 1PR8 and GPMT; their identifiers are GPMT and OZ0C, 1PR8 being the
//! minimum.)

use super::{distribution, sorted};

/// The 23 IBSI intensity histogram features of `levels` (the ROI's discretised intensities,
/// whole numbers in 1 ..= `bins`), as `(IBSI id, value)` in the order of the table above.
pub fn features(levels: &[f64], bins: usize) -> Vec<(&'static str, f64)> {
    assert!(!levels.is_empty(), "a ROI has at least one voxel");
    let s = sorted(levels);
    let d = distribution(levels, &s);
    let mean = d[0];
    let n_v = levels.len() as f64;
    let bins = bins.max(s[s.len() - 1] as usize);
    let mut counts = vec![0.0f64; bins];
    for &x in levels {
        debug_assert!(x >= 1.0 && x.fract() == 0.0, "grey levels are 1, 2, …");
        counts[x as usize - 1] += 1.0;
    }
    let largest = counts.iter().copied().fold(0.0, f64::max);
    // Bins in ascending order: on a tie in distance the lower bin is kept.
    let mode = (1..=bins)
        .filter(|&i| counts[i - 1] == largest)
        .min_by(|&a, &b| (a as f64 - mean).abs().total_cmp(&(b as f64 - mean).abs()))
        .expect("some bin holds the largest count") as f64;
    let (mut entropy, mut uniformity) = (0.0, 0.0);
    for &c in &counts {
        if c > 0.0 {
            let p = c / n_v;
            entropy -= p * p.log2();
            uniformity += p * p;
        }
    }
    let gradient: Vec<f64> = (0..bins)
        .map(|i| match (i, bins) {
            (_, 1) => 0.0,
            (0, _) => counts[1] - counts[0],
            (i, b) if i == b - 1 => counts[i] - counts[i - 1],
            (i, _) => (counts[i + 1] - counts[i - 1]) / 2.0,
        })
        .collect();
    let first_at = |pick: fn(f64, f64) -> bool| {
        let mut best = 0;
        for i in 1..gradient.len() {
            if pick(gradient[i], gradient[best]) {
                best = i;
            }
        }
        best
    };
    let (hi, lo) = (first_at(|a, b| a > b), first_at(|a, b| a < b));
    vec![
        ("X6K6", d[0]),
        ("CH89", d[1]),
        ("88K1", d[2]),
        ("C3I7", d[3]),
        ("WIFQ", d[4]),
        ("1PR8", d[5]),
        ("GPMT", d[6]),
        ("OZ0C", d[7]),
        ("3NCY", d[8]),
        ("AMMC", mode),
        ("WR0O", d[9]),
        ("5Z3W", d[10]),
        ("D2ZX", d[11]),
        ("WRZB", d[12]),
        ("4RNL", d[13]),
        ("CWYJ", d[14]),
        ("SLWD", d[15]),
        ("TLU2", entropy),
        ("BJ5W", uniformity),
        ("12CE", gradient[hi]),
        ("8E6O", (hi + 1) as f64),
        ("VQB3", gradient[lo]),
        ("RHQZ", (lo + 1) as f64),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn mode_ties_and_gradients_by_hand() {
        // Counts n = [2, 0, 2, 1] over bins 1..4: mean (1+1+3+3+4)/5 = 2.4; bins 1 and 3 tie
        // for the mode, 3 is nearer the mean.
        let f: HashMap<_, _> = features(&[1.0, 1.0, 3.0, 3.0, 4.0], 4)
            .into_iter()
            .collect();
        assert_eq!(f["AMMC"], 3.0);
        // H′ = [0 − 2, (2 − 2)/2, (1 − 0)/2, 1 − 2] = [−2, 0, 0.5, −1].
        assert_eq!((f["12CE"], f["8E6O"]), (0.5, 3.0));
        assert_eq!((f["VQB3"], f["RHQZ"]), (-2.0, 1.0));
        // Two modes equally near the mean (2): the lower one.
        let f: HashMap<_, _> = features(&[1.0, 3.0], 3).into_iter().collect();
        assert_eq!(f["AMMC"], 1.0);
        let one: HashMap<_, _> = features(&[1.0; 4], 1).into_iter().collect();
        assert_eq!((one["12CE"], one["TLU2"], one["BJ5W"]), (0.0, 0.0, 1.0));
    }
}
