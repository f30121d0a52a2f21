//! Each seed example's dashboard, rules and alerts, generated from its declarations by `--export DIR`, are
//! committed under `examples/<name>/observability/`. This test runs each example with `--export` and fails
//! when a committed file differs from what the declarations generate now (regenerate them with
//! `OBSERVABILITY=overwrite cargo test --test observability`), then runs `promtool check rules` and
//! `promtool test rules` on the committed files.
//!
//! promtool comes from `scripts/install-tools`.

use std::path::{Path, PathBuf};
use std::process::Command;

use promstruct::export::{DASHBOARD_FILE, RULE_TESTS_FILE, RULES_FILE, RUNBOOKS_DIR};
use suite::programs::{Scratch, build_example, require_program};

/// The examples that declare their families with `#[metrics]` and export them, with the folder of each.
const EXAMPLES: [(&str, &str); 4] =
    [("llm_service", "llm_service"), ("agentcube", "agentcube"), ("kosmos", "kosmos"), ("argo", "argo")];

fn committed(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(folder).join("observability")
}

fn promtool(args: &[&str], file: &Path) -> Result<(), String> {
    let out = Command::new("promtool").args(args).arg(file).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// The file names in `dir`, sorted; none when it does not exist.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn every_example_ships_the_files_its_declarations_generate() {
    let overwrite = std::env::var("OBSERVABILITY").is_ok_and(|v| v == "overwrite");
    let mut stale = Vec::new();
    for (example, folder) in EXAMPLES {
        let binary = build_example(example);
        let scratch = Scratch::new(&format!("export-{example}"));
        let out = Command::new(&binary).arg("--export").arg(&scratch.0).output().unwrap();
        assert!(out.status.success(), "{example} --export failed: {}", String::from_utf8_lossy(&out.stderr));
        let dir = committed(folder);
        let mut files: Vec<PathBuf> = [DASHBOARD_FILE, RULES_FILE, RULE_TESTS_FILE].map(PathBuf::from).to_vec();
        let pages = listing(&scratch.0.join(RUNBOOKS_DIR));
        files.extend(pages.iter().map(|page| Path::new(RUNBOOKS_DIR).join(page)));
        for file in files {
            let fresh = std::fs::read_to_string(scratch.0.join(&file)).unwrap();
            let path = dir.join(&file);
            if overwrite {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &fresh).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(fresh.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        // A committed page no objective generates any more.
        for page in listing(&dir.join(RUNBOOKS_DIR)) {
            let path = dir.join(RUNBOOKS_DIR).join(&page);
            if !pages.contains(&page) {
                if overwrite {
                    std::fs::remove_file(&path).unwrap();
                } else {
                    stale.push(format!("{} (no objective generates it)", path.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these files differ from what the declarations generate; regenerate them with \
         `OBSERVABILITY=overwrite cargo test --test observability` and review the diff:\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_committed_rules_pass_promtool_and_their_tests() {
    require_program("promtool", "prometheus");
    for (example, folder) in EXAMPLES {
        let dir = committed(folder);
        promtool(&["check", "rules"], &dir.join(RULES_FILE))
            .unwrap_or_else(|e| panic!("promtool check rules for {example}:\n{e}"));
        promtool(&["test", "rules"], &dir.join(RULE_TESTS_FILE))
            .unwrap_or_else(|e| panic!("promtool test rules for {example}:\n{e}"));
    }
}

#[test]
fn the_documented_slos_are_declared() {
    // Each document's objective, as the generated rules name it.
    let expect = [
        ("llm_service", "LlmdevopsLlmRequestDurationSecondsErrorBudgetBurn"),
        ("llm_service", "LlmdevopsLlmRequestsErrorBudgetBurn"),
        ("agentcube", "AgentcubeSandboxCreateDurationSecondsErrorBudgetBurn"),
        ("agentcube", "AgentcubeSandboxCreateErrorBudgetBurn"),
        ("kosmos", "KosmosAgentRequestsErrorBudgetBurn"),
    ];
    for (folder, alert) in expect {
        let rules = std::fs::read_to_string(committed(folder).join(RULES_FILE)).unwrap();
        assert!(rules.contains(&format!("alert: {alert}")), "{folder}: no alert {alert}");
    }
    let kosmos = std::fs::read_to_string(committed("kosmos").join(RULES_FILE)).unwrap();
    assert!(kosmos.contains("0.999"), "kosmos' 99.9 % objective:\n{kosmos}");
    let agentcube = std::fs::read_to_string(committed("agentcube").join(RULES_FILE)).unwrap();
    assert!(agentcube.contains("le=\"30.0\""), "agentcube's 30 s creation threshold:\n{agentcube}");
}

#[test]
fn every_runbook_url_links_to_a_committed_page() {
    let mut linked = 0;
    for (example, folder) in EXAMPLES {
        let rules = std::fs::read_to_string(committed(folder).join(RULES_FILE)).unwrap();
        for url in rules.lines().filter_map(|l| l.trim().strip_prefix("runbook_url: ")) {
            let suffix = format!("/blob/main/examples/{folder}/observability/{RUNBOOKS_DIR}/");
            let page = url.split_once(&suffix).unwrap_or_else(|| panic!("{example}: {url} is not this repository's")).1;
            let path = committed(folder).join(RUNBOOKS_DIR).join(page);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{example}: {url}: {e}"));
            assert!(text.starts_with("# ") && text.contains("## When it fires"), "{}", path.display());
            linked += 1;
        }
    }
    // Two alerts (page and ticket) for each of the five objectives.
    assert_eq!(linked, 10);
}
