#!/usr/bin/python3
"""Turns bench/run.sh's results (key<TAB>value lines) into the Markdown report:
one summary table (each figure of this project next to the peer and the
limit, as ratios), then the detail of every scenario and the method.

  report.py results.tsv > report.md
  report.py results.tsv --readme README.md [MORE.md...]   # also puts the header and the summary
                                             # between README's latest:begin/end markers
"""
import sys

import statistics

r = {}      # key -> last value
vals = {}   # key -> every value (a figure measured in several rounds)
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if "\t" in line:
        k, v = line.split("\t", 1)
        r[k] = v
        vals.setdefault(k, []).append(v)

SEG = 16 * 1024 * 1024


def nums(key):
    out = []
    for v in vals.get(key, []):
        try:
            out.append(float(v))
        except ValueError:
            pass
    return out


def num(key):
    """the median of a figure's values"""
    n = nums(key)
    return statistics.median(n) if n else None


def spread(key, digits=2):
    """' (min–max)' when a figure was measured more than once"""
    n = nums(key)
    return f" ({fmt(min(n), digits)}–{fmt(max(n), digits)})" if len(n) > 1 else ""


def failures(key):
    """how many rounds of a run did not end well ('' if none)"""
    bad = [v for v in vals.get(key, []) if v != "ok"]
    return f" **{len(bad)} of {len(vals[key])} rounds: {', '.join(sorted(set(bad)))}**" if bad else ""


def fmt(x, digits=2):
    if x is None:
        return "—"
    if float(x).is_integer() and abs(x) >= 1 and digits == 0:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def mib(kb):
    return None if kb is None else kb / 1024


def kv(key, agg=max):
    """'a=1;b=2' lines -> {'a': 1.0, 'b': 2.0}, each role's values over the rounds combined with agg"""
    seen = {}
    for value in vals.get(key, []):
        for part in value.split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                try:
                    if float(v) > 0:
                        seen.setdefault(k, []).append(float(v))
                except ValueError:
                    pass
    return {k: agg(v) for k, v in seen.items()}


CPU_LABELS = [("wal-ed", "wal-ed"), ("pgbackrest archive-push:async", "async"), ("pgbackrest archive-push:local", "local"),
              ("pgbackrest archive-get:async", "async"), ("pgbackrest archive-get:local", "local"), ("lzop", "lzop"),
              ("archive_command", "commands"), ("restore_command", "commands")]
OTHER_LABELS = [("postgres startup", "replay"), ("S3 peer (node)", "S3 peer"), ("stunnel", "stunnel")]


def cpu_seen(prefix, labels=CPU_LABELS):
    """CPU seconds (median over the rounds) of the archiving processes, by kind"""
    d = kv(prefix + ".cpu_seen", statistics.median)
    parts = [f"{label} {fmt(d[k])}" for k, label in labels if d.get(k)]
    return ", ".join(parts) or "—"


def cpu_per_segment(prefix, n):
    """milliseconds of archiver CPU (every kind in CPU_LABELS) per segment"""
    d = kv(prefix + ".cpu_seen", statistics.median)
    total = sum(d.get(k, 0) for k, _ in CPU_LABELS)
    return fmt(1000 * total / n, 1) if total and n else "—"


def faster(ours, theirs):
    """time ratio -> 'N× as fast' (speed = theirs / ours)"""
    if not ours or not theirs:
        return "—", None
    s = theirs / ours
    return f"{s:.2f}× as fast", s


def signed(ms):
    return f"{'+' if ms >= 0 else '−'}{fmt(abs(ms), 3)} ms"


def met(ok):
    return "—" if ok is None else ("yes" if ok else "**no**")


NAMES = {
    "noop": "`true` (no-op, a shell builtin)",
    "exec_true": "`/bin/true` (the cost of exec)",
    "wale": "wal-e through wal-ed",
    "wale_inproc": "wal-e in-process (no daemon)",
    "wale_module": "wal-e archive module (archive_library) through wal-ed",
    "wale_module_user": "wal-e archive module through wal-ed, the user's set-up",
    "pgbr_sync": "pgBackRest, sync",
    "pgbr_async": "pgBackRest, async, process-max=2",
    "cp": "plain `cp`",
    "lzop2": "`lzop -1` ×2 processes → /dev/null",
    "lzop2_files": "`lzop -1` ×2 processes → files + `sync`",
    "wale_user": "wal-e through wal-ed, the user's set-up",
    "pgbr_user": "pgBackRest, async, process-max=2, the user's set-up",
    "wale_floor": "wal-e, every segment already stored (the archiver's loop and the round trip)",
    "wale_user_floor": "wal-e, every segment already stored, the user's set-up",
    "wale_s3": "wal-e through wal-ed to the S3 peer (HTTPS)",
}
DRAIN_ORDER = ("wale", "wale_module", "wale_inproc", "pgbr_async", "pgbr_sync", "cp", "lzop2", "lzop2_files",
               "wale_user", "wale_module_user", "pgbr_user", "wale_floor", "wale_user_floor", "wale_s3")

out = []
p = out.append
p("# wal-e benchmark")
p("")
p(f"{r.get('meta.date', '?')}, {r.get('meta.mode', '?')} run (`bench/run.sh{' --quick' if r.get('meta.mode') == 'quick' else ''}`): "
  f"{r.get('meta.sizes', '')}.")
p("")
p(f"* machine: {r.get('meta.cpu', '?')}, {r.get('meta.ram', '?')} RAM, {r.get('meta.kernel', '?')}, "
  f"scratch on {r.get('meta.disk', '?')}")
p(f"* load average (1, 5, 15 min) before: {r.get('meta.load_before', '?')}, after: {r.get('meta.load_after', '?')}; "
  f"suite wall time {fmt((num('meta.wall_s') or 0) / 60, 1)} min")
p(f"* {r.get('meta.wale', '?')}; {r.get('meta.pgbackrest', '?')}; {r.get('meta.postgres', '?')}; "
  f"{r.get('meta.lzop', '?')}; S3 peer: {r.get('meta.s3peer', '?')}, {r.get('meta.stunnel', '?')}")
lz = f"`lzop -1` {r['wal.lzop1_ratio']} %" if "wal.lzop1_ratio" in r else ""
l4 = f", `lz4 -1` {r['wal.lz4_ratio']} %" if "wal.lz4_ratio" in r else ""
p(f"* WAL: generated once ({r.get('wal.seconds', '?')} s, TPC-B at {r.get('wal.tps', '?')} tps), "
  f"{r.get('wal.segments_total', '?')} segments of 16 MiB; compressed size {lz}{l4} of the original")
p(f"* page cache: {r.get('meta.cache', '?')} "
  + ("(before every timed run: `sync`, then the run's inputs read once)" if r.get("meta.cache") == "warm"
     else "(before every timed run: `sync`, then `drop_caches`)")
  + ("; the user's set-ups (scenario 2's `*_user` candidates, scenario 4u): `sync` only, nothing warmed"
     if any(k.startswith("s4u.") for k in r) else ""))
p("")

# ---- summary -----------------------------------------------------------------------------
p("## Summary")
p("")
p("| # | figure | wal-e | peer | wal-e vs peer | limit | wal-e vs limit | target | met |")
p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")

# 1
w, peer, lim = num("s1.wale.median_ms"), num("s1.pgbr_sync.median_ms"), num("s1.noop.median_ms")
if w is not None:
    ok = None if lim is None else (w <= lim + 1.0)
    p(f"| 1 | archive round trip, segment already stored (median of {r.get('s1.runs', '?')} runs) "
      f"| {fmt(w, 3)} ms | pgBackRest archive-push (sync): {fmt(peer, 3)} ms "
      f"| {fmt(w / peer if peer else None, 3)}× the time | `sh -c 'true'`: {fmt(lim, 3)} ms "
      f"(`sh -c '/bin/true'`: {fmt(num('s1.exec_true.median_ms'), 3)} ms) "
      f"| {signed(w - lim) if lim is not None else '—'} ({fmt(w / lim if lim else None)}× the time) | ≤ no-op + 1 ms | {met(ok)} |")

# 2, and 2m: the same drain through the archive module, next to the limit with the store's cost (files + sync)
n2 = num("s2.segments")


def drain_row(row, what, candidate, limit, limit_name, peer_factor, limit_factor, peer_candidate="pgbr_async"):
    w, peer, lim = num(f"s2.{candidate}.seconds"), num(f"s2.{peer_candidate}.seconds"), num(f"s2.{limit}.seconds")
    if w is None and f"s2.{candidate}.status" not in r:
        return
    fp, sp = faster(w, peer)
    fl, sl = faster(w, lim)
    ok = None if sp is None or sl is None else (sp >= peer_factor and sl >= limit_factor)
    rate = f" ({fmt(n2 * SEG / 1e6 / w)} MB/s)" if w and n2 else ""
    p(f"| {row} | {what} | {fmt(w)} s{rate} "
      f"| pgBackRest async, process-max=2, lz4{', same set-up' if peer_candidate == 'pgbr_user' else ''}: {fmt(peer)} s "
      f"| {fp} | {limit_name}: {fmt(lim)} s "
      f"| {fmt(sl)}× as fast | ≥ {peer_factor:g}× peer, ≥ {limit_factor:g}× limit | {met(ok)} |")


drain_row("2", f"backlog drain, {fmt(n2, 0)} × 16 MiB already .ready, file:// store", "wale", "lzop2",
          "`lzop -1` ×2 (both cores)", 2, 0.8)
drain_row("2m", "the same drain through the archive module (`archive_library = 'wal_e_archive'`)", "wale_module",
          "lzop2_files", "`lzop -1` ×2 → files + `sync`", 4, 0.9)
drain_row("2mu", "the module's drain in the user's set-up (a fresh copy, PostgreSQL's fsync on, wal-ed with its defaults, "
          "nothing warmed; PostgreSQL's own loop with every segment stored, through the shim: "
          f"{fmt(num('s2.wale_user_floor.seconds'))} s)", "wale_module_user", "lzop2_files", "`lzop -1` ×2 → files + `sync`", 4, 0.9, "pgbr_user")

# 2 in the user's set-up, the floor, and to S3
w, peer, lim, floor = num("s2.wale_user.seconds"), num("s2.pgbr_user.seconds"), num("s2.lzop2.seconds"), num("s2.wale_user_floor.seconds")
if w is not None or "s2.wale_user.status" in r:
    fp, sp = faster(w, peer)
    fl, sl = faster(w, lim)
    p(f"| 2u | the same drain in the user's set-up (a fresh copy, PostgreSQL's fsync on, the store in archive_command, "
      f"nothing warmed) | {fmt(w)} s | pgBackRest async, same set-up: {fmt(peer)} s | {fp} "
      f"| `lzop -1` ×2: {fmt(lim)} s; PostgreSQL's own loop with every segment stored: {fmt(floor)} s "
      f"| {fmt(sl)}× the lzop limit, {fmt(floor / w if w and floor else None)}× the loop's speed | as fast as the loop allows | "
      f"{met(None if w is None or floor is None else w <= 1.1 * floor)} |")
f = num("s2.wale_floor.seconds")
if f is not None and n2:
    p(f"| 2f | cost per segment already stored: PostgreSQL's archiver loop, `sh`, the shim and the daemon's answer "
      f"| {fmt(1000 * f / n2, 3)} ms | — | — | round trip of scenario 1 (`sh -c` from Python): {fmt(num('s1.wale.median_ms'), 3)} ms "
      f"| — | report (the archive module's target is ≤ 0.2 ms) | — |")
w3 = num("s2.wale_s3.seconds")
if w3 is not None or "s2.wale_s3.status" in r:
    h = num("s2.wale_s3.daemon_hwm_kb")
    p(f"| 2s | the drain to the S3 peer over HTTPS (tuned set-up) | {fmt(w3)} s ({fmt(n2 / w3 if w3 and n2 else None, 1)} segments/s), "
      f"wal-ed VmHWM {fmt(mib(h), 1) if h else '—'} MiB | — | — | the file:// drain: {fmt(num('s2.wale.seconds'))} s "
      f"| {fmt(num('s2.wale.seconds') / w3 if w3 and num('s2.wale.seconds') else None)}× as fast | VmHWM ≤ 40 MiB | {met(None if not h else h <= 40 * 1024)} |")

# 3
w, peer, lim = num("s3.wale.max_ready"), num("s3.pgbr_async.max_ready"), num("s3.cp.max_ready")
if w is not None:
    def diff(a, b):
        return "—" if b is None else f"{int(a - b):+d} segments"
    p(f"| 3 | live load: largest .ready backlog during {r.get('s3.seconds', '?')} s of pgbench | {fmt(w, 0)} segments "
      f"| pgBackRest async: {fmt(peer, 0)} | {diff(w, peer)} "
      f"| `cp`: {fmt(lim, 0)} | {diff(w, lim)} | a handful (≤ 5) | {met(w <= 5)} |")

# 4
n4 = num("s4.segments")
S4_SETUPS = (("s4", "", "tuned set-up"), ("s4u", "u", "user's set-up: PostgreSQL's defaults, nothing warmed, envdir"))
for k4, suffix, setup_label in S4_SETUPS:
    cp_best = num(f"{k4}.local.cp.seconds")  # the median of the rounds, like every other figure
    for store, label, tpeer, tlim in (("file", "file://", None, 0.95), ("s3", "S3 peer over HTTPS", 1.5, 0.95)):
        w, peer = num(f"{k4}.{store}.wale.seconds"), num(f"{k4}.{store}.pgbr_async.seconds")
        if w is None and f"{k4}.{store}.wale.status" not in r:
            continue
        fp, sp = faster(w, peer)
        fl, sl = faster(w, cp_best)
        ok = None if sl is None else (sl >= tlim and (tpeer is None or (sp is not None and sp >= tpeer)))
        rate = f" ({fmt(n4 / w)} segments/s)" if w and n4 else ""
        target = f"≥ {tpeer}× peer, ≥ {tlim}× limit" if tpeer else f"≥ {tlim}× limit"
        p(f"| 4{'a' if store == 'file' else 'b'}{suffix} | recovery ({setup_label}): standby replaying {fmt(n4, 0)} segments, "
          f"from {label} | {fmt(w)} s{rate} | pgBackRest archive-get async: {fmt(peer)} s | {fp} "
          f"| `cp` from a local directory: {fmt(cp_best)} s | {fmt(sl)}× as fast | {target} | {met(ok)} |")

# 5
daemon = {k[len("s5.wale_ed."):]: num(k) for k in r if k.startswith("s5.wale_ed.")}
daemon = {k: v for k, v in daemon.items() if v}
pgbr_peaks = {}
for k in r:
    if k.endswith(".peak_rss"):
        for role, v in kv(k).items():
            if role.startswith("pgbackrest"):
                pgbr_peaks[role] = max(pgbr_peaks.get(role, 0), v)
for k in r:
    if k.startswith("s5.call.pgbr"):
        v = float(r[k].split(";")[0] or 0)
        pgbr_peaks[k] = max(pgbr_peaks.get(k, 0), v)
if daemon:
    worst = max(daemon.values())
    pw = max(pgbr_peaks.values()) if pgbr_peaks else None
    s3_peaks = [v for k, v in daemon.items() if k in ("s2_wale_s3", "s4_s3", "s4u_s3")]
    s3_worst = max(s3_peaks) if s3_peaks else None
    p(f"| 5 | peak RSS (VmHWM) of wal-ed, largest over the scenarios (of them: S3 drain and S3 recovery) "
      f"| {fmt(mib(worst), 1)} MiB ({fmt(mib(s3_worst), 1) if s3_worst else '—'} MiB) "
      f"| pgBackRest, largest process: {fmt(mib(pw), 1)} MiB | {fmt(worst / pw if pw else None)}× the memory "
      f"| ceiling: 40 MiB | {fmt(worst / 1024 / 40)}× the ceiling | ≤ 40 MiB (S3 drain and recovery) "
      f"| {met(None if s3_worst is None else s3_worst <= 40 * 1024)} |")
p("")
p("Ratios: \"as fast\" compares speeds (the other's time ÷ wal-e's time: above 1 means wal-e is faster); "
  "\"the time\" and \"the memory\" divide wal-e's figure by the other's (below 1 means wal-e uses less).")
p("")

# ---- details -----------------------------------------------------------------------------
if any(k.startswith("s1.") for k in r):
    p("## 1. Archive round trip")
    p("")
    p("`sh -c '<archive_command with %p filled in>'` for a segment already stored, run as postgres from a data "
      "directory; every command in turn, round-robin, after one warm-up run each.")
    p("")
    p("| command | median ms | min ms | p90 ms | over the no-op (median) | failed runs |")
    p("| --- | --- | --- | --- | --- | --- |")
    base = num("s1.noop.median_ms")
    for c in ("noop", "exec_true", "wale", "wale_inproc", "pgbr_sync", "cp"):
        m = num(f"s1.{c}.median_ms")
        if m is None:
            continue
        p(f"| {NAMES[c]} | {fmt(m, 3)} | {fmt(num(f's1.{c}.min_ms'), 3)} | {fmt(num(f's1.{c}.p90_ms'), 3)} "
          f"| {signed(m - base) if base is not None and c != 'noop' else ''} | {r.get(f's1.{c}.failures', '')} |")
    p("")

if any(k.startswith("s2.") for k in r):
    p(f"## 2. Backlog drain ({fmt(n2, 0)} segments, {fmt(n2 * 16 if n2 else None, 0)} MiB)")
    p("")
    p("PostgreSQL's own archiver, woken by a reload that sets archive_command (for the archive module, loaded at start "
      "unconfigured: `wal_e.socket`), against a copy of the same stopped "
      "cluster with the same segments .ready; the time runs from the reload to `pg_stat_archiver.last_archived_time` "
      "of the last one. The `lzop` rows run outside PostgreSQL over the same files. The tuned set-up (the first rows): "
      "hard links to the same segments, read once before the run, PostgreSQL with fsync off, the store in its "
      "environment. The user's set-up: a fresh copy of the cluster (its own files, without the segments already "
      "archived, which a checkpoint would have recycled; `sync`, nothing warmed), "
      "PostgreSQL's default fsync (its archiver makes each `.done` file durable: three fsyncs a segment), wal-ed "
      "started with nothing but the store (its defaults, its log where it goes by default), and `archive_command = 'env WALE_SOCKET=… WALE_FILE_PREFIX=… wal-e "
      "wal-push %p'`. \"Already stored\": every segment was pushed before the timed run, so the figure is PostgreSQL's "
      "own loop and the round trip, the floor of any drain in that set-up.")
    p("")
    p("| candidate | seconds | MB/s | vs wal-e | stored, % of the WAL | failed calls | CPU busy % (iowait %) | archivers' CPU s | CPU ms per segment | peak RSS sampled, MiB |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    wsec = num("s2.wale.seconds")
    for c in DRAIN_ORDER:
        if f"s2.{c}.status" not in r:
            continue
        s = num(f"s2.{c}.seconds")
        stored = num(f"s2.{c}.stored_bytes")
        peaks = ", ".join(f"{k} {fmt(mib(v), 1)}" for k, v in kv(f"s2.{c}.peak_rss").items())
        if num(f"s2.{c}.daemon_hwm_kb"):
            peaks = f"wal-ed {fmt(mib(num(f's2.{c}.daemon_hwm_kb')), 1)} (VmHWM at the end)"
        p(f"| {NAMES[c]} | {fmt(s)}{spread(f's2.{c}.seconds')}{failures(f's2.{c}.status')} "
          f"| {fmt(n2 * SEG / 1e6 / s if s and n2 else None)} "
          f"| {fmt(s / wsec if s and wsec else None)}× the time "
          f"| {fmt(100 * stored / (n2 * SEG) if stored and n2 else None, 1)} | {fmt(num(f's2.{c}.failed_calls'), 0)} "
          f"| {fmt(num(f's2.{c}.cpu_busy'), 0)} ({fmt(num(f's2.{c}.cpu_iowait'), 1)}) | {cpu_seen(f's2.{c}')} "
          f"| {cpu_per_segment(f's2.{c}', n2)} | {peaks or '—'} |")
    p("")

if any(k.startswith("s3.") for k in r):
    p("## 3. Live load")
    p("")
    p("A copy of the base cluster (backlog 0) archiving with each candidate while `pgbench -c 4 -j 2` (TPC-B) runs "
      "for the same time; checkpoints every 48 MiB of WAL. The backlog is the number of .ready files, sampled every "
      "0.2 s; after the load, a WAL switch and the time until no .ready file is left.")
    p("")
    p("| candidate | largest backlog | median backlog | pgbench tps | segments archived | drained after the load (s) | failed calls | CPU busy % (iowait %) |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in ("wale", "pgbr_async", "pgbr_sync", "cp"):
        if f"s3.{c}.max_ready" not in r:
            continue
        p(f"| {NAMES[c]} | {r[f's3.{c}.max_ready']} | {r.get(f's3.{c}.median_ready', '—')} | {fmt(num(f's3.{c}.tps'), 0)} "
          f"| {r.get(f's3.{c}.archived', '—')} | {r.get(f's3.{c}.drain_after_s') or 'not within 600 s'} "
          f"| {r.get(f's3.{c}.failed_calls', '—')} | {r.get(f's3.{c}.cpu_busy', '—')} ({r.get(f's3.{c}.cpu_iowait', '—')}) |")
    p("")

S4_CONF = {"s4": lambda: f"fsync = off, max_wal_size = {r.get('s4.max_wal_size', '96MB')}, the run's inputs read once "
                         "before it, the store in the postmaster's environment",
           "s4u": lambda: "PostgreSQL's defaults: fsync = on, max_wal_size = 1GB; only a `sync` before the run; wal-ed "
                          "with nothing but its store; `envdir DIR wal-e wal-fetch %f %p`, the store in DIR"}
for k4, suffix, setup_label in S4_SETUPS:
    if not any(k.startswith(f"{k4}.") and k.count(".") >= 3 for k in r):
        continue
    cp_best = num(f"{k4}.local.cp.seconds")
    p(f"## 4{suffix}. Recovery ({fmt(n4, 0)} segments), {setup_label.split(':')[0]}")
    p("")
    p(f"A copy of the base cluster with an empty pg_wal and `standby.signal` replays {r.get('s4.target', '')} "
      f"(recovery_target_lsn, recovery_target_action = shutdown; {S4_CONF[k4]()}) "
      "through restore_command; the time is the whole "
      "life of the postgres process. wal-e: `wal-e wal-fetch %f %p` through a fresh wal-ed (default --prefetch 8); "
      "pgBackRest: `archive-get`, sync or async (process-max=2, default queue of 128 MiB); the S3 peer is reached "
      "over HTTPS through stunnel by both.")
    p("")
    p("| store | candidate | seconds | segments/s | vs `cp` (speed) | segments restored | CPU busy % (iowait %) | archivers' CPU s | CPU ms per segment | replay, peer CPU s | notes |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = [("local", "cp"), ("file", "wale"), ("file", "pgbr_async"), ("file", "pgbr_sync"),
            ("s3", "wale"), ("s3", "pgbr_async"), ("s3", "pgbr_sync")]
    label = {"local": "local directory", "file": "file://", "s3": "S3 (HTTPS)"}
    for store, c in rows:
        key = f"{k4}.{store}.{c}"
        if f"{key}.status" not in r:
            continue
        s = num(f"{key}.seconds")
        notes = []
        if c == "wale":
            pf = kv(f"{key}.prefetch", statistics.median)
            if pf:
                notes.append(", ".join(f"{k} {int(v)}" for k, v in pf.items()))
            if num(f"{key}.daemon_hwm_kb"):
                notes.append(f"wal-ed VmHWM {fmt(mib(num(f'{key}.daemon_hwm_kb')), 1)} MiB")
        if failures(f"{key}.status"):
            notes.append("**recovery did not reach the target in" + failures(f"{key}.status").strip("* ") + "**")
        p(f"| {label[store]} | {NAMES[c]} | {fmt(s)}{spread(f'{key}.seconds')} | {fmt(n4 / s if s and n4 else None)} "
          f"| {fmt(cp_best / s if s and cp_best else None)}× | {fmt(num(f'{key}.restored'), 0)} "
          f"| {fmt(num(f'{key}.cpu_busy'), 0)} ({fmt(num(f'{key}.cpu_iowait'), 1)}) | {cpu_seen(key)} "
          f"| {cpu_per_segment(key, n4)} "
          f"| {cpu_seen(key, OTHER_LABELS)} | {'; '.join(notes)} |")
    p("")

p("## 5. Peak memory (RSS)")
p("")
p("| process | how measured | peak MiB |")
p("| --- | --- | --- |")
where = {"s1": "round trips", "s2": "backlog drain", "s3": "live load", "s4_file": "recovery from file://",
         "s4_s3": "recovery from S3", "s4u_file": "recovery from file://, user's set-up",
         "s4u_s3": "recovery from S3, user's set-up", "s5": "per-call pass"}
where.update({f"s2_{c}": f"backlog drain: {NAMES[c]}" for c in DRAIN_ORDER if c in NAMES})
for k, v in daemon.items():
    p(f"| wal-ed | VmHWM at the end of: {where.get(k, k)} | {fmt(mib(v), 1)} |")
sampled = {}
for k in r:
    if k.endswith(".peak_rss"):
        for role, v in kv(k).items():
            if role not in ("wal-ed", "S3 peer (node)", "stunnel"):  # the peers are not archivers
                sampled[role] = max(sampled.get(role, 0), v)
for role, v in sorted(sampled.items()):
    p(f"| {role} | sampled every 0.2 s in every scenario (largest VmHWM seen) | {fmt(mib(v), 1)} |")
calls = {"wale_push": "wal-e wal-push (shim, through wal-ed)", "wale_inproc_push": "wal-e wal-push in-process",
         "pgbr_push": "pgbackrest archive-push (sync)", "cp_push": "cp (archive)",
         "wale_fetch": "wal-e wal-fetch (shim, through wal-ed)", "wale_inproc_fetch": "wal-e wal-fetch in-process",
         "pgbr_get": "pgbackrest archive-get (sync)", "cp_get": "cp (restore)"}
for name, label_ in calls.items():
    v = r.get(f"s5.call.{name}")
    if v:
        peak, n, bad = (v.split(";") + ["", "", ""])[:3]
        p(f"| {label_} | GNU time max RSS, largest of {n} calls{'; ' + bad + ' failed' if bad not in ('', '0') else ''} | {fmt(mib(float(peak)), 1) if peak else '—'} |")
p("")
p("## Method")
p("")
p("* Every candidate works on the same segments, on the same machine, in the same run, one at a time; the "
  "machine was not otherwise idle (see the load averages), and \"CPU busy\" is the whole machine's.")
p("* PostgreSQL runs with fsync = off and synchronous_commit = off (the archivers are measured, not the server), "
  "except in the user's set-ups (scenarios 2 and 4u), which keep PostgreSQL's defaults. "
  "wal-e's file store and pgBackRest's posix repository fsync every object; plain `cp` does not, and the "
  "`lzop` → /dev/null row writes nothing: those two are limits, not peers.")
p("* pgBackRest uses lz4 (`compress-type=lz4`, its default level) in every mode; wal-e uses its only codec, "
  "lzop (LZO1X-1) as WAL-E did.")
p("* Scenario 2 and 4 clusters are copies of one stopped cluster whose completed segments are hard links to the "
  "same files (no checkpoint runs during scenario 2, so none is recycled); every candidate gets a fresh store, "
  "a fresh wal-ed (new journal) and fresh pgBackRest spool and lock directories.")
p("* \"CPU ms per segment\" divides the archivers' CPU (every kind listed, not the replay nor the peer) by the "
  "segments: the figure least disturbed by other work on the machine.")
p("* \"archivers' CPU s\" is read from /proc by the sampler (every 0.2 s): the long-lived processes (wal-ed, "
  "pgBackRest's async and local processes, lzop) directly, and \"commands\": every archive_command or "
  "restore_command together (wal-e shim, pgBackRest foreground, cp), as the CPU of the children PostgreSQL's "
  "archiver or startup process waited for. \"replay\" is the startup process's own CPU.")
p("* The S3 peer is s3rver 3.7.1 (tests/peers) behind stunnel: its SigV4-checking fork refuses pgBackRest's "
  "bucket-level requests (it drops the trailing slash of `/bucket/` from the canonical request).")
print("\n".join(out))

if len(sys.argv) > 3 and sys.argv[2] == "--readme":
    for readme in sys.argv[3:]:  # every file with the markers gets the summary
        text = open(readme, encoding="utf-8").read()
        begin, end = "<!-- latest:begin -->", "<!-- latest:end -->"
        if begin in text and end in text:
            summary_end = out.index("## 1. Archive round trip") if "## 1. Archive round trip" in out else len(out)
            block = []
            for l in out[2:summary_end]:
                if l != "## Summary" and not (l == "" and block and block[-1] == ""):
                    block.append(l)
            head, rest = text.split(begin, 1)
            tail = rest.split(end, 1)[1]
            open(readme, "w", encoding="utf-8").write(head + begin + "\n" + "\n".join(block).strip() + "\n" + end + tail)
