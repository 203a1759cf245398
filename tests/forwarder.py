"""A TCP forwarder of the test's own, in a thread of the test process: it makes a server that listens on
loopback only (PostgreSQL, Redis) reachable at another local address, and can be cut off and restored,
as a server restart looks to its clients.

``Forwarder(listen_host, target_host, target_port)`` listens on a free port of ``listen_host``; every
connection it accepts is piped both ways to the target. ``cut()`` stops listening (new connections are
refused) and aborts every forwarded connection on both sides, as a crashed server's would be; the
target sees its clients go away. ``restore()`` listens on the same port again.
"""

import asyncio
import threading

CONTROL_TIMEOUT = 10
CHUNK = 64 * 1024


class Forwarder:
    """Forward ``listen_host:<port>`` to ``target_host:target_port`` until ``close()``."""

    def __init__(self, listen_host: str, target_host: str, target_port: int):
        self.listen_host, self.target_host, self.target_port = listen_host, target_host, target_port
        self.port = 0
        self.accepted = 0
        self._server = None
        self._transports = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="forwarder", daemon=True)
        self._thread.start()
        self._call(self._listen())

    def _call(self, coroutine):
        """Run ``coroutine`` on the forwarder's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CONTROL_TIMEOUT)

    async def _listen(self):
        self._server = await asyncio.start_server(self._forward, self.listen_host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _forward(self, client_reader, client_writer):
        self.accepted += 1
        self._transports.add(client_writer.transport)
        try:
            target_reader, target_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            client_writer.transport.abort()
            self._transports.discard(client_writer.transport)
            return
        self._transports.add(target_writer.transport)
        try:
            await asyncio.gather(self._pipe(client_reader, target_writer), self._pipe(target_reader, client_writer))
        finally:
            for writer in (client_writer, target_writer):
                self._transports.discard(writer.transport)
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader, writer):
        """Copy until either side closes; then close the other (half-closing is not needed here)."""
        try:
            while chunk := await reader.read(CHUNK):
                writer.write(chunk)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()

    async def _cut(self):
        self._server.close()
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()
        await self._server.wait_closed()

    def cut(self):
        """Refuse new connections and drop every open one, now."""
        self._call(self._cut())

    def restore(self):
        """Listen again on the same port."""
        self._call(self._listen())

    def close(self):
        """Cut, and stop the thread."""
        self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT)
        self._loop.close()
