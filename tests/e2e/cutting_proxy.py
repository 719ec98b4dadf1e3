"""A proxy in front of the app that loses answers, for any browser: the first request
to each chosen path reaches the server, which stores it and answers, and the phone's
connection is then closed without that answer (a lift, a tunnel, a dead cell). Every
other request passes. One request per connection (`Connection: close` upstream), so
each is seen whole: request line, headers, and a body of Content-Length bytes."""
from __future__ import annotations

import asyncio
import re


class CuttingProxy:
    def __init__(self, upstream_port: int, cut: dict[str, str]) -> None:
        """cut: {name: regex on "METHOD path"}; `cuts[name]` counts the answers lost."""
        self.upstream_port = upstream_port
        self.patterns = {name: re.compile(pattern) for name, pattern in cut.items()}
        self.cuts = {name: 0 for name in cut}
        self.server: asyncio.AbstractServer | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        headers = [line for line in lines[1:] if line and not line.lower().startswith(("connection:", "keep-alive:"))]
        request = "\r\n".join([lines[0], *headers, "Connection: close", "", ""]).encode("latin-1") + body
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        up_writer.write(request)
        await up_writer.drain()
        answer = await up_reader.read()  # the server's whole answer, until it closes
        up_writer.close()
        name = next((n for n, p in self.patterns.items() if p.search(f"{method} {path}")), None)
        if name is not None and self.cuts[name] == 0:
            self.cuts[name] += 1
            writer.transport.abort()  # stored on the server; the phone hears nothing
            return
        writer.write(answer)
        try:
            await writer.drain()
        finally:
            writer.close()
