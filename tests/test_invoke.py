"""Invoking dbt in-process (streamleap.project.invoke): what dbt_runner changes of dbt's own work
must not change what dbt reports."""

from __future__ import annotations

from dbt_common import behavior_flags
from dbt_common.behavior_flags import Behavior

from streamleap.project.invoke import dbt_runner

FLAG = {"name": "streamleap_test_flag", "default": False, "description": "a flag of this test"}


def _declared_here(flag: dict) -> str:
    return Behavior([flag], {}).streamleap_test_flag._behavior_change_event.flag_source


def test_a_behaviour_flag_names_the_module_that_declared_it_as_dbt_common_does():
    dbt_runner()
    dbt_runner()  # a second runner replaces nothing more
    assert behavior_flags.BehaviorFlagRendered._streamleap_source is True
    # dbt-common's inspect.stack() gives the first caller outside its module: this one
    assert _declared_here(FLAG) == __name__
    # a flag that names its source keeps it
    assert _declared_here({**FLAG, "source": "dbt-somewhere"}) == "dbt-somewhere"
