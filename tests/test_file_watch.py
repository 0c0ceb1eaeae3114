"""The project watch: what a cycle asks every time (did a project file change?), by inotify and by
the walk it falls back to. Both must give the same answers."""

import os
import sys
import time
from pathlib import Path

import pytest

from streamleap import file_watch
from streamleap.dbt import WATCHED
from streamleap.file_watch import ProjectWatch


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
