#!/usr/bin/python3
"""Scenario 1: archive round trips, interleaved.

  roundtrip.py RUNS OUT.json NAME=COMMAND...

Runs every COMMAND as `sh -c COMMAND` RUNS times, round-robin (one run of
each in turn, so that a burst of load on the machine hits all of them
alike), after one untimed warm-up run each; writes the median, minimum
and 90th percentile in milliseconds per NAME. A failing run is counted and
its time kept (PostgreSQL would retry it)."""
import json, statistics, subprocess, sys, time

runs, out = int(sys.argv[1]), sys.argv[2]
cases = [a.split("=", 1) for a in sys.argv[3:]]
samples = {name: [] for name, _ in cases}
failures = {name: 0 for name, _ in cases}
for name, cmd in cases:  # warm-up
    subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(runs):
    for name, cmd in cases:
        t = time.perf_counter()
        rc = subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        samples[name].append((time.perf_counter() - t) * 1000)
        if rc != 0:
            failures[name] += 1
result = {}
for name, s in samples.items():
    s.sort()
    result[name] = {"median_ms": round(statistics.median(s), 3), "min_ms": round(s[0], 3),
                    "p90_ms": round(s[int(0.9 * (len(s) - 1))], 3), "runs": len(s), "failures": failures[name]}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
