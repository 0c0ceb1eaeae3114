"""The dbt project streamleap emits and drives: scaffolding it and adding a stream's models
(``scaffold``), invoking dbt (``invoke``, the only place a dbt command line is put together), what
a parsed project streams (``manifest``), the tables the library and the dbt package share in the
warehouse (``contract``), where the shipped dbt package lives (``paths``), and whether the
project's files changed (``file_watch``)."""
