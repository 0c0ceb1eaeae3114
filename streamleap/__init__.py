"""streamleap: mirror MySQL and Postgres tables into Redshift within seconds."""

__version__ = "0.1.0"
