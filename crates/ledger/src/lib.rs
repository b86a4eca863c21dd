//! RFC 6962 Merkle ledger with signed checkpoints, inclusion and consistency proofs.
