/* pp-glib.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define PP_INSIDE

#include "pp-version.h"
#include "pp-version-macros.h"
#include "pp-enums.h"
#include "pp-browser.h"
#include "pp-discovered-node.h"
#include "pp-error.h"
#include "pp-function.h"
#include "pp-job.h"
#include "pp-node.h"
#include "pp-node-stats.h"
#include "pp-node-service.h"
#include "pp-secret.h"
#include "pp-server.h"

#undef PP_INSIDE
