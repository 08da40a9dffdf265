#!/usr/bin/env python3
"""A real local webhook for the output tests: records each POST (Content-Type and body, one
JSON line per request) in LOG, answers 200, optionally after a delay per request. With
TLS_CERT and TLS_KEY set it serves HTTPS; with TLS_CLIENT_CA too it requires a client
certificate signed by that CA (mutual TLS).
Usage: [TLS_CERT=PEM TLS_KEY=PEM [TLS_CLIENT_CA=PEM]] webhook-receiver.py PORT LOG [DELAY_SECONDS]"""
import http.server
import json
import os
import ssl
import sys
import time

port, log = int(sys.argv[1]), sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the agent expects

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if delay:
            time.sleep(delay)
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                "user_agent": self.headers.get("User-Agent"),
                                "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer.allow_reuse_address = True
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
if os.environ.get("TLS_CERT"):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.environ["TLS_CERT"], os.environ["TLS_KEY"])
    if os.environ.get("TLS_CLIENT_CA"):
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(os.environ["TLS_CLIENT_CA"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
