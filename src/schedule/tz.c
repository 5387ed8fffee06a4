/* SPDX-License-Identifier: Apache-2.0 */
/* tz.c: time zones for schedules, answered by the C library from the system's tz database
 * (/usr/share/zoneinfo), so daylight-saving rules come from the operating system's tzdata
 * package, never from a table of ours.
 *
 * Design note. glibc reads a zone through the TZ variable: selecting one is a setenv + tzset,
 * which rereads the zone file only when the name changes. The server runs on one thread, so
 * the process-wide TZ is safe to switch; the zone last selected is remembered to skip the
 * switch when consecutive calls use the same zone (the common case). */
#include "schedule/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char current[256];

static bool is_utc(const char *name)
{
    return !name || !*name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
}

static void select_zone(const char *name)
{
    if (strcmp(current, name) == 0)
        return;
    snprintf(current, sizeof current, "%s", name);
    /* The leading colon asks for the zone file of that name and nothing else (no POSIX rule
     * string parsing of a name that happens to look like one). */
    char tz[sizeof current + 1];
    snprintf(tz, sizeof tz, ":%s", name);
    setenv("TZ", tz, 1);
    tzset();
}

int sg_tz_check(const char *name)
{
    if (is_utc(name))
        return 0;
    size_t n = strlen(name);
    if (n >= sizeof current || name[0] == '/' || name[0] == '.' || strstr(name, "..") ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
        return SG_EINVAL;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    return access(path, R_OK) == 0 ? 0 : SG_EINVAL;
}

int sg_tz_from_data(const uint8_t *data, size_t len, char **path)
{
    *path = NULL;
    if (len < 44 || memcmp(data, "TZif", 4) != 0)
        return SG_EINVAL;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 1099511628211ull;
    const char *tmp = getenv("TMPDIR");
    char dir[256], file[320];
    snprintf(dir, sizeof dir, "%s/sandglass-tz-%d", tmp && *tmp ? tmp : "/tmp", (int)getuid());
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return SG_EIO;
    snprintf(file, sizeof file, "%s/%016llx-%zu", dir, (unsigned long long)h, len);
    if (access(file, R_OK) != 0) {
        /* Written under a temporary name, then renamed: a reader never sees half a zone. */
        char part[340];
        snprintf(part, sizeof part, "%s.%d", file, (int)getpid());
        int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            return SG_EIO;
        bool ok = write(fd, data, len) == (ssize_t)len;
        ok = close(fd) == 0 && ok;
        if (!ok || rename(part, file) < 0) {
            unlink(part);
            return SG_EIO;
        }
    }
    *path = sg_strdup(file);
    return 0;
}

void sg_tz_local(const char *name, int64_t utc_s, struct tm *out)
{
    time_t t = (time_t)utc_s;
    if (is_utc(name)) {
        gmtime_r(&t, out);
        return;
    }
    select_zone(name);
    localtime_r(&t, out);
}

static bool same_clock(const struct tm *a, const struct tm *b)
{
    return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
           a->tm_hour == b->tm_hour && a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

int sg_tz_instants(const char *name, const struct tm *local, int64_t out[2])
{
    struct tm l = *local;
    int64_t as_utc = (int64_t)timegm(&l);
    if (is_utc(name)) {
        out[0] = as_utc;
        return 1;
    }
    /* The offset in force half a day before and after covers any one transition: each
     * candidate is kept when the zone's clock at that instant reads the wanted fields. */
    struct tm probe;
    sg_tz_local(name, as_utc - 43200, &probe);
    long before = probe.tm_gmtoff;
    sg_tz_local(name, as_utc + 43200, &probe);
    long after = probe.tm_gmtoff;
    long offsets[2] = { before, after };
    int n = 0;
    for (int i = 0; i < 2; i++) {
        if (i == 1 && after == before)
            break;
        int64_t u = as_utc - offsets[i];
        sg_tz_local(name, u, &probe);
        if (!same_clock(&probe, local))
            continue;
        if (n == 1 && out[0] == u)
            continue;
        out[n++] = u;
    }
    if (n == 2 && out[0] > out[1]) {
        int64_t t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    return n;
}
