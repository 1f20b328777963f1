// test-gjs.js
//
// Copyright 2026 The pp-glib developers
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The Pp typelib from GJS: JSON jobs, errors, async waits and stats.

imports.gi.versions.Pp = '1.0';
const {GLib, Pp} = imports.gi;
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
server.destroy();
print('gjs: 1 passed, 0 failed');
System.exit(0);
