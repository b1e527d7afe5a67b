//! One-character edits, the commonest keying error.

use rand::Rng;

/// `s` with one random edit: substitution, deletion, insertion or transposition of adjacent
/// letters. Strings of fewer than two letters are returned unchanged; the result always
/// differs from `s` when it has two or more letters.
pub fn one_edit(rng: &mut impl Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    if letters.len() < 2 {
        return s.to_owned();
    }
    for _ in 0..8 {
        let mut out = chars.clone();
        let i = letters[rng.random_range(0..letters.len())];
        match rng.random_range(0..4) {
            0 => out[i] = (b'A' + rng.random_range(0..26u8)) as char,
            1 => {
                out.remove(i);
            }
            2 => out.insert(i, (b'A' + rng.random_range(0..26u8)) as char),
            _ => {
                if i + 1 < out.len() && out[i + 1].is_alphabetic() {
                    out.swap(i, i + 1);
                }
            }
        }
        let out: String = out.into_iter().collect();
        if out != s {
            return out;
        }
    }
    // Fall back to a deterministic deletion of the last letter.
    let mut out = chars;
    out.remove(*letters.last().expect("at least two letters"));
    out.into_iter().collect()
}
