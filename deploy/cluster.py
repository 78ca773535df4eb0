"""Start a Known cluster: N app processes on consecutive ports and nginx in front.

    python deploy/cluster.py --processes 2 --port 8000

Every process shares the database (``KNOWN_DATABASE_URL``, PostgreSQL for real use) and the
message queue (``KNOWN_MESSAGE_QUEUE``, Redis), so a Socket.IO emit made in one process reaches
clients connected to any other. nginx is configured from ``deploy/nginx.conf``. SIGTERM or
Ctrl-C stops nginx first (no new requests), then each app process, which lets in-flight events
finish. The tests and ``bench/quiz_load.py --cluster`` use :class:`Cluster` directly.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf"


def render_nginx_conf(*, run_dir: Path, listen: str, app_ports: list[int]) -> str:
    """deploy/nginx.conf with the run directory, the address and the app servers filled in."""
    servers = "\n".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in app_ports
    )
    return (
        TEMPLATE.read_text()
        .replace("@@RUN_DIR@@", str(run_dir))
        .replace("@@LISTEN@@", listen)
        .replace("@@SERVERS@@", servers)
    )


def _wait_http(url: str, process: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _raise_nofile() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 65000), hard), hard))


@dataclass
class Cluster:
    """N ``python app.py`` processes and one nginx, all on 127.0.0.1."""

    processes: int
    port: int
    env: dict[str, str] = field(default_factory=dict)
    run_dir: Path | None = None
    apps: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The public address (nginx)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def app_ports(self) -> list[int]:
        """The ports of the app processes: the public port + 1, + 2, …"""
        return [self.port + 1 + i for i in range(self.processes)]

    def app_url(self, index: int) -> str:
        """The direct address of one app process (bypassing nginx)."""
        return f"http://127.0.0.1:{self.app_ports[index]}"

    def _app_env(self, port: int) -> dict[str, str]:
        env = os.environ | self.env
        env.update(KNOWN_HOST="127.0.0.1", KNOWN_PORT=str(port))
        env.setdefault("KNOWN_BASE_URL", self.url)
        return env

    def start_app(self, index: int) -> subprocess.Popen[bytes]:
        """(Re)start one app process and wait until it answers /healthz."""
        assert self.run_dir is not None
        port = self.app_ports[index]
        # The child keeps its own descriptor; ours is closed as soon as it has started.
        with (self.run_dir / f"app-{port}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=ROOT,
                env=self._app_env(port),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_raise_nofile,
            )
        if index < len(self.apps):
            self.apps[index] = process
        else:
            self.apps.append(process)
        _wait_http(f"http://127.0.0.1:{port}/healthz", process)
        return process

    def start(self) -> Cluster:
        """Start the app processes, then nginx in front of them."""
        if shutil.which("nginx") is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
        self.run_dir = self.run_dir or Path(tempfile.mkdtemp(prefix="known-cluster-"))
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        for index in range(self.processes):
            self.start_app(index)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                run_dir=self.run_dir, listen=f"127.0.0.1:{self.port}", app_ports=self.app_ports
            )
        )
        with (self.run_dir / "nginx-stderr.log").open("ab") as errors:
            self.nginx = subprocess.Popen(
                ["nginx", "-p", str(self.run_dir), "-c", str(conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=errors,
                preexec_fn=_raise_nofile,
            )
        _wait_http(f"{self.url}/healthz", self.nginx)
        return self

    def kill_app(self, index: int) -> None:
        """SIGKILL one app process (a crash, for the failover tests)."""
        self.apps[index].kill()
        self.apps[index].wait()

    def stop(self) -> None:
        """Stop nginx, then every app process with SIGTERM (graceful), SIGKILL after 15 s."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # nginx: graceful shutdown
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for process in self.apps:
            if process.poll() is None:
                process.terminate()
        for process in self.apps:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main() -> None:
    """Run a cluster in the foreground until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", "-n", type=int, default=2)
    parser.add_argument("--port", type=int, default=int(os.environ.get("KNOWN_PORT", "8000")))
    args = parser.parse_args()
    if not os.environ.get("KNOWN_MESSAGE_QUEUE"):
        sys.exit("Set KNOWN_MESSAGE_QUEUE (e.g. redis://127.0.0.1:6379/0): processes share it.")
    if os.environ.get("KNOWN_DATABASE_URL", "").startswith("sqlite"):
        print("warning: SQLite with several processes works but serialises every write.")
    cluster = Cluster(processes=args.processes, port=args.port)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    cluster.start()
    print(f"Known cluster: {cluster.url} -> {', '.join(map(str, cluster.app_ports))}")
    print(f"logs in {cluster.run_dir}")
    try:
        while not stopping:
            time.sleep(0.5)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
