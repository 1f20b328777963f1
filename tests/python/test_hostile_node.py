# test_hostile_node.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pp client against a fake node that completes the handshake, then
answers jobs with results whose numbers do not fit (docs/protocol.md,
"Numbers"): the job fails with an error that names the member, the client
does not crash (8.88889e+19 is the fuzzer's find, once cast to gint64), and
the next, well-formed result is taken."""

import hashlib
import hmac
import json
import os
import pickle
import socket
import struct
import threading

import pytest

pp = pytest.importorskip("pp")

SECRET = "hostile-node-secret"


def _hmac(label, first, second):
    data = label.encode() + b"\0" + first.encode() + b"\0" + second.encode() + b"\0"
    return hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()


class FakeNode:
    """Speaks the protocol on loopback; each job is answered with the next
    header of @answers (ID and FMT become the job's id and format)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _recv(self, conn):
        hl, bl = struct.unpack(">II", self._read(conn, 8))
        header = json.loads(self._read(conn, hl))
        self._read(conn, bl)
        return header

    def _send(self, conn, header, body=b""):
        if isinstance(header, dict):
            header = json.dumps(header).encode()
        conn.sendall(struct.pack(">II", len(header), len(body)) + header + body)

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            try:
                self._talk(conn)
            except (EOFError, OSError):
                pass

    def _talk(self, conn):
        hello = self._recv(conn)
        nonce = os.urandom(32).hex()
        self._send(conn, {"t": "challenge", "proto": 1, "nonce": nonce,
                          "proof": _hmac("pp-glib node", hello["nonce"], nonce)})
        self._recv(conn)
        self._send(conn, {"t": "welcome", "ncpus": 1, "node": "fake", "version": "0.1.0",
                          "timeout": 60})
        while True:
            frame = self._recv(conn)
            if frame["t"] == "ping":
                self._send(conn, {"t": "pong", "n": frame.get("n")})
            elif frame["t"] == "job":
                answer = self.answers.pop(0).replace("ID", str(frame["id"]))
                answer = answer.replace("FMT", frame["fmt"])
                body = pickle.dumps(1) if frame["fmt"] == "pickle" else b"1"
                self._send(conn, ('{"t":"res",%s}' % answer).encode(), body)

    def close(self):
        self.listener.close()
        self.thread.join(10)


def one(x):
    return x


GOOD = '"id":ID,"ok":true,"fmt":"FMT","time":0.5'


@pytest.mark.parametrize("answer, message", [
    ('"id":ID,"ok":true,"fmt":"FMT","time":8.88889e+19', "member “time”: 8.88889e+19 is out of range"),
    ('"id":ID,"ok":true,"fmt":"FMT","time":1e400', "member “time”: inf is not a finite number"),
    ('"id":ID,"ok":true,"fmt":"FMT","time":0,"olen":-1e19', "member “olen”: -1e+19 is out of range"),
    ('"id":ID,"ok":true,"fmt":"FMT","time":0,"olen":1.5', "member “olen”: 1.5 is not an integer"),
    ('"id":ID,"ok":"1","fmt":"FMT","time":0', "member “ok” is a string, not true or false"),
])
def test_malformed_result_fails_its_job(answer, message):
    node = FakeNode([answer, GOOD])
    srv = pp.Server(0, ppservers=(node.address,), secret=SECRET)
    try:
        bad = srv.submit(one, (1,))
        with pytest.raises(pp.PPError) as raised:
            bad()
        assert message in str(raised.value)
        assert "Node %s sent a malformed result" % node.address in str(raised.value)
        assert srv.submit(one, (2,))() == 1  # the fake node always answers 1
    finally:
        srv.destroy()
        node.close()
