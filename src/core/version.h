/* SPDX-License-Identifier: Apache-2.0 */
/* version.h: the Sandglass release, reported by --version, GetSystemInfo and GetClusterInfo. */
#ifndef SG_VERSION_H
#define SG_VERSION_H

#define SG_VERSION "0.1.0"

#endif
