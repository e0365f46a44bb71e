//! etcd's Raft snapshot files (`member/snap/<term:016x>-<index:016x>.snap`, etcd's
//! `etcdserver/api/snap`): a `snappb.snapshot {crc, data}` whose data is a `raftpb.Snapshot`
//! (metadata: index, term, conf state; data: the v2 store as JSON) and whose crc is the
//! CRC-32C of the data. Read for start in place and import, written by export.
//!
//! Depends on: pb, crc (through [`super::wal::crc32c_update`]).

use std::path::{Path, PathBuf};

use prost::Message;

use super::wal::crc32c_update;
use crate::pb::raftpb::Snapshot;
use crate::pb::snappb;

/// Why a `.snap` file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapError {
    /// Reading the directory or the file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not decode or its CRC does not match (`snap: crc mismatch`).
    #[error("{path}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// The `.snap` files of `dir` as (term, index, path), newest (highest index) first.
///
/// # Errors
/// I/O reading the directory.
pub fn snap_files(dir: &Path) -> Result<Vec<(u64, u64, PathBuf)>, SnapError> {
    let io = |source| SnapError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io(e)),
    };
    for ent in rd {
        let path = ent.map_err(io)?.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".snap"))
        else {
            continue;
        };
        let Some((t, i)) = stem.split_once('-') else {
            continue;
        };
        if let (Ok(term), Ok(index)) = (u64::from_str_radix(t, 16), u64::from_str_radix(i, 16)) {
            out.push((term, index, path));
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    Ok(out)
}

/// Reads and checks one `.snap` file.
///
/// # Errors
/// [`SnapError`]: unreadable, undecodable, CRC mismatch, empty.
pub fn read(path: &Path) -> Result<Snapshot, SnapError> {
    let corrupt = |what: String| SnapError::Corrupt {
        path: path.to_path_buf(),
        what,
    };
    let bytes = std::fs::read(path).map_err(|source| SnapError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.is_empty() {
        return Err(corrupt("snap: empty snapshot".into()));
    }
    let s = snappb::Snapshot::decode(&bytes[..]).map_err(|e| corrupt(e.to_string()))?;
    let data = s.data.unwrap_or_default();
    if crc32c_update(0, &data) != s.crc.unwrap_or(0) {
        return Err(corrupt("snap: crc mismatch".into()));
    }
    Snapshot::decode(&data[..]).map_err(|e| corrupt(format!("raftpb.Snapshot: {e}")))
}

/// Writes `snap` as `<dir>/<term:016x>-<index:016x>.snap` (synced). Returns the path.
///
/// # Errors
/// I/O.
pub fn write(dir: &Path, snap: &Snapshot) -> std::io::Result<PathBuf> {
    let meta = snap.metadata.clone().unwrap_or_default();
    let data = snap.encode_to_vec();
    let file = snappb::Snapshot {
        crc: Some(crc32c_update(0, &data)),
        data: Some(data),
    };
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!(
        "{:016x}-{:016x}.snap",
        meta.term.unwrap_or(0),
        meta.index.unwrap_or(0)
    ));
    let mut f = std::fs::File::create(&path)?;
    std::io::Write::write_all(&mut f, &file.encode_to_vec())?;
    f.sync_all()?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pb::raftpb::{ConfState, SnapshotMetadata};

    #[test]
    fn snap_round_trips_and_a_flipped_byte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let snap = Snapshot {
            data: Some(b"{}".to_vec()),
            metadata: Some(SnapshotMetadata {
                conf_state: Some(ConfState {
                    voters: vec![1, 2],
                    ..Default::default()
                }),
                index: Some(9),
                term: Some(3),
            }),
        };
        let path = write(dir.path(), &snap).unwrap();
        assert_eq!(snap_files(dir.path()).unwrap()[0].1, 9);
        assert_eq!(read(&path).unwrap(), snap);
        let mut b = std::fs::read(&path).unwrap();
        let n = b.len();
        b[n - 1] ^= 1;
        std::fs::write(&path, b).unwrap();
        assert!(read(&path).is_err());
    }
}
