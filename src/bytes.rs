//! Short copies, byte searches and comparisons eight bytes at a time, for
//! the field paths, names, keys and tokens the rules read and the
//! response's strings.

// Kept over std and `memchr`, measured with `make bench` against the build
// with these helpers in the same runs: `memchr::memchr`, `==` and
// `copy_from_slice` in their place read the mutated Kubebuilder Deployment
// 2.25-2.30x against 2.06-2.13x (budget 2.00) and the clean Deployment
// 1.27-1.30x against 1.23-1.25x (budget 1.25); `copy_from_slice` alone in
// place of `copy_into` read the mutated Deployment 2.16-2.20x against
// 2.12-2.13x and the clean ServiceMonitor 1.33-1.38x against 1.29-1.32x (a
// copy of a length not known when compiled is WebAssembly's `memory.copy`,
// which wasmtime runs as a call into the runtime).

/// The longest copy made here; longer ones use `copy_from_slice`.
const SHORT: usize = 64;

/// Copies `src` to `dst`, of the same length: eight bytes at a time, then
/// byte by byte. LLVM keeps the loops (it is told not to turn loops into
/// one copy of `src.len()` bytes: Makefile, `POLICY_RUSTFLAGS`).
#[inline]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// Copies `src` into the start of `dst`, which must be at least as long.
#[inline]
pub(crate) fn copy_into(dst: &mut [u8], src: &[u8]) {
    let dst = &mut dst[..src.len()];
    if src.len() > SHORT {
        dst.copy_from_slice(src);
    } else {
        copy_short(dst, src);
    }
}

/// Whether `a` and `b` hold the same bytes, compared eight at a time.
#[inline]
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut x = a.chunks_exact(8);
    let mut y = b.chunks_exact(8);
    for (p, q) in (&mut x).zip(&mut y) {
        if word(p) != word(q) {
            return false;
        }
    }
    short_word(x.remainder()) == short_word(y.remainder())
}

/// [`eq`] for two `str`s: the names and keys the rules look up.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    eq(a.as_bytes(), b.as_bytes())
}

/// One in every byte of a word.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
pub(crate) const HIGH: u64 = ONES * 0x80;

/// The high bit of each byte of `w` below `n` (at most 128), and maybe of
/// bytes above one that is (the borrow of "Bit Twiddling Hacks"' `hasless`):
/// the lowest bit set is exact, and the result is zero exactly when no byte
/// is below `n`.
#[inline]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// [`below`] 1: the bytes of `w` that are zero.
#[inline]
pub(crate) fn zero_bytes(w: u64) -> u64 {
    below(w, 1)
}

/// Appends the first `len` bytes of `buf` with one copy of `N` bytes, a
/// size known when compiled, then cuts the rest off again.
#[inline]
pub(crate) fn append_prefix<const N: usize>(out: &mut Vec<u8>, buf: &[u8; N], len: usize) {
    out.extend_from_slice(buf);
    out.truncate(out.len() - (N - len));
}

/// The index of the first `needle` in `hay`, eight bytes at a time.
#[inline]
pub(crate) fn find(hay: &[u8], needle: u8) -> Option<usize> {
    let pattern = ONES * u64::from(needle);
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let z = zero_bytes(word(chunk) ^ pattern);
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = words.remainder();
    // The padding of the short word is not part of `hay`.
    let valid = (1u64 << (8 * rest.len())) - 1;
    let z = zero_bytes(short_word(rest) ^ pattern) & valid;
    (z != 0).then(|| at + (z.trailing_zeros() / 8) as usize)
}

/// Eight bytes as a little-endian word.
#[inline]
pub(crate) fn word(chunk: &[u8]) -> u64 {
    let w: [u8; 8] = chunk.try_into().unwrap_or_default();
    u64::from_le_bytes(w)
}

/// Up to seven bytes as the low bytes of a little-endian word, the others
/// zero, read as two overlapping pieces whose common bytes are the same.
#[inline]
pub(crate) fn short_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let byte = |i: usize| u64::from(rest[i]) << (8 * i);
    let four = |i: usize| {
        let w: [u8; 4] = rest[i..i + 4].try_into().unwrap_or_default();
        u64::from(u32::from_le_bytes(w)) << (8 * i)
    };
    match n {
        0 => 0,
        1..=3 => byte(0) | byte(n / 2) | byte(n - 1),
        _ => four(0) | four(n - 4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_every_length() {
        let src: Vec<u8> = (0..100u8).collect();
        for n in 0..=src.len() {
            let mut dst = [0xffu8; 120];
            copy_into(&mut dst, &src[..n]);
            assert_eq!(&dst[..n], &src[..n]);
            assert!(dst[n..].iter().all(|&b| b == 0xff), "wrote past {n}");
        }
    }

    #[test]
    fn compares_every_length_and_every_position() {
        let a: Vec<u8> = (1..=40u8).collect();
        for n in 0..=a.len() {
            assert!(eq(&a[..n], &a[..n]));
            assert!(!eq(&a[..n], &a[..n.saturating_sub(1)]) || n == 0);
            for k in 0..n {
                let mut b = a[..n].to_vec();
                b[k] ^= 0x80;
                assert!(!eq(&a[..n], &b), "missed a difference at {k} of {n}");
            }
        }
        for n in 0..8 {
            let w = short_word(&a[..n]);
            assert_eq!(w.to_le_bytes()[..n], a[..n], "{n}");
            assert!(w.to_le_bytes()[n..].iter().all(|&b| b == 0), "{n}");
        }
    }

    proptest::proptest! {
        #[test]
        fn finds_the_first_byte_as_position_does(
            hay in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            needle in proptest::prelude::any::<u8>(),
        ) {
            proptest::prop_assert_eq!(find(&hay, needle), hay.iter().position(|&b| b == needle));
        }
    }

    #[test]
    fn finds_at_every_position_and_not_in_the_padding() {
        for n in 0..=24 {
            for k in 0..n {
                let mut hay = vec![b'a'; n];
                hay[k] = b'=';
                if k + 1 < n {
                    hay[k + 1] = b'=';
                }
                assert_eq!(find(&hay, b'='), Some(k), "{n} {k}");
            }
            assert_eq!(
                find(&vec![1u8; n], 0),
                None,
                "zero padding read as a byte at {n}"
            );
            assert_eq!(find(&vec![1u8; n], b'='), None);
        }
    }
}
