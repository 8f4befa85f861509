#!/usr/bin/python3
"""Samples a benchmark run until SIGTERM, then writes what it saw as JSON.

  monitor.py OUT.json [--uid UID] [--scope DIR] [--interval S] [--ready-dir DIR] [--pid ROLE=PID...]

* the largest number of `*.ready` files in DIR (pg_wal/archive_status) seen;
* for every process of the user UID whose command is an archiver (wal-ed,
  wal-e, pgbackrest, cp, lzop), grouped by role (pgbackrest's role is its
  last `command[:role]` argument), and whose command line or working
  directory names the scope (the benchmark's scratch directory: other
  clusters' archivers on the machine are not counted), the largest VmHWM (peak RSS) and the CPU
  seconds it used, summed over the processes seen. VmHWM never decreases,
  so sampling a long-lived process at any moment before it exits gives its
  peak up to then; processes that live less than one interval may be missed
  (per-call peaks are measured by rss_wrap.sh instead);
* PostgreSQL's archiver and startup processes (in the scope): their own CPU
  seconds and those of the children they waited for (cutime + cstime), i.e.
  the total CPU of every archive_command or restore_command they ran,
  however short-lived (read at the last sample: the startup process exits
  with the server, so its last 0.2 s may be missing);
* CPU seconds count from the first sample on (what a process already
  running then had used is subtracted);
* the processes given with --pid (the S3 peer and stunnel, whoever owns
  them): CPU seconds and peak RSS under ROLE;
* the machine's CPU use over the run from /proc/stat: busy %, of which user,
  system and iowait, in % of all cores.
"""
import json, os, re, signal, sys, time

ARCHIVERS = {"wal-ed", "wal-e", "pgbackrest", "cp", "lzop"}
ROLE = re.compile(r"^[a-z]+(-[a-z]+)*:[a-z]+$|^archive-(push|get)$")


def cpu_times():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    v = [int(x) for x in parts]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return {"user": user + nice, "system": system + irq + softirq, "idle": idle, "iowait": iowait, "steal": steal}


def main():
    out = sys.argv[1]
    args = sys.argv[2:]
    uid, interval, ready_dir, scope = None, 0.2, None, None
    fixed = {}  # pid -> role
    while args:
        a = args.pop(0)
        if a == "--uid":
            uid = int(args.pop(0))
        elif a == "--interval":
            interval = float(args.pop(0))
        elif a == "--pid":
            role, pid = args.pop(0).rsplit("=", 1)
            fixed[pid] = role
        elif a == "--scope":
            scope = args.pop(0)
        elif a == "--ready-dir":
            ready_dir = args.pop(0)
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    ticks = os.sysconf("SC_CLK_TCK")
    cpu0, t0 = cpu_times(), time.monotonic()
    max_ready, ready_samples, samples = 0, [], 0
    peak = {}   # role -> max VmHWM kB
    cpu = {}    # pid -> (role, cpu seconds last seen)
    base = {}   # pid -> cpu seconds at the first sample, for processes already running then
    while not stop:
        samples += 1
        if ready_dir:
            try:
                n = sum(1 for e in os.scandir(ready_dir) if e.name.endswith(".ready"))
            except FileNotFoundError:
                n = 0
            max_ready = max(max_ready, n)
            ready_samples.append(n)
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                children_role = None
                if pid in fixed:
                    role = fixed[pid]
                else:
                    st = os.stat("/proc/" + pid)
                    if uid is not None and st.st_uid != uid:
                        continue
                    with open(f"/proc/{pid}/comm") as f:
                        comm = f.read().strip()
                    if comm not in ARCHIVERS and comm != "postgres":
                        continue
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
                    if not argv:
                        continue
                    if scope and not any(scope in a for a in argv) and not os.readlink(f"/proc/{pid}/cwd").startswith(scope):
                        continue
                    role = comm
                if pid in fixed:
                    pass
                elif comm == "postgres":
                    title = " ".join(argv)
                    if title.startswith("postgres: archiver"):
                        role, children_role = "postgres archiver", "archive_command"
                    elif title.startswith("postgres: startup"):
                        role, children_role = "postgres startup", "restore_command"
                    else:
                        continue
                elif comm == "pgbackrest":
                    roles = [a for a in argv[1:] if ROLE.match(a)]
                    if roles:
                        role = "pgbackrest " + roles[-1]
                elif comm == "wal-ed" and "--one-shot" in argv:
                    role = "wal-ed --one-shot"
                hwm = 0
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            hwm = int(line.split()[1])
                            break
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                secs = (int(fields[11]) + int(fields[12])) / ticks
                if children_role is None:
                    peak[role] = max(peak.get(role, 0), hwm)
                key = pid + ":" + fields[19]  # pid + start time: a reused pid is another process
                seen = [(key, role, secs)]
                if children_role is not None:
                    seen.append((key + ":children", children_role, (int(fields[13]) + int(fields[14])) / ticks))
                for k, rl, v in seen:
                    if samples == 1:
                        base[k] = v  # only what is used from now on counts
                    cpu[k] = (rl, v - base.get(k, 0))
            except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
                continue
        deadline = time.monotonic() + interval
        while not stop and time.monotonic() < deadline:
            time.sleep(min(0.05, interval))
    cpu1, t1 = cpu_times(), time.monotonic()
    d = {k: cpu1[k] - cpu0[k] for k in cpu0}
    total = sum(d.values()) or 1
    cpu_by_role = {}
    for role, secs in cpu.values():
        cpu_by_role[role] = round(cpu_by_role.get(role, 0) + secs, 2)
    ready_samples.sort()
    result = {
        "seconds": round(t1 - t0, 2),
        "samples": samples,
        "max_ready": max_ready,
        "median_ready": ready_samples[len(ready_samples) // 2] if ready_samples else None,
        "peak_rss_kb": peak,
        "cpu_seconds_seen": cpu_by_role,
        "machine_cpu_pct": {
            "busy": round(100 * (d["user"] + d["system"]) / total, 1),
            "user": round(100 * d["user"] / total, 1),
            "system": round(100 * d["system"] / total, 1),
            "iowait": round(100 * d["iowait"] / total, 1),
        },
    }
    with open(out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
