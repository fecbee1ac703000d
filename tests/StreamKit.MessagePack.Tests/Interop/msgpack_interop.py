#!/usr/bin/python3
"""The python3-msgpack side of StreamKit's interop tests; run by InteropTests with /usr/bin/python3.

  write PATH COUNT  writes COUNT concatenated maps to PATH (keys shuffled, unknown nested values, integers at
                    every width, timestamps as integers and as the extension in all three forms) and prints
                    one JSON line per record with the values StreamKit must decode.
  read PATH         reads concatenated maps from PATH and prints, per object, a JSON line with the record (a
                    timestamp extension as milliseconds), the python type of "ts", and the hex of python's own
                    packb of the object, which must equal StreamKit's bytes.
"""
import json
import random
import sys

import msgpack
from msgpack import Timestamp

INT32 = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**31 - 1, -1, -32, -33, -128, -129, -32768, -32769, -2**31]
INT64 = INT32 + [2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, -2**31 - 1, -2**63]
TIMESTAMPS_MS = [0, 1, -1, -1001, 1700000000000, 1700000000123, 4294967295000, 4294967296000,
                 17179869184000, -62135596800000, 253402300799999]
KINDS = ["view", "click", "purchase"]
COUNTRIES = ["", "NZ", "Aotearoa", "日本", "Ελλάδα", "x" * 40, "y" * 300, "z" * 70000]


def record(rng):
    return {
        "ts": rng.choice(TIMESTAMPS_MS),
        "userId": rng.choice(INT32),
        "pageId": rng.choice(INT32),
        "eventType": rng.choice(KINDS),
        "durationMs": rng.choice(INT32),
        "revenue": rng.choice([0.0, -0.5, 12.25, 1e300, -2.5e-300, float(rng.randint(-10**6, 10**6)) / 8]),
        "mobile": rng.choice([True, False]),
        "country": rng.choice(COUNTRIES),
        "sessionId": rng.choice(INT64),
    }


def timestamp_from_ms(ms):
    seconds, millis = divmod(ms, 1000)
    return Timestamp(seconds, millis * 1000000)


def wire(rec, rng):
    """The record as python would send it: maybe a timestamp extension, shuffled keys, extra unknown keys."""
    obj = dict(rec)
    if rng.random() < 0.5:
        obj["ts"] = timestamp_from_ms(rec["ts"])
    if rng.random() < 0.3:
        obj["revenue"] = int(rec["revenue"]) if rec["revenue"] == int(rec["revenue"]) and abs(rec["revenue"]) < 2**63 else rec["revenue"]
    if rng.random() < 0.3 and rec["durationMs"] == 0:
        obj["durationMs"] = None
    if rng.random() < 0.5:
        obj["unknown"] = {"nested": [1, [2, [3, {"deep": None}]], b"\x00\xff"], "f": 0.5, "t": Timestamp(1, 2)}
    if rng.random() < 0.3:
        obj["ext"] = msgpack.ExtType(42, b"payload")
    keys = list(obj)
    rng.shuffle(keys)
    return {k: obj[k] for k in keys}


def write(path, count):
    rng = random.Random(20240601)
    with open(path, "wb") as f:
        packer = msgpack.Packer(use_bin_type=True)
        for _ in range(count):
            rec = record(rng)
            f.write(packer.pack(wire(rec, rng)))
            print(json.dumps(rec, ensure_ascii=False))


def read(path):
    with open(path, "rb") as f:
        for obj in msgpack.Unpacker(f, raw=False, max_buffer_size=2**31 - 1):
            ts = obj["ts"]
            ts_type = type(ts).__name__
            out = dict(obj)
            if isinstance(ts, Timestamp):
                out["ts"] = ts.to_unix_nano() // 1000000
            repacked = msgpack.packb(obj, use_bin_type=True).hex()
            print(json.dumps({"record": out, "tsType": ts_type, "repacked": repacked}, ensure_ascii=False, default=repr))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif command == "read":
        read(sys.argv[2])
    else:
        sys.exit("unknown command " + command)
