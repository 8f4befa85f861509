#!/usr/bin/env python3
"""Records what WAL-G's own clients send to WAL-G's daemon, for the replay
test (tests/integration/test_walg_protocol.sh), which cannot build them:
CI has no access to WAL-G's source.

A fake stands in for WAL-G's daemon on a Unix socket: it reads WAL-G's
messages (type byte, u16 big-endian length counting the 3 header bytes,
body), records their bytes, answers each with the reply byte the case asks
for (a check always with 'O'), and closes after a push or fetch, as WAL-G's
daemon does. Each case runs the real client against it and records its
exit status and first output line.

  walg_capture_fake_daemon.py --client PATH/walg-daemon-client \\
      [--walg-archive DIR-WITH-walg_archive.so] OUT.json

walg-daemon-client: `go build ./cmd/daemonclient` of WAL-G's source;
walg_archive.so: walg_archive.c of github.com/wal-g/walg_archive compiled
against PostgreSQL 15's server headers (run as root: PostgreSQL then runs
as postgres). Neither is part of this repository.
"""
import argparse
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

SEGMENT = "000000010000000000000002"
MISSING = "000000010000000000000003"

# (name, client arguments after the socket, reply to its push or fetch)
CLIENT_CASES = [
    ("push stored", ["wal-push", SEGMENT], "O"),
    ("push failed", ["wal-push", SEGMENT], "E"),
    ("fetch found", ["wal-fetch", SEGMENT, "pg_wal/RECOVERYXLOG"], "O"),
    ("fetch not found", ["wal-fetch", MISSING, "pg_wal/RECOVERYXLOG"], "N"),
    ("fetch failed", ["wal-fetch", SEGMENT, "pg_wal/RECOVERYXLOG"], "E"),
]


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class FakeDaemon:
    """Serves one connection at a time; records every message's bytes."""

    def __init__(self, path, reply):
        self.path, self.reply, self.connections = path, reply, []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            exchanges = []
            self.connections.append(exchanges)
            conn.settimeout(20)
            try:
                while True:
                    header = read_exact(conn, 3)
                    if header is None:
                        break
                    body = read_exact(conn, int.from_bytes(header[1:3], "big") - 3)
                    message = header + (body or b"")
                    answer = "O" if header[:1] == b"C" else self.reply
                    exchanges.append({"sent": message.hex(), "reply": answer})
                    conn.sendall(answer.encode())
                    if header[:1] in (b"F", b"f"):
                        break
            except (OSError, socket.timeout):
                pass
            conn.close()

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def capture_client(client, workdir):
    captures = []
    for name, args, reply in CLIENT_CASES:
        path = os.path.join(workdir, "walg.sock")
        fake = FakeDaemon(path, reply)
        run = subprocess.run([client, path] + args, capture_output=True, text=True, timeout=60)
        time.sleep(0.2)
        fake.close()
        assert len(fake.connections) == 1, f"{name}: expected one connection, got {fake.connections}"
        output = (run.stdout + run.stderr).strip().splitlines()
        captures.append({
            "name": name,
            "client": "walg-daemon-client SOCKET " + " ".join(args),
            "exchanges": fake.connections[0],
            "client_exit_status": run.returncode,
            "client_output": output[0] if output else "",
        })
        print(f"{name}: sent {fake.connections[0]}, client exited {run.returncode}", file=sys.stderr)
    return captures


def capture_walg_archive(module_dir, workdir):
    """PostgreSQL 15 archives with archive_library = 'walg_archive'."""
    pg_bin = "/usr/lib/postgresql/15/bin"
    pg = pwd.getpwnam("postgres")
    os.chown(workdir, pg.pw_uid, pg.pw_gid)
    as_pg = lambda cmd: subprocess.run(["setpriv", f"--reuid={pg.pw_uid}", f"--regid={pg.pw_gid}", "--init-groups", "--"] + cmd,
                                       check=True, capture_output=True, text=True)
    sock = os.path.join(workdir, "walg.sock")
    fake = FakeDaemon(sock, "O")
    data = os.path.join(workdir, "data")
    as_pg([f"{pg_bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"])
    with open(os.path.join(data, "postgresql.conf"), "a") as conf:
        conf.write(f"listen_addresses = ''\nport = 5999\nunix_socket_directories = '{workdir}'\n"
                   f"archive_mode = on\narchive_library = 'walg_archive'\n"
                   f"dynamic_library_path = '{module_dir}:$libdir'\nwalg_archive.walg_socket = '{sock}'\n")
    as_pg([f"{pg_bin}/pg_ctl", "-D", data, "-l", os.path.join(workdir, "server.log"), "-w", "start"])
    try:
        as_pg(["psql", "-X", "-h", workdir, "-p", "5999", "-d", "postgres", "-c", "SELECT pg_switch_wal()"])
        end = time.time() + 30
        while time.time() < end and not any(len(c) >= 2 for c in fake.connections):
            time.sleep(0.1)
    finally:
        as_pg([f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
        fake.close()
    connection = next(c for c in fake.connections if len(c) >= 2)
    print(f"walg_archive: sent {connection}", file=sys.stderr)
    return {
        "name": "walg_archive check and push",
        "client": "PostgreSQL 15 with archive_library = 'walg_archive'",
        "exchanges": connection,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", required=True)
    parser.add_argument("--walg-archive")
    parser.add_argument("--source", default="", help="where the clients were built from (recorded in the output)")
    parser.add_argument("out")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="walg-capture.")
    os.chmod(workdir, 0o755)
    try:
        captures = capture_client(args.client, workdir)
        if args.walg_archive:
            captures.append(capture_walg_archive(os.path.abspath(args.walg_archive), workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with open(args.out, "w") as out:
        json.dump({"source": args.source, "captured_with": "tests/tools/walg_capture_fake_daemon.py",
                   "captures": captures}, out, indent=2)
        out.write("\n")


if __name__ == "__main__":
    main()
