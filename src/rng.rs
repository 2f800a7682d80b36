//! A small reproducible pseudo-random sequence for synthetic test and benchmark data: Knuth's
//! MMIX linear congruential step (multiplier 6364136223846793005, increment
//! 1442695040888963407). Not for anything statistical; use the high bits.

/// The successive states after `seed`, one per call.
pub(crate) fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state
    }
}
