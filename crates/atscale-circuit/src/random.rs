//! Seeded random numbers: the one random source of atscale.
//!
//! Every random draw in atscale (sweeps, Monte Carlo, reliability trials,
//! the reference networks) comes from [`Rng`], a SplitMix64 generator.
//! A run is reproduced from its seed alone, and [`Rng::stream`] gives each
//! sweep point, trial or Monte Carlo sample its own independent stream, so
//! a result never depends on the order (or the machine) in which points
//! are computed. That is what makes sharded and resumed runs equal to one
//! uninterrupted run.

/// The SplitMix64 generator (Steele, Lea and Flood 2014).
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_f64() * n as f64) as usize % n.max(1)
    }
}

/// A seeded random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng {
    inner: SplitMix64,
    spare: Option<f64>,
}

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng { inner: SplitMix64(seed), spare: None }
    }

    /// The generator of stream `index` of `seed`: streams of one seed are
    /// independent of each other and of the order they are drawn in.
    pub fn stream(seed: u64, index: u64) -> Rng {
        // Mix the seed and the index through one SplitMix64 step each so that
        // neighbouring (seed, index) pairs give unrelated states.
        let mut a = SplitMix64(seed);
        let s = a.next_u64();
        let mut b = SplitMix64(s ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(b.next_u64())
    }

    /// The seed of family `tag` of `seed`: the streams of the returned seed
    /// are independent of `seed`'s own streams and of every other tag's, so
    /// one seeded object can draw several independent kinds of numbers
    /// (a noise source's white samples, its 1/f samples, its telegraph
    /// switches), each by index.
    pub fn family(seed: u64, tag: u64) -> u64 {
        // A salt keeps the family's state away from `Rng::stream(seed, tag)`.
        Rng::stream(seed ^ 0x6A09_E667_F3BC_C909, tag).next_u64()
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform number in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.inner.next_f64()
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        self.inner.below(n)
    }

    /// A standard normal number (Box-Muller; the second value of each
    /// pair is kept for the next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// A random permutation of `0..n` (Fisher-Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i + 1);
            p.swap(i, j);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let kurt = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        // Standard errors: mean 1/sqrt(n) = 2.2e-3, variance sqrt(2/n) = 3.2e-3,
        // kurtosis sqrt(24/n) = 1.1e-2. Statistical bounds (4.5, 4.7 and 9
        // standard errors), deliberately not tied to this seed's draw.
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        assert!((kurt - 3.0).abs() < 0.1, "kurtosis {kurt}");
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(1, 5).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let b = Rng::stream(1, 6).next_u64();
        let c = Rng::stream(2, 5).next_u64();
        assert_ne!(a[0], b);
        assert_ne!(a[0], c);
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(3).permutation(100);
        assert_ne!(p, (0..100).collect::<Vec<_>>());
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }
}
