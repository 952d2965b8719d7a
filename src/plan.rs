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
    /// It is as declared where it is written, but the system that reads
    /// it has not loaded it: a Prometheus rule file before a reload.
    Reload,
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
            Action::Reload => "reload",
            Action::Unchanged => "unchanged",
        }
    }

    /// Is it carried out by `apply`? All but a reload send a write.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Delete | Action::Reload
        )
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
    /// it is missing): a conflict when [`Ownership::conflict`] says so,
    /// else unchanged, or updated with `diff` shown.
    pub fn compare(
        kind: &'static str,
        id: &str,
        live: Option<Live>,
        ownership: &Ownership<'_>,
        diff: impl FnOnce() -> String,
    ) -> Change {
        let Some(live) = live else {
            return Change::new(kind, id, Action::Create);
        };
        if let Some(reason) = ownership.conflict(&live.owner) {
            return Change::new(kind, id, Action::Conflict).note(reason);
        }
        if live.unchanged {
            return Change::new(kind, id, Action::Unchanged);
        }
        let mut change = Change::new(kind, id, Action::Update);
        change.detail = Some(Detail::Diff(diff()));
        change
    }

    /// An undeclared object `--prune` may not delete because
    /// [`Ownership::prunable`] says no, though lookout wrote it: said in
    /// the plan, not silently kept.
    pub fn kept(kind: &'static str, id: impl Into<String>, owner: &Owner) -> Option<Change> {
        (*owner == Owner::Legacy).then(|| {
            Change::new(kind, id, Action::Unchanged).note(format!(
                "kept: {LEGACY}, whose project is unknown; `--claim-legacy` prunes it if it is this project's"
            ))
        })
    }
}

/// What a target found of a declared object.
pub struct Live {
    pub owner: Owner,
    /// Everything lookout sends is already there.
    pub unchanged: bool,
}

/// Whose an object in a live system is, by its marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A lookout project's, by name (this one's or another's).
    Project(String),
    /// Marked as lookout's by a release that marked no project.
    Legacy,
    /// Not lookout's: the marker it lacks.
    Unmarked(String),
}

const LEGACY: &str = "written by a lookout release that marked no project";

/// Which existing objects a run may overwrite and delete: the ownership
/// rule of every target. An object is this project's when it carries this
/// project's marker; `--adopt` takes over what is in the way of a declared
/// object, and `--claim-legacy` counts legacy objects as this project's.
#[derive(Debug, Clone, Copy)]
pub struct Ownership<'a> {
    pub project: &'a str,
    pub adopt: bool,
    pub claim_legacy: bool,
}

impl Ownership<'_> {
    /// Why writing over an object of `owner` is a conflict, if it is.
    pub fn conflict(&self, owner: &Owner) -> Option<String> {
        match owner {
            Owner::Project(project) if project == self.project => None,
            _ if self.adopt => None,
            Owner::Project(project) => Some(format!(
                "owned by lookout project `{project}`, not this project `{}`: rename it in one of them, or --adopt to take it over",
                self.project
            )),
            Owner::Legacy if self.claim_legacy => None,
            Owner::Legacy => Some(format!(
                "{LEGACY}: --claim-legacy takes over such objects when this project wrote them (see docs: project identity)"
            )),
            Owner::Unmarked(reason) => Some(format!("{reason}: --adopt to take it over")),
        }
    }

    /// May `--prune` delete an undeclared object of `owner`?
    pub fn prunable(&self, owner: &Owner) -> bool {
        match owner {
            Owner::Project(project) => project == self.project,
            Owner::Legacy => self.claim_legacy,
            Owner::Unmarked(_) => false,
        }
    }
}

/// A unified diff of two texts, with two lines of context.
pub fn unified(before: &str, after: &str, before_name: &str, after_name: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(before_name, after_name)
        .to_string()
}
