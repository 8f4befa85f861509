#!/usr/bin/env python3
"""fault_proxy.py: a TCP proxy the integration and fault tests put between
wal-e and a real blob-store peer. It counts the connections clients open and
injects the faults a real store (or the network in front of it) shows. It is
not a store: every byte it passes comes from and goes to the real peer
behind it; a fault only drops, delays, cuts or alters what passes.

usage: fault_proxy.py LISTEN_PORT TARGET_PORT STATE_DIR
  STATE_DIR/mode         "MODE [P]", read on every new request; the fault hits
                         each request with probability P (default 1):
    pass      forward everything
    503       answer 503 SlowDown (S3's error document) without forwarding
    500       answer 500 InternalError without forwarding
    refuse    close the connection at once (kept-alive ones at their next
              request)
    reset     forward the request, then reset the client's connection (RST)
              before any answer: the store may have acted on it
    stall     forward nothing and answer nothing; hold the connection open
              until the client gives up
    truncate  a request with a body: forward half of the body, then close
              both sides; a request without one: forward it and pass on the
              answer's head and half of its body, then close
    etag      forward; on the answer to a PUT, replace the ETag with one of
              a different body
    shortlist forward; on a ListObjectsV2 answer, say IsTruncated true and
              drop NextContinuationToken (a page that ends early)
    delay     forward every request P seconds late (P is the delay here)
  STATE_DIR/connections  the number of client connections accepted so far
  STATE_DIR/faults       the number of requests answered with a fault so far
"""
import asyncio
import os
import random
import re
import socket
import struct
import sys

listen_port, target_port, state_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
accepted = 0
faults = 0


def mode():
    """(name, parameter) from STATE_DIR/mode."""
    try:
        with open(os.path.join(state_dir, "mode")) as f:
            words = f.read().split()
    except FileNotFoundError:
        words = []
    name = words[0] if words else "pass"
    return name, float(words[1]) if len(words) > 1 else 1.0


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
WRONG_ETAG = b'"0123456789abcdef0123456789abcdef"'


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def replace_header(head, name, value):
    lines = [line for line in head.split(b"\r\n") if line.partition(b":")[0].strip().lower() != name]
    return b"\r\n".join(lines[:-2] + [name + b": " + value] + lines[-2:])


async def read_request(reader):
    """One HTTP/1.1 request: (head, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(header(head, b"content-length") or 0)
    return head, await reader.readexactly(length) if length else b""


async def read_response(reader, method):
    """One HTTP/1.1 answer: (head, body as sent, whether the connection ends with it)."""
    head = await reader.readuntil(b"\r\n\r\n")
    version, status = head.split(b" ", 2)[:2]
    status = int(status)
    connection = (header(head, b"connection") or b"").lower()
    closes = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
    if method == b"HEAD" or status in (204, 304) or status < 200:
        return head, b"", closes
    if (header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        body = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            body += size_line + await reader.readexactly(size + 2) if size else size_line
            if size == 0:
                while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                    body += trailer
                return head, body + b"\r\n", closes
    length = header(head, b"content-length")
    if length is not None:
        return head, await reader.readexactly(int(length)), closes
    return head, await reader.read(), True


def reset(writer):
    """Closes with an RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()


def dechunk(body):
    out, rest = b"", body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, rest = out + rest[:size], rest[size + 2:]


def short_listing(head, body):
    """The page with IsTruncated true and no continuation token; None if not a listing."""
    if (header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        head = b"\r\n".join(line for line in head.split(b"\r\n") if not line.lower().startswith(b"transfer-encoding"))
        body = dechunk(body)
    if b"<ListBucketResult" not in body:
        return None
    body = re.sub(rb"<IsTruncated>\s*false\s*</IsTruncated>", b"<IsTruncated>true</IsTruncated>", body)
    body = re.sub(rb"<NextContinuationToken>.*?</NextContinuationToken>", b"", body, flags=re.S)
    return replace_header(head, b"content-length", str(len(body)).encode()), body


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


async def altered_answer(name, method, request):
    """Sends one request on a connection of its own and returns its answer
    as the mode alters it: (bytes for the client, whether to close after)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", target_port)
    try:
        writer.write(request)
        await writer.drain()
        head, body, _ = await read_response(reader, method)
    finally:
        writer.close()
    if name == "truncate" and body:
        record_fault()
        return head, body[: len(body) // 2], True
    if name == "etag" and method == b"PUT" and header(head, b"etag") is not None:
        record_fault()
        head = replace_header(head, b"etag", WRONG_ETAG)
    if name == "shortlist" and method == b"GET":
        altered = short_listing(head, body)
        if altered is not None:
            record_fault()
            head, body = altered
    # Whatever the store said about its connection, this one stays open.
    chunked = (header(head, b"transfer-encoding") or b"").lower() == b"chunked"
    if method != b"HEAD" and not chunked and header(head, b"content-length") is None:
        head = replace_header(head, b"content-length", str(len(body)).encode())
    return replace_header(head, b"connection", b"keep-alive"), body, False


async def handle(client_reader, client_writer):
    global accepted
    accepted += 1
    record()
    if mode()[0] == "refuse":
        client_writer.close()
        return
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return

    # Requests are read one at a time so that a mode change applies to the
    # next request on a kept-alive connection too. Answers stream back from
    # the kept upstream connection as they come (pipe), except those the
    # mode alters: those requests go on a connection of their own, and their
    # answers are read whole. (Clients wait for an answer before sending the
    # next request, so answers never interleave.)
    async def forward_requests():
        try:
            while True:
                head, body = await read_request(client_reader)
                method = head.split(b" ", 1)[0]
                name, p = mode()
                if name == "delay":
                    await asyncio.sleep(p)
                hit = name not in ("pass", "delay") and random.random() < p
                if hit and name == "refuse":
                    record_fault()
                    break
                if hit and name in CANNED:
                    record_fault()
                    status, text = CANNED[name]
                    client_writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/xml\r\nContent-Length: "
                                        + str(len(text)).encode() + b"\r\nConnection: close\r\n\r\n" + text)
                    await client_writer.drain()
                    break
                if hit and name == "stall":
                    record_fault()
                    await client_reader.read()  # until the client gives up
                    break
                if hit and name == "truncate" and body:
                    record_fault()
                    upstream_writer.write(head + body[: len(body) // 2])
                    await upstream_writer.drain()
                    break
                if hit and name == "reset":
                    record_fault()
                    # On a connection of its own, so that no answer reaches
                    # the client; the store gets to act on the request first.
                    _, side_writer = await asyncio.open_connection("127.0.0.1", target_port)
                    side_writer.write(head + body)
                    await side_writer.drain()
                    await asyncio.sleep(0.2)
                    side_writer.close()
                    reset(client_writer)
                    break
                if hit and name in ("truncate", "etag", "shortlist"):
                    answer_head, answer_body, close = await altered_answer(name, method, head + body)
                    client_writer.write(answer_head + answer_body)
                    await client_writer.drain()
                    if close:
                        break
                    continue
                upstream_writer.write(head + body)
                await upstream_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError, IndexError, OSError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                try:
                    writer.close()
                except Exception:
                    pass
    await asyncio.gather(forward_requests(), pipe(upstream_reader, client_writer))


async def main():
    record()
    write_count("faults", 0)
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
