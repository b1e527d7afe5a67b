//! Sealing personal data at rest: XChaCha20-Poly1305 with a random 192-bit nonce per value,
//! the row's identity as associated data so a sealed value moved to another row no longer
//! opens.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const NONCE: usize = 24;

/// The data key's cipher. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Cipher(XChaCha20Poly1305);

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher([redacted])")
    }
}

impl Cipher {
    /// The cipher of a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Cipher {
        Cipher(XChaCha20Poly1305::new(key.into()))
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plain`, bound to `row`.
    pub fn seal(&self, row: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).expect("the operating system's random source is available");
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: row.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext, or `None` when the key, the row or the bytes are wrong.
    pub fn open(&self, row: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE);
        self.0
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: row.as_bytes(),
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_own_row_with_its_own_key() {
        let c = Cipher::new(&[7; 32]);
        let s = c.seal("returns:1", b"MARIA GARCIA");
        assert_eq!(
            c.open("returns:1", &s).as_deref(),
            Some(&b"MARIA GARCIA"[..])
        );
        assert_eq!(c.open("returns:2", &s), None);
        assert_eq!(Cipher::new(&[8; 32]).open("returns:1", &s), None);
        let mut flipped = s.clone();
        flipped[30] ^= 1;
        assert_eq!(c.open("returns:1", &flipped), None);
        assert_eq!(c.open("returns:1", &s[..10]), None);
        assert!(!s.windows(5).any(|w| w == b"MARIA"));
    }
}
