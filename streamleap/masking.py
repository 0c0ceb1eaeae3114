"""Credentials out of everything streamleap echoes: URLs, libpq key=value strings, messages.

``mask_url`` is the one place a URL or DSN a user passes (``--source-url``, ``--kinesis-endpoint``,
``STREAMLEAP_SOURCE_URL``) is made printable; ``mask_text`` applies it to every URL and DSN
setting in a message (an error line, a traceback, a log line); ``secrets_of`` lists the secret
values a URL or DSN holds, so that a message quoting one anyway (a driver error) loses it too.

What counts as a credential:

* the password of the user info (``u:pw@``), however encoded: a ``%3A`` in the user name is a
  colon once decoded, so ``u%3Apw@`` shows as ``u:***@``;
* a query parameter or DSN setting whose name, percent-decoded and compared without case and
  punctuation, names a secret (``SECRET_NAME``): ``password``, ``sslpassword``, ``passfile``,
  ``PassWord%3D``, ``secret``, ``token``, ``aws_secret_access_key``, ``X-Amz-Signature``,
  ``api_key``, ``key``, ``sslkey``, ...; its value becomes ``***``.

The user info ends at the URL's last ``@``, so a password with an unencoded ``@ / ? #`` is still
hidden whole: at worst more than the secret is masked, never less.

>>> mask_url("postgresql://app:s3cret@db:5432/shop?sslmode=require&sslpassword=k3y")
'postgresql://app:***@db:5432/shop?sslmode=require&sslpassword=***'
>>> mask_url("mysql://u%3Apw@127.0.0.1/db")
'mysql://u:***@127.0.0.1/db'
>>> mask_url("host=db user=app password='it''s secret' sslmode=require")
'host=db user=app password=*** sslmode=require'
>>> mask_text("cannot connect to postgres://a:b@h/d?token=t: timeout")
'cannot connect to postgres://a:***@h/d?token=***: timeout'
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["MASK", "is_secret_name", "mask_url", "mask_text", "secrets_of"]

MASK = "***"

# Parts of a parameter name (lower case, letters and digits only) that make its value a secret.
SECRET_NAME_PARTS = ("pass", "pwd", "secret", "token", "credential", "signature", "apikey", "privatekey",
                     "authorization", "sessionkey", "accesskey", "clientkey")
# Whole names (same form) whose value is a secret.
SECRET_NAMES = frozenset({"key", "sslkey", "auth", "pw", "pin", "passfile"})
# In free text (a message, not a URL or DSN), a ``name=value`` is a secret setting only when the
# name ends like one (``sslpassword=``, ``client_secret=``): ``--key password_resets=id`` in a
# hint is a table name, not a password.
SECRET_NAME_ENDS = ("password", "passwd", "pwd", "secret", "token", "secretaccesskey", "apikey", "signature", "credentials")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# a URL in free text: from its scheme to the next whitespace or closing quote
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
# a libpq-style setting: name = value, the value bare or single-quoted (backslash escapes, '')
_SETTING = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.%\-]*)(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.|'')*'?|[^\s&;,)]*)")


def is_secret_name(name: str) -> bool:
    """Whether a parameter of this name holds a secret: decoded, case and punctuation ignored."""
    folded = re.sub(r"[^a-z0-9]", "", unquote(name).lower())
    return folded in SECRET_NAMES or any(part in folded for part in SECRET_NAME_PARTS)


def mask_url(url: str) -> str:
    """``url`` (or a libpq ``key=value`` string) with every credential replaced by ``***``.

    A URL's form is kept (scheme, user name, host, port, path, the other parameters), so the
    result names the same place; for the URLs that only held a user-info password or a
    ``password=`` parameter it is what streamleap always printed.
    """
    if not _SCHEME.match(url):
        if "@" in url.split("=", 1)[0] or "=" not in url:
            return _mask_url_parts("", url)  # user:password@host without a scheme
        return _mask_settings(url)
    scheme, sep, rest = url.partition("://")
    return _mask_url_parts(scheme + sep, rest)


def _mask_url_parts(prefix: str, rest: str) -> str:
    userinfo, at, tail = rest.rpartition("@")
    if at:
        if ":" in userinfo:
            rest = f"{userinfo.split(':', 1)[0]}:{MASK}@{tail}"
        elif ":" in unquote(userinfo):  # u%3Apw: the user name holds the password once decoded
            rest = f"{unquote(userinfo).split(':', 1)[0]}:{MASK}@{tail}"
        elif is_secret_name(unquote(userinfo).split("=", 1)[0]) and "=" in unquote(userinfo):
            rest = f"{MASK}@{tail}"
    before, question, query = rest.partition("?")
    if question:
        query, hash_, fragment = query.partition("#")
        pieces = []
        for piece in re.split(r"([&;])", query):
            name, eq, _value = piece.partition("=")
            pieces.append(f"{name}={MASK}" if eq and is_secret_name(name) else piece)
        rest = before + "?" + "".join(pieces) + hash_ + (_mask_settings(fragment) if hash_ else "")
    return prefix + rest


def _is_secret_setting_in_text(name: str) -> bool:
    folded = re.sub(r"[^a-z0-9]", "", unquote(name).lower())
    return folded in SECRET_NAMES or folded.endswith(SECRET_NAME_ENDS)


def _mask_settings(text: str, secret_name=is_secret_name) -> str:
    """``name=value`` settings whose name is a secret's, valued ``***`` (libpq DSN strings,
    ``-c password=...``, a query string quoted in a message)."""

    def one(m: re.Match) -> str:
        if not secret_name(m.group("name")) or not m.group("value") or m.group("value").startswith(MASK):
            return m.group(0)
        return f"{m.group('name')}{m.group('eq')}{MASK}"

    return _SETTING.sub(one, text)


def mask_text(text: str, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """``text`` with every URL masked (``mask_url``), every secret ``name=value`` setting
    valued ``***``, and each of ``secrets`` (values ``secrets_of`` found in what the user
    passed) replaced by ``***`` wherever it still appears."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:  # shorter ones would mask ordinary words: the forms above hide them
            text = text.replace(secret, MASK)
    text = _URL_IN_TEXT.sub(_mask_url_in_text, text)
    return _mask_settings(text, _is_secret_setting_in_text)


def _mask_url_in_text(m: re.Match) -> str:
    url = m.group(0)
    trailing = len(url) - len(url.rstrip(".,:;)]}"))  # the sentence's punctuation, not the URL's
    return mask_url(url[:len(url) - trailing]) + url[len(url) - trailing:]


def secrets_of(value: str | None) -> set[str]:
    """The secret values a URL or DSN holds, as written and decoded: its user-info password,
    and the values of its secret parameters or settings."""
    found: set[str] = set()
    if not value:
        return found
    rest = value.partition("://")[2] if _SCHEME.match(value) else value
    userinfo, at, tail = rest.rpartition("@")
    if at:
        decoded = unquote(userinfo)
        if ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
        if ":" in decoded:
            found.add(decoded.split(":", 1)[1])
        rest = tail
    for m in _SETTING.finditer(rest):
        if is_secret_name(m.group("name")) and m.group("value"):
            raw = m.group("value")
            found.add(raw)
            inner = raw[1:-1] if len(raw) > 1 and raw.startswith("'") and raw.endswith("'") else raw
            found.update({inner, unquote(inner), inner.replace("''", "'").replace("\\'", "'")})
    return {s for s in found if s}


def mask_url_v1(url: str) -> str:
    """How URLs were masked before this module (only the user-info password and ``password=``
    parameters). Kept for one purpose: capture names its checkpoint file by the masked source
    URL, and finds (and renames) a checkpoint named the old way. Never print its result."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    userinfo, at, tail = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:***@{tail}"
    before, question, query = rest.partition("?")
    if question:
        pieces = []
        for piece in query.split("&"):
            key, eq, _value = piece.partition("=")
            pieces.append(f"{key}=***" if eq and unquote(key).lower() == "password" else piece)
        rest = before + "?" + "&".join(pieces)
    return f"{scheme}{sep}{rest}"
