"""Deployment: the SAM template passes cfn-lint and grants least privilege; the zip is complete and reproducible."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "template.yaml"
#: The scan function's contract variables; the SMTP password comes from Secrets Manager, never MAIL_PASSWORD.
CONTRACT_VARIABLES = {
    "DB_TABLE_NAME", "MAIL_USERNAME", "MAIL_PASSWORD_SECRET_ARN", "MAIL_PORT", "MAIL_SERVER", "MAIL_USE_SSL",
    "MAIL_USE_TLS", "MAIL_ALLOW_PLAINTEXT", "TEMP_PATH", "USE_RATE_LIMITER", "FROM_ADDR", "SCAN_TIMEOUT_SECONDS",
}  # fmt: skip
#: Both KMS grants require a requestId, and only a requestId, as encryption context.
REQUEST_ID_CONTEXT = {
    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["requestId"]},
    "Null": {"kms:EncryptionContextKeys": "false"},
}


def _load_build_zip() -> Any:
    spec = importlib.util.spec_from_file_location("build_zip", REPO / "deploy" / "build_zip.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_zip = _load_build_zip()


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The template as CloudFormation sees it (intrinsic functions decoded)."""
    decoded, problems = decode(str(TEMPLATE))
    assert problems == [] and decoded is not None
    return decoded


def statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """Every policy statement of one IAM role (a conditional one as it is when its condition holds)."""
    policies = template["Resources"][role]["Properties"]["Policies"]
    found = [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]
    return [s["Fn::If"][1] if "Fn::If" in s else s for s in found]


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def test_cfn_lint_passes() -> None:
    # Every rule, informational ones included, with SAM transformed as `sam deploy` would.
    matches = lint_file(TEMPLATE, ManualArgs(include_checks=["I"]))
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_table_is_on_demand_with_ttl(template: dict[str, Any]) -> None:
    table = template["Resources"]["StatusTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_request_role_may_only_write_its_table_and_invoke_the_scan(template: dict[str, Any]) -> None:
    granted = {
        action: dict(s["Resource"]) for s in statements(template, "RequestFunctionRole") for action in actions(s)
    }
    assert set(granted) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "lambda:InvokeFunction",
        "kms:Encrypt",
    }
    assert granted["lambda:InvokeFunction"] == {"Fn::GetAtt": ["ScanFunction", "Arn"]}
    assert granted["kms:Encrypt"] == {"Fn::GetAtt": ["SecretKey", "Arn"]}
    (seal,) = [s for s in statements(template, "RequestFunctionRole") if "kms:Encrypt" in actions(s)]
    assert seal["Condition"] == REQUEST_ID_CONTEXT
    assert granted["dynamodb:PutItem"] == granted["dynamodb:UpdateItem"] == {"Fn::GetAtt": ["StatusTable", "Arn"]}
    assert granted["logs:PutLogEvents"] == {"Fn::Sub": "${RequestLogGroup.Arn}:*"}


def test_scan_role_may_only_update_its_table_open_secrets_and_report_failures(template: dict[str, Any]) -> None:
    granted = {action: dict(s["Resource"]) for s in statements(template, "ScanFunctionRole") for action in actions(s)}
    assert set(granted) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        "lambda:InvokeFunction",
        "secretsmanager:GetSecretValue",
    }
    assert granted["dynamodb:UpdateItem"] == {"Fn::GetAtt": ["StatusTable", "Arn"]}
    assert granted["kms:Decrypt"] == {"Fn::GetAtt": ["SecretKey", "Arn"]}
    assert granted["lambda:InvokeFunction"] == {"Fn::GetAtt": ["FailureFunction", "Arn"]}
    assert granted["secretsmanager:GetSecretValue"] == {"Ref": "MailPasswordSecretArn"}
    (unseal,) = [s for s in statements(template, "ScanFunctionRole") if "kms:Decrypt" in actions(s)]
    assert unseal["Condition"] == REQUEST_ID_CONTEXT
    failure = {a: dict(s["Resource"]) for s in statements(template, "FailureFunctionRole") for a in actions(s)}
    assert set(failure) == {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:UpdateItem"}
    for role in ("RequestFunctionRole", "ScanFunctionRole", "FailureFunctionRole"):
        assert all("*" not in str(a) for s in statements(template, role) for a in actions(s))
        assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"]


def test_functions_have_their_handlers_and_environment(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    request = resources["RequestFunction"]["Properties"]
    scan = resources["ScanFunction"]["Properties"]
    assert request["Handler"] == "lambda_handler.request_handler"
    assert scan["Handler"] == "lambda_handler.scan_handler"
    assert set(request["Environment"]["Variables"]) >= {"DB_TABLE_NAME", "SCAN_FUNCTION_NAME", "USE_RATE_LIMITER"}
    assert set(scan["Environment"]["Variables"]) >= CONTRACT_VARIABLES
    assert "MAIL_PASSWORD" not in scan["Environment"]["Variables"] and "MailPassword" not in template["Parameters"]
    assert request["Environment"]["Variables"]["SECRET_KMS_KEY_ID"] == {"Fn::GetAtt": ["SecretKey", "Arn"]}
    # Stale means RUNNING longer than the scan function can live.
    for function in ("RequestFunction", "ScanFunction", "FailureFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["SCAN_TIMEOUT_SECONDS"] == str(scan["Timeout"])
    assert scan["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert scan["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "Lambda",
        "Destination": {"Fn::GetAtt": ["FailureFunction", "Arn"]},
    }
    failure = resources["FailureFunction"]["Properties"]
    assert failure["Handler"] == "lambda_handler.failure_handler"
    assert failure["Environment"]["Variables"]["DB_TABLE_NAME"] == {"Ref": "StatusTable"}


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    """A repository-shaped folder with code, tests and bytecode that must stay out."""
    repo = tmp_path / "repo"
    (repo / "o365cis" / "__pycache__").mkdir(parents=True)
    (repo / "o365cis" / "__init__.py").write_text("")
    (repo / "o365cis" / "catalogue.json").write_text("{}")
    (repo / "o365cis" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (repo / "plugins").mkdir()
    (repo / "plugins" / "cis_plugin.py").write_text("")
    (repo / "cis_tests").mkdir()
    (repo / "cis_tests" / "test_a.py").write_text("")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_secret.py").write_text("")
    (repo / "lambda_handler.py").write_text("")
    (repo / "lambda_handler.py").chmod(0o755)
    return repo


@pytest.fixture
def fake_site(tmp_path: Path) -> Path:
    """A pip --target folder with one package, its metadata and a console script."""
    site = tmp_path / "site"
    (site / "dep").mkdir(parents=True)
    (site / "dep" / "__init__.py").write_text("VALUE = 1\n")
    (site / "dep-1.0.dist-info").mkdir()
    (site / "dep-1.0.dist-info" / "RECORD").write_text("dep/__init__.py,,\n")
    (site / "bin").mkdir()
    (site / "bin" / "dep").write_text("#!/build/machine/python\n")
    return site


def test_archive_holds_code_and_dependencies_only(fake_repo: Path, fake_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.zip"
    build_zip.write_archive(output, {**build_zip.dependency_files(fake_site), **build_zip.code_files(fake_repo)})
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert names == [
        "cis_tests/test_a.py",
        "dep-1.0.dist-info/RECORD",
        "dep/__init__.py",
        "lambda_handler.py",
        "o365cis/__init__.py",
        "o365cis/catalogue.json",
        "plugins/cis_plugin.py",
    ]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in infos}
    assert modes["lambda_handler.py"] == 0o755 and modes["dep/__init__.py"] == 0o644


def test_same_sources_give_the_same_bytes(fake_repo: Path, fake_site: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_zip.write_archive(first, {**build_zip.dependency_files(fake_site), **build_zip.code_files(fake_repo)})
    later = time.time() + 3600
    for path in [*fake_repo.rglob("*"), *fake_site.rglob("*")]:
        os.utime(path, (later, later))
    build_zip.write_archive(second, {**build_zip.code_files(fake_repo), **build_zip.dependency_files(fake_site)})
    assert first.read_bytes() == second.read_bytes()


def test_source_date_epoch_sets_the_timestamp(fake_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    output = tmp_path / "out.zip"
    build_zip.write_archive(output, build_zip.code_files(fake_repo))
    with zipfile.ZipFile(output) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_real_code_builds_and_imports_from_the_archive(fake_site: Path, tmp_path: Path) -> None:
    output = tmp_path / "lambda.zip"
    build_zip.build(output, fake_site)
    target = tmp_path / "unpacked"
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        archive.extractall(target)
    assert {"lambda_handler.py", "o365cis/lambda_service/handlers.py", "o365cis/catalogue.json"} <= names
    assert not any(n.startswith(("tests/", "deploy/", "docs/", "benchmarks/", "bin/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # The unpacked package is importable on its own (dependencies from this environment stand in for the lock's).
    probe = (
        "import json, lambda_handler, o365cis; "
        "print(json.dumps([o365cis.__file__, lambda_handler.request_handler({'body': {}}, None)['statusCode']]))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {probe}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=target,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    location, status = __import__("json").loads(result.stdout.splitlines()[-1])
    assert location.startswith(str(target)) and status == 400


def test_lock_pins_what_requirements_pin() -> None:
    def pins(path: Path) -> dict[str, str]:
        found = {}
        for line in path.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line.strip())
            if match:
                found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
        return found

    runtime = pins(REPO / "requirements.txt")
    lock = pins(REPO / "deploy" / "requirements-lambda.txt")
    assert runtime and all(lock.get(name) == version for name, version in runtime.items()), (runtime, lock)
