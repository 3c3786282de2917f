"""Run the web server and a django-q2 worker together; Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from .load_demo import DEMO_USERS


class Command(BaseCommand):
    help = "Start the development web server and the background worker together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        manage = [sys.executable, os.path.join(settings.BASE_DIR, "manage.py")]
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nDialdesk is starting at {url}"))
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD}):")
        for username, role, _, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<11} {username}")
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.\n")
        self.stdout.flush()

        processes = [
            subprocess.Popen([*manage, "qcluster"]),  # noqa: S603 (our own manage.py)
            subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"]),  # noqa: S603
        ]
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            self.stderr.write("A process exited unexpectedly; stopped the other one.")
            sys.exit(1)
