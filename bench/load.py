"""The server (gunicorn, production profile) and the load generator (wrk), as separate processes."""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import env

LUA = Path(__file__).resolve().parent / "lua" / "scenario.lua"


@dataclass
class Scenario:
    name: str
    paths: list[str]
    cookie: str = ""
    xff: bool = False  # a new client address per request (public, rate-limited paths)
    method: str = "GET"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    signed_bodies: list[tuple[str, bytes]] = field(default_factory=list)  # (signature, body), rotated
    ok_statuses: tuple[int, ...] = (200,)
    allow_429: bool = False  # the scenario itself says 429s from the limiter are expected


class Server:
    """gunicorn with gthread workers on 127.0.0.1, DEBUG off (production profile), logs to a file."""

    def __init__(self, workers: int, threads: int, log_dir: Path):
        self.workers, self.threads, self.log_dir = workers, threads, log_dir
        self.process = None

    def __enter__(self):
        self.log = open(self.log_dir / "gunicorn.log", "ab")
        # The deployment's own gunicorn settings (config/gunicorn.conf.py), on the bench's address.
        command = [
            str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "-c", "config/gunicorn.conf.py",
            "--bind", f"{env.HOST}:{env.PORT}", "--workers", str(self.workers), "--threads", str(self.threads),
        ]
        self.process = subprocess.Popen(command, cwd=env.ROOT, env={**os.environ, **env.variables()},
                                        stdout=self.log, stderr=self.log)
        # What Celery beat does in production, on the same cores: write queued open-pixel hits.
        self.flusher = subprocess.Popen([sys.executable, "manage.py", "flush_tracking_opens", "--every", "1"],
                                        cwd=env.ROOT, env={**os.environ, **env.variables()},
                                        stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log.name}")
            try:
                request = urllib.request.Request(f"http://{env.HOST}:{env.PORT}/healthz",
                                                 headers={"X-Forwarded-Proto": "https"})
                if urllib.request.urlopen(request, timeout=2).status == 200:
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        for process in (self.process, self.flusher):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids) -> dict[int, float]:
    """CPU seconds (user + system) of each still-running process."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited since it was listed
        found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (stat fields 14, 15)
    return found


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def cpu_snapshot(server: "Server") -> dict:
    """CPU seconds so far, per process, of: the app (gunicorn master and workers, the open flusher),
    this run's PostgreSQL backends (found by application_name), and the load generator (wrk, a
    reaped child of this process)."""
    import psycopg

    with psycopg.connect(f"{env.PG_SERVER}/{env.DB_NAME}", autocommit=True) as connection:
        backends = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [env.APPLICATION_NAME])]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "app": _cpu_seconds([server.process.pid, server.flusher.pid, *_children(server.process.pid)]),
        "db": _cpu_seconds(backends),
        "load": {0: children.ru_utime + children.ru_stime},
    }


def cpu_per_request(before: dict, after: dict, requests: int) -> dict:
    """Milliseconds of CPU per request on each side. A process that started during the run counts
    from zero; one that exited during it is missed (workers and pooled backends live throughout)."""
    if not requests:
        return {}
    return {
        side: round(sum(cpu - before[side].get(pid, 0.0) for pid, cpu in after[side].items()) * 1000 / requests, 3)
        for side in ("app", "db", "load")
    }


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `apt-get install -y wrk` (bench/run does this).")
    return found


def run(scenario: Scenario, *, seconds: float, connections: int, threads: int = 2) -> dict:
    """Drive one scenario with wrk; returns its figures (rates, latency, error rate, statuses)."""
    with tempfile.TemporaryDirectory(prefix="cradle-bench-") as tmp:
        paths_file = Path(tmp) / "paths"
        paths_file.write_text("\n".join(scenario.paths) + "\n")
        body_file = Path(tmp) / "body"
        body_file.write_bytes(scenario.body)
        headers_file = Path(tmp) / "headers"
        headers_file.write_text("".join(f"{k}: {v}\n" for k, v in scenario.headers.items()))
        bodies_file = Path(tmp) / "bodies"
        bodies_file.write_bytes(b"".join(sig.encode() + b"\t" + body + b"\n" for sig, body in scenario.signed_bodies))
        variables = {
            **os.environ, "BENCH_PATHS": str(paths_file), "BENCH_COOKIE": scenario.cookie,
            "BENCH_XFF": "1" if scenario.xff else "0", "BENCH_METHOD": scenario.method,
            "BENCH_BODY_FILE": str(body_file) if scenario.body else "", "BENCH_HEADERS": str(headers_file),
            "BENCH_BODIES": str(bodies_file) if scenario.signed_bodies else "",
        }
        command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                   "-s", str(LUA), f"http://{env.HOST}:{env.PORT}"]
        done = subprocess.run(command, env=variables, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        output = done.stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line[len("BENCH_JSON "):])
    statuses = {int(code): count for code, count in figures["statuses"].items()}
    seconds_run = figures["duration_us"] / 1e6
    limited = statuses.get(429, 0) if scenario.allow_429 else 0
    good = sum(count for code, count in statuses.items() if code in scenario.ok_statuses)
    errors = figures["requests"] - good - limited
    return {
        "scenario": scenario.name,
        "requests": figures["requests"],
        "rps": good / seconds_run,  # only answers the scenario counts as success
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        "statuses": statuses,
        "rate_limited": statuses.get(429, 0),
        "error_rate": errors / figures["requests"] if figures["requests"] else 1.0,
        "socket_errors": figures["socket_errors"],
    }
