"""Makes the clickstream sample's embedded data set: deterministic (seeded), Zipf-like users and pages, a few
percent of events up to 4 s out of order, sessions separated by long pauses, and three malformed lines so the
default run shows dead-lettering. Run: python3 generate.py | gzip -9n > events.jsonl.gz"""
import json
import random
import sys

rng = random.Random(20261123)
START = 1_767_225_600_000  # 2026-01-01T00:00:00Z
USERS, PAGES, EVENTS = 4000, 300, 120_000
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NL", "SE", "PL"]


def zipf(n, s=1.1):
    weights = [1 / (k ** s) for k in range(1, n + 1)]
    total = sum(weights)
    return [w / total for w in weights]


user_weights = zipf(USERS)
page_weights = zipf(PAGES)
users = rng.choices(range(1, USERS + 1), weights=user_weights, k=EVENTS)
pages = rng.choices(range(1, PAGES + 1), weights=page_weights, k=EVENTS)
ts = START
lines = []
for i in range(EVENTS):
    ts += rng.randint(0, 120)
    if i % 40_000 == 39_999:
        ts += 45 * 60 * 1000  # a lull: every session ends
    event_ts = ts - rng.randint(1, 4000) if rng.random() < 0.03 else ts
    kind = rng.choices(["view", "click", "purchase"], weights=[80, 15, 5])[0]
    lines.append(json.dumps({
        "ts": event_ts,
        "userId": users[i],
        "pageId": pages[i],
        "eventType": kind,
        "durationMs": rng.randint(50, 60_000) if kind == "view" else rng.randint(10, 2_000),
        "country": COUNTRIES[users[i] % len(COUNTRIES)],
    }, separators=(",", ":")))
for index, bad in ((1_000, '{"ts":1767225600000,"userId":1,'), (50_000, "not json at all"), (90_000, '{"ts":"soon","userId":2,"pageId":3,"eventType":"view","durationMs":1,"country":"US"}')):
    lines.insert(index, bad)
sys.stdout.write("\n".join(lines) + "\n")
