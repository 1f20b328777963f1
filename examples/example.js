#!/usr/bin/env gjs
// example.js
//
// Copyright 2026 The pp-glib developers
//
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The C example (example.c) in GJS, through the Pp-1.0 typelib: start a
// server with one worker per processor, define a Python function from its
// source, submit jobs whose arguments and results are JSON, wait for them,
// look at a job that raised, and print the execution statistics.
//
//   gjs example.js
//
// From the build tree:
//   GI_TYPELIB_PATH=_build/libpp-glib LD_LIBRARY_PATH=_build/libpp-glib \
//   PP_RUNNER=libpp-glib/pp-runner.py gjs examples/example.js

imports.gi.versions.Pp = '1.0';
const {GLib, Pp} = imports.gi;

const N_JOBS = 8;
const decoder = new TextDecoder();

// Waits for `job` and prints "label = result", or the exception it raised.
function printJob(job, label) {
    try {
        // Blocks until the job is finished; no main loop is needed.
        job.wait(null);
        if (job.get_state() !== Pp.JobState.DONE)
            job.propagate_error();
    } catch (e) {
        // A job that raised (Pp.Error.JOB_RAISED) names the exception type.
        const type = job.dup_exception_type();
        if (!type) {
            printerr(`${label} failed: ${e.message}`);
            return false;
        }
        print(`${label} raised ${type}`);
        const traceback = job.dup_traceback();
        if (traceback)
            print(traceback.replace(/\n$/, ''));
        return true;
    }

    // The result is the JSON encoding of the returned value.
    const text = decoder.decode(job.dup_result().toArray());
    print(`${label} = ${JSON.stringify(JSON.parse(text))}`);
    return true;
}

function main() {
    // One worker per processor, like pp.Server(); throws a GLib.Error on failure.
    const server = Pp.Server.new(-1);
    print(`Starting pp-glib with ${server.get_ncpus()} workers`);

    // The function is plain Python source; no modules are needed.
    const add = Pp.Function.new('add', 'def add(a, b):\n    return a + b\n', null);

    // Submit all the jobs first, so that they run in parallel...
    const jobs = [];
    for (let i = 0; i < N_JOBS; i++)
        jobs.push([`add(${i}, ${10 * i})`, server.submit_json(add, JSON.stringify([i, 10 * i]), null)]);
    jobs.push(['add("pp", "-glib")', server.submit_json(add, JSON.stringify(['pp', '-glib']), null)]);
    // ... including one that raises TypeError in the worker...
    jobs.push(['add(1, "x")', server.submit_json(add, JSON.stringify([1, 'x']), null)]);

    // ... then collect the results in order.
    let ok = true;
    for (const [label, job] of jobs)
        ok = printJob(job, label) && ok;

    print(server.format_stats().replace(/\n$/, ''));

    // Stops the workers; jobs still pending would fail with Pp.Error.DESTROYED.
    server.destroy();
    return ok ? 0 : 1;
}

const status = main();
if (status !== 0)
    imports.system.exit(status);
