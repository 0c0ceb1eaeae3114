"""The streaming_mv materialization's guards, on the local target (the same Jinja runs on Redshift,
where tests/test_redshift_sql.py checks the SQL)."""

from __future__ import annotations

import pytest

from tests.harness import dbt, make_project

pytestmark = pytest.mark.dbt

DDL = "CREATE TABLE public.cart (id bigint PRIMARY KEY, status varchar(10));"


@pytest.fixture
def target(tmp_path):
    return make_project(tmp_path, DDL, "postgres", "local")


def _staging(target):
    return target.project / "models" / "shop_cdc" / "stg_shop_cdc.sql"


def _messages(result) -> str:
    if result.result is None:
        return str(result.exception)
    return " ".join(str(r.message) for r in result.result.results)


def test_super_columns_cannot_be_sort_or_dist_keys(target):
    path = _staging(target)
    path.write_text(path.read_text().replace("sort=['refresh_time']", "sort=['payload']"))
    result = dbt(target, "run", "-s", "stg_shop_cdc", expect_ok=False)
    assert not result.success
    assert "payload cannot be a dist or sort key" in _messages(result)


def test_configuration_change_fail_and_continue(target):
    dbt(target, "run")
    path = _staging(target)
    original = path.read_text()
    # a change of the view's SQL needs a rebuild
    path.write_text(original.replace("materialized='streaming_mv',", "materialized='streaming_mv', on_configuration_change='fail',")
                    + "\nwhere 1 = 1\n")
    result = dbt(target, "run", "-s", "stg_shop_cdc", expect_ok=False)
    assert "configuration changed (sql)" in _messages(result) and "'fail'" in _messages(result)
    path.write_text(original.replace("materialized='streaming_mv',", "materialized='streaming_mv', on_configuration_change='continue',")
                    + "\nwhere 1 = 1\n")
    result = dbt(target, "run", "-s", "stg_shop_cdc")
    assert result.success


def test_auto_refresh_change_is_applied_in_place_and_full_refresh_needs_the_variable(target):
    dbt(target, "run")
    path = _staging(target)
    path.write_text(path.read_text().replace("auto_refresh=true", "auto_refresh=false"))
    dbt(target, "run", "-s", "stg_shop_cdc")
    state = target.query(f"select fingerprint from {target.rel('streamleap_state')} where relation_name like '%stg_shop_cdc'")
    assert state and "auto_refresh=False" in state[0][0]
    result = dbt(target, "run", "-s", "stg_shop_cdc", "--full-refresh", expect_ok=False)
    assert "refusing to drop and re-create" in _messages(result)
    dbt(target, "run", "-s", "stg_shop_cdc", "--full-refresh", "--vars", "{streamleap_allow_stream_rebuild: true}")
