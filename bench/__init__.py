"""The agency-scale benchmark (`bench/run`, or `.venv/bin/python -m bench`): see bench/README.md."""
