//! Our Merkle tree against an independent implementation (the `ct-merkle` crate) on random
//! trees: same roots, byte-identical proofs, and each side's proofs verify with the other's
//! verifier. covers: RELIABILITY.md A3 (T0: 500 trees).

use crosscheck_ledger::merkle::{Hash, Tree, leaf_hash, verify_consistency, verify_inclusion};
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof};
use sha2::Sha256;

/// SplitMix64, seeded: the same trees every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn concat(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flatten().copied().collect()
}

fn split(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks(32)
        .map(|c| c.try_into().expect("32-byte hashes"))
        .collect()
}

#[test]
fn five_hundred_random_trees_agree_with_ct_merkle() {
    let mut rng = Rng(6962);
    for tree_no in 0..500 {
        let n = 1 + rng.below(300);
        let leaves: Vec<Vec<u8>> = (0..n)
            .map(|_| (0..1 + rng.below(40)).map(|_| rng.next() as u8).collect())
            .collect();
        let mut ours = Tree::new();
        let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        for l in &leaves {
            ours.push(leaf_hash(l));
            theirs.push(l.clone());
        }
        let their_root = theirs.root();
        let root = ours.root(n).unwrap();
        assert_eq!(
            &root[..],
            &their_root.as_bytes()[..],
            "tree {tree_no}: root of {n}"
        );

        let i = rng.below(n);
        let our_path = ours.inclusion_proof(i, n).unwrap();
        let their_path = theirs.prove_inclusion(i as usize);
        assert_eq!(
            concat(&our_path),
            their_path.as_bytes(),
            "tree {tree_no}: inclusion of {i} in {n}"
        );
        assert!(verify_inclusion(
            &leaf_hash(&leaves[i as usize]),
            i,
            n,
            &split(their_path.as_bytes()),
            &root
        ));
        let ours_as_theirs = InclusionProof::<Sha256>::try_from_bytes(concat(&our_path)).unwrap();
        assert!(
            their_root
                .verify_inclusion(&leaves[i as usize], i, &ours_as_theirs)
                .is_ok()
        );

        if n > 1 {
            let additions = rng.below(n - 1) + 1; // 1..n-1 additions: old size m in 1..n-1
            let m = n - additions;
            let our_proof = ours.consistency_proof(m, n).unwrap();
            let their_proof = theirs.prove_consistency(additions as usize);
            assert_eq!(
                concat(&our_proof),
                their_proof.as_bytes(),
                "tree {tree_no}: consistency {m} -> {n}"
            );
            let old = ours.root(m).unwrap();
            assert!(verify_consistency(
                m,
                n,
                &old,
                &root,
                &split(their_proof.as_bytes())
            ));
            let mut prefix = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            for l in &leaves[..m as usize] {
                prefix.push(l.clone());
            }
            let ours_as_theirs =
                ConsistencyProof::<Sha256>::try_from_bytes(concat(&our_proof)).unwrap();
            assert!(
                their_root
                    .verify_consistency(&prefix.root(), &ours_as_theirs)
                    .is_ok()
            );
        }
    }
}
