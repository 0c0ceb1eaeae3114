"""`streamleap demo` and what it shares with the benchmark (bench/) and the tests.

- ``run``: the demo itself (``run_demo``, ``summary_lines``);
- ``workload``: the synthetic shop it mirrors (``ShopWorkload``, ``SHOP_DDL``, the shop's questions);
- ``producer``: one loop writing a workload's changes at a steady rate, and their put into Kinesis;
- ``stats``: when each record became visible (``Visibility``), percentiles and medians;
- ``local_postgres``: a throw-away PostgreSQL server (``streamleap demo --target postgres`` without one).
"""
