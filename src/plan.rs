//! The one vocabulary for what lookout would do to an object, whether the
//! object is a file under the output root (`out`, for `build` and `check`),
//! a file in a folder a live system reads (a Prometheus rules directory) or
//! a live object behind an API (`push`, for `plan` and `apply`).

use std::sync::Arc;

use serde::{Serialize, Serializer};

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

/// One object's planned action.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// What the object is: `file`, `rule file`, `dashboard`, `rule group`…
    pub kind: &'static str,
    /// How its system knows it: a path relative to the folder for files, a
    /// uid, a name, an API path.
    pub id: String,
    pub action: Action,
    /// A diff for updates, the reason for conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    /// What to send or write.
    #[serde(skip)]
    pub payload: Payload,
}

/// What to send or write: target-specific.
#[derive(Debug, Clone, Default)]
pub enum Payload {
    #[default]
    None,
    Text(Arc<String>),
    Json(serde_json::Value),
}

/// What a change says besides its action.
#[derive(Debug, Clone)]
pub enum Detail {
    /// Why: a conflict's reason, a pending reload.
    Note(String),
    /// The differences, rendered.
    Diff(String),
    /// The text there now. The diff against the payload is rendered only
    /// when shown: a build changes thousands of files and shows none.
    Was(String),
}

impl Detail {
    /// The text it holds: a reason or a diff as shown, or the old text.
    pub fn as_str(&self) -> &str {
        match self {
            Detail::Note(text) | Detail::Diff(text) | Detail::Was(text) => text,
        }
    }
}

impl Serialize for Detail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Detail::Note(text) | Detail::Diff(text) => serializer.serialize_str(text),
            // Shown through `Change::describe`, which has the payload.
            Detail::Was(_) => serializer.serialize_str("changed"),
        }
    }
}

impl Change {
    pub fn new(kind: &'static str, id: impl Into<String>, action: Action) -> Self {
        Change {
            kind,
            id: id.into(),
            action,
            detail: None,
            payload: Payload::None,
        }
    }

    /// With a reason (a conflict's, a pending reload's).
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.detail = Some(Detail::Note(note.into()));
        self
    }

    pub fn payload(mut self, payload: Payload) -> Self {
        self.payload = payload;
        self
    }

    /// The text it would write, if it writes text.
    pub fn text(&self) -> Option<&str> {
        match &self.payload {
            Payload::Text(text) => Some(text),
            _ => None,
        }
    }

    /// Its detail as shown: a reason, or a unified diff from what is there
    /// (`was`) to what lookout would write (`now`).
    pub fn describe(&self, was: &str, now: &str) -> Option<String> {
        match self.detail.as_ref()? {
            Detail::Note(text) | Detail::Diff(text) => Some(text.clone()),
            Detail::Was(before) => Some(unified(before, self.text()?, was, now)),
        }
    }

    /// The action for a declared object, from its live copy (`None` when
    /// it is missing). The ownership rule for every target lives here:
    /// someone else's object in the way is a conflict unless `adopt`;
    /// otherwise the object is unchanged, or updated with `diff` shown.
    pub fn compare(
        kind: &'static str,
        id: &str,
        live: Option<Live>,
        adopt: bool,
        diff: impl FnOnce() -> String,
    ) -> Change {
        match live {
            None => Change::new(kind, id, Action::Create),
            Some(Live {
                foreign: Some(reason),
                ..
            }) if !adopt => Change::new(kind, id, Action::Conflict).note(reason),
            Some(Live {
                unchanged: true, ..
            }) => Change::new(kind, id, Action::Unchanged),
            Some(_) => {
                let mut change = Change::new(kind, id, Action::Update);
                change.detail = Some(Detail::Diff(diff()));
                change
            }
        }
    }
}

/// What a target found of a declared object.
pub struct Live {
    /// Why it is not lookout's (it lacks the ownership marker), if so.
    pub foreign: Option<String>,
    /// Everything lookout sends is already there.
    pub unchanged: bool,
}

/// A unified diff of two texts, with two lines of context.
pub fn unified(before: &str, after: &str, before_name: &str, after_name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(before_name, after_name)
        .to_string()
}
