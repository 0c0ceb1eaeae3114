"""Errors a user can cause. Each carries one line that names the input and what to do."""


class StreamleapError(Exception):
    """A problem with the user's input or environment; the CLI prints it as one line, exit 1."""


class DDLParseError(StreamleapError):
    pass


class UnsupportedTypeError(StreamleapError):
    def __init__(self, table: str, column: str, source_type: str, hint: str = ""):
        self.table, self.column, self.source_type, self.hint = table, column, source_type, hint
        msg = f"table {table}, column {column}: type {source_type!r} is not supported"
        super().__init__(msg + (f"; {hint}" if hint else ""))


class MissingPrimaryKeyError(StreamleapError):
    pass


class UnknownTableError(StreamleapError):
    pass


class SourceConnectionError(StreamleapError):
    pass
