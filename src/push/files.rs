//! A folder a live system reads files from (Prometheus's `rules_dir`) as a
//! push target, which other projects and users may share. It is compared
//! like the output root (`out::compare_file`) into the same [`Change`]s,
//! then judged by the push's [`Ownership`] rule from each file's header:
//! lookout's marker, then `lookout-project:<name>`. Files are written one
//! at a time (atomically, with fsync, as a live reader needs), and pruned
//! of this project's files only, at the folder's top.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Action, Change, Desired, Detail, Mode, Owner, Ownership, Payload, RuleFile, Target};
use crate::out;

/// Whose the file holding `text` is: lookout's marker in its header says
/// it is lookout's, the project marker beside it says whose.
pub fn owner(text: &str) -> Owner {
    if !out::is_owned(text) {
        return Owner::Unmarked("it exists and was not written by lookout".into());
    }
    let header = text.lines().take(5).find_map(crate::emit::marked_project);
    header.map_or(Owner::Legacy, |project| Owner::Project(project.into()))
}

/// The text a change found on disk.
fn was(change: &Change) -> &str {
    match &change.detail {
        Some(Detail::Was(text)) => text,
        _ => "",
    }
}

pub struct Files {
    name: &'static str,
    dir: PathBuf,
    /// What each file is called in a plan.
    kind: &'static str,
    /// The files of the desired set this folder holds, by name.
    select: fn(&Desired) -> &BTreeMap<String, RuleFile>,
}

impl Files {
    pub fn new(
        name: &'static str,
        dir: PathBuf,
        kind: &'static str,
        select: fn(&Desired) -> &BTreeMap<String, RuleFile>,
    ) -> Files {
        Files {
            name,
            dir,
            kind,
            select,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The planned change to the file `name` that holds `text`.
    fn compare(
        &self,
        name: &str,
        text: &std::sync::Arc<String>,
        ownership: &Ownership<'_>,
    ) -> Result<Change, String> {
        let path = self.dir.join(name);
        let found = out::compare_file(&self.dir, Path::new(name), text)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut change = match found {
            None => Change::new(self.kind, name, Action::Unchanged),
            Some(found) if found.action == Action::Create || was(&found).is_empty() => Change {
                kind: self.kind,
                ..found
            },
            Some(found) => match ownership.conflict(&owner(was(&found))) {
                Some(reason) => Change::new(self.kind, name, Action::Conflict)
                    .note(format!("{}: {reason}", path.display())),
                None => Change {
                    kind: self.kind,
                    action: Action::Update,
                    ..found
                },
            },
        };
        change.payload = Payload::Text(text.clone());
        Ok(change)
    }
}

impl Target for Files {
    fn name(&self) -> &'static str {
        self.name
    }

    fn plan(&self, desired: &Desired, mode: Mode) -> Result<Vec<Change>, String> {
        let files = (self.select)(desired);
        let ownership = desired.ownership(mode);
        let mut changes = files
            .iter()
            .map(|(name, file)| self.compare(name, &file.text, &ownership))
            .collect::<Result<Vec<_>, _>>()?;
        if mode.prune {
            // lookout's files at the top of the folder that nothing
            // declares: the output root's stale-file rule.
            let candidates = out::owned_files(&self.dir, &[PathBuf::new()])
                .map_err(|e| format!("cannot list {}: {e}", self.dir.display()))?;
            let candidates: Vec<PathBuf> = candidates
                .into_iter()
                .filter(|relative| {
                    relative.components().count() == 1
                        && matches!(
                            relative.extension().and_then(|e| e.to_str()),
                            Some("yaml" | "yml")
                        )
                })
                .collect();
            let declared = files.keys().map(Path::new).collect();
            let stale = out::stale(&self.dir, &candidates, &declared)
                .map_err(|e| format!("cannot read {}: {e}", self.dir.display()))?;
            for change in stale {
                let owner = owner(was(&change));
                if ownership.prunable(&owner) {
                    changes.push(Change {
                        kind: self.kind,
                        ..out::without_text(change)
                    });
                } else if let Some(kept) = Change::kept(self.kind, &change.id, &owner) {
                    changes.push(kept);
                }
            }
        }
        Ok(changes)
    }

    /// Files are few and local; a live reader sees them all at once, after.
    fn ordered(&self) -> bool {
        true
    }

    fn apply_one(&self, change: &Change) -> Result<(), String> {
        let path = self.dir.join(&change.id);
        let result = match (change.action, change.text()) {
            (Action::Delete, _) => out::remove(&path),
            (_, Some(text)) => out::write_atomic(&path, text),
            _ => return Err("nothing to write".into()),
        };
        result.map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::GENERATED_MARKER;

    fn desired(files: &[(&str, &str)]) -> Desired {
        let mut desired = Desired {
            project: "a".into(),
            ..Desired::default()
        };
        for (name, text) in files {
            desired.rule_files.insert(
                name.to_string(),
                RuleFile {
                    service: name.trim_end_matches(".yaml").to_string(),
                    text: std::sync::Arc::new(text.to_string()),
                    groups: crate::emit::RuleGroups::new(crate::emit::yaml::Node::Seq(Vec::new())),
                },
            );
        }
        desired
    }

    fn mode(prune: bool, adopt: bool, claim_legacy: bool) -> Mode {
        Mode {
            prune,
            adopt,
            claim_legacy,
            concurrency: 1,
        }
    }

    fn actions(changes: &[Change]) -> Vec<(String, Action)> {
        changes.iter().map(|c| (c.id.clone(), c.action)).collect()
    }

    fn of(project: &str, body: &str) -> String {
        format!("# {GENERATED_MARKER}\n# lookout-project:{project}\n{body}")
    }

    #[test]
    fn a_shared_rules_folder_is_planned_by_project_and_pruned_of_this_projects_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let ours = of("a", "groups: []\n");
        let legacy = format!("# {GENERATED_MARKER}\ngroups: []\n");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("current.yaml", &ours);
        write("changed.yaml", &of("a", "old\n"));
        write("users.yaml", "groups: [] # a user's own file\n");
        write("clash.yaml", &of("b", "groups: []\n"));
        write("old.yaml", &legacy);
        write("retired.yaml", &of("a", "groups: []\n"));
        write("theirs.yaml", &of("b", "groups: []\n"));
        write("legacy-retired.yaml", &legacy);
        write("notes.txt", &ours);
        write("nested/retired.yaml", &ours);
        let files = Files::new("prometheus", dir.path().into(), "rule file", |d| {
            &d.rule_files
        });
        let wanted = desired(&[
            ("current.yaml", &ours),
            ("changed.yaml", &ours),
            ("missing.yaml", &ours),
            ("users.yaml", &ours),
            ("clash.yaml", &ours),
            ("old.yaml", &ours),
        ]);

        let plan = files.plan(&wanted, mode(true, false, false)).unwrap();
        assert_eq!(
            actions(&plan),
            [
                ("changed.yaml".into(), Action::Update),
                ("clash.yaml".into(), Action::Conflict),
                ("current.yaml".into(), Action::Unchanged),
                ("missing.yaml".into(), Action::Create),
                ("old.yaml".into(), Action::Conflict),
                ("users.yaml".into(), Action::Conflict),
                // Legacy and undeclared: kept, and said.
                ("legacy-retired.yaml".into(), Action::Unchanged),
                ("retired.yaml".into(), Action::Delete),
            ]
        );
        let diff = plan[0].describe("live", "desired").unwrap();
        assert!(diff.contains("-old\n+groups: []"), "{diff}");
        let note = |id: &str| {
            plan.iter()
                .find(|c| c.id == id)
                .and_then(|c| c.detail.as_ref())
                .map(|d| d.as_str().to_string())
                .unwrap()
        };
        assert!(
            note("clash.yaml").contains("owned by lookout project `b`, not this project `a`"),
            "{}",
            note("clash.yaml")
        );
        assert!(note("old.yaml").contains("--claim-legacy"));
        assert!(note("users.yaml").contains("not written by lookout: --adopt"));
        assert!(note("legacy-retired.yaml").starts_with("kept:"));

        // Claiming legacy files: updated and pruned like this project's.
        let plan = files.plan(&wanted, mode(true, false, true)).unwrap();
        let acting = |action: Action| -> Vec<&str> {
            plan.iter()
                .filter(|c| c.action == action)
                .map(|c| c.id.as_str())
                .collect()
        };
        assert_eq!(
            acting(Action::Delete),
            ["legacy-retired.yaml", "retired.yaml"]
        );
        assert_eq!(acting(Action::Conflict), ["clash.yaml", "users.yaml"]);

        // --adopt takes over what is in the way, never prunes others' files.
        let plan = files.plan(&wanted, mode(true, true, true)).unwrap();
        for change in plan.iter().filter(|c| c.action.writes()) {
            files.apply_one(change).unwrap();
        }
        for name in [
            "current.yaml",
            "changed.yaml",
            "missing.yaml",
            "users.yaml",
            "clash.yaml",
            "old.yaml",
        ] {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(name)).unwrap(),
                ours
            );
        }
        assert!(!dir.path().join("retired.yaml").exists());
        assert!(
            dir.path().join("theirs.yaml").exists(),
            "another project's file"
        );
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir.path().join("nested/retired.yaml").exists());
        let again = files.plan(&wanted, mode(true, false, false)).unwrap();
        assert!(
            again
                .iter()
                .all(|c| c.action == Action::Unchanged && c.detail.is_none()),
            "{:?}",
            actions(&again)
        );
    }
}
