//! Range permissions (etcd's `range_perm_cache.go`): a user's permissions from all their
//! roles, unified into read and write interval sets, and the checks against them.
//!
//! Intervals are half-open byte ranges `[begin, end)`; `end = None` means "to the end of
//! the key space". A role permission maps to an interval as etcdctl grants it:
//!
//! | permission                  | `key`  | `range_end`      | interval            |
//! |-----------------------------|--------|------------------|---------------------|
//! | one key `a`                 | `a`    | empty            | `[a, a\0)` (point)  |
//! | range `[a, c)`              | `a`    | `c`              | `[a, c)`            |
//! | prefix `a` (`--prefix`)     | `a`    | `b`              | `[a, b)`            |
//! | from key `a` (`--from-key`) | `a`    | `\0`             | `[a, ∞)`            |
//!
//! A request on one key (empty `range_end`) is permitted when any interval contains the
//! key; a request on a range is permitted when the union of the intervals covers the
//! whole range (several adjacent or overlapping grants may cover it together), as etcd's
//! `adt.IntervalTree.Contains`.
//!
//! [`PermCache`] memoises the unified permissions per user for one auth revision; any auth
//! change bumps the revision and so drops every entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::keys::{Interval, KeyRange};
use crate::pb::authpb::permission::Type as PermType;
use crate::pb::authpb::Role;

/// `a >= b` for interval ends, `None` being +∞.
fn end_ge(a: &Option<Vec<u8>>, b: &Option<Vec<u8>>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a >= b,
    }
}

/// A set of intervals kept sorted and merged (overlapping or touching intervals fused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalSet {
    merged: Vec<Interval>,
}

impl IntervalSet {
    /// Builds the merged set from any intervals.
    pub fn new(mut ivls: Vec<Interval>) -> IntervalSet {
        ivls.sort_by(|a, b| a.begin.cmp(&b.begin));
        let mut merged: Vec<Interval> = Vec::with_capacity(ivls.len());
        for iv in ivls {
            if let Some(last) = merged.last_mut() {
                // Touching or overlapping: last.end >= iv.begin.
                if end_ge(&last.end, &Some(iv.begin.clone())) {
                    if !end_ge(&last.end, &iv.end) {
                        last.end = iv.end;
                    }
                    continue;
                }
            }
            merged.push(iv);
        }
        IntervalSet { merged }
    }

    /// Whether one key lies in the set (etcd's `checkKeyPoint`).
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.merged.iter().any(|iv| iv.contains(key))
    }

    /// Whether the set covers `[key, end)` entirely; `end: None` means unbounded (etcd's
    /// `checkKeyInterval`).
    pub fn covers(&self, key: &[u8], end: Option<&[u8]>) -> bool {
        let end = end.map(<[u8]>::to_vec);
        self.merged
            .iter()
            .any(|iv| iv.begin.as_slice() <= key && end_ge(&iv.end, &end))
    }
}

/// A user's permissions from all their roles (etcd's `unifiedRangePermissions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnifiedRangePermissions {
    /// Where the user may read.
    pub read: IntervalSet,
    /// Where the user may write.
    pub write: IntervalSet,
}

impl UnifiedRangePermissions {
    /// Unifies the permissions of `roles` (the user's roles that exist).
    pub fn from_roles<'a>(roles: impl IntoIterator<Item = &'a Role>) -> UnifiedRangePermissions {
        let (mut read, mut write) = (Vec::new(), Vec::new());
        for role in roles {
            for p in &role.key_permission {
                let iv = KeyRange::new(&p.key[..], &p.range_end[..]).to_interval();
                match PermType::try_from(p.perm_type) {
                    Ok(PermType::Read) => read.push(iv),
                    Ok(PermType::Write) => write.push(iv),
                    Ok(PermType::Readwrite) => {
                        read.push(iv.clone());
                        write.push(iv);
                    }
                    Err(_) => {}
                }
            }
        }
        UnifiedRangePermissions {
            read: IntervalSet::new(read),
            write: IntervalSet::new(write),
        }
    }

    /// Whether an operation of type `perm` (Read or Write) on `[key, range_end)` is
    /// permitted; an empty `range_end` means the single key.
    pub fn is_permitted(&self, key: &[u8], range_end: &[u8], perm: PermType) -> bool {
        let set = match perm {
            PermType::Read => &self.read,
            PermType::Write => &self.write,
            PermType::Readwrite => {
                return self.is_permitted(key, range_end, PermType::Read)
                    && self.is_permitted(key, range_end, PermType::Write)
            }
        };
        match KeyRange::new(key, range_end) {
            KeyRange::Single(key) => set.contains_key(key),
            KeyRange::From(key) => set.covers(key, None),
            KeyRange::Range(key, end) => set.covers(key, Some(end)),
        }
    }
}

/// Unified permissions per user, valid for one auth revision.
#[derive(Debug, Default)]
pub struct PermCache {
    inner: Mutex<(u64, HashMap<String, Arc<UnifiedRangePermissions>>)>,
}

impl PermCache {
    /// The cached permissions of `user` at auth `revision`, building them with `build`
    /// on a miss. An entry of another revision is never returned.
    ///
    /// # Errors
    /// Whatever `build` fails with.
    pub fn get_or_build<E>(
        &self,
        user: &str,
        revision: u64,
        build: impl FnOnce() -> Result<UnifiedRangePermissions, E>,
    ) -> Result<Arc<UnifiedRangePermissions>, E> {
        if let Ok(g) = self.inner.lock() {
            if g.0 == revision {
                if let Some(p) = g.1.get(user) {
                    return Ok(p.clone());
                }
            }
        }
        let built = Arc::new(build()?);
        if let Ok(mut g) = self.inner.lock() {
            if g.0 != revision {
                *g = (revision, HashMap::new());
            }
            g.1.insert(user.to_string(), built.clone());
        }
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pb::authpb::Permission;

    fn role(perms: &[(PermType, &[u8], &[u8])]) -> Role {
        Role {
            name: b"r".to_vec(),
            key_permission: perms
                .iter()
                .map(|(t, k, e)| Permission {
                    perm_type: *t as i32,
                    key: k.to_vec(),
                    range_end: e.to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn single_key_permission() {
        let p = UnifiedRangePermissions::from_roles([&role(&[(PermType::Read, b"a", b"")])]);
        assert!(p.is_permitted(b"a", b"", PermType::Read));
        assert!(!p.is_permitted(b"a", b"", PermType::Write));
        assert!(!p.is_permitted(b"ab", b"", PermType::Read));
        // The range [a, a\0) is the key itself.
        assert!(p.is_permitted(b"a", b"a\0", PermType::Read));
        assert!(!p.is_permitted(b"a", b"b", PermType::Read));
    }

    #[test]
    fn range_and_prefix_permissions() {
        let p = UnifiedRangePermissions::from_roles([&role(&[(
            PermType::Readwrite,
            b"/app/",
            b"/app0",
        )])]);
        assert!(p.is_permitted(b"/app/x", b"", PermType::Read));
        assert!(p.is_permitted(b"/app/x", b"", PermType::Write));
        assert!(p.is_permitted(b"/app/", b"/app0", PermType::Read));
        assert!(p.is_permitted(b"/app/a", b"/app/b", PermType::Read));
        assert!(!p.is_permitted(b"/app/", b"/app1", PermType::Read));
        assert!(!p.is_permitted(b"/other", b"", PermType::Read));
        assert!(!p.is_permitted(b"/app/", b"\0", PermType::Read));
    }

    #[test]
    fn from_key_permission_is_unbounded() {
        let p = UnifiedRangePermissions::from_roles([&role(&[(PermType::Write, b"m", b"\0")])]);
        assert!(p.is_permitted(b"m", b"", PermType::Write));
        assert!(p.is_permitted(b"zzz", b"", PermType::Write));
        assert!(p.is_permitted(b"m", b"\0", PermType::Write));
        assert!(p.is_permitted(b"n", b"z", PermType::Write));
        assert!(!p.is_permitted(b"a", b"", PermType::Write));
        assert!(!p.is_permitted(b"l", b"\0", PermType::Write));
    }

    #[test]
    fn adjacent_grants_from_several_roles_cover_a_range_together() {
        let r1 = role(&[(PermType::Read, b"a", b"c")]);
        let r2 = role(&[(PermType::Read, b"c", b"e")]);
        let p = UnifiedRangePermissions::from_roles([&r1, &r2]);
        assert!(p.is_permitted(b"a", b"e", PermType::Read));
        assert!(p.is_permitted(b"b", b"d", PermType::Read));
        assert!(!p.is_permitted(b"a", b"f", PermType::Read));
        // A gap breaks coverage.
        let r3 = role(&[(PermType::Read, b"d", b"e")]);
        let p = UnifiedRangePermissions::from_roles([&r1, &r3]);
        assert!(!p.is_permitted(b"a", b"e", PermType::Read));
        assert!(p.is_permitted(b"d", b"", PermType::Read));
    }

    #[test]
    fn cache_is_per_revision() {
        let c = PermCache::default();
        let built = |n: u8| {
            move || {
                Ok::<_, ()>(UnifiedRangePermissions::from_roles([&role(&[(
                    PermType::Read,
                    &[n],
                    b"",
                )])]))
            }
        };
        let a = c.get_or_build("u", 1, built(1)).expect("build");
        let b = c.get_or_build("u", 1, built(2)).expect("cached");
        assert_eq!(a, b);
        let d = c.get_or_build("u", 2, built(2)).expect("rebuild");
        assert!(d.is_permitted(&[2], b"", PermType::Read));
    }
}
