#!/usr/bin/env python3
"""Misbehaving clients of wal-ed's socket.

usage: hostile_client.py probe SOCKET KIND
         sends one kind of bad input and prints the daemon's refusal text
         ("closed without a word" when it just hung up). KIND is garbage,
         bad_magic, huge_length, over_request_limit, stall, not_json,
         deep_json, not_a_request or half_header.
       hostile_client.py flood SOCKET COUNT STOPFILE
         holds COUNT connections open without a request, opening a new one
         whenever the daemon closes one, until STOPFILE exists (or its
         parent dies, or 10 minutes pass); then prints "opened N closed M".
"""
import os
import select
import socket
import struct
import sys
import time

VERSION = 1


def frame(kind, payload, version=VERSION, length=None):
    return b"WALE" + struct.pack(">HBBI", version, ord(kind), 0, len(payload) if length is None else length) + payload


def read_answer(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return "no answer within %d s" % timeout
    except ConnectionResetError:
        pass
    if len(data) >= 12 and data[:4] == b"WALE" and chr(data[6]) == "R":
        (length,) = struct.unpack(">I", data[8:12])
        return "refused: " + data[12:12 + length].decode()
    return "closed without a word" if not data else "unexpected answer %r" % data[:60]


def probe(path, kind):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    request = b'{"argv": ["status"], "cwd": "/", "env": {}}'
    if kind == "garbage":
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    elif kind == "bad_magic":
        s.sendall(b"WAL\x00" + os.urandom(200))
    elif kind == "huge_length":
        s.sendall(frame("Q", b"", length=0xFFFFFFF0))
    elif kind == "over_request_limit":
        s.sendall(frame("Q", b"{", length=1 << 20) + b" " * 4096)
    elif kind == "stall":
        s.sendall(frame("Q", request)[:30])  # the header and part of the payload, then nothing
    elif kind == "half_header":
        s.sendall(b"WALE\x00")
    elif kind == "not_json":
        s.sendall(frame("Q", b"{this is not json"))
    elif kind == "deep_json":
        s.sendall(frame("Q", b"{\"argv\": " + b"[" * 30000 + b"]" * 30000 + b"}"))
    elif kind == "not_a_request":
        s.sendall(frame("O", b"hello"))
    else:
        sys.exit("unknown kind " + kind)
    print(read_answer(s, 30))


def flood(path, count, stopfile):
    opened = closed = 0
    conns = []
    parent, end = os.getppid(), time.monotonic() + 600
    while not os.path.exists(stopfile) and os.getppid() == parent and time.monotonic() < end:
        while len(conns) < count:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
            except OSError:
                s.close()
                time.sleep(0.05)
                break
            conns.append(s)
            opened += 1
        ready, _, _ = select.select(conns, [], [], 0.2)
        for s in ready:  # readable means closed (or refused) by the daemon
            conns.remove(s)
            s.close()
            closed += 1
        time.sleep(0.005)  # a flood, not a busy loop on a shared machine
    print("opened %d closed %d" % (opened, closed), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "probe":
        probe(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
