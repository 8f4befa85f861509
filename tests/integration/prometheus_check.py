#!/usr/bin/env python3
"""prometheus_check.py: reads a page in Prometheus' text exposition format
(version 0.0.4) on stdin, checks it strictly, and prints its samples as
JSON ({"name{label=\"v\"}": value}). Exits 1 naming the first line that
breaks the format. What it checks: HELP and TYPE at most once per family
and before its samples, names and label names of the allowed characters,
label values with only the allowed escapes, numeric values, counters named
*_total, no series twice, a newline at the end.
"""
import json
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s)(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)


def fail(number, line, why):
    sys.stderr.write("prometheus_check: line %d: %s: %r\n" % (number, why, line))
    sys.exit(1)


def main():
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail(0, text[-40:], "the page does not end with a newline")
    helps, types, seen_samples, samples = set(), {}, set(), {}
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if m := HELP.match(line):
            if m.group(1) in helps:
                fail(number, line, "a second HELP")
            if m.group(1) in seen_samples:
                fail(number, line, "HELP after samples")
            helps.add(m.group(1))
        elif m := TYPE.match(line):
            if m.group(1) in types:
                fail(number, line, "a second TYPE")
            if m.group(1) in seen_samples:
                fail(number, line, "TYPE after samples")
            types[m.group(1)] = m.group(2)
        elif line.startswith("#"):
            continue
        elif m := SAMPLE.match(line):
            name, labels, value = m.group(1), m.group(2) or "", m.group(3)
            try:
                number_value = float(value)
            except ValueError:
                fail(number, line, "not a number")
            if math.isnan(number_value) and value != "NaN":
                fail(number, line, "not a number")
            if name not in types:
                fail(number, line, "no TYPE before the sample")
            if types[name] == "counter" and not name.endswith("_total"):
                fail(number, line, "a counter not named *_total")
            key = name + labels
            if key in samples:
                fail(number, line, "the same series twice")
            seen_samples.add(name)
            samples[key] = number_value
        else:
            fail(number, line, "neither a comment nor a sample")
    json.dump(samples, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


main()
