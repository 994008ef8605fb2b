"""``paperradar run`` delivers every profile after the site, once: a second run sends nothing, and a
failed delivery names the step in the exit status."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from deliverkit import Server

from paperradar.cli import cli
from paperradar.radar.profiles import Profile, add_profile
from paperradar.store import open_store


def _run(tmp_path: Path, env: dict[str, str]):
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "run", "--offline", "--site",
                                    str(tmp_path / "site"), "--skip", "summarize"], env=env)


def test_run_delivers_each_profile_once(tmp_path: Path, smtp_env: Server) -> None:
    store = open_store(str(tmp_path / "s.db"))
    add_profile(store, Profile("ana", email="ana@example.org"))
    add_profile(store, Profile("feedonly"))
    store.close()
    first = _run(tmp_path, {})
    assert first.exit_code == 0, first.output
    assert ": sent (" in first.output and "deliver feedonly" in first.output
    second = _run(tmp_path, {})
    assert second.exit_code == 0 and "already sent" in second.output
    assert len(smtp_env.handler.received) == 1


def test_failed_delivery_names_the_step(tmp_path: Path, smtp_env: Server) -> None:
    store = open_store(str(tmp_path / "s.db"))
    add_profile(store, Profile("ana", email="refused@example.org"))
    store.close()
    smtp_env.handler.refuse.add("refused@example.org")
    res = _run(tmp_path, {})
    assert res.exit_code == 17 and "failed for ana" in res.output  # 17: the deliver step
