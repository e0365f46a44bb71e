//! Applying an AlarmRequest (etcd's `applierV3backend.Alarm`) to the alarm store
//! ([`crate::alarm`]): GET lists, ACTIVATE raises, DEACTIVATE clears.

use super::{ApplyError, ApplyFatal};
use crate::alarm::AlarmStore;
use crate::pb::etcdserverpb::alarm_request::AlarmAction;
use crate::pb::etcdserverpb::{AlarmMember, AlarmRequest, AlarmResponse, AlarmType};

/// Applies an AlarmRequest as etcd's `applierV3backend.Alarm`: GET lists, ACTIVATE adds
/// (answering the activated alarm), DEACTIVATE removes (answering the removed alarm).
///
/// # Errors
/// LMDB errors as [`ApplyFatal`].
pub fn apply(
    store: &AlarmStore,
    wtxn: &mut heed::RwTxn,
    req: &AlarmRequest,
) -> Result<Result<AlarmResponse, ApplyError>, ApplyFatal> {
    let fatal = |e: crate::alarm::AlarmStoreError| ApplyFatal::Mvcc(e.into());
    let alarms = match AlarmAction::try_from(req.action) {
        Ok(AlarmAction::Get) => store.list(wtxn).map_err(fatal)?,
        Ok(AlarmAction::Activate) => {
            // An unknown type is refused at the wire; one in the log is ignored.
            if req.alarm == AlarmType::None as i32 || AlarmType::try_from(req.alarm).is_err() {
                Vec::new()
            } else {
                store
                    .activate(wtxn, req.member_id, req.alarm)
                    .map_err(fatal)?;
                vec![AlarmMember {
                    member_id: req.member_id,
                    alarm: req.alarm,
                }]
            }
        }
        Ok(AlarmAction::Deactivate) => {
            if store
                .deactivate(wtxn, req.member_id, req.alarm)
                .map_err(fatal)?
            {
                vec![AlarmMember {
                    member_id: req.member_id,
                    alarm: req.alarm,
                }]
            } else {
                Vec::new()
            }
        }
        Err(_) => Vec::new(),
    };
    Ok(Ok(AlarmResponse {
        header: None,
        alarms,
    }))
}
