# tests/python/test_pp_api.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the pp-compatible Python API.

The first part tests source extraction, dependency discovery and argument
pickling (pure Python).  The rest runs real jobs in real worker processes
through libpp-glib and is skipped when the Pp-1.0 typelib is not available.
"""

import dataclasses
import functools
import math
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import PP, load_source_module, needs_pp, process_gone

S = load_source_module()

if PP is not None:
    import pp
    from pp._backend import GLib, Pp, PP_ERROR_DOMAIN


# ---------------------------------------------------------------------------
# Functions and classes the jobs use (shipped to the workers as source)

def square(x):
    return x * x


def isprime(n):
    if n < 2:
        return False
    for i in range(2, int(math.sqrt(n)) + 1):
        if n % i == 0:
            return False
    return True


def sum_primes(n):
    return sum(x for x in range(2, n) if isprime(x))


def twice(x):
    return 2 * x


def apply(fn, x):
    return fn(x)


def uses_listed_modules(x):
    # "lm" and "lp" are not module globals here: they come from modules=
    return lm.sqrt(x), lp.join("a", "b")  # noqa: F821


def uses_globals(x):
    return gmath.floor(x) + gtwice(x)  # noqa: F821


def whoami(delay=0.0):
    time.sleep(delay)
    return os.getpid()


def sleepy(delay, value=None):
    time.sleep(delay)
    return value


def divide(a, b):
    return a / b


def chatty(x):
    print("hello from job", x)
    print("on stderr", file=sys.stderr)
    return x


def crash(code):
    os._exit(code)


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


class AppError(Exception):
    pass


def raise_app_error(msg):
    raise AppError(msg)


class Unpicklable(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.lock = threading.Lock()


def raise_unpicklable():
    raise Unpicklable("cannot travel")


def returns_list(n):
    return list(range(n))


class Shape:
    def __init__(self, name):
        self.name = name

    def describe(self):
        return "shape " + self.name


class Rect(Shape):
    def __init__(self, w, h):
        super().__init__("rect")
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h

    def scaled(self, k):
        return Rect(self.w * k, self.h * k)

    @classmethod
    def unit(cls):
        return cls(1, 1).area()


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0

    def norm(self):
        return math.hypot(self.x, self.y)


def total_area(shapes):
    return sum(s.area() for s in shapes)


def norms(points):
    return [p.norm() for p in points]


def timer(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return ("timed", fn(*args))
    return wrapper


@timer
def timed_square(x):
    return x * x


# ---------------------------------------------------------------------------
# Pure Python: sources, dependencies, arguments


def _run_bundle(bundle, args):
    ns = {"__name__": "__main__"}
    for entry in bundle.modules:
        if entry.startswith(("import ", "from ")):
            exec(entry, ns)
        else:
            ns[entry.partition(".")[0]] = __import__(entry)
    exec(compile(bundle.source, "<bundle>", "exec"), ns)
    return ns[bundle.name](*args)


def test_source_of_function_and_discovered_dependencies():
    b = S.FunctionBuilder()
    bundle = b.bundle(sum_primes)
    assert bundle.name == "sum_primes"
    # isprime is found without depfuncs, math is imported best-effort
    assert "def isprime(n):" in bundle.source
    assert "import math" in bundle.source
    assert bundle.source.index("def isprime") < bundle.source.index("def sum_primes")
    assert _run_bundle(bundle, (100,)) == 1060


def test_explicit_depfuncs_and_modules():
    b = S.FunctionBuilder()
    bundle = b.bundle(sum_primes, (isprime,), ("math",))
    assert bundle.modules == ["math"]
    assert bundle.source.count("def isprime") == 1
    assert _run_bundle(bundle, (30,)) == 129


def test_modules_may_be_import_statements():
    assert S.module_names(("math", "import numpy as np", "from os import path as p",
                           "os.path")) == ["math", "numpy", "os", "os.path"]
    b = S.FunctionBuilder()
    bundle = b.bundle(uses_listed_modules, (), ("import math as lm", "from os import path as lp"))
    assert _run_bundle(bundle, (16,)) == (4.0, os.path.join("a", "b"))


def test_globals_bring_modules_and_functions():
    b = S.FunctionBuilder()
    bundle = b.bundle(uses_globals, globs={"gmath": math, "gtwice": twice, "N": 3,
                                           "__name__": __name__})
    assert "import math as gmath" in bundle.source
    assert "gtwice = twice" in bundle.source
    assert _run_bundle(bundle, (2.5,)) == 2 + 5.0


def test_decorators_kept_when_still_bound():
    b = S.FunctionBuilder()
    bundle = b.bundle(timed_square)
    assert "@timer" in bundle.source and "def timer" in bundle.source
    assert _run_bundle(bundle, (3,)) == ("timed", 9)


def test_decorators_stripped_when_name_bound_elsewhere():
    b = S.FunctionBuilder()
    bundle = b.bundle(timed_square.__wrapped__)
    assert "@timer" not in bundle.source
    assert _run_bundle(bundle, (3,)) == 9


def test_bound_method_wrapper_and_class_hierarchy():
    r = Rect(2, 3)
    data, found = S.dumps_args((r, 2), __name__)
    assert Rect in found
    bundle = S.FunctionBuilder().bundle(r.scaled, found=found)
    assert bundle.name.startswith("__pp_method__")
    src = bundle.source
    assert src.index("class Shape") < src.index("class Rect")
    ns = {"__name__": "__main__"}
    exec(src, ns)
    # the instance is pickled as __main__.Rect for the worker
    saved = sys.modules["__main__"]
    fake = type(sys)("__main__")
    fake.__dict__.update(ns)
    sys.modules["__main__"] = fake
    try:
        args = pickle.loads(data)
        result = ns[bundle.name](*args)
    finally:
        sys.modules["__main__"] = saved
    assert type(result).__name__ == "Rect" and result.area() == 24


def test_argument_scan_finds_nested_classes_and_functions():
    data, found = S.dumps_args(([Point(1, 2)], {"f": twice}), __name__)
    assert set(found) == {Point, twice}
    # fast path: atomic arguments are not scanned
    data, found = S.dumps_args((1, 2.5, "s", b"b", None, True), __name__)
    assert found == () and pickle.loads(data) == (1, 2.5, "s", b"b", None, True)
    # classes and functions of importable modules travel by reference
    data, found = S.dumps_args((functools.partial(max, 1), dataclasses.Field), __name__)
    assert found == ()


def test_dataclass_source_keeps_decorator():
    bundle = S.FunctionBuilder().bundle(norms, found=(Point,))
    assert "from dataclasses import dataclass" in bundle.source or \
        "import dataclasses" in bundle.source
    assert "@dataclasses.dataclass" in bundle.source


def test_unsupported_functions_give_clear_errors():
    b = S.FunctionBuilder()
    with pytest.raises(TypeError, match="lambda"):
        b.bundle(lambda x: x)
    with pytest.raises(TypeError, match="not a Python function"):
        b.bundle(len)

    def outer():
        k = 3

        def inner(x):
            return x + k
        return inner
    with pytest.raises(TypeError, match="closure"):
        b.bundle(outer())
    ns = {"__name__": "ppt_exec_ns"}
    exec("class NoSource:\n    pass\n", ns)
    with pytest.raises(TypeError, match="source code"):
        b.bundle(square, found=(ns["NoSource"],))


def test_function_without_source_file_travels_as_code():
    ns = {"__name__": "__main__", "math": math}
    exec("def made_by_exec(x, k=2, *, j=1):\n"
         "    return math.floor(x) * k + j\n", ns)
    bundle = S.FunctionBuilder().bundle(ns["made_by_exec"])
    assert bundle.name == "made_by_exec" and "marshal" in bundle.source
    assert "import math" in bundle.source
    assert _run_bundle(bundle, (3.5,)) == 7


def test_module_importable():
    assert S.module_importable("os")
    assert S.module_importable("math")
    assert not S.module_importable("__main__")
    assert not S.module_importable("no_such_module_xyz")


# ---------------------------------------------------------------------------
# Real jobs

@pytest.fixture(scope="module")
def server():
    if PP is None:
        pytest.skip("libpp-glib not available")
    srv = pp.Server(2)
    yield srv
    srv.destroy()


@pytest.fixture
def fresh():
    """A private server, for tests that break, resize or destroy it."""
    servers = []

    def make(*args, **kwargs):
        srv = pp.Server(*args, **kwargs)
        servers.append(srv)
        return srv
    yield make
    for srv in servers:
        srv.destroy()


@needs_pp
def test_200_results(server):
    jobs = [server.submit(square, (i,)) for i in range(200)]
    assert [job() for job in jobs] == [i * i for i in range(200)]


@needs_pp
def test_sum_primes_with_depfuncs_and_modules(server):
    jobs = [server.submit(sum_primes, (n,), (isprime,), ("math",)) for n in (100, 1000)]
    assert [j() for j in jobs] == [1060, 76127]


@needs_pp
def test_modules_import_statements(server):
    job = server.submit(uses_listed_modules, (9,), (),
                        ("import math as lm", "from os import path as lp"))
    assert job() == (3.0, os.path.join("a", "b"))


@needs_pp
def test_missing_module_is_import_error(server):
    job = server.submit(square, (2,), (), ("no_such_module_for_pp_tests",))
    with pytest.raises(ImportError) as info:
        job()
    assert isinstance(info.value.__cause__, pp.RemoteTraceback)


@needs_pp
def test_bound_methods_and_classmethods(server):
    r = Rect(2, 5)
    assert server.submit(r.area)() == 10
    scaled = server.submit(r.scaled, (3,))()
    assert isinstance(scaled, Rect) and (scaled.w, scaled.h) == (6, 15)
    assert server.submit(r.describe)() == "shape rect"
    assert server.submit(Rect.unit)() == 1


@needs_pp
def test_instances_and_functions_in_args(server):
    assert server.submit(total_area, ([Rect(1, 2), Rect(3, 4)],))() == 14
    assert server.submit(norms, ((Point(3, 4), Point(6, 8)),))() == [5.0, 10.0]
    assert server.submit(apply, (twice, 21))() == 42
    assert server.submit(apply, (math.sqrt, 49))() == 7.0


@needs_pp
def test_globals(server):
    job = server.submit(uses_globals, (1.5,),
                        globals={"gmath": math, "gtwice": twice, "__name__": __name__})
    assert job() == 1 + 3.0


@needs_pp
def test_decorated_function(server):
    assert server.submit(timed_square, (4,))() == ("timed", 16)


@needs_pp
def test_callbacks_run_before_wait_returns(server):
    got = []
    lock = threading.Lock()

    def collect(tag, result):
        with lock:
            got.append((tag, result, threading.current_thread() is threading.main_thread()))

    for i in range(20):
        server.submit(square, (i,), callback=collect, callbackargs=("sq",), group="cb")
    server.wait("cb")
    assert sorted(r for _, r, _ in got) == sorted(i * i for i in range(20))
    assert all(tag == "sq" and not in_main for tag, _, in_main in got)


@needs_pp
def test_callback_runs_while_main_thread_busy(server):
    done = threading.Event()
    server.submit(square, (3,), callback=lambda r: done.set())
    deadline = time.monotonic() + 10
    while not done.is_set() and time.monotonic() < deadline:
        sum(range(1000))  # busy, never calls into pp
    assert done.is_set()
    server.wait()


@needs_pp
def test_callback_exception_is_printed(server, capsys):
    def bad(result):
        raise RuntimeError("callback broke")
    server.submit(square, (2,), callback=bad, group="badcb")
    server.wait("badcb")
    err = capsys.readouterr().err
    assert "callback broke" in err and "RuntimeError" in err


@needs_pp
def test_callback_of_failed_job_and_submit_from_callback(server, capsys):
    called = []
    server.submit(divide, (1, 0), callback=called.append, group="fail")
    server.wait("fail")
    assert called == [None]  # as in pp: the result of a failed job is None
    err = capsys.readouterr().err
    assert "gets None" in err and "ZeroDivisionError" in err

    inner = []

    def resubmit(result):
        # runs in the callback thread: submitting and waiting must not deadlock
        job = server.submit(square, (result,), callback=inner.append, group="nested")
        server.wait("nested-none")
        inner.append(("direct", job()))
    server.submit(square, (3,), callback=resubmit, group="outer")
    server.wait("outer")
    server.wait("nested")
    assert sorted(inner, key=str) == sorted([("direct", 81), 81], key=str)


@needs_pp
def test_groups_and_wait_group(server):
    fast = [server.submit(square, (i,), group="fast") for i in range(4)]
    slow = server.submit(sleepy, (1.5, "slow"), group="slow")
    server.wait("fast")
    assert all(j.finished for j in fast)
    assert not slow.finished
    assert server.get_active_jobs("slow") == 1
    server.wait("slow")
    assert slow.finished and slow() == "slow"
    assert server.get_active_jobs() == 0


@needs_pp
def test_set_ncpus_while_jobs_run(fresh):
    srv = fresh(1)
    assert srv.get_ncpus() == 1
    jobs = [srv.submit(sleepy, (0.1, i)) for i in range(12)]
    srv.set_ncpus(3)
    assert srv.get_ncpus() == 3
    time.sleep(0.15)
    srv.set_ncpus(2)
    assert srv.get_ncpus() == 2
    assert [j() for j in jobs] == list(range(12))
    srv.set_ncpus("autodetect")
    assert srv.get_ncpus() == (os.cpu_count() or 1) or srv.get_ncpus() >= 1
    with pytest.raises(TypeError):
        srv.set_ncpus("many")
    with pytest.raises(ValueError):
        srv.set_ncpus(-2)


@needs_pp
def test_stats(fresh, capsys):
    srv = fresh(2)
    assert srv.get_ncpus() == 2
    assert srv.get_active_nodes() == {"local": 2}
    for j in [srv.submit(square, (i,)) for i in range(5)]:
        j()
    stats = srv.get_stats()
    local = stats["local"]
    assert local.njobs == 5 and local.ncpus == 2 and local.time >= 0.0
    assert local.rworker is None
    srv.print_stats()
    out = capsys.readouterr().out
    lines = out.splitlines()
    again = srv._srv.format_stats().splitlines()
    assert [l for l in lines if "elapsed" not in l] == [l for l in again if "elapsed" not in l]
    assert lines[0] == "Job execution statistics:"
    assert lines[1] == " job count | % of all jobs | job time sum | time per job | job server"
    assert lines[2].split("|")[0].strip() == "5"
    assert lines[2].rstrip().endswith("| local")
    assert any(line.startswith("Time elapsed since server creation") for line in lines)
    assert any("active tasks" in line and "cores" in line for line in lines)


@needs_pp
def test_exception_keeps_type_and_remote_traceback(server):
    job = server.submit(divide, (1, 0))
    with pytest.raises(ZeroDivisionError) as info:
        job()
    cause = info.value.__cause__
    assert isinstance(cause, pp.RemoteTraceback)
    assert "ZeroDivisionError" in str(cause) and "divide" in str(cause)
    with pytest.raises(ZeroDivisionError):  # raised again, same error
        job()


@needs_pp
def test_user_exception_class_round_trips(server):
    with pytest.raises(AppError, match="boom"):
        server.submit(raise_app_error, ("boom",))()


@needs_pp
def test_unpicklable_exception_is_job_error(server):
    with pytest.raises(pp.JobError) as info:
        server.submit(raise_unpicklable)()
    err = info.value
    assert err.etype.endswith("Unpicklable")
    assert err.message == "cannot travel" and str(err).endswith(": cannot travel")
    assert "raise_unpicklable" in err.traceback
    assert isinstance(err, pp.PPError)


@needs_pp
def test_worker_crash_is_reported_and_others_unaffected(fresh):
    srv = fresh(2)
    before = [srv.submit(square, (i,)) for i in range(10)]
    bad = srv.submit(crash, (1,))
    after = [srv.submit(square, (i,)) for i in range(10, 20)]
    with pytest.raises(pp.WorkerCrashedError) as info:
        bad()
    assert "retried" in str(info.value)
    assert bad._job.get_attempts() == 2
    assert [j() for j in before + after] == [i * i for i in range(20)]
    killed = srv.submit(kill_self)
    with pytest.raises(pp.WorkerCrashedError):
        killed()
    assert srv.submit(square, (7,))() == 49


@needs_pp
def test_destroy_fails_pending_jobs(fresh):
    srv = fresh(1)
    jobs = [srv.submit(sleepy, (0.5,)) for _ in range(4)]
    time.sleep(0.1)
    srv.destroy()
    for j in jobs:
        with pytest.raises(pp.DestroyedError):
            j()
    with pytest.raises(pp.DestroyedError):
        srv.submit(square, (1,))
    srv.destroy()  # idempotent


@needs_pp
def test_type_errors_at_submit(server):
    with pytest.raises(TypeError):
        server.submit(square, 3)
    with pytest.raises(TypeError):
        server.submit(square, (3,), depfuncs=twice)
    with pytest.raises(TypeError):
        server.submit(square, (3,), modules=(math,))
    with pytest.raises(TypeError):
        server.submit(square, (3,), modules="math")
    with pytest.raises(TypeError):
        server.submit(square, (3,), callback=print, callbackargs=[1])
    with pytest.raises(TypeError):
        server.submit(square, (3,), globals=[])
    with pytest.raises(TypeError):
        server.submit(len, ([1],))
    with pytest.raises(TypeError, match="lambda"):
        server.submit(lambda x: x, (1,))
    with pytest.raises(TypeError):
        server.submit("square", (1,))
    # lists are accepted where pp wants tuples
    assert server.submit(square, [5], [twice], ["math"])() == 25
    with pytest.raises(TypeError):
        pp.Server("two")
    with pytest.raises(TypeError):
        pp.Server(2, ppservers="host")


@needs_pp
def test_output_is_printed_once(server, capsys):
    job = server.submit(chatty, (5,))
    assert job() == 5
    out = capsys.readouterr().out
    assert out.count("hello from job 5") == 1
    assert "on stderr" in out
    assert job() == 5
    assert capsys.readouterr().out == ""


@needs_pp
def test_result_is_cached(server):
    job = server.submit(returns_list, (3,))
    first = job()
    assert first == [0, 1, 2] and job() is first
    assert job.finished and isinstance(job.id, int) and job.group == "default"
    assert pickle.loads(job(raw_result=True)) == first


@needs_pp
def test_restart_gives_fresh_worker_per_job(fresh):
    srv = fresh(1, restart=True)
    pids = [srv.submit(whoami)() for _ in range(3)]
    assert len(set(pids)) == 3
    srv2 = fresh(1)
    pids = [srv2.submit(whoami)() for _ in range(3)]
    assert len(set(pids)) == 1


@needs_pp
def test_user_module_from_cwd(fresh, tmp_path, monkeypatch):
    (tmp_path / "ppt_usermod.py").write_text("def answer(x):\n    return x + 42\n")
    monkeypatch.chdir(tmp_path)
    srv = fresh(1)
    job = srv.submit(apply_usermod, (1,), (), ("ppt_usermod",))
    assert job() == 43


def apply_usermod(x):
    return ppt_usermod.answer(x)  # noqa: F821


@needs_pp
def test_template(server):
    t = pp.Template(server, sum_primes, (isprime,), ("math",))
    jobs = [t.submit(n) for n in (10, 100)]
    assert [j() for j in jobs] == [17, 1060]


@needs_pp
def test_cancel_queued_job(fresh):
    srv = fresh(1)
    first = srv.submit(sleepy, (0.5, "first"))
    queued = srv.submit(sleepy, (0.1, "queued"))
    assert queued.cancel() is True
    with pytest.raises(pp.CancelledError):
        queued()
    assert first() == "first"
    assert first.cancel() is False


@needs_pp
def test_unreachable_ppservers_leave_jobs_to_local_workers(fresh):
    # Port 1 on loopback refuses connections: the node is retried in the
    # background while the local worker runs everything.
    srv = fresh(1, ppservers=("127.0.0.1:1", "127.0.0.2"), secret="s3cret")
    assert [srv.submit(square, (i,))() for i in range(5)] == [0, 1, 4, 9, 16]
    assert srv.ppservers == [("127.0.0.1", 1), ("127.0.0.2", 60000)]
    assert srv.secret == "s3cret"
    assert srv.get_active_nodes() == {"local": 1}
    assert set(srv.get_stats()) == {"local", "127.0.0.1:1", "127.0.0.2:60000"}


@needs_pp
def test_class_from_module_outside_sys_path(server, tmp_path):
    import importlib.util
    path = tmp_path / "ppt_hidden.py"
    path.write_text(textwrap.dedent("""\
        class Box:
            def __init__(self, v):
                self.v = v

        def unbox(b):
            return Box(b.v + 1)
        """))
    spec = importlib.util.spec_from_file_location("ppt_hidden", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["ppt_hidden"] = mod
    try:
        spec.loader.exec_module(mod)
        result = server.submit(mod.unbox, (mod.Box(1),))()
        assert isinstance(result, mod.Box) and result.v == 2
    finally:
        del sys.modules["ppt_hidden"]


MAIN_SCRIPT = r'''
import math, sys, threading
from dataclasses import dataclass
import pp

class AD:
    def __init__(self, x, dx=0.0):
        self.x, self.dx = float(x), float(dx)
    def __add__(self, o):
        return AD(self.x + o.x, self.dx + o.dx) if isinstance(o, AD) else AD(self.x + o, self.dx)
    __radd__ = __add__
    def __mul__(self, o):
        return AD(self.x * o.x, self.x * o.dx + o.x * self.dx) if isinstance(o, AD) else AD(self.x * o, self.dx * o)
    __rmul__ = __mul__

class PartialSum:
    def __init__(self, n):
        self.n = n
    def t_log(self, x):
        return self.partial_sum(x + (-1))
    def partial_sum(self, x):
        acc, p = 0, x
        for i in range(1, self.n):
            acc = acc + p * (float(i % 2 and 1 or -1) / i)
            p = p * x
        return acc

@dataclass
class Job:
    a: int
    b: int

def run(job):
    return helper(job.a) + job.b

def helper(v):
    return v * 10

class Sum:
    def __init__(self):
        self.value, self.lock = 0, threading.Lock()
    def add(self, v):
        with self.lock:
            self.value += v

def by_name(x):
    return gm.sqrt(x)

gm = math
server = pp.Server(2)
proc = PartialSum(30)
vals = [server.submit(proc.t_log, (AD(1.5, 1.0),))() for _ in range(2)]
assert abs(vals[0].x - math.log(1.5)) < 1e-6, vals[0].x
assert isinstance(vals[0], AD)
assert server.submit(run, (Job(2, 3),))() == 23
s = Sum()
for i in range(10):
    server.submit(helper, (i,), callback=s.add)
server.wait()
assert s.value == 450, s.value
assert server.submit(by_name, (16,), globals=globals())() == 4.0
print("MAIN OK", server.get_ncpus())
'''


@needs_pp
def test_script_with_main_module_classes(tmp_path):
    script = tmp_path / "ppt_main_script.py"
    script.write_text(MAIN_SCRIPT)
    env = dict(os.environ)
    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(pp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkgdir] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "MAIN OK 2" in proc.stdout


@needs_pp
def test_throughput_of_tiny_jobs(server, capsys):
    n = 2000
    server.submit(square, (0,))()
    t0 = time.perf_counter()
    jobs = [server.submit(square, (i,)) for i in range(n)]
    total = sum(j() for j in jobs)
    dt = time.perf_counter() - t0
    assert total == sum(i * i for i in range(n))
    with capsys.disabled():
        print("\n%d tiny jobs: %.1f us per submit+result" % (n, dt / n * 1e6))


def test_ctrl_c_interrupts_a_blocked_job_call(tmp_path):
    """A script blocked in job() or wait() gets KeyboardInterrupt on Ctrl-C."""
    script = tmp_path / "blocked.py"
    script.write_text(textwrap.dedent("""
        import pp, sys, time

        def nap(s):
            time.sleep(s)

        srv = pp.Server(1)
        job = srv.submit(nap, (60,), modules=("time",))
        print("waiting", flush=True)
        try:
            job()
        except KeyboardInterrupt:
            print("interrupted in job()", flush=True)
        try:
            srv.wait()
        except KeyboardInterrupt:
            print("interrupted in wait()", flush=True)
        srv.destroy()
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline() == "waiting\n"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline() == "interrupted in job()\n"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        assert proc.stdout.readline() == "interrupted in wait()\n"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()


def test_pp_python_chooses_the_workers_interpreter(tmp_path):
    """PP_PYTHON overrides sys.executable for the workers."""
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text("#!/bin/sh\nexport PP_WRAPPED=yes\nexec %s \"$@\"\n" % sys.executable)
    wrapper.chmod(0o755)
    script = ("import os, pp\n"
              "def probe():\n"
              "    import os\n"
              "    return os.environ.get('PP_WRAPPED')\n"
              "srv = pp.Server(1)\n"
              "print(srv.submit(probe)())\n"
              "srv.destroy()\n")
    for value, expected in ((str(wrapper), "yes"), ("", "None")):
        env = dict(os.environ, PP_PYTHON=value)
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, timeout=60, cwd=tmp_path)
        assert out.stdout.strip() == expected, out.stderr


# ---------------------------------------------------------------------------
# BaseExceptions raised by jobs: pp.JobExitError, never the exception itself

class AppExit(BaseException):
    pass


def exits(*code):
    sys.exit(*code)


def raises_base(kind):
    if kind == "KeyboardInterrupt":
        raise KeyboardInterrupt("stop it")
    if kind == "GeneratorExit":
        raise GeneratorExit("closing")
    raise AppExit("custom base exception")


def exit_with_unpicklable_code():
    sys.exit(threading.Lock())


class ExitOnStr(Exception):
    def __str__(self):
        sys.exit(5)


def raise_exit_on_str():
    raise ExitOnStr()


class ExitsWhenLoaded:
    def __reduce__(self):
        return (sys.exit, (4,))


def returns_exit_bomb():
    return ExitsWhenLoaded()


@needs_pp
def test_sys_exit_in_a_job_is_job_exit_error(fresh):
    srv = fresh(1)
    pid = srv.submit(whoami)()
    for args, code in (((3,), 3), (("bye",), "bye"), ((), None), ((0,), 0)):
        with pytest.raises(pp.JobExitError) as info:
            srv.submit(exits, args)()
        err = info.value
        assert isinstance(err, pp.JobError) and isinstance(err, pp.PPError)
        assert isinstance(err, Exception)
        assert err.etype == "SystemExit" and err.exit_code == code
        assert isinstance(err.exception, SystemExit) and err.exception.code == code
        assert err.message == ("" if code is None else str(code))
        assert "exits" in err.traceback and "sys.exit" in err.traceback
        assert isinstance(err.__cause__, pp.RemoteTraceback)
        assert str(err).startswith("the job raised SystemExit")
    # the worker survived every one of them
    assert srv.submit(whoami)() == pid


@needs_pp
@pytest.mark.parametrize("kind, etype", [("KeyboardInterrupt", KeyboardInterrupt),
                                         ("GeneratorExit", GeneratorExit),
                                         ("AppExit", AppExit)])
def test_base_exceptions_in_jobs_are_job_exit_errors(server, kind, etype):
    job = server.submit(raises_base, (kind,))
    with pytest.raises(pp.JobExitError) as info:
        job()
    err = info.value
    assert err.etype == etype.__qualname__ and err.exit_code is None
    assert type(err.exception) is etype
    assert "raises_base" in err.traceback
    # the result is kept: calling again raises the same error
    with pytest.raises(pp.JobExitError) as again:
        job()
    assert again.value is err


@needs_pp
def test_unpicklable_exit_is_still_job_exit_error(server):
    # sys.exit() with an exit code that cannot be pickled: the exception
    # does not travel, its type name does
    with pytest.raises(pp.JobExitError) as info:
        server.submit(exit_with_unpicklable_code)()
    err = info.value
    assert err.etype == "SystemExit" and err.exception is None and err.exit_code is None
    assert "lock" in err.message


@needs_pp
def test_exception_whose_str_calls_sys_exit_keeps_the_worker(fresh):
    srv = fresh(1)
    pid = srv.submit(whoami)()
    with pytest.raises(ExitOnStr) as info:
        srv.submit(raise_exit_on_str)()
    assert type(info.value) is ExitOnStr
    assert srv.submit(whoami)() == pid


@needs_pp
def test_result_whose_unpickling_calls_sys_exit(server):
    with pytest.raises(pp.JobExitError) as info:
        server.submit(returns_exit_bomb)()
    assert info.value.exit_code == 4 and info.value.etype == "SystemExit"


SYS_EXIT_SCRIPT = r'''
import sys
import pp

def bye(code):
    sys.exit(code)

srv = pp.Server(1)
try:
    srv.submit(bye, (0,))()
except pp.JobExitError as e:
    print("caught", e.exit_code, flush=True)
srv.submit(bye, (0,))()
print("not reached", flush=True)
'''


def test_script_calling_a_sys_exit_job_fails_loudly(tmp_path):
    """job() on a job that called sys.exit(0) does not end the script
    silently with status 0: the error is raised, and uncaught it ends the
    script with status 1 and a traceback."""
    script = tmp_path / "exits.py"
    script.write_text(SYS_EXIT_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout == "caught 0\n", proc.stderr
    assert proc.returncode == 1
    assert "pp.JobExitError: the job raised SystemExit: 0" in proc.stderr
    assert "in bye" in proc.stderr and "sys.exit(code)" in proc.stderr


# ---------------------------------------------------------------------------
# Callbacks of failed jobs get None, as in pp

@needs_pp
def test_callback_gets_none_for_failed_jobs(fresh, capsys):
    srv = fresh(1)
    got = []
    lock = threading.Lock()

    def collect(tag, result):
        with lock:
            got.append((tag, result))

    srv.submit(divide, (1, 0), callback=collect, callbackargs=("raised",))
    srv.submit(crash, (1,), callback=collect, callbackargs=("crashed",))
    srv.submit(exits, (2,), callback=collect, callbackargs=("exited",))
    srv.submit(square, (4,), callback=collect, callbackargs=("ok",))
    srv.wait()
    assert sorted(got) == [("crashed", None), ("exited", None), ("ok", 16), ("raised", None)]
    err = capsys.readouterr().err
    for text in ("ZeroDivisionError", "WorkerCrashedError", "JobExitError"):
        assert text in err


@needs_pp
def test_callback_not_called_for_cancelled_or_destroyed_jobs(fresh):
    srv = fresh(1)
    got = []
    first = srv.submit(sleepy, (0.5, "first"), callback=got.append)
    queued = srv.submit(sleepy, (0.1, "queued"), callback=got.append)
    assert queued.cancel() is True
    srv.wait()
    assert got == ["first"]
    assert first() == "first"
    late = srv.submit(sleepy, (5, "late"), callback=got.append)
    time.sleep(0.2)
    srv.destroy()
    with pytest.raises(pp.DestroyedError):
        late()
    assert got == ["first"]


# ---------------------------------------------------------------------------
# ppservers entries

PPSERVERS_GOOD = [
    ("node-1", ("node-1", 60000), "node-1:60000"),
    ("node-1:35000", ("node-1", 35000), "node-1:35000"),
    ("node-1.example.com.", ("node-1.example.com.", 60000), "node-1.example.com.:60000"),
    ("under_score:1", ("under_score", 1), "under_score:1"),
    ("192.0.2.7", ("192.0.2.7", 60000), "192.0.2.7:60000"),
    ("192.0.2.7:65535", ("192.0.2.7", 65535), "192.0.2.7:65535"),
    ("[::1]:41000", ("::1", 41000), "[::1]:41000"),
    ("[2001:db8::7]", ("2001:db8::7", 60000), "[2001:db8::7]:60000"),
    ("::1", ("::1", 60000), "[::1]:60000"),
    ("2001:db8::7", ("2001:db8::7", 60000), "[2001:db8::7]:60000"),
    ("::ffff:192.0.2.7", ("::ffff:c000:207", 60000), "[::ffff:c000:207]:60000"),
    ("*", ("*", 60000), "*:60000"),
    ("*:35000", ("*", 35000), "*:35000"),
    # pp's ('',), as in its own examples: this machine
    ("", ("127.0.0.1", 60000), "127.0.0.1:60000"),
    (":41000", ("127.0.0.1", 41000), "127.0.0.1:41000"),
]

PPSERVERS_BAD = [
    "node-1:0", "node-1:65536", "node-1:99999", "node-1:port", "node-1:", "node-1:+80",
    "node-1:-1", "node-1: 80", "node-1:123456", "node-1:\u0663", "[::1]:0", "[::1]:99999",
    "[::1]:", "[::1]x", "[::1", "[]:80", "[node-1]:80", "[192.0.2.7]:80", ":0", ":x",
    "node-1:80:90", "1:2:3:4:5:6:7:8:9", "fe80::1%lo", "[fe80::1%lo]:80", "a b", " node-1",
    "node-1 ", "node-1\n", "-node", "node-.x", "node..x", ".", "x" * 64, "n/x", "user@node",
    "*:0", "*:x",
]


@needs_pp
@pytest.mark.parametrize("entry, parsed, formatted", PPSERVERS_GOOD)
def test_ppservers_entry_forms(entry, parsed, formatted):
    assert pp._parse_ppserver(entry, 60000) == parsed
    assert pp._format_ppserver(*parsed) == formatted


@needs_pp
@pytest.mark.parametrize("entry", PPSERVERS_BAD)
def test_bad_ppservers_entry_is_value_error_naming_it(entry):
    with pytest.raises(ValueError) as info:
        pp.Server(1, ppservers=("127.0.0.1:1", entry))
    assert repr(entry) in str(info.value)


@needs_pp
def test_ppservers_entries_must_be_strings():
    for entry in (60000, ("node-1", 60000), b"node-1", None):
        with pytest.raises(TypeError):
            pp.Server(1, ppservers=(entry,))


@needs_pp
def test_ppservers_ipv6_forms_reach_libpp_glib(fresh):
    port = 1  # closed: the nodes are only retried in the background
    srv = fresh(1, ppservers=("[::1]:%d" % port, "::1", "127.0.0.1:%d" % port), secret="s")
    assert srv.ppservers == [("::1", port), ("::1", 60000), ("127.0.0.1", port)]
    assert set(srv.get_stats()) == {"local", "[::1]:1", "[::1]:60000", "127.0.0.1:1"}
    assert srv.submit(square, (6,))() == 36


@needs_pp
def test_libpp_glib_applies_the_same_ppservers_rule():
    """C and GJS users of PpServer get the rule of the Python package: a
    malformed entry fails g_initable_init() with PP_ERROR_INVALID_ARGUMENT."""
    for entry in PPSERVERS_BAD:
        srv = Pp.Server(ncpus=0, ppservers=[entry])
        with pytest.raises(GLib.Error) as info:
            srv.init(None)
        assert info.value.domain == PP_ERROR_DOMAIN, entry
        assert info.value.code == Pp.Error.INVALID_ARGUMENT, entry
        assert entry in info.value.message
    for entry, _, formatted in PPSERVERS_GOOD:
        if entry.startswith("*"):
            continue  # discovery: test_discovery.py
        srv = Pp.Server(ncpus=0, ppservers=[entry])
        srv.init(None)
        try:
            names = {st.get_name() for st in srv.list_stats() if not st.get_is_local()}
            if entry != "::ffff:192.0.2.7":  # the Python side normalises the address
                assert names == {formatted}, entry
            else:
                assert len(names) == 1, names
        finally:
            srv.destroy()


def _free_ipv6_port():
    import socket
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


@needs_pp
def test_ppd_listening_on_ipv6_loopback(fresh):
    import socket
    ppd = os.environ.get("PPD")
    if not ppd or not os.access(ppd, os.X_OK):
        pytest.skip("ppd is not built (set PPD)")
    try:
        port = _free_ipv6_port()
    except OSError as e:
        pytest.skip("no IPv6 loopback: %s" % e)
    env = dict(os.environ, PP_SECRET="ipv6-test-secret")
    proc = subprocess.Popen([ppd, "-i", "::1", "-p", str(port), "-w", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("::1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        srv = fresh(0, ppservers=("[::1]:%d" % port,), secret="ipv6-test-secret")
        job = srv.submit(square, (9,))
        assert job() == 81
        node = "[::1]:%d" % port
        assert job._job.dup_node() == node
        assert srv.get_active_nodes() == {"local": 0, node: 1}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


# ---------------------------------------------------------------------------
# pp.common: ppft's helper module

@needs_pp
def test_common_has_ppfts_public_names():
    import pp.common as c
    for name in ("b_", "str_", "start_thread", "get_class_hierarchy", "is_not_imported",
                 "portnumber", "randomport", "copyright", "version", "__version__",
                 "long", "file", "six"):
        assert hasattr(c, name), name
    assert c.version == c.__version__ == pp.version
    assert c.copyright == pp.copyright
    assert c.long is int
    import io
    assert c.file is io.IOBase
    assert c.six.PY3 is True


@needs_pp
def test_common_b_and_str():
    from pp.common import b_, str_
    assert b_("abc") == b"abc" and b_("caf\u00e9") == b"caf\xe9"
    assert b_(b"raw") == b"raw" and b_(42) == 42
    with pytest.raises(UnicodeEncodeError):
        b_("\u20ac")
    assert str_(b"abc") == "abc" and str_(bytearray(b"ab")) == "ab"
    assert str_("text") == "text" and str_(None) is None
    assert str_(b"h\xe9") == "[104, 233]{B}"
    for data in (b"h\xe9", bytes(range(256)), b"\xff"):
        assert b_(str_(data)) == data
    for hostile in ("[__import__('os').system('false')]{B}", "[1, 2, 300]{B}",
                    "(1, 2)]{B}", "[1, 'a']{B}", "x]{B}"):
        with pytest.raises(ValueError):
            b_(hostile)


@needs_pp
def test_common_start_thread():
    from pp.common import start_thread
    done = threading.Event()
    seen = []

    def work(a, b=None):
        seen.append((a, b, threading.current_thread().name))
        done.set()

    t = start_thread("pp-common-test", work, (1,), {"b": 2})
    assert t.daemon is True
    t.join(10)
    assert done.is_set() and seen == [(1, 2, "pp-common-test")]
    t = start_thread("pp-common-test-2", work, ("x",), daemon=False)
    assert t.daemon is False
    t.join(10)


@needs_pp
def test_common_class_hierarchy_and_is_not_imported():
    from pp.common import get_class_hierarchy, is_not_imported

    class A:
        pass

    class B(A):
        pass

    class C(A):
        pass

    class D(B, C):
        pass

    assert get_class_hierarchy(object) == []
    assert get_class_hierarchy(A) == [A]
    assert get_class_hierarchy(D) == [A, B, A, C, D]
    assert get_class_hierarchy(Rect) == [Shape, Rect]
    assert is_not_imported(Rect, ["math"]) is True
    assert is_not_imported(Rect, [__name__]) is False
    assert is_not_imported(os.path.join, [os.path.__name__.split(".")[0]]) is False
    import json.decoder
    assert is_not_imported(json.decoder.JSONDecoder, ["json"]) is False
    assert is_not_imported(json.decoder.JSONDecoder, ["js"]) is True


@needs_pp
def test_common_portnumber_and_randomport():
    from pp.common import portnumber, randomport
    pick = portnumber(min=10, max=14)
    first = pick()
    assert 10 <= first <= 14
    rest = [pick() for _ in range(4)]
    assert sorted([first] + rest) == [10, 11, 12, 13, 14]
    assert rest[0] == (first + 1 if first < 14 else 10)
    with pytest.raises(RuntimeError):
        pick()
    for _ in range(50):
        assert 1024 <= randomport() <= 65536
        assert 2000 <= randomport(2000, 2001) <= 2001


# Each function has a namespace of its own (issue 7, item 2)

TWO_MODULES = {
    "ppt_moda": "def helper(x):\n    return 'a%d' % x\n\n"
                "def fa(x):\n    return helper(x)\n\n"
                "def ga(x):\n    return globals()['helper'](x) + '!'\n",
    "ppt_modb": "def helper(x):\n    return 'b%d' % x\n\n"
                "def fb(x):\n    return helper(x)\n\n"
                "def gb(x):\n    return globals()['helper'](x) + '!'\n",
}


@pytest.fixture
def two_modules(tmp_path, monkeypatch):
    """Imports ppt_moda and ppt_modb, which both define helper()."""
    import importlib
    for name, text in TWO_MODULES.items():
        (tmp_path / (name + ".py")).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield tuple(importlib.import_module(name) for name in TWO_MODULES)
    finally:
        for name in TWO_MODULES:
            sys.modules.pop(name, None)


@needs_pp
@pytest.mark.parametrize("first", ["a", "b"])
def test_same_named_helpers_of_two_modules_on_one_worker(fresh, two_modules, first):
    moda, modb = two_modules
    srv = fresh(1)
    calls = {"a": (moda.fa, (moda.helper,)), "b": (modb.fb, (modb.helper,))}
    order = [first, "b" if first == "a" else "a"] * 3
    for i, which in enumerate(order):
        func, deps = calls[which]
        assert srv.submit(func, (i,), deps)() == "%s%d" % (which, i)
    # Pipelined on the one worker, interleaved.
    jobs = [(which, i, srv.submit(calls[which][0], (i,), calls[which][1]))
            for i in range(100) for which in "ab"]
    assert [job() for _, _, job in jobs] == ["%s%d" % (w, i) for w, i, _ in jobs]


@needs_pp
def test_same_named_helpers_through_globals(fresh, two_modules):
    # ga and gb find helper only through globals=: each gets its module's.
    moda, modb = two_modules
    srv = fresh(1)
    for _ in range(2):
        assert srv.submit(moda.ga, (1,), globals=vars(moda))() == "a1!"
        assert srv.submit(modb.gb, (2,), globals=vars(modb))() == "b2!"


HIDDEN_BOX = """\
class Box:
    def __init__(self, v):
        self.v = v

    def step(self):
        return %s

def unbox(b):
    return Box(b.step())
"""


@needs_pp
def test_same_named_classes_of_two_modules_round_trip(fresh, tmp_path):
    # Two modules outside sys.path each define Box: instances travel as
    # __main__.Box both ways, and each resolves to its own module's class.
    import importlib.util
    mods = []
    for name, step in (("ppt_hidden_a", "self.v + 1"), ("ppt_hidden_b", "self.v * 10")):
        path = tmp_path / (name + ".py")
        path.write_text(HIDDEN_BOX % step)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        mods.append(mod)
    srv = fresh(1)
    try:
        for _ in range(2):
            for mod, want in zip(mods, (3, 20)):
                result = srv.submit(mod.unbox, (mod.Box(2),))()
                assert type(result) is mod.Box and result.v == want
    finally:
        for mod in mods:
            del sys.modules[mod.__name__]


# ---------------------------------------------------------------------------
# Workers evict definitions; the library sends them again (item 11)

def big_sources_module(count, size):
    """Source of a module whose functions f0, f1... each hold a string of
    @size characters, so that their definitions are large."""
    return "".join("def f%d(x):\n    return len(%r) + x * 0 + %d\n\n" % (i, "y" * size, i)
                   for i in range(count))


@needs_pp
def test_evicted_definitions_are_sent_again(fresh, tmp_path, monkeypatch):
    # The worker's cache holds about one of these definitions (each counts
    # twice its 100 kB source): every switch of function evicts, and every
    # job still gets its own result, pipelined or not.
    import importlib
    (tmp_path / "ppt_bigdefs.py").write_text(big_sources_module(4, 100000))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PP_WORKER_CACHE_BYTES", "250000")
    mod = importlib.import_module("ppt_bigdefs")
    try:
        srv = fresh(1)
        funcs = [getattr(mod, "f%d" % i) for i in range(4)]
        for rnd in range(2):
            for i, func in enumerate(funcs):
                assert srv.submit(func, (rnd,))() == 100000 + i
        jobs = [(i, srv.submit(funcs[i], (n,))) for n in range(50) for i in (0, 1, 2, 3, 0, 0)]
        assert [job() for _, job in jobs] == [100000 + i for i, _ in jobs]
    finally:
        sys.modules.pop("ppt_bigdefs", None)


# ---------------------------------------------------------------------------
# Workers die with their client (item 9)

SPINNING_CLIENT = r'''
import os, sys, pp

def spin(path):
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(path + ".tmp", path)
    while True:
        pass

srv = pp.Server(1)
srv.submit(spin, (sys.argv[1],), modules=("os",))
srv.wait()
'''


def test_workers_die_with_a_killed_client(tmp_path):
    """A client killed with SIGKILL leaves no worker spinning."""
    script = tmp_path / "spinning_client.py"
    script.write_text(SPINNING_CLIENT)
    pidfile = tmp_path / "worker.pid"
    client = subprocess.Popen([sys.executable, str(script), str(pidfile)], cwd=tmp_path)
    worker = None
    try:
        deadline = time.monotonic() + 30
        while not pidfile.exists():
            assert client.poll() is None, "the client exited with %d" % client.returncode
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        worker = int(pidfile.read_text())
        client.kill()
        client.wait()
        assert process_gone(worker, 5), "worker %d outlived its client" % worker
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        if worker is not None and not process_gone(worker, 0):
            os.kill(worker, signal.SIGKILL)


MAIN_CLASSES_SCRIPT = r'''
import pp

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

class Pair:
    def __init__(self, a, b):
        self.a, self.b = a, b

def swap(p):
    return Point(p.y, p.x)

def pair(p):
    return Pair(p.x, p.y), p

server = pp.Server(1)
jobs = [(i, server.submit(swap, (Point(i, -i),)), server.submit(pair, (Point(i, 2 * i),)))
        for i in range(50)]
for i, s, p in jobs:
    got = s()
    assert type(got) is Point and (got.x, got.y) == (-i, i), vars(got)
    first, second = p()
    assert type(first) is Pair and (first.a, first.b) == (i, 2 * i)
    assert type(second) is Point and (second.x, second.y) == (i, 2 * i)
print("CLASSES OK")
'''


@needs_pp
def test_main_classes_round_trip_between_two_functions(tmp_path):
    """Instances of the script's own classes go to and come back from two
    functions that alternate on one worker, each in its own namespace."""
    script = tmp_path / "ppt_main_classes.py"
    script.write_text(MAIN_CLASSES_SCRIPT)
    env = dict(os.environ)
    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(pp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkgdir] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "CLASSES OK" in proc.stdout


class ExitAndError(SystemExit, Exception):
    """An Exception that is a SystemExit too: raised again, it would end
    the calling script silently."""


def raises_exit_and_error(code):
    raise ExitAndError(code)


class ExitAndErrorWhenLoaded:
    def __reduce__(self):
        return (raises_exit_and_error, (6,))


def returns_exit_and_error_bomb():
    return ExitAndErrorWhenLoaded()


@needs_pp
def test_exception_that_is_also_a_system_exit_is_job_exit_error(server):
    with pytest.raises(pp.JobExitError) as info:
        server.submit(raises_exit_and_error, (0,), depfuncs=(ExitAndError,))()
    err = info.value
    assert err.etype == "ExitAndError" and err.exit_code == 0
    assert type(err.exception) is ExitAndError
    # the same when unpickling the result raises it
    with pytest.raises(pp.JobExitError) as info:
        server.submit(returns_exit_and_error_bomb,
                      depfuncs=(ExitAndErrorWhenLoaded, raises_exit_and_error, ExitAndError))()
    assert info.value.exit_code == 6 and type(info.value.exception) is ExitAndError


def raises_group():
    raise ExceptionGroup("two", [ValueError(1), KeyError(2)])


@needs_pp
@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is Python 3.11's")
def test_exception_group_is_raised_as_itself(server):
    with pytest.raises(ExceptionGroup) as info:
        server.submit(raises_group)()
    assert [type(e) for e in info.value.exceptions] == [ValueError, KeyError]


@needs_pp
def test_secret_with_a_nul_is_refused():
    """libpp-glib takes C strings: "a\\0<more>" would silently be the secret
    "a", and "\\0..." no secret at all (the per-user one)."""
    for secret in ("a\0bcdefghijklmnopqrstuvwxyz", "\0" * 32):
        with pytest.raises(ValueError, match="NUL"):
            pp.Server(0, ppservers=("127.0.0.1:1",), secret=secret)


# ---------------------------------------------------------------------------
# The package's face: pp/__init__.py re-exports modules split by concern


PUBLIC_NAMES = [
    "Server", "Template", "Job", "PPError", "JobError", "JobExitError",
    "RemoteTraceback", "WorkerCrashedError", "CancelledError",
    "DestroyedError", "DestroyedServerError", "NodeInfo", "version",
    "Executor",
]


@needs_pp
def test_public_names_and_their_module_are_pp_s():
    assert pp.__all__ == PUBLIC_NAMES
    star = {}
    exec("from pp import *", star)
    assert sorted(k for k in star if k != "__builtins__") == sorted(PUBLIC_NAMES)
    for name in PUBLIC_NAMES:
        obj = getattr(pp, name)
        if isinstance(obj, type):
            # What pickles and reprs name: pp.JobError, not pp._errors.JobError.
            assert obj.__module__ == "pp", name
            assert getattr(pp, obj.__qualname__) is obj, name
    assert pp.DestroyedServerError is pp.DestroyedError
    assert pp._Statistics.__module__ == "pp"  # get_stats()' values pickle as before
    assert repr(pp.Job) == "<class 'pp.Job'>"


@needs_pp
@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_pp_exceptions_and_snapshots_pickle_under_pp(protocol):
    objects = [
        pp.PPError("p"), pp.JobError("ValueError", "m", "tb"),
        pp.JobExitError("SystemExit", "3", "tb", SystemExit(3)),
        pp.RemoteTraceback("tb"), pp.WorkerCrashedError("w"),
        pp.CancelledError("c"), pp.DestroyedError("d"),
        pp.NodeInfo("local", True, None, 0, "ready", 2, 0, 0, 5, 1, 0.5, False, None),
    ]
    for obj in objects:
        data = pickle.dumps(obj, protocol)
        assert b"pp._" not in data, (obj, data)
        if protocol == 0:
            assert b"cpp\n%s\n" % type(obj).__name__.encode() in data
        back = pickle.loads(data)
        assert type(back) is type(obj)
        assert back == obj if isinstance(obj, tuple) else back.args == obj.args
        assert str(back) == str(obj)
    back = pickle.loads(pickle.dumps(objects[2], protocol))
    assert back.exit_code == 3 and isinstance(back.exception, SystemExit)


def test_every_module_of_the_package_is_installed():
    from conftest import PYDIR
    with open(os.path.join(PYDIR, "meson.build")) as f:
        build = f.read()
    modules = sorted(n for n in os.listdir(os.path.join(PYDIR, "pp")) if n.endswith(".py"))
    assert "__init__.py" in modules and "_server.py" in modules
    for name in modules:
        assert "'pp/%s'" % name in build, "python/meson.build does not install pp/%s" % name
