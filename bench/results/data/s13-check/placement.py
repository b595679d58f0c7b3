#!/usr/bin/env python3
"""The same candidates in two vqtune databases (two processes): how many ok medians of at least
MIN_US agree within 1 % and 2 %, split into candidates that read through L1 / shared memory and
those that bypass L1, and each problem's median shift (non-bypass), which is where the data's
allocation landed.  Usage: placement.py A.db B.db [MIN_US=20]"""
import collections
import sqlite3
import statistics
import sys

Q = """SELECT p.key, c.key, m.median_s FROM measurements m
       JOIN problems p ON p.id = m.problem_id JOIN candidates c ON c.id = m.candidate_id
       WHERE m.status = 'ok'"""


def rows(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return {(p, c): t for p, c, t in con.execute(Q)}


a, b = rows(sys.argv[1]), rows(sys.argv[2])
min_s = (float(sys.argv[3]) if len(sys.argv) > 3 else 20.0) * 1e-6
pairs = [(k, b[k] / a[k] - 1.0) for k in a.keys() & b.keys() if a[k] >= min_s]
if not pairs:
    sys.exit("no common ok candidates of that size")
for name, sel in (("all", lambda c: True), ("through L1/smem", lambda c: "l1bypass=0" in c),
                  ("bypassing L1", lambda c: "l1bypass=1" in c)):
    g = [abs(d) for (p, c), d in pairs if sel(c)]
    if g:
        print(f"{name}: {len(g)} >= {min_s * 1e6:g} us, within 1 % {100 * sum(x <= 0.01 for x in g) / len(g):.1f} %, "
              f"within 2 % {100 * sum(x <= 0.02 for x in g) / len(g):.1f} %, "
              f"median {100 * statistics.median(g):.2f} %, max {100 * max(g):.2f} %")
per = collections.defaultdict(list)
for (p, c), d in pairs:
    if "l1bypass=0" in c:
        per[p].append(d)
shifts = sorted(statistics.median(v) for v in per.values())
print(f"per-problem median shift, through L1/smem ({len(shifts)} problems, %): "
      + " ".join(f"{100 * s:+.1f}" for s in shifts)
      + f"; stdev {100 * statistics.pstdev(shifts):.2f}")
