//! etcd's write-ahead log (`member/wal/*.wal`, etcd 3.4/3.5/3.6 `wal/`): read whole, as
//! etcd's `WAL.ReadAll` does, for start in place and `etcd util import`.
//!
//! A file is named `<seq:016x>-<index:016x>.wal` and holds frames: an 8-byte little-endian
//! length whose low 56 bits are the record size and, when the top bit is set, bits 56..59
//! the padding that aligns the frame to 8 bytes; then a `walpb.Record {type, crc, data}`.
//! Record types: 1 metadata (`etcdserverpb.Metadata`), 2 entry (`raftpb.Entry`), 3 state
//! (`raftpb.HardState`), 4 crc (the rolling CRC carried over from the previous file), 5
//! snapshot (`walpb.Snapshot`). `crc` is the CRC-32C of every record's data so far, rolled
//! across files. A zero length ends a file (preallocated space).
//!
//! Bytes and framing only: what the entries mean is apply's business. Depends on: pb, crc.

use std::path::{Path, PathBuf};

use prost::Message;

use crate::pb::raftpb::{Entry, HardState};
use crate::pb::walpb;
use crate::storage::record::CASTAGNOLI;

/// Record types (etcd's `wal.go`).
const METADATA_TYPE: i64 = 1;
const ENTRY_TYPE: i64 = 2;
const STATE_TYPE: i64 = 3;
const CRC_TYPE: i64 = 4;
const SNAPSHOT_TYPE: i64 = 5;

/// etcd refuses records above 10 MiB (`maxWALEntrySizeLimit`).
const MAX_RECORD: u64 = 10 * 1024 * 1024;

/// Go's `crc32.Update(prev, castagnoli, data)`: the CRC-32C of `data` continued from the
/// finished CRC `prev` (etcd's rolling WAL CRC).
pub(crate) fn crc32c_update(prev: u32, data: &[u8]) -> u32 {
    let mut d = CASTAGNOLI.digest_with_initial((!prev).reverse_bits());
    d.update(data);
    d.finalize()
}

/// Why a WAL could not be read. Every variant means "not converted, nothing touched".
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// Reading the directory or a file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No `*.wal` file in the directory.
    #[error("{0}: no WAL files")]
    Empty(PathBuf),
    /// A file name etcd would not have written.
    #[error("{0}: not an etcd WAL file name")]
    BadName(PathBuf),
    /// A frame or record that does not decode.
    #[error("{path} at offset {offset}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the frame.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// A record's CRC does not match the data.
    #[error("{path} at offset {offset}: wal: crc mismatch")]
    CrcMismatch {
        /// The file.
        path: PathBuf,
        /// Byte offset of the frame.
        offset: u64,
    },
    /// A record type this reader does not know (a WAL of another etcd version).
    #[error("{path} at offset {offset}: unknown WAL record type {kind} (unsupported WAL version)")]
    UnknownType {
        /// The file.
        path: PathBuf,
        /// Byte offset of the frame.
        offset: u64,
        /// The record type.
        kind: i64,
    },
    /// Two metadata records differ (`wal: conflicting metadata found`).
    #[error("wal: conflicting metadata found")]
    MetadataConflict,
}

/// Everything a WAL holds, after etcd's `ReadAll` rules (a later entry at an index replaces
/// that entry and everything after it).
#[derive(Debug, Clone, Default)]
pub struct WalContents {
    /// The metadata record (`etcdserverpb.Metadata`: member ID and cluster ID), raw.
    pub metadata: Option<Vec<u8>>,
    /// The last hard state (term, vote, commit).
    pub hard_state: HardState,
    /// Entries in index order, without gaps.
    pub entries: Vec<Entry>,
    /// Snapshot records (index, term) in file order.
    pub snapshots: Vec<walpb::Snapshot>,
}

/// The `*.wal` files of `dir` in sequence order.
///
/// # Errors
/// I/O, a `.wal` file with a malformed name.
pub fn wal_files(dir: &Path) -> Result<Vec<PathBuf>, WalError> {
    let io = |source| WalError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for ent in std::fs::read_dir(dir).map_err(io)? {
        let path = ent.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".wal") else {
            continue;
        };
        let parsed = stem
            .split_once('-')
            .filter(|(a, b)| a.len() == 16 && b.len() == 16)
            .and_then(|(a, b)| {
                Some((
                    u64::from_str_radix(a, 16).ok()?,
                    u64::from_str_radix(b, 16).ok()?,
                ))
            });
        let Some((seq, _index)) = parsed else {
            return Err(WalError::BadName(path));
        };
        files.push((seq, path));
    }
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// True if `dir` holds at least one `*.wal` file (an etcd WAL directory).
pub fn has_wal_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".wal"))
        })
        .unwrap_or(false)
}

/// Reads every record of every WAL file of `dir`, checking the rolling CRC. A torn last
/// frame of the last file (a crash mid-write) ends the log, as in etcd.
///
/// # Errors
/// [`WalError`]: unreadable, corrupt, unknown record type, CRC mismatch.
pub fn read_all(dir: &Path) -> Result<WalContents, WalError> {
    let files = wal_files(dir)?;
    if files.is_empty() {
        return Err(WalError::Empty(dir.to_path_buf()));
    }
    let mut out = WalContents::default();
    let mut crc = 0u32;
    let last_file = files.len() - 1;
    for (fi, path) in files.iter().enumerate() {
        let bytes = std::fs::read(path).map_err(|source| WalError::Io {
            path: path.clone(),
            source,
        })?;
        let corrupt = |offset: usize, what: String| WalError::Corrupt {
            path: path.clone(),
            offset: offset as u64,
            what,
        };
        let mut off = 0usize;
        while off + 8 <= bytes.len() {
            let mut len8 = [0u8; 8];
            len8.copy_from_slice(&bytes[off..off + 8]);
            let len_field = u64::from_le_bytes(len8);
            if len_field == 0 {
                break;
            }
            let rec_bytes = len_field & !(0xffu64 << 56);
            let pad = if len_field >> 63 == 1 {
                (len_field >> 56) & 0x7
            } else {
                0
            };
            if rec_bytes >= MAX_RECORD {
                return Err(corrupt(off, format!("record of {rec_bytes} bytes")));
            }
            let start = off + 8;
            let end = start + (rec_bytes + pad) as usize;
            if end > bytes.len() {
                if fi == last_file {
                    break; // torn write at the tail
                }
                return Err(corrupt(off, "truncated record".into()));
            }
            let rec = walpb::Record::decode(&bytes[start..start + rec_bytes as usize])
                .map_err(|e| corrupt(off, format!("record: {e}")))?;
            let kind = rec.r#type.unwrap_or(0);
            let data = rec.data.clone().unwrap_or_default();
            if kind == CRC_TYPE {
                let want = rec.crc.unwrap_or(0);
                if crc != 0 && want != crc {
                    return Err(WalError::CrcMismatch {
                        path: path.clone(),
                        offset: off as u64,
                    });
                }
                crc = want;
            } else {
                crc = crc32c_update(crc, &data);
                if rec.crc.unwrap_or(0) != crc {
                    return Err(WalError::CrcMismatch {
                        path: path.clone(),
                        offset: off as u64,
                    });
                }
            }
            match kind {
                METADATA_TYPE => {
                    if out.metadata.as_ref().is_some_and(|m| *m != data) {
                        return Err(WalError::MetadataConflict);
                    }
                    out.metadata = Some(data);
                }
                ENTRY_TYPE => {
                    let e = Entry::decode(&data[..])
                        .map_err(|e| corrupt(off, format!("entry: {e}")))?;
                    let index = e.index.unwrap_or(0);
                    while out
                        .entries
                        .last()
                        .is_some_and(|l| l.index.unwrap_or(0) >= index)
                    {
                        out.entries.pop();
                    }
                    if let Some(l) = out.entries.last() {
                        if l.index.unwrap_or(0) + 1 != index {
                            // Entries before a gap belong to an older part of the log (a
                            // snapshot was taken in between): keep the newest run.
                            out.entries.clear();
                        }
                    }
                    out.entries.push(e);
                }
                STATE_TYPE => {
                    out.hard_state = HardState::decode(&data[..])
                        .map_err(|e| corrupt(off, format!("hard state: {e}")))?;
                }
                CRC_TYPE => {}
                SNAPSHOT_TYPE => {
                    out.snapshots.push(
                        walpb::Snapshot::decode(&data[..])
                            .map_err(|e| corrupt(off, format!("snapshot: {e}")))?,
                    );
                }
                other => {
                    return Err(WalError::UnknownType {
                        path: path.clone(),
                        offset: off as u64,
                        kind: other,
                    })
                }
            }
            off = end;
        }
    }
    Ok(out)
}

/// One record after the metadata of a WAL file written by [`write_records`].
#[derive(Debug, Clone, Copy)]
pub enum WalRecord<'a> {
    /// A snapshot record (`walpb.Snapshot`: index, term).
    Snapshot(&'a walpb::Snapshot),
    /// An entry record.
    Entry(&'a Entry),
    /// A hard state record.
    State(&'a HardState),
}

/// Writes one WAL file `<dir>/0000000000000000-0000000000000000.wal` holding, like etcd's
/// `wal.Create` followed by `SaveSnapshot` and `Save`: the crc record (0), the metadata,
/// a snapshot record, then `entries` and the hard state. Returns the path.
///
/// # Errors
/// I/O.
pub fn write_new(
    dir: &Path,
    metadata: &[u8],
    snapshot: &walpb::Snapshot,
    entries: &[Entry],
    hard_state: &HardState,
) -> std::io::Result<PathBuf> {
    let records: Vec<WalRecord<'_>> = std::iter::once(WalRecord::Snapshot(snapshot))
        .chain(entries.iter().map(WalRecord::Entry))
        .chain(std::iter::once(WalRecord::State(hard_state)))
        .collect();
    write_records(dir, metadata, &records)
}

/// Writes one WAL file `<dir>/0000000000000000-0000000000000000.wal`: the crc record (0),
/// the metadata record, then `records` in order (etcd's `wal.Create` writes an empty
/// snapshot record first; `Save` entries then the state; `SaveSnapshot` a snapshot record).
/// Returns the path.
///
/// # Errors
/// I/O.
pub fn write_records(
    dir: &Path,
    metadata: &[u8],
    records: &[WalRecord<'_>],
) -> std::io::Result<PathBuf> {
    let mut buf = Vec::new();
    let mut crc = 0u32;
    let mut push = |kind: i64, data: Vec<u8>, buf: &mut Vec<u8>| {
        let rec_crc = if kind == CRC_TYPE {
            crc
        } else {
            crc = crc32c_update(crc, &data);
            crc
        };
        let rec = walpb::Record {
            r#type: Some(kind),
            crc: Some(rec_crc),
            data: (kind != CRC_TYPE).then_some(data),
        };
        let bytes = rec.encode_to_vec();
        let pad = (8 - bytes.len() % 8) % 8;
        let mut len_field = bytes.len() as u64;
        if pad != 0 {
            len_field |= (0x80 | pad as u64) << 56;
        }
        buf.extend_from_slice(&len_field.to_le_bytes());
        buf.extend_from_slice(&bytes);
        buf.extend(std::iter::repeat_n(0u8, pad));
    };
    push(CRC_TYPE, Vec::new(), &mut buf);
    push(METADATA_TYPE, metadata.to_vec(), &mut buf);
    for r in records {
        match r {
            WalRecord::Snapshot(s) => push(SNAPSHOT_TYPE, s.encode_to_vec(), &mut buf),
            WalRecord::Entry(e) => push(ENTRY_TYPE, e.encode_to_vec(), &mut buf),
            WalRecord::State(h) => push(STATE_TYPE, h.encode_to_vec(), &mut buf),
        }
    }
    // etcd preallocates 64 MB segments; zeros after the last record end the file.
    let path = dir.join(format!("{:016x}-{:016x}.wal", 0, 0));
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::File::create(&path)?;
    std::io::Write::write_all(&mut f, &buf)?;
    f.sync_all()?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_update_continues_gos_rolling_crc() {
        // crc32.Checksum("123456789", castagnoli) = 0xe3069283.
        assert_eq!(crc32c_update(0, b"123456789"), 0xe306_9283);
        let split = crc32c_update(crc32c_update(0, b"1234"), b"56789");
        assert_eq!(split, 0xe306_9283);
    }

    #[test]
    fn written_wal_reads_back_and_a_flipped_byte_is_a_crc_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let entries = vec![Entry {
            term: Some(2),
            index: Some(8),
            r#type: Some(0),
            data: Some(b"abc".to_vec()),
        }];
        let hs = HardState {
            term: Some(2),
            vote: Some(7),
            commit: Some(8),
        };
        let snap = walpb::Snapshot {
            index: Some(7),
            term: Some(2),
        };
        let path = write_new(dir.path(), b"meta", &snap, &entries, &hs).unwrap();
        let got = read_all(dir.path()).unwrap();
        assert_eq!(got.metadata.as_deref(), Some(&b"meta"[..]));
        assert_eq!(got.hard_state, hs);
        assert_eq!(got.entries, entries);
        assert_eq!(got.snapshots, vec![snap]);

        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 3] ^= 0x40; // inside the hard state's data
        std::fs::write(&path, &bytes).unwrap();
        let err = read_all(dir.path()).unwrap_err();
        assert!(
            matches!(err, WalError::CrcMismatch { .. } | WalError::Corrupt { .. }),
            "{err}"
        );
    }

    /// A record type etcd 3.4/3.5 never writes (another WAL version) is refused, and a
    /// frame cut short at the end of the last file (a torn write) ends the log.
    #[test]
    fn unknown_record_types_are_refused_and_a_torn_tail_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_new(
            dir.path(),
            b"meta",
            &walpb::Snapshot::default(),
            &[],
            &HardState::default(),
        )
        .unwrap();
        let good = std::fs::read(&path).unwrap();
        let mut torn = good.clone();
        torn.extend_from_slice(&64u64.to_le_bytes());
        torn.extend_from_slice(&[1, 2, 3]);
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(
            read_all(dir.path()).unwrap().metadata.as_deref(),
            Some(&b"meta"[..])
        );

        // The rolling CRC after metadata, snapshot and hard state, then this record's data.
        let crc = [
            b"meta".to_vec(),
            walpb::Snapshot::default().encode_to_vec(),
            HardState::default().encode_to_vec(),
            vec![1],
        ]
        .iter()
        .fold(0, |c, d| crc32c_update(c, d));
        let rec = walpb::Record {
            r#type: Some(9),
            crc: Some(crc),
            data: Some(vec![1]),
        }
        .encode_to_vec();
        let mut unknown = good;
        let pad = (8 - rec.len() % 8) % 8;
        let mut len = rec.len() as u64;
        if pad != 0 {
            len |= (0x80 | pad as u64) << 56;
        }
        unknown.extend_from_slice(&len.to_le_bytes());
        unknown.extend_from_slice(&rec);
        unknown.extend(std::iter::repeat_n(0u8, pad));
        std::fs::write(&path, &unknown).unwrap();
        let err = read_all(dir.path()).unwrap_err();
        assert!(
            matches!(
                err,
                WalError::UnknownType { kind: 9, .. } | WalError::CrcMismatch { .. }
            ),
            "{err}"
        );
    }
}
