#!/usr/bin/python3
"""Regenerates the golden files with python3-msgpack, an implementation independent of StreamKit.

Each case is NAME.msgpack (the payload) and NAME.json (the record StreamKit must decode, or {"error": ...}
for a payload it must reject). Run from this folder: /usr/bin/python3 generate.py (see eng/install-interop.sh).
The outputs are checked in; the tests never run this script.
"""
import json
import struct

import msgpack
from msgpack import Timestamp

BASE = {
    "ts": 1700000000123, "userId": 42, "pageId": 7, "eventType": "click", "durationMs": 350,
    "revenue": 12.5, "mobile": True, "country": "NZ", "sessionId": 9007199254740993,
}


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def write(name, payload, expected):
    with open(name + ".msgpack", "wb") as f:
        f.write(payload)
    with open(name + ".json", "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


# What StreamKit's encoder writes for BASE with default options: same key order, smallest encodings.
write("click-basic", pack(BASE), BASE)

# The timestamp as the extension type -1 (64-bit form, as it has nanoseconds); encoder option Extension.
ext = dict(BASE, ts=Timestamp.from_unix_nano(1700000000123 * 1000000))
write("click-timestamp-ext", pack(ext), BASE)

# Keys reversed, unknown keys holding nested containers, bin and ext values, a non-string key, and a pre-1970
# timestamp with sub-millisecond nanoseconds, which only the 96-bit form can carry: -1.5004 s -> -1501 ms.
reordered = {}
reordered["meta"] = {"tags": [1, [2, {"x": None}], b"\x00\x01"], "f": 1.5, "deep": [[[[[[]]]]]]}
reordered[7] = "not a field name"
for key in reversed(list(BASE)):
    reordered[key] = BASE[key]
reordered["ts"] = Timestamp(-2, 499600000)
reordered["zzz"] = msgpack.ExtType(5, b"abc")
write("click-reordered-unknown", pack(reordered), dict(BASE, ts=-1501))

# Only the required fields; optional ones nil or absent, so they keep their defaults.
minimal = {"pageId": 1, "ts": 0, "eventType": "view", "userId": -1, "revenue": None, "mobile": None}
write("click-minimal", pack(minimal), {
    "ts": 0, "userId": -1, "pageId": 1, "eventType": "view", "durationMs": 0, "revenue": 0.0,
    "mobile": False, "country": "", "sessionId": 0,
})


def key(name):
    return pack(name)


# Every field in a wider encoding than needed (python always picks the smallest): readers must accept them.
wide = b"\x89"
wide += key("ts") + b"\xcf" + struct.pack(">Q", 1700000000123)
wide += key("userId") + b"\xd3" + struct.pack(">q", 42)
wide += key("pageId") + b"\xd0" + struct.pack(">b", 7)
wide += key("eventType") + b"\xdb" + struct.pack(">I", 5) + b"click"
wide += key("durationMs") + b"\xd2" + struct.pack(">i", 350)
wide += key("revenue") + b"\xca" + struct.pack(">f", 12.5)
wide += key("mobile") + b"\xc3"
wide += key("country") + b"\xd9\x02NZ"
wide += key("sessionId") + b"\xcf" + struct.pack(">Q", 9007199254740993)
assert msgpack.unpackb(wide) == BASE
write("click-wide-encodings", wide, BASE)

# Rejections.
write("click-missing-field", pack({k: v for k, v in BASE.items() if k != "pageId"}),
      {"error": "missing field 'pageId'"})
write("click-wrong-type", pack(dict(BASE, userId="42")),
      {"error": "field 'userId' (Int32) cannot hold a string"})
write("click-int32-overflow", pack(dict(BASE, pageId=2**31)),
      {"error": "field 'pageId' (Int32) cannot hold integer 2147483648"})
write("click-trailing-bytes", pack(BASE) + pack(1), {"error": "1 trailing bytes after the map"})
