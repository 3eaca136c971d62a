"""Unit tests for mlinfra.s3: the embedded S3 server, its authentication, the admin helpers and the tampering proxy.

They run against the embedded moto server; the last test runs against a real MinIO only when MLINFRA_MINIO_* is set.
"""

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlsplit

import pytest
from minio import Minio
from minio.error import S3Error

from mlinfra import s3
from mlinfra.s3 import Credentials, TamperingProxy, ci_policy


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _code(call) -> str:
    try:
        call()
        return "OK"
    except S3Error as exc:
        return exc.code


@pytest.fixture(scope="module")
def server():
    srv = s3.start_moto()
    try:
        srv.create_bucket("models")
        srv.create_bucket("other")
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def ci_user(server):
    return server.create_ci_user("unit-ci", "models", "models/ci/")


def test_ci_policy_allows_only_put_under_prefix():
    """The CI policy has one Allow statement: s3:PutObject on bucket/prefix*."""
    policy = ci_policy("models", "models/ci/")
    assert policy["Statement"] == [
        {
            "Sid": "UploadModelArtifactsOnly",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": ["arn:aws:s3:::models/models/ci/*"],
        }
    ]


@pytest.mark.parametrize(
    "bucket, prefix",
    [("", "a/"), ("a/b", "x/"), ("models", ""), ("models", "ci"), ("models", "/ci/"), ("models", "c*/")],
)
def test_ci_policy_rejects_bad_names(bucket, prefix):
    """Empty or wildcard names, a prefix without trailing '/' or with a leading '/' give a Dutch ValueError."""
    with pytest.raises(ValueError, match="ongeldige|prefix"):
        ci_policy(bucket, prefix)


def test_credentials_repr_hides_secrets():
    """repr(Credentials) shows the access key id but neither the secret nor the session token."""
    creds = Credentials("AKIAEXAMPLE", "very-secret-value", "session-token-value")
    text = repr(creds)
    assert "AKIAEXAMPLE" in text and "very-secret" not in text and "session-token" not in text
    env = creds.as_env("http://127.0.0.1:1")
    assert env["MINIO_SESSION_TOKEN"] == "session-token-value" and env["MINIO_REGION"] == s3.REGION


def test_embedded_server_is_loopback_and_running(server):
    """The embedded server listens on 127.0.0.1 and reports itself as running."""
    parts = urlsplit(server.url)
    assert parts.hostname == "127.0.0.1" and server.kind == "moto" and server.running
    assert _port_open(parts.port)


def test_authentication_is_on(server, ci_user):
    """A wrong secret and an unknown key are refused with the S3 error codes a real MinIO uses."""
    wrong = server.client(Credentials(ci_user.access_key, ci_user.secret_key[:-2] + "xx"))
    unknown = server.client(Credentials("AKIA" + "Z" * 16, ci_user.secret_key))
    put = lambda c: c.put_object("models", "models/ci/a.bin", io.BytesIO(b"a"), 1)  # noqa: E731
    assert _code(lambda: put(wrong)) == "SignatureDoesNotMatch"
    assert _code(lambda: put(unknown)) == "InvalidAccessKeyId"


def test_ci_user_may_only_put_under_its_prefix(server, ci_user):
    """The CI user can upload under models/ci/ and nothing else: no read, list, delete, other prefix or bucket."""
    ci = server.client(ci_user)
    body = lambda: io.BytesIO(b"x")  # noqa: E731
    assert _code(lambda: ci.put_object("models", "models/ci/ok.bin", body(), 1)) == "OK"
    refused = {
        "other prefix": lambda: ci.put_object("models", "models/prod/x.bin", body(), 1),
        "other bucket": lambda: ci.put_object("other", "models/ci/x.bin", body(), 1),
        "get": lambda: ci.get_object("models", "models/ci/ok.bin").read(),
        "stat": lambda: ci.stat_object("models", "models/ci/ok.bin"),
        "list": lambda: list(ci.list_objects("models", recursive=True)),
        "delete": lambda: ci.remove_object("models", "models/ci/ok.bin"),
    }
    assert {name: _code(call) for name, call in refused.items()} == {name: "AccessDenied" for name in refused}
    assert server.admin_client().get_object("models", "models/ci/ok.bin").read() == b"x"


def test_client_without_region_is_refused(server, ci_user):
    """Without region= the SDK asks GetBucketLocation first, which the CI user may not do."""
    client = Minio(server.endpoint, access_key=ci_user.access_key, secret_key=ci_user.secret_key, secure=False)
    assert _code(lambda: client.put_object("models", "models/ci/r.bin", io.BytesIO(b"r"), 1)) == "AccessDenied"


def test_create_bucket_is_idempotent(server):
    """Creating an existing bucket again is not an error."""
    server.create_bucket("models")
    assert server.admin_client().bucket_exists("models")


def test_temporary_credentials_carry_token_and_policy(server, ci_user):
    """STS credentials have a session token, can upload under the prefix and nowhere else."""
    temp = server.temporary_credentials(ci_user, "unit-role", "models", "models/ci/")
    assert temp.session_token and temp.access_key.startswith("ASIA")
    client = server.client(temp)
    assert _code(lambda: client.put_object("models", "models/ci/sts.bin", io.BytesIO(b"s"), 1)) == "OK"
    assert _code(lambda: client.put_object("models", "models/x/sts.bin", io.BytesIO(b"s"), 1)) == "AccessDenied"


def test_tampering_proxy_flips_one_byte(server, ci_user):
    """Through the proxy the server stores the body with its last byte changed, and returns that body's ETag."""
    data = bytes(range(256)) * 4
    with TamperingProxy(server.url) as proxy:
        client = Minio(
            urlsplit(proxy.url).netloc,
            access_key=ci_user.access_key,
            secret_key=ci_user.secret_key,
            secure=False,
            region=server.region,
        )
        result = client.put_object("models", "models/ci/t.bin", io.BytesIO(data), len(data))
        proxy_port = urlsplit(proxy.url).port
    stored = server.admin_client().get_object("models", "models/ci/t.bin").read()
    assert proxy.tampered == 1 and len(stored) == len(data)
    assert sum(a != b for a, b in zip(data, stored)) == 1
    import hashlib

    assert result.etag == hashlib.md5(stored).hexdigest() != hashlib.md5(data).hexdigest()
    assert not _port_open(proxy_port)


def test_stop_closes_port_and_is_idempotent():
    """stop() ends the child process and frees the port; a second stop() does nothing."""
    srv = s3.start_moto()
    port = urlsplit(srv.url).port
    srv.stop()
    assert not srv.running and not _port_open(port)
    srv.stop()


def test_context_manager_stops_on_error(monkeypatch):
    """s3_server() stops the embedded server also when the block raises."""
    monkeypatch.delenv(s3.ENV_URL, raising=False)
    with pytest.raises(KeyError):
        with s3.s3_server() as srv:
            port = urlsplit(srv.url).port
            raise KeyError("boom")
    assert not srv.running and not _port_open(port)


def test_child_exits_when_parent_dies(tmp_path):
    """If the process that started the server dies without stop(), the server process exits by itself."""
    script = textwrap.dedent("""
        import os
        from mlinfra.s3 import start_moto
        srv = start_moto()
        print(srv._process.pid, flush=True)
        os._exit(1)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    child = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(child, 9)
    pytest.fail("the moto child process outlived its parent")


def test_real_minio_env_is_all_or_nothing(monkeypatch):
    """No MLINFRA_MINIO_* → None (embedded server); some but not all, or a bad URL → Dutch RuntimeError."""
    for name in (s3.ENV_URL, s3.ENV_USER, s3.ENV_PASSWORD):
        monkeypatch.delenv(name, raising=False)
    assert s3.real_minio_from_env() is None
    monkeypatch.setenv(s3.ENV_URL, "http://127.0.0.1:9000")
    with pytest.raises(RuntimeError, match="ontbrekend"):
        s3.real_minio_from_env()
    monkeypatch.setenv(s3.ENV_USER, "admin")
    monkeypatch.setenv(s3.ENV_PASSWORD, "x" * 12)
    srv = s3.real_minio_from_env()
    assert srv.kind == "minio" and srv.endpoint == "127.0.0.1:9000" and not srv.secure and srv.running
    monkeypatch.setenv(s3.ENV_URL, "127.0.0.1:9000")
    with pytest.raises(RuntimeError, match="URL"):
        s3.real_minio_from_env()


def test_cli_without_serve_flag_exits_2():
    """Running the module file without --serve prints usage and exits with 2 (no server started)."""
    proc = subprocess.run([sys.executable, s3.__file__], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "gebruik" in proc.stderr


@pytest.mark.skipif(not os.environ.get(s3.ENV_URL), reason="no real MinIO configured (MLINFRA_MINIO_URL unset)")
def test_real_minio_least_privilege():
    """Against a real MinIO: the CI user can upload under its prefix and is refused reading and other prefixes."""
    srv = s3.start_server()
    bucket = f"mlinfra-test-{os.getpid()}"
    srv.create_bucket(bucket)
    ci = srv.client(srv.create_ci_user(f"mlinfra-ci-{os.getpid()}", bucket, "models/ci/"))
    assert _code(lambda: ci.put_object(bucket, "models/ci/a.bin", io.BytesIO(b"a"), 1)) == "OK"
    assert _code(lambda: ci.put_object(bucket, "models/prod/a.bin", io.BytesIO(b"a"), 1)) == "AccessDenied"
    assert _code(lambda: ci.get_object(bucket, "models/ci/a.bin").read()) == "AccessDenied"
    assert json.loads(json.dumps(ci_policy(bucket, "models/ci/")))  # the policy is plain JSON
