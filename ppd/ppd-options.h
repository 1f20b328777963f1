/* ppd-options.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PPD_DEFAULT_PORT           60000
#define PPD_DEFAULT_SOCKET_TIMEOUT 3600
#define PPD_DEFAULT_JOB_RETENTION  3600   /* seconds */
#define PPD_DEFAULT_MAX_RETAINED   10000  /* finished D-Bus jobs */
#define PPD_MIN_WORKERS            1
#define PPD_MAX_WORKERS            4096   /* as PpServer:ncpus */

/* What the command line (and PP_SECRET) asked for, checked and resolved. */
typedef struct
{
  /* As given */
  int              port;
  char            *interface;
  int              workers;
  char            *secret;
  char            *secret_file;
  int              idle_timeout;
  int              socket_timeout;
  char            *pidfile;
  gboolean         debug;
  gboolean         restart;
  gboolean         auto_discovery;
  char            *broadcast;
  int              pickle_protocol;
  char            *log_format;
  char            *python;
  char            *tls_certificate_file;
  char            *tls_key_file;
  gboolean         system_bus;
  gboolean         no_dbus;
  int              job_retention;
  int              max_retained_jobs;
  gboolean         version;
  char            *config_file;
  int              http_port;         /* -1: no HTTP */
  char            *http_address;
  gboolean         print_http_token;
  gboolean         metrics_public;

  /* From the configuration file, when nothing else gives one */
  char            *config_secret;

  /* Resolved by ppd_options_resolve() */
  const char      *secret_source;    /* "-s", "--secret-file", "PP_SECRET", ... */
  gboolean         secret_is_default; /* the per-user or system secret file */
  char            *default_secret_path;
  char            *listen_address;   /* NULL: every interface */
  GTlsCertificate *tls_certificate;
} PpdOptions;

gboolean ppd_options_parse   (PpdOptions   *self,
                              int          *argc,
                              char       ***argv,
                              GError      **error);
gboolean ppd_options_resolve (PpdOptions   *self,
                              GError      **error);
void     ppd_options_clear   (PpdOptions   *self);
char    *ppd_check_workers   (gint64        workers,
                              gboolean      autodetect_allowed,
                              const char   *what);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PpdOptions, ppd_options_clear)

G_END_DECLS
