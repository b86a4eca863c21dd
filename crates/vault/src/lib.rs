//! Keys, sealing, field and blob encryption, crypto-shredding and exchange packages.
