#!/usr/bin/env python3
# Live model-top-k winners against an exhaustive search of the same problems (issue #6 target):
#   bench/scripts/live_vs_exhaustive.py LIVE.db EXHAUSTIVE.db
# The live winner of a problem (fastest ok measurement in LIVE) is looked up at its time in
# EXHAUSTIVE; prints the problems whose winner is more than 2 % slower than the exhaustive best
# there, and the share within 2 %. Both files are opened read-only.
import sqlite3
import sys


def ok_times(path):
    """{problem key: {candidate key: median seconds}} of the ok measurements in `path`."""
    try:
        con = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
        rows = con.execute(
            "select p.key, k.key, m.median_s from measurements m"
            " join problems p on p.id = m.problem_id"
            " join candidates k on k.id = m.candidate_id where m.status = 'ok'").fetchall()
    except sqlite3.Error as e:
        sys.stderr.write(f"live_vs_exhaustive: {path}: {e}\n")
        sys.exit(2)
    times = {}
    for problem, candidate, seconds in rows:
        times.setdefault(problem, {})[candidate] = seconds
    return times


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: live_vs_exhaustive.py LIVE.db EXHAUSTIVE.db\n")
        return 2
    live, exhaustive = ok_times(sys.argv[1]), ok_times(sys.argv[2])
    compared = within = 0
    worst = 0.0
    unknown = []
    for problem, candidates in sorted(live.items()):
        if problem not in exhaustive:
            continue
        winner = min(candidates, key=candidates.get)
        best = min(exhaustive[problem].values())
        at = exhaustive[problem].get(winner)
        if at is None:
            unknown.append(problem)
            continue
        regret = at / best - 1
        compared += 1
        within += regret <= 0.02
        worst = max(worst, regret)
        if regret > 0.02:
            print(f"  {problem}: {winner} regret {100 * regret:.2f} %")
    print(f"{sys.argv[1]}: {within} of {compared} within 2 % (max {100 * worst:.2f} %); "
          f"{len(unknown)} winners not in the exhaustive data; {len(live)} live problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
