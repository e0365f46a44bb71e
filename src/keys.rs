//! Key-space arithmetic shared by every layer: a leaf module (names no other module of the
//! crate), so storage, the CLI and the proxy can all use it without bending the layering.

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

#[cfg(test)]
mod tests {
    use super::*;

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
