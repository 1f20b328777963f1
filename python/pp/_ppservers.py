# pp/_ppservers.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Node addresses: the ``ppservers`` entries and ``add_node()``'s argument.

The forms libpp-glib accepts, checked here so that a malformed entry
raises ``ValueError`` naming it.
"""

import ipaddress
import re


_PORT_RE = re.compile(r"[0-9]{1,5}\Z")
_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")


def _ppserver_port(entry, port):
    if not _PORT_RE.match(port) or not 1 <= int(port) <= 65535:
        raise ValueError("ppservers entry %r: the port must be a number from "
                         "1 to 65535, not %r" % (entry, port))
    return int(port)


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


def _ipv6_host(entry, host):
    # No zone indices ("fe80::1%eth0"): libpp-glib does not take them either.
    if "%" in host or not _is_ipv6(host):
        raise ValueError("ppservers entry %r: %r is not an IPv6 address"
                         % (entry, host))
    return str(ipaddress.IPv6Address(host))


def _parse_ppserver(entry, default_port):
    """(host, port) of a ``ppservers`` entry, or ValueError naming it.

    The forms are those libpp-glib accepts (PpServer:ppservers):
    ``"host"``, ``"host:port"``, ``"192.0.2.7[:port]"``, ``"[2001:db8::7]"``,
    ``"[2001:db8::7]:port"``, a bare IPv6 address (default port), pp's
    ``"*"`` / ``"*:port"``, and pp's ``""`` / ``":port"`` for this machine
    (127.0.0.1).  Ports go from 1 to 65535; host names are ASCII
    (punycode for international names)."""
    if not isinstance(entry, str):
        raise TypeError("ppservers entries must be strings, not %r" % (entry,))
    if entry.startswith("["):
        host, sep, rest = entry[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("ppservers entry %r: expected \"[IPv6 address]\" or "
                             "\"[IPv6 address]:port\"" % (entry,))
        host = _ipv6_host(entry, host)
        return host, _ppserver_port(entry, rest[1:]) if rest else default_port
    if entry.count(":") > 1:
        if "[" in entry or "]" in entry or "%" in entry or \
                not _is_ipv6(entry):
            raise ValueError("ppservers entry %r is neither \"host:port\" nor an "
                             "IPv6 address (with a port: \"[IPv6 address]:port\")"
                             % (entry,))
        return str(ipaddress.IPv6Address(entry)), default_port
    host, sep, port = entry.partition(":")
    port = _ppserver_port(entry, port) if sep else default_port
    if host == "*":
        return host, port
    if host == "":              # pp's ('',): this machine
        return "127.0.0.1", port
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253 or \
            not all(_HOST_LABEL_RE.match(label) for label in name.split(".")):
        raise ValueError("ppservers entry %r: %r is not a host name or an IPv4 "
                         "address (IPv6 addresses go in brackets: \"[::1]:60000\")"
                         % (entry, host))
    return host, port


def _format_ppserver(host, port):
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)

