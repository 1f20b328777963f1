// test-gjs.js
//
// Copyright 2026 The pp-glib developers
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Pp typelib from GJS: JSON jobs, errors, async waits, stats, and the
// nodes' GListModel (with a real ppd when PPD names one).

imports.gi.versions.Pp = '1.0';
const {Gio, GLib, Pp} = imports.gi;
const System = imports.system;

function check(cond, what) {
    if (!cond)
        throw new Error(`assertion failed: ${what}`);
}

const decoder = new TextDecoder();
const server = Pp.Server.new(2);
const add = Pp.Function.new('add', 'def add(a, b):\n    return a + b\n', null);

const jobs = [];
for (let i = 0; i < 50; i++)
    jobs.push(server.submit_json(add, JSON.stringify([i, 0.5]), null));
jobs.forEach((job, i) => {
    job.wait(null);
    check(job.get_state() === Pp.JobState.DONE, 'job done');
    check(JSON.parse(decoder.decode(job.dup_result().toArray())) === i + 0.5, `result ${i}`);
});

const boom = Pp.Function.new('boom', 'def boom():\n    raise KeyError("nope")\n', null);
const failing = server.submit_json(boom, '[]', null);
let raised = null;
try {
    failing.wait(null);
} catch (e) {
    raised = e;
}
check(raised !== null && raised.matches(Pp.error_quark(), Pp.Error.JOB_RAISED), 'JOB_RAISED');
check(failing.dup_exception_type() === 'KeyError', 'exception type');
check(failing.dup_traceback().includes('in boom'), 'traceback');

const loop = new GLib.MainLoop(null, false);
const last = server.submit_json(add, '["a", "b"]', null);
let asyncResult = null;
last.wait_async(null, (job, res) => {
    job.wait_finish(res);
    asyncResult = JSON.parse(decoder.decode(job.dup_result().toArray()));
    loop.quit();
});
loop.run();
check(asyncResult === 'ab', 'async result');

check(server.format_stats().includes('| local'), 'stats table');
check(server.list_stats()[0].get_njobs() === 52, 'njobs');

const model = server.get_nodes();
check(model.get_n_items() === 1, 'one node');
const local = model.get_item(0);
check(local instanceof Pp.Node && local.name === 'local' && local.is_local, 'the local node');
check(local.state === Pp.NodeState.READY && local.ncpus === 2, 'local state');
check(local.jobs_done === 52 && local.jobs_failed === 1, 'local counts');
check(local.dup_workers().deepUnpack().length === 2, 'local workers');
server.destroy();
check(local.state === Pp.NodeState.REMOVED, 'removed with the server');

function freePort() {
    const probe = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.STREAM,
        Gio.SocketProtocol.TCP);
    probe.bind(Gio.InetSocketAddress.new_from_string('127.0.0.1', 0), false);
    const port = probe.get_local_address().get_port();
    probe.close();
    return port;
}

// A ppd added while the server runs: items-changed, notify::state.
function testRemoteNode(ppdPath) {
    const secret = 'gjs-node-secret';
    const port = freePort();
    const dir = GLib.dir_make_tmp('test-gjs-ppd-XXXXXX');
    const launcher = new Gio.SubprocessLauncher({flags: Gio.SubprocessFlags.STDOUT_SILENCE});
    launcher.setenv('PP_SECRET', secret, true);
    const ppd = launcher.spawnv([ppdPath, '-p', `${port}`, '-i', '127.0.0.1', '-w', '1',
        '-P', `${dir}/ppd.pid`, '--no-dbus']);
    const nodeServer = new Pp.Server({ncpus: 0, secret});
    nodeServer.init(null);
    try {
        const nodes = nodeServer.get_nodes();
        const changes = [];
        nodes.connect('items-changed', (m, pos, removed, added) =>
            changes.push(`${pos},${removed},${added}`));
        // Connected once ppd listens (retried until then).
        const node = nodeServer.add_node(`127.0.0.1:${port}`);
        check(changes.join(' ') === '1,0,1' && nodes.get_item(1) === node, 'added');
        check(node.host === '127.0.0.1' && node.port === port && !node.is_local, 'address');

        const nodeLoop = new GLib.MainLoop(null, false);
        const states = [];
        node.connect('notify::state', n => {
            states.push(n.state);
            if (n.state === Pp.NodeState.READY || n.state === Pp.NodeState.REMOVED)
                nodeLoop.quit();
        });
        const timeout = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 30, () => {
            throw new Error(`timed out; states: ${states}`);
        });
        nodeLoop.run();
        check(node.state === Pp.NodeState.READY && node.ncpus === 1, 'ready');
        const job = nodeServer.submit_json(add, '[40, 2]', null);
        job.wait(null);
        check(decoder.decode(job.dup_result().toArray()) === '42', 'ran on the node');
        check(node.jobs_done === 1, 'counted on the node');

        check(nodeServer.remove_node(node), 'remove');
        check(changes.join(' ') === '1,0,1 1,1,0' && nodes.get_n_items() === 1, 'removed');
        nodeLoop.run();
        check(states[states.length - 1] === Pp.NodeState.REMOVED, 'notified removed');
        GLib.source_remove(timeout);
    } finally {
        nodeServer.destroy();
        ppd.send_signal(15);
        ppd.wait(null);
        GLib.unlink(`${dir}/ppd.pid`);
        GLib.rmdir(dir);
    }
}

const ppdPath = GLib.getenv('PPD');
if (ppdPath && GLib.file_test(ppdPath, GLib.FileTest.IS_EXECUTABLE))
    testRemoteNode(ppdPath);
else
    print('gjs: no ppd (set PPD): the remote node is not tested');
print('gjs: 1 passed, 0 failed');
System.exit(0);
