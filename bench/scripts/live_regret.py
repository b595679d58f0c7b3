#!/usr/bin/env python3
"""Regret of a live tune against an exhaustive one, per problem, from two vqtune databases.

    bench/scripts/live_regret.py LIVE.db EXHAUSTIVE.db

For every problem in both files: the fastest candidate the live run timed, its median there, the
exhaustive file's best median, and the regret  live winner's exhaustive median / exhaustive best
- 1  (the winner re-judged by the exhaustive run, so machine-to-machine drift does not count),
beside the raw ratio of the two runs' best medians. Needs only Python's sqlite3; read-only.
"""
import sqlite3
import sys


def best_by_problem(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = con.execute(
        "select p.key, c.key, min(m.median_s) from measurements m"
        " join problems p on p.id = m.problem_id join candidates c on c.id = m.candidate_id"
        " where m.status = 'ok' group by p.key, c.key").fetchall()
    con.close()
    by = {}
    for prob, cand, t in rows:
        by.setdefault(prob, {})[cand] = t
    return by


def main():
    if len(sys.argv) != 3:
        print("usage: live_regret.py LIVE.db EXHAUSTIVE.db", file=sys.stderr)
        return 2
    live, exh = best_by_problem(sys.argv[1]), best_by_problem(sys.argv[2])
    common = sorted(set(live) & set(exh))
    if not common:
        print("live_regret.py: no problem is in both files", file=sys.stderr)
        return 2
    within2 = 0
    regrets = []
    print("problem,timed_live,live_winner_us,exhaustive_best_us,regret_pct,raw_ratio")
    for p in common:
        cand, t_live = min(live[p].items(), key=lambda kv: kv[1])
        t_best = min(exh[p].values())
        t_again = exh[p].get(cand)
        regret = (t_again / t_best - 1) if t_again else float("nan")
        regrets.append(regret)
        within2 += regret <= 0.02
        print(f"{p},{len(live[p])},{t_live * 1e6:.2f},{t_best * 1e6:.2f},{100 * regret:.2f},"
              f"{t_live / t_best:.4f}")
    known = [r for r in regrets if r == r]
    print(f"# {len(common)} problems; live winner within 2 % of the exhaustive best on {within2}"
          f" ({100 * within2 / len(common):.1f} %); max regret {100 * max(known):.2f} %",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
