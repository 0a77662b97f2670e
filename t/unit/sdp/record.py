#!/usr/bin/python3
# Serves this directory on 127.0.0.1:<port> for record.html and stores each
# POST /sdp/<name> as <outdir>/<name>.  Usage: record.py <port> <outdir>
import http.server
import os
import sys

OUT = sys.argv[2]


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(os.path.join(OUT, os.path.basename(self.path)), 'wb') as f:
            f.write(body)
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()


os.chdir(os.path.dirname(os.path.abspath(__file__)))
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])),
                                Handler).serve_forever()
