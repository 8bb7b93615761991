"""A real HTTP server for a Flask app, in a daemon thread on 127.0.0.1 (a free port).

For tests that drive a real client (a browser) against committed data::

    server = LiveServer(app)
    try:
        ... server.url ...
    finally:
        server.stop()
"""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code="-", size="-") -> None:
        pass


class LiveServer:
    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self._server = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="koepel-live-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
