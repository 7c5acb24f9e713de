"""``cloudoptima app``: start the web app, doing the first start's work before anyone looks.

The first admin and the demo estate are created here, before the server opens its
port, so the first visitor gets a working app at once; the admin's password is
printed after the server answers, as the last and framed lines of the start-up
output, where it cannot scroll away under the server's own messages.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.request

import click

from cloudoptima.cli.base import main
from cloudoptima.errors import CloudOptimaError

START_TIMEOUT_S = 120


@main.command()
@click.option("--port", type=int, default=8501, show_default=True, help="Port to serve on.")
@click.option(
    "--address", default=None, help="Address to listen on (default: Streamlit's, all of them)."
)
def app(port: int, address: str | None) -> None:
    """Start the web app (the first start creates the admin and builds the demo first)."""
    from cloudoptima.first_start import first_start
    from cloudoptima.settings import app_root

    root = app_root()
    if not (root / "app.py").is_file():
        raise CloudOptimaError(f"no app.py in {root}: run `cloudoptima app` from the checkout")
    click.echo("CloudOptima: preparing the first start (admin, demo data) if needed…")
    created = first_start()
    command = [sys.executable, "-m", "streamlit", "run", str(root / "app.py")]
    command += ["--server.port", str(port)]
    if address:
        command += ["--server.address", address]
    server = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    relay = Relay(server)
    relay.start()
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stop the server with us
    try:
        url = f"http://{address or 'localhost'}:{port}"
        _wait_until_serving(server, url)
        relay.announced.wait(timeout=10)  # Streamlit's own "You can now view…" first
        relay.say(banner(url, created))
        sys.exit(server.wait())
    except KeyboardInterrupt:
        server.terminate()
        sys.exit(server.wait())


class Relay(threading.Thread):
    """Copies the server's output to ours, and notes when it has announced its URL."""

    def __init__(self, server: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.announced = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        assert self.server.stdout is not None
        for line in self.server.stdout:
            self.say(line.rstrip("\n"))
            if "URL:" in line:
                self.announced.set()

    def say(self, text: str) -> None:
        with self.lock:
            click.echo(text)


def banner(url: str, created: tuple[str, str] | None) -> str:
    """The framed last lines: where the app is, and the first admin's password once."""
    lines = [f"CloudOptima is running at {url}"]
    if created:
        lines += [
            f"First start: log in as '{created[0]}' with the password",
            "",
            f"    {created[1]}",
            "",
            "It is shown only this once; change it with `cloudoptima users reset-password`.",
        ]
    width = max(len(line) for line in lines) + 4
    rule = "=" * width
    body = [f"| {line.ljust(width - 4)} |" for line in lines]
    return "\n".join(["", rule, *body, rule])


def _wait_until_serving(server: subprocess.Popen[str], url: str) -> None:
    """Block until the server answers its health check; fail if it exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    health = url.replace("0.0.0.0", "127.0.0.1") + "/_stcore/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CloudOptimaError(
                f"the web server stopped at start (exit code {server.returncode})"
            )
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise CloudOptimaError(f"the web server did not answer within {START_TIMEOUT_S} s")
