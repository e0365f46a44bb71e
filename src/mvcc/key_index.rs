//! etcd's `keyIndex`: the revision history of one user key, split into generations.
//!
//! Job: answer "which revision of this key was visible at store revision N" without scanning the
//! `key` database, and decide what a compaction may drop. Persisted in the `index` LMDB database
//! (user key → [`KeyIndex::encode_with`], see [`super::index`]); the user key is not repeated in the
//! encoded value. Depends only on [`super::revision`] and `std`.
//!
//! # Worked example (etcd's `key_index.go`)
//!
//! ```text
//! put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0) on key "foo" gives
//!   generations: {1.0, 2.0, 3.0(t)}, {4.0, 5.0(t)}, {empty}
//! put(6.0); put(7.0) then gives
//!   generations: {1.0, 2.0, 3.0(t)}, {4.0, 5.0(t)}, {6.0, 7.0}
//! ```
//! A generation is closed by its tombstone; the last generation is the live one (empty when the
//! key is currently deleted).
//!
//! Compacting at revision N drops every revision smaller than the newest one `<= N` of each
//! generation, and whole generations whose tombstone is `<= N`:
//! ```text
//! compact(2): {2.0, 3.0(t)}, {4.0, 5.0(t)}, {6.0, 7.0}
//! compact(4): {4.0, 5.0(t)}, {6.0, 7.0}
//! compact(5): {6.0, 7.0}          (generation {5.0(t)} removed; 5.0 not kept)
//! compact(7): {7.0}
//! ```
//!
//! # Long histories
//! The `index` record of a key holds at most [`INLINE_MAX`] revisions: when a put passes that,
//! the oldest ones are *spilled* ([`KeyIndex::spill_oldest`]) as [`SpilledRevision`]s into the
//! `index_history` database (see [`super::index`]), leaving the newest [`INLINE_KEEP`] inline and
//! a [`Spill`] marker. So a put costs the same whatever the key's history since the last
//! compaction (etcd's in-memory `keyIndex` appends in O(1) too); reads at the current revision
//! never look at the spilled part, reads at older revisions seek it by revision.

use std::collections::HashSet;

use super::revision::Revision;

/// One life of a key: from its creating put to its tombstone (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Generation {
    /// Number of puts (and the closing tombstone) in this generation, including ones already
    /// compacted away; the key's `version` at the newest revision.
    pub ver: i64,
    /// Revision of the put that created the key in this generation.
    pub created: Revision,
    /// Surviving revisions, oldest first; the last one is the tombstone of a closed generation.
    pub revs: Vec<Revision>,
}

impl Generation {
    /// `true` when no revision is recorded (a freshly opened generation after a tombstone).
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// Index of the newest revision for which `keep_walking` is false, walking newest → oldest
    /// (etcd's `generation.walk`); `None` if it stays true for all of them.
    fn walk(&self, mut keep_walking: impl FnMut(Revision) -> bool) -> Option<usize> {
        self.revs.iter().rposition(|rev| !keep_walking(*rev))
    }
}

/// The tombstone was requested for a key whose live generation is empty (etcd's
/// `ErrRevisionNotFound` from `keyIndex.tombstone`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mvcc: revision not found")]
pub struct RevisionNotFound;

/// An `index` database value that does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt key index: {0}")]
pub struct CorruptKeyIndex(pub &'static str);

/// What [`KeyIndex::get`] returns for a visible key: its modification revision, the revision that
/// created its generation, and its version at the requested revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible {
    /// Revision of the change visible at the requested revision (etcd's `modified`).
    pub modified: Revision,
    /// Creation revision of that generation.
    pub created: Revision,
    /// Version of the key at that change (1 for the creating put).
    pub version: i64,
}

/// etcd's `keyIndex` without the key: the last modification and the generations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyIndex {
    /// Revision of the newest change (put or tombstone).
    pub modified: Revision,
    /// Generations, oldest first; never empty once something has been put.
    pub generations: Vec<Generation>,
}

/// Encoding of an `index` record without spilled revisions.
const ENCODING_VERSION: u8 = 1;
/// Encoding of an `index` record with a [`Spill`] marker after the version byte.
const ENCODING_VERSION_SPILLED: u8 = 2;
/// [`ENCODING_VERSION`]'s fields as varints, revisions as deltas (see [`KeyIndex::encode_with`]).
const ENCODING_COMPACT: u8 = 3;
/// [`ENCODING_VERSION_SPILLED`]'s fields as varints, revisions as deltas.
const ENCODING_COMPACT_SPILLED: u8 = 4;

/// Inline revisions (all generations together) above which a store spills the oldest ones.
/// 64 revisions keep a record under 1.1 KiB even in the fixed form (a few hundred bytes in
/// the compact one), under LMDB's overflow-page size.
pub const INLINE_MAX: usize = 64;
/// Inline revisions left after a spill (the newest ones); a key spills once per
/// `INLINE_MAX - INLINE_KEEP` puts.
pub const INLINE_KEEP: usize = 32;

/// A decoded record's fields: spill marker, `modified`, generations.
type Decoded = (Option<Spill>, Revision, Vec<Generation>);

/// Where the spilled (oldest) revisions of a key live: every revision `<= last` of the key is in
/// the `index_history` database under the key prefix `id`, none newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spill {
    /// The history's name: the first revision ever spilled for this entry (unique, since a
    /// revision belongs to one key), kept when compaction removes that revision.
    pub id: Revision,
    /// Newest spilled revision.
    pub last: Revision,
}

/// One revision moved out of the `index` record, with what a read at it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpilledRevision {
    /// The revision.
    pub rev: Revision,
    /// Creation revision of its generation.
    pub created: Revision,
    /// The key's version at this revision (the tombstone's counts too, as [`KeyIndex::put`]).
    pub version: i64,
    /// Whether it closes its generation (a deletion).
    pub tombstone: bool,
}

impl SpilledRevision {
    /// Bytes of [`Self::encode_value`]: created (16), version (8), tombstone flag (1).
    pub const VALUE_LEN: usize = 25;

    /// `created ‖ version ‖ tombstone (0 or 1)`, integers big-endian.
    pub fn encode_value(&self) -> [u8; Self::VALUE_LEN] {
        let mut out = [0u8; Self::VALUE_LEN];
        out[..8].copy_from_slice(&self.created.main.to_be_bytes());
        out[8..16].copy_from_slice(&self.created.sub.to_be_bytes());
        out[16..24].copy_from_slice(&self.version.to_be_bytes());
        out[24] = u8::from(self.tombstone);
        out
    }

    /// Decodes [`Self::encode_value`] for revision `rev`.
    ///
    /// # Errors
    /// [`CorruptKeyIndex`] on a wrong length or flag.
    pub fn decode_value(rev: Revision, bytes: &[u8]) -> Result<Self, CorruptKeyIndex> {
        if bytes.len() != Self::VALUE_LEN || bytes[24] > 1 {
            return Err(CorruptKeyIndex("spilled revision"));
        }
        let mut r = Reader(bytes);
        Ok(SpilledRevision {
            rev,
            created: r.rev()?,
            version: r.i64()?,
            tombstone: bytes[24] == 1,
        })
    }
}

impl KeyIndex {
    /// Records a put at `rev`. `rev` must be greater than [`Self::modified`] (the store allocates
    /// increasing revisions); a new generation's creation revision is set on its first put.
    pub fn put(&mut self, rev: Revision) {
        debug_assert!(
            rev > self.modified || self.generations.is_empty(),
            "put with a smaller revision"
        );
        if self.generations.is_empty() {
            self.generations.push(Generation::default());
        }
        let g = self
            .generations
            .last_mut()
            .expect("invariant: at least one generation after push");
        if g.revs.is_empty() {
            g.created = rev;
        }
        g.revs.push(rev);
        g.ver += 1;
        self.modified = rev;
    }

    /// Records a deletion at `rev`: appends the tombstone to the live generation and opens a new
    /// empty one.
    ///
    /// # Errors
    /// [`RevisionNotFound`] when the key is not live (its last generation is empty).
    pub fn tombstone(&mut self, rev: Revision) -> Result<(), RevisionNotFound> {
        match self.generations.last() {
            Some(g) if !g.is_empty() => {}
            _ => return Err(RevisionNotFound),
        }
        self.put(rev);
        self.generations.push(Generation::default());
        Ok(())
    }

    /// The change visible at main revision `at_rev`, or `None` if the key did not exist then
    /// (never created yet, deleted, or compacted away). Never returns a tombstone.
    pub fn get(&self, at_rev: i64) -> Option<Visible> {
        let g = self.find_generation(at_rev)?;
        let n = g.walk(|rev| rev.main > at_rev)?;
        let newer =
            i64::try_from(g.revs.len() - n - 1).expect("invariant: revision count fits i64");
        Some(Visible {
            modified: g.revs[n],
            created: g.created,
            version: g.ver - newer,
        })
    }

    /// Revisions with `main >= rev`, oldest first, keeping only the last change of each main
    /// revision (etcd's `keyIndex.since`, used by watchers catching up).
    #[cfg(test)]
    pub fn since(&self, rev: i64) -> Vec<Revision> {
        let since = Revision::new(rev, 0);
        let mut gi = self.generations.len().saturating_sub(1);
        while gi > 0 {
            let g = &self.generations[gi];
            if !g.is_empty() && since > g.created {
                break;
            }
            gi -= 1;
        }
        let mut revs: Vec<Revision> = Vec::new();
        let mut last = 0;
        for g in &self.generations[gi..] {
            for r in &g.revs {
                if since > *r {
                    continue;
                }
                if r.main == last {
                    if let Some(prev) = revs.last_mut() {
                        *prev = *r;
                    }
                    continue;
                }
                revs.push(*r);
                last = r.main;
            }
        }
        revs
    }

    /// Compacts at main revision `at_rev`: removes revisions no longer reachable by a read at
    /// `>= at_rev`, and adds to `available` the revisions `<= at_rev` that must stay in the `key`
    /// database (etcd's `keyIndex.compact`). Afterwards [`Self::is_empty`] may be true, and then
    /// the whole entry should be removed.
    pub fn compact(&mut self, at_rev: i64, available: &mut HashSet<Revision>) {
        if self.generations.is_empty() {
            return;
        }
        let (mut gen_idx, rev_idx) = self.do_compact(at_rev, available);
        let last_gen = self.generations.len() - 1;
        let g = &mut self.generations[gen_idx];
        if !g.is_empty() {
            if let Some(ri) = rev_idx {
                g.revs.drain(..ri);
            }
            if g.revs.len() == 1 && gen_idx != last_gen {
                available.remove(&g.revs[0]);
                gen_idx += 1;
            }
        }
        self.generations.drain(..gen_idx);
    }

    /// Adds to `available` the revisions a compaction at `at_rev` would keep, without changing the
    /// index (etcd's `keyIndex.keep`, used by hashing).
    pub fn keep(&self, at_rev: i64, available: &mut HashSet<Revision>) {
        if self.is_empty() || self.generations.is_empty() {
            return;
        }
        let (gen_idx, rev_idx) = self.do_compact(at_rev, available);
        let g = &self.generations[gen_idx];
        if !g.is_empty()
            && rev_idx == Some(g.revs.len() - 1)
            && gen_idx != self.generations.len() - 1
        {
            available.remove(&g.revs[g.revs.len() - 1]);
        }
    }

    /// First generation not entirely at or below `at_rev` (its tombstone is newer, or it is the
    /// live one) and the index in it of the newest revision `<= at_rev`, which goes into
    /// `available`.
    fn do_compact(&self, at_rev: i64, available: &mut HashSet<Revision>) -> (usize, Option<usize>) {
        let mut gen_idx = 0;
        while gen_idx < self.generations.len() - 1 {
            let g = &self.generations[gen_idx];
            match g.revs.last() {
                Some(tomb) if tomb.main > at_rev => break,
                _ => gen_idx += 1,
            }
        }
        let g = &self.generations[gen_idx];
        let rev_idx = g.walk(|rev| rev.main > at_rev);
        if let Some(i) = rev_idx {
            available.insert(g.revs[i]);
        }
        (gen_idx, rev_idx)
    }

    /// Every recorded revision with `main <= at_rev`, oldest first, flagged `true` when it is a
    /// tombstone (the last revision of a closed generation). Used by compaction to find the `key`
    /// database entries to drop.
    pub fn revisions_upto(&self, at_rev: i64) -> Vec<(Revision, bool)> {
        let last_gen = self.generations.len().saturating_sub(1);
        let mut out = Vec::new();
        for (gi, g) in self.generations.iter().enumerate() {
            for (ri, r) in g.revs.iter().enumerate() {
                if r.main <= at_rev {
                    out.push((*r, gi != last_gen && ri == g.revs.len() - 1));
                }
            }
        }
        out
    }

    /// `true` when nothing is left: a single empty generation (etcd's `keyIndex.isEmpty`).
    pub fn is_empty(&self) -> bool {
        self.generations.len() == 1 && self.generations[0].is_empty()
    }

    /// The generation that holds the change visible at `rev`, if the key was live then.
    fn find_generation(&self, rev: i64) -> Option<&Generation> {
        let last = self.generations.len().checked_sub(1)?;
        for (i, g) in self.generations.iter().enumerate().rev() {
            let (Some(first), Some(tomb)) = (g.revs.first(), g.revs.last()) else {
                continue;
            };
            if i != last && tomb.main <= rev {
                return None;
            }
            if first.main <= rev {
                return Some(g);
            }
        }
        None
    }

    /// Compact binary form stored in the `index` database: a version byte, `modified`, then per
    /// generation `ver`, `created`, a u32 revision count and the revisions; integers big-endian,
    /// each revision as 16 bytes (main, sub).
    #[cfg(test)]
    pub fn encode(&self) -> Vec<u8> {
        self.encode_with(None)
    }

    /// [`Self::encode`], or with `spill` the spilled form: version byte 2, the spill's `id` and
    /// `last` (16 bytes each), then the same fields.
    ///
    /// Written is the compact form of the same fields when every number in it is non-negative
    /// and the revisions of each generation ascend from its creation revision (always, for
    /// what the store writes): version byte 3 (4 with a spill), then every integer as a
    /// protobuf varint, each revision's main as the difference from the previous one in its
    /// generation (the first from the generation's `created`). A key with one revision takes
    /// about 15 bytes instead of 61.
    pub fn encode_with(&self, spill: Option<&Spill>) -> Vec<u8> {
        self.encode_compact(spill)
            .unwrap_or_else(|| self.encode_fixed(spill))
    }

    /// The compact form of [`Self::encode_with`], `None` when a number does not fit it.
    fn encode_compact(&self, spill: Option<&Spill>) -> Option<Vec<u8>> {
        use prost::encoding::encode_varint;
        fn put(out: &mut Vec<u8>, v: i64) -> Option<()> {
            encode_varint(u64::try_from(v).ok()?, out);
            Some(())
        }
        let mut out =
            Vec::with_capacity(8 + self.generations.len() * 8 + self.revision_count() * 4);
        match spill {
            None => out.push(ENCODING_COMPACT),
            Some(s) => {
                out.push(ENCODING_COMPACT_SPILLED);
                for v in [s.id.main, s.id.sub, s.last.main, s.last.sub] {
                    put(&mut out, v)?;
                }
            }
        }
        put(&mut out, self.modified.main)?;
        put(&mut out, self.modified.sub)?;
        for g in &self.generations {
            put(&mut out, g.ver)?;
            put(&mut out, g.created.main)?;
            put(&mut out, g.created.sub)?;
            put(&mut out, i64::try_from(g.revs.len()).ok()?)?;
            let mut prev = g.created.main;
            for r in &g.revs {
                put(&mut out, r.main.checked_sub(prev)?)?;
                put(&mut out, r.sub)?;
                prev = r.main;
            }
        }
        Some(out)
    }

    /// The fixed-width form of [`Self::encode_with`] (version byte 1 or 2).
    fn encode_fixed(&self, spill: Option<&Spill>) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(1 + 48 + self.generations.len() * 28 + self.revision_count() * 16);
        match spill {
            None => out.push(ENCODING_VERSION),
            Some(s) => {
                out.push(ENCODING_VERSION_SPILLED);
                put_rev(&mut out, s.id);
                put_rev(&mut out, s.last);
            }
        }
        put_rev(&mut out, self.modified);
        for g in &self.generations {
            out.extend_from_slice(&g.ver.to_be_bytes());
            put_rev(&mut out, g.created);
            let n = u32::try_from(g.revs.len())
                .expect("invariant: fewer than 2^32 revisions per generation");
            out.extend_from_slice(&n.to_be_bytes());
            for r in &g.revs {
                put_rev(&mut out, *r);
            }
        }
        out
    }

    /// Decodes [`Self::encode`]'s output.
    ///
    /// # Errors
    /// [`CorruptKeyIndex`] on an unknown version byte or truncated input.
    #[cfg(test)]
    pub fn decode(bytes: &[u8]) -> Result<KeyIndex, CorruptKeyIndex> {
        match Self::decode_with(bytes)? {
            (ki, None) => Ok(ki),
            (_, Some(_)) => Err(CorruptKeyIndex("unexpected spill")),
        }
    }

    /// Decodes [`Self::encode_with`]'s output: the inline part and the spill marker, if any.
    ///
    /// # Errors
    /// [`CorruptKeyIndex`] on an unknown version byte or truncated input.
    pub fn decode_with(bytes: &[u8]) -> Result<(KeyIndex, Option<Spill>), CorruptKeyIndex> {
        let (tag, body) = bytes.split_first().ok_or(CorruptKeyIndex("truncated"))?;
        let (spill, modified, generations) = match *tag {
            ENCODING_COMPACT => Self::decode_compact(body, false)?,
            ENCODING_COMPACT_SPILLED => Self::decode_compact(body, true)?,
            ENCODING_VERSION => Self::decode_fixed(body, false)?,
            ENCODING_VERSION_SPILLED => Self::decode_fixed(body, true)?,
            _ => return Err(CorruptKeyIndex("unknown encoding version")),
        };
        Ok((
            KeyIndex {
                modified,
                generations,
            },
            spill,
        ))
    }

    /// Decodes the fixed form's fields (after its version byte): the spill marker if
    /// `spilled`, `modified`, the generations.
    fn decode_fixed(bytes: &[u8], spilled: bool) -> Result<Decoded, CorruptKeyIndex> {
        let mut r = Reader(bytes);
        let spill = if spilled {
            Some(Spill {
                id: r.rev()?,
                last: r.rev()?,
            })
        } else {
            None
        };
        let modified = r.rev()?;
        let mut generations = Vec::new();
        while !r.0.is_empty() {
            let ver = r.i64()?;
            let created = r.rev()?;
            let n = u32::from_be_bytes(
                r.take(4)?
                    .try_into()
                    .map_err(|_| CorruptKeyIndex("count"))?,
            );
            let n = usize::try_from(n).map_err(|_| CorruptKeyIndex("count"))?;
            if r.0.len() < n.saturating_mul(16) {
                return Err(CorruptKeyIndex("truncated revisions"));
            }
            let revs = (0..n).map(|_| r.rev()).collect::<Result<Vec<_>, _>>()?;
            generations.push(Generation { ver, created, revs });
        }
        Ok((spill, modified, generations))
    }

    /// Decodes the compact form's fields (after its version byte), as [`Self::decode_fixed`].
    fn decode_compact(mut buf: &[u8], spilled: bool) -> Result<Decoded, CorruptKeyIndex> {
        fn get(buf: &mut &[u8]) -> Result<i64, CorruptKeyIndex> {
            let v = prost::encoding::decode_varint(buf).map_err(|_| CorruptKeyIndex("varint"))?;
            i64::try_from(v).map_err(|_| CorruptKeyIndex("varint out of range"))
        }
        fn rev(buf: &mut &[u8]) -> Result<Revision, CorruptKeyIndex> {
            Ok(Revision::new(get(buf)?, get(buf)?))
        }
        let spill = if spilled {
            Some(Spill {
                id: rev(&mut buf)?,
                last: rev(&mut buf)?,
            })
        } else {
            None
        };
        let modified = rev(&mut buf)?;
        let mut generations = Vec::new();
        while !buf.is_empty() {
            let ver = get(&mut buf)?;
            let created = rev(&mut buf)?;
            let n = usize::try_from(get(&mut buf)?).map_err(|_| CorruptKeyIndex("count"))?;
            // Each revision takes at least two bytes: a count beyond that is damage.
            if n > buf.len() / 2 {
                return Err(CorruptKeyIndex("truncated revisions"));
            }
            let mut revs = Vec::with_capacity(n);
            let mut prev = created.main;
            for _ in 0..n {
                let main = prev
                    .checked_add(get(&mut buf)?)
                    .ok_or(CorruptKeyIndex("revision out of range"))?;
                revs.push(Revision::new(main, get(&mut buf)?));
                prev = main;
            }
            generations.push(Generation { ver, created, revs });
        }
        Ok((spill, modified, generations))
    }

    /// Revisions recorded, all generations together.
    pub fn revision_count(&self) -> usize {
        self.generations.iter().map(|g| g.revs.len()).sum()
    }

    /// The oldest recorded revision, if any.
    pub fn first_revision(&self) -> Option<Revision> {
        self.generations
            .iter()
            .find_map(|g| g.revs.first().copied())
    }

    /// Removes the oldest revisions so that the newest `keep` stay, and returns the removed ones
    /// oldest first, each with its generation's creation revision, its version and whether it is
    /// a tombstone. Generations left without revisions go, except the last (live) one; the first
    /// remaining generation keeps its `ver` and `created`. `keep` must be at least 1, so the
    /// newest revision (and with it the live generation) always stays.
    pub fn spill_oldest(&mut self, keep: usize) -> Vec<SpilledRevision> {
        debug_assert!(keep >= 1, "spill_oldest must keep the newest revision");
        let mut n = self.revision_count().saturating_sub(keep.max(1));
        let mut out = Vec::with_capacity(n);
        let last_gen = self.generations.len().saturating_sub(1);
        let mut drop_gens = 0;
        for (gi, g) in self.generations.iter_mut().enumerate() {
            if n == 0 {
                break;
            }
            let len = g.revs.len();
            let take = n.min(len);
            for (ri, rev) in g.revs.drain(..take).enumerate() {
                let newer =
                    i64::try_from(len - ri - 1).expect("invariant: revision count fits i64");
                out.push(SpilledRevision {
                    rev,
                    created: g.created,
                    version: g.ver - newer,
                    tombstone: gi != last_gen && ri == len - 1,
                });
            }
            n -= take;
            if g.revs.is_empty() && gi != last_gen {
                drop_gens += 1;
            }
        }
        self.generations.drain(..drop_gens);
        out
    }

    /// The whole index from spilled revisions (oldest first, as [`Self::spill_oldest`] returned
    /// them over time) and the inline part that stayed: the inverse of spilling.
    ///
    /// # Errors
    /// [`CorruptKeyIndex`] if the spilled revisions are not older than the inline ones.
    pub fn unspill(
        spilled: impl IntoIterator<Item = SpilledRevision>,
        inline: KeyIndex,
    ) -> Result<KeyIndex, CorruptKeyIndex> {
        let mut generations: Vec<Generation> = Vec::new();
        let mut open = false;
        for s in spilled {
            if !open {
                generations.push(Generation {
                    ver: s.version,
                    created: s.created,
                    revs: Vec::new(),
                });
            }
            let g = generations
                .last_mut()
                .expect("invariant: a generation was pushed");
            g.ver = s.version;
            g.revs.push(s.rev);
            open = !s.tombstone;
        }
        let first_inline = inline.first_revision();
        if let (Some(last), Some(first)) =
            (generations.last().and_then(|g| g.revs.last()), first_inline)
        {
            if *last >= first {
                return Err(CorruptKeyIndex("spilled revisions overlap the inline ones"));
            }
        }
        let mut inline_gens = inline.generations.into_iter();
        if open {
            // The first inline generation continues the last spilled one.
            let cont = inline_gens.next().ok_or(CorruptKeyIndex(
                "spilled generation without its continuation",
            ))?;
            let g = generations
                .last_mut()
                .expect("invariant: open implies a generation");
            g.ver = cont.ver;
            g.created = cont.created;
            g.revs.extend(cont.revs);
        }
        generations.extend(inline_gens);
        Ok(KeyIndex {
            modified: inline.modified,
            generations,
        })
    }

    /// The part of `self` newer than `boundary`: generations with every revision `<= boundary`
    /// removed (the last one always stays), the first remaining one trimmed. The inverse of the
    /// spill for a whole index whose revisions `<= boundary` are spilled.
    pub fn newer_than(&self, boundary: Revision) -> KeyIndex {
        let last_gen = self.generations.len().saturating_sub(1);
        let generations = self
            .generations
            .iter()
            .enumerate()
            .filter_map(|(gi, g)| {
                let revs: Vec<Revision> =
                    g.revs.iter().copied().filter(|r| *r > boundary).collect();
                (gi == last_gen || !revs.is_empty()).then(|| Generation {
                    ver: g.ver,
                    created: g.created,
                    revs,
                })
            })
            .collect();
        KeyIndex {
            modified: self.modified,
            generations,
        }
    }
}

fn put_rev(out: &mut Vec<u8>, rev: Revision) {
    out.extend_from_slice(&rev.main.to_be_bytes());
    out.extend_from_slice(&rev.sub.to_be_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CorruptKeyIndex> {
        if self.0.len() < n {
            return Err(CorruptKeyIndex("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn i64(&mut self) -> Result<i64, CorruptKeyIndex> {
        let b: [u8; 8] = self
            .take(8)?
            .try_into()
            .map_err(|_| CorruptKeyIndex("truncated"))?;
        Ok(i64::from_be_bytes(b))
    }
    fn rev(&mut self) -> Result<Revision, CorruptKeyIndex> {
        Ok(Revision::new(self.i64()?, self.i64()?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Ports of etcd 3.4's `mvcc/key_index_test.go`, with the same numbers.
    use super::*;

    fn rev(main: i64) -> Revision {
        Revision::new(main, 0)
    }

    fn gen(created: Revision, ver: i64, revs: &[Revision]) -> Generation {
        Generation {
            ver,
            created,
            revs: revs.to_vec(),
        }
    }

    /// etcd's `newTestKeyIndex`:
    /// {{2, 4, 6(t)}, {8, 10, 12(t)}, {14, 14.1, 16(t)}, {}}
    fn new_test_key_index() -> KeyIndex {
        let mut ki = KeyIndex::default();
        ki.put(rev(2));
        ki.put(rev(4));
        ki.tombstone(rev(6)).unwrap();
        ki.put(rev(8));
        ki.put(rev(10));
        ki.tombstone(rev(12)).unwrap();
        ki.put(rev(14));
        ki.put(Revision::new(14, 1));
        ki.tombstone(rev(16)).unwrap();
        ki
    }

    /// The worked example in this module's documentation.
    #[test]
    fn module_doc_example() {
        let mut ki = KeyIndex::default();
        ki.put(rev(1));
        ki.put(rev(2));
        ki.tombstone(rev(3)).unwrap();
        ki.put(rev(4));
        ki.tombstone(rev(5)).unwrap();
        ki.put(rev(6));
        ki.put(rev(7));
        let mains = |ki: &KeyIndex| -> Vec<Vec<i64>> {
            ki.generations
                .iter()
                .map(|g| g.revs.iter().map(|r| r.main).collect())
                .collect()
        };
        assert_eq!(mains(&ki), [vec![1, 2, 3], vec![4, 5], vec![6, 7]]);
        let mut am = HashSet::new();
        ki.compact(2, &mut am);
        assert_eq!(mains(&ki), [vec![2, 3], vec![4, 5], vec![6, 7]]);
        ki.compact(4, &mut am);
        assert_eq!(mains(&ki), [vec![4, 5], vec![6, 7]]);
        let mut am = HashSet::new();
        ki.compact(5, &mut am);
        assert_eq!(mains(&ki), [vec![6, 7]]);
        assert!(am.is_empty());
        ki.compact(7, &mut am);
        assert_eq!(mains(&ki), [vec![7]]);
        assert_eq!(am, HashSet::from([rev(7)]));
    }

    #[test]
    fn key_index_get() {
        let mut ki = new_test_key_index();
        ki.compact(4, &mut HashSet::new());
        let v = |m: Revision, c: Revision, ver| {
            Some(Visible {
                modified: m,
                created: c,
                version: ver,
            })
        };
        let cases = [
            (17, None),
            (16, None),
            (15, v(Revision::new(14, 1), rev(14), 2)),
            (14, v(Revision::new(14, 1), rev(14), 2)),
            (13, None),
            (12, None),
            (11, v(rev(10), rev(8), 2)),
            (10, v(rev(10), rev(8), 2)),
            (9, v(rev(8), rev(8), 1)),
            (8, v(rev(8), rev(8), 1)),
            (7, None),
            (6, None),
            (5, v(rev(4), rev(2), 2)),
            (4, v(rev(4), rev(2), 2)),
            (3, None),
            (2, None),
            (1, None),
            (0, None),
        ];
        for (at, want) in cases {
            assert_eq!(ki.get(at), want, "get({at})");
        }
    }

    #[test]
    fn key_index_since() {
        let mut ki = new_test_key_index();
        ki.compact(4, &mut HashSet::new());
        let all = [
            rev(4),
            rev(6),
            rev(8),
            rev(10),
            rev(12),
            Revision::new(14, 1),
            rev(16),
        ];
        let cases: [(i64, &[Revision]); 18] = [
            (17, &[]),
            (16, &all[6..]),
            (15, &all[6..]),
            (14, &all[5..]),
            (13, &all[5..]),
            (12, &all[4..]),
            (11, &all[4..]),
            (10, &all[3..]),
            (9, &all[3..]),
            (8, &all[2..]),
            (7, &all[2..]),
            (6, &all[1..]),
            (5, &all[1..]),
            (4, &all),
            (3, &all),
            (2, &all),
            (1, &all),
            (0, &all),
        ];
        for (at, want) in cases {
            assert_eq!(ki.since(at), want.to_vec(), "since({at})");
        }
    }

    #[test]
    fn key_index_put() {
        let mut ki = KeyIndex::default();
        ki.put(rev(5));
        assert_eq!(
            ki,
            KeyIndex {
                modified: rev(5),
                generations: vec![gen(rev(5), 1, &[rev(5)])]
            }
        );
        ki.put(rev(7));
        assert_eq!(
            ki,
            KeyIndex {
                modified: rev(7),
                generations: vec![gen(rev(5), 2, &[rev(5), rev(7)])]
            }
        );
    }

    #[test]
    fn key_index_tombstone() {
        let mut ki = KeyIndex::default();
        ki.put(rev(5));
        ki.tombstone(rev(7)).unwrap();
        assert_eq!(
            ki,
            KeyIndex {
                modified: rev(7),
                generations: vec![gen(rev(5), 2, &[rev(5), rev(7)]), Generation::default()]
            }
        );
        ki.put(rev(8));
        ki.put(rev(9));
        ki.tombstone(rev(15)).unwrap();
        assert_eq!(
            ki,
            KeyIndex {
                modified: rev(15),
                generations: vec![
                    gen(rev(5), 2, &[rev(5), rev(7)]),
                    gen(rev(8), 3, &[rev(8), rev(9), rev(15)]),
                    Generation::default(),
                ]
            }
        );
        assert_eq!(ki.tombstone(rev(16)), Err(RevisionNotFound));
    }

    /// etcd's TestKeyIndexCompactAndKeep table: (compact rev, expected index, expected available).
    fn compact_cases() -> Vec<(i64, KeyIndex, Vec<Revision>)> {
        let g0 = |revs: &[Revision]| gen(rev(2), 3, revs);
        let g1 = |revs: &[Revision]| gen(rev(8), 3, revs);
        let g2 = |revs: &[Revision]| gen(rev(14), 3, revs);
        let full0 = g0(&[rev(2), rev(4), rev(6)]);
        let full1 = g1(&[rev(8), rev(10), rev(12)]);
        let full2 = g2(&[rev(14), Revision::new(14, 1), rev(16)]);
        let ki = |gens: Vec<Generation>| {
            let mut generations = gens;
            generations.push(Generation::default());
            KeyIndex {
                modified: rev(16),
                generations,
            }
        };
        vec![
            (
                1,
                ki(vec![full0.clone(), full1.clone(), full2.clone()]),
                vec![],
            ),
            (
                2,
                ki(vec![full0.clone(), full1.clone(), full2.clone()]),
                vec![rev(2)],
            ),
            (
                3,
                ki(vec![full0.clone(), full1.clone(), full2.clone()]),
                vec![rev(2)],
            ),
            (
                4,
                ki(vec![g0(&[rev(4), rev(6)]), full1.clone(), full2.clone()]),
                vec![rev(4)],
            ),
            (
                5,
                ki(vec![g0(&[rev(4), rev(6)]), full1.clone(), full2.clone()]),
                vec![rev(4)],
            ),
            (6, ki(vec![full1.clone(), full2.clone()]), vec![]),
            (7, ki(vec![full1.clone(), full2.clone()]), vec![]),
            (8, ki(vec![full1.clone(), full2.clone()]), vec![rev(8)]),
            (9, ki(vec![full1.clone(), full2.clone()]), vec![rev(8)]),
            (
                10,
                ki(vec![g1(&[rev(10), rev(12)]), full2.clone()]),
                vec![rev(10)],
            ),
            (
                11,
                ki(vec![g1(&[rev(10), rev(12)]), full2.clone()]),
                vec![rev(10)],
            ),
            (12, ki(vec![full2.clone()]), vec![]),
            (13, ki(vec![full2.clone()]), vec![]),
            (
                14,
                ki(vec![g2(&[Revision::new(14, 1), rev(16)])]),
                vec![Revision::new(14, 1)],
            ),
            (
                15,
                ki(vec![g2(&[Revision::new(14, 1), rev(16)])]),
                vec![Revision::new(14, 1)],
            ),
            (16, ki(vec![]), vec![]),
        ]
    }

    fn check_keep_then_compact(
        ki: &mut KeyIndex,
        at: i64,
        want_ki: &KeyIndex,
        want_am: &[Revision],
    ) {
        let want_am: HashSet<Revision> = want_am.iter().copied().collect();
        let before = ki.clone();
        let mut am = HashSet::new();
        ki.keep(at, &mut am);
        assert_eq!(*ki, before, "keep({at}) must not change the index");
        assert_eq!(am, want_am, "keep({at}) available");
        let mut am = HashSet::new();
        ki.compact(at, &mut am);
        assert_eq!(ki, want_ki, "compact({at}) index");
        assert_eq!(am, want_am, "compact({at}) available");
    }

    #[test]
    fn key_index_compact_and_keep_successive() {
        let mut ki = new_test_key_index();
        for (at, want_ki, want_am) in compact_cases() {
            check_keep_then_compact(&mut ki, at, &want_ki, &want_am);
        }
    }

    #[test]
    fn key_index_compact_and_keep_jumping() {
        let mut ki = new_test_key_index();
        for (i, (at, want_ki, want_am)) in compact_cases().into_iter().enumerate() {
            if (i % 2 == 0 && i < 6) || (i % 2 == 1 && i > 6) {
                check_keep_then_compact(&mut ki, at, &want_ki, &want_am);
            }
        }
    }

    #[test]
    fn key_index_compact_and_keep_once() {
        for (at, want_ki, want_am) in compact_cases() {
            let mut ki = new_test_key_index();
            check_keep_then_compact(&mut ki, at, &want_ki, &want_am);
        }
    }

    #[test]
    fn key_index_compact_on_further_rev() {
        let mut ki = KeyIndex::default();
        ki.put(rev(1));
        ki.put(rev(2));
        let mut am = HashSet::new();
        ki.compact(3, &mut am);
        assert_eq!(
            ki,
            KeyIndex {
                modified: rev(2),
                generations: vec![gen(rev(1), 2, &[rev(2)])]
            }
        );
        assert_eq!(am, HashSet::from([rev(2)]));
    }

    #[test]
    fn key_index_is_empty() {
        assert!(KeyIndex {
            modified: Revision::default(),
            generations: vec![Generation::default()]
        }
        .is_empty());
        assert!(!KeyIndex {
            modified: rev(2),
            generations: vec![gen(rev(1), 2, &[rev(2)])]
        }
        .is_empty());
    }

    #[test]
    fn key_index_find_generation() {
        let ki = new_test_key_index();
        let cases = [
            (0, None),
            (1, None),
            (2, Some(0)),
            (3, Some(0)),
            (4, Some(0)),
            (5, Some(0)),
            (6, None),
            (7, None),
            (8, Some(1)),
            (9, Some(1)),
            (10, Some(1)),
            (11, Some(1)),
            (12, None),
            (13, None),
        ];
        for (at, want) in cases {
            let got = ki.find_generation(at).map(std::ptr::from_ref);
            let want = want.map(|i| std::ptr::from_ref(&ki.generations[i]));
            assert_eq!(got, want, "find_generation({at})");
        }
    }

    #[test]
    fn generation_walk() {
        let g = gen(rev(2), 3, &[rev(2), rev(4), rev(6)]);
        let cases: [(i64, Option<usize>); 6] = [
            (7, Some(2)),
            (6, Some(1)),
            (5, Some(1)),
            (4, Some(0)),
            (3, Some(0)),
            (2, None),
        ];
        for (min, want) in cases {
            assert_eq!(g.walk(|r| r.main >= min), want, "walk(>= {min})");
        }
    }

    #[test]
    fn encode_roundtrip() {
        let mut ki = new_test_key_index();
        assert_eq!(KeyIndex::decode(&ki.encode()), Ok(ki.clone()));
        ki.compact(16, &mut HashSet::new());
        assert_eq!(KeyIndex::decode(&ki.encode()), Ok(ki));
        assert!(KeyIndex::decode(&[]).is_err());
        assert!(KeyIndex::decode(&[9]).is_err());
        let enc = new_test_key_index().encode();
        assert!(KeyIndex::decode(&enc[..enc.len() - 3]).is_err());
    }

    /// The store writes the compact form; the fixed forms that older data dirs hold still
    /// read; numbers the compact form cannot hold fall back to the fixed form; damaged bytes
    /// are refused, never a panic.
    #[test]
    fn compact_encoding_is_written_and_fixed_still_reads() {
        let mut one = KeyIndex::default();
        one.put(Revision::new(1_000_000, 0));
        let enc = one.encode_with(None);
        assert_eq!(enc[0], ENCODING_COMPACT);
        assert!(enc.len() <= 16, "{} bytes for one revision", enc.len());
        assert_eq!(KeyIndex::decode(&enc), Ok(one.clone()));
        assert_eq!(one.encode_fixed(None).len(), 61);

        let ki = new_test_key_index();
        let spill = Spill {
            id: rev(2),
            last: rev(6),
        };
        for spill in [None, Some(&spill)] {
            let compact = ki.encode_with(spill);
            let fixed = ki.encode_fixed(spill);
            assert!(compact.len() < fixed.len() / 3);
            assert_eq!(
                compact[0],
                if spill.is_some() {
                    ENCODING_COMPACT_SPILLED
                } else {
                    ENCODING_COMPACT
                }
            );
            let want = Ok((ki.clone(), spill.copied()));
            assert_eq!(KeyIndex::decode_with(&compact), want);
            assert_eq!(KeyIndex::decode_with(&fixed), want);
            for cut in 1..compact.len() {
                let _ = KeyIndex::decode_with(&compact[..cut]);
            }
        }

        // A revision below its generation's creation (not what the store writes) cannot be a
        // delta: the fixed form keeps it.
        let odd = KeyIndex {
            modified: rev(3),
            generations: vec![gen(rev(5), 1, &[rev(3)])],
        };
        assert_eq!(odd.encode_with(None)[0], ENCODING_VERSION);
        assert_eq!(KeyIndex::decode(&odd.encode_with(None)), Ok(odd));
        assert!(KeyIndex::decode_with(&[ENCODING_COMPACT, 0xff]).is_err());
        assert!(KeyIndex::decode_with(&[ENCODING_COMPACT, 2, 0, 1, 2, 0, 200]).is_err());
    }

    /// Spilling any number of the oldest revisions and joining them back gives the same index,
    /// and a read at any revision from the inline part agrees wherever the inline part reaches.
    #[test]
    fn spill_then_unspill_is_the_identity() {
        let mut full = new_test_key_index();
        full.put(rev(18));
        full.put(Revision::new(18, 1));
        full.put(rev(20));
        let total = full.revision_count();
        for keep in 1..=total {
            let mut inline = full.clone();
            let spilled = inline.spill_oldest(keep);
            assert_eq!(inline.revision_count(), keep, "keep {keep}");
            assert_eq!(spilled.len(), total - keep);
            for s in spilled.iter().filter(|s| !s.tombstone) {
                // A read at its main revision sees it unless a later change shares that main.
                let seen = full.get(s.rev.main).expect("live at a put");
                if seen.modified == s.rev {
                    assert_eq!(
                        (seen.created, seen.version),
                        (s.created, s.version),
                        "{s:?}"
                    );
                }
            }
            let last = spilled.last().map(|s| s.rev);
            assert_eq!(
                KeyIndex::unspill(spilled, inline.clone()),
                Ok(full.clone()),
                "keep {keep}"
            );
            if let Some(last) = last {
                assert_eq!(full.newer_than(last), inline, "keep {keep}");
            }
            for at in 0..=21 {
                if inline.first_revision().is_some_and(|f| f.main <= at) {
                    assert_eq!(inline.get(at), full.get(at), "keep {keep} at {at}");
                }
            }
        }
    }

    /// The spilled form keeps the marker; the plain decoder refuses it.
    #[test]
    fn spilled_encoding_roundtrip() {
        let mut ki = new_test_key_index();
        ki.put(rev(18));
        let spill = Spill {
            id: rev(2),
            last: rev(6),
        };
        let enc = ki.encode_with(Some(&spill));
        assert_eq!(KeyIndex::decode_with(&enc), Ok((ki.clone(), Some(spill))));
        assert!(KeyIndex::decode(&enc).is_err());
        assert_eq!(KeyIndex::decode_with(&ki.encode()), Ok((ki, None)));
        assert!(KeyIndex::decode_with(&enc[..20]).is_err());
        let s = SpilledRevision {
            rev: rev(4),
            created: rev(2),
            version: 2,
            tombstone: true,
        };
        assert_eq!(
            SpilledRevision::decode_value(rev(4), &s.encode_value()),
            Ok(s)
        );
        let mut bad = s.encode_value();
        bad[24] = 2;
        assert!(SpilledRevision::decode_value(rev(4), &bad).is_err());
        assert!(SpilledRevision::decode_value(rev(4), &bad[..24]).is_err());
    }

    /// Spilled revisions newer than the inline ones are refused.
    #[test]
    fn unspill_refuses_overlap() {
        let mut ki = KeyIndex::default();
        ki.put(rev(2));
        ki.put(rev(3));
        let late = SpilledRevision {
            rev: rev(5),
            created: rev(2),
            version: 1,
            tombstone: false,
        };
        assert!(KeyIndex::unspill([late], ki).is_err());
    }
}
