"""What the integration scripts that start processes share: the hang
limit (scaled like ctest's timeouts), failing a check, a daemon's READY
line, and whether a pid still runs."""
import os
import select
import time

SCALE = int(os.environ.get("DUSK_TEST_TIMEOUT_SCALE", "1"))
TIMEOUT = 60 * SCALE


class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


def ready(proc, fd, what):
    """The port of the READY line a daemon writes to fd (or its stdout)."""
    line = b""
    deadline = time.monotonic() + TIMEOUT
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise Failed(f"{what} did not say READY")
        chunk = os.read(fd, 64)
        if not chunk:
            raise Failed(f"{what} exited before READY ({proc.poll()})")
        line += chunk
    check(line.startswith(b"READY "), f"{what}: {line!r}")
    return int(line.split()[1])


def alive(pid):
    """Whether pid runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop_all(procs):
    """Stops each process of procs still running (last started first):
    SIGTERM, then SIGKILL after 10 s."""
    import subprocess
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
