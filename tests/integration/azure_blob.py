#!/usr/bin/env python3
"""A second, independent Azure Blob client for the tests (standard library
only; SharedKey and account SAS written from Microsoft's REST reference).
It sets up what wal-e does not do itself and looks at the store from the
outside:

  azure_blob.py create-container ENDPOINT ACCOUNT CONTAINER
      Put Container (an existing one is fine).
  azure_blob.py sas ACCOUNT EXPIRY [PERMISSIONS]
      prints an account SAS for the blob service (EXPIRY: ISO-8601 UTC such
      as 2030-01-01T00:00:00Z, or -3600 / +3600 for seconds from now).
  azure_blob.py orphans ENDPOINT ACCOUNT CONTAINER [PREFIX]
      prints every blob that has uncommitted blocks ("NAME<TAB>N uncommitted
      blocks"), found with List Blobs include=uncommittedblobs and Get Block
      List; nothing when clean.

The account key comes from the environment (AZURE_KEY), never argv.
ENDPOINT is a WALE_WABS_ENDPOINT value, e.g. http://127.0.0.1:10000/devstoreaccount1.
"""
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.client
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

VERSION = "2021-08-06"


def key():
    return base64.b64decode(os.environ["AZURE_KEY"])


def request(endpoint, account, method, path, query=(), body=b"", headers=None):
    url = urllib.parse.urlsplit(endpoint)
    full_path = url.path.rstrip("/") + path
    h = {"x-ms-date": email.utils.formatdate(usegmt=True), "x-ms-version": VERSION}
    h.update(headers or {})
    lower = {k.lower(): v for k, v in h.items()}
    standard = ["content-encoding", "content-language", "content-length", "content-md5", "content-type", "date",
                "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range"]
    lower["content-length"] = str(len(body)) if body else ""
    lines = [method] + [lower.get(name, "") for name in standard]
    canonical = "\n".join(lines) + "\n"
    canonical += "".join("%s:%s\n" % (k, lower[k].strip()) for k in sorted(lower) if k.startswith("x-ms-"))
    canonical += "/" + account + full_path
    for name, value in sorted((k.lower(), v) for k, v in query):
        canonical += "\n%s:%s" % (name, value)
    signature = base64.b64encode(hmac.new(key(), canonical.encode(), hashlib.sha256).digest()).decode()
    h["Authorization"] = "SharedKey %s:%s" % (account, signature)
    target = urllib.parse.quote(full_path) + ("?" + urllib.parse.urlencode(list(query)) if query else "")
    conn = (http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection)(url.hostname, url.port, timeout=30)
    conn.request(method, target, body=body, headers=h)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("x-ms-error-code") or "", data


def create_container(endpoint, account, container):
    status, code, data = request(endpoint, account, "PUT", "/" + container, [("restype", "container")])
    if status not in (201, 409) or (status == 409 and code != "ContainerAlreadyExists"):
        sys.exit("create-container: HTTP %d %s %s" % (status, code, data[:300]))


def when(text):
    if text[:1] in "+-":
        moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(text))
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text


def account_sas(account, expiry, permissions="racwdl"):
    # Account SAS, signed version 2020-12-06 and later (encryption scope line).
    fields = [account, permissions, "b", "sco", "", when(expiry), "", "https,http", VERSION, "", ""]
    signature = base64.b64encode(hmac.new(key(), "\n".join(fields).encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode([("sv", VERSION), ("ss", "b"), ("srt", "sco"), ("sp", permissions),
                                   ("se", when(expiry)), ("spr", "https,http"), ("sig", signature)])


def orphans(endpoint, account, container, prefix=""):
    marker = ""
    while True:
        query = [("restype", "container"), ("comp", "list"), ("include", "uncommittedblobs")]
        if prefix:
            query.append(("prefix", prefix))
        if marker:
            query.append(("marker", marker))
        status, code, data = request(endpoint, account, "GET", "/" + container, query)
        if status != 200:
            sys.exit("orphans: List Blobs: HTTP %d %s" % (status, code))
        root = ET.fromstring(data)
        for blob in root.iter("Blob"):
            name = blob.findtext("Name")
            status, code, blocks = request(endpoint, account, "GET", "/%s/%s" % (container, name),
                                           [("comp", "blocklist"), ("blocklisttype", "uncommitted")])
            if status == 404:
                continue
            if status != 200:
                sys.exit("orphans: Get Block List of %s: HTTP %d %s" % (name, status, code))
            count = len(ET.fromstring(blocks).findall("./UncommittedBlocks/Block"))
            if count:
                print("%s\t%d uncommitted blocks" % (name, count))
        marker = root.findtext("NextMarker") or ""
        if not marker:
            return


def main(argv):
    if not argv:
        sys.exit(__doc__)
    command, args = argv[0], argv[1:]
    if command == "create-container":
        create_container(*args)
    elif command == "sas":
        print(account_sas(*args))
    elif command == "orphans":
        orphans(*args)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv[1:])
