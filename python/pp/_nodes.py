# pp/_nodes.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What pp reports about its nodes: :class:`NodeInfo` snapshots
(``Server.nodes``) and pp's per-node ``_Statistics`` (``Server.get_stats``).

Re-exported by :mod:`pp`.
"""

import collections


class _Statistics:
    """Execution statistics of one node (pp's ``_Statistics``)."""

    __slots__ = ("ncpus", "time", "njobs", "rworker")

    def __init__(self, ncpus, time=0.0, njobs=0, rworker=None):
        self.ncpus = ncpus
        self.time = time
        self.njobs = njobs
        self.rworker = rworker

    def __repr__(self):
        return "<pp._Statistics ncpus=%d njobs=%d time=%.4f>" % (
            self.ncpus, self.njobs, self.time)


NodeInfo = collections.namedtuple("NodeInfo", (
    "name", "is_local", "host", "port", "state", "ncpus", "busy", "held",
    "jobs_done", "jobs_failed", "job_time", "tls", "last_error", "discovered"),
    defaults=(False,), module="pp")
NodeInfo.__doc__ = """A snapshot of one node of a :class:`Server` (``Server.nodes``).

``name`` is ``"local"`` or ``"host:port"``; ``state`` is ``"connecting"``,
``"ready"``, ``"lost"`` (reconnecting), ``"refused"`` (another secret or
protocol version) or ``"removed"``; ``ncpus`` the jobs it runs at once (0
while a remote node is not ready); ``busy`` the jobs it runs, ``held`` those
sent ahead, not started; ``jobs_done`` the jobs it answered (pp's job
count), ``jobs_failed`` those that failed there; ``job_time`` their time
sum in seconds; ``last_error`` why the node was last lost or refused
(``None`` while ready); ``discovered`` whether a ``"*"`` entry of
``ppservers`` found it (it leaves when its announcement is withdrawn).
The fields of ``Pp.Node`` in libpp-glib."""


def _node_info(node):
    return NodeInfo(
        node.get_name(), node.get_is_local(), node.get_host(), node.get_port(),
        node.get_state().value_nick, node.get_ncpus(), node.get_busy(),
        node.get_held(), node.get_jobs_done(), node.get_jobs_failed(),
        node.get_job_time(), node.get_tls(), node.dup_last_error(),
        node.get_discovered())


# pp's own: pickles, reprs and the documentation name pp._Statistics, as before
# pp/__init__.py was split.
_Statistics.__module__ = "pp"
