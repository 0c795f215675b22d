"""The functions' environment: table, scan function, TEMP_PATH and the rate cap USE_RATE_LIMITER turns on."""

from __future__ import annotations

from pathlib import Path

import pytest

from o365cis.lambda_service.config import ConfigurationError, ServiceConfig
from o365cis.settings import DEFAULT_RATE_LIMIT


def test_defaults() -> None:
    config = ServiceConfig.from_env({"DB_TABLE_NAME": "t"})
    assert config.table_name == "t" and config.scan_function_name is None
    assert config.temp_path == Path("/tmp") and config.rate_limit is None
    assert (config.status_ttl_days, config.finish_margin_seconds) == (30, 60.0)


@pytest.mark.parametrize(
    ("environ", "rate"),
    [
        ({"USE_RATE_LIMITER": "True"}, DEFAULT_RATE_LIMIT),
        ({"USE_RATE_LIMITER": "true"}, DEFAULT_RATE_LIMIT),
        ({"USE_RATE_LIMITER": "False"}, None),
        ({"USE_RATE_LIMITER": "True", "O365CIS_RATE_LIMIT": "2.5"}, 2.5),
        ({"O365CIS_RATE_LIMIT": "10"}, 10.0),
    ],
)
def test_rate_cap_follows_the_command_line_rules(environ: dict[str, str], rate: float | None) -> None:
    assert ServiceConfig.from_env({"DB_TABLE_NAME": "t", **environ}).rate_limit == rate


@pytest.mark.parametrize(
    ("environ", "match"),
    [
        ({}, "DB_TABLE_NAME"),
        ({"DB_TABLE_NAME": "t", "O365CIS_RATE_LIMIT": "fast"}, "O365CIS_RATE_LIMIT"),
        ({"DB_TABLE_NAME": "t", "O365CIS_RATE_LIMIT": "-1"}, "O365CIS_RATE_LIMIT"),
        ({"DB_TABLE_NAME": "t", "STATUS_TTL_DAYS": "month"}, "STATUS_TTL_DAYS"),
    ],
)
def test_bad_variables_are_named(environ: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        ServiceConfig.from_env(environ)


def test_explicit_values() -> None:
    config = ServiceConfig.from_env(
        {
            "DB_TABLE_NAME": "status",
            "SCAN_FUNCTION_NAME": "scan-fn",
            "TEMP_PATH": "/var/scans",
            "STATUS_TTL_DAYS": "7",
            "SCAN_FINISH_MARGIN_SECONDS": "90",
        }
    )
    assert (config.scan_function_name, config.temp_path, config.status_ttl_days, config.finish_margin_seconds) == (
        "scan-fn",
        Path("/var/scans"),
        7,
        90.0,
    )
