"""The `streamleap` command line, one module per group of commands:

* ``project``: plan, init, generate (a source's tables into a dbt project);
* ``pipeline``: run, status (keeping mirrors fresh);
* ``capture``: capture, kinesis-local (change capture without DMS, a local Kinesis);
* ``demo``: the whole pipeline on one machine;
* ``aws``: the AWS wiring (``streamleap aws ...``);
* ``common``: the consoles, one-line errors and options they share; ``main``: the group.
"""

from streamleap.cli.main import main

__all__ = ["main"]
