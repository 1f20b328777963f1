/* example.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small tour of libpp-glib from C: start a server with one worker per
 * processor, define a Python function from its source, submit jobs whose
 * arguments and results are JSON, wait for them, look at a job that raised,
 * and print the execution statistics.
 *
 *   cc example.c $(pkg-config --cflags --libs pp-glib-1.0) -o pp-example-c
 *   ./pp-example-c
 *
 * Expected output (timings vary):
 *
 *   Starting pp-glib with 2 workers
 *   add(0, 0) = 0
 *   add(1, 10) = 11
 *   ...
 *   add("pp", "-glib") = "pp-glib"
 *   add(1, "x") raised TypeError
 *   Traceback (most recent call last):
 *   ...
 *   Job execution statistics:
 *    job count | % of all jobs | job time sum | time per job | job server
 *   ...
 */

#include <stdlib.h>

#include <pp-glib.h>

#define N_JOBS 8

static const char add_source[] =
  "def add(a, b):\n"
  "    return a + b\n";

/* Waits for @job and prints "label = result", or the exception it raised. */
static gboolean
print_job (PpJob      *job,
           const char *label)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) result = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *data;

  /* Blocks until the job is finished; no main loop is needed. A job that
   * did not finish with a result carries the error. */
  if (pp_job_wait (job, NULL, &error) &&
      pp_job_get_state (job) != PP_JOB_STATE_DONE)
    pp_job_propagate_error (job, &error);

  if (error != NULL)
    {
      g_autofree char *type = pp_job_dup_exception_type (job);
      g_autofree char *traceback = pp_job_dup_traceback (job);

      if (!g_error_matches (error, PP_ERROR, PP_ERROR_JOB_RAISED))
        {
          g_printerr ("%s failed: %s\n", label, error->message);
          return FALSE;
        }

      g_print ("%s raised %s\n", label, type ? type : "(unknown)");
      if (traceback != NULL)
        g_print ("%s%s", traceback,
                 g_str_has_suffix (traceback, "\n") ? "" : "\n");
      return TRUE;
    }

  /* The result is the JSON encoding of the returned value. */
  result = pp_job_dup_result (job);
  data = result ? g_bytes_get_data (result, &len) : NULL;
  text = g_strndup (data ? data : "null", data ? len : 4);
  g_print ("%s = %s\n", label, text);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PpServer) server = NULL;
  g_autoptr(PpFunction) add = NULL;
  g_autoptr(PpJob) text_job = NULL;
  g_autoptr(PpJob) bad_job = NULL;
  g_autofree char *stats = NULL;
  PpJob *jobs[N_JOBS] = { NULL, };
  gboolean ok = TRUE;

  /* One worker per processor, like pp.Server(). */
  server = pp_server_new (PP_NCPUS_AUTODETECT, &error);
  if (server == NULL)
    {
      g_printerr ("Cannot start the job server: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_print ("Starting pp-glib with %u workers\n", pp_server_get_ncpus (server));

  /* The function is plain Python source; no modules are needed. */
  add = pp_function_new ("add", add_source, NULL);

  /* Submit all the jobs first, so that they run in parallel... */
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *args = g_strdup_printf ("[%u, %u]", i, 10 * i);

      jobs[i] = pp_server_submit_json (server, add, args, NULL, &error);
      if (jobs[i] == NULL)
        {
          g_printerr ("Cannot submit a job: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }
  text_job = pp_server_submit_json (server, add, "[\"pp\", \"-glib\"]",
                                    NULL, &error);
  /* ... including one that raises TypeError in the worker. */
  if (text_job != NULL)
    bad_job = pp_server_submit_json (server, add, "[1, \"x\"]", NULL, &error);
  if (bad_job == NULL)
    {
      g_printerr ("Cannot submit a job: %s\n", error->message);
      return EXIT_FAILURE;
    }

  /* ... then collect the results in order. */
  for (guint i = 0; i < N_JOBS; i++)
    {
      g_autofree char *label = g_strdup_printf ("add(%u, %u)", i, 10 * i);

      ok &= print_job (jobs[i], label);
      g_clear_object (&jobs[i]);
    }
  ok &= print_job (text_job, "add(\"pp\", \"-glib\")");
  ok &= print_job (bad_job, "add(1, \"x\")");

  stats = pp_server_format_stats (server);
  g_print ("%s", stats);

  /* Stops the workers; jobs still pending would fail with PP_ERROR_DESTROYED. */
  pp_server_destroy (server);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
