"""Customer Service Center: inspection, rectification, handover, delivery."""
import os

os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")

from server import piccolo_speedups  # noqa: E402  (after PICCOLO_CONF is set)

piccolo_speedups.apply()
