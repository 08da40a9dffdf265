#!/usr/bin/env python3
"""A real local webhook for the output tests: records each POST (Content-Type and body, one
JSON line per request) in LOG, answers 200, optionally after a delay per request.
Usage: webhook-receiver.py PORT LOG [DELAY_SECONDS]"""
import http.server
import json
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
http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
