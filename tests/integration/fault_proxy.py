#!/usr/bin/env python3
"""fault_proxy.py: a TCP proxy the integration tests put between wal-e and a
real blob-store peer. It counts the connections clients open and injects
the faults a real store shows: answering 503 SlowDown for a while, or
refusing connections. It is not a store: every byte it passes comes from
and goes to the real peer behind it.

usage: fault_proxy.py LISTEN_PORT TARGET_PORT STATE_DIR
  STATE_DIR/mode         read on every new request: pass | 503 | 500 | refuse
                         (refuse also drops kept-alive connections at their next request)
  STATE_DIR/connections  the number of client connections accepted so far
  STATE_DIR/faults       the number of requests answered with a fault so far
"""
import asyncio
import os
import sys

listen_port, target_port, state_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
accepted = 0
faults = 0


def mode():
    try:
        with open(os.path.join(state_dir, "mode")) as f:
            return f.read().strip() or "pass"
    except FileNotFoundError:
        return "pass"


def write_count(name, value):
    tmp = os.path.join(state_dir, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(str(value))
    os.replace(tmp, os.path.join(state_dir, name))


def record():
    write_count("connections", accepted)


def record_fault():
    global faults
    faults += 1
    write_count("faults", faults)


SLOWDOWN = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            b"<Message>Please reduce your request rate.</Message></Error>")
INTERNAL = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
            b"<Message>We encountered an internal error. Please try again.</Message></Error>")
CANNED = {"503": (b"503 Slow Down", SLOWDOWN), "500": (b"500 Internal Server Error", INTERNAL)}


async def read_request(reader):
    """Reads one HTTP/1.1 request (head and Content-Length body); None at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(client_reader, client_writer):
    global accepted
    accepted += 1
    record()
    if mode() == "refuse":
        client_writer.close()
        return
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    # Requests are read one at a time so that a mode change applies to the
    # next request on a kept-alive connection too.
    async def forward_requests():
        try:
            while True:
                request = await read_request(client_reader)
                current = mode()
                if current == "refuse":
                    record_fault()
                    client_writer.close()
                    upstream_writer.close()
                    return
                if current in CANNED:
                    record_fault()
                    status, body = CANNED[current]
                    client_writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/xml\r\nContent-Length: "
                                        + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
                    await client_writer.drain()
                    client_writer.close()
                    upstream_writer.close()
                    return
                upstream_writer.write(request)
                await upstream_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            upstream_writer.close()
    await asyncio.gather(forward_requests(), pipe(upstream_reader, client_writer))


async def main():
    record()
    write_count("faults", 0)
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
