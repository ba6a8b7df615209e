//! Short copies without a call into the engine.
//!
//! LLVM compiles a copy whose length it does not know to WebAssembly's
//! `memory.copy`, and wasmtime (the engine of kwctl and policy-server) runs
//! every `memory.copy` as a call into the runtime: about 130 instructions
//! before the first byte moves (callgrind over the JIT code, CONTRIBUTING
//! "Bench"). A field path is built for every field a rule reads, from parts
//! of a few bytes each: those are copied here, eight bytes at a time; longer
//! copies still use `memory.copy`. (Writing the response's JSON through such
//! a copy was tried too, as an `io::Write` for `serde_json`: it cost more
//! instructions than the calls it saved.)

/// The longest copy made here; longer ones use `memory.copy`.
const SHORT: usize = 64;

/// Copies `src` to `dst`, of the same length: eight bytes at a time, then
/// byte by byte. The stores are volatile so that LLVM keeps the loops and
/// does not turn them back into the `memory.copy` this module avoids.
#[inline]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let word: [u8; 8] = s.try_into().unwrap_or_default();
        // SAFETY: `d` is 8 valid, exclusive bytes; `[u8; 8]` is 1-aligned.
        unsafe { std::ptr::write_volatile(d.as_mut_ptr().cast::<[u8; 8]>(), word) }
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        // SAFETY: `d` is a valid, aligned and exclusive reference.
        unsafe { std::ptr::write_volatile(d, *s) }
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
}
