"""Markdown tables from a results file: `.venv/bin/python -m bench.report bench/results/<file>.json`."""
import json
import sys


def markdown(result: dict) -> str:
    out = [
        f"Run {result['when']} (git {result['git']}), {result['config']['connections']} connections, "
        f"{result['config']['seconds']:.0f} s per scenario, gunicorn {result['config']['workers']}x"
        f"{result['config']['threads']} gthread, load average at the end "
        f"{', '.join(f'{x:.1f}' for x in result['machine']['load_average_at_end'])} on {result['machine']['cpus']} cores.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | x floor | queries/req | SQL ms/req | errors | 429s "
        "| CPU ms/req: app | db | wrk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["scenarios"].items():
        queries = "" if row["queries"] is None else row["queries"]
        sql = "" if row["sql_ms"] is None else f"{row['sql_ms']:.1f}"
        cpu = row.get("cpu_ms_per_request") or {}
        out.append(f"| {name} | {row['rps']:.1f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                   f"{row['ratio_to_floor']:.3f} | {queries} | {sql} | {row['error_rate']:.2%} | {row['rate_limited']} | "
                   + " | ".join(f"{cpu[side]:.2f}" if side in cpu else "" for side in ("app", "db", "load")) + " |")
    s, c = result["scoping"], result["slots_compute"]
    out += [
        "",
        f"Scoping: scoped manager {s['scoped_ms']:.3f} ms vs filtered by hand {s['by_hand_ms']:.3f} ms = "
        f"**{s['ratio']:.3f}x** (ratio of medians over {s['iterations']} interleaved pairs, identical SQL: "
        f"{s['same_sql']}, 50-row page of the 300k org); building and compiling the query alone: "
        f"{s['orm_only_scoped_us']:.0f} us scoped vs {s['orm_only_by_hand_us']:.0f} us by hand.",
        f"Slots: available_slots() for 30 days, {c['appointments']} appointments: median **{c['median_ms']:.1f} ms**, "
        f"p95 {c['p95_ms']:.1f} ms ({c['slots']} slots offered).",
        *([f"Open pixel: {h['answered_200']} hits answered 200, {h['written']} written to the database by the "
           f"flusher running beside the server, lost **{h['lost']}**."] if (h := result.get("pixel_hits")) else []),
        "",
        "| target (issue 9) | wanted | measured | |",
        "|---|---|---|---|",
    ]
    for t in result["targets"]:
        out.append(f"| {t['target']} | {t['wanted']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(json.load(open(sys.argv[1]))))
