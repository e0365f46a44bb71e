//! etcd's `snapshot status` of a bbolt file ([`status()`], the hash etcdctl prints) and the
//! sha256 trailer etcd's Snapshot RPC appends ([`append_sha256_trailer`]).
//!
//! Depends on: the [`Reader`], crc, sha2.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;

/// etcd's `snapshot status` of a bbolt file (`clientv3/snapshot.v3Manager.Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// CRC-32C (Castagnoli) over, for each top-level bucket in name order, its name, then each
    /// key and value (a nested bucket contributes its key only).
    pub hash: u32,
    /// Main revision of the last key of the `key` bucket (0 without one).
    pub revision: i64,
    /// Entries in all top-level buckets (bucket names not counted).
    pub total_key: u64,
    /// The database size: high-water mark times page size, in bytes.
    pub total_size: u64,
}

/// Computes etcd's [`Status`] of the bbolt file at `path` (a sha256 trailer after the pages is
/// ignored, as bbolt does).
///
/// # Errors
/// As [`Reader::open`] and [`Reader::for_each`]; `Corrupt` for a top-level entry that is not
/// a bucket (etcd: "cannot get hash of bucket").
pub fn status(path: &Path) -> Result<Status, BoltError> {
    use crate::storage::record::CASTAGNOLI;
    let reader = Reader::open(path)?;
    let problems = reader.check()?;
    if !problems.is_empty() {
        return Err(BoltError::Inconsistent(problems));
    }
    let mut digest = CASTAGNOLI.digest();
    let mut revision = 0i64;
    let mut total_key = 0u64;
    let mut buckets = Vec::new();
    reader.for_each(&reader.root(), |name, item| -> Result<(), BoltError> {
        match item {
            Item::Bucket(b) => {
                buckets.push((name.to_vec(), b));
                Ok(())
            }
            Item::Value(_) => Err(corrupt(
                reader.meta.root,
                format!(
                    "cannot get hash of bucket {}",
                    String::from_utf8_lossy(name)
                ),
            )),
        }
    })?;
    for (name, bucket) in buckets {
        digest.update(&name);
        let is_key = name == b"key";
        reader.for_each(&bucket, |k, item| -> Result<(), BoltError> {
            digest.update(k);
            if let Item::Value(v) = item {
                digest.update(v);
            }
            if is_key && k.len() >= 8 {
                let mut main = [0u8; 8];
                main.copy_from_slice(&k[..8]);
                revision = i64::from_be_bytes(main);
            }
            total_key += 1;
            Ok(())
        })?;
    }
    Ok(Status {
        hash: digest.finalize(),
        revision,
        total_key,
        total_size: reader.size(),
    })
}

/// Appends the sha256 of the whole of `file` to it, as etcd's Snapshot RPC ends its stream
/// (`etcdctl snapshot restore` verifies it; the file size then is `pages * 4096 + 32`).
///
/// # Errors
/// I/O errors.
pub fn append_sha256_trailer(file: &mut File) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    file.seek(SeekFrom::End(0))?;
    file.write_all(&hasher.finalize())?;
    file.sync_all()
}
