#!/usr/bin/env python3
"""fake_imds.py: a hand-written stand-in for the EC2 instance metadata
service (IMDSv2), which cannot run anywhere but on EC2. It serves a session
token and one IAM role whose credentials are those of the local S3 peer.

usage: fake_imds.py PORT ACCESS_KEY SECRET
"""
import datetime
import http.server
import json
import sys

port, access_key, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TOKEN = "imds-session-token"
ROLE = "wal-e-test-role"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self.reply(200, TOKEN)
        else:
            self.reply(400, "bad token request")

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            self.reply(401, "")
        elif self.path == "/latest/meta-data/iam/security-credentials/":
            self.reply(200, ROLE)
        elif self.path == "/latest/meta-data/iam/security-credentials/" + ROLE:
            expires = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.reply(200, json.dumps({"Code": "Success", "AccessKeyId": access_key, "SecretAccessKey": secret,
                                        "Token": "", "Expiration": expires}))
        else:
            self.reply(404, "")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
