//! The one vocabulary for what lookout would do to an object, whether the
//! object is a file under the output root (`out`, for `build` and `check`)
//! or a live one (`push`, for `plan` and `apply`).

use serde::Serialize;

/// What lookout would do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// It is missing.
    Create,
    /// It is lookout's and differs.
    Update,
    /// It is lookout's and nothing declares it any more.
    Delete,
    /// Something that is not lookout's is where lookout would write.
    Conflict,
    /// It is as declared.
    Unchanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Conflict => "conflict",
            Action::Unchanged => "unchanged",
        }
    }

    /// Does carrying it out send a write?
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Delete)
    }
}
