"""Real Known server processes for browser and cross-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo password for tests"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class KnownServer:
    """One ``python app.py`` process on its own port and database."""

    workdir: Path
    database_url: str = ""
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWN_")}
        env.update(
            KNOWN_ENV="development",
            KNOWN_INSTANCE_DIR=str(self.workdir),
            KNOWN_DATABASE_URL=self.database_url or f"sqlite:///{self.workdir / 'known.db'}",
            KNOWN_SECRET_KEY="browser-test-secret-" + "y" * 40,
            KNOWN_HOST="127.0.0.1",
            KNOWN_PORT=str(self.port),
            KNOWN_BASE_URL=self.url,
            KNOWN_DEMO_PASSWORD=DEMO_PASSWORD,
        )
        env.update(self.extra_env)
        return env

    def flask(self, *args: str) -> str:
        """Run a ``flask --app app`` command against this server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def prepare(self) -> None:
        """Apply the migrations and create the demo event, as ``make run`` does."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        self.flask("seed-demo")

    def start(self) -> KnownServer:
        self.log = (self.workdir / f"server-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.read_log()}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.read_log()}")

    def read_log(self) -> str:
        return (self.workdir / f"server-{self.port}.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
