"""Every Redshift statement streamleap can produce, rendered by the dbt-redshift adapter without a
connection (`dbt compile --no-populate-cache --inline`), parsed with sqlglot's Redshift dialect,
checked against the rules in REFERENCE.md and compared with golden files.

Refresh the golden files after an intended change with STREAMLEAP_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from streamleap.sources.ddl import parse_ddl
from streamleap.project.invoke import dbt_argv, dbt_runner, run_dbt
from streamleap.model.mirror_plan import plan_tables
from streamleap.project.scaffold import generate_models, init_project
from streamleap.model.source_table import SourceColumn, SourceTable

GOLDEN = Path(__file__).parent / "golden" / "redshift"

DDL = '''
CREATE TABLE public.cart (
  id bigint PRIMARY KEY,
  status varchar(20) NOT NULL,
  total numeric(12,2),
  paid boolean,
  created_at timestamp with time zone,
  attrs jsonb,
  receipt bytea
);
CREATE TABLE public.cart_item (
  cart_id bigint NOT NULL,
  line_no int NOT NULL,
  sku text,
  PRIMARY KEY (cart_id, line_no)
);
CREATE TABLE "Sales"."Order" (
  "select" integer PRIMARY KEY,
  "Mixed Case" varchar(5),
  "we""ird" numeric,
  "Ünïcode" date
);
'''

# a partitioned table: DMS writes its changes under its partitions' names (two schemas here)
EVENTS = SourceTable("public", "events", (SourceColumn("id", "bigint", False), SourceColumn("day", "date", False),
                                          SourceColumn("note", "character varying(20)")),
                     ("id", "day"), "postgres", partitioned=True,
                     partitions=(("public", "events_2024"), ("public", "events_2025"), ("archive", "events_2023")))

REDSHIFT_ENV = {
    "STREAMLEAP_REDSHIFT_HOST": "redshift.invalid",
    "STREAMLEAP_REDSHIFT_USER": "golden_user",
    "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "not-a-real-password-golden",
}

REL = "api.Relation.create(database='dev', schema='analytics', identifier={!r})"
CFG_DEFAULT = ("{'stream_schema': 'kinesis', 'stream_name': 'shop_cdc', 'iam_role': 'default', 'region': none, "
               "'auto_refresh': true, 'backup': true, 'dist': none, 'sort': ['refresh_time']}")
CFG_TUNED = ("{'stream_schema': 'kinesis', 'stream_name': 'shop_cdc', 'iam_role': 'default', 'region': none, "
             "'auto_refresh': false, 'backup': false, 'dist': 'shard_id', 'sort': ['refresh_time', 'sequence_number']}")


def spec(model: str, mode: str = "mirror") -> str:
    return (f"streamleap.mirror_spec(graph.nodes['model.project.{model}'].config.streamleap_table, "
            f"graph.nodes['model.project.{model}'].config.unique_key, '{model}', '{mode}')")


# a mirror name of 127 bytes (Redshift's limit), multi-byte characters across the cut
LONG = "m" + "ä" * 60 + "_" * 6  # 1 + 120 + 6 = 127 bytes
LONG_TWIN = LONG[:-1] + "x"

# name -> Jinja expression rendering one statement (or a ;-separated group)
STATEMENTS = {
    "external_schema_default": "streamleap.create_stream_source_sql('kinesis', 'shop_cdc', 'default', none)",
    "external_schema_role": "streamleap.create_stream_source_sql('kinesis', 'shop_cdc', "
                            "'arn:aws:iam::123456789012:role/streamleap-redshift', 'us-east-1')",
    "staging_select": "streamleap.staging_select('kinesis', 'shop_cdc')",
    # a Kafka topic (MSK, Confluent, Apache Kafka): the external schema FROM KAFKA (IAM, or mTLS with
    # a certificate), the older FROM MSK form, and the streaming view over a topic
    "external_schema_kafka_iam": "streamleap.create_stream_source_sql('msk', 'ShopCDC', 'default', none, 'kafka', "
                                 "{'uri': 'b-1.shop.abc123.c2.kafka.us-east-1.amazonaws.com:9098', 'authentication': 'iam'})",
    "external_schema_kafka_mtls": "streamleap.create_stream_source_sql('confluent', 'shop.cdc', 'default', none, 'kafka', "
                                  "{'uri': 'lkc-ghidef-67890.centralus.azure.glb.confluent.cloud:9092', 'authentication': 'mtls', "
                                  "'authentication_arn': 'arn:aws:acm:us-east-1:123456789012:certificate/abc'})",
    "external_schema_msk_cluster": "streamleap.create_stream_source_sql('msk', 'ShopCDC', "
                                   "'arn:aws:iam::123456789012:role/streamleap-redshift', none, 'kafka', "
                                   "{'msk_cluster_arn': 'arn:aws:kafka:us-east-1:123456789012:cluster/shop/abc', "
                                   "'authentication': 'none'})",
    "staging_select_kafka": "streamleap.staging_select('msk', 'ShopCDC', 'kafka')",
    "streaming_view_create": f"streamleap.create_streaming_view_sql({REL.format('stg_shop_cdc')}, {CFG_DEFAULT}, "
                             "streamleap.staging_select('kinesis', 'shop_cdc'))",
    "streaming_view_create_tuned": f"streamleap.create_streaming_view_sql({REL.format('stg_shop_cdc')}, {CFG_TUNED}, "
                                   "streamleap.staging_select('kinesis', 'shop_cdc'))",
    "streaming_view_refresh": f"streamleap.refresh_streaming_view_sql({REL.format('stg_shop_cdc')})",
    "streaming_view_alter": f"streamleap.alter_streaming_view_sql({REL.format('stg_shop_cdc')}, {CFG_TUNED}, "
                            "['auto_refresh', 'dist', 'sort']) | join(';\\n')",
    "streaming_view_drop": f"streamleap.drop_streaming_view_sql({REL.format('stg_shop_cdc')})",
    "state_fingerprint": f"streamleap.upsert_fingerprint_sql({REL.format('stg_shop_cdc')}, 'sql=abc;backup=True')",
    "session_setup": "streamleap.session_setup()",
    "mirror_batch_cart": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('cart')}, none)",
    "mirror_watermark": f"streamleap.watermark_lookup_sql({REL.format('cart')})",
    "mirror_apply_cart": f"streamleap.apply_changes_sql({REL.format('cart')}, "
                         f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart')})",
    # a mirror applied before with the same columns (run_mode's config_changed false): no fingerprint
    # stored; its state row was read, so neither the state table nor the row is made
    "mirror_apply_cart_as_before": f"streamleap.apply_changes_sql({REL.format('cart')}, "
                                   f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart')}, store_fingerprint=false, "
                                   "state_row=true)",
    # a mirror that gained columns (run_mode's 'backfill')
    "mirror_apply_cart_backfill": f"streamleap.apply_changes_sql({REL.format('cart')}, "
                                  f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart')}, backfill=true)",
    # a mirror's first build, after its table was made (materialization.sql)
    "mirror_build_cart": f"streamleap.mirror_build_sql({REL.format('cart')}, none, 'select 1 as id', {spec('cart')})",
    "mirror_batch_cart_item": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('cart_item')}, none)",
    "mirror_apply_cart_item": f"streamleap.apply_changes_sql({REL.format('cart_item')}, "
                              f"api.Relation.create(identifier='cart_item__dbt_tmp'), {spec('cart_item')})",
    "mirror_batch_order": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('Order')}, none)",
    "mirror_backfill_cart": f"streamleap.backfill_sql({REL.format('cart')}, "
                            f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart')})",
    "mirror_backfill_order": f"streamleap.backfill_sql({REL.format('Order')}, "
                             f"api.Relation.create(identifier='Order__dbt_tmp'), {spec('Order')})",
    "set_aside_batch": f"streamleap.set_aside_batch_sql({REL.format('stg_shop_cdc')}, none, [{spec('cart')}, {spec('cart_item')}])",
    "mirror_batch_events": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('events')}, none)",
    "set_aside_batch_partitioned": f"streamleap.set_aside_batch_sql({REL.format('stg_shop_cdc')}, none, [{spec('events')}])",
    "set_aside_apply": f"streamleap.apply_set_aside_sql({REL.format('shop_cdc_set_aside')}, "
                       "api.Relation.create(identifier='shop_cdc_set_aside__dbt_tmp'))",
    "set_aside_apply_as_before": f"streamleap.apply_set_aside_sql({REL.format('shop_cdc_set_aside')}, "
                                 "api.Relation.create(identifier='shop_cdc_set_aside__dbt_tmp'), store_fingerprint=false)",
    "tombstones_long_name": f"streamleap.create_tombstones_sql({REL.format(LONG)}, {spec('cart')})",
    "tombstones_long_name_twin": f"streamleap.create_tombstones_sql({REL.format(LONG_TWIN)}, {spec('cart')})",
    "initial_batch_long_name": f"'drop table if exists ' ~ streamleap.initial_batch_relation({REL.format(LONG)})",
    "mirror_initial_build": f"streamleap.initial_build_sql({REL.format('cart')}, "
                            "api.Relation.create(identifier='cart__streamleap_initial'), "
                            f"'select 1 as id', streamleap.apply_changes_sql({REL.format('cart')}, "
                            f"api.Relation.create(identifier='cart__streamleap_initial'), {spec('cart')}))",
    "string_literal": "'select ' ~ streamleap._string_literal(\"it's C:\\\\x\")",
    # soft_delete (issue 13): the batch (a deleted key's values too), the apply, a change of mode
    "mirror_batch_cart_soft_delete": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('cart', 'soft_delete')}, none)",
    "mirror_apply_cart_soft_delete": f"streamleap.apply_changes_sql({REL.format('cart')}, "
                                     f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart', 'soft_delete')})",
    # a source TRUNCATE (the batch's 'truncate' row): the rows older than it go, or are flagged
    "mirror_truncate_cart": f"streamleap.apply_truncate_sql({REL.format('cart')}, "
                            f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart')})",
    "mirror_truncate_cart_soft_delete": f"streamleap.apply_truncate_sql({REL.format('cart')}, "
                                        f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart', 'soft_delete')})",
    # history (issue 13): every change once by its identity; the apply splits intervals of the batch's keys only
    "mirror_batch_cart_history": f"streamleap.change_batch_sql({REL.format('stg_shop_cdc')}, {spec('cart', 'history')}, none)",
    "mirror_apply_cart_history": f"streamleap.apply_changes_sql({REL.format('cart')}, "
                                 f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart', 'history')})",
    "mirror_apply_cart_item_history": f"streamleap.apply_changes_sql({REL.format('cart_item')}, "
                                      f"api.Relation.create(identifier='cart_item__dbt_tmp'), {spec('cart_item', 'history')})",
    "mirror_truncate_cart_history": f"streamleap.apply_truncate_sql({REL.format('cart')}, "
                                    f"api.Relation.create(identifier='cart__dbt_tmp'), {spec('cart', 'history')})",
    "mirror_mode_to_soft_delete": f"streamleap.mode_change_sql({REL.format('cart')}, {spec('cart', 'soft_delete')}, [])",
    "mirror_mode_to_mirror": f"streamleap.mode_change_sql({REL.format('cart')}, {spec('cart')}, ['_streamleap_deleted'])",
    # one `streamleap run` cycle (cycle.sql) whose records are for two tables
    "cycle_two_tables": "streamleap.cycle_script('stg_shop_cdc', ['cart', 'cart_item'])",
    # Debezium change events (issue 14, record_format.sql): a stream of them (generate --format
    # debezium), its mirror's batch (each encoding decoded), set-aside model and cycle
    "mirror_batch_payment_debezium": f"streamleap.change_batch_sql({REL.format('stg_dbz_cdc')}, {spec('payment')}, none)",
    "set_aside_batch_debezium": f"streamleap.set_aside_batch_sql({REL.format('stg_dbz_cdc')}, none, [{spec('payment')}])",
    "cycle_debezium": "streamleap.cycle_script('stg_dbz_cdc', ['payment'])",
    # flat records (generate --format flat): a stream of one table, its order and time from fields
    "mirror_batch_visit_flat": f"streamleap.change_batch_sql({REL.format('stg_flat_cdc')}, {spec('visit')}, none)",
    "set_aside_batch_flat": f"streamleap.set_aside_batch_sql({REL.format('stg_flat_cdc')}, none, [{spec('visit')}])",
    "cycle_flat": "streamleap.cycle_script('stg_flat_cdc', ['visit'])",
}
FLAT_DDL = "CREATE TABLE public.visit (id bigint PRIMARY KEY, page varchar(200), amount numeric(10,2), at timestamp);"

# the Debezium stream's table: a column of every encoding record_format.sql decodes
DEBEZIUM_DDL = (
    "CREATE TABLE public.payment (id bigint PRIMARY KEY, amount numeric(12,2), ratio numeric, paid_on date, "
    "at_ms timestamp(3), at_us timestamp, at_tz timestamptz, t_ms time(3), t_us time, raw bytea, note text, doc jsonb);"
)

# statements sqlglot only knows as Command: checked as text
COMMAND_PREFIXES = ("create external schema", "refresh materialized view", "alter materialized view", "lock ")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    project = tmp_path_factory.mktemp("rs") / "project"
    init_project(project)
    generate_models(project, plan_tables([*parse_ddl(DDL, "postgres"), EVENTS]), "shop_cdc", "kinesis")
    generate_models(project, plan_tables(parse_ddl(DEBEZIUM_DDL, "postgres")), "dbz_cdc", "kinesis", record_format="debezium")
    generate_models(project, plan_tables(parse_ddl(FLAT_DDL, "postgres")), "flat_cdc", "kinesis", record_format="flat",
                    flat={"order_field": "seq", "time_field": "ts"})
    run_dbt(["deps"], project)
    template = "\n".join(f"-- @@ {name}\n{{{{ {expr} }}}}" for name, expr in STATEMENTS.items())
    saved = {k: os.environ.get(k) for k in REDSHIFT_ENV}
    os.environ.update(REDSHIFT_ENV)
    try:
        result = run_dbt(["compile", "--no-populate-cache", "--quiet", "--inline", template], project, target="redshift")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    code = result.result.results[0].node.compiled_code
    parts = re.split(r"^-- @@ (\w+)\n", code, flags=re.M)[1:]
    return {parts[i]: parts[i + 1].strip() + "\n" for i in range(0, len(parts), 2)}


def _statements(sql: str) -> list[str]:
    """Split on semicolons outside quotes."""
    out, buf, quote = [], [], None
    for ch in sql:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            buf.append(ch)
        elif ch == ";":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    out.append("".join(buf))
    return [s.strip() for s in out if s.strip()]


def _parsed(rendered: dict[str, str]):
    for name, sql in rendered.items():
        for statement in _statements(sql):
            if statement.lower().startswith(COMMAND_PREFIXES):
                yield name, statement, None
            else:
                yield name, statement, sqlglot.parse_one(statement, read="redshift")


def test_every_statement_matches_its_golden_file(rendered):
    assert set(rendered) == set(STATEMENTS)
    update = os.environ.get("STREAMLEAP_UPDATE_GOLDEN") == "1"
    for name, sql in rendered.items():
        path = GOLDEN / f"{name}.sql"
        if update:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            path.write_text(sql, encoding="utf-8")
        assert path.is_file(), f"no golden file {path}; run with STREAMLEAP_UPDATE_GOLDEN=1"
        assert sql == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


def test_every_statement_parses_as_redshift(rendered):
    kinds = {}
    for name, statement, tree in _parsed(rendered):
        if tree is None:
            continue
        assert not isinstance(tree, exp.Command), f"{name}: sqlglot could not parse: {statement[:200]}"
        kinds.setdefault(name, []).append(type(tree).__name__)
    # state, tombstones, truncates; the watermark; the batch against the mirror, tombstones and newest
    # truncate; counted; applied; tombstones; a TRUNCATE's part; the fingerprint
    assert kinds["mirror_apply_cart"] == ["Create", "Create", "Create", "Transaction", "Insert", "Update", "Delete", "Delete",
                                          "Delete", "Delete", "Update", "Delete", "Insert", "Delete", "Insert",
                                          "Delete", "Delete", "Delete", "Insert", "Update", "Commit"]
    # the same mirror applied before with these columns: the first Create and the Insert of the state row
    # are gone, and no fingerprint is stored
    assert kinds["mirror_apply_cart_as_before"] == kinds["mirror_apply_cart"][1:4] + kinds["mirror_apply_cart"][5:-2] + ["Commit"]
    assert kinds["staging_select"] == ["Select"]
    assert kinds["streaming_view_create"] == ["Create"]


def test_streaming_view_select_is_incrementally_refreshable(rendered):
    """Redshift refreshes a streaming view incrementally only without window functions, joins,
    UNION, DISTINCT aggregates or subqueries outside FROM; the raw payload is kept."""
    tree = sqlglot.parse_one(rendered["staging_select"], read="redshift")
    for node_type in (exp.Window, exp.Join, exp.Union, exp.Subquery, exp.Distinct, exp.AggFunc):
        assert not list(tree.find_all(node_type)), f"{node_type.__name__} in the streaming view"
    sql = rendered["staging_select"].lower()
    assert "case when can_json_parse(kinesis_data) then json_parse(kinesis_data) end as payload" in sql
    # each record validated once and parsed once (it was validated twice); its bytes kept whole
    assert sql.count("can_json_parse(") == 1 and sql.count("json_parse(") == 2  # can_json_parse( contains json_parse(
    assert "kinesis_data as raw_data" in sql
    assert 'from "dev"."kinesis"."shop_cdc"' in sql


def test_a_kafka_topics_streaming_view_and_external_schema(rendered):
    """Over a Kafka topic the view is as refreshable as over a Kinesis stream and gives the same
    columns (the topic's under Kinesis's names: partition as shard_id, offset as sequence_number);
    the external schema is FROM KAFKA with the brokers' URI and its authentication, or FROM MSK."""
    tree = sqlglot.parse_one(rendered["staging_select_kafka"], read="redshift")
    for node_type in (exp.Window, exp.Join, exp.Union, exp.Subquery, exp.Distinct, exp.AggFunc):
        assert not list(tree.find_all(node_type)), f"{node_type.__name__} in the streaming view"
    kinesis = sqlglot.parse_one(rendered["staging_select"], read="redshift")
    assert tree.named_selects == kinesis.named_selects
    sql = rendered["staging_select_kafka"].lower()
    assert "case when can_json_parse(kafka_value) then json_parse(kafka_value) end as payload" in sql
    assert "cast(kafka_offset as varchar(128)) as sequence_number" in sql and 'from "dev"."msk"."ShopCDC"'.lower() in sql
    assert rendered["external_schema_kafka_iam"].split() == (
        'create external schema if not exists "msk" from kafka iam_role default authentication iam '
        "uri 'b-1.shop.abc123.c2.kafka.us-east-1.amazonaws.com:9098'").split()
    mtls = " ".join(rendered["external_schema_kafka_mtls"].split())
    assert "authentication mtls authentication_arn 'arn:aws:acm:us-east-1:123456789012:certificate/abc' uri " in mtls
    msk = " ".join(rendered["external_schema_msk_cluster"].split())
    assert msk.endswith("from msk iam_role 'arn:aws:iam::123456789012:role/streamleap-redshift' authentication none "
                        "cluster_arn 'arn:aws:kafka:us-east-1:123456789012:cluster/shop/abc'")


def test_no_text_no_bare_numeric_and_lengths_within_limits(rendered):
    for name, statement, tree in _parsed(rendered):
        if tree is None:
            assert not re.search(r"\btext\b|\bnumeric\b(?!\s*\()|\bdecimal\b(?!\s*\()", statement, re.I), name
            continue
        for dt in tree.find_all(exp.DataType):
            assert dt.this not in (exp.DataType.Type.TEXT,), f"{name}: TEXT is VARCHAR(256) in Redshift"
            if dt.this == exp.DataType.Type.DECIMAL:
                assert dt.expressions, f"{name}: bare DECIMAL is DECIMAL(18,0) in Redshift: {dt.sql('redshift')}"
                assert int(dt.expressions[0].name) <= 38
            if dt.this in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR) and dt.expressions:
                assert int(dt.expressions[0].name) <= 65535, f"{name}: {dt.sql('redshift')}"


def test_no_merge_and_deletes_are_applied_with_delete_using(rendered):
    for name, _, tree in _parsed(rendered):
        if tree is not None:
            assert not list(tree.find_all(exp.Merge)), f"{name} uses MERGE (it cannot update and delete at once)"
    apply = rendered["mirror_apply_cart_item"]
    assert ('delete from "dev"."analytics"."cart_item" using "cart_item__dbt_tmp"\n'
            'where "cart_item"."cart_id" = "cart_item__dbt_tmp"."cart_id" '
            'and "cart_item"."line_no" = "cart_item__dbt_tmp"."line_no"') in apply
    assert "\nbegin;\nlock " in apply and apply.rstrip().endswith("commit")


def test_streaming_view_options_and_external_schema(rendered):
    tuned = rendered["streaming_view_create_tuned"].lower()
    assert tuned.startswith('create materialized view "dev"."analytics"."stg_shop_cdc" backup no diststyle key distkey ("shard_id") '
                            'sortkey ("refresh_time", "sequence_number")\n auto refresh no\nas\nselect')
    assert rendered["external_schema_default"].strip() == ('create external schema if not exists "kinesis"\n'
                                                           '  from kinesis\n  iam_role default')
    assert "region 'us-east-1'" in rendered["external_schema_role"]
    assert "iam_role 'arn:aws:iam::123456789012:role/streamleap-redshift'" in rendered["external_schema_role"]
    assert rendered["streaming_view_refresh"].strip() == 'refresh materialized view "dev"."analytics"."stg_shop_cdc"'
    assert rendered["streaming_view_alter"].splitlines() == [
        'alter materialized view "dev"."analytics"."stg_shop_cdc" auto refresh no;',
        'alter materialized view "dev"."analytics"."stg_shop_cdc" alter distkey "shard_id";',
        'alter materialized view "dev"."analytics"."stg_shop_cdc" alter sortkey ("refresh_time", "sequence_number")',
    ]
    assert rendered["session_setup"].strip() == "set enable_case_sensitive_identifier to true"


def test_source_names_are_quoted_not_glued(rendered):
    batch = rendered["mirror_batch_order"]
    # a reserved word, mixed case with a space, an embedded quote and unicode, all quoted
    for quoted in ('"select"', '"Mixed Case"', '"we""ird"', '"Ünïcode"'):
        assert f"as {quoted}" in batch
    assert "payload.\"data\".\"we\"\"ird\"" in batch
    assert "= 'Order'" in batch and "= 'Sales'" in batch
    tree = sqlglot.parse_one(batch, read="redshift")
    names = tree.named_selects
    assert names[:4] == ["select", "Mixed Case", 'we"ird', "Ünïcode"]


def test_every_postgres_macro_has_its_redshift_version():
    """dbt-redshift dispatches redshift__, then postgres__: a Postgres-only statement (an index, a
    MATERIALIZED CTE, a plpgsql helper) must never reach Redshift by that fallback."""
    package = Path(__file__).resolve().parent.parent / "dbt_package" / "macros"
    text = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.sql"))
    postgres = set(re.findall(r"macro postgres__(\w+)\(", text))
    redshift = set(re.findall(r"macro redshift__(\w+)\(", text))
    # only reached through redshift__create_stream_source_sql, which does not call it
    allowed = {"_local_stream_functions"}
    assert postgres - redshift - allowed == set()


def test_patterns_need_no_backslash_escapes(rendered):
    """Redshift string literals consume one backslash ('\\.' reaches the regex as '.', any
    character), so the value checks write a literal dot as [.]."""
    for name, sql in rendered.items():
        assert "\\." not in sql, f"{name}: a backslash escape in a string literal"


# Every function a rendered statement calls, each one a Redshift SQL function (its page in the
# Redshift Database Developer Guide: https://docs.aws.amazon.com/redshift/latest/dg/<page>).
REDSHIFT_FUNCTIONS = {
    # Debezium's encodings decoded (record_format.sql)
    "dateadd": "r_DATEADD_function", "greatest": "r_GREATEST_LEAST", "json_extract_path_text": "JSON_EXTRACT_PATH_TEXT",
    "repeat": "r_REPEAT", "reverse": "r_REVERSE", "strtol": "r_STRTOL", "to_char": "r_TO_CHAR", "upper": "r_UPPER",
    "abs": "r_ABS", "can_json_parse": "CAN_JSON_PARSE", "coalesce": "r_NVL_function", "count": "r_COUNT",
    "floor": "r_FLOOR", "from_varbyte": "r_FROM_VARBYTE", "getdate": "r_GETDATE",
    "is_bigint": "r_is_bigint", "json_size": "r_json_size", "regexp_substr": "REGEXP_SUBSTR",
    "is_varchar": "r_is_varchar", "json_parse": "JSON_PARSE", "json_serialize": "r_json_serialize",
    "json_serialize_to_varbyte": "r_json_serialize_to_varbyte", "json_typeof": "r_json_typeof",
    "lag": "r_WF_LAG", "lead": "r_WF_LEAD", "md5": "r_MD5",
    "length": "r_LENGTH", "lower": "r_LOWER", "lpad": "r_LPAD", "ltrim": "r_LTRIM", "max": "r_MAX", "min": "r_MIN",
    "nullif": "r_NULLIF_function", "octet_length": "r_OCTET_LENGTH", "regexp_replace": "REGEXP_REPLACE",
    "replace": "r_REPLACE", "row_number": "r_WF_ROW_NUMBER", "rpad": "r_LPAD", "rtrim": "r_RTRIM", "split_part": "SPLIT_PART",
    "substr": "r_SUBSTR", "substring": "r_SUBSTRING", "to_hex": "r_TO_HEX", "to_varbyte": "r_TO_VARBYTE",
    "translate": "r_TRANSLATE", "try_cast": "r_TRY_CAST",
}
# words followed by "(" that are not function calls
SQL_WORDS = {"and", "as", "cast", "decimal", "distkey", "exists", "from", "in", "join", "not", "or", "over", "sortkey", "then", "where",
             "values", "varbyte", "varchar", "when"}


def test_every_function_called_is_a_redshift_function(rendered):
    for name, sql in rendered.items():
        text = re.sub(r'"(?:[^"]|"")*"', '""', re.sub(r"'(?:[^']|'')*'", "''", sql))
        called = {m.lower() for m in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)} - SQL_WORDS
        assert called <= set(REDSHIFT_FUNCTIONS), f"{name}: {sorted(called - set(REDSHIFT_FUNCTIONS))}"


def test_values_that_do_not_fit_are_adjusted_with_redshift_byte_functions(rendered):
    """Redshift's LEFT/SUBSTRING on VARCHAR count characters; SUBSTRING on VARBYTE counts bytes:
    the cut at the byte limit reads the UTF-8 bytes as VARBYTE (a hex text would double past
    VARCHAR's 65535 bytes)."""
    batch = rendered["mirror_batch_cart"]
    assert ("else cast(from_varbyte(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 1, (case when not "
            "(substring(to_hex(substring(to_varbyte(substr(_sl_t2, 1, 81), 'utf8'), 81, 1)), 1, 1) in ") in batch
    assert "else 77 end)), 'utf8') as VARCHAR(80)) end as \"status\"" in batch
    # decimals are cut as text and cast exactly, then one unit added; never a rounding cast of the text
    assert "+ cast('0.01' as DECIMAL(12,2)) as DECIMAL(12,2))" in batch
    aside = rendered["set_aside_batch"]
    assert "'column status: value does not fit VARCHAR(80); adjusted: ' || 'cut to 80 bytes'" in aside
    assert "false as adjusted" in aside and "as varchar(256)) as column_name" in aside


def test_with_on_misfit_set_aside_the_batch_is_as_before(tmp_path):
    """streamleap_on_misfit: set_aside renders the batch that sets records aside whole (golden)."""
    project = tmp_path / "project"
    init_project(project)
    generate_models(project, plan_tables(parse_ddl(DDL, "postgres")), "shop_cdc", "kinesis")
    run_dbt(["deps"], project)
    template = "{{ " + STATEMENTS["mirror_batch_cart"] + " }}\n-- @@ set_aside\n{{ " + STATEMENTS["set_aside_batch"] + " }}"
    saved = {k: os.environ.get(k) for k in REDSHIFT_ENV}
    os.environ.update(REDSHIFT_ENV)
    try:
        result = run_dbt(["compile", "--no-populate-cache", "--quiet", "--inline", template,
                          "--vars", "{streamleap_on_misfit: set_aside}"], project, target="redshift")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    batch, aside = result.result.results[0].node.compiled_code.split("-- @@ set_aside\n")
    assert "value does not fit VARCHAR(80)'" in batch and "adjusted: " not in batch + aside and "_sl_misfits" not in aside
    path = GOLDEN / "mirror_batch_cart_on_misfit_set_aside.sql"
    if os.environ.get("STREAMLEAP_UPDATE_GOLDEN") == "1":
        path.write_text(batch.strip() + "\n", encoding="utf-8")
    assert batch.strip() + "\n" == path.read_text(encoding="utf-8")
    sqlglot.parse_one(batch, read="redshift")



def test_a_number_column_whose_type_changed_is_left_to_its_owner_on_redshift(tmp_path):
    """A mirror's number column whose model type changed is altered in place on DuckDB and Postgres
    (column_type_changes_sql); Redshift alters only a VARCHAR's length in place, so the run stops
    with one message naming the column, both types and what to do. The columns as Redshift's catalog
    reports them (numeric with its precision and scale apart) match the model's: nothing to do."""
    project = tmp_path / "project"
    init_project(project)
    generate_models(project, plan_tables(parse_ddl(DDL, "postgres")), "shop_cdc", "kinesis")
    run_dbt(["deps"], project)

    def changes(total: str) -> tuple[object, str]:
        columns = (f"[api.Column('id', 'bigint'), api.Column('status', 'character varying', 20), {total}, "
                   "api.Column('paid', 'boolean'), api.Column('created_at', 'timestamp with time zone')]")
        template = f"{{{{ streamleap.column_type_changes_sql({REL.format('cart')}, {spec('cart')}, {columns}) | length }}}}"
        said: list[str] = []
        saved = {k: os.environ.get(k) for k in REDSHIFT_ENV}
        os.environ.update(REDSHIFT_ENV)
        try:
            result = dbt_runner(callbacks=[lambda event: said.append(str(getattr(event.info, "msg", "")))]).invoke(
                dbt_argv(["compile", "--no-populate-cache", "--quiet", "--inline", template], project, target="redshift"))
        finally:
            for k, v in saved.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        return result, "\n".join(said)

    same, _ = changes("api.Column('total', 'numeric', none, 12, 2)")
    assert same.success and same.result.results[0].node.compiled_code.strip() == "0"
    narrower, message = changes("api.Column('total', 'numeric', none, 10, 2)")
    assert not narrower.success
    assert "column total is DECIMAL(10,2) in the warehouse and DECIMAL(12,2) in the model" in message, message
    assert "ADD COLUMN, UPDATE, DROP COLUMN, RENAME COLUMN" in message

def test_records_under_a_partition_name_belong_to_the_partitioned_table(rendered):
    """DMS reads a partitioned Postgres table's partitions as tables of their own: the mirror's
    batch and the set-aside model match the table's own name and every partition's, by schema."""
    expected = ("(_sl_table in ('events', 'events_2024', 'events_2025')\n    and _sl_schema = 'public') or "
                "(_sl_table = 'events_2023'\n    and _sl_schema = 'archive')")
    assert f"where ({expected})" in rendered["mirror_batch_events"]
    assert ("when record_type = 'data' and ((table_name in ('events', 'events_2024', 'events_2025') and "
            "schema_name = 'public') or (table_name = 'events_2023' and schema_name = 'archive'))"
            in rendered["set_aside_batch_partitioned"])
    # a table without partitions keeps its plain filter
    assert "where _sl_table = 'cart'\n    and _sl_schema = 'public'" in rendered["mirror_batch_cart"]


# Types a text or value converts to without any error (Redshift's CAST to VARCHAR/CHAR of a longer
# string truncates; these hold every value the batch passes them).
_NEVER_FAILS = {exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.NVARCHAR, exp.DataType.Type.TEXT}


def _guarded(node: exp.Expression) -> bool:
    """True when node sits in a CASE where a condition was evaluated before it: the THEN of a
    branch whose condition is not the literal TRUE, the condition of any branch after the first, or
    the ELSE of a CASE with a branch. CASE is the one construct whose order Redshift documents
    (conditions in order, the first true one's result); AND, OR and a WHERE in another part of the
    query are no guard."""
    child, parent = node, node.parent
    while parent is not None:
        if isinstance(parent, exp.If) and isinstance(parent.parent, exp.Case):
            branches = parent.parent.args.get("ifs") or []
            condition = parent.this
            if child is parent.args.get("true"):
                if not (isinstance(condition, exp.Boolean) and condition.this is True):
                    return True
            elif child is condition and branches.index(parent) > 0:
                return True
        if isinstance(parent, exp.Case) and child is parent.args.get("default") and parent.args.get("ifs"):
            return True
        child, parent = parent, parent.parent
    return False


def unguarded_casts(tree: exp.Expression) -> list[str]:
    """Every CAST or TRY_CAST of a value (not a literal) to a type that can refuse it, outside a
    CASE branch guarded by its check. TRY_CAST counts too: it fails on blank or empty strings
    (https://docs.aws.amazon.com/redshift/latest/dg/r_TRY_CAST.html)."""
    out = []
    for cast in tree.find_all(exp.Cast):
        if isinstance(cast.this, (exp.Literal, exp.Null)) or cast.to.this in _NEVER_FAILS:
            continue
        if not _guarded(cast):
            out.append(cast.sql("redshift")[:160])
    return out


def test_the_rule_finds_unguarded_casts():
    """The rule itself: a cast behind AND, WHERE or CASE WHEN TRUE is found; one in a checked
    branch is not."""
    def casts(sql: str) -> list[str]:
        return unguarded_casts(sqlglot.parse_one(sql, read="redshift"))

    assert casts("select cast(t as int) from x where t ~ '^[0-9]+$'") == ["CAST(t AS INTEGER)"]
    assert casts("select t ~ '^[0-9]+$' and cast(t as int) > 0 from x") == ["CAST(t AS INTEGER)"]
    assert casts("select case when true then cast(t as int) end from x") == ["CAST(t AS INTEGER)"]
    assert casts("select case when try_cast(t as date) is not null then 1 end from x") == ["TRY_CAST(t AS DATE)"]
    assert casts("select case when t ~ '^[0-9]+$' then cast(t as int) end, cast(null as int), cast(t as varchar(5)) from x") == []
    assert casts("select case when a then 1 when cast(t as int) > 0 then 2 else cast(u as date) end from x") == []


def test_every_cast_is_guarded_by_its_check(rendered):
    """No evaluation order can reach a failing cast: each sits inside the CASE branch of its check
    (issue 10, item 15)."""
    found = {}
    for name, _, tree in _parsed(rendered):
        if tree is not None and (casts := unguarded_casts(tree)):
            found[name] = casts
    assert found == {}


def test_hex_is_read_with_to_varbyte(rendered):
    """FROM_HEX takes its argument as a literal only ("The format must be a literal value",
    https://docs.aws.amazon.com/redshift/latest/dg/r_FROM_HEX.html); TO_VARBYTE(string, 'hex')
    converts any VARCHAR (https://docs.aws.amazon.com/redshift/latest/dg/r_TO_VARBYTE.html)."""
    for name, _, tree in _parsed(rendered):
        if tree is None:
            continue
        for call in tree.find_all(exp.Anonymous):
            if call.name.lower() == "from_hex":
                assert all(isinstance(a, exp.Literal) for a in call.expressions), f"{name}: {call.sql('redshift')[:160]}"
    assert "to_varbyte(regexp_replace(_sl_t7, '^0x', ''), 'hex')" in rendered["mirror_batch_cart"]


def test_offsets_past_redshift_timetz_are_not_values(rendered):
    """Redshift's TIMETZ holds offsets to +-14:59 (https://docs.aws.amazon.com/redshift/latest/dg/r_Datetime_types.html):
    the shape of a TIMESTAMPTZ value allows no more, and the whole text is TRY_CAST, not its date."""
    batch = rendered["mirror_batch_cart"]
    assert "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)" in batch and "1[0-5]" not in batch
    assert "try_cast(replace(_sl_t5, 'T', ' ') as TIMESTAMPTZ) is not null" in batch


# "These PostgreSQL data types are not supported in Amazon Redshift ... if a query attempts to use an
# unsupported data type, including explicit or implicit casts, it will return an error."
# https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-datatypes.html
# Arrays; BIT, BIT VARYING; BYTEA; composite types; enumerated types; geometric types; HSTORE; JSON;
# network address types; SERIAL, BIGSERIAL, SMALLSERIAL, MONEY; object identifier types; pseudo-types;
# range types; "char" and name; text search types; TXID_SNAPSHOT; UUID; XML. (Composite and enumerated
# types have user-given names: streamleap creates none, and a cast to one is caught as an unknown word.)
UNSUPPORTED_TYPES = {
    "bit", "varbit", "bytea", "hstore", "json", "jsonb", "inet", "cidr", "macaddr", "macaddr8",
    "serial", "serial2", "serial4", "serial8", "bigserial", "smallserial", "money",
    "point", "line", "lseg", "box", "path", "polygon", "circle",
    "oid", "regclass", "regcollation", "regconfig", "regdictionary", "regnamespace", "regoper", "regoperator",
    "regproc", "regprocedure", "regrole", "regtype", "xid", "cid", "tid",
    "any", "anyelement", "anyarray", "anynonarray", "anyenum", "anyrange", "record", "trigger", "event_trigger",
    "void", "cstring", "internal", "opaque",
    "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
    "int4multirange", "int8multirange", "nummultirange", "tsmultirange", "tstzmultirange", "datemultirange",
    "name", "tsvector", "tsquery", "txid_snapshot", "uuid", "xml", "enum",
}
# the types a statement may name: Redshift's own
# https://docs.aws.amazon.com/redshift/latest/dg/c_Supported_data_types.html
SUPPORTED_TYPES = {
    "smallint", "int2", "integer", "int", "int4", "bigint", "int8", "decimal", "numeric", "real", "float4",
    "double", "precision", "float8", "float", "boolean", "bool", "char", "character", "nchar", "bpchar",
    "varchar", "varying", "nvarchar", "date", "timestamp", "timestamptz", "time", "timetz", "without", "with",
    "zone", "interval", "varbyte", "varbinary", "binary", "super", "geometry", "geography", "hllsketch",
    "double precision",
}


def unsupported_types(statement: str) -> list[str]:
    """The unsupported PostgreSQL types a statement names: in a cast (CAST(.. AS t), ::t), a column
    definition or anywhere a type word stands (sqlglot reads BYTEA as VARBINARY, so the words are
    checked as written, token by token)."""
    from sqlglot.parser import Parser
    from sqlglot.tokens import TokenType
    tokens = sqlglot.Dialect.get_or_raise("redshift").tokenize(statement)
    found = []
    for i, tok in enumerate(tokens):
        text = tok.text.lower()
        after_cast = i > 0 and tokens[i - 1].token_type in (TokenType.DCOLON, TokenType.ALIAS)
        if tok.token_type == TokenType.L_BRACKET:
            found.append("array ([])")
        elif tok.token_type == TokenType.ARRAY:
            found.append("array")
        elif (tok.token_type in Parser.TYPE_TOKENS and tok.token_type not in (TokenType.NULL, TokenType.UNION)
              and text not in SUPPORTED_TYPES):
            found.append(text)
        elif tok.token_type == TokenType.IDENTIFIER and after_cast and text in ("char", "name"):
            found.append(f'"{text}"')
        elif tok.token_type == TokenType.DCOLON and i + 1 < len(tokens) and tokens[i + 1].text.lower() not in SUPPORTED_TYPES:
            found.append(tokens[i + 1].text.lower())
        elif after_cast and tokens[i - 1].token_type == TokenType.ALIAS and text in UNSUPPORTED_TYPES:
            found.append(text)
    return found


def test_the_unsupported_type_rule_rejects_what_redshift_rejects():
    for sql in ("select cast(null as bytea)", "select x::uuid", "select cast(x as json)", "select x::\"char\"",
                "create table t (a inet, b int)", "select cast(x as int[])", "select cast(x as txid_snapshot)",
                "select cast(x as money)", "create table t (id bigserial)", "select x::tsvector"):
        assert unsupported_types(sql), sql
    assert unsupported_types("select cast(null as varbyte(16777216)), x::super, cast(y as decimal(38,10)) as z, "
                             "cast(d as timestamp) as name_of_it") == []


def test_no_statement_uses_a_type_redshift_does_not_support(rendered):
    for name, sql in rendered.items():
        for statement in _statements(sql):
            assert unsupported_types(statement) == [], f"{name}: {unsupported_types(statement)} in {statement[:300]}"
    # the set-aside model's last row casts its NULL bytes to VARBYTE (it was BYTEA: a failed first build)
    assert "cast(null as varbyte(16777216))" in rendered["set_aside_batch"]


def test_every_write_of_the_state_table_holds_its_lock(rendered):
    """Two models applying at once each read and write streamleap_state: Redshift cancels one with
    "ERROR: 1023 Serializable isolation violation" unless each transaction LOCKs the table first
    (https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation-serializable-isolation-troubleshooting.html)."""
    writers = 0
    for name, sql in rendered.items():
        in_txn = locked = False
        for statement in _statements(sql):
            low = statement.lower()
            if low == "begin":
                in_txn, locked = True, False
            elif low == "commit":
                in_txn = locked = False
            elif low.startswith("lock "):
                assert in_txn and not locked, f"{name}: LOCK outside a transaction or not its first statement"
                assert low.endswith('"streamleap_state"'), name
                locked = True
            elif re.match(r'(insert into|update|delete from) "dev"\."analytics"\."streamleap_state"', low):
                writers += 1
                assert in_txn and locked, f"{name}: writes the state table without holding its lock: {statement[:120]}"
            elif in_txn and not locked and not low.startswith("create table if not exists"):
                pytest.fail(f"{name}: the transaction does not start with LOCK: {statement[:120]}")
    assert writers >= 10


def test_identifiers_stay_within_127_bytes(rendered):
    """Redshift names are 1 to 127 bytes (https://docs.aws.amazon.com/redshift/latest/dg/r_names.html):
    the suffixed names of a 127-byte mirror are cut on a character boundary, with a hash of the
    whole name, so two such mirrors sharing a prefix keep apart."""
    assert len(LONG.encode("utf-8")) == 127

    def created(name: str) -> str:
        tree = sqlglot.parse_one(rendered[name], read="redshift")
        return tree.find(exp.Table).name

    tomb, twin = created("tombstones_long_name"), created("tombstones_long_name_twin")
    batch = sqlglot.parse_one(rendered["initial_batch_long_name"], read="redshift").find(exp.Table).name
    for ident, suffix in ((tomb, "__streamleap_tombstones"), (twin, "__streamleap_tombstones"), (batch, "__streamleap_initial")):
        assert len(ident.encode("utf-8")) <= 127 and ident.endswith(suffix), ident
        assert LONG.startswith(ident[: -len(suffix) - 9]) and re.fullmatch(r"_[0-9a-f]{8}", ident[-len(suffix) - 9: -len(suffix)])
    assert tomb != twin
    # a name that fits keeps its plain suffix
    assert '"cart__streamleap_tombstones"' in rendered["mirror_apply_cart"]


def test_string_literals_double_backslashes(rendered):
    """Redshift reads a backslash in a string literal as an escape (its docs write a pattern's
    backslash as two, https://docs.aws.amazon.com/redshift/latest/dg/pattern-matching-conditions-posix.html):
    a literal holding a backslash doubles it, as sqlglot's Redshift dialect reads it back."""
    sql = rendered["string_literal"].strip()
    assert sql == "select 'it''s C:\\\\x'"
    assert sqlglot.parse_one(sql, read="redshift").expressions[0].this == "it's C:\\x"


def test_json_serialize_is_guarded_by_json_size(rendered):
    """JSON_SERIALIZE fails when the text would pass VARCHAR's limit; JSON_SIZE does not
    (https://docs.aws.amazon.com/redshift/latest/dg/r_json_size.html): every call is preceded, in its
    CASE, by the size check, so one large nested value cannot fail every run."""
    calls = 0
    for name, sql in rendered.items():
        for m in re.finditer(r"json_serialize\((payload(?:\.\"(?:[^\"]|\"\")*\")+)\)", sql):
            calls += 1
            case_start = sql.rfind("(case when", 0, m.start())
            assert f"when json_size({m.group(1)}) > 65535 then null" in sql[case_start:m.start()], f"{name}: {m.group(0)}"
    assert calls > 50


def _number_pattern(sql: str, section: str, key: str) -> re.Pattern:
    """The pattern the batch reads a number with, as Python's re reads it (\\Q..\\E spelled out)."""
    m = re.search(r"regexp_substr\(from_varbyte\(raw_data, 'utf8'\), '((?:[^']|'')*)', 1, 1, 'pe'\)", sql[sql.index(
        f'"\\\\Q{section}\\\\E"[[:space:]]*:[[:space:]]*[{{].*?"\\\\Q{key}\\\\E"'.replace("\\\\", "\\\\")) - 200:])
    literal = sqlglot.parse_one(f"select '{m.group(1)}'", read="redshift").expressions[0].this
    literal = re.sub(r"\\Q(.*?)\\E", lambda q: re.escape(q.group(1)), literal).replace("[[:space:]]", r"\s")
    return re.compile(literal)


def test_numbers_super_may_round_are_read_as_written(rendered):
    """SUPER's number storage is undocumented beyond "doesn't differentiate integers and decimals of
    scale 0" (https://docs.aws.amazon.com/redshift/latest/dg/limitations-super.html): a number that
    IS_BIGINT does not accept is read from the record's bytes, as written."""
    batch = rendered["mirror_batch_cart"]
    assert ("when json_typeof(payload.\"data\".\"total\") = 'number' and not is_bigint(payload.\"data\".\"total\") "
            "and octet_length(raw_data) <= 65535") in batch
    total = _number_pattern(batch, "data", "total")
    record = ('{"data": {"id": 18446744073709551615, "note": "\\"total\\": 1", "total": 12345678901234567.891234},\n'
              ' "metadata": {"operation": "update", "total": 5}}')
    assert total.search(record).group(1) == "12345678901234567.891234"
    ident = _number_pattern(batch, "data", "id")
    assert ident.search(record).group(1) == "18446744073709551615"


def test_apply_statements_use_no_alias_a_source_table_could_share(rendered):
    """A mirror of a source table named b, m or t met the fixed aliases b, m and t of the apply: every
    table in the apply and the backfill is named by its own identifier (batch, mirror and tombstones
    never share one)."""
    for name in ("mirror_apply_cart", "mirror_apply_cart_item", "mirror_backfill_cart", "mirror_backfill_order"):
        for statement in _statements(rendered[name]):
            if statement.lower().startswith(COMMAND_PREFIXES):
                continue
            for table in sqlglot.parse_one(statement, read="redshift").find_all(exp.Table):
                assert not table.alias, f"{name}: {table.sql('redshift')}"
    assert ('update "dev"."analytics"."Order"\nset "Mixed Case" = "Order__dbt_tmp"."Mixed Case"'
            in rendered["mirror_backfill_order"])


def test_tombstones_are_distributed_and_sorted_by_the_key(rendered):
    """Every apply joins the tombstones on the mirror's key: on Redshift they carry it as dist/sort key
    (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_TABLE_NEW.html)."""
    assert ')\ndiststyle key distkey ("id") compound sortkey ("id");' in rendered["mirror_apply_cart"]
    assert 'diststyle key distkey ("cart_id") compound sortkey ("cart_id", "line_no")' in rendered["mirror_apply_cart_item"]


def test_the_set_aside_model_keeps_the_record_bytes_and_names_the_parse_limit(rendered):
    """The set-aside model keeps each record's own bytes (the staging view's raw_data), never a
    re-serialized SUPER; a record JSON_PARSE refused that is longer than 65,535 bytes may hold a
    string SUPER takes only with enable_large_strings_opt_in
    (https://docs.aws.amazon.com/redshift/latest/dg/r_enable_large_strings_opt_in.html)."""
    aside = rendered["set_aside_batch"]
    assert "  coalesce(raw_data, json_serialize_to_varbyte(payload)) as raw_data," in aside
    assert "  kinesis_data as raw_data\n" in rendered["staging_select"]
    assert "when payload is null then case when octet_length(raw_data) > 65535" in aside
    assert "enable_large_strings_opt_in" in aside


def test_the_streaming_view_sets_up_its_own_session():
    """An upper-case stream name needs enable_case_sensitive_identifier in the session that creates
    the view; the staging model has no pre-hook, so the materialization runs session_setup first."""
    source = (Path(__file__).resolve().parent.parent / "dbt_package" / "macros" / "staging" / "streaming_mv.sql").read_text()
    body = source[source.index("{% materialization streaming_mv"):source.index("{% endmaterialization %}")]
    setup = body.index("{% do plan.insert(0, setup) %}")
    assert "streamleap.session_setup()" in body[:setup]
    assert all(body.index(marker) < setup
               for marker in ("plan.append(streamleap.upsert_fingerprint_sql", "plan.insert(0, streamleap.create_stream_source_sql"))
    assert body.index("{% call statement('main') %}") > setup
