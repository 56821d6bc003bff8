"""A bad ``GEO_RISK_*`` setting at start-up: one line naming the setting, exit status 2, no traceback,
and never the secret it was given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from geo_risk.settings import Settings, settings_error_message

GEO_RISK = Path(sys.executable).with_name("geo-risk")  # the installed console script of this venv


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GEO_RISK_")}
    return subprocess.run([str(GEO_RISK), *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("command", [["serve"], ["db", "url"], ["grade"]])
def test_a_short_api_key_is_one_line_naming_the_setting(command: list[str]) -> None:
    done = _run(*command, GEO_RISK_API_KEYS='{"short":"admin"}')
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "ValidationError" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "GEO_RISK_API_KEYS" in lines[0] and "at least 8 characters" in lines[0]
    assert "short" not in lines[0].replace("shorter", "")  # the key itself is a secret
    assert done.stdout == ""


def test_api_keys_that_are_not_json_are_named_too() -> None:
    done = _run("serve", GEO_RISK_API_KEYS="k1=admin")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "GEO_RISK_API_KEYS" in done.stderr and "JSON" in done.stderr


def _error(monkeypatch: pytest.MonkeyPatch, **env: str) -> ValidationError | SettingsError:
    for k in [k for k in os.environ if k.startswith("GEO_RISK_")]:
        monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises((ValidationError, SettingsError)) as info:
        Settings()
    return info.value


def test_every_problem_of_the_keys_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    msg = settings_error_message(_error(monkeypatch, GEO_RISK_API_KEYS='{"tiny": "boss", "long-enough-1": "viewer"}'))
    assert msg.startswith("GEO_RISK_API_KEYS: ") and "'boss'" in msg and "at least 8 characters" in msg
    assert "tiny" not in msg and "long-enough-1" not in msg and "\n" not in msg


def test_settings_are_named_by_their_variable_and_secrets_are_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_error_message(_error(monkeypatch, GEO_RISK_PORT="eighty")).startswith("GEO_RISK_PORT: ")
    msg = settings_error_message(_error(monkeypatch, GEO_RISK_DATABASE_URL="mysql://u:s3cret@db/x"))
    assert "GEO_RISK_DATABASE_URL" in msg and "s3cret" not in msg and "'mysql'" in msg
