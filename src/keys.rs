//! Key-space arithmetic shared by every layer: a leaf module (names no other module of the
//! crate), so storage, the CLI and the proxy can all use it without bending the layering: the
//! one reading of etcd's `key` / `range_end` pair ([`KeyRange`]), its half-open normal form
//! ([`Interval`]) and clientv3's prefix end.

/// The smallest key greater than every key starting with `prefix`, or `None` when there is
/// none (empty prefix, or every byte `0xff`): then the range is unbounded above.
pub fn prefix_range_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// clientv3's `GetPrefixRangeEnd`: [`prefix_range_end`] with etcd's wire spelling of "no upper
/// bound", the single byte `[0]` (a range end of `\0` means "every key ≥ key").
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    prefix_range_end(prefix).unwrap_or_else(|| vec![0])
}

/// A range of keys as etcd reads a request's `key` / `range_end` (Range, DeleteRange, Txn
/// compares, Watch and role permissions all read the pair this way):
///
/// | `range_end`        | range                   | variant             |
/// |--------------------|-------------------------|---------------------|
/// | empty              | exactly `key`           | [`KeyRange::Single`] |
/// | `"\0"`             | every key `>= key`      | [`KeyRange::From`]   |
/// | anything else      | `[key, range_end)`      | [`KeyRange::Range`]  |
///
/// A `Range` whose end is `<= key` holds no key ([`KeyRange::is_empty`]). `K` is `&[u8]` for a
/// view of a request's fields, `Vec<u8>` (the default) for a range kept beyond the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRange<K = Vec<u8>> {
    /// Exactly one key.
    Single(K),
    /// Every key `>= start` (etcd's range end `"\0"`).
    From(K),
    /// The half-open `[start, end)`.
    Range(K, K),
}

impl<K: AsRef<[u8]>> KeyRange<K> {
    /// etcd's interpretation of a `key` / `range_end` pair (see the type's table).
    pub fn new(key: K, range_end: K) -> Self {
        match range_end.as_ref() {
            [] => KeyRange::Single(key),
            [0] => KeyRange::From(key),
            _ => KeyRange::Range(key, range_end),
        }
    }

    /// The first key of the range (the single key for [`KeyRange::Single`]).
    pub fn start(&self) -> &[u8] {
        match self {
            KeyRange::Single(k) | KeyRange::From(k) | KeyRange::Range(k, _) => k.as_ref(),
        }
    }

    /// Whether `key` is in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        match self {
            KeyRange::Single(k) => k.as_ref() == key,
            KeyRange::From(s) => s.as_ref() <= key,
            KeyRange::Range(s, e) => s.as_ref() <= key && key < e.as_ref(),
        }
    }

    /// Whether the range holds no key at all (`range_end <= key`), which etcd's Watch refuses
    /// and Range answers with nothing.
    pub fn is_empty(&self) -> bool {
        matches!(self, KeyRange::Range(s, e) if e.as_ref() <= s.as_ref())
    }

    /// The range as a half-open [`Interval`], `end = None` meaning unbounded above; a single
    /// key `k` is `[k, k"\0")`, the smallest interval holding only `k`.
    pub fn to_interval(&self) -> Interval {
        let (begin, end) = match self {
            KeyRange::Single(k) => {
                let mut end = k.as_ref().to_vec();
                end.push(0);
                (k.as_ref().to_vec(), Some(end))
            }
            KeyRange::From(s) => (s.as_ref().to_vec(), None),
            KeyRange::Range(s, e) => (s.as_ref().to_vec(), Some(e.as_ref().to_vec())),
        };
        Interval { begin, end }
    }
}

/// A half-open interval of keys `[begin, end)`, `end: None` meaning "to the end of the key
/// space": the normal form of a [`KeyRange`] ([`KeyRange::to_interval`]) for interval
/// arithmetic (role permission sets, etcd's `adt.Interval`), or built literally where etcd
/// takes a range end at face value (the txn duplicate-key check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    /// Inclusive start.
    pub begin: Vec<u8>,
    /// Exclusive end; `None` for "to the end of the key space".
    pub end: Option<Vec<u8>>,
}

impl Interval {
    /// Whether `key` lies in the interval (etcd's point `[key, key"\0")` intersects it).
    pub fn contains(&self, key: &[u8]) -> bool {
        self.begin.as_slice() <= key && self.end.as_deref().is_none_or(|e| key < e)
    }

    /// Whether the two intervals share at least one key.
    pub fn overlaps(&self, other: &Interval) -> bool {
        let self_before_other_ends = other
            .end
            .as_deref()
            .is_none_or(|e| self.begin.as_slice() < e);
        let other_before_self_ends = self
            .end
            .as_deref()
            .is_none_or(|e| other.begin.as_slice() < e);
        self_before_other_ends && other_before_self_ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_range_reads_range_end_as_etcd() {
        assert_eq!(KeyRange::new(&b"a"[..], b""), KeyRange::Single(&b"a"[..]));
        assert_eq!(KeyRange::new(&b"a"[..], b"\0"), KeyRange::From(&b"a"[..]));
        assert_eq!(
            KeyRange::new(&b"a"[..], b"c"),
            KeyRange::Range(&b"a"[..], &b"c"[..])
        );
        let owned = KeyRange::new(b"a".to_vec(), b"c".to_vec());
        assert_eq!(owned, KeyRange::Range(b"a".to_vec(), b"c".to_vec()));
        assert_eq!(owned.start(), b"a");
    }

    #[test]
    fn key_range_contains() {
        let one = KeyRange::new(&b"a"[..], b"");
        assert!(one.contains(b"a") && !one.contains(b"a\0") && !one.contains(b""));
        let from = KeyRange::new(&b"a"[..], b"\0");
        assert!(from.contains(b"a") && from.contains(b"zzz") && from.contains(b"\xff\xff"));
        assert!(!from.contains(b"0") && !from.contains(b""));
        let span = KeyRange::new(&b"a"[..], b"c");
        assert!(span.contains(b"a") && span.contains(b"b\xff") && !span.contains(b"c"));
        assert!(!span.contains(b"0"));
        // The whole key space: key "\0", range end "\0".
        assert!(KeyRange::new(&b"\0"[..], b"\0").contains(b"\0"));
    }

    #[test]
    fn key_range_empty_when_end_not_after_key() {
        assert!(KeyRange::new(&b"c"[..], b"a").is_empty());
        assert!(KeyRange::new(&b"c"[..], b"c").is_empty());
        assert!(!KeyRange::new(&b"c"[..], b"d").is_empty());
        assert!(!KeyRange::new(&b"c"[..], b"").is_empty());
        assert!(!KeyRange::new(&b"c"[..], b"\0").is_empty());
        assert!(!KeyRange::new(&b"c"[..], b"c").contains(b"c"));
    }

    #[test]
    fn key_range_intervals() {
        assert_eq!(
            KeyRange::new(&b"a"[..], b"").to_interval(),
            Interval {
                begin: b"a".to_vec(),
                end: Some(b"a\0".to_vec())
            }
        );
        assert_eq!(
            KeyRange::new(&b"a"[..], b"\0").to_interval(),
            Interval {
                begin: b"a".to_vec(),
                end: None
            }
        );
        assert_eq!(
            KeyRange::new(&b"a"[..], b"c").to_interval(),
            Interval {
                begin: b"a".to_vec(),
                end: Some(b"c".to_vec())
            }
        );
    }

    #[test]
    fn intervals_overlap_when_they_share_a_key() {
        let iv = |k: &[u8], e: &[u8]| KeyRange::new(k, e).to_interval();
        assert!(iv(b"a", b"c").overlaps(&iv(b"b", b"")));
        assert!(!iv(b"a", b"c").overlaps(&iv(b"c", b"")));
        assert!(iv(b"a", b"\0").overlaps(&iv(b"zz", b"zzz")));
        assert!(!iv(b"b", b"").overlaps(&iv(b"a", b"b")));
    }

    #[test]
    fn prefix_end_of_a_prefix_with_separator() {
        // etcd's election and lock prefixes: "name/".
        assert_eq!(prefix_end(b"a/"), b"a0");
        let r = KeyRange::new(b"a/".to_vec(), prefix_end(b"a/"));
        assert!(r.contains(b"a/x") && !r.contains(b"a0") && !r.contains(b"a"));
    }

    #[test]
    fn prefix_end_like_clientv3() {
        assert_eq!(prefix_end(b"foo"), b"fop");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), b"\0");
        assert_eq!(prefix_end(b""), b"\0");
        assert_eq!(prefix_range_end(b""), None);
        assert_eq!(prefix_range_end(b"\xff"), None);
        assert_eq!(prefix_range_end(b"a\0"), Some(b"a\x01".to_vec()));
    }
}
