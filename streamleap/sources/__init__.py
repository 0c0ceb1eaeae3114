"""A live source database (MySQL/MariaDB or Postgres): everything streamleap does with one
before change capture reads its log.

* ``connection``: the source URL (``parse_source_url``), connecting to it (psycopg2 / pymysql, the
  one set of connection options per engine) and driver errors as one line without the password.
* ``introspect``: the source's tables, read from its catalog (``read_source``).
* ``checks``: whether the source is ready for change capture (``check_source``), for
  ``streamleap aws check-source``, ``streamleap capture`` and the capture readers.
"""
