# tests/python/test_venv.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp where Python programmers work: a plain virtualenv without PyGObject,
pp's own _ppcore module, pip install from the source tree (meson-python,
offline) against a libpp-glib installed into a temporary prefix, a job
importing a package only that virtualenv has, pip uninstall.

The prefix and the wheel are built once for the module; every virtualenv
is made with /usr/bin/python3 -m venv, without the system's site packages
(so without gi), unless a test says otherwise.
"""

import glob
import importlib.util
import os
import shutil
import subprocess
import zipfile

import pytest

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"
SUM_PRIMES = os.path.join(SRCDIR, "examples", "sum_primes.py")
# What a user's shell has: nothing of the build tree, no sanitizer runtime
# (the prefix is built without one).
CLEAN = ("PYTHONPATH", "LD_LIBRARY_PATH", "GI_TYPELIB_PATH", "PP_RUNNER", "PP_PYTHON",
         "PP_PPCORE", "PP_BACKEND", "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
         "PKG_CONFIG_PATH", "PYTHONDONTWRITEBYTECODE")

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None,
    reason="python3-venv is not installed (the venv and ensurepip modules)")


def run(cmd, env=None, cwd=None, timeout=300):
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (
        cmd, proc.returncode, clip(proc.stdout), clip(proc.stderr))
    return proc.stdout


def clip(text, keep=4000):
    """The start (where a crash says what and where) and the end of text."""
    if len(text) <= 2 * keep:
        return text
    return text[:keep] + "\n[... %d characters ...]\n" % (len(text) - 2 * keep) + text[-keep:]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env.update(extra)
    return env


def make_venv(path, system_site=False):
    cmd = [PYTHON, "-m", "venv"]
    if system_site:
        cmd.append("--system-site-packages")
    run(cmd + [str(path)], env=clean_env(), timeout=120)
    python = os.path.join(str(path), "bin", "python")
    if not system_site:
        proc = subprocess.run([python, "-c", "import gi"], env=clean_env(),
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0, "the virtualenv sees PyGObject"
    return python


def site_packages(python):
    return run([python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"],
               env=clean_env()).strip()


def check_sum_primes(out):
    assert "Sum of primes below 100 is 1060" in out.splitlines(), out
    assert "Sum of primes below 2000 is 277050" in out.splitlines(), out


# -- the build tree's pp in a plain virtualenv --------------------------------

def pytest_only_dir(tmp_path):
    """pytest and the packages it needs, and nothing else of the system's
    site packages (no gi): for a virtualenv to run the test suite."""
    shim = tmp_path / "pytest-only"
    shim.mkdir()
    for name in ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "attr",
                 "attrs", "py", "exceptiongroup", "tomli"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = spec.origin
        if os.path.basename(origin) == "__init__.py":
            origin = os.path.dirname(origin)
        os.symlink(origin, shim / os.path.basename(origin))
    return shim


def tree_env(**extra):
    # The suite's environment: the build tree's library, runner and module.
    env = dict(os.environ)
    for name in ("GI_TYPELIB_PATH", "PP_PYTHON", "PP_BACKEND"):
        env.pop(name, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def tree_venv(tmp_path_factory):
    if not os.environ.get("PP_PPCORE"):
        pytest.skip("PP_PPCORE (the build tree's pp/_ppcore module) is not set; "
                    "run through meson test or ./dev.sh env")
    return make_venv(tmp_path_factory.mktemp("tree") / "venv")


def test_plain_venv_runs_sum_primes(tree_venv, tmp_path):
    env = tree_env(PYTHONPATH=os.path.join(SRCDIR, "python"))
    out = run([tree_venv, "-c", "import sys, pp; print(pp._backend.NAME, 'gi' in sys.modules, "
               "sys.prefix)"], env=env)
    backend, gi_loaded, prefix = out.split()
    assert (backend, gi_loaded) == ("ppcore", "False")
    assert prefix == os.path.dirname(os.path.dirname(tree_venv))
    check_sum_primes(run([tree_venv, SUM_PRIMES, "2", "2000"], env=env, cwd=str(tmp_path)))


def test_plain_venv_runs_the_pp_api_tests(tree_venv, tmp_path):
    shim = pytest_only_dir(tmp_path)
    env = tree_env(PYTHONPATH=os.pathsep.join([os.path.join(SRCDIR, "python"), str(shim)]))
    run([tree_venv, "-c", "import pytest\ntry:\n import gi\nexcept ImportError:\n pass\n"
         "else:\n raise SystemExit('gi is importable')"], env=env)
    out = run([tree_venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
               os.path.join(SRCDIR, "tests", "python", "test_pp_api.py")],
              env=env, cwd=str(tmp_path), timeout=400)
    summary = out.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, out[-3000:]
    assert "PyGObject" not in out and "typelib" not in out, out[-3000:]


# -- pip install against an installed prefix ----------------------------------

@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A copy of the source tree: meson-python 0.12 writes into the tree it
    builds (.mesonpy-native-file.ini), and this one may be in use."""
    def ignore(directory, names):
        top = os.path.samefile(directory, SRCDIR)
        return [n for n in names
                if (top and (n.startswith("_build") or n == ".git"))
                or n == "__pycache__" or n.startswith(".mesonpy")]

    copy = tmp_path_factory.mktemp("src") / "pp-glib"
    shutil.copytree(SRCDIR, copy, symlinks=True, ignore=ignore)
    return str(copy)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """pp-glib built (without introspection) and installed into a prefix
    of its own: the library, its runner, its pkg-config file."""
    for tool in ("meson", "ninja", "pkg-config"):
        if shutil.which(tool) is None:
            pytest.skip("%s is not installed" % tool)
    root = tmp_path_factory.mktemp("prefix")
    env = clean_env()
    run(["meson", "setup", str(root / "build"), SRCDIR, "--prefix=%s" % (root / "prefix"),
         "-Dtests=false", "-Dintrospection=disabled", "-Ddocs=disabled"], env=env)
    run(["ninja", "-C", str(root / "build")], env=env, timeout=600)
    run(["meson", "install", "-C", str(root / "build")], env=env)
    pcs = glob.glob(str(root / "prefix" / "**" / "pp-glib-1.0.pc"), recursive=True)
    assert len(pcs) == 1, pcs
    return root / "prefix", os.path.dirname(pcs[0])


@pytest.fixture(scope="module")
def wheel(prefix, source, tmp_path_factory):
    """pp's wheel, built from the source tree by Debian's meson-python,
    offline, against the prefix's library."""
    if importlib.util.find_spec("mesonpy") is None:
        pytest.skip("meson-python (python3-mesonpy) is not installed")
    dist = tmp_path_factory.mktemp("dist")
    run([PYTHON, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-w", str(dist), source], env=clean_env(PKG_CONFIG_PATH=prefix[1]), timeout=600)
    wheels = list(dist.glob("pp-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def only_venv_wheel(tmp_path):
    """A tiny pure-Python package as a wheel (written by hand: the
    virtualenv has no 'wheel' to build one)."""
    path = tmp_path / "onlyvenv-1.0-py3-none-any.whl"
    files = {
        "onlyvenv/__init__.py": "MAGIC = 42\n",
        "onlyvenv-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: onlyvenv\nVersion: 1.0\n",
        "onlyvenv-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test_venv\n"
                                        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join("%s,,\n" % name for name in files) + "onlyvenv-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr("onlyvenv-1.0.dist-info/RECORD", record)
    return path


VENV_JOB = r"""
import os, sys
import pp

def where():
    import onlyvenv
    return onlyvenv.MAGIC, sys.executable, sys.prefix

server = pp.Server(2)
magic, executable, prefix = server.submit(where, modules=("onlyvenv", "sys"))()
server.destroy()
print(magic, executable == sys.executable, prefix == sys.prefix, pp._backend.NAME,
      "gi" in sys.modules, os.path.dirname(pp._ppcore.__file__) == os.path.dirname(pp.__file__))
"""


def test_pip_install_wheel_into_a_fresh_venv(prefix, wheel, tmp_path):
    python = make_venv(tmp_path / "venv")
    env = clean_env()
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "--no-index", str(wheel)], env=env)
    run(pip + ["install", "--no-index", str(only_venv_wheel(tmp_path))], env=env)
    site = site_packages(python)
    so = glob.glob(os.path.join(site, "pp", "_ppcore*.so"))
    assert len(so) == 1, os.listdir(os.path.join(site, "pp"))

    # The library is found through the module's RUNPATH, the runner where
    # the library was installed; the workers run the virtualenv's
    # interpreter, which imports what only the virtualenv has.
    out = run([python, "-c", VENV_JOB], env=env, cwd=str(tmp_path))
    assert out.split() == ["42", "True", "True", "ppcore", "False", "True"], out
    check_sum_primes(run([python, SUM_PRIMES, "2", "2000"], env=env, cwd=str(tmp_path)))

    run(pip + ["uninstall", "-y", "pp"], env=env)
    assert not os.path.exists(os.path.join(site, "pp")), os.listdir(os.path.join(site, "pp"))
    proc = subprocess.run([python, "-c", "import pp"], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "No module named 'pp'" in proc.stderr, proc.stderr


def test_pip_install_from_the_tree_without_build_isolation(prefix, source, tmp_path):
    """pip install --no-build-isolation <tree>, in a virtualenv that sees
    Debian's meson-python (--system-site-packages): pp still uses _ppcore."""
    if importlib.util.find_spec("mesonpy") is None:
        pytest.skip("meson-python (python3-mesonpy) is not installed")
    python = make_venv(tmp_path / "venv", system_site=True)
    env = clean_env(PKG_CONFIG_PATH=prefix[1])
    pip = [python, "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "--no-build-isolation", "--no-index", source], env=env, timeout=600)
    run(pip + ["install", "--no-index", str(only_venv_wheel(tmp_path))], env=env)
    out = run([python, "-c", VENV_JOB], env=clean_env(), cwd=str(tmp_path))
    words = out.split()
    assert words[:4] == ["42", "True", "True", "ppcore"] and words[5] == "True", out
    run(pip + ["uninstall", "-y", "pp"], env=env)
    assert not os.path.exists(os.path.join(site_packages(python), "pp"))


def test_installed_prefix_in_a_plain_venv(prefix, tmp_path):
    """meson install's own copy of pp (the prefix's site directory) in a
    virtualenv without PyGObject: the installed _ppcore module."""
    python = make_venv(tmp_path / "venv")
    sites = glob.glob(str(prefix[0] / "lib" / "python3*" / "*-packages"))
    assert len(sites) == 1, sites
    assert glob.glob(os.path.join(sites[0], "pp", "_ppcore*.so"))
    env = clean_env(PYTHONPATH=sites[0])
    out = run([python, "-c", "import sys, pp; print(pp._backend.NAME, 'gi' in sys.modules, "
               "pp.__file__)"], env=env)
    backend, gi_loaded, path = out.split()
    assert (backend, gi_loaded) == ("ppcore", "False") and path.startswith(sites[0]), out
    check_sum_primes(run([python, SUM_PRIMES, "2", "2000"], env=env, cwd=str(tmp_path)))
