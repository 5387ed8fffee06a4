/* SPDX-License-Identifier: Apache-2.0 */
/* input.c: flag values into protobuf messages (input.h). */
#include "cli/input.h"

#include "core/clock.h"
#include "core/pbjson.h"
#include "core/sg.h"
#include "visibility/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sg_cli_payload_json(Temporal__Api__Common__V1__Payload *p,
                         Temporal__Api__Common__V1__Payload__MetadataEntry *enc,
                         Temporal__Api__Common__V1__Payload__MetadataEntry **md, const char *text)
{
    temporal__api__common__v1__payload__init(p);
    temporal__api__common__v1__payload__metadata_entry__init(enc);
    enc->key = "encoding";
    enc->value = (ProtobufCBinaryData){ 10, (uint8_t *)"json/plain" };
    md[0] = enc;
    p->n_metadata = 1;
    p->metadata = md;
    p->data = (ProtobufCBinaryData){ strlen(text), (uint8_t *)text };
}

const char *sg_cli_inputs(const sg_cli_args *a, const char *name, sg_cli_payloads *pl)
{
    memset(pl, 0, sizeof *pl);
    temporal__api__common__v1__payloads__init(&pl->msg);
    int n;
    const char *const *texts = sg_cli_arg_list(a, name, &n);
    for (int i = 0; i < n; i++) {
        if (!sg_pbjson_valid(texts[i], strlen(texts[i])))
            return texts[i];
        sg_cli_payload_json(&pl->p[i], &pl->enc[i], pl->md[i], texts[i]);
        pl->items[i] = &pl->p[i];
    }
    pl->msg.n_payloads = (size_t)n;
    pl->msg.payloads = pl->items;
    return NULL;
}

const char *sg_cli_key_values(const sg_cli_args *a, const char *name, sg_cli_kv *kv)
{
    kv->n = 0;
    int n;
    const char *const *items = sg_cli_arg_list(a, name, &n);
    for (int k = 0; k < n; k++) {
        const char *item = items[k], *eq = strchr(item, '=');
        if (!eq || eq == item || (size_t)(eq - item) >= sizeof kv->key[0] ||
            !sg_pbjson_valid(eq + 1, strlen(eq + 1)))
            return item;
        memcpy(kv->key[kv->n], item, (size_t)(eq - item));
        kv->key[kv->n][eq - item] = 0;
        sg_cli_payload_json(&kv->p[kv->n], &kv->enc[kv->n], kv->md[kv->n], eq + 1);
        kv->n++;
    }
    return NULL;
}

int sg_cli_enum(const sg_cli_args *a, const char *name, const char *const *names, int *out)
{
    const char *v = sg_cli_arg(a, name);
    *out = 0;
    if (!v)
        return 0;
    for (int i = 1; names[i]; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return 0;
        }
    sg_buf b;
    sg_buf_init(&b);
    for (int i = 1; names[i]; i++)
        sg_buf_printf(&b, "%s%s", i > 1 ? ", " : "", names[i]);
    sg_buf_append(&b, "", 1);
    sg_cli_fail("invalid --%s '%s': expected one of %s", name, v, (const char *)sg_buf_head(&b));
    sg_buf_deinit(&b);
    return 1;
}

Temporal__Api__Common__V1__Memo *sg_cli_kv_memo(sg_cli_kv *kv)
{
    if (!kv->n)
        return NULL;
    temporal__api__common__v1__memo__init(&kv->memo);
    for (size_t i = 0; i < kv->n; i++) {
        temporal__api__common__v1__memo__fields_entry__init(&kv->memo_e[i]);
        kv->memo_e[i].key = kv->key[i];
        kv->memo_e[i].value = &kv->p[i];
        kv->memo_p[i] = &kv->memo_e[i];
    }
    kv->memo.n_fields = kv->n;
    kv->memo.fields = kv->memo_p;
    return &kv->memo;
}

Temporal__Api__Common__V1__SearchAttributes *sg_cli_kv_search_attributes(sg_cli_kv *kv)
{
    if (!kv->n)
        return NULL;
    temporal__api__common__v1__search_attributes__init(&kv->sa);
    for (size_t i = 0; i < kv->n; i++) {
        temporal__api__common__v1__search_attributes__indexed_fields_entry__init(&kv->sa_e[i]);
        kv->sa_e[i].key = kv->key[i];
        kv->sa_e[i].value = &kv->p[i];
        kv->sa_p[i] = &kv->sa_e[i];
    }
    kv->sa.n_indexed_fields = kv->n;
    kv->sa.indexed_fields = kv->sa_p;
    return &kv->sa;
}

/* Protobuf's Duration bound (10,000 years). */
#define MAX_DURATION_S 315576000000.0

int sg_cli_parse_duration(const char *s, int64_t *seconds, int32_t *nanos)
{
    double total;
    if (!sg_parse_go_duration(s, true, &total))
        return -1;
    if (!(total <= MAX_DURATION_S))
        return -1;
    *seconds = (int64_t)total;
    *nanos = (int32_t)llround((total - (double)*seconds) * 1e9);
    if (*nanos >= 1000000000) {
        (*seconds)++;
        *nanos -= 1000000000;
    }
    return 0;
}

int sg_cli_duration(const sg_cli_args *a, const char *name, Google__Protobuf__Duration *d,
                    Google__Protobuf__Duration **out)
{
    const char *v = sg_cli_arg(a, name);
    *out = NULL;
    if (!v)
        return 0;
    google__protobuf__duration__init(d);
    if (sg_cli_parse_duration(v, &d->seconds, &d->nanos) < 0)
        return sg_cli_fail("invalid --%s '%s': expected a duration such as 30s, 5m, 1h30m or 2d",
                           name, v);
    *out = d;
    return 0;
}

int sg_cli_timestamp(const sg_cli_args *a, const char *name, Google__Protobuf__Timestamp *ts,
                     Google__Protobuf__Timestamp **out)
{
    const char *v = sg_cli_arg(a, name);
    *out = NULL;
    if (!v)
        return 0;
    int64_t ms;
    if (!sg_vq_parse_time(v, &ms))
        return sg_cli_fail("invalid --%s '%s': expected an RFC 3339 time such as "
                           "2026-05-01T00:00:00Z", name, v);
    google__protobuf__timestamp__init(ts);
    ts->seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    ts->nanos = (int32_t)((ms - ts->seconds * 1000) * 1000000);
    *out = ts;
    return 0;
}
