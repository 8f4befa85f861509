#!/usr/bin/env python3
"""Replays bytes WAL-G's clients send (tests/fixtures/walg-protocol) on a
Unix socket, one connection per run, and prints what came back: the reply
bytes, then "closed" when the daemon closed the connection afterwards or
"open" when it kept it.

  walg_replay.py SOCKET capture NAME   the exchanges of a recorded capture
  walg_replay.py SOCKET raw HEX        bytes of a test's own, in one write
                                       (@FILE: the hex is in FILE)
"""
import json
import os
import socket
import sys

CAPTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "walg-protocol", "captures.json")


def read_reply(conn):
    try:
        return conn.recv(1)
    except ConnectionResetError:
        return b""


def closed_after(conn):
    conn.settimeout(3)
    try:
        return "closed" if conn.recv(1) == b"" else "open (it sent more)"
    except socket.timeout:
        return "open"
    except ConnectionResetError:
        return "closed"


def main():
    path, mode, what = sys.argv[1:4]
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(60)
    conn.connect(path)
    replies = b""
    if mode == "capture":
        capture = next(c for c in json.load(open(CAPTURES))["captures"] if c["name"] == what)
        for exchange in capture["exchanges"]:
            conn.sendall(bytes.fromhex(exchange["sent"]))
            reply = read_reply(conn)
            replies += reply
            if reply != b"O":
                break
    else:
        conn.sendall(bytes.fromhex(open(what[1:]).read() if what.startswith("@") else what))
        replies = read_reply(conn)
    print(replies.decode() or "-", closed_after(conn))


if __name__ == "__main__":
    main()
