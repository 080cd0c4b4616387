#!/usr/bin/python3
"""quote_sidecar.py — the "quote-service-container" of the seed "dstack CVM Python
Verifier", for tests: a tiny HTTP service in front of a dstack simulator, as the seed's CVM
exposes it to a remote verifier.

  GET /quote?data=<hex nonce>  → {"quote": hex, "event_log": "<JSON text>", "report_data",
                                  "vm_config"}: the simulator's GetQuote for that report_data
  GET /prpc/Info               → the guest agent's Info (the simulator's /Info), unchanged

Usage: quote_sidecar.py --socket DSTACK_SOCK [--listen 127.0.0.1:0] [--tamper MODE]
Prints "quote-sidecar: listening on http://127.0.0.1:PORT" once ready. Loopback only.

--tamper (negative tests): quote  flips one report_data byte of the quote (its signature
no longer holds); nonce  answers every /quote with the quote of the first nonce asked
(a replay); compose  changes app_compose in Info; event  appends a runtime event to the
event log that the quote never measured.
Python standard library only.
"""
import argparse
import hashlib
import http.client
import http.server
import json
import socket
import sys
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def sim_call(sock, path, body=None):
    """POST (with body) or GET path on the simulator; returns the decoded JSON."""
    c = UnixHTTPConnection(sock)
    try:
        if body is None:
            c.request("GET", path)
        else:
            c.request("POST", path, body=json.dumps(body),
                      headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"simulator {path}: HTTP {r.status}: {data[:200]!r}")
        return json.loads(data)
    finally:
        c.close()


def make_handler(opts, state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet
            pass

        def reply(self, status, obj):
            b = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            try:
                if u.path == "/quote":
                    q = urllib.parse.parse_qs(u.query)
                    data = q.get("data", [""])[0]
                    try:
                        rd = bytes.fromhex(data)
                    except ValueError:
                        return self.reply(400, {"error": "data: not hex"})
                    if len(rd) > 64:
                        return self.reply(400, {"error": "data: more than 64 bytes"})
                    if opts.tamper == "nonce" and "first" in state:
                        return self.reply(200, state["first"])
                    res = sim_call(opts.socket, "/GetQuote", {"report_data": data})
                    if opts.tamper == "quote":
                        b = bytearray.fromhex(res["quote"])
                        b[48 + 520 + 63] ^= 0x01  # last report_data byte
                        res["quote"] = b.hex()
                    if opts.tamper == "event":
                        log = json.loads(res["event_log"])
                        payload = b"unmeasured"
                        name = "injected"
                        digest = hashlib.sha384((0x08000001).to_bytes(4, "little") + b":" +
                                                name.encode() + b":" + payload).hexdigest()
                        log.append({"imr": 3, "event_type": 0x08000001, "digest": digest,
                                    "event": name, "event_payload": payload.hex()})
                        res["event_log"] = json.dumps(log)
                    state.setdefault("first", res)
                    return self.reply(200, res)
                if u.path == "/prpc/Info":
                    info = sim_call(opts.socket, "/Info")
                    if opts.tamper == "compose":
                        tcb = json.loads(info["tcb_info"])
                        ac = json.loads(tcb["app_compose"])
                        ac["name"] = ac.get("name", "") + "-tampered"
                        tcb["app_compose"] = json.dumps(ac)
                        info["tcb_info"] = json.dumps(tcb)
                    return self.reply(200, info)
                return self.reply(404, {"error": f"no route {u.path} (GET /quote, /prpc/Info)"})
            except (OSError, RuntimeError, ValueError, KeyError) as e:
                return self.reply(502, {"error": f"simulator at {opts.socket}: {e}"})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--tamper", choices=["quote", "nonce", "compose", "event"])
    opts = ap.parse_args()
    host, _, port = opts.listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("quote-sidecar: --listen must be a loopback address")
    srv = http.server.ThreadingHTTPServer((host, int(port)), make_handler(opts, {}))
    print(f"quote-sidecar: listening on http://{host}:{srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
