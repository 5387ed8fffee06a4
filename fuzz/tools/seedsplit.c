/* SPDX-License-Identifier: Apache-2.0 */
/* seedsplit.c: turns captured client byte streams (fuzz/tools/capture.mjs) into seed inputs
 * for the three fuzz targets.
 *
 * Usage: seedsplit CAPTURE_DIR CORPUS_DIR. Each CAPTURE_DIR/conn-N.bin is one HTTP/2
 * connection as a client sent it. Frames are parsed, header blocks decoded with nghttp2's HPACK
 * inflater (one per connection, as the dynamic table demands), DATA gathered per stream, and
 * each complete request's message taken out of its gRPC framing (gunzipped when compressed).
 * Written, named by content hash so reruns only add:
 *   CORPUS_DIR/rpc/<Method>-<hash>  service byte, method byte, flags (500 ms deadline), message;
 *                                   at most RPC_PER_METHOD distinct messages per method
 *   CORPUS_DIR/wft/<hash>           state byte, RespondWorkflowTaskCompletedRequest; each of the
 *                                   first WFT_MESSAGES distinct completions in WFT_STATES states
 *   CORPUS_DIR/h2/<hash>            a connection's first H2_RAW_BYTES (whole frames) as RAW
 *                                   operations; and one GRPC operation per method seen */
#include "fuzz_common.h"

#include <dirent.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define RPC_PER_METHOD 3
#define WFT_MESSAGES 8
#define WFT_STATES 3
#define H2_RAW_BYTES 12000
#define H2_GRPC_MAX_BODY 8000
#define MAX_STREAMS 4096

static const char *corpus;
static int n_written;

typedef struct stream {
    sg_buf block;
    sg_buf data;
    char path[256];
    bool has_path;
} stream;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void write_seed(const char *target, const char *prefix, const uint8_t *p, size_t n)
{
    char dir[1024], file[1200];
    snprintf(dir, sizeof dir, "%s/%s", corpus, target);
    mkdir(dir, 0755);
    snprintf(file, sizeof file, "%s/%s%016llx", dir, prefix, (unsigned long long)fnv1a(p, n));
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(file);
        exit(1);
    }
    n_written++;
}

/* ---- per-method bookkeeping ---- */

typedef struct seen {
    char path[256];
    uint64_t hashes[RPC_PER_METHOD];
    int n;
    bool has_h2;
} seen;

static seen seen_methods[256];
static size_t n_seen;
static uint64_t wft_hashes[WFT_MESSAGES];
static int n_wft;

static seen *seen_get(const char *path)
{
    for (size_t i = 0; i < n_seen; i++)
        if (strcmp(seen_methods[i].path, path) == 0)
            return &seen_methods[i];
    if (n_seen == SG_ARRAY_LEN(seen_methods))
        return NULL;
    seen *s = &seen_methods[n_seen++];
    snprintf(s->path, sizeof s->path, "%s", path);
    return s;
}

static void put16(sg_buf *b, size_t v)
{
    uint8_t p[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    sg_buf_append(b, p, 2);
}

static void emit_request(const char *path, const uint8_t *msg, size_t len)
{
    uint8_t svc, method;
    if (!fz_method_bytes(path, &svc, &method))
        return;
    seen *s = seen_get(path);
    if (!s)
        return;
    uint64_t h = fnv1a(msg, len);
    bool is_new = true;
    for (int i = 0; i < s->n; i++)
        is_new = is_new && s->hashes[i] != h;
    const char *name = strrchr(path, '/') + 1;
    if (is_new && s->n < RPC_PER_METHOD) {
        s->hashes[s->n++] = h;
        sg_buf b;
        sg_buf_init(&b);
        uint8_t head[3] = { svc, method, FZ_DEADLINE };
        sg_buf_append(&b, head, 3);
        sg_buf_append(&b, msg, len);
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%s-", name);
        write_seed("rpc", prefix, sg_buf_head(&b), b.len);
        sg_buf_deinit(&b);
    }
    if (!s->has_h2 && len <= H2_GRPC_MAX_BODY) {
        s->has_h2 = true;
        sg_buf b;
        sg_buf_init(&b);
        /* GRPC op: service, method, options (2 s timeout, temporal-namespace), body. */
        uint8_t head[4] = { 3, svc, method, 0x41 };
        sg_buf_append(&b, head, 4);
        put16(&b, len);
        sg_buf_append(&b, msg, len);
        char prefix[128];
        snprintf(prefix, sizeof prefix, "grpc-%s-", name);
        write_seed("h2", prefix, sg_buf_head(&b), b.len);
        sg_buf_deinit(&b);
    }
    if (strcmp(name, "RespondWorkflowTaskCompleted") == 0 && n_wft < WFT_MESSAGES) {
        for (int i = 0; i < n_wft; i++)
            if (wft_hashes[i] == h)
                return;
        wft_hashes[n_wft] = h;
        for (int k = 0; k < WFT_STATES; k++) {
            sg_buf b;
            sg_buf_init(&b);
            uint8_t state = (uint8_t)(n_wft * WFT_STATES + k);
            sg_buf_append(&b, &state, 1);
            sg_buf_append(&b, msg, len);
            write_seed("wft", "", sg_buf_head(&b), b.len);
            sg_buf_deinit(&b);
        }
        n_wft++;
    }
}

/* ---- one connection ---- */

static int gunzip(sg_buf *out, const uint8_t *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return -1;
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)n;
    int rc;
    do {
        z.next_out = sg_buf_reserve(out, 65536);
        z.avail_out = 65536;
        rc = inflate(&z, Z_NO_FLUSH);
        sg_buf_commit(out, 65536 - z.avail_out);
    } while (rc == Z_OK);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static void stream_end(stream *s)
{
    const uint8_t *d = sg_buf_head(&s->data);
    size_t n = s->data.len;
    if (!s->has_path || n < 5)
        return;
    size_t len = (size_t)d[1] << 24 | (size_t)d[2] << 16 | (size_t)d[3] << 8 | d[4];
    if (len > n - 5)
        return;
    if (d[0] & 1) {
        sg_buf plain;
        sg_buf_init(&plain);
        if (gunzip(&plain, d + 5, len) == 0)
            emit_request(s->path, sg_buf_head(&plain), plain.len);
        sg_buf_deinit(&plain);
    } else {
        emit_request(s->path, d + 5, len);
    }
}

static void decode_block(nghttp2_hd_inflater *inf, stream *s)
{
    const uint8_t *in = sg_buf_head(&s->block);
    size_t left = s->block.len;
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(inf, &nv, &flags, in, left, 1);
        if (rv < 0)
            return;
        in += rv;
        left -= (size_t)rv;
        if ((flags & NGHTTP2_HD_INFLATE_EMIT) && nv.namelen == 5 &&
            memcmp(nv.name, ":path", 5) == 0 && nv.valuelen < sizeof s->path) {
            memcpy(s->path, nv.value, nv.valuelen);
            s->path[nv.valuelen] = 0;
            s->has_path = true;
        }
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(inf);
            break;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && left == 0)
            break;
    }
    sg_buf_reset(&s->block);
}

static void split_connection(const uint8_t *p, size_t n)
{
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    size_t pl = sizeof preface - 1;
    if (n < pl || memcmp(p, preface, pl) != 0)
        return;
    p += pl;
    n -= pl;

    /* The connection's start as an h2 seed: RAW operations of whole frames. */
    size_t cut = 0;
    while (cut + 9 <= n) {
        size_t flen = (size_t)p[cut] << 16 | (size_t)p[cut + 1] << 8 | p[cut + 2];
        if (cut + 9 + flen > n || cut + 9 + flen > H2_RAW_BYTES)
            break;
        cut += 9 + flen;
    }
    if (cut) {
        sg_buf b;
        sg_buf_init(&b);
        uint8_t op = 1;
        sg_buf_append(&b, &op, 1);
        put16(&b, cut);
        sg_buf_append(&b, p, cut);
        write_seed("h2", "raw-", sg_buf_head(&b), b.len);
        sg_buf_deinit(&b);
    }

    nghttp2_hd_inflater *inf;
    if (nghttp2_hd_inflate_new(&inf) != 0)
        exit(1);
    stream *streams = sg_calloc(MAX_STREAMS, sizeof *streams);
    for (size_t i = 0; i < MAX_STREAMS; i++) {
        sg_buf_init(&streams[i].block);
        sg_buf_init(&streams[i].data);
    }
    size_t off = 0;
    while (off + 9 <= n) {
        size_t flen = (size_t)p[off] << 16 | (size_t)p[off + 1] << 8 | p[off + 2];
        uint8_t type = p[off + 3], flags = p[off + 4];
        uint32_t id = ((uint32_t)p[off + 5] << 24 | (uint32_t)p[off + 6] << 16 |
                       (uint32_t)p[off + 7] << 8 | p[off + 8]) & 0x7fffffff;
        const uint8_t *pay = p + off + 9;
        off += 9 + flen;
        if (off > n)
            break;
        if (id == 0 || (type != 0 && type != 1 && type != 9))
            continue;
        stream *s = &streams[(id / 2) % MAX_STREAMS];
        size_t pad = 0, skip = 0;
        if ((type == 0 || type == 1) && (flags & 0x8) && flen) {
            pad = pay[0];
            skip = 1;
        }
        if (type == 1 && (flags & 0x20))
            skip += 5;
        if (skip + pad > flen)
            continue;
        const uint8_t *body = pay + skip;
        size_t blen = flen - skip - pad;
        if (type == 1) {
            s->has_path = false;
            sg_buf_reset(&s->data);
        }
        if (type == 0)
            sg_buf_append(&s->data, body, blen);
        else
            sg_buf_append(&s->block, body, blen);
        if (type != 0 && (flags & 0x4))
            decode_block(inf, s);
        if ((type == 0 || type == 1) && (flags & 0x1))
            stream_end(s);
    }
    for (size_t i = 0; i < MAX_STREAMS; i++) {
        sg_buf_deinit(&streams[i].block);
        sg_buf_deinit(&streams[i].data);
    }
    sg_free(streams);
    nghttp2_hd_inflate_del(inf);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: seedsplit CAPTURE_DIR CORPUS_DIR\n");
        return 2;
    }
    corpus = argv[2];
    mkdir(corpus, 0755);
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "conn-", 5) != 0)
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        sg_buf b;
        sg_buf_init(&b);
        size_t got;
        do {
            got = fread(sg_buf_reserve(&b, 65536), 1, 65536, f);
            sg_buf_commit(&b, got);
        } while (got > 0);
        fclose(f);
        if (b.len)
            split_connection(sg_buf_head(&b), b.len);
        sg_buf_deinit(&b);
    }
    closedir(d);
    printf("seedsplit: %d seed(s) written under %s (%zu method(s) seen)\n", n_written, corpus,
           n_seen);
    return 0;
}
