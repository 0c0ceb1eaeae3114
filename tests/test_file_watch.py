"""The project watch: what a cycle asks every time (did a project file change?), by inotify and by
the walk it falls back to. Both must give the same answers."""

import os
import sys
import time
from pathlib import Path

import pytest

from streamleap.project import file_watch
from streamleap.project.invoke import WATCHED
from streamleap.project.file_watch import ProjectWatch


@pytest.fixture(params=["kernel", "walk"])
def watch(request, tmp_path, monkeypatch):
    if request.param == "kernel" and not sys.platform.startswith("linux"):
        pytest.skip("inotify is Linux's")
    if request.param == "walk":
        monkeypatch.setattr(file_watch, "_inotify", lambda: None)
    (tmp_path / "models" / "staging").mkdir(parents=True)
    (tmp_path / "models" / "staging" / "a.sql").write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    (tmp_path / "target").mkdir()
    w = ProjectWatch(tmp_path, WATCHED)
    assert w.changed()  # never armed: parse
    w.rearm()
    assert w.kernel == (request.param == "kernel")
    yield w
    w.close()


def _later(path: Path) -> None:
    """A step past the file system's time granularity, for the walk (mtimes)."""
    time.sleep(0.02)


def _look(w: ProjectWatch) -> bool:
    seen = w.changed()
    w.rearm()
    return seen


def test_nothing_changed_is_no_change_whatever_the_root_holds(watch):
    root = watch.root
    _later(root)
    (root / "streamleap.duckdb").write_bytes(b"x" * 10)  # the warehouse file, beside the project
    (root / "target" / "manifest.json").write_text("{}")
    (root / "logs").mkdir()
    (root / "logs" / "dbt.log").write_text("...")
    assert not watch.changed()
    assert not watch.changed()


@pytest.mark.parametrize("change", ["edit in place", "new file", "new folder", "remove", "rename", "touch",
                                    "project file", "package"])
def test_a_change_is_seen_once(watch, change):
    root = watch.root
    model = root / "models" / "staging" / "a.sql"
    _later(root)
    if change == "edit in place":
        with open(model, "r+") as f:  # same inode, same folder entries
            f.write("select 2")
    elif change == "new file":
        (root / "models" / "b.sql").write_text("select 1")
    elif change == "new folder":
        (root / "models" / "marts").mkdir()
    elif change == "remove":
        model.unlink()
    elif change == "rename":
        model.rename(model.with_name("c.sql"))
    elif change == "touch":
        os.utime(model, (time.time() + 5, time.time() + 5))
    elif change == "project file":
        (root / "dbt_project.yml").write_text("name: q\n")
    elif change == "package":
        (root / "dbt_packages" / "streamleap" / "macros").mkdir(parents=True)
    assert _look(watch)
    assert not watch.changed()  # seen once: rearmed


def test_a_file_in_a_folder_made_after_the_last_look_is_seen(watch):
    root = watch.root
    _later(root)
    (root / "models" / "marts").mkdir()
    assert _look(watch)  # the folder: rearmed, now watched too
    _later(root)
    (root / "models" / "marts" / "x.sql").write_text("select 1")
    assert _look(watch)
    _later(root)
    with open(root / "models" / "marts" / "x.sql", "a") as f:
        f.write("\n")
    assert _look(watch)


def test_a_later_session_of_an_unchanged_project_reuses_its_parse(tmp_path, monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("shared only while inotify watches")
    from streamleap.project import invoke as dbt_module
    from streamleap.project.invoke import DbtSession

    monkeypatch.setattr(dbt_module, "_PARSED", dbt_module.KeptParses(at_most=1))
    project = tmp_path / "p"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: p\nversion: '1.0'\nprofile: p\nconfig-version: 2\n")
    (project / "profiles.yml").write_text(
        f"p:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: {project / 'p.duckdb'}\n")
    (project / "models" / "a.sql").write_text("select 1 as x\n")
    first = DbtSession(project, project, "local")
    assert first.ensure_parsed()
    second = DbtSession(project, project, "local")
    assert second.ensure_parsed() and second.manifest is first.manifest  # no parse of its own
    (project / "models" / "b.sql").write_text("select 2 as y\n")
    third = DbtSession(project, project, "local")
    assert third.ensure_parsed() and third.manifest is not first.manifest
    assert "model.p.b" in third.manifest.nodes and "model.p.b" not in first.manifest.nodes
    (project / "profiles.yml").write_text((project / "profiles.yml").read_text() + "\n")  # what a parse reads besides
    fourth = DbtSession(project, project, "local")
    assert fourth.ensure_parsed() and fourth.manifest is not third.manifest
    monkeypatch.setenv("STREAMLEAP_TEST_SOMETHING", "1")
    fifth = DbtSession(project, project, "local")
    assert fifth.ensure_parsed() and fifth.manifest is not fourth.manifest
    for s in (first, second, third, fourth, fifth):
        s.close()
