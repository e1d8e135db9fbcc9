"""Settings from options and TURNOUT_* variables, options winning; bad values are usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from turnout.settings import Settings, settings_from


@pytest.mark.parametrize(("argv", "environ", "expected"), [
    ([], {}, Settings()),
    (["--port", "9100"], {}, Settings(port=9100)),
    ([], {"TURNOUT_PORT": "9200"}, Settings(port=9200)),
    (["--port", "9100"], {"TURNOUT_PORT": "9200"}, Settings(port=9100)),
    (["--use-zygote", "false", "--data-dir", "d"], {}, Settings(use_zygote=False,
                                                                 data_dir=Path("d"))),
    ([], {"TURNOUT_ASYNC_RETRY_DELAY_SCALE": "0.01", "TURNOUT_REGION": "eu-west-1"},
     Settings(async_retry_delay_scale=0.01, region="eu-west-1")),
    (["--cpu-placement", "auto"], {}, Settings(cpu_placement="auto")),
    ([], {"TURNOUT_WAIT_POLL_US": "0"}, Settings(wait_poll_us=0)),
])
def test_options_and_environment(argv: list[str], environ: dict[str, str],
                                 expected: Settings) -> None:
    assert settings_from(argv, environ) == expected


@pytest.mark.parametrize(("given", "absolute"), [
    (Path(".turnout"), Path.cwd() / ".turnout"),  # the default
    (Path("d"), Path.cwd() / "d"),
    (Path("/srv/turnout"), Path("/srv/turnout")),
])
def test_the_data_dir_is_absolute_from_the_start(given: Path, absolute: Path) -> None:
    assert Settings(data_dir=given).data_dir == absolute


@pytest.mark.parametrize(("argv", "environ", "named"), [
    (["--port", "abc"], {}, "--port"),
    ([], {"TURNOUT_KEEP_ALIVE_SECONDS": "soon"}, "TURNOUT_KEEP_ALIVE_SECONDS"),
    (["--cpu-placement", "always"], {}, "--cpu-placement"),  # not one of auto, on, off
    ([], {"TURNOUT_CPU_PLACEMENT": "ON"}, "TURNOUT_CPU_PLACEMENT"),
])
def test_bad_values_are_usage_errors(argv: list[str], environ: dict[str, str], named: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        settings_from(argv, environ)
    assert exited.value.code == 2
    assert named in capsys.readouterr().err
