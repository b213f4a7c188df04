"""config/gunicorn.conf.py is what production and the benchmark serve with: it must load, and keep
the settings the benchmark's figures depend on (per-worker sockets, threaded workers)."""
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settings_the_measurements_rely_on(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert settings["reuse_port"] is True
    assert settings["worker_class"] == "gthread"
    assert settings["workers"] == 3


def test_gunicorn_accepts_the_file_and_loads_the_app():
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
