#!/usr/bin/env python3
"""Serves a ladder to a browser for tests/integration/tools/player.html.

usage: player.py ROOT NPM_DIR PORT_FILE RESULT_FILE

ROOT is served at /, player.html (beside this file) at /player.html, and
hls.js and dash.js from NPM_DIR/node_modules at /lib/. The server listens on
a free port of 127.0.0.1, written to PORT_FILE; the page's POST to /result
is written to RESULT_FILE (whole: a temporary name, then a rename), its
POSTs to /state (where playback is, every second) to RESULT_FILE.state.
"""
import http.server
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".js": "text/javascript",
    ".html": "text/html; charset=utf-8",
}


def main():
    root, npm, port_file, result_file = sys.argv[1:5]
    lib = {
        "/lib/hls.min.js": os.path.join(npm, "node_modules/hls.js/dist/hls.min.js"),
        "/lib/dash.all.min.js": os.path.join(npm, "node_modules/dashjs/dist/dash.all.min.js"),
        "/player.html": os.path.join(HERE, "player.html"),
    }

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)

        def log_message(self, fmt, *args):
            pass

        def guess_type(self, path):
            ext = os.path.splitext(path)[1].lower()
            return TYPES.get(ext) or super().guess_type(path)

        def translate_path(self, path):
            bare = path.split("?", 1)[0]
            return lib.get(bare) or super().translate_path(path)

        def do_POST(self):
            target = {"/result": result_file, "/state": result_file + ".state"}.get(self.path)
            if not target:
                self.send_error(404)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            tmp = target + ".part"
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, target)
            self.send_response(204)
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".part", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".part", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
