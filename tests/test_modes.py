"""Mirror modes (issue 13): soft_delete keeps a deleted row, flagged, beside a Type-1 mirror of
the same table from the same stream; by a scheduled `dbt run` and by `streamleap run`'s planned
cycle, on DuckDB and Postgres; `generate --mode/--mode-for`; a model's mode changed later."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest

from streamleap.errors import StreamleapError
from streamleap.model.mirror_plan import plan_tables, with_modes
from streamleap.project.scaffold import generate_models
from streamleap.records import ChangeRecord
from streamleap.sources.ddl import parse_ddl
from tests.harness import StreamWriter, dbt, expected_history, make_project, reset

pytestmark = pytest.mark.dbt

DDL = "create table public.cart (id int primary key, status varchar(10), qty int);"
T0 = dt.datetime(2024, 3, 1, 12, 0, 0)


class History:
    """Source changes of public.cart, each at its own commit time."""

    def __init__(self) -> None:
        self.t = T0
        self.tx = 0

    def __call__(self, op: str, key: int = 0, status: str | None = None, qty: int | None = None,
                 before: int | None = None) -> ChangeRecord:
        self.t += dt.timedelta(seconds=1)
        self.tx += 1
        if op == "truncate-table":
            return ChangeRecord("public", "cart", op, {}, commit_ts=self.t, transaction_id=self.tx, transaction_record_id=1)
        return ChangeRecord("public", "cart", op, {"id": key, "status": status, "qty": qty},
                            before={"id": before} if before is not None else None, commit_ts=self.t,
                            transaction_id=self.tx, transaction_record_id=1)


@pytest.fixture(scope="module", params=["local", "postgres"])
def target(request, tmp_path_factory):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path_factory.mktemp(f"modes-{request.param}"), DDL, "postgres", request.param, pg_url,
                        mode_for="cart=mirror+soft_delete+history")


def soft_rows(target) -> dict[int, tuple]:
    rows = target.query(f"select id, status, qty, _streamleap_deleted, _streamleap_deleted_at from {target.rel('cart_soft_delete')}")
    return {r[0]: tuple(r[1:]) for r in rows}


def mirror_rows(target) -> dict[int, tuple]:
    return {r[0]: tuple(r[1:]) for r in target.query(f"select id, status, qty from {target.rel('cart')}")}


def scenario(target, apply) -> None:
    """The same changes, applied by apply() after each delivery."""
    h, w = History(), StreamWriter(target)
    w.append([h("load", 1, "a", 1), h("load", 2, "b", 2), h("load", 3, "c", 3)])
    apply()
    assert soft_rows(target) == {1: ("a", 1, False, None), 2: ("b", 2, False, None), 3: ("c", 3, False, None)}

    # an update and the delete of its key in one batch: the row keeps the update's values; a delete
    # in a batch of its own keeps the values the mirror held; a key never seen keeps its key alone
    upd2, del2, late3, del3, del9 = h("update", 2, "b2", 20), h("delete", 2), h("update", 3, "c2", 30), h("delete", 3), h("delete", 9)
    w.append([upd2, del2, h("insert", 4, "d", 4)])
    apply()
    w.append([del3, del9])
    apply()
    assert soft_rows(target) == {1: ("a", 1, False, None), 2: ("b2", 20, True, del2.commit_ts), 3: ("c", 3, True, del3.commit_ts),
                                 4: ("d", 4, False, None), 9: (None, None, True, del9.commit_ts)}
    assert mirror_rows(target) == {1: ("a", 1), 4: ("d", 4)}

    # re-delivered old changes win over nothing, flagged or not; a change from before a delete that
    # arrives after it (a late shard) gives the flagged row its values, not its life back
    w.append([upd2, del2, late3])
    apply()
    assert soft_rows(target)[2] == ("b2", 20, True, del2.commit_ts)
    assert soft_rows(target)[3] == ("c2", 30, True, del3.commit_ts) and 3 not in mirror_rows(target)

    # a later insert of a deleted key revives it; a primary-key move flags the old key with the
    # values it had; the Type-1 mirror beside it has neither
    w.append([h("insert", 3, "c3", 33), h("update", 10, "moved", 1, before=1)])
    apply()
    soft = soft_rows(target)
    assert soft[3] == ("c3", 33, False, None)
    assert soft[1][:3] == ("a", 1, True) and soft[10] == ("moved", 1, False, None)
    assert mirror_rows(target) == {3: ("c3", 33), 4: ("d", 4), 10: ("moved", 1)}
    # one row per key, and the flagged ones' operation and order are the delete's
    flagged = target.query(f"select _streamleap_op, count(*) from {target.rel('cart_soft_delete')} group by 1 order by 1")
    assert dict(flagged)["delete"] == 3


def history_rows(target) -> dict[int, list[tuple]]:
    """Per key, its versions in order: (status, qty, valid_from, valid_to, is_deleted, is_current)."""
    rows = target.query(f"select id, status, qty, dbt_valid_from, dbt_valid_to, dbt_is_deleted, _streamleap_is_current "
                        f"from {target.rel('cart_history')} order by id, dbt_valid_from")
    out: dict[int, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(tuple(r[1:]))
    return out


def history_scenario(target, apply) -> None:
    h, w = History(), StreamWriter(target)
    load1, load2 = h("load", 1, "a", 1), h("load", 2, "b", 2)
    w.append([load1, load2])
    apply()
    assert history_rows(target) == {1: [("a", 1, load1.commit_ts, None, False, True)], 2: [("b", 2, load2.commit_ts, None, False, True)]}

    u1, u1_late, u1_last, d2 = h("update", 1, "a2", 10), h("update", 1, "a3", 11), h("update", 1, "a4", 12), h("delete", 2)
    w.append([u1, u1_last, d2])
    apply()
    assert history_rows(target)[2] == [("b", 2, load2.commit_ts, d2.commit_ts, True, False)]
    # a change older than the newest version arrives late: the interval it falls into is split;
    # copies of changes already applied add no version
    w.append([u1_late, u1, d2, load1])
    apply()
    assert history_rows(target)[1] == [("a", 1, load1.commit_ts, u1.commit_ts, False, False),
                                       ("a2", 10, u1.commit_ts, u1_late.commit_ts, False, False),
                                       ("a3", 11, u1_late.commit_ts, u1_last.commit_ts, False, False),
                                       ("a4", 12, u1_last.commit_ts, None, False, True)]

    # a primary-key move closes the old key's version (deleted) and opens the new key's; a deleted
    # key inserted again opens a new version
    move, back2 = h("update", 5, "m", 1, before=1), h("insert", 2, "b2", 3)
    late5 = h("update", 5, "m2", 2)
    truncate = h("truncate-table")
    w.append([move, back2])
    apply()
    rows = history_rows(target)
    assert rows[1][-1] == ("a4", 12, u1_last.commit_ts, move.commit_ts, True, False)
    assert rows[5] == [("m", 1, move.commit_ts, None, False, True)]
    assert rows[2][-1] == ("b2", 3, back2.commit_ts, None, False, True)

    # TRUNCATE closes every current version; a change from before it that arrives after it still
    # takes its place, closed by the truncate
    w.append([truncate])
    apply()
    w.append([late5])
    apply()
    rows = history_rows(target)
    assert rows[2][-1] == ("b2", 3, back2.commit_ts, truncate.commit_ts, True, False)
    assert rows[5] == [("m", 1, move.commit_ts, late5.commit_ts, False, False),
                       ("m2", 2, late5.commit_ts, truncate.commit_ts, True, False)]
    assert not any(v[-1] for vs in rows.values() for v in vs)
    assert history_rows(target) == {k[0]: [(d["status"], d["qty"], *rest[:4]) for d, *rest in vs]
                                    for k, vs in expected_history(w.sent, "cart", ["id"]).items() if vs}
    ids = target.query(f"select count(distinct dbt_scd_id), count(*) from {target.rel('cart_history')}")[0]
    assert ids[0] == ids[1] == 8


def test_history_by_dbt_run(target):
    reset(target)
    history_scenario(target, lambda: dbt(target, "run", "--quiet"))


def test_history_by_a_models_own_run(target):
    reset(target)
    history_scenario(target, lambda: dbt(target, "run", "--quiet", "-s", "+cart_history"))


def test_soft_delete_by_dbt_run(target):
    reset(target)
    scenario(target, lambda: dbt(target, "run", "--quiet"))


CYCLE_PATHS = ["typed", "each"]


@contextlib.contextmanager
def planned_cycles(target, monkeypatch, path: str = "each") -> Iterator[tuple[Callable[[], None], list[list[tuple]]]]:
    """`streamleap run` on an empty stream, its relays set aside (records go straight into the
    stand-in): yields its cycle (asserting no error) and, per cycle, the dbt runs it invoked.
    path: how a cycle applies on DuckDB and Postgres, every value typed once ("typed") or by each
    changed table's own statements ("each", what a cycle that changed few tables does; 0025)."""
    from streamleap.pipeline.runner import Runner

    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("STREAMLEAP_CYCLE_TYPED_FROM", "0" if path == "typed" else "1000")
    reset(target)
    runner = Runner(target.project, target=target.name, kinesis=object(), every=0.0)
    runner.setup()
    relays, runner.relays = runner.relays, []
    runs: list[tuple] = []
    cycles: list[list[tuple]] = []
    invoke = runner.dbt.invoke

    def counting(*args, **kwargs):
        runs.append(args)
        return invoke(*args, **kwargs)

    def cycle() -> None:
        runs.clear()
        report = runner.cycle()
        assert report.error is None, report.error
        cycles.append([r for r in runs if r[0] == "run"])

    runner.dbt.invoke = counting
    try:
        yield cycle, cycles
    finally:
        runner.relays = relays
        runner.close()


@pytest.mark.parametrize("path", CYCLE_PATHS)
def test_history_by_the_planned_cycle(target, monkeypatch, path):
    with planned_cycles(target, monkeypatch, path) as (cycle, cycles):
        history_scenario(target, cycle)
    assert cycles[0] and not any(cycles[1:]), cycles


@pytest.mark.parametrize("path", CYCLE_PATHS)
def test_soft_delete_by_the_planned_cycle(target, monkeypatch, path):
    """`streamleap run`: after its first cycle (a dbt run), every cycle is the planned one (no dbt)."""
    with planned_cycles(target, monkeypatch, path) as (cycle, cycles):
        scenario(target, cycle)
    assert cycles[0] and not any(cycles[1:]), cycles  # the first cycle's dbt run, then planned cycles


@pytest.mark.parametrize("engine", ["local", "postgres"])
def test_a_models_mode_changed_later_keeps_every_delete(engine, tmp_path, request):
    """mirror -> soft_delete: the tombstones' keys become flagged rows; soft_delete -> mirror: the
    flagged rows become tombstones again. Either way no late re-delivery brings a deleted key back."""
    pg_url = request.getfixturevalue("pg_url") if engine == "postgres" else None
    target = make_project(tmp_path, DDL, "postgres", engine, pg_url)
    h, w = History(), StreamWriter(target)
    ins1, ins2, del2 = h("insert", 1, "a", 1), h("insert", 2, "b", 2), h("delete", 2)
    w.append([ins1, ins2, del2])
    dbt(target, "run", "--quiet")
    assert mirror_rows(target) == {1: ("a", 1)}

    def regenerate(mode_for: str | None) -> None:
        generate_models(target.project, with_modes(plan_tables(parse_ddl(DDL, "postgres")), mode_for=mode_for), "shop_cdc",
                        target.stream_schema)

    regenerate("cart=soft_delete")
    dbt(target, "run", "--quiet")
    rows = {r[0]: tuple(r[1:]) for r in target.query(
        f"select id, status, qty, _streamleap_deleted, _streamleap_deleted_at from {target.rel('cart')}")}
    assert rows == {1: ("a", 1, False, None), 2: (None, None, True, del2.commit_ts)}  # the tombstone's key alone
    # a late re-delivery of the deleted key's insert gives the flagged row the values it had, not its life back
    w.append([ins2, h("update", 1, "a1", 11)])
    dbt(target, "run", "--quiet")
    rows = {r[0]: tuple(r[1:]) for r in target.query(
        f"select id, status, qty, _streamleap_deleted, _streamleap_deleted_at from {target.rel('cart')}")}
    assert rows == {1: ("a1", 11, False, None), 2: ("b", 2, True, del2.commit_ts)}
    del1 = h("delete", 1)
    w.append([del1])
    dbt(target, "run", "--quiet")
    assert target.query(f"select _streamleap_deleted, _streamleap_deleted_at from {target.rel('cart')} where id = 1") \
        == [(True, del1.commit_ts)]

    regenerate(None)
    ins3 = h("insert", 3, "c", 3)
    w.append([ins1, ins2, ins3])  # both deleted keys' inserts again, late
    dbt(target, "run", "--quiet")
    assert mirror_rows(target) == {3: ("c", 3)}
    assert sorted(target.query(f"select id from {target.rel('cart__streamleap_tombstones')}")) == [(1,), (2,)]

    # mirror -> history: each row is its key's current version; the deletes stay known
    regenerate("cart=history")
    u3 = h("update", 3, "c2", 30)
    w.append([u3])
    dbt(target, "run", "--quiet")
    versions = ("select id, status, qty, dbt_valid_from, dbt_valid_to, dbt_is_deleted, _streamleap_is_current from {} "
                "order by id, dbt_valid_from")
    assert target.query(versions.format(target.rel("cart"))) == [(3, "c", 3, ins3.commit_ts, u3.commit_ts, False, False),
                                                                 (3, "c2", 30, u3.commit_ts, None, False, True)]
    del3 = h("delete", 3)
    w.append([del3, ins2])  # a late copy of key 2's insert: a version its delete closes
    dbt(target, "run", "--quiet")
    assert target.query(versions.format(target.rel("cart"))) == [(2, "b", 2, ins2.commit_ts, del2.commit_ts, True, False),
                                                                 (3, "c", 3, ins3.commit_ts, u3.commit_ts, False, False),
                                                                 (3, "c2", 30, u3.commit_ts, del3.commit_ts, True, False)]
    # history -> soft_delete: a key's newest version, flagged when a delete closed it
    regenerate("cart=soft_delete")
    dbt(target, "run", "--quiet")
    rows = {r[0]: tuple(r[1:]) for r in target.query(
        f"select id, status, qty, _streamleap_deleted, _streamleap_deleted_at from {target.rel('cart')}")}
    assert rows == {1: (None, None, True, del1.commit_ts), 2: ("b", 2, True, del2.commit_ts), 3: ("c2", 30, True, del3.commit_ts)}
    # and back to mirror: the flagged rows are tombstones; no late copy revives a key
    regenerate(None)
    w.append([ins3, u3])
    dbt(target, "run", "--quiet")
    assert mirror_rows(target) == {}
    assert sorted(target.query(f"select id from {target.rel('cart__streamleap_tombstones')}")) == [(1,), (2,), (3,)]


def test_generate_writes_the_mode_and_refuses_what_is_unknown(tmp_path):
    from click.testing import CliRunner

    from streamleap.cli.main import main as cli

    ddl = tmp_path / "s.sql"
    ddl.write_text(DDL + "create table public.item (id int primary key);")
    project = tmp_path / "p"
    cli_runner = CliRunner()
    assert cli_runner.invoke(cli, ["init", str(project), "--no-deps"]).exit_code == 0
    args = ["generate", "--project-dir", str(project), "--stream", "s", "--ddl", str(ddl), "--dialect", "postgres"]
    result = cli_runner.invoke(cli, [*args, "--mode", "soft_delete", "--mode-for", "item=mirror"])
    assert result.exit_code == 0, result.output
    folder = project / "models" / "s"
    assert "streamleap_mode: soft_delete" in (folder / "cart.yml").read_text()
    assert "_streamleap_deleted_at" in (folder / "cart.yml").read_text()
    assert "streamleap_mode" not in (folder / "item.yml").read_text()
    result = cli_runner.invoke(cli, [*args, "--mode-for", "cart=mirror+history"])
    assert result.exit_code == 0, result.output
    history = (folder / "cart_history.yml").read_text()
    assert "streamleap_mode: history" in history and "dbt_valid_to" in history and "dbt_scd_id" in history
    assert "streamleap_mode" not in (folder / "cart.yml").read_text()
    clash = tmp_path / "clash.sql"
    clash.write_text("create table public.t (id int primary key, dbt_valid_from timestamp);")
    for bad, said in ((["--mode-for", "nope=soft_delete"], "no selected table"), (["--mode", "scd9"], "unknown mode"),
                      (["--mode", "history", "--ddl", str(clash)], "also a history column")):
        result = cli_runner.invoke(cli, [*args, *bad])
        assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output, result.output
    with pytest.raises(StreamleapError):
        with_modes(plan_tables(parse_ddl(DDL, "postgres")), mode_for="cart=soft_delete+soft_delete")


def truncate_scenario(target, apply) -> None:
    """A source TRUNCATE at its place in commit order, in a batch with changes before and after it,
    then delivered again, then late changes from before it, then a second one on its own."""
    h, w = History(), StreamWriter(target)
    load1 = h("load", 1, "a", 1)
    w.append([load1, h("load", 2, "b", 2), h("load", 3, "c", 3)])
    apply()
    ins9, del9, ins9_again = h("insert", 9, "i", 9), h("delete", 9), h("insert", 9, "i2", 99)
    upd2, ins8, t1, ins4 = h("update", 2, "b2", 20), h("insert", 8, "h", 8), h("truncate-table"), h("insert", 4, "d", 4)
    w.append([ins9, del9, upd2, t1, ins4])
    apply()
    assert mirror_rows(target) == {4: ("d", 4)}
    flagged_at_t1 = {1: ("a", 1, True, t1.commit_ts), 2: ("b2", 20, True, t1.commit_ts), 3: ("c", 3, True, t1.commit_ts)}
    assert soft_rows(target) == {**flagged_at_t1, 4: ("d", 4, False, None), 9: ("i", 9, True, del9.commit_ts)}

    # delivered again, and changes from before it that a shard brings late: nothing comes back to
    # life; in soft_delete a key the mirror never held (8), and one deleted before but inserted
    # again before the truncate (9), are kept flagged at the truncate, with those changes' values
    w.append([t1, upd2, load1, ins8, ins9_again])
    apply()
    assert mirror_rows(target) == {4: ("d", 4)}
    flagged_at_t1 |= {8: ("h", 8, True, t1.commit_ts), 9: ("i2", 99, True, t1.commit_ts)}
    assert soft_rows(target) == {**flagged_at_t1, 4: ("d", 4, False, None)}

    # a new snapshot read after the truncate: its full-load records apply (they order before every
    # change, but were read later)
    w.append([h("load", 7, "g", 7)])
    apply()
    assert mirror_rows(target) == {4: ("d", 4), 7: ("g", 7)}

    t2 = h("truncate-table")
    w.append([t2])
    apply()
    w.append([h("insert", 6, "f", 6), h("insert", 2, "b3", 3)])
    apply()
    assert mirror_rows(target) == {6: ("f", 6), 2: ("b3", 3)}
    assert soft_rows(target) == {1: flagged_at_t1[1], 3: flagged_at_t1[3], 8: flagged_at_t1[8], 9: flagged_at_t1[9],
                                 4: ("d", 4, True, t2.commit_ts),
                                 7: ("g", 7, True, t2.commit_ts), 6: ("f", 6, False, None), 2: ("b3", 3, False, None)}
    # a truncate without a commit time cannot be placed: shown in the set-aside model, nothing removed
    bad = json.loads(h("truncate-table").to_bytes())
    del bad["metadata"]["commit-timestamp"]
    w.append([json.dumps(bad).encode()])
    apply()
    assert mirror_rows(target) == {6: ("f", 6), 2: ("b3", 3)}
    reasons = target.query(f"select reason from {target.rel('shop_cdc_set_aside')}")
    assert [r for (r,) in reasons if r.startswith("truncate-table without metadata.commit-timestamp")], reasons


@pytest.mark.parametrize("how", ["dbt run", "mirror models alone"])
def test_truncate_by_dbt_run(target, how):
    """By a whole `dbt run` (the staging model's cycle applies), and by the mirror models alone (each
    its own apply: the materialization's)."""
    reset(target)
    runs: list[int] = []

    def apply() -> None:
        alone = how != "dbt run" and runs  # the first run builds the staging view too
        dbt(target, "run", "--quiet", *(("-s", "cart", "cart_soft_delete", "shop_cdc_set_aside") if alone else ()))
        runs.append(1)

    truncate_scenario(target, apply)


@pytest.mark.parametrize("path", CYCLE_PATHS)
def test_truncate_by_the_planned_cycle(target, monkeypatch, path):
    with planned_cycles(target, monkeypatch, path) as (cycle, cycles):
        truncate_scenario(target, cycle)
    assert cycles[0] and not any(cycles[1:]), cycles


def test_prune_removes_what_the_stream_can_no_longer_bring_back(target, monkeypatch):
    """`streamleap prune`: tombstones, truncate marks and applied stand-in records older than the
    bound go, in one transaction; newer ones, unapplied records and soft_delete's flagged rows stay."""
    from click.testing import CliRunner

    from streamleap.cli.main import main as cli

    for k, v in target.env.items():
        monkeypatch.setenv(k, v)
    reset(target)
    h, w = History(), StreamWriter(target)
    w._clock = dt.datetime(2020, 1, 1)  # long past: these batches are older than any stream retains
    w.append([h("load", 1, "a", 1), h("load", 2, "b", 2), h("load", 3, "c", 3)])
    args = ["prune", "--project-dir", str(target.project), "--target", target.name, "--json"]
    unbuilt = CliRunner().invoke(cli, args)  # nothing built yet: the stream keeps every record
    assert unbuilt.exit_code == 0 and json.loads(unbuilt.output)["relations"] == [], unbuilt.output
    dbt(target, "run", "--quiet")
    w.append([h("delete", 2), h("truncate-table"), h("insert", 4, "d", 4), h("insert", 6, "f", 6)])
    dbt(target, "run", "--quiet")
    w.append([h("delete", 6)])
    dbt(target, "run", "--quiet")
    w._clock = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
    w.append([h("delete", 4), h("insert", 5, "e", 5)])
    dbt(target, "run", "--quiet")
    soft_before, history_before = soft_rows(target), history_rows(target)

    def count(rel: str) -> int:
        return target.query(f"select count(*) from {rel}")[0][0]

    stand_in = f'"{target.stream_schema}"."shop_cdc"'
    tombs, truncates = target.rel("cart__streamleap_tombstones"), target.rel("streamleap_truncates")
    assert (count(stand_in), count(tombs), count(truncates)) == (10, 2, 3)  # a truncate mark per mirror
    dry = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    counted = {line["relation"].split(".")[-1].strip('"'): line["rows"] for line in json.loads(dry.output)["relations"]}
    # the history's deletes (2 and 6, not 4) go too: the versions they closed keep their ends
    assert counted == {"cart__streamleap_tombstones": 1, "cart_history__streamleap_tombstones": 2, "streamleap_truncates": 3,
                       "shop_cdc": 8}, counted
    assert (count(stand_in), count(tombs), count(truncates)) == (10, 2, 3)  # a dry run removes nothing

    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert (count(stand_in), count(tombs), count(truncates)) == (2, 1, 0)
    assert target.query(f"select id from {tombs}") == [(4,)]  # the recent one
    dbt(target, "run", "--quiet")  # nothing new: the mirrors as they were
    assert mirror_rows(target) == {5: ("e", 5)} and soft_rows(target) == soft_before and history_rows(target) == history_before


@pytest.mark.parametrize("engine", ["local", "postgres"])
def test_a_key_back_before_the_change_of_mode_keeps_one_row(engine, tmp_path, request, monkeypatch):
    """The planned cycle leaves a tombstone behind when its key comes back without a delete in the
    cycle; turning the model to soft_delete then flags only the tombstones of keys not in the mirror."""
    pg_url = request.getfixturevalue("pg_url") if engine == "postgres" else None
    target = make_project(tmp_path, DDL, "postgres", engine, pg_url)
    h = History()
    with planned_cycles(target, monkeypatch, "typed") as (cycle, cycles):
        w = StreamWriter(target)
        for batch in ([h("insert", 1, "a", 1), h("insert", 2, "b", 2)], [h("delete", 1), h("delete", 2)],
                      [h("insert", 1, "a2", 12)]):
            w.append(batch)
            cycle()
        assert not any(cycles[1:])  # planned cycles
    assert sorted(target.query(f"select id from {target.rel('cart__streamleap_tombstones')}")) == [(1,), (2,)]
    generate_models(target.project, with_modes(plan_tables(parse_ddl(DDL, "postgres")), mode_for="cart=soft_delete"),
                    "shop_cdc", target.stream_schema)
    dbt(target, "run", "--quiet")
    rows = target.query(f"select id, status, _streamleap_deleted from {target.rel('cart')} order by id")
    assert rows == [(1, "a2", False), (2, None, True)]


def test_history_columns_renamed_as_a_snapshots_are(tmp_path):
    """snapshot_meta_column_names on the model renames the history columns, as it does a dbt
    snapshot's; a name that is taken, or a key dbt does not have, is one line."""
    target = make_project(tmp_path, DDL, "postgres", "local", mode_for="cart=history")
    yml = target.project / "models" / "shop_cdc" / "cart.yml"
    text = yml.read_text()
    renamed = text.replace("    streamleap_mode: history\n",
                           "    streamleap_mode: history\n    snapshot_meta_column_names: {dbt_valid_from: valid_from, "
                           "dbt_valid_to: valid_to, streamleap_is_current: is_current}\n")
    assert renamed != text
    yml.write_text(renamed)
    h, w = History(), StreamWriter(target)
    ins, upd = h("insert", 1, "a", 1), h("update", 1, "b", 2)
    w.append([ins, upd])
    dbt(target, "run", "--quiet")
    assert target.query(f"select status, valid_from, valid_to, is_current, dbt_is_deleted from {target.rel('cart')} order by valid_from") \
        == [("a", ins.commit_ts, upd.commit_ts, False, False), ("b", upd.commit_ts, None, True, False)]
    for bad, said in (("{dbt_valid_from: status}", "also a source column"), ("{dbt_valid_since: x}", "takes dbt_valid_from")):
        yml.write_text(text.replace("    streamleap_mode: history\n",
                                    f"    streamleap_mode: history\n    snapshot_meta_column_names: {bad}\n"))
        result = dbt(target, "run", "--quiet", expect_ok=False)
        assert not result.success and said in str(result.exception or result.result), (bad, result.exception)


def test_resync_records_in_every_mode(target):
    """`streamleap resync`'s records (loads with the snapshot's commit time, then a truncate at that
    time before them): the snapshot beats older changes, including those never delivered; the rows
    it lacks go (mirror), are flagged (soft_delete) or closed deleted (history); a row it holds is
    never shown deleted, and a late copy of an older change changes nothing."""
    reset(target)
    h, w = History(), StreamWriter(target)
    ins1, ins2, ins3 = h("insert", 1, "a", 1), h("insert", 2, "b", 2), h("insert", 3, "c", 3)
    w.append([ins1, ins2, ins3])
    dbt(target, "run", "--quiet")
    h("update", 1, "a2", 10), h("delete", 2)  # while the capture was down: never delivered
    at = h.t + dt.timedelta(seconds=1)
    snapshot = [ChangeRecord("public", "cart", "load", {"id": k, "status": s, "qty": q}, commit_ts=at, transaction_id="resync",
                             transaction_record_id=i, resync=True) for i, (k, s, q) in enumerate([(1, "a2", 10), (3, "c", 3)], 1)]
    marker = ChangeRecord("public", "cart", "truncate-table", {}, commit_ts=at, transaction_id="resync", transaction_record_id=0)
    w.append(snapshot)
    dbt(target, "run", "--quiet")
    w.append([marker, ins2])  # the end of the resync, and a late copy of key 2's insert
    dbt(target, "run", "--quiet")
    assert mirror_rows(target) == {1: ("a2", 10), 3: ("c", 3)}
    assert soft_rows(target) == {1: ("a2", 10, False, None), 2: ("b", 2, True, at), 3: ("c", 3, False, None)}
    assert history_rows(target) == {
        1: [("a", 1, ins1.commit_ts, at, False, False), ("a2", 10, at, None, False, True)],
        2: [("b", 2, ins2.commit_ts, at, True, False)],
        3: [("c", 3, ins3.commit_ts, at, False, False), ("c", 3, at, None, False, True)],
    }
    assert history_rows(target) == {k[0]: [(d["status"], d["qty"], *rest[:4]) for d, *rest in vs]
                                    for k, vs in expected_history(w.sent, "cart", ["id"]).items() if vs}
