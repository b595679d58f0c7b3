#!/usr/bin/env python3
"""The same candidates timed in two processes: join two vqtune databases on (problem key,
candidate key), ok rows only, and report how many medians agree within 1 % and 2 % (kernels of at
least MIN_US microseconds in the first file).  Usage: repeat.py A.db B.db [MIN_US=20]"""
import sqlite3
import sys

Q = """SELECT p.key, c.key, m.median_s FROM measurements m
       JOIN problems p ON p.id = m.problem_id JOIN candidates c ON c.id = m.candidate_id
       WHERE m.status = 'ok'"""


def rows(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    return {(p, c): t for p, c, t in con.execute(Q)}


a, b = rows(sys.argv[1]), rows(sys.argv[2])
min_s = (float(sys.argv[3]) if len(sys.argv) > 3 else 20.0) * 1e-6
pairs = [(k, a[k], b[k]) for k in a.keys() & b.keys() if a[k] >= min_s]
if not pairs:
    sys.exit("no common ok candidates of that size")
gaps = sorted((abs(tb / ta - 1.0), k) for k, ta, tb in pairs)
n = len(gaps)
w1 = sum(g <= 0.01 for g, _ in gaps)
w2 = sum(g <= 0.02 for g, _ in gaps)
print(f"{n} common candidates >= {min_s * 1e6:g} us: within 1 % {w1} ({100 * w1 / n:.1f} %), "
      f"within 2 % {w2} ({100 * w2 / n:.1f} %), median gap {100 * gaps[n // 2][0]:.2f} %")
for g, (p, c) in gaps[-5:]:
    print(f"  {100 * g:.2f} %  {p}  {c}")
