"""Customer Service Center: inspection, rectification, handover, delivery."""
import os

os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
