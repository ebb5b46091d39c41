"""TCP proxies that count what a server is sent: PostgreSQL statements, Redis commands.

Counting on the wire sees every statement whatever the client does (COPY, pipeline
mode, prepared statements, BEGIN and COMMIT), which a Django execute_wrapper would
miss. A round trip is counted each time a client sends after the server last spoke.
The proxies add latency, so the bench counts in a separate pass, never while timing.
"""

import asyncio
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


@dataclass
class Tally:
    statements: int = 0  # PostgreSQL: Query and Execute messages; Redis: commands
    round_trips: int = 0
    names: Counter = field(default_factory=Counter)  # statement shapes or command names

    def minus(self, earlier: "Tally") -> "Tally":
        return Tally(
            self.statements - earlier.statements,
            self.round_trips - earlier.round_trips,
            self.names - earlier.names,
        )

    def copy(self) -> "Tally":
        return Tally(self.statements, self.round_trips, Counter(self.names))


def _cstring(data: bytes, start: int) -> tuple[str, int]:
    end = data.index(0, start)
    return data[start:end].decode(errors="replace"), end + 1


SELECTED_COLUMNS = re.compile(r'SELECT (DISTINCT )?(?:"\w+"\."\w+"(?: AS "\w+")?(?:, )?)+ FROM')


def sql_shape(text: str) -> str:
    """A statement without its literals and column lists, short enough for a summary line."""
    text = re.sub(r"'(?:[^']|'')*'", "?", " ".join(text.split()))
    text = re.sub(r"\b\d+\b", "?", text)
    text = SELECTED_COLUMNS.sub(r"SELECT \1… FROM", text).replace('"', "")
    return text if len(text) <= 150 else text[:147] + "..."


class PostgresParser:
    """Reads the frontend (client) side of the PostgreSQL protocol, message by message."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.started = False
        self.prepared: dict[str, str] = {}  # statement name -> SQL
        self.portals: dict[str, str] = {}  # portal name -> statement name

    def feed(self, data: bytes, tally: Tally) -> None:
        self.buffer += data
        while True:
            if not self.started:  # startup: length, then a code, no type byte
                if len(self.buffer) < 8:
                    return
                length = int.from_bytes(self.buffer[:4])
                code = int.from_bytes(self.buffer[4:8])
                if len(self.buffer) < length:
                    return
                del self.buffer[:length]
                self.started = code not in (SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST)
                continue
            if len(self.buffer) < 5:
                return
            length = int.from_bytes(self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return
            kind, body = chr(self.buffer[0]), bytes(self.buffer[5 : 1 + length])
            del self.buffer[: 1 + length]
            self._message(kind, body, tally)

    def _message(self, kind: str, body: bytes, tally: Tally) -> None:
        if kind == "Q":
            tally.statements += 1
            tally.names[sql_shape(_cstring(body, 0)[0])] += 1
        elif kind == "P":
            name, at = _cstring(body, 0)
            self.prepared[name] = _cstring(body, at)[0]
        elif kind == "B":
            portal, at = _cstring(body, 0)
            self.portals[portal] = _cstring(body, at)[0]
        elif kind == "E":
            tally.statements += 1
            statement = self.portals.get(_cstring(body, 0)[0], "")
            tally.names[sql_shape(self.prepared.get(statement, "?"))] += 1


class RedisParser:
    """Reads RESP commands (arrays of bulk strings, or inline lines) from a client."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes, tally: Tally) -> None:
        self.buffer += data
        while (parsed := self._command()) is not None:
            name, size = parsed
            del self.buffer[:size]
            tally.statements += 1
            tally.names[name.upper()] += 1

    def _command(self) -> tuple[str, int] | None:
        buffer = self.buffer
        end = buffer.find(b"\r\n")
        if end < 0:
            return None
        if buffer[:1] != b"*":
            return bytes(buffer[:end]).decode(errors="replace").split(" ")[0], end + 2
        at, name = end + 2, ""
        for index in range(int(buffer[1:end])):
            end = buffer.find(b"\r\n", at)
            if end < 0:
                return None
            size = int(buffer[at + 1 : end])
            if len(buffer) < end + 2 + size + 2:
                return None
            if index == 0:
                name = bytes(buffer[end + 2 : end + 2 + size]).decode(errors="replace")
            at = end + 2 + size + 2
        return name, at


class CountingProxy:
    """Listens on a free 127.0.0.1 port and forwards to `target`, counting what clients send."""

    def __init__(self, target_port: int, parser: type) -> None:
        self.target_port = target_port
        self.parser = parser
        self.tally = Tally()
        self.lock = threading.Lock()
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._serve, daemon=True).start()
        self._ready.wait(10)

    def snapshot(self) -> Tally:
        with self.lock:
            return self.tally.copy()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        parser = self.parser()
        server_spoke = [True]  # the first message starts a round trip

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                with self.lock:
                    if server_spoke[0]:
                        self.tally.round_trips += 1
                        server_spoke[0] = False
                    parser.feed(data, self.tally)
                upstream_writer.write(data)
                await upstream_writer.drain()
            upstream_writer.close()

        async def server_to_client() -> None:
            while data := await upstream_reader.read(65536):
                server_spoke[0] = True
                writer.write(data)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(client_to_server(), server_to_client())
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            upstream_writer.close()
