"""What a run of a mirror or set-aside model does is decided once (run_mode, docs/decisions/0020),
by the package's materializations streamleap_mirror and streamleap_set_aside; projects generated
before them (models of materialized='incremental' with the strategy streamleap_cdc and the
root-project shim, or of streamleap_mirror when it wrapped dbt's incremental materialization) keep
working, and switch to the new models without a rebuild."""

from __future__ import annotations

from decimal import Decimal

import pytest

from streamleap.sources.ddl import parse_ddl
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models
from streamleap.records import ChangeRecord
from tests.harness import STREAM, StreamWriter, dbt, expected_rows, make_project
from tests.test_mirror import Clock, assert_mirror_matches, cart

pytestmark = pytest.mark.dbt

DDL = """
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  status varchar(10) NOT NULL,
  total numeric(12,2),
  updated_at timestamp
);
"""
DDL_WITH_NOTE = DDL.replace("updated_at timestamp\n", "updated_at timestamp,\n  note varchar(20)\n")

SHIM = """\
{% macro get_incremental_streamleap_cdc_sql(arg_dict) -%}
  {{ return(streamleap.get_incremental_streamleap_cdc_sql(arg_dict)) }}
{%- endmacro %}
"""


def legacy_models(materialized: str) -> dict[str, str]:
    """The mirror and set-aside models as `streamleap generate` wrote them before 0020."""
    staging = f"stg_{STREAM}"
    return {
        "cart.sql": "{{ config(\n"
                    f"    materialized='{materialized}',\n"
                    "    incremental_strategy='streamleap_cdc',\n"
                    "    on_schema_change='append_new_columns',\n"
                    "    pre_hook=\"{{ streamleap.session_setup() }}\",\n"
                    f"    post_hook=\"{{{{ streamleap.mirror_after_build(ref('{staging}')) }}}}\",\n"
                    ") }}\n"
                    f"{{{{ streamleap.mirror_select(ref('{staging}')) }}}}\n",
        f"{STREAM}_set_aside.sql": "{{ config(\n"
                                   f"    materialized='{materialized}',\n"
                                   "    incremental_strategy='streamleap_cdc',\n"
                                   f"    streamleap_set_aside={{'stream_model': '{staging}'}},\n"
                                   "    pre_hook=\"{{ streamleap.session_setup() }}\",\n"
                                   f"    post_hook=\"{{{{ streamleap.set_aside_after_build(ref('{staging}')) }}}}\",\n"
                                   ") }}\n"
                                   f"{{{{ streamleap.set_aside_select(ref('{staging}')) }}}}\n",
    }


def make_legacy(target, materialized: str) -> None:
    folder = target.project / "models" / STREAM
    for name, text in legacy_models(materialized).items():
        (folder / name).write_text(text)
    (target.project / "macros" / "streamleap_strategy.sql").write_text(SHIM)


def regenerate(target, ddl: str) -> None:
    generate_models(target.project, plan_tables(parse_ddl(ddl, "postgres")), STREAM, target.stream_schema)


def set_aside_reasons(target) -> list[str]:
    return sorted(r[0] for r in target.query(f"select reason from {target.rel(STREAM + '_set_aside')}"))


def no_key(clock: Clock) -> ChangeRecord:
    ts, txn = clock.tick()
    return ChangeRecord("public", "cart", "insert", {"status": "no key"}, commit_ts=ts, transaction_id=txn, transaction_record_id=1)


def results(result) -> dict[str, str]:
    return {r.node.name: r.message for r in result.result.results}


@pytest.fixture(params=["local", "postgres"])
def target(request, tmp_path):
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return make_project(tmp_path, DDL, "postgres", request.param, pg_url)


@pytest.mark.parametrize("materialized", ["incremental", "streamleap_mirror"])
def test_models_generated_before_keep_working(target, materialized):
    """Build, apply (a key update, a delete, a record set aside), nothing new, a column added by
    `streamleap generate` (backfilled) and an allowed --full-refresh, on the old models."""
    make_legacy(target, materialized)
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1"), cart("insert", clock, 2, "open", "2"), no_key(clock)])
    dbt(target, "run")
    assert_mirror_matches(target, w)
    assert set_aside_reasons(target) == ["key column id is missing"]

    w.append([cart("update", clock, 3, "paid", "3", before={"id": 1}), cart("delete", clock, 2), no_key(clock)])
    dbt(target, "run", "--exclude", f"stg_{STREAM}")  # the models apply their own records
    assert_mirror_matches(target, w)
    assert set_aside_reasons(target) == ["key column id is missing"] * 2
    result = dbt(target, "run", "--exclude", f"stg_{STREAM}")
    assert_mirror_matches(target, w)
    if materialized == "streamleap_mirror":  # dbt's incremental materialization has no such path
        assert results(result) == {"cart": "nothing new", f"{STREAM}_set_aside": "nothing new"}

    regenerate(target, DDL_WITH_NOTE)
    make_legacy(target, materialized)  # the old model files, the new columns (in cart.yml)
    ts, txn = clock.tick()
    w.append([ChangeRecord("public", "cart", "update", {"id": 3, "status": "paid", "total": "3", "updated_at": None,
                                                         "note": "noted"}, commit_ts=ts, transaction_id=txn,
                           transaction_record_id=1)])
    dbt(target, "run")
    assert dict(target.query(f'select id, note from {target.rel("cart")}')) == {3: "noted"}
    assert_mirror_matches(target, w)

    dbt(target, "run", "--full-refresh", "--vars", "{streamleap_allow_stream_rebuild: true}")
    assert_mirror_matches(target, w)
    assert set_aside_reasons(target) == ["key column id is missing"] * 2


@pytest.mark.parametrize("materialized", ["incremental", "streamleap_mirror"])
def test_old_models_switch_to_the_new_ones_without_a_rebuild(target, materialized):
    """`streamleap generate` again rewrites the models: the next run applies what is new to the
    tables the old models built, with their state rows, set-aside rows and tombstones."""
    make_legacy(target, materialized)
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1"), cart("insert", clock, 2, "open", "2"), cart("delete", clock, 2),
              no_key(clock)])
    dbt(target, "run")
    target.execute(f'insert into {target.rel("cart")} (id, status) values (99, \'kept\')')  # a rebuild would lose it

    regenerate(target, DDL)
    assert "materialized='streamleap_mirror'" in (target.project / "models" / STREAM / "cart.sql").read_text()
    w.append([cart("insert", clock, 3, "open", "3"), no_key(clock)])
    result = dbt(target, "run", "--exclude", f"stg_{STREAM}")
    assert results(result)["cart"] != "nothing new"
    rows = dict(target.query(f'select id, status from {target.rel("cart")}'))
    assert rows == {1: "open", 3: "open", 99: "kept"}
    assert set_aside_reasons(target) == ["key column id is missing"] * 2
    result = dbt(target, "run")
    assert results(result)["cart"] == "nothing new" and results(result)[f"{STREAM}_set_aside"] == "nothing new"


def test_each_mode_is_decided_once_and_read_by_the_materialization(target):
    """A first build, an apply, nothing new, a backfill: the model's compiled SQL is the batch the
    run applies (no markers), and the materialization does what the same decision says."""
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1")])
    dbt(target, "run", "--select", f"stg_{STREAM}")  # the streaming view; the models below apply their own records

    def run(*args: str) -> tuple[str, str]:
        result = dbt(target, "run", "--exclude", f"stg_{STREAM}", *args)
        node = next(r for r in result.result.results if r.node.name == "cart")
        return node.message, node.node.compiled_code

    message, code = run()  # first build: every change the stream retains
    assert "where 1 = 0" not in code and "watermark" in code and "streamleap_state" not in code
    assert_mirror_matches(target, w)
    message, code = run()
    assert message == "nothing new" and code.strip() == "select 1 as nothing_new where 1 = 0"
    w.append([cart("update", clock, 1, "paid", "1")])
    message, code = run()  # the changes past the watermark
    assert message != "nothing new" and "streamleap_state" in code
    assert_mirror_matches(target, w)
    regenerate(target, DDL_WITH_NOTE)
    message, code = run()  # the columns changed: the whole retained stream, to fill them in
    assert message != "nothing new" and "streamleap_state" not in code
    assert [r[0] for r in target.query(f'select note from {target.rel("cart")}')] == [None]
    message, _ = run()
    assert message == "nothing new"
    assert expected_rows(w.sent, "cart", ["id"], "public")[(1,)]["status"] == "paid"
    for path in (target.project / "target").rglob("*.sql"):
        assert "streamleap:" not in path.read_text(), path


@pytest.mark.postgres
def test_hooks_grants_and_the_session_setup_are_the_models(pg_url, tmp_path):
    """The materialization runs the model's hooks around its apply, in its transaction, after the
    session's settings (Postgres: JIT off for the transaction, session_setup); a run with nothing
    new runs none of them (its one query decided so)."""
    target = make_project(tmp_path, DDL, "postgres", "postgres", pg_url)
    log, reader = target.rel("hook_log"), f"r_{target.schema}"
    target.execute(f'create schema if not exists "{target.schema}"; create table {log} (phase varchar(10), jit text); '
                   f'drop role if exists "{reader}"; create role "{reader}"')
    model = target.project / "models" / STREAM / "cart.sql"
    plain = f"{target.schema}.hook_log"  # the hooks are Jinja strings in double quotes
    hooks = (f"    pre_hook=\"insert into {plain} select 'pre', current_setting('jit')\",\n"
             f"    post_hook=\"insert into {plain} select 'post', current_setting('jit')\",\n"
             f"    grants={{'select': ['{reader}']}},\n")
    model.write_text(model.read_text().replace("    on_schema_change=", hooks + "    on_schema_change=", 1))
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1")])
    dbt(target, "run")  # the first build
    w.append([cart("update", clock, 1, "paid", "1")])
    dbt(target, "run", "--exclude", f"stg_{STREAM}")  # an apply
    dbt(target, "run", "--exclude", f"stg_{STREAM}")  # nothing new
    assert target.query(f"select phase, jit from {log}") == [("pre", "off"), ("post", "off")] * 2
    assert_mirror_matches(target, w)
    assert target.query("select has_table_privilege(%s, %s, 'select')", [reader, target.rel("cart")]) == [(True,)]
    target.execute(f'drop schema "{target.schema}" cascade; drop role "{reader}"')


NUMBERS_DDL = """
CREATE TABLE public.cart (
  id integer PRIMARY KEY,
  status varchar(10) NOT NULL,
  total numeric(6,3),
  qty smallint,
  ratio real,
  updated_at timestamp
);
"""


def column_types(target, table: str) -> dict[str, str]:
    """The relation's column types, as the catalog says them (precision and scale included)."""
    rows = target.query("select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns "
                        "where table_schema = {0} and table_name = {0}".format("?" if target.name == "local" else "%s"),
                        [target.schema, table])
    return {name: (f"{kind}({p},{s})" if kind.lower() in ("numeric", "decimal") and "(" not in kind else kind).lower()
            for name, kind, p, s in rows}


@pytest.mark.parametrize("target", ["local", "postgres"], indirect=True)
def test_a_view_over_a_mirror_whose_column_changed_type_is_named_with_what_to_do(target):
    """Postgres cannot change the type of a column a view uses: the run stops with one line naming
    the mirror, the column and the view, and what to do; without the view the next run goes on.
    DuckDB binds a view when it is read: the column changes under it."""
    regenerate(target, NUMBERS_DDL)
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1.5")])
    dbt(target, "run")
    view = target.rel("cart report")  # a name to quote
    target.execute(f'create view {view} as select id, total from {target.rel("cart")}')
    regenerate(target, NUMBERS_DDL.replace("numeric(6,3)", "numeric(12,4)"))
    w.append([cart("update", clock, 1, "paid", "654321.1234")])
    if target.name == "postgres":
        failed = dbt(target, "run", expect_ok=False)
        assert not failed.success
        message = str(failed.exception or "") + " ".join(str(r.message) for r in (failed.result or []))
        assert "column total" in message and "cart report" in message and "Drop the view(s), run again" in message, message
        target.execute(f"drop view {view}")
    dbt(target, "run")
    assert_mirror_matches(target, w)
    if target.name == "local":
        assert target.query(f"select id, total from {view}") == [(1, Decimal("654321.1234"))]


def test_a_number_column_whose_source_type_changed_takes_the_new_type(target, tmp_path):
    """The source's integer key becomes a bigint and a decimal gains digits; `streamleap generate`
    follows: the next run gives the mirror and its tombstones the new types, and the values only the
    new types hold are applied (they had failed every apply of the stream). Regenerating with the
    same types alters nothing."""
    regenerate(target, NUMBERS_DDL)
    clock, w = Clock(), StreamWriter(target)
    w.append([cart("insert", clock, 1, "open", "1.5"), cart("insert", clock, 2, "open", "2.25"), cart("delete", clock, 2)])
    dbt(target, "run")
    assert_mirror_matches(target, w)
    before = column_types(target, "cart")
    regenerate(target, NUMBERS_DDL)  # the same types: nothing to change
    dbt(target, "run")
    assert column_types(target, "cart") == before

    regenerate(target, NUMBERS_DDL.replace("id integer", "id bigint").replace("numeric(6,3)", "numeric(12,4)"))
    w.append([cart("update", clock, 1, "paid", "654321.1234"), cart("insert", clock, 5_000_000_000, "open", "0.0001"),
              cart("delete", clock, 3_000_000_000)])
    dbt(target, "run")
    assert_mirror_matches(target, w)
    assert set_aside_reasons(target) == []
    after = column_types(target, "cart")
    assert (after["id"], after["total"]) == ("bigint", "decimal(12,4)" if target.name == "local" else "numeric(12,4)")
    assert {k: v for k, v in after.items() if k not in ("id", "total")} == {k: v for k, v in before.items() if k not in ("id", "total")}
    assert column_types(target, "cart__streamleap_tombstones")["id"] == "bigint"
    assert target.query(f'select id from {target.rel("cart__streamleap_tombstones")} order by id') == [(2,), (3_000_000_000,)]
    w.append([cart("update", clock, 5_000_000_000, "paid", "99999999.9999")])  # and in the runs after
    dbt(target, "run")
    assert_mirror_matches(target, w)
