#!/usr/bin/env python3
"""Derive damaged copies of valid media files, reproducibly.

usage: corrupt_media.py OUTDIR SEED INPUT...

For each INPUT (its extension is kept on every copy) writes into OUTDIR:
  trunc-*     the first N bytes (several fractions and a few small sizes)
  flip*       N random bits flipped (fixed seed)
  zero-*      a range set to zero bytes
  garbage-*   a range overwritten with random bytes
  random      random bytes of the same size
  header      only the first bytes (the container's header, no payload)
  dup-*       the first half twice; the halves swapped; the file twice
Names are BASE.KIND.EXT. Prints one line per file written: its name.
Only the Python standard library is used.
"""
import os
import random
import sys


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    outdir, seed = sys.argv[1], int(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    for path in sys.argv[3:]:
        with open(path, "rb") as f:
            data = f.read()
        name = os.path.basename(path)
        base, ext = os.path.splitext(name)
        # Each input gets its own stream of random numbers, so adding an
        # input does not change the copies of the others.
        rng = random.Random("%d:%s" % (seed, name))
        size = len(data)

        def put(kind, blob):
            out = "%s.%s%s" % (base, kind, ext)
            with open(os.path.join(outdir, out), "wb") as f:
                f.write(blob)
            print(out)

        # Truncations: tiny heads, then fractions of the file.
        for n in (0, 7, 1024):
            if n < size:
                put("trunc-b%d" % n, data[:n])
        for pct in (5, 25, 40, 60, 75, 90, 99):
            put("trunc-p%02d" % pct, data[: size * pct // 100])
        put("trunc-last1", data[: size - 1])

        # Bit flips anywhere, and bit flips confined to the first 4 KiB
        # (headers, codec configuration) where they do the most harm.
        for nbits in (1, 8, 32, 128, 512):
            b = bytearray(data)
            for _ in range(nbits):
                i = rng.randrange(size)
                b[i] ^= 1 << rng.randrange(8)
            put("flip%d" % nbits, bytes(b))
        for nbits in (4, 64):
            b = bytearray(data)
            head = min(size, 4096)
            for _ in range(nbits):
                i = rng.randrange(head)
                b[i] ^= 1 << rng.randrange(8)
            put("fliphead%d" % nbits, bytes(b))

        # Zeroed and garbage ranges: at the start, in the middle, at a random
        # place, at the end.
        def ranges():
            ln = max(1, size // 20)
            yield "start", 0, min(size, 2048)
            yield "mid", size // 2 - ln // 2, ln
            off = rng.randrange(size)
            yield "rand", off, min(size - off, ln)
            yield "end", max(0, size - ln), ln

        for where, off, ln in ranges():
            b = bytearray(data)
            b[off: off + ln] = bytes(ln)
            put("zero-" + where, bytes(b))
        for where, off, ln in ranges():
            b = bytearray(data)
            b[off: off + ln] = bytes(rng.getrandbits(8) for _ in range(ln))
            put("garbage-" + where, bytes(b))

        # Random bytes of the same size with the right extension.
        put("random", bytes(rng.getrandbits(8) for _ in range(size)))

        # Structural: the header alone, duplicated or swapped halves.
        put("header", data[: min(size, 512)])
        half = size // 2
        put("dup-first", data[:half] + data[:half])
        put("dup-swap", data[half:] + data[:half])
        put("dup-twice", data + data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
