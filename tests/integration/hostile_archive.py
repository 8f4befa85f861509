#!/usr/bin/env python3
"""Writes hostile base-backup partitions (plain tar; the test compresses
them with lzop): one file CASE.tar per case in DIR.

usage: hostile_archive.py DIR CANARY_DIR

Each case is what a damaged or malicious store could hold: names that leave
the target, symbolic and hard links that would lead writes outside it,
device nodes, FIFOs, set-user-ID files, and sizes that lie.
"""
import io
import sys
import tarfile

out, canary = sys.argv[1], sys.argv[2]


def member(name, kind=tarfile.REGTYPE, data=b"", mode=0o600, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    return info, data


def write(case, members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
    with open("%s/%s.tar" % (out, case), "wb") as f:
        f.write(buf.getvalue())
    return buf.getvalue()


def seal(block):
    """Recomputes a ustar header block's checksum after an edit."""
    block = bytearray(block)
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


base = [member("PG_VERSION", data=b"15\n"), member("global", tarfile.DIRTYPE, mode=0o700)]

write("good", base)
write("dotdot", base + [member("../escaped", data=b"pwned")])
write("dotdot_deep", base + [member("global/../../escaped", data=b"pwned")])
write("absolute", base + [member(canary + "/absolute", data=b"pwned")])
write("symlink_dir", base + [member("out", tarfile.SYMTYPE, link=canary),
                             member("out/pwned", data=b"pwned")])
write("symlink_file", base + [member("victim", tarfile.SYMTYPE, link=canary + "/victim"),
                              member("victim", data=b"pwned")])
write("hardlink_through_symlink", base + [member("out", tarfile.SYMTYPE, link=canary),
                                          member("h", tarfile.LNKTYPE, link="out/victim"),
                                          member("h", data=b"pwned")])
write("hardlink_dotdot", base + [member("h", tarfile.LNKTYPE, link="../canary/victim"),
                                 member("h", data=b"pwned")])
write("hardlink_absolute", base + [member("h", tarfile.LNKTYPE, link=canary + "/victim"),
                                   member("h", data=b"pwned")])
write("chardev", base + [member("dev_null", tarfile.CHRTYPE, mode=0o666)])
write("blockdev", base + [member("dev_sda", tarfile.BLKTYPE, mode=0o660)])
write("fifo", base + [member("pipe", tarfile.FIFOTYPE, mode=0o600)])
write("setuid", base + [member("global/suid", data=b"#!/bin/sh\n", mode=0o4755)])
write("setgid", base + [member("global/sgid", data=b"#!/bin/sh\n", mode=0o2755)])

# A size field larger than the data that follows (the stream ends inside
# the member), in the ustar header and in a pax record of a huge size.
raw = write("size_longer", [member("lie", data=b"x" * 10)], fmt=tarfile.USTAR_FORMAT)
header = raw[:512]
lied = seal(header[:124] + b"%011o\0" % 100000 + header[136:])
with open("%s/size_longer.tar" % out, "wb") as f:
    f.write(lied + raw[512:1024])
info, data = member("lie", data=b"x" * 10)
info.pax_headers = {"size": str(10 ** 15)}
raw = write("size_huge", [(info, data)])
with open("%s/size_huge.tar" % out, "wb") as f:
    f.write(raw[:raw.index(b"x" * 10) + 512])
# A size field smaller than the data: the rest is read as a header.
raw = write("size_shorter", [member("lie", data=b"y" * 2000)], fmt=tarfile.USTAR_FORMAT)
with open("%s/size_shorter.tar" % out, "wb") as f:
    f.write(seal(raw[:124] + b"%011o\0" % 5 + raw[136:512]) + raw[512:])
