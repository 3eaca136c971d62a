"""An S3 server to practise on, and the admin side of a least-privilege CI upload (question 8).

Two kinds of server, one interface (:class:`S3Server`):

- **A real MinIO**, when the three variables ``MLINFRA_MINIO_URL`` (``http://127.0.0.1:9000``),
  ``MLINFRA_MINIO_ROOT_USER`` and ``MLINFRA_MINIO_ROOT_PASSWORD`` (its root credentials) are set. Nothing is started
  or stopped; the admin helpers use MinIO's admin API.
- **The embedded default**: moto's S3 server in a child process on 127.0.0.1, on a port the OS picks, with
  authentication switched on (wrong secrets, unknown keys and missing permissions are refused), always stopped by
  :meth:`S3Server.stop` / the context manager, and also when the Python process that started it dies (the child
  watches its stdin pipe). Its limits: its admin API (``/moto-api``) is not authenticated (loopback, teaching use
  only), presigned URLs are refused once authentication is on, and it does not check checksums it is sent.

The admin helpers create a bucket, the CI policy (only ``s3:PutObject`` under one prefix) and a CI user that has
nothing but that policy. Nothing in here solves an exercise of the notebook.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import secrets as _secrets
import string
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from minio import Minio

REGION = "us-east-1"
ENV_URL, ENV_USER = "MLINFRA_MINIO_URL", "MLINFRA_MINIO_ROOT_USER"
ENV_PASSWORD = "MLINFRA_MINIO_ROOT_PASSWORD"  # pragma: allowlist secret (a variable name, not a value)
STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    """An access key pair, optionally with an STS session token. ``repr`` never shows the secret parts."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def as_env(self, url: str, region: str = REGION) -> dict[str, str]:
        """The environment variables a CI job sets for the upload (``MINIO_*``)."""
        env = {
            "MINIO_ENDPOINT": url,
            "MINIO_ACCESS_KEY": self.access_key,
            "MINIO_SECRET_KEY": self.secret_key,
            "MINIO_REGION": region,
        }
        if self.session_token:
            env["MINIO_SESSION_TOKEN"] = self.session_token
        return env


def _random_key(prefix: str = "AKIA") -> str:
    alphabet = string.ascii_uppercase + "234567"
    return prefix + "".join(_secrets.choice(alphabet) for _ in range(16))


def _random_secret() -> str:
    # 40 characters including '/' and '+', like real AWS secret keys (they need URL-encoding).
    alphabet = string.ascii_letters + string.digits + "/+"
    return "".join(_secrets.choice(alphabet) for _ in range(40))


def ci_policy(bucket: str, prefix: str) -> dict:
    """The least-privilege policy of a CI uploader: ``s3:PutObject`` on ``bucket/prefix*`` and nothing else."""
    if not bucket or "/" in bucket or "*" in bucket:
        raise ValueError(f"ongeldige bucketnaam: {bucket!r}")
    if not prefix or prefix.startswith("/") or not prefix.endswith("/") or "*" in prefix:
        raise ValueError(f"prefix moet niet-leeg zijn, eindigen op '/' en geen '*' of begin-'/' bevatten: {prefix!r}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UploadModelArtifactsOnly",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"],
            }
        ],
    }


class S3Server:
    """An S3 endpoint plus its admin credentials; ``kind`` is ``"moto"`` (embedded) or ``"minio"`` (real)."""

    def __init__(
        self, url: str, admin: Credentials, kind: str, process: subprocess.Popen | None = None, region: str = REGION
    ):
        self.url, self.admin, self.kind, self.region = url, admin, kind, region
        self._process = process
        parts = urlsplit(url)
        self.endpoint, self.secure = parts.netloc, parts.scheme == "https"

    def __repr__(self) -> str:
        return f"S3Server(kind={self.kind!r}, url={self.url!r}, running={self.running})"

    @property
    def running(self) -> bool:
        """Embedded: the child process is alive. A real MinIO is not ours to track: always ``True``."""
        if self.kind == "minio":
            return True
        return self._process is not None and self._process.poll() is None

    # -- clients -------------------------------------------------------------------------------------------------
    def client(self, creds: Credentials) -> Minio:
        """A ``minio`` client for ``creds``, with the region pinned (no GetBucketLocation round trip)."""
        return Minio(
            self.endpoint,
            access_key=creds.access_key,
            secret_key=creds.secret_key,
            session_token=creds.session_token,
            secure=self.secure,
            region=self.region,
        )

    def admin_client(self) -> Minio:
        return self.client(self.admin)

    def _boto(self, service: str, creds: Credentials | None = None):
        import boto3

        creds = creds or self.admin
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.session_token,
        )

    def _minio_admin(self):
        from minio.credentials import StaticProvider
        from minio.minioadmin import MinioAdmin

        return MinioAdmin(
            endpoint=self.endpoint,
            secure=self.secure,
            region=self.region,
            credentials=StaticProvider(self.admin.access_key, self.admin.secret_key),
        )

    # -- admin helpers ---------------------------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> None:
        """Create ``bucket`` (as admin) unless it exists."""
        client = self.admin_client()
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)

    def create_ci_user(self, name: str, bucket: str, prefix: str = "models/ci/") -> Credentials:
        """Create a user whose only permission is ``ci_policy(bucket, prefix)``; return its fresh access key."""
        policy = ci_policy(bucket, prefix)
        policy_name = f"{name}-upload"
        if self.kind == "minio":
            admin = self._minio_admin()
            creds = Credentials(name, _random_secret().replace("/", "x").replace("+", "y"))
            admin.user_add(creds.access_key, creds.secret_key)
            admin.policy_add(policy_name, policy=policy)
            admin.attach_policy([policy_name], user=creds.access_key)
            return creds
        iam = self._boto("iam")
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    def temporary_credentials(
        self, user: Credentials, name: str, bucket: str, prefix: str = "models/ci/", duration_seconds: int = 900
    ) -> Credentials:
        """Short-lived STS credentials (with a session token) restricted to ``ci_policy(bucket, prefix)``.

        On MinIO, ``user`` itself calls STS AssumeRole; on moto the admin assumes a role ``name`` that carries the
        CI policy (moto's STS needs a role). In CI you would use AssumeRoleWithWebIdentity with the job's OIDC token.
        """
        policy = json.dumps(ci_policy(bucket, prefix))
        if self.kind == "minio":
            from minio.credentials import AssumeRoleProvider

            got = AssumeRoleProvider(
                sts_endpoint=self.url,
                access_key=user.access_key,
                secret_key=user.secret_key,
                duration_seconds=duration_seconds,
                policy=policy,
                region=self.region,
            ).retrieve()
            return Credentials(got.access_key, got.secret_key, got.session_token)
        iam = self._boto("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}],
        }
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName=f"{name}-upload", PolicyDocument=policy)
        got = self._boto("sts").assume_role(RoleArn=arn, RoleSessionName=name, DurationSeconds=duration_seconds)[
            "Credentials"
        ]
        return Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])

    # -- lifetime --------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the embedded server (idempotent; a real MinIO is left alone)."""
        proc, self._process = self._process, None
        if proc is None:
            return
        with contextlib.suppress(Exception):
            proc.stdin.close()  # the child exits on EOF
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def real_minio_from_env() -> S3Server | None:
    """The real MinIO named by ``MLINFRA_MINIO_*``, or ``None`` when those variables are not (all) set."""
    values = {name: os.environ.get(name, "") for name in (ENV_URL, ENV_USER, ENV_PASSWORD)}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == 3:
        return None
    if missing:
        raise RuntimeError(f"Zet alle drie de variabelen voor een echte MinIO; ontbrekend: {', '.join(missing)}")
    url = values[ENV_URL]
    if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).netloc:
        raise RuntimeError(f"{ENV_URL} moet een URL zijn zoals http://127.0.0.1:9000")
    return S3Server(url, Credentials(values[ENV_USER], values[ENV_PASSWORD]), "minio")


def start_moto() -> S3Server:
    """Start moto's S3 server in a child process, create an admin user, switch authentication on."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        _warm_up_boto()  # while the child boots (they share little: the child is a separate interpreter)
        line = _readline(proc, STARTUP_TIMEOUT)
        if not line.startswith("PORT "):
            raise RuntimeError(f"de S3-server startte niet (uitvoer: {line!r})")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        server = S3Server(url, Credentials("bootstrap", "bootstrap"), "moto", proc)
        iam = server._boto("iam")
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin",
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        server.admin = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
        request = urllib.request.Request(
            f"{url}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            response.read()
        return server
    except BaseException:
        proc.kill()
        proc.wait(timeout=5)
        raise


def _warm_up_boto() -> None:
    """Import boto3 and load the IAM service model now, so the first admin call after start-up is fast."""
    import boto3

    boto3.client(
        "iam",
        endpoint_url="http://127.0.0.1:9",
        region_name=REGION,
        aws_access_key_id="warm",
        aws_secret_access_key="warm-up",
    )  # no request is sent


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box:
        proc.kill()
        raise RuntimeError(f"de S3-server was na {timeout:.0f} s nog niet gestart")
    return box[0].strip()


def start_server() -> S3Server:
    """A real MinIO when ``MLINFRA_MINIO_*`` is set, otherwise a fresh embedded moto server (call ``stop()``)."""
    return real_minio_from_env() or start_moto()


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """``with s3_server() as server:`` — the server of :func:`start_server`, stopped when the block ends."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


# -- a man in the middle, for the checksum demo and test ------------------------------------------------------------
class TamperingProxy:
    """An HTTP proxy on 127.0.0.1 that forwards to ``target_url`` and flips one byte of every PUT body.

    It simulates bytes damaged in transit (or changed by someone in between). Headers, including the signature, are
    forwarded unchanged. ``with TamperingProxy(url) as proxy:`` gives ``proxy.url``; ``proxy.tampered`` counts.
    """

    def __init__(self, target_url: str):
        target = urlsplit(target_url)
        outer = self
        self.tampered = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep the notebook quiet
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "PUT" and body:
                    body = body[:-1] + bytes([body[-1] ^ 0x01])
                    outer.tampered += 1
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in {"content-length", "transfer-encoding", "connection"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )  # short poll: stop() returns at once
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TamperingProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _serve() -> None:
    """Child process: run moto on a free loopback port, print it, exit when the parent closes our stdin."""
    import logging

    logging.disable(logging.CRITICAL)
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    try:
        sys.stdin.read()  # returns at EOF: the parent stopped us or died
    finally:
        os._exit(0)


if __name__ == "__main__":  # pragma: no cover - run as the child process
    if sys.argv[1:] == ["--serve"]:
        _serve()
    else:
        print("gebruik: python -m mlinfra.s3 --serve", file=sys.stderr)
        sys.exit(2)
