#!/usr/bin/env python3
"""fake_gcs_token_endpoint.py: a hand-written stand-in for Google's OAuth 2.0
token endpoint (https://oauth2.googleapis.com/token) and for the token path
of the Compute Engine metadata server, neither of which runs anywhere but at
Google. No real Google server is involved.

As the token endpoint (POST /token) it takes the JWT bearer grant of a
service account: it checks the JWT's RS256 signature with the public key
registered for its issuer (Python's standard library has no RSA, so
`openssl dgst -sha256 -verify` does that), the audience (this URL), the
scope and the times, and answers as Google does: {"access_token",
"expires_in", "token_type"}, or 400 {"error": "invalid_grant", ...}.

As the metadata server (GET /computeMetadata/v1/instance/service-accounts/
default/token, with Metadata-Flavor: Google) it hands out tokens as well.

usage: fake_gcs_token_endpoint.py PORT STATE_DIR
  STATE_DIR/accounts/EMAIL.pem   public key of each service account it knows
  STATE_DIR/expires_in           lifetime of the tokens it issues (default 3600), read per request
  STATE_DIR/issued               tokens issued so far, one line each: "KIND TOKEN EXPIRES_AT [EMAIL]",
                                 KIND jwt or metadata, EXPIRES_AT in seconds since the epoch
(tests/peers/fake_gcs_auth.js checks storage requests against that list.)
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

port, state = int(sys.argv[1]), sys.argv[2]
AUDIENCE = "http://127.0.0.1:%d/token" % port
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
METADATA_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"
lock = threading.Lock()
issued = 0


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def lifetime():
    try:
        with open(os.path.join(state, "expires_in")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 3600


def issue(kind, who, seconds):
    global issued
    with lock:
        issued += 1
        token = "ya29.fake-%s-%d" % (kind, issued)
        with open(os.path.join(state, "issued"), "a") as f:
            f.write("%s %s %d %s\n" % (kind, token, int(time.time()) + seconds, who))
    return token


def rs256_verifies(signing_input, signature, public_key):
    with tempfile.TemporaryDirectory() as d:
        data, sig = os.path.join(d, "data"), os.path.join(d, "sig")
        with open(data, "wb") as f:
            f.write(signing_input)
        with open(sig, "wb") as f:
            f.write(signature)
        result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", public_key, "-signature", sig, data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0


def check_assertion(assertion):
    """The issuer's email, or raises ValueError with Google's description."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("Invalid JWT: the assertion is not header.claims.signature")
    header, claims = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))
    if header.get("alg") != "RS256":
        raise ValueError("Invalid JWT: alg must be RS256")
    email = claims.get("iss", "")
    key = os.path.join(state, "accounts", email + ".pem")
    if "/" in email or not os.path.exists(key):
        raise ValueError("Invalid grant: account not found")
    if not rs256_verifies((parts[0] + "." + parts[1]).encode(), b64url_decode(parts[2]), key):
        raise ValueError("Invalid JWT Signature.")
    if claims.get("aud") != AUDIENCE:
        raise ValueError("Invalid JWT: audience is not " + AUDIENCE)
    if SCOPE not in str(claims.get("scope", "")).split():
        raise ValueError("Invalid JWT: the scope does not include devstorage.read_write")
    now, iat, exp = time.time(), claims.get("iat", 0), claims.get("exp", 0)
    if not (iat - 60 <= now < exp) or exp - iat > 3600:
        raise ValueError("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                         "Check your iat and exp values in the JWT claim.")
    return email


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, document, headers=()):
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def token(self, kind, who, headers=()):
        seconds = lifetime()
        self.reply(200, {"access_token": issue(kind, who, seconds), "expires_in": seconds, "token_type": "Bearer"}, headers)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path != "/token":
            return self.reply(404, {"error": "not_found"})
        form = urllib.parse.parse_qs(body)
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return self.reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        try:
            email = check_assertion(form.get("assertion", [""])[0])
        except (ValueError, json.JSONDecodeError, UnicodeDecodeError) as e:
            return self.reply(400, {"error": "invalid_grant", "error_description": str(e)})
        self.token("jwt", email)

    def do_GET(self):
        flavor = [("Metadata-Flavor", "Google")]
        if self.path.split("?")[0] != METADATA_PATH:
            return self.reply(404, {"error": "not_found"}, flavor)
        if self.headers.get("Metadata-Flavor") != "Google":
            return self.reply(403, {"error": "Missing Metadata-Flavor:Google header."}, flavor)
        self.token("metadata", "", flavor)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
