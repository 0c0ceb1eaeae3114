"""Where a source's tables come from: a live database (MySQL/MariaDB or Postgres), or its schema
file (a whole ``pg_dump`` / ``mysqldump`` or hand-written DDL).

* ``connection``: the source URL (``parse_source_url``), connecting to it (psycopg2 / pymysql, the
  one set of connection options per engine) and driver errors as one line without the password.
* ``introspect``: the source's tables, read from its catalog (``read_source``).
* ``checks``: whether the source is ready for change capture (``check_source``), for
  ``streamleap check-source``, ``streamleap capture`` and the capture readers.
* ``ddl`` (with ``ddl_text``, its statement splitter and tokenizer): the tables of a schema file
  (``parse_ddl``), with the line and column of anything it cannot read.
"""
