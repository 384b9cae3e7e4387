#!/usr/bin/env python3
"""Hostile peers for `vtpool serve`'s two ZeroMQ endpoints (needs pyzmq).

usage:
  hostile_zmq.py abuse --listen EP --control EP [--seed N]
      Sends to both endpoints, from DEALER sockets (the service's side is a
      ROUTER): random single frames of 0..4096 bytes, multipart garbage,
      frames that start with a valid vtpool header ("VTP1", the current version, type
      1..5) followed by garbage (also from a peer that said READY, so that
      garbage RESULTs reach the parser), READYs with absurd thread counts,
      forged RESULTs for jobs that do not exist, malformed JSON requests and
      oversized messages (64 MiB and 16 MiB + 1 on the control endpoint,
      which caps requests at 16 MiB; 8 MiB on the worker endpoint).
      Every control request under the cap must get exactly one answer, a
      JSON object with "ok": false whose "exit" is 2, 3 or 4 (a malformed
      request is never an internal error), checked in order, 10 s each; a
      request over the cap must get none. Prints a summary; wrong answers
      are listed on stderr at the end (exit 1); no answer at all stops it at
      once (exit 1).
  hostile_zmq.py forge --listen EP --jobs ID[,ID...] [--seconds S] [--seed N]
      A rogue worker: says READY for an encoder nobody asks for (so no
      segment is ever sent to it), keeps its heartbeats going, and sends
      forged RESULTs (successes with garbage packets, failures) for segments
      0..63 of each job ID, which it was never given, until S seconds pass
      or it is sent SIGTERM. Prints how many it sent.
  hostile_zmq.py ready --listen EP --threads N --heartbeat H [--seconds S]
      Says READY (any encoder) with N threads and heartbeat flag H, then
      stays connected and silent for S seconds.
  hostile_zmq.py hoard --listen EP [--threads N] [--seconds S]
      A worker that is alive but loses its work: says READY with N threads
      and heartbeats, answers every HEARTBEAT, and keeps every SEGMENT it is
      sent without a word about it, for S seconds or until SIGTERM. Prints
      how many segments it took.
"""
import argparse
import json
import os
import random
import re
import signal
import struct
import sys
import time

try:
    import zmq
except ImportError:
    sys.stderr.write("hostile_zmq.py: pyzmq is missing (Debian: python3-zmq)\n")
    sys.exit(2)

MAGIC = 0x31505456
READY, SEGMENT, RESULT, STOP, HEARTBEAT, PROGRESS = 1, 2, 3, 4, 5, 6
MIB = 1 << 20


def proto_version():
    """VTP_PROTO_VERSION, read from include/vtp_proto.h."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "..", "include", "vtp_proto.h")) as f:
        for line in f:
            m = re.match(r"#define VTP_PROTO_VERSION (\d+)", line)
            if m:
                return int(m.group(1))
    raise SystemExit("hostile_zmq.py: no VTP_PROTO_VERSION in include/vtp_proto.h")


VERSION = proto_version()


def header(mtype, version=VERSION, magic=MAGIC):
    return struct.pack("<IHH", magic, version, mtype)


def blob(b):
    return struct.pack("<I", len(b)) + b


def ready_msg(threads, heartbeat, encoders=b""):
    return header(READY) + struct.pack("<IB", threads & 0xFFFFFFFF, heartbeat) + blob(encoders)


def blank_codecpar(extradata=b""):
    # codec_type (UNKNOWN), codec_id (NONE), codec_tag, format (-1),
    # bit_rate, bits_per_coded_sample, bits_per_raw_sample, profile, level,
    # width, height, sar num/den, field_order, color_range, primaries, trc,
    # space, chroma_location, video_delay, then the extradata.
    return struct.pack("<iiIiqiiiiiiiiiiiiii", -1, 0, 0, -1, 0, 0, 0, 0, 0,
                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + blob(extradata)


def result_msg(job, index, status=0, error=b"", frames=25, packets=(), count=None):
    m = header(RESULT) + struct.pack("<QIi", job & (2**64 - 1), index, status) + blob(error)
    m += struct.pack("<qqqQii", frames, frames, 0, 1000, 1, 25) + blank_codecpar()
    m += struct.pack("<I", len(packets) if count is None else count)
    for i, data in enumerate(packets):
        m += struct.pack("<qqqI", i, i, 1, 1) + blob(data)
    return m + blob(b"") + blob(b"")     # no first-pass record


class Checker:
    def __init__(self):
        self.counts = {}

    def add(self, what, n=1):
        self.counts[what] = self.counts.get(what, 0) + n


def die(msg):
    """A violation after which nothing more can be learnt (no answer)."""
    for m in PROBLEMS:
        sys.stderr.write("hostile_zmq.py: %s\n" % m)
    sys.stderr.write("hostile_zmq.py: %s\n" % msg)
    sys.exit(1)


PROBLEMS = []


def problem(msg):
    """A wrong answer: noted, and the abuse goes on (exit status 1 at the end)."""
    PROBLEMS.append(msg)


def dealer(ctx, ep, hwm=100000):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, hwm)
    s.setsockopt(zmq.RCVHWM, hwm)
    s.setsockopt(zmq.SNDTIMEO, 10000)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.connect(ep)
    return s


def control_roundtrip(sock, frames, what, stats, must_refuse=True):
    """Sends one request (a list of frames) and checks its one answer: a
    JSON object with "ok"; a refusal ("ok": false and an "error") unless
    must_refuse is false."""
    try:
        sock.send_multipart(frames, copy=False)
    except zmq.Again:
        die("control endpoint: could not send %s within 10 s" % what)
    try:
        reply = sock.recv_multipart()
    except zmq.Again:
        die("control endpoint: no answer within 10 s to %s" % what)
    if len(reply) != 1:
        return problem("control endpoint: answer to %s has %d parts" % (what, len(reply)))
    try:
        obj = json.loads(reply[0].decode("utf-8"))
    except ValueError as e:
        return problem("control endpoint: answer to %s is not JSON (%s): %r" % (what, e, reply[0][:200]))
    if not isinstance(obj, dict) or not isinstance(obj.get("ok"), bool):
        return problem("control endpoint: answer to %s is not a JSON object with \"ok\": %r"
                       % (what, reply[0][:300]))
    if must_refuse and (obj["ok"] is not False or not obj.get("error")):
        return problem("control endpoint: answer to %s is not a refusal: %r" % (what, reply[0][:300]))
    # A malformed request is the client's fault: never an internal error
    # (exit 1, "out of memory"), always usage, input or output (2, 3, 4).
    if obj["ok"] is False and (obj.get("exit", 2) not in (2, 3, 4)
                               or "out of memory" in str(obj.get("error"))):
        return problem("control endpoint: answer to %s calls a malformed request an internal "
                       "error: %r" % (what, reply[0][:300]))
    stats.add("control refusals" if obj["ok"] is False else "control answers")


def no_answer(sock, what, wait_s=1.0):
    if sock.poll(int(wait_s * 1000), zmq.POLLIN):
        return problem("control endpoint: answered %s, which is over the 16 MiB cap: %r"
                       % (what, sock.recv_multipart()[0][:200]))


def abuse(args):
    rng = random.Random(args.seed)
    ctx = zmq.Context()
    stats = Checker()

    def rbytes(n):
        return rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    # ---- control endpoint: every request under the cap is answered ----
    c = dealer(ctx, args.control)
    for i in range(500):
        control_roundtrip(c, [rbytes(rng.randint(0, 4096))], "random message %d" % i, stats)
    for i in range(50):
        frames = [rbytes(rng.randint(0, 1024)) for _ in range(rng.randint(2, 6))]
        control_roundtrip(c, frames, "multipart message %d (%d parts)" % (i, len(frames)), stats)
    for t in range(1, 6):
        for n in (0, 1, 7, 64, 1000):
            control_roundtrip(c, [header(t) + rbytes(n)], "vtpool header type %d + %d bytes" % (t, n),
                              stats)
    malformed = [
        b"", b"{", b"}", b"null", b"[]", b"[{\"op\":\"list\"}]", b"\"op\"", b"123", b"{}",
        b"{\"op\":null}", b"{\"op\":\"\"}", b"{\"op\":\"nosuchop\"}", b"{\"op\":7}",
        b"{\"op\":\"list\",\"op\":\"list\"}",
        b"{\"op\":\"status\"}", b"{\"op\":\"status\",\"id\":\"1\"}", b"{\"op\":\"status\",\"id\":-1}",
        b"{\"op\":\"status\",\"id\":1e308}", b"{\"op\":\"status\",\"id\":99999999999999999999}",
        b"{\"op\":\"status\",\"id\":9223372036854775807}",
        b"{\"op\":\"cancel\"}", b"{\"op\":\"cancel\",\"id\":[]}", b"{\"op\":\"cancel\",\"id\":0}",
        b"{\"op\":\"cancel\",\"id\":123456789}",
        b"{\"op\":\"submit\"}", b"{\"op\":\"submit\",\"jobs\":{}}", b"{\"op\":\"submit\",\"jobs\":[]}",
        b"{\"op\":\"submit\",\"jobs\":[1,2]}", b"{\"op\":\"submit\",\"jobs\":[{}]}",
        b"{\"op\":\"submit\",\"jobs\":[{\"input\":\"/nonexistent/in.mkv\",\"output\":\"/nonexistent/o.mkv\"}]}",
        b"{\"op\":\"submit\",\"jobs\":[{\"input\":\"\",\"output\":\"\"}]}",
        b"{\"op\":\"submit\",\"jobs\":[{\"input\":7,\"output\":[]}]}",
        b"{\"op\":\"submit\",\"jobs\":[{\"input\":\"/etc/passwd\",\"output\":\"/nonexistent/o.mkv\","
        b"\"encoder\":\"ffv1\",\"segment\":-1,\"threads\":-1}]}",
        b"{\"op\":\"\xff\xfe\"}", b"{\"op\":\"list\"\x00}", b"\xef\xbb\xbf{}",
        b"[" * 100000, b"{\"a\":" * 50000 + b"1" + b"}" * 50000,
        b"{\"op\":\"submit\",\"jobs\":[" + b",".join([b"{}"] * 20000) + b"]}",
        b"{\"op\":\"" + b"A" * (1 << 20) + b"\"}",
    ]
    for i, m in enumerate(malformed):
        control_roundtrip(c, [m], "malformed request %d (%r)" % (i, m[:60]), stats)
    # Odd list filters: any answer will do (an empty list, or a refusal).
    for m in (b"{\"op\":\"list\",\"state\":7}", b"{\"op\":\"list\",\"state\":\"nosuchstate\"}",
              b"{\"op\":\"list\",\"limit\":-5}", b"{\"op\":\"list\",\"limit\":\"x\"}",
              b"{\"op\":\"list\",\"limit\":1e308}", b"{\"op\":\"list\",\"state\":\"\"}"):
        control_roundtrip(c, [m], "odd list request %r" % m, stats, must_refuse=False)
    # Just under the cap: parsed and refused.
    control_roundtrip(c, [b"{\"op\":\"nosuchop\",\"pad\":\"" + b"x" * (15 * MIB) + b"\"}"],
                      "a 15 MiB request", stats)
    c.close()
    # Over the cap: the connection is dropped, nothing is answered.
    for size, what in ((64 * MIB, "a 64 MiB request"), (16 * MIB + 1, "a 16 MiB + 1 byte request")):
        big = dealer(ctx, args.control)
        big.send(rbytes(256) + bytes(size - 256), copy=False)
        no_answer(big, what)
        big.close()
        stats.add("control oversized")
    # A client that sends and goes away before its answer.
    for i in range(20):
        g = dealer(ctx, args.control)
        g.send(rbytes(rng.randint(0, 512)))
        g.close()
    stats.add("control hit-and-run", 20)

    # ---- worker endpoint ----
    peers = [dealer(ctx, args.listen) for _ in range(8)]

    def wsend(frames):
        rng.choice(peers).send_multipart(frames, copy=False)
        stats.add("worker messages")

    for _ in range(500):
        wsend([rbytes(rng.randint(0, 4096))])
    for _ in range(50):
        wsend([rbytes(rng.randint(0, 1024)) for _ in range(rng.randint(2, 6))])
    for t in range(READY, PROGRESS + 1):
        for n in (0, 1, 3, 4, 5, 8, 16, 64, 256, 4096):
            wsend([header(t) + rbytes(n)])
        wsend([header(t), rbytes(100)])                 # valid header, then a second part
        wsend([header(t, version=VERSION + 1) + rbytes(32)])
        wsend([header(t, version=VERSION - 1) + rbytes(32)])
        wsend([header(t, magic=MAGIC ^ 1) + rbytes(32)])
    for t in (0, PROGRESS + 1, 255, 65535):
        wsend([header(t) + rbytes(16)])
    # READYs with absurd thread counts and broken fields.
    for threads in (0, 4097, 65536, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
        for hb in (0, 1, 2, 255):
            wsend([ready_msg(threads, hb)])
    wsend([ready_msg(1, 1, b"ffv1\x00libx264")])         # NUL in the encoder list
    wsend([ready_msg(1, 1) + b"trailing"])
    wsend([header(READY) + struct.pack("<IB", 1, 1) + struct.pack("<I", 0xFFFFFFFF)])
    wsend([header(READY) + struct.pack("<IB", 1, 1) + struct.pack("<I", 70000) + b"x" * 70000])
    wsend([header(READY) + struct.pack("<I", 1)])       # cut short
    # A RESULT from a peer that never said READY.
    wsend([result_msg(1, 0, packets=[rbytes(100)])])
    wsend([result_msg(999999, 0)])

    # A peer that said READY (for an encoder no job asks for): garbage of
    # every type, forged RESULTs and PROGRESS for jobs that do not exist, and
    # broken ones, all reach the parsers.
    rogue = dealer(ctx, args.listen)
    rogue.send(ready_msg(2, 1, b"vtp-no-such-encoder"))
    time.sleep(0.2)
    for t in range(READY, PROGRESS + 1):
        for _ in range(40):
            rogue.send(header(t) + rbytes(rng.randint(0, 600)))
    for job in (0, 1, 2, 999999, 2**63 - 1, 2**64 - 1):
        for index in (0, 1, 0xFFFFFFFF):
            # Progress for segments it holds no lease on, and negative.
            for frames in (0, 1, 2**62, -1):
                rogue.send(header(PROGRESS) + struct.pack("<QIq", job, index, frames))
            rogue.send(result_msg(job, index, packets=[rbytes(64), b""]))
            rogue.send(result_msg(job, index, status=-5, error=b"forged failure", frames=0))
    full = result_msg(999999, 3, packets=[rbytes(32)])
    for cut in range(8, len(full), 7):
        rogue.send(full[:cut])                           # every truncation
    bad = [
        result_msg(999999, 0, status=1),                  # positive status
        result_msg(999999, 0, frames=-1),
        result_msg(999999, 0, error=b"a\x00b", status=-1),
        header(RESULT) + struct.pack("<QIi", 5, 0, 0) + struct.pack("<I", 0xFFFFFFF0),
        result_msg(999999, 0, count=1000000),             # claims a million packets
        result_msg(999999, 0, count=0xFFFFFFFF),
    ]
    for m in bad:
        rogue.send(m)
    # Packets whose blob length lies.
    liar = result_msg(999999, 0, packets=[b"abcd"])
    rogue.send(liar[:-8] + struct.pack("<I", 0x7FFFFFFF) + b"abcd")
    for _ in range(200):
        b = bytearray(result_msg(999999, rng.randint(0, 5), packets=[rbytes(40)]))
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(8, len(b))
            b[i] = rng.getrandbits(8)
        rogue.send(bytes(b))
    stats.add("rogue-peer messages", 5 * 40 + 6 * 3 * 2 + len(range(8, len(full), 7)) + len(bad) + 201)

    # Oversized on the worker endpoint: 8 MiB of garbage, and 8 MiB behind
    # each valid header, from the rogue peer.
    peers[0].send(rbytes(4096) + bytes(8 * MIB - 4096), copy=False)
    for t in (READY, SEGMENT, RESULT, HEARTBEAT):
        rogue.send(header(t) + rbytes(1024) + bytes(8 * MIB - 1024), copy=False)
    stats.add("worker oversized", 5)

    # Give the service time to read everything before the sockets go.
    time.sleep(1.0)
    for s in peers + [rogue]:
        s.close()

    # The control endpoint still answers a real request.
    c = dealer(ctx, args.control)
    c.send(json.dumps({"op": "list"}).encode())
    try:
        reply = json.loads(c.recv().decode())
    except zmq.Again:
        die("control endpoint: no answer to a normal list request after the abuse")
    if reply.get("ok") is not True:
        problem("control endpoint: list after the abuse answered %r" % reply)
    c.close()
    ctx.term()
    print("abuse done: " + ", ".join("%s %d" % kv for kv in sorted(stats.counts.items())))
    if PROBLEMS:
        for m in PROBLEMS:
            sys.stderr.write("hostile_zmq.py: %s\n" % m)
        sys.exit(1)


def forge(args):
    ctx = zmq.Context()
    s = dealer(ctx, args.listen)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s.send(ready_msg(1, 1, b"vtp-no-such-encoder"))
    rng = random.Random(args.seed)
    jobs = [int(j) for j in args.jobs.split(",")]
    sent = 0
    end = time.time() + args.seconds
    beat = 0.0
    while not stop and time.time() < end:
        now = time.time()
        if now >= beat:
            s.send(header(HEARTBEAT))
            beat = now + 0.3
        while s.poll(0, zmq.POLLIN):
            s.recv_multipart()                             # heartbeats (and a STOP)
        for job in jobs:
            for index in range(64):
                if index % 2:
                    s.send(result_msg(job, index, packets=[rng.getrandbits(256).to_bytes(32, "little")]))
                else:
                    s.send(result_msg(job, index, status=-5, error=b"forged failure", frames=0))
                sent += 1
        time.sleep(0.05)
    s.close()
    ctx.term()
    print("forged %d RESULTs for jobs %s" % (sent, args.jobs))


def ready(args):
    ctx = zmq.Context()
    s = dealer(ctx, args.listen)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s.send(ready_msg(args.threads, args.heartbeat))
    got = 0
    end = time.time() + args.seconds
    while not stop and time.time() < end:
        if s.poll(100, zmq.POLLIN):
            s.recv_multipart()
            got += 1
    s.close()
    ctx.term()
    print("silent peer received %d messages" % got)


def hoard(args):
    ctx = zmq.Context()
    s = dealer(ctx, args.listen)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s.send(ready_msg(args.threads, 1))
    took = 0
    beat = time.time()
    end = time.time() + args.seconds
    while not stop and time.time() < end:
        if s.poll(100, zmq.POLLIN):
            parts = s.recv_multipart()
            mtype = struct.unpack_from("<H", parts[0], 6)[0] if len(parts[0]) >= 8 else 0
            if mtype == SEGMENT:
                took += 1
                print("hoard: took a segment", flush=True)
        if time.time() - beat >= 0.5:
            s.send(header(HEARTBEAT))
            beat = time.time()
    s.close(linger=0)
    ctx.term()
    print("hoard: took %d segments" % took, flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("abuse")
    a.add_argument("--listen", required=True)
    a.add_argument("--control", required=True)
    a.add_argument("--seed", type=int, default=1)
    f = sub.add_parser("forge")
    f.add_argument("--listen", required=True)
    f.add_argument("--jobs", required=True)
    f.add_argument("--seconds", type=float, default=60)
    f.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("ready")
    r.add_argument("--listen", required=True)
    r.add_argument("--threads", type=int, required=True)
    r.add_argument("--heartbeat", type=int, required=True)
    r.add_argument("--seconds", type=float, default=60)
    h = sub.add_parser("hoard")
    h.add_argument("--listen", required=True)
    h.add_argument("--threads", type=int, default=1)
    h.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    {"abuse": abuse, "forge": forge, "ready": ready, "hoard": hoard}[args.cmd](args)


if __name__ == "__main__":
    main()
