"""Settings: flag > environment > config file > default, checked files, the data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperradar import clock, config
from paperradar.cli import cli
from paperradar.errors import ConfigError, PaperradarError
from paperradar.store import open_store


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for setting in config.SETTINGS:
        for name in (setting.env, *setting.fallback_env):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(config.ENV_CONFIG, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.config/paperradar/paperradar.toml
    config.use_config_file(None)
    yield
    config.use_config_file(None)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_env_over_file_over_default(tmp_path, monkeypatch) -> None:
    assert config.get("llm.timeout") == 120.0 and config.where("llm.timeout") == "default"
    cfg = write(tmp_path / "p.toml", 'categories = ["cs.CL", "cs.LG"]\n[llm]\ntimeout = 30\nmodel = "m1"\n')
    monkeypatch.setenv(config.ENV_CONFIG, str(cfg))
    assert config.get("llm.timeout") == 30.0 and config.where("llm.timeout") == str(cfg)
    assert config.get("categories") == ["cs.CL", "cs.LG"]
    monkeypatch.setenv("PAPERRADAR_LLM_TIMEOUT", "7.5")
    assert config.get("llm.timeout") == 7.5 and config.where("llm.timeout") == "$PAPERRADAR_LLM_TIMEOUT"
    # daily-arXiv-ai-enhanced's variable is a fallback: used when ours is unset, beaten when set
    monkeypatch.setenv("MODEL_NAME", "deepseek-chat")
    assert config.get("llm.model") == "deepseek-chat"
    monkeypatch.setenv("PAPERRADAR_LLM_MODEL", "ours")
    assert config.get("llm.model") == "ours"
    monkeypatch.setenv("CATEGORIES", "cs.AI, cs.CV")
    assert config.get("categories") == ["cs.AI", "cs.CV"]


def test_bad_files_and_values_name_file_and_key(tmp_path, monkeypatch) -> None:
    unknown = write(tmp_path / "u.toml", "[llm]\nmodle = 'x'\n")
    with pytest.raises(ConfigError, match=r"u\.toml: unknown setting 'llm\.modle'"):
        config.use_config_file(unknown)  # checked whole when chosen, before any work starts
    wrong = write(tmp_path / "w.toml", "[llm]\ntimeout = 'soon'\n")
    with pytest.raises(ConfigError, match=r"w\.toml: setting 'llm\.timeout': expected a number"):
        config.use_config_file(wrong)
    broken = write(tmp_path / "b.toml", "db = \n")
    with pytest.raises(ConfigError, match=r"b\.toml: not valid TOML .*line 1"):
        config.use_config_file(broken)
    monkeypatch.setenv(config.ENV_CONFIG, str(wrong))  # a file named by the environment: read on use
    with pytest.raises(ConfigError, match=r"w\.toml: setting 'llm\.timeout'"):
        config.get("llm.timeout")
    monkeypatch.delenv(config.ENV_CONFIG)
    with pytest.raises(ConfigError, match="does not exist"):
        config.use_config_file(tmp_path / "missing.toml")
    config.use_config_file(None)
    monkeypatch.setenv("PAPERRADAR_THREADS", "many")
    with pytest.raises(ConfigError, match=r"\$PAPERRADAR_THREADS: expected a number"):
        config.get("threads")
    assert issubclass(ConfigError, PaperradarError) and issubclass(ConfigError, ValueError)


def test_cli_flag_beats_env_and_file_and_bad_file_is_one_line(tmp_path, monkeypatch) -> None:
    env_db, file_db, flag_db = tmp_path / "env.db", tmp_path / "file.db", tmp_path / "flag.db"
    cfg = write(tmp_path / "p.toml", f'db = "{file_db}"\n')
    for db in (env_db, file_db, flag_db):
        open_store(str(db)).close()  # `stats` only reads: the stores must exist
    runner = CliRunner()
    res = runner.invoke(cli, ["--config", str(cfg), "stats", "--json"])
    assert res.exit_code == 0, res.output
    assert str(file_db) in res.output
    monkeypatch.setenv("PAPERRADAR_DB", str(env_db))
    res = runner.invoke(cli, ["--config", str(cfg), "stats", "--json"])
    assert str(env_db) in res.output
    res = runner.invoke(cli, ["--config", str(cfg), "--db", str(flag_db), "stats", "--json"])
    assert str(flag_db) in res.output
    bad = write(tmp_path / "bad.toml", "colour = 'red'\n")
    res = runner.invoke(cli, ["--config", str(bad), "stats"])
    assert res.exit_code == 1 and "bad.toml: unknown setting 'colour'" in res.output
    assert "Traceback" not in res.output


def test_data_folder_defaults_and_legacy_files_move_in(tmp_path, monkeypatch) -> None:
    db = tmp_path / "papers.db"
    assert config.data_dir_for(str(db)) == tmp_path / "papers.data"
    assert config.data_dir_for(":memory:") is None
    url_dir = config.data_dir_for("postgresql://u@h/db")  # a folder per database URL
    assert url_dir is not None and url_dir.parent == Path(os.environ["HOME"]) / ".local/share/paperradar"
    assert url_dir.name.startswith("db-")
    assert config.data_dir_for(str(db), tmp_path / "elsewhere") == tmp_path / "elsewhere"
    monkeypatch.setenv("PAPERRADAR_DATA_DIR", str(tmp_path / "fromenv"))
    assert config.data_dir_for(str(db)) == tmp_path / "fromenv"
    monkeypatch.delenv("PAPERRADAR_DATA_DIR")
    old_index = tmp_path / "papers.db.index"
    old_index.mkdir()
    (old_index / "state.json").write_text("{}", encoding="utf-8")
    (tmp_path / "papers.db.llm-cache.sqlite").write_bytes(b"cache")
    folder = config.data_dir_for(str(db))
    config.adopt_legacy(folder, str(db))
    assert (folder / "index" / "state.json").read_text(encoding="utf-8") == "{}"
    assert (folder / "llm-cache.sqlite").read_bytes() == b"cache"
    assert not old_index.exists()
    config.adopt_legacy(folder, str(db))  # idempotent


def test_one_timestamp_format() -> None:
    stamp = clock.now_iso()
    assert len(stamp) == 20 and stamp.endswith("Z") and stamp[10] == "T"
    assert clock.iso(clock.parse_iso("2026-06-30T22:00:00+02:00")) == "2026-06-30T20:00:00Z"
    assert clock.iso(clock.parse_iso("2026-06-30T20:00:00")) == "2026-06-30T20:00:00Z"
    assert clock.parse_iso(stamp) == clock.parse_iso(stamp.replace("Z", "+00:00"))


def test_help_does_not_import_the_heavy_stack() -> None:
    """`paperradar --help` must stay fast: numpy, scipy, httpx, jinja2 and the models load only
    in the commands that use them."""
    code = ("import sys; from paperradar.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('numpy', 'scipy', 'httpx', 'jinja2', 'onnxruntime', 'tqdm')"
            " if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out
