"""Benchmarks: each builds its own throwaway stack (dev server, databases, worker, API) and prints
figures. They run as demo mode — the demo users and a generated secret — never as production."""

import os

os.environ.setdefault("APP_ENV", "demo")
