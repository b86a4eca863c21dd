//! Persistence of customers, consents, cases and prints (SQLite or PostgreSQL), encrypted blobs on disk.
