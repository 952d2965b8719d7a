//! A folder a live system reads files from (Prometheus's `rules_dir`) as a
//! push target. It is compared by the output root's ownership rule
//! (`out::compare_file`) into the same [`Change`]s, written one file at a
//! time (atomically, with fsync, as a live reader needs), and pruned of
//! lookout's own files only, at the folder's top.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Action, Change, Desired, Mode, Payload, RuleFile, Target};
use crate::out;

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
        mode: Mode,
    ) -> Result<Change, String> {
        let path = self.dir.join(name);
        let found = out::compare_file(&self.dir, Path::new(name), text)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut change = match found {
            None => Change::new(self.kind, name, Action::Unchanged),
            Some(found) if found.action == Action::Conflict && !mode.adopt => {
                Change::new(self.kind, name, Action::Conflict).note(format!(
                    "{} exists and was not written by lookout",
                    path.display()
                ))
            }
            Some(found) => Change {
                kind: self.kind,
                action: match found.action {
                    Action::Conflict => Action::Update,
                    action => action,
                },
                ..found
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
        let mut changes = files
            .iter()
            .map(|(name, file)| self.compare(name, &file.text, mode))
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
            changes.extend(stale.into_iter().map(|change| Change {
                kind: self.kind,
                ..out::without_text(change)
            }));
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
        let mut desired = Desired::default();
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

    fn mode(prune: bool, adopt: bool) -> Mode {
        Mode {
            prune,
            adopt,
            concurrency: 1,
        }
    }

    fn actions(changes: &[Change]) -> Vec<(String, Action)> {
        changes.iter().map(|c| (c.id.clone(), c.action)).collect()
    }

    #[test]
    fn a_rules_folder_is_planned_by_the_ownership_rule_and_pruned_of_lookouts_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let owned = format!("# {GENERATED_MARKER}\ngroups: []\n");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("current.yaml", &owned);
        write("changed.yaml", &format!("# {GENERATED_MARKER}\nold\n"));
        write("theirs.yaml", "groups: [] # a user's own file\n");
        write("retired.yaml", &owned);
        write("notes.txt", &owned);
        write("nested/retired.yaml", &owned);
        let files = Files::new("prometheus", dir.path().into(), "rule file", |d| {
            &d.rule_files
        });
        let wanted = desired(&[
            ("current.yaml", &owned),
            ("changed.yaml", &owned),
            ("missing.yaml", &owned),
            ("theirs.yaml", &owned),
        ]);

        let plan = files.plan(&wanted, mode(false, false)).unwrap();
        assert_eq!(
            actions(&plan),
            [
                ("changed.yaml".into(), Action::Update),
                ("current.yaml".into(), Action::Unchanged),
                ("missing.yaml".into(), Action::Create),
                ("theirs.yaml".into(), Action::Conflict),
            ]
        );
        let diff = plan[0].describe("live", "desired").unwrap();
        assert!(diff.contains("-old\n+groups: []"), "{diff}");

        // Pruning deletes lookout's files at the top, nothing else.
        let plan = files.plan(&wanted, mode(true, true)).unwrap();
        let deletes: Vec<&str> = plan
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(deletes, ["retired.yaml"]);
        assert_eq!(
            plan[3].action,
            Action::Update,
            "--adopt takes a user's file over"
        );

        for change in plan.iter().filter(|c| c.action.writes()) {
            files.apply_one(change).unwrap();
        }
        for name in [
            "current.yaml",
            "changed.yaml",
            "missing.yaml",
            "theirs.yaml",
        ] {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(name)).unwrap(),
                owned
            );
        }
        assert!(!dir.path().join("retired.yaml").exists());
        assert!(dir.path().join("notes.txt").exists());
        assert!(dir.path().join("nested/retired.yaml").exists());
        let again = files.plan(&wanted, mode(true, false)).unwrap();
        assert!(
            again.iter().all(|c| c.action == Action::Unchanged),
            "{:?}",
            actions(&again)
        );
    }
}
