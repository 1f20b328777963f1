# test_progress.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Progress bars of Server.wait(progress=True) and map(..., progress=True):
shown on a terminal (a pseudo-terminal here), tqdm's or the plain line,
and nothing when standard error is not a terminal."""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import textwrap
import time

import pytest

pp = pytest.importorskip("pp")

pytestmark = pytest.mark.usefixtures("subreaper")

SCRIPT = textwrap.dedent("""
    import sys, time, pp

    def nap(x):
        import time
        time.sleep(0.01)
        return x

    srv = pp.Server(2)
    what = sys.argv[1]
    if what == "wait":
        jobs = [srv.submit(nap, (i,)) for i in range(60)]
        srv.wait(progress=True)
        assert all(job.finished for job in jobs)
        print("RESULT", sum(job() for job in jobs), flush=True)
    else:
        result = srv.map(nap, range(200), chunksize=5, progress=True)
        print("RESULT", sum(result), flush=True)
    srv.destroy()
""")

EXPECTED = {"wait": sum(range(60)), "map": sum(range(200))}


def have_tqdm():
    try:
        import tqdm  # noqa: F401
        return True
    except ImportError:
        return False


def run_on_pty(script, what, env):
    """Runs the script with stdout and stderr on a new pseudo-terminal;
    returns what the terminal showed."""
    master, slave = pty.openpty()
    # 24 rows, 80 columns, as a terminal window would say.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        proc = subprocess.Popen([sys.executable, str(script), what], env=env,
                                stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                close_fds=True)
    finally:
        os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:         # EIO: the slave side is closed
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        assert proc.wait(timeout=30) == 0, out.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return out.decode("utf-8", "replace")


def env_for(plain):
    env = dict(os.environ)
    env.pop("PP_PROGRESS", None)
    if plain:
        env["PP_PROGRESS"] = "plain"
    return env


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "progress.py"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("what", ["wait", "map"])
def test_plain_bar_on_a_terminal(script, what):
    shown = run_on_pty(script, what, env_for(plain=True))
    total = 60 if what == "wait" else 200
    assert "RESULT %d" % EXPECTED[what] in shown
    # The line is redrawn in place and ends complete.
    assert "\r" in shown
    assert "%d/%d (100%%)" % (total, total) in shown, shown


@pytest.mark.parametrize("what", ["wait", "map"])
def test_tqdm_bar_on_a_terminal(script, what):
    if not have_tqdm():
        pytest.skip("tqdm is not installed (Debian: python3-tqdm)")
    shown = run_on_pty(script, what, env_for(plain=False))
    total = 60 if what == "wait" else 200
    assert "RESULT %d" % EXPECTED[what] in shown
    assert "100%|" in shown and "%d/%d" % (total, total) in shown, shown


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("what", ["wait", "map"])
def test_nothing_without_a_terminal(script, what, plain):
    proc = subprocess.run([sys.executable, str(script), what], env=env_for(plain),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "RESULT %d\n" % EXPECTED[what]
    assert proc.stderr == ""


def getpid():
    import os
    return os.getpid()


def test_progress_to_a_chosen_stream(tmp_path):
    """progress=<stream>: shown there when it is a terminal, not otherwise."""
    srv = pp.Server(1)
    try:
        with open(tmp_path / "out", "w") as stream:
            assert srv.map(abs, [-1, -2], progress=stream) == [1, 2]
            job = srv.submit(getpid)
            srv.wait(progress=stream)
        assert job() != os.getpid()
        assert (tmp_path / "out").read_text() == ""
        with pytest.raises(TypeError):
            srv.map(abs, [1], progress=42)
    finally:
        srv.destroy()


def test_plain_bar_unit():
    """The plain fallback's line, on a stream that says it is a terminal."""
    from pp import _progress

    class Tty:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

        def isatty(self):
            return True

    os.environ["PP_PROGRESS"] = "plain"
    try:
        stream = Tty()
        bar = _progress.bar(stream, 10, "work")
        for _ in range(10):
            bar.update(1)
        bar.close()
        assert stream.text.startswith("\rwork: 0/10 (0%)")
        assert "\rwork: 10/10 (100%)" in stream.text and stream.text.endswith("\n")
        # Without a total: a count.
        stream = Tty()
        bar = _progress.bar(stream, None, "work")
        bar.update(3)
        bar.close()
        assert "\rwork: 3 " in stream.text
    finally:
        del os.environ["PP_PROGRESS"]
