"""No credential a user passes in a URL or DSN is ever echoed: every secret-bearing shape,
through every command that takes one, against a loopback port nothing listens on. Each ends in
one ``Error:`` line, exit 1, and the secret is nowhere in stdout or stderr, --debug traceback
included."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from streamleap.cli import main
from streamleap.masking import is_secret_name, mask_text, mask_url, secrets_of
from tests.servers import free_port

ENV = {"COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb"}
SECRET = "Sekr1tPW"  # every shape hides this (or a variation of it); none of it may show
PORT = free_port()
HOST = f"127.0.0.1:{PORT}"

# (shape name, URL or DSN with the secret)
SOURCE_URLS = [
    ("userinfo", f"postgresql://app:{SECRET}@{HOST}/db"),
    ("userinfo-postgres-scheme", f"postgres://app:{SECRET}@{HOST}/db?schema=public"),
    ("userinfo-encoded-colon-in-user", f"postgresql://app%3A{SECRET}@{HOST}/db"),
    ("userinfo-encoded-at", f"postgresql://app:{SECRET}%40x@{HOST}/db"),
    ("userinfo-raw-at", f"postgresql://app:{SECRET}@x@{HOST}/db"),
    ("userinfo-raw-slash", f"postgresql://app:{SECRET}/x@{HOST}/db"),
    ("userinfo-raw-question", f"postgresql://app:{SECRET}?x@{HOST}/db"),
    ("userinfo-raw-hash", f"postgresql://app:{SECRET}#x@{HOST}/db"),
    ("userinfo-bad-port", f"postgresql://app:{SECRET}@127.0.0.1:nope/db"),
    ("userinfo-percent-encoded-all", "postgresql://app:%53%65%6B%72%31%74%50%57@" + HOST + "/db"),
    ("password-param", f"postgresql://app@{HOST}/db?password={SECRET}"),
    ("password-param-case", f"postgresql://app@{HOST}/db?PassWord={SECRET}"),
    ("password-param-encoded-name", f"postgresql://app@{HOST}/db?password%3D={SECRET}"),
    ("sslpassword", f"postgresql://app@{HOST}/db?sslmode=disable&sslpassword={SECRET}"),
    ("sslpassword-encoded-name", f"postgresql://app@{HOST}/db?ssl%70assword={SECRET}"),
    ("passfile", f"postgresql://app@{HOST}/db?passfile=/home/{SECRET}.pgpass"),
    ("token-and-userinfo", f"postgresql://app:pw1x@{HOST}/db?token={SECRET}"),
    ("user-and-password-params", f"postgresql://{HOST}/db?user=app&password={SECRET}&application_name=x"),
    ("host-in-params", f"postgresql:///db?host=127.0.0.1&port={PORT}&password={SECRET}"),
    ("mysql-userinfo", f"mysql://root:{SECRET}@{HOST}/shop"),
    ("mysql-encoded-colon", f"mysql://root:{SECRET}%3Ax@{HOST}/shop"),
    ("mariadb-userinfo", f"mariadb://root:{SECRET}@{HOST}/shop"),
    ("mysql-password-param", f"mysql://root@{HOST}/shop?password={SECRET}"),
    ("mysql-aws-secret", f"mysql://root@{HOST}/shop?aws_secret_access_key={SECRET}"),
    ("mysql-api-key-semicolon", f"mysql://root@{HOST}/shop?api_key={SECRET};x=1"),
    ("no-scheme-userinfo", f"app:{SECRET}@{HOST}/db"),
    ("unknown-scheme", f"oracle://app:{SECRET}@{HOST}/db"),
    ("dsn", f"host=127.0.0.1 port={PORT} user=app password={SECRET} dbname=db"),
    ("dsn-quoted", f"host=127.0.0.1 port={PORT} password='{SECRET} x' dbname=db"),
    ("dsn-escaped-quote", f"host=127.0.0.1 password = '{SECRET}\\'x' sslpassword={SECRET}2"),
]

KINESIS_ENDPOINTS = [
    ("endpoint-userinfo", f"http://AKIAEXAMPLE:{SECRET}@{HOST}"),
    ("endpoint-user-only-encoded", f"http://AKIA%3A{SECRET}@{HOST}"),
    ("endpoint-https-userinfo", f"https://u:{SECRET}@kinesis.example.com"),
    ("endpoint-signature-param", f"http://{HOST}/?X-Amz-Signature={SECRET}"),
    ("endpoint-security-token", f"http://{HOST}/?X-Amz-Security-Token={SECRET}&a=1"),
    ("endpoint-bad-port-userinfo", f"http://u:{SECRET}@127.0.0.1:port"),
]


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # pragma: no cover - old click
    return CliRunner()


def _leaks(text: str) -> bool:
    """The secret, or most of it, in any form the shapes use."""
    return any(part in text for part in (SECRET, SECRET[:6], "%53%65%6B%72", "Sekr1t"))


def _commands(url: str, tmp_path) -> dict[str, list[str]]:
    project = tmp_path / "p"
    project.mkdir(exist_ok=True)
    (project / "dbt_project.yml").write_text("name: p\n")
    return {
        "plan": ["plan", "--source-url", url],
        "plan-tables": ["plan", "--source-url", url, "--tables", "cart"],
        "generate": ["generate", "--project-dir", str(project), "--stream", "s", "--source-url", url],
        "aws check-source": ["aws", "check-source", "--source-url", url, "--tables", "public.cart"],
        "aws init-config": ["aws", "init-config", "--config", str(tmp_path / "c.yml"), "--source-url", url],
        "capture": ["capture", "--source-url", url, "--stream", "s", "--state-dir", str(tmp_path / "state")],
    }


def _assert_masked(args: list[str], debug: bool) -> None:
    result = _runner().invoke(main, [*(["--debug"] if debug else []), *args], env=ENV)
    shown = result.stdout + result.stderr
    assert result.exit_code == 1, (args, result.exit_code, shown)
    assert not _leaks(shown), (args, shown)
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("Error: "), shown
    if not debug:
        assert len(lines) == 1 and "Traceback" not in shown, shown
    else:
        assert "Traceback (most recent call last)" in shown or len(lines) == 1, shown


@pytest.mark.parametrize("shape, url", SOURCE_URLS, ids=[s for s, _ in SOURCE_URLS])
def test_source_urls_never_echo_their_secret(shape, url, tmp_path):
    for _name, args in _commands(url, tmp_path).items():
        for debug in (False, True):
            _assert_masked(args, debug)


@pytest.mark.parametrize("shape, endpoint", KINESIS_ENDPOINTS, ids=[s for s, _ in KINESIS_ENDPOINTS])
def test_kinesis_endpoints_never_echo_their_secret(shape, endpoint, tmp_path):
    commands = [
        ["run", "--project-dir", str(tmp_path), "--cycles", "1", "--kinesis-endpoint", endpoint],
        ["capture", "--source-url", f"postgresql://app@{HOST}/db", "--stream", "s", "--kinesis-endpoint", endpoint],
    ]
    for args in commands:
        for debug in (False, True):
            _assert_masked(args, debug)
        line = _runner().invoke(main, args, env=ENV).stderr.strip()
        assert line.startswith("Error: --kinesis-endpoint") and "http://127.0.0.1:4567" in line, line
    # and from the environment, as STREAMLEAP_KINESIS_ENDPOINT
    result = _runner().invoke(main, commands[0][:-2], env={**ENV, "STREAMLEAP_KINESIS_ENDPOINT": endpoint})
    assert result.exit_code == 1 and not _leaks(result.stdout + result.stderr), result.stderr


def test_the_shapes_table_is_wide_enough():
    assert len(SOURCE_URLS) >= 25 and len({s for s, _ in SOURCE_URLS}) == len(SOURCE_URLS)


@pytest.mark.parametrize("shape, url", SOURCE_URLS + KINESIS_ENDPOINTS, ids=[s for s, _ in SOURCE_URLS + KINESIS_ENDPOINTS])
def test_mask_url_and_mask_text(shape, url):
    """The masking functions alone: the secret goes, the place stays (host and port)."""
    masked = mask_url(url)
    assert not _leaks(masked), masked
    assert "***" in masked
    if "127.0.0.1" in url and "nope" not in url and "port" not in url.split("127.0.0.1", 1)[1][:6]:
        assert "127.0.0.1" in masked
    message = f"cannot connect to {url}: the server said {url.rsplit('@', 1)[0]} is wrong"
    assert not _leaks(mask_text(message, secrets_of(url))), mask_text(message, secrets_of(url))


def test_masking_keeps_what_is_not_a_secret():
    # the form streamleap printed before for a password in the user info or password=: unchanged
    # (capture's checkpoint file is named by it)
    assert mask_url("postgresql://u:pw@h:5432/db?sslmode=require&password=x") == "postgresql://u:***@h:5432/db?sslmode=require&password=***"
    assert mask_url("mysql://root@h/db") == "mysql://root@h/db"
    for text in ("--key cart=id and unique_key=id, sslmode=require", "--key password_resets=COLUMN[,COLUMN]",
                 "--exclude-columns api_tokens.value, --key token_log=id"):
        assert mask_text(text) == text
    assert mask_text("retrying with sslpassword=abc and client_secret=xyz") == "retrying with sslpassword=*** and client_secret=***"
    for name in ("password", "PASSWORD", "sslpassword", "passfile", "pass%77ord", "aws_secret_access_key", "X-Amz-Security-Token",
                 "api-key", "key", "sslkey", "token", "client_secret"):
        assert is_secret_name(name), name
    for name in ("user", "host", "sslmode", "schema", "application_name", "dbname", "unique_key", "keepalives"):
        assert not is_secret_name(name), name


def test_capture_finds_a_checkpoint_named_by_the_old_masking(tmp_path):
    """A checkpoint named (and holding the URL masked) the way URLs were masked before is moved
    to the current name with the URL masked as now: a restart resumes, nothing is re-sent."""
    import json

    from streamleap.capture.checkpoint import Checkpoint, CheckpointStore, default_path
    from streamleap.capture.checkpoint import checkpoint_path
    from streamleap.masking import mask_url_v1

    url = f"postgresql://app:pw@{HOST}/db?sslpassword={SECRET}"
    old = default_path(tmp_path, "s", mask_url_v1(url))
    CheckpointStore(old).save(Checkpoint(mask_url_v1(url), "s", ["public.cart"], True, {"lsn": "0/16B3748"}))
    assert SECRET in old.read_text()
    path = checkpoint_path(tmp_path, "s", url)
    assert path != old and not old.exists()
    moved = json.loads(path.read_text())
    assert moved["position"] == {"lsn": "0/16B3748"} and moved["snapshot_done"] is True
    assert SECRET not in path.read_text() and moved["source"] == mask_url(url)
    # a URL masked the same both ways keeps its file
    plain = f"postgresql://app:pw@{HOST}/db"
    assert checkpoint_path(tmp_path, "s", plain) == default_path(tmp_path, "s", mask_url_v1(plain))


def test_no_raw_python_error_names_in_error_lines(tmp_path):
    """Every error line above is streamleap's own: none is a bare ``ValueError: ...``."""
    for _shape, url in SOURCE_URLS[:3] + SOURCE_URLS[-3:]:
        result = _runner().invoke(main, ["plan", "--source-url", url], env=ENV)
        assert not re.search(r"^Error: [A-Z][A-Za-z]+Error:", result.stderr), result.stderr


def test_an_unwritable_state_dir_is_one_line_before_anything_is_captured(tmp_path):
    from streamleap.capture.checkpoint import checkpoint_path
    from streamleap.errors import StreamleapError

    with pytest.raises(StreamleapError, match=r"^--state-dir /proc/nope: cannot create it"):
        checkpoint_path(Path("/proc/nope"),
                         "s", f"postgresql://app:{SECRET}@{HOST}/db")
