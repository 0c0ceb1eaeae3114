"""Keeping mirrors fresh: the warehouse a project's target points at (``warehouse``), the relay
that plays Redshift's streaming ingestion on the local targets (``relay``), one cycle of the
package's SQL (``cycle``), the loop (``runner``: `streamleap run`) and what it did (``status``)."""
