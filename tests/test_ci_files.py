"""The CI examples in ci/ are real files: valid YAML/JSON, least privilege, and nothing that leaks a secret."""

import json
import re
from pathlib import Path

import pytest
import yaml
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings

from mlinfra.s3 import ci_policy

CI = Path(__file__).resolve().parents[1] / "ci"
WORKFLOWS = {"github": CI / "github-actions-upload.yml", "gitlab": CI / "gitlab-ci-upload.yml"}
ALL_FILES = [*WORKFLOWS.values(), CI / "policy-ci-upload.json"]

# Shell or tool settings that print secrets: xtrace, env dumps, pytest locals, SDK HTTP traces.
FORBIDDEN = {
    "set -x": re.compile(r"\bset\s+-[a-wyz]*x|\bset\s+-o\s+xtrace|\bbash\s+-x\b"),
    "--showlocals / pytest -l": re.compile(r"--showlocals|\bpytest\b[^\n]*\s-[A-Za-z]*l[A-Za-z]*\b"),
    "env dump": re.compile(r"^\s*-?\s*(env|printenv|export\s+-p)\s*$|print\(\s*os\.environ\s*\)", re.M),
    "HTTP trace": re.compile(r"trace_on\(|--debug\b"),
}


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _scripts(path: Path) -> list[str]:
    """Every shell script text in a workflow (GitHub `run:` steps, GitLab `script:` lines)."""
    doc = _load(path)
    if path == WORKFLOWS["github"]:
        return [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
    return ["\n".join(job["script"]) for job in doc.values() if isinstance(job, dict) and "script" in job]


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_is_valid_yaml_with_a_job(name):
    """Each workflow parses as YAML and defines at least one job with a script."""
    doc = _load(WORKFLOWS[name])
    assert isinstance(doc, dict)
    assert _scripts(WORKFLOWS[name]), f"{name}: no script found"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_literal_secret(path):
    """detect-secrets finds nothing, and no AWS-style key id or long base64 literal stands in the file."""
    with default_settings():
        found = SecretsCollection()
        found.scan_file(str(path))
    assert not list(found), [(s.type, s.line_number) for _, s in found]
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", text)
    assert not re.search(r"(?i)(secret|password|token)[\w-]*\s*[:=]\s*['\"]?[A-Za-z0-9/+]{16,}", text)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_no_leaky_shell_settings(name):
    """No set -x, env dump, --showlocals or HTTP trace anywhere in the workflow."""
    text = WORKFLOWS[name].read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())  # comments may mention them
    hits = {what: pattern.findall(code) for what, pattern in FORBIDDEN.items() if pattern.search(code)}
    assert not hits, f"{name}: {hits}"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_scripts_fail_fast(name):
    """Every multi-line shell script starts with set -euo pipefail (errors are not swallowed)."""
    scripts = _scripts(WORKFLOWS[name])
    assert any("set -euo pipefail" in s for s in scripts)
    for s in scripts:
        if "\n" in s.strip() and name == "github":
            assert s.lstrip().startswith("set -euo pipefail"), s[:80]


def test_github_secrets_only_from_secret_store():
    """Credentials come from ${{ secrets.* }} or the OIDC exchange, with id-token permission and a pinned region."""
    doc = _load(WORKFLOWS["github"])
    assert doc["permissions"] == {"contents": "read", "id-token": "write"}
    job = doc["jobs"]["upload"]
    assert job["env"]["AWS_DEFAULT_REGION"] == "us-east-1"
    text = WORKFLOWS["github"].read_text(encoding="utf-8")
    for ref in re.findall(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", text):
        assert ref in {"MINIO_CI_ACCESS_KEY", "MINIO_CI_SECRET_KEY"}
    assert "assume-role-with-web-identity" in text and "::add-mask::" in text


def test_gitlab_uses_id_token_and_no_inline_credentials():
    """The GitLab job asks for an OIDC id_token and sets no credential in its variables."""
    job = _load(WORKFLOWS["gitlab"])["upload-model"]
    assert "MINIO_ID_TOKEN" in job["id_tokens"]
    assert not {k for k in job["variables"] if re.search("ACCESS_KEY|SECRET|TOKEN|PASSWORD", k)}
    assert "assume-role-with-web-identity" in "\n".join(job["script"])


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_upload_sends_checksum_and_metadata(name):
    """The upload is a single PutObject with a SHA-256 checksum and sha256 + git-commit metadata."""
    text = "\n".join(_scripts(WORKFLOWS[name]))
    assert "aws s3api put-object" in text and "--checksum-algorithm SHA256" in text
    assert re.search(r"--metadata \"sha256=\$sha,git-commit=\$\w+\"", text)


def test_policy_file_is_the_least_privilege_policy():
    """ci/policy-ci-upload.json equals mlinfra.s3.ci_policy('models', 'models/ci/'): only s3:PutObject."""
    policy = json.loads((CI / "policy-ci-upload.json").read_text(encoding="utf-8"))
    assert policy == ci_policy("models", "models/ci/")
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert actions == {"s3:PutObject"} and all(st["Effect"] == "Allow" for st in policy["Statement"])
