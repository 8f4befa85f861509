"""Prints the Static Large Object segments in CONTAINER_segments that no
manifest in CONTAINER references (what an abandoned or half-deleted large
upload left behind), one name a line; nothing when clean.

usage: swift_orphans.py AUTH_URL USER KEY CONTAINER   (tempauth v1)
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def request(url, token=None, headers=None):
    req = urllib.request.Request(url, headers=dict(headers or {}, **({"X-Auth-Token": token} if token else {})))
    return urllib.request.urlopen(req, timeout=30)


def listing(storage, token, container):
    names, marker = [], ""
    while True:
        query = urllib.parse.urlencode({"format": "json", "marker": marker})
        try:
            page = json.load(request(f"{storage}/{urllib.parse.quote(container)}?{query}", token))
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return names
            raise
        if not page:
            return names
        names += [o["name"] for o in page]
        marker = page[-1]["name"]


def main():
    auth_url, user, key, container = sys.argv[1:5]
    answer = request(auth_url, headers={"X-Auth-User": user, "X-Auth-Key": key})
    storage, token = answer.headers["X-Storage-Url"], answer.headers["X-Auth-Token"]
    segments = listing(storage, token, container + "_segments")
    referenced = set()
    for owner in sorted({name.rsplit("/slo/", 1)[0] for name in segments if "/slo/" in name}):
        url = f"{storage}/{urllib.parse.quote(container)}/{urllib.parse.quote('/' + owner)}?multipart-manifest=get"
        try:
            response = request(url, token)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                continue
            raise
        if response.headers.get("X-Static-Large-Object", "").lower() == "true":
            referenced |= {s["name"] for s in json.load(response)}
    for name in segments:
        if f"/{container}_segments/{name}" not in referenced:
            print(name)


main()
