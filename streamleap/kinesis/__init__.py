"""Kinesis: the client (``client``), putting records within Kinesis's limits (``writer``), and the
embedded endpoint of the local pipeline (``local``)."""
