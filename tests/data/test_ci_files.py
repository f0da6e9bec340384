"""The CI workflow and the pre-commit hook both run `semicon validate --format github`."""

import yaml

from tests.conftest import ROOT


def test_github_workflow_validates_with_annotations():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["validate"]["steps"]]
    assert "pip install ." in runs
    assert any(r.startswith("semicon validate") and "--format github" in r for r in runs)


def test_pre_commit_hook_validates_with_annotations():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "semicon-validate"
    assert hook["entry"] == "semicon validate --format github"
    assert hook["pass_filenames"] is False


def test_github_workflow_fails_when_a_fact_stating_sentence_is_not_quoted():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "validate.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["validate"]["steps"]]
    assert "semicon coverage datapackage/datapackage.json --fail-under 100" in runs
