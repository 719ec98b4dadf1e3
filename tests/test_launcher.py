"""`python -m server run` (what `make run` calls): starts its own Redis, migrates, loads the
demo, serves the site in Chinese, and Ctrl-C to the process group stops everything it started."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("sqlite"), reason="uses its own SQLite file")
def test_run_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/run.db", PORT=str(port), MEDIA_ROOT=str(tmp_path / "media"),
               LOCAL_REDIS_DIR=str(tmp_path / "redis"))
    process = subprocess.Popen([sys.executable, "-m", "server", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if f"http://127.0.0.1:{port}/" in line:
                break
        else:
            pytest.fail("no URL printed:\n" + "".join(lines))
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "登录" in page
        assert any("Demo data loaded" in line for line in lines)
        assert any("Started a local Redis" in line for line in lines)
        group = os.getpgid(process.pid)
        os.killpg(group, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert process.wait(timeout=30) == 0
        time.sleep(1)
        left = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
        assert left == [], "processes left running: " + " ".join(left)
    finally:
        if process.poll() is None:
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)
