#!/usr/bin/env python3
"""Hostile HTTP requests against `vtpool serve --http`, over raw sockets.

usage: http_fuzz.py HOST PORT COUNT SEED [--token T] [--only I]

Sends COUNT requests, each on its own connection (10 s socket timeout), drawn
from a mix of: bad and unknown methods (lowercase, very long, binary), weird
paths (very long, "..", %00, unicode, raw bytes, query strings on every API
path), valid paths with wrong methods, malformed request lines and header
lines, missing/invalid/huge/mismatched Content-Length, chunked bodies (valid
and broken), bodies over 1 MiB (and a few of 5-20 MiB, sent whole without
waiting for an answer), invalid JSON, JSON of the wrong shape (arrays, deep
nesting, huge strings, numbers out of range, unknown keys, inputs that do not
exist), wrong Content-Type, bad Authorization headers, connections closed
mid-request (FIN or RST), short slow partial sends, and some valid requests
(GET /api/v1/jobs, /metrics, /api/v1/jobs/1, ...).

It never submits a valid job: every body it sends is invalid JSON, of the
wrong shape or type, or names its input under /nonexistent/ (each is checked
before it is built into a request), and every POST to a cancel path names an
id that cannot exist (other methods there, which must answer 405, use ids 1
and 2). So a server that keeps to the contract ends with its queue as it was.

With --token, most requests carry "Authorization: Bearer T" so that they reach
the API behind the check; some carry a wrong one on purpose.

The sequence is a function of SEED alone (request I uses its own generator
seeded with "SEED/I"); --only I sends request I only and shows its bytes and
the answer on stderr, to replay one case.

At the end GET /api/v1/jobs (with the token) must answer 200. Prints one JSON
line on stdout:
  {"requests": N, "counts": {"200": 40, "400": 300, ..., "reset": 12,
   "timeout": 0}, "bad": K, "final": 200, "seconds": S}
counts: by the answer's status code, or "reset" (connection reset or broken
pipe with no answer), "timeout" (no complete answer within 10 s), "closed"
(closed with no answer), "aborted" (this side closed mid-request on purpose,
nothing read), "refused" (could not connect), "malformed" (bytes that are not
a well-formed HTTP/1.x response), "http09" (no status line, to an HTTP/0.9
style request, one whose request line has two words: allowed). bad: the
number of answers that were malformed or 5xx, except 501 and 505 (which HTTP
prescribes for unknown methods, transfer codings and versions); the first 20
are listed on stderr. Informational keys in
counts: "error_not_json" (an error status whose body is not a JSON object with
"error"), "json_invalid_200" (a 200 from a JSON API path whose body is not
JSON).
Exit status: 0, or 1 when the final GET /api/v1/jobs does not answer 200
(the server stopped accepting connections or answering), 2 on bad usage.
Only the Python standard library is used.
"""
import json
import random
import re
import select
import socket
import struct
import sys
import time

MIB = 1 << 20
TIMEOUT = 10.0            # per socket operation
DEADLINE = 15.0           # per request, all reads together
SLOW_BUDGET = 8.0         # seconds of sleeps in slow sends, whole run
CRLF = b"\r\n"
NOWHERE = "/nonexistent/"  # prefix of every input path this tool names


def B(s):
    """bytes of s (str: UTF-8, lone surrogates allowed as raw bytes)."""
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


class Case:
    """One request: the bytes to send and how to send them."""

    def __init__(self, kind, data, method=b"", mode="normal", http09=False, json_api=False):
        self.kind = kind
        self.data = data          # bytes to send
        self.method = method      # for HEAD (no body in the answer)
        # normal: send, read the answer; half: send, shut down writing, read;
        # abort / abort_rst: send, close (FIN / RST), read nothing;
        # slow: send self.pieces with sleeps, read; flood: send all even if the
        # server answers first, read.
        self.mode = mode
        self.pieces = None        # slow: [(bytes, sleep seconds)]
        self.http09 = http09      # a response without status line is acceptable
        self.json_api = json_api  # a 200 must carry JSON


# ---------------------------------------------------------------------------
# Building blocks


class Gen:
    """Request builder for one case: its random generator and the shared options."""

    def __init__(self, rng, host, port, token, n):
        self.rng = rng
        self.host = "%s:%d" % (host, port)
        self.token = token
        self.n = n   # the request's index, used in generated names

    def auth(self, p=0.9):
        """A valid Authorization header line (when a token is set), most of the time."""
        if self.token and self.rng.random() < p:
            return [b"Authorization: Bearer " + B(self.token)]
        return []

    def std(self, close=True, auth_p=0.9):
        h = [b"Host: " + B(self.host)]
        if close or self.rng.random() < 0.7:
            h.append(b"Connection: close")
        h += self.auth(auth_p)
        self.rng.shuffle(h)
        return h

    def nowhere(self, what="fuzz"):
        return "%s%s-%d.mp4" % (NOWHERE, what, self.n)

    # -- ids and paths --------------------------------------------------------

    def read_id(self):
        """A job id for reading (may exist)."""
        return self.rng.choice(["1", "2", "3", "0", "-1", "abc", "", "1.5", "007", "1e3", "0x1",
                                "99999999999999999999999", "18446744073709551616", "%31", "1%00",
                                " 1", "1/", "..", "%2e%2e", str(self.rng.randrange(1 << 63))])

    def cancel_id(self):
        """A job id for a cancel request: one that cannot name a job under any
        sane or sloppy parse (no digits that a prefix parse or a 32-bit
        truncation could turn into a small id)."""
        return self.rng.choice(["0", "-1", "abc", "", "-0", "%20",
                                str(3000000000 + self.rng.randrange(1000000)),
                                "99999999999999999999999999", "-99999999999999999999"])

    def api_path(self, method=b"GET"):
        """One of the contract's paths (ids chosen by what the method may do)."""
        reading = method in (b"GET", b"HEAD")
        k = self.rng.randrange(10)
        if k == 0:
            return "/"
        if k == 1:
            return "/metrics"
        if k == 2:
            return self.rng.choice(["/api/v1/openapi.json", "/openapi.json"])
        if k in (3, 4):
            return "/api/v1/jobs"
        if k == 5:
            return "/api/v1/jobs/" + self.read_id()
        if k == 6:
            return "/api/v1/jobs/%s/cancel" % (self.rng.choice("123") if reading else self.cancel_id())
        if k == 7:
            return "/api/v1/workers"
        if k == 8:
            return "/api/v1/events"
        return self.rng.choice(["/api/v1", "/api", "/api/v1/", "/api/v1/job", "/api/v2/jobs"])

    def query(self):
        r = self.rng
        return r.choice([
            "?state=queued", "?state=running&limit=5", "?state=bogus", "?state=", "?limit=-1",
            "?limit=0", "?limit=99999999999999999999999", "?limit=abc", "?limit=1e9", "?limit=",
            "?state=%00", "?state=%ZZ", "?", "??", "?&&&", "?=", "?a=1&a=2", "?limit=1&limit=2",
            "?state=queued;limit=1", "?x=%F0%9F%98%80", "?x=\u00e9\u2603", "?x=\udcff\udcfe",
            "?token=" + (self.token or "x"), "?limit=5#frag", "?state=" + "q" * r.randint(100, 20000),
            "?" + "&".join("k%d=v%d" % (i, i) for i in range(r.randint(10, 3000))),
            "?limit=%2B5", "?limit=+5", "?limit=5.5", "?state=QUEUED", "?state=queued%26limit%3D1",
        ])

    def weird_path(self):
        r = self.rng
        return r.choice([
            lambda: "/api/v1/jobs/" + "1" * r.randint(1000, 100000),
            lambda: "/" + "a/" * r.randint(1000, 40000),
            lambda: "/" + "x" * r.randint(8000, 70000),
            lambda: "/../../../../etc/passwd",
            lambda: "/api/v1/../../../etc/passwd",
            lambda: "/api/v1/jobs/../jobs",
            lambda: "/api/v1/./jobs",
            lambda: "/%2e%2e/%2e%2e/etc/passwd",
            lambda: "/..%2f..%2fetc%2fpasswd",
            lambda: "/api/v1/jobs%00",
            lambda: "/api/v1/jobs/%00",
            lambda: "/metrics%00.html",
            lambda: "/%",
            lambda: "/%zz",
            lambda: "/%u0041",
            lambda: "/api/v1/jobs/\u00e9\u2603\U0001F600",
            lambda: "/\u202e\u0000x",
            lambda: "/\udcff\udcfe\udc80",       # raw invalid UTF-8 bytes
            lambda: "/api/v1/jobs/\udcc0\udcaf",  # overlong encoding of "/"
            lambda: "//api//v1//jobs",
            lambda: "/API/V1/JOBS",
            lambda: "/api/v1/JOBS",
            lambda: "/metrics/",
            lambda: "/api/v1/jobs/",
            lambda: "/api/v1/jobs/1/",
            lambda: "/api/v1/jobs/1/cancel/extra",
            lambda: "/api/v1/jobs/1/bogus",
            lambda: "/api/v1/workers/1",
            lambda: "/api/v1/events/x",
            lambda: "/index.html",
            lambda: "/.git/config",
            lambda: "/\\..\\..\\windows",
            lambda: "*",
            lambda: "",
            lambda: "api/v1/jobs",
            lambda: "http://%s/api/v1/jobs" % self.host,
            lambda: "http://evil.example/api/v1/jobs",
            lambda: "/api/v1/jobs#x",
            lambda: "/?",
            lambda: self.api_path() + self.query(),
            lambda: self.api_path() + self.query(),
            lambda: self.api_path() + self.query(),
        ])()

    # -- bodies ---------------------------------------------------------------

    def job(self, **extra):
        """A job object whose input does not exist."""
        d = {"input": self.nowhere(), "output": self.nowhere("out")}
        for k in ("encoder", "crf", "preset", "priority", "overwrite", "audio"):
            if self.rng.random() < 0.3:
                d[k] = {"encoder": "libx264", "crf": 23, "preset": "veryfast", "priority": 0,
                        "overwrite": False, "audio": "auto"}[k]
        d.update(extra)
        return d

    def invalid_json(self):
        r = self.rng
        inp, out = self.nowhere(), self.nowhere("out")
        return B(r.choice([
            lambda: "",
            lambda: "{",
            lambda: "}",
            lambda: "[",
            lambda: "{'input': '%s', 'output': '%s'}" % (inp, out),
            lambda: '{"input": "%s", "output": "%s"' % (inp, out),
            lambda: '{"input": "%s", "output": "%s",}' % (inp, out),
            lambda: '{"input": %s, "output": "%s"}' % (inp, out),
            lambda: '{input: "%s"}' % inp,
            lambda: '{"input": "%s", "crf": NaN}' % inp,
            lambda: '{"input": "%s", "crf": Infinity}' % inp,
            lambda: '// comment\n{"input": "%s"}' % inp,
            lambda: '{"input": "%s"} trailing' % inp,
            lambda: '{"input": "%s"}{"input": "%s"}' % (inp, inp),
            lambda: '{"input": "%s\x01\x1f"}' % inp,
            lambda: '{"input": "%s\\x41"}' % inp,
            lambda: '{"input": "%s\\ud800"}' % inp,
            lambda: '{"input": "%s\\u12"}' % inp,
            lambda: '{"input": "%s\\' % inp,
            lambda: '{"input": "%s\udcff\udcfe"}' % inp,
            lambda: '{"input": "%s\udcc0\udcaf"}' % inp,
            lambda: '\ufeff{"input": "%s"}' % inp,
            lambda: '{"input": "%s", "crf": 01}' % inp,
            lambda: '{"input": "%s", "crf": -}' % inp,
            lambda: '{"input": "%s", "crf": 1.}' % inp,
            lambda: '{"input": "%s", "crf": .5}' % inp,
            lambda: '{"input": "%s", "crf": 1e}' % inp,
            lambda: '{"input": "%s", "priority": 0x10}' % inp,
            lambda: '{"input": "%s", "overwrite": tru}' % inp,
            lambda: '{"input": "%s", "overwrite": True}' % inp,
            lambda: '{"input": "%s", "audio": nul}' % inp,
            lambda: '{"input" "%s"}' % inp,
            lambda: '{"input":: "%s"}' % inp,
            lambda: '{,}',
            lambda: '{"": }',
            lambda: "\x00" * r.randint(1, 5000),
            lambda: "null\x00{}",
            lambda: "{" * r.randint(1000, 200000),
            lambda: '{"a":' * r.randint(1000, 100000),
            lambda: '"' + "x" * r.randint(1000, 500000),
            lambda: "".join(chr(r.randrange(0xDC80, 0xDD00)) for _ in range(r.randint(1, 4000))),
            lambda: "%s" % "input=%s&output=%s" % (inp, out),
        ])())

    def wrong_shape(self):
        r = self.rng
        inp = self.nowhere()
        k = r.randrange(14)
        if k == 0:    # not an object
            return B(r.choice(["null", "true", "false", "0", "-1", "1e999", '"%s"' % inp, "[]", "{}",
                               json.dumps([self.job()]), json.dumps([self.job(), self.job()]),
                               json.dumps({"jobs": [self.job()]}), json.dumps({"job": self.job()})]))
        if k == 1:    # deep nesting
            d = r.choice([100, 1000, 10000, 100000, 500000])
            return B(r.choice(["[" * d + "]" * d, '{"a":' * (d // 5) + "1" + "}" * (d // 5),
                               '{"input": %s"x"%s}' % ("[" * d, "]" * d),
                               '{"input": "%s", "options": %s1%s}' % (inp, '{"x":' * (d // 5), "}" * (d // 5))]))
        if k == 2:    # huge strings
            n = r.randint(1000, 900000)
            key = r.choice(["input", "output", "encoder", "preset", "audio", "bogus"])
            d = self.job()
            d[key] = (NOWHERE + r.choice(["A", "\u00e9", "\u2603", "\\", '"', "\u0000"]) * (n // 4)
                      if key in ("input", "output") else "x" * n)
            return B(json.dumps(d, ensure_ascii=r.random() < 0.5))
        if k == 3:    # numbers out of range (raw, so that they survive as written)
            key = r.choice(["crf", "priority"])
            val = r.choice(["1e309", "-1e309", "1e-400", "-0", "99999999999999999999999999999999999",
                            "18446744073709551616", "-9223372036854775809", "9223372036854775807",
                            "2147483648", "-2147483649", "1.5", "1e3", "-1", "4294967296",
                            "0.0000000000000000000000001", "1" * r.randint(400, 5000)])
            return B('{"input": "%s", "output": "%s", "%s": %s}' % (inp, self.nowhere("out"), key, val))
        if k == 4:    # wrong types
            key = r.choice(["input", "output", "encoder", "crf", "preset", "priority", "overwrite", "audio"])
            val = r.choice([None, True, False, 0, -1, 1.5, [], [1, 2], {}, {"a": 1}, [inp], {"path": inp}]
                           + ([] if key == "input" else ["", "abc", "\u0000", " " * 10]))
            d = self.job()
            d[key] = val
            return B(json.dumps(d))
        if k == 5:    # unknown keys
            d = self.job()
            for _ in range(r.randint(1, 8)):
                d[r.choice(["bogus", "id", "state", "spec", "options", "__proto__", "constructor",
                            "error", "percent", "submitted", "\u00e9", "", "x" * 1000])] = \
                    r.choice([1, "done", {"crf": "1"}, None, [1]])
            if r.random() < 0.3:     # near-misses of "input", all naming nothing
                d[r.choice(["input ", "Input", "INPUT", " input"])] = self.nowhere("alias")
            return B(json.dumps(d))
        if k == 6:    # many keys
            d = {"k%d" % i: i for i in range(r.randint(100, 60000))}
            d["input"] = inp
            return B(json.dumps(d))
        if k == 7:    # duplicate keys, every input nonexistent
            return B('{"input": "%s", "input": "%s", "output": "%s", "output": 1}'
                     % (inp, self.nowhere("dup"), self.nowhere("out")))
        if k == 8:    # empty and missing fields
            return B(json.dumps(r.choice([{"input": inp}, {"output": self.nowhere("out")},
                                          {"input": NOWHERE, "output": ""}, {"input": inp, "output": ""},
                                          {"input": "nonexistent-fuzz/rel.mp4", "output": "rel.mp4"}])))
        if k == 9:    # options that cannot be right
            return B(json.dumps(self.job(encoder=r.choice(["bogus", "libx264 -vf", "../../x", "", "a" * 4096]),
                                         preset=r.choice(["bogus", "", "-y"]),
                                         crf=r.choice([-100, 1000, 1e100]))))
        if k == 10:   # escapes and control characters
            return B(r.choice(['{"input": "%s\\u0000.mp4", "output": "%s"}' % (inp, self.nowhere("out")),
                               '{"input": "%s\\n\\r\\t", "output": "\\/\\/"}' % inp,
                               '{"\\u0069nput": "%s"}' % inp]))
        if k == 11:   # the output where the input should be
            return B(json.dumps({"output": inp, "outputs": [inp]}))
        # a well-formed job whose input does not exist
        return B(json.dumps(self.job(), ensure_ascii=r.random() < 0.5))

    def bad_body(self):
        """A body that is never a valid job."""
        k = self.rng.random()
        body = self.invalid_json() if k < 0.45 else self.wrong_shape()
        check_not_a_job(body)
        return body

    # -- raw request ----------------------------------------------------------

    def request(self, method, target, headers, body=b"", version=b"HTTP/1.1", eol=CRLF, cl=True):
        h = list(headers)
        if cl and (body or method in (b"POST", b"PUT", b"PATCH")):
            h.append(b"Content-Length: %d" % len(body))
        out = B(method) + b" " + B(target) + (b" " + B(version) if version else b"") + eol
        for line in h:
            out += line + eol
        return out + eol + body


def check_not_a_job(body):
    """Refuses (AssertionError) a body that a server could take for a job whose
    input may exist: the tool must never change the server's queue."""
    def pairs(p):
        for k, v in p:
            if k.strip().lower() == "input" and isinstance(v, str) and NOWHERE.strip("/") not in v:
                raise AssertionError("would submit a job with input %r" % v[:80])
        return dict(p)
    try:
        json.loads(body.decode("utf-8", "replace").lstrip("\ufeff"), object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        pass


# ---------------------------------------------------------------------------
# Kinds of request


def k_valid(g):
    r = g.rng
    method, target, json_api = r.choice([
        (b"GET", "/api/v1/jobs", True), (b"GET", "/api/v1/jobs", True), (b"GET", "/metrics", False),
        (b"GET", "/metrics", False), (b"GET", "/api/v1/jobs/1", True), (b"GET", "/api/v1/workers", True),
        (b"GET", "/api/v1/jobs?state=queued&limit=5", True), (b"GET", "/api/v1/openapi.json", True),
        (b"GET", "/openapi.json", True), (b"GET", "/", False), (b"HEAD", "/api/v1/jobs", False),
        (b"GET", "/api/v1/events", False),
        (b"POST", "/api/v1/jobs/%d/cancel" % (3000000000 + r.randrange(1000000)), True),
    ])
    data = g.request(method, target, g.std(close=r.random() < 0.8, auth_p=1.0))
    return Case("valid", data, method, json_api=json_api)


def k_bad_method(g):
    r = g.rng
    method = r.choice([
        b"get", b"Get", b"post", b"gEt", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT",
        b"PROPFIND", b"MKCOL", b"FOO", b"G3T", b"GET\x00", b"GE T", b"", b"-", b"\xff\xfe",
        b"X" * r.randint(100, 100000),
        bytes(r.randrange(256) for _ in range(r.randint(1, 64))).replace(b" ", b"").replace(b"\r", b"").replace(b"\n", b""),
        bytes(r.randrange(0x21, 0x7f) for _ in range(r.randint(1, 40))),
    ])
    target = g.api_path(method)
    body = g.bad_body() if r.random() < 0.4 else b""
    h = g.std()
    if body:
        h.append(b"Content-Type: application/json")
    return Case("bad_method", g.request(method, target, h, body))


def k_weird_path(g):
    r = g.rng
    method = r.choice([b"GET", b"GET", b"GET", b"HEAD", b"POST"])
    target = g.weird_path()
    body, h = b"", g.std()
    if method == b"POST":
        if "/cancel" in target:
            method = b"GET"          # no POST to a cancel path with a real id
        else:
            body = g.bad_body()
            h.append(b"Content-Type: application/json")
    return Case("weird_path", g.request(method, target, h, body), method)


def k_wrong_method(g):
    r = g.rng
    target, allowed = r.choice([
        ("/", b"GET"), ("/metrics", b"GET"), ("/api/v1/openapi.json", b"GET"), ("/openapi.json", b"GET"),
        ("/api/v1/jobs", b"GET POST"), ("/api/v1/jobs/1", b"GET"), ("/api/v1/jobs/2", b"GET"),
        ("/api/v1/jobs/1/cancel", b"POST"), ("/api/v1/workers", b"GET"), ("/api/v1/events", b"GET"),
    ])
    method = r.choice([m for m in (b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE",
                                   b"CONNECT", b"HEAD") if m not in allowed.split()] or [b"PUT"])
    body = g.bad_body() if method in (b"POST", b"PUT", b"PATCH") or r.random() < 0.2 else b""
    h = g.std()
    if body:
        h.append(b"Content-Type: application/json")
    return Case("wrong_method", g.request(method, target, h, body), method)


def k_request_line(g):
    r = g.rng
    host = b"Host: " + B(g.host) + CRLF
    auth = b"".join(x + CRLF for x in g.auth())
    tail = host + auth + b"Connection: close" + CRLF + CRLF
    p = B(g.api_path())
    choices = [
        (b"GET " + p + CRLF, "half", True),                     # HTTP/0.9 style
        (b"GET " + p + CRLF + CRLF, "half", True),
        (b"GET " + p + b" HTTP/1.1 extra" + CRLF + tail, "normal", False),
        (b"GET  " + p + b"  HTTP/1.1" + CRLF + tail, "normal", False),
        (b"GET\t" + p + b"\tHTTP/1.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/2.0" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/9.9" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/1.1.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" http/1.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/01.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTX/1.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b" HTTP/1.1" + b"\n" + tail.replace(CRLF, b"\n"), "half", False),
        (b"GET " + p + b" HTTP/1.1" + b"\r" + tail.replace(CRLF, b"\r"), "half", False),
        (CRLF * r.randint(1, 20) + b"GET " + p + b" HTTP/1.1" + CRLF + tail, "normal", False),
        (b" GET " + p + b" HTTP/1.1" + CRLF + tail, "normal", False),
        (b"GET " + p + b"\x00 HTTP/1.1" + CRLF + tail, "normal", False),
        (b"GET" + CRLF + tail, "normal", False),
        (b"GET HTTP/1.1" + CRLF + tail, "normal", False),
        (b" " + CRLF + tail, "normal", False),
        (CRLF * r.randint(1, 2000), "half", False),
        (b"GET /" + b"a" * r.randint(70000, 300000) + b" HTTP/1.1" + CRLF + tail, "normal", False),
        (bytes(r.randrange(256) for _ in range(r.randint(1, 3000))) + CRLF + CRLF, "half", False),
        (bytes(r.randrange(256) for _ in range(r.randint(1, 3000))), "half", False),
    ]
    data, mode, http09 = r.choice(choices)
    return Case("request_line", data, mode=mode, http09=http09)


def k_headers(g):
    r = g.rng
    method = r.choice([b"GET", b"GET", b"POST"])
    target = "/api/v1/jobs" if method == b"POST" else g.api_path()
    body = g.bad_body() if method == b"POST" else b""
    h = g.std()
    if method == b"POST":
        h += [b"Content-Type: application/json", b"Content-Length: %d" % len(body)]
    bad = r.choice([
        [b"NoColonHere"],
        [b" folded: continuation"],
        [b"X-A: 1", b" folded continuation line"],
        [b"X-A: 1", b"\tfolded with tab"],
        [b"Host : spaced"],
        [b"X-Bad Name: 1"],
        [b"X-\x00: 1"],
        [b"X-A: \x00\x01\x7f"],
        [b"X-A: \xff\xfe\xc0\xaf"],
        [b": no name"],
        [b"X:"],
        [b"X-Empty:"],
        [b"\x80\x81: high"],
        [b"Host: a", b"Host: b"],
        [b"Host: " + b"h" * r.randint(1000, 100000)],
        [b"X-Long: " + b"v" * r.randint(10000, 200000)],
        [b"X-%d: %d" % (i, i) for i in range(r.randint(100, 20000))],
        [b"Cookie: " + b"a=b; " * r.randint(100, 10000)],
        [b"Authorization: Bearer " + b"t" * r.randint(1000, 50000)],
        [b"Accept: */*" + b"\r"],
        [b"X-A: 1\rX-B: 2"],
        [b"X-A: 1\nX-B: 2"],
        [b"Expect: nothing-you-know"],
        [b"Connection: upgrade", b"Upgrade: websocket"],
        [b"Connection: upgrade", b"Upgrade: h2c", b"HTTP2-Settings: AAMAAABkAAQAAP__"],
        [b"Transfer-Encoding: identity"],
        [b"Accept-Encoding: " + b"gzip, " * r.randint(10, 5000)],
        [b"Range: bytes=0-10"],
        [b"Range: bytes=-99999999999999999999"],
        [b"If-Modified-Since: yesterday"],
        [b"Content-Encoding: gzip"],
    ])
    h = h + bad
    r.shuffle(h)
    # Without Host, on purpose, sometimes.
    if r.random() < 0.1:
        h = [x for x in h if not x.lower().startswith(b"host:")]
    data = g.request(method, target, h, body, cl=False)
    # A server may wait for more after these (a body framed by the end of the
    # connection, or a line that never ends): close for writing after sending.
    waits = any(b"\r" in x or b"\n" in x or x.lower().startswith(b"transfer-encoding") for x in bad)
    return Case("headers", data, method, mode="half" if waits else "normal")


def k_content_length(g):
    r = g.rng
    body = g.bad_body()
    target = r.choice(["/api/v1/jobs", "/api/v1/jobs", "/api/v1/jobs/%s/cancel" % g.cancel_id(), "/metrics"])
    h = g.std() + [b"Content-Type: application/json"]
    k = r.randrange(12)
    mode = "half"
    if k == 0:        # missing: the body reads as a following request
        cl, mode = [], "normal"
    elif k == 1:
        cl = [b"Content-Length: " + r.choice([b"abc", b"-1", b"+5", b" 5 ", b"0x10", b"5.0", b"", b"1e3",
                                              b"-0", b"5 5", b"5,5", b"\xff", b"%d" % len(body) + b"x"])]
    elif k == 2:      # overflows
        cl = [b"Content-Length: " + r.choice([b"99999999999999999999999", b"18446744073709551616",
                                              b"18446744073709551615", b"9223372036854775808",
                                              b"4294967296", b"4294967295"])]
    elif k == 3:      # huge, and only a little body
        cl = [b"Content-Length: %d" % r.choice([MIB + 1, 2 * MIB, 100 * MIB, 1 << 40])]
    elif k == 4:      # more than is sent
        cl = [b"Content-Length: %d" % (len(body) + r.randint(1, 1000))]
    elif k == 5:      # less than is sent
        cl, mode = [b"Content-Length: %d" % r.randint(0, max(0, len(body) - 1))], "normal"
    elif k == 6:      # two that differ
        cl = [b"Content-Length: %d" % len(body), b"Content-Length: %d" % (len(body) + 1)]
    elif k == 7:      # two that agree, or a list
        cl = r.choice([[b"Content-Length: %d" % len(body)] * 2, [b"Content-Length: %d, %d" % (len(body), len(body))]])
    elif k == 8:      # zero, with a body after it
        cl, mode = [b"Content-Length: 0"], "normal"
    elif k == 9:      # with Transfer-Encoding too (request smuggling)
        cl = [b"Content-Length: %d" % len(body), b"Transfer-Encoding: chunked"]
    elif k == 10:     # on a GET
        return Case("content_length", g.request(b"GET", "/api/v1/jobs", g.std(), body), b"GET")
    else:             # leading zeros
        cl, mode = [b"Content-Length: " + b"0" * r.randint(1, 200) + b"%d" % len(body)], "normal"
    data = g.request(b"POST", target, h + cl, body, cl=False)
    return Case("content_length", data, b"POST", mode=mode)


def chunk(g, body, hexfmt=None):
    r = g.rng
    out, pos = b"", 0
    while pos < len(body):
        n = min(len(body) - pos, r.randint(1, r.choice([1, 16, 1000, 65536])))
        ext = r.choice([b"", b"", b"", b";a=b", b";" + b"e" * 100, b' ;q="x"'])
        out += B(format(n, hexfmt or r.choice(["x", "X", "08x"]))) + ext + CRLF + body[pos:pos + n] + CRLF
        pos += n
    return out


def k_chunked(g):
    r = g.rng
    body = g.bad_body()
    if r.random() < 0.08:   # valid framing, over 1 MiB in total
        body = b'{"input": "%s", "pad": "%s"}' % (B(g.nowhere()), b"p" * r.randint(MIB, 2 * MIB))
    h = g.std() + [b"Content-Type: application/json"]
    te = r.choice([b"Transfer-Encoding: chunked"] * 6 +
                  [b"Transfer-Encoding: Chunked", b"Transfer-Encoding: chunked, chunked",
                   b"Transfer-Encoding: gzip, chunked", b"Transfer-Encoding: xchunked",
                   b"Transfer-Encoding: chunked\x00", b"Transfer-Encoding:  chunked "])
    k = r.randrange(12)
    mode = "half"
    if k < 4:                 # valid
        payload = chunk(g, body) + b"0" + CRLF + r.choice([b"", b"X-Trailer: 1" + CRLF]) + CRLF
        mode = "normal" if te == b"Transfer-Encoding: chunked" else "half"
    elif k == 4:              # bad size
        payload = r.choice([b"zz", b"-1", b" 5", b"5 ", b"0x5", b"+5", b""]) + CRLF + body + CRLF + b"0" + CRLF + CRLF
    elif k == 5:              # size larger than the data, then the end
        payload = b"%x" % (len(body) + r.randint(1, 100)) + CRLF + body + CRLF + b"0" + CRLF + CRLF
    elif k == 6:              # no last chunk
        payload = chunk(g, body)
    elif k == 7:              # no CRLF after data
        payload = b"%x" % len(body) + CRLF + body + b"0" + CRLF + CRLF
    elif k == 8:              # overflowing size
        payload = r.choice([b"ffffffffffffffffffff", b"10000000000000000", b"7fffffffffffffff",
                            b"ffffffff"]) + CRLF + body + CRLF + b"0" + CRLF + CRLF
    elif k == 9:              # leading zeros on the size (a line that still fits a server's buffer)
        payload = b"0" * r.randint(1, 1000) + b"%x" % len(body) + CRLF + body + CRLF + b"0" + CRLF + CRLF
    elif k == 10:             # bare LF
        payload = b"%x\n" % len(body) + body + b"\n0\n\n"
    else:                     # endless trailer
        payload = chunk(g, body) + b"0" + CRLF + b"X-T: 1" + CRLF * r.randint(1, 2) + b"X-U: " + b"u" * 50000
    method = r.choice([b"POST"] * 5 + [b"GET"])
    target = "/api/v1/jobs" if method == b"POST" else g.api_path()
    data = g.request(method, target, h + [te], payload, cl=False)
    return Case("chunked", data, method, mode=mode)


def k_big(g, lo=MIB + 1, hi=3 * MIB, kind="big"):
    """A body over 1 MiB, sent whole without waiting for the answer."""
    r = g.rng
    n = r.choice([MIB, MIB + 1, r.randint(lo, hi)]) if kind == "big" else r.randint(lo, hi)
    head = b'{"input": "%s", "output": "%s", "pad": "' % (B(g.nowhere()), B(g.nowhere("out")))
    body = head + b"p" * max(0, n - len(head) - 2) + b'"}'
    if r.random() < 0.2:
        body = bytes(r.randrange(256) for _ in range(64)) * (n // 64)
    check_not_a_job(head + b'"}')  # the object named above; the pad is inert
    h = g.std() + [b"Content-Type: application/json"]
    return Case(kind, g.request(b"POST", "/api/v1/jobs", h, body), b"POST", mode="flood")


def k_huge(g):
    return k_big(g, 5 * MIB, 20 * MIB, "huge")


def k_invalid_json(g):
    body = g.invalid_json()
    check_not_a_job(body)
    h = g.std() + [b"Content-Type: application/json"]
    return Case("invalid_json", g.request(b"POST", "/api/v1/jobs", h, body), b"POST", json_api=True)


def k_wrong_shape(g):
    body = g.wrong_shape()
    check_not_a_job(body)
    h = g.std() + [b"Content-Type: application/json"]
    return Case("wrong_shape", g.request(b"POST", "/api/v1/jobs", h, body), b"POST", json_api=True)


def k_content_type(g):
    r = g.rng
    body = g.bad_body()
    ct = r.choice([None, b"", b"text/plain", b"application/x-www-form-urlencoded",
                   b"multipart/form-data; boundary=xyz", b"application/json; charset=utf-8",
                   b"application/JSON", b"APPLICATION/JSON", b"application/json\x00", b"application/jsonp",
                   b"application/json-seq", b"json", b"*/*", b"application/json, text/plain", b"text/json",
                   b"application/json; charset=utf-16", b"application/json;;;", b"application/",
                   b"a" * r.randint(1000, 50000), b"\xff\xfe"])
    h = g.std()
    if ct is not None:
        h.append(b"Content-Type: " + ct)
    if r.random() < 0.2:
        h.append(b"Content-Type: text/plain")   # a second one
    return Case("content_type", g.request(b"POST", "/api/v1/jobs", h, body), b"POST")


def k_bad_auth(g):
    r = g.rng
    t = B(g.token or "token")
    value = r.choice([
        b"Bearer", b"Bearer ", b"Bearer wrong", b"Basic dXNlcjpwYXNz", b"Bearer " + t + b"x",
        b"Bearer " + t[:-1], b"Bearer " + t.swapcase(), b"Bearer  " + t, b"Bearer\t" + t, b"Token " + t,
        b"bearer " + t, b"BEARER " + t, b"Bearer " + t + b", Bearer " + t, b"Bearer " + t + b" extra",
        b"Bearer " + b"A" * r.randint(1000, 60000), b"Bearer \x00\xff", b"Bearer " + t + b"\x00",
        b"", b" ", t, b"Bearer " + t[::-1], b"Bearer " + t.hex().encode(),
    ])
    hdrs = [b"Host: " + B(g.host), b"Connection: close", b"Authorization: " + value]
    if r.random() < 0.2:
        hdrs.append(b"Authorization: " + r.choice([b"Bearer wrong", b"Bearer " + t]))
    method, target = r.choice([(b"GET", "/api/v1/jobs"), (b"GET", "/metrics"), (b"GET", "/api/v1/jobs/1"),
                               (b"GET", "/api/v1/workers"), (b"GET", "/api/v1/events"), (b"GET", "/"),
                               (b"GET", "/api/v1/openapi.json"), (b"POST", "/api/v1/jobs"),
                               (b"POST", "/api/v1/jobs/%s/cancel" % g.cancel_id())])
    body = b""
    if method == b"POST":
        body = g.bad_body()
        hdrs.append(b"Content-Type: application/json")
    return Case("bad_auth", g.request(method, target, hdrs, body), method)


def k_abort(g):
    """A request of one of the SIMPLE kinds (below), cut short: this side
    closes (FIN or RST) mid-request."""
    r = g.rng
    inner = r.choice(SIMPLE)(g)
    data = inner.data[:max(1, min(len(inner.data) - 1, 65536))]
    cut = r.randint(1, len(data))
    return Case("abort", data[:cut], mode=r.choice(["abort", "abort_rst"]))


def k_slow(g):
    """A request sent in small pieces with short pauses (sometimes left unfinished)."""
    r = g.rng
    inner = r.choice([k_valid, k_valid, k_invalid_json, k_wrong_shape, k_headers])(g)
    data = inner.data
    if len(data) > 8192:
        data = data[:8192]
        inner.mode = "half"
    npieces = r.randint(2, 8)
    cuts = sorted(r.sample(range(1, len(data)), min(npieces - 1, len(data) - 1))) if len(data) > 1 else []
    pieces, prev = [], 0
    for c in cuts + [len(data)]:
        pieces.append((data[prev:c], round(r.uniform(0.01, 0.08), 3)))
        prev = c
    if r.random() < 0.15:          # stop part-way and close for writing
        pieces = pieces[:max(1, len(pieces) // 2)]
        inner.mode = "half"
    c = Case("slow", b"".join(p for p, _ in pieces), inner.method,
             mode="slow_half" if inner.mode == "half" else "slow", json_api=inner.json_api)
    c.pieces = pieces
    return c


def k_misc(g):
    r = g.rng
    k = r.randrange(10)
    if k == 0:      # Expect: 100-continue, body sent at once
        body = g.bad_body()
        h = g.std() + [b"Content-Type: application/json", b"Expect: 100-continue"]
        return Case("misc", g.request(b"POST", "/api/v1/jobs", h, body), b"POST")
    if k == 1:      # Expect: 100-continue, and no body (closed for writing)
        h = g.std() + [b"Content-Type: application/json", b"Expect: 100-continue", b"Content-Length: 50"]
        return Case("misc", g.request(b"POST", "/api/v1/jobs", h, cl=False), b"POST", mode="half")
    if k == 2:      # pipelined: a valid request, then garbage
        inner = k_valid(g)
        return Case("misc", inner.data.replace(b"Connection: close\r\n", b"") +
                    bytes(r.randrange(256) for _ in range(r.randint(1, 2000))), inner.method)
    if k == 3:      # pipelined valid requests
        one = g.request(b"GET", "/api/v1/jobs", [b"Host: " + B(g.host)] + g.auth(1.0))
        return Case("misc", one * r.randint(2, 50), b"GET", json_api=True)
    if k == 4:      # HTTP/1.0, keep-alive or not, no Host
        h = g.auth(1.0) + r.choice([[], [b"Connection: keep-alive"]])
        return Case("misc", g.request(b"GET", "/api/v1/jobs", h, version=b"HTTP/1.0"), b"GET", json_api=True)
    if k == 5:      # a TLS ClientHello
        hello = b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + bytes(r.randrange(256) for _ in range(196))
        return Case("misc", hello, mode="half")
    if k == 6:      # the HTTP/2 preface
        return Case("misc", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00",
                    mode="half")
    if k == 7:      # OPTIONS *
        return Case("misc", g.request(b"OPTIONS", "*", g.std()), b"OPTIONS")
    if k == 8:      # the event stream with a Last-Event-ID and an Upgrade
        h = g.std() + [r.choice([b"Last-Event-ID: " + b"9" * r.randint(1, 5000), b"Last-Event-ID: \x00",
                                 b"Upgrade: websocket", b"Accept: text/event-stream"])]
        return Case("misc", g.request(b"GET", "/api/v1/events" + r.choice(["", g.query()]), h), b"GET")
    # a body on a GET, and a body on HEAD
    method = r.choice([b"GET", b"HEAD"])
    return Case("misc", g.request(method, g.api_path(), g.std(), g.bad_body()), method)


SIMPLE = [k_valid, k_bad_method, k_weird_path, k_wrong_method, k_request_line, k_headers,
          k_content_length, k_chunked, k_invalid_json, k_wrong_shape, k_content_type, k_bad_auth]

KINDS = [  # (kind, weight)
    (k_valid, 10), (k_bad_method, 9), (k_weird_path, 12), (k_wrong_method, 8), (k_request_line, 8),
    (k_headers, 8), (k_content_length, 8), (k_chunked, 8), (k_big, 3), (k_invalid_json, 10),
    (k_wrong_shape, 10), (k_content_type, 5), (k_bad_auth, 6), (k_abort, 5), (k_slow, 3), (k_misc, 5),
]


# ---------------------------------------------------------------------------
# Sending and reading


class Malformed(Exception):
    pass


class Reader:
    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf, self.eof = sock, deadline, b"", False

    def more(self):
        if self.eof:
            return False
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        self.sock.settimeout(min(TIMEOUT, left))
        data = self.sock.recv(1 << 18)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def until(self, sep, limit):
        while sep not in self.buf:
            if len(self.buf) > limit or not self.more():
                return None
        i = self.buf.index(sep)
        out, self.buf = self.buf[:i], self.buf[i + len(sep):]
        return out

    def exactly(self, n):
        while len(self.buf) < n:
            if not self.more():
                raise Malformed("body shorter than announced (%d of %d bytes)" % (len(self.buf), n))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


# 501 (a method or Transfer-Encoding not implemented) and 505 (HTTP version not
# supported) are what HTTP prescribes for some of these requests, not failures.
PROTOCOL_5XX = ("501", "505")
TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
STATUS = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?")


def read_response(sock, method, http09):
    """Reads one answer: (status, headers, body); status is a string for the
    counts ("200", "closed", "malformed", "http09"). Raises socket errors."""
    rd = Reader(sock, time.monotonic() + DEADLINE)
    while True:
        head = rd.until(b"\r\n\r\n", 1 << 20)
        if head is None:
            if not rd.buf:
                return "closed", {}, b""
            if http09 and not rd.buf.startswith(b"HTTP/"):
                return "http09", {}, rd.buf
            raise Malformed("no end of header (%d bytes): %r" % (len(rd.buf), rd.buf[:80]))
        lines = head.split(b"\r\n")
        m = STATUS.fullmatch(lines[0])
        if not m:
            if http09 and not head.startswith(b"HTTP/"):
                return "http09", {}, head
            raise Malformed("bad status line %r" % lines[0][:80])
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
                raise Malformed("bad header line %r" % line[:80])
            headers.setdefault(name.lower().decode(), []).append(value.strip(b" \t"))
        status = int(m.group(1))
        if 100 <= status < 200 and status != 101:
            continue   # 100 Continue (or another interim answer): the real one follows
        break

    def one(name):
        v = headers.get(name)
        if v and len(set(v)) > 1:
            raise Malformed("%s given %d times, differently" % (name, len(v)))
        return v[0] if v else None

    ctype = (one("content-type") or b"").lower()
    te, cl = one("transfer-encoding"), one("content-length")
    if cl is not None and not cl.isdigit():
        raise Malformed("bad Content-Length %r" % cl[:40])
    if method == b"HEAD" or status in (101, 204, 304) or ctype.startswith(b"text/event-stream"):
        return str(status), headers, b""   # no body to read (or an endless one)
    if te is not None:
        if te.lower() != b"chunked":
            raise Malformed("Transfer-Encoding %r" % te[:40])
        body = b""
        while True:
            line = rd.until(b"\r\n", 4096)
            if line is None:
                raise Malformed("chunk size line missing")
            size = line.split(b";")[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size):
                raise Malformed("bad chunk size %r" % line[:40])
            n = int(size, 16)
            if n == 0:
                while True:   # trailers, up to the empty line
                    t = rd.until(b"\r\n", 65536)
                    if t is None:
                        raise Malformed("chunked body without its end")
                    if not t:
                        break
                return str(status), headers, body
            body += rd.exactly(n)
            if rd.exactly(2) != b"\r\n":
                raise Malformed("chunk without CRLF")
            if len(body) > 64 * MIB:
                raise Malformed("endless chunked body")
    if cl is not None:
        return str(status), headers, rd.exactly(int(cl))
    while rd.more():    # delimited by the end of the connection
        if len(rd.buf) > 64 * MIB:
            raise Malformed("endless body")
    return str(status), headers, rd.buf


def flood(sock, data):
    """Sends data without waiting for an answer, but stops as soon as one (or
    the end of the connection) arrives: a server may refuse a large body
    before reading it and then read no more."""
    view, pos = memoryview(data), 0
    sock.setblocking(False)
    try:
        while pos < len(data):
            readable, writable, _ = select.select([sock], [sock], [], TIMEOUT)
            if readable:
                return
            if not writable:
                raise socket.timeout("send")
            try:
                pos += sock.send(view[pos:pos + (1 << 18)])
            except BlockingIOError:
                pass
    finally:
        sock.setblocking(True)


class Budget:
    slow = SLOW_BUDGET


def send_case(host, port, case, budget):
    """Sends one case; returns (result, detail)."""
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
    except socket.timeout:
        return "timeout", "connect"
    except OSError as e:
        return "refused", str(e)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if case.mode in ("abort", "abort_rst"):
            try:
                sock.sendall(case.data)
            except OSError:
                pass
            if case.mode == "abort_rst":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return "aborted", ""
        sent_error = None
        try:
            if case.mode.startswith("slow"):
                for piece, pause in case.pieces:
                    sock.sendall(piece)
                    if budget.slow > 0:
                        budget.slow -= pause
                        time.sleep(pause)
            elif case.mode == "flood":
                flood(sock, case.data)
            else:
                sock.sendall(case.data)
            if case.mode in ("half", "slow_half"):
                sock.shutdown(socket.SHUT_WR)
        except socket.timeout:
            return "timeout", "send"
        except OSError as e:     # the server answered (and closed) before taking it all
            sent_error = e
        try:
            status, headers, body = read_response(sock, case.method, case.http09)
        except Malformed as e:
            return "malformed", str(e)
        except socket.timeout:
            return "timeout", "read"
        except OSError as e:
            return "reset", str(sent_error or e)
        if status == "closed" and sent_error is not None:
            return "reset", str(sent_error)
        return status, (headers, body)
    finally:
        sock.close()


def error_is_json(body):
    try:
        v = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(v, dict) and isinstance(v.get("error"), str)


def final_check(host, port, token):
    """Status of GET /api/v1/jobs at the end (a few tries)."""
    h = [b"Host: %s:%d" % (B(host), port), b"Connection: close"]
    if token:
        h.append(b"Authorization: Bearer " + B(token))
    data = b"GET /api/v1/jobs HTTP/1.1\r\n" + b"".join(x + CRLF for x in h) + CRLF
    status = None
    for _ in range(3):
        status, _ = send_case(host, port, Case("final", data, b"GET"), Budget())
        if status == "200":
            break
        time.sleep(1)
    return status


def main(argv):
    args, token, only = [], None, None
    it = iter(argv[1:])
    for a in it:
        if a == "--token":
            token = next(it, None)
        elif a == "--only":
            only = int(next(it, "-1"))
        else:
            args.append(a)
    if len(args) != 4 or (token is not None and not token):
        sys.stderr.write(__doc__)
        return 2
    host, port, count, seed = args[0], int(args[1]), int(args[2]), int(args[3])

    weights = [w for _, w in KINDS]
    huge_n = min(3, max(1, count // 200)) if count >= 10 else 0
    huge_at = set(random.Random("%d/huge" % seed).sample(range(count), huge_n))
    counts, bad, shown = {}, 0, 0
    budget = Budget()
    t0 = time.monotonic()
    for i in range(count):
        if only is not None and i != only:
            continue
        g = Gen(random.Random("%d/%d" % (seed, i)), host, port, token, i)
        make = k_huge if i in huge_at else g.rng.choices([k for k, _ in KINDS], weights)[0]
        case = make(g)
        if only is not None:
            sys.stderr.write("#%d %s %s, %d bytes: %r%s\n" % (i, case.kind, case.mode, len(case.data),
                             case.data[:2000], "..." if len(case.data) > 2000 else ""))
        # A request line of two words reads as HTTP/0.9: a bare body may answer it.
        first = re.split(rb"[\r\n]", case.data.lstrip(b"\r\n"), 1)[0] if case.data else b""
        case.http09 = case.http09 or len(first.split()) == 2
        result, detail = send_case(host, port, case, budget)
        counts[result] = counts.get(result, 0) + 1
        is_bad = result == "malformed" or (result.startswith("5") and result not in PROTOCOL_5XX)
        if result.isdigit():
            headers, body = detail
            code = int(result)
            if code >= 400 and not error_is_json(body):
                counts["error_not_json"] = counts.get("error_not_json", 0) + 1
            if code == 200 and case.json_api and case.method != b"HEAD":
                try:
                    json.loads(body)
                except (ValueError, RecursionError):
                    counts["json_invalid_200"] = counts.get("json_invalid_200", 0) + 1
            detail = body[:200]
        if is_bad:
            bad += 1
        if (is_bad and shown < 20) or only is not None:
            shown += 1
            first = case.data.split(b"\n", 1)[0][:100]
            sys.stderr.write("#%d %s: %s %r (request %r)\n" % (i, case.kind, result, detail, first))
    final = final_check(host, port, token)
    print(json.dumps({"requests": count if only is None else 1, "counts": dict(sorted(counts.items())),
                      "bad": bad, "final": int(final) if final and final.isdigit() else final,
                      "seconds": round(time.monotonic() - t0, 1)}))
    sys.stdout.flush()
    return 0 if final == "200" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
