//! Reproducible pseudo-random numbers.
//!
//! * [`lcg`]: Knuth's MMIX linear congruential step (multiplier 6364136223846793005,
//!   increment 1442695040888963407) for synthetic test and benchmark data; not for anything
//!   statistical (use the high bits).
//! * [`Xoshiro256`]: xoshiro256** (Blackman & Vigna 2018) seeded by SplitMix64 (Steele, Lea
//!   & Flood 2014), in independent streams: the synthetic cohort's patients and the
//!   bootstrap's resamples.

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

/// One SplitMix64 step (Steele, Lea & Flood 2014).
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The xoshiro256** generator (Blackman & Vigna 2018).
#[derive(Debug, Clone)]
pub(crate) struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// The generator of stream `(a, b)` of `seed`, independent of every other stream: the
    /// seed, then `a`, then `b` mixed in by SplitMix64, which also fills the state.
    pub(crate) fn stream(seed: u64, a: u64, b: u64) -> Self {
        let mut st = seed;
        st = splitmix64(&mut st) ^ a;
        st = splitmix64(&mut st) ^ b;
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        Xoshiro256 { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; bias below n/2⁶⁴).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}
