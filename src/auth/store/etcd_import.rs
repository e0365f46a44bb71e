//! Import of etcd's auth buckets (`authUsers`, `authRoles`, `auth`) into the [`AuthStore`]:
//! the protobuf values are etcd's and ours alike (`authpb.User`, `authpb.Role`), so a record
//! is decoded (to refuse garbage) and stored sealed. Used only by a snapshot restore, on a
//! fresh store, inside its one write transaction.

use heed::RwTxn;
use prost::Message;

use super::{record, AuthStore, ENABLED_KEY, REVISION_KEY};
use crate::auth::AuthStorageError;
use crate::pb::authpb::{Role, User};

impl AuthStore {
    /// Stores a user from etcd's `authUsers` bucket (its value).
    ///
    /// # Errors
    /// [`AuthStorageError::Corrupt`] if it is not an `authpb.User` with a name; storage errors.
    pub(crate) fn import_user(
        &self,
        wtxn: &mut RwTxn,
        value: &[u8],
    ) -> Result<(), AuthStorageError> {
        let u = User::decode(value)
            .map_err(|e| AuthStorageError::Corrupt(format!("authUsers: {e}")))?;
        if u.name.is_empty() {
            return Err(AuthStorageError::Corrupt(
                "authUsers: a user without a name".into(),
            ));
        }
        self.put_user(wtxn, &u)
    }

    /// Stores a role from etcd's `authRoles` bucket (its value).
    ///
    /// # Errors
    /// [`AuthStorageError::Corrupt`] if it is not an `authpb.Role` with a name; storage errors.
    pub(crate) fn import_role(
        &self,
        wtxn: &mut RwTxn,
        value: &[u8],
    ) -> Result<(), AuthStorageError> {
        let r = Role::decode(value)
            .map_err(|e| AuthStorageError::Corrupt(format!("authRoles: {e}")))?;
        if r.name.is_empty() {
            return Err(AuthStorageError::Corrupt(
                "authRoles: a role without a name".into(),
            ));
        }
        self.put_role(wtxn, &r)
    }

    /// Sets the enabled flag and the auth revision from etcd's `auth` bucket
    /// (`authEnabled`, `authRevision`).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn import_state(
        &self,
        wtxn: &mut RwTxn,
        enabled: bool,
        revision: u64,
    ) -> Result<(), AuthStorageError> {
        self.meta
            .put(wtxn, ENABLED_KEY, &record::seal(&[u8::from(enabled)]))?;
        self.meta
            .put(wtxn, REVISION_KEY, &record::seal(&revision.to_be_bytes()))?;
        Ok(())
    }
}
