//! String similarity on the hot path, without allocating.
//!
//! Names reach the comparator folded to upper-case ASCII, so Jaro–Winkler can run on bytes
//! with bit sets on the stack: each byte's positions in one string as a 64-bit set, so that
//! finding a character's partner in the other is a few bit operations, not a scan
//! (`cargo bench -p crosscheck-linkage --bench similarity` times it against `strsim`).
//! [`jaro_winkler`] gives the same value as `strsim`'s (the reference, checked by property
//! tests) and falls back to it for longer or non-ASCII strings. [`within_one_edit`] answers "at most one insertion, deletion, substitution or
//! adjacent transposition apart" in one pass.

/// Jaro–Winkler similarity (prefix scale 0.1, prefix up to 4, bonus above 0.7), as
/// `strsim::jaro_winkler`.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > 64 || b.len() > 64 || !a.is_ascii() || !b.is_ascii() {
        // Safe: the bytes came from `&str`s.
        return strsim::jaro_winkler(
            std::str::from_utf8(a).unwrap_or_default(),
            std::str::from_utf8(b).unwrap_or_default(),
        );
    }
    let j = jaro(a, b);
    if j <= 0.7 {
        return j; // the prefix bonus applies only to strings already alike
    }
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + 0.1 * prefix as f64 * (1.0 - j)
}

fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    // Each character of `a` takes the first unused equal character of `b` within the
    // window; with `b`'s positions of each character as a bit set that is the lowest bit of
    // (equal & in the window & unused), found without a loop over `b`.
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    // The ASCII strings that reach here index the table by byte.
    let mut positions = [0u64; 128];
    for (j, &y) in b.iter().enumerate() {
        positions[usize::from(y & 0x7f)] |= 1 << j;
    }
    let (mut a_hit, mut b_hit) = (0u64, 0u64);
    for (i, &x) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        if lo >= hi {
            break; // every later window starts further right
        }
        let free = positions[usize::from(x & 0x7f)] & low_bits(hi) & !low_bits(lo) & !b_hit;
        if free != 0 {
            b_hit |= free & free.wrapping_neg();
            a_hit |= 1 << i;
        }
    }
    let matches = a_hit.count_ones();
    if matches == 0 {
        return 0.0;
    }
    // The k-th matched character of `a` against the k-th of `b`.
    let mut transpositions = 0u32;
    let (mut ra, mut rb) = (a_hit, b_hit);
    while ra != 0 {
        let (i, j) = (ra.trailing_zeros() as usize, rb.trailing_zeros() as usize);
        transpositions += u32::from(a[i] != b[j]);
        ra &= ra - 1;
        rb &= rb - 1;
    }
    let m = f64::from(matches);
    (m / a.len() as f64 + m / b.len() as f64 + (m - f64::from(transpositions / 2)) / m) / 3.0
}

/// The `n` lowest bits set (`n` ≤ 64).
fn low_bits(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// Whether `a` and `b` are at most one edit apart (insertion, deletion, substitution or a
/// swap of two adjacent characters).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let Some(i) = short.iter().zip(long).position(|(x, y)| x != y) else {
        return true; // equal, or one trailing insertion
    };
    if short.len() == long.len() {
        let substitution = short[i + 1..] == long[i + 1..];
        let swap = i + 1 < short.len()
            && short[i] == long[i + 1]
            && short[i + 1] == long[i]
            && short[i + 2..] == long[i + 2..];
        substitution || swap
    } else {
        short[i..] == long[i + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert!(
            (jaro_winkler("MARTHA", "MARHTA") - strsim::jaro_winkler("MARTHA", "MARHTA")).abs()
                < 1e-12
        );
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("A", ""), 0.0);
        assert!(within_one_edit("KIM", "KMI"));
        assert!(within_one_edit("XIE", "IE"));
        assert!(within_one_edit("CHOI", "CHOY"));
        assert!(within_one_edit("LEE", "LEE"));
        assert!(!within_one_edit("WONG", "KIM"));
        assert!(!within_one_edit("ABCD", "BADC"));
    }

    proptest! {
        #[test]
        fn jaro_winkler_agrees_with_strsim(a in "[A-Z ]{0,20}", b in "[A-Z ]{0,20}") {
            prop_assert!((jaro_winkler(&a, &b) - strsim::jaro_winkler(&a, &b)).abs() < 1e-9);
        }

        #[test]
        fn jaro_winkler_agrees_with_strsim_on_any_ascii(a in "[ -~]{0,30}", b in "[ -~]{0,30}") {
            prop_assert!((jaro_winkler(&a, &b) - strsim::jaro_winkler(&a, &b)).abs() < 1e-9);
        }

        #[test]
        fn jaro_winkler_agrees_with_strsim_up_to_the_bit_set_limit(
            // The bit sets hold 64 positions; longer strings go to strsim itself.
            a in "[AaBb0 ]{50,70}",
            b in "[AaBb0 ]{50,70}",
        ) {
            prop_assert!((jaro_winkler(&a, &b) - strsim::jaro_winkler(&a, &b)).abs() < 1e-9);
        }

        #[test]
        fn one_edit_agrees_with_damerau_levenshtein(a in "[A-D]{0,7}", b in "[A-D]{0,7}") {
            prop_assert_eq!(within_one_edit(&a, &b), strsim::osa_distance(&a, &b) <= 1);
        }

        #[test]
        fn never_panics_on_any_text(a in "\\PC{0,80}", b in "\\PC{0,80}") {
            let _ = jaro_winkler(&a, &b);
            let _ = within_one_edit(&a, &b);
        }
    }
}
