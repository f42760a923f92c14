/* server.c - the etcd v3 JSON gateway over kc_httpd: one dispatch table from paths to handlers, reads answered on
 * the event loop, puts, deletes and txns handed from the loop to kvs's committer without a thread in between (the
 * request is suspended until the write is durable; concurrent writers meet in kvs's group commit), compaction
 * and lease writes on the worker pool, watch and keepalive streams fed from kvs watcher eventfds, and the flags
 * of etcd. */
#include "etcdapi.h"
#include "codec.h"
#include "gojson.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_httpd.h"
#include "kc_log.h"
#include "kc_metrics.h"
#include "kc_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EA_ETCD_VERSION    "3.4.23" /* the etcd release whose API and behaviour k8c kvstore matches */
#define EA_CLUSTER_VERSION "3.4.0"
#define EA_GRPC_MAX_RECV   (2 * 1024 * 1024) /* etcd: max request bytes + 512 KiB of gRPC overhead */
#define EA_MAX_LISTENERS   8
#define EA_STREAM_BUFFER   (64 * 1024 * 1024) /* bytes a watch stream may have unsent before it is cut off */

struct listener {
    kc_httpd *httpd;
    char url[256];
};

struct ea_server {
    struct ea_config cfg;
    struct kvs *kvs;
    struct ea_ids ids;
    struct listener listeners[EA_MAX_LISTENERS];
    int nlisteners;
    char **advertise;
    int nadvertise;
    char **peer; /* --initial-advertise-peer-urls: reported by member list (no peer traffic before Raft) */
    int npeer;
    kc_metrics *metrics;
    kc_metric *m_requests, *m_latency, *m_watchers, *m_db_size, *m_revision, *m_leader, *m_compact;
    pthread_t compactor;
    bool compactor_running;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
};

/* --- replies --- */

static void
reply_json(kc_httpd_req *req, int status, json_t *v)
{
    kc_httpd_reply_json(req, status, v, false);
    json_decref(v);
}

static void
reply_error(kc_httpd_req *req, const char *msg, int grpc_code)
{
    reply_json(req, ea_http_status(grpc_code), ea_error(msg, grpc_code));
}

static void
reply_kvs_error(kc_httpd_req *req, int err)
{
    int code;
    const char *msg = kvs_error_message(err, &code);
    reply_error(req, msg, code);
}

/* A range, put, deleterange or txn response, written straight into a buffer (codec.c: the same bytes as the
 * jansson tree gave). */
static void
reply_resp(kc_httpd_req *req, const struct ea_ids *ids, const struct kvs_resp *resp)
{
    struct ea_buf b = { 0 };
    if (ea_write_resp(&b, ids, resp) != 0) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        kc_httpd_reply(req, 500, "application/json", oom, sizeof(oom) - 1);
    } else {
        kc_httpd_reply(req, 200, "application/json", b.p, b.len);
    }
    ea_buf_free(&b);
}

static void
reply_text(kc_httpd_req *req, int status, const char *text)
{
    kc_httpd_reply(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* --- request parsing --- */

/* A parsed request body and what its decoding allocated. */
struct body {
    struct gj_value *root; /* NULL for an empty body */
    struct ea_arena arena;
    char err[GJ_ERR_LEN];
};

static void
body_free(struct body *b)
{
    gj_free(b->root);
    ea_arena_free(&b->arena);
}

/* Parses the request body as the gateway does: Go's decoder on the first value; whitespace only is an empty
 * request; a body over gRPC's receive limit fails as etcd's does. Replies and returns -1 on error. */
static int
parse_body(kc_httpd_req *req, struct body *b)
{
    size_t len;
    const char *data = kc_httpd_req_body(req, &len);
    memset(b, 0, sizeof(*b));
    int rc = data ? gj_parse(data, len, &b->root, b->err) : 1;
    if (rc < 0) {
        reply_error(req, b->err, 3);
        return -1;
    }
    if (rc == 0) {
        bool present;
        if (b->root->type == GJ_NULL) {
            gj_free(b->root);
            b->root = NULL;
        } else if (gj_message(b->root, &present, b->err) != 0) {
            reply_error(req, b->err, 3);
            body_free(b);
            return -1;
        }
    }
    return 0;
}

/* etcd's gRPC server refuses a request whose protobuf encoding is over its receive limit (429, code 8). Returns
 * true (after replying) when pb_size is over it. */
static bool
too_large(kc_httpd_req *req, size_t pb_size)
{
    if (pb_size <= EA_GRPC_MAX_RECV)
        return false;
    char msg[160];
    snprintf(msg, sizeof(msg), "grpc: received message larger than max (%zu vs. %d)", pb_size, EA_GRPC_MAX_RECV);
    reply_error(req, msg, 8);
    return true;
}

/* --- writes: put, deleterange and txn go to the store asynchronously from the loop (the request is suspended
 * until the committer has made the write durable); compaction and leases, rarer and with waits of their own,
 * run on the worker pool --- */

enum write_kind { W_PUT, W_DELETE, W_TXN, W_COMPACT, W_GRANT, W_REVOKE };

struct write_job {
    struct ea_server *srv;
    enum write_kind kind;
    struct body body;
    union {
        struct kvs_put_req put;
        struct kvs_delete_req del;
        struct kvs_txn_req txn;
        struct {
            int64_t revision;
            bool physical;
        } compact;
        struct {
            int64_t id, ttl;
        } lease;
    };
    int rc;
    struct kvs_resp *resp;
    struct kvs_lease_grant_resp grant;
    int64_t revision;
    int64_t started_ns;
    kc_httpd_suspended *susp; /* async writes */
};

static void
write_work(void *arg)
{
    struct write_job *j = arg;
    struct kvs *s = j->srv->kvs;
    switch (j->kind) {
    case W_PUT:
    case W_DELETE:
    case W_TXN:
        break; /* asynchronous, never deferred (start_write) */
    case W_COMPACT:
        j->rc = kvs_compact(s, j->compact.revision, j->compact.physical, &j->revision);
        break;
    case W_GRANT:
        j->rc = kvs_lease_grant(s, j->lease.id, j->lease.ttl, &j->grant);
        break;
    case W_REVOKE:
        j->rc = kvs_lease_revoke(s, j->lease.id, &j->revision);
        break;
    }
}

static const char *const write_names[] = { "put", "deleterange", "txn", "compaction", "lease_grant", "lease_revoke" };

static void
count(struct ea_server *srv, const char *method, int status, int64_t started_ns)
{
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    kc_metric_add(srv->m_requests, (const char *[]){ method, code }, 1);
    kc_metric_observe(srv->m_latency, (const char *[]){ method }, (double)(kc_time_mono_ns() - started_ns) / 1e9);
}

static void
write_done(kc_httpd_req *req, void *arg)
{
    struct write_job *j = arg;
    struct ea_server *srv = j->srv;
    if (req) {
        int status = 200;
        if (j->rc != 0) {
            int code;
            kvs_error_message(j->rc, &code);
            status = ea_http_status(code);
            reply_kvs_error(req, j->rc);
        } else if (j->kind == W_PUT || j->kind == W_DELETE || j->kind == W_TXN) {
            reply_resp(req, &srv->ids, j->resp);
        } else {
            json_t *o;
            switch (j->kind) {
            case W_GRANT:
                o = json_object();
                json_object_set_new(o, "header", ea_header(&srv->ids, j->grant.revision));
                json_object_set_new(o, "ID", ea_int64(j->grant.id));
                json_object_set_new(o, "TTL", ea_int64(j->grant.ttl));
                break;
            default:
                o = json_object();
                json_object_set_new(o, "header", ea_header(&srv->ids, j->revision));
                break;
            }
            reply_json(req, 200, o);
        }
        count(srv, write_names[j->kind], status, j->started_ns);
    }
    kvs_resp_free(j->resp);
    body_free(&j->body);
    free(j);
}

/* The store's completion of an async write (on its committer thread): back to the request's loop. */
static void
write_complete(void *arg, int err, struct kvs_resp *resp)
{
    struct write_job *j = arg;
    j->rc = err;
    j->resp = resp;
    kc_httpd_resume(j->susp);
}

static int
start_write(kc_httpd_req *req, struct ea_server *srv, enum write_kind kind)
{
    struct write_job *j = calloc(1, sizeof(*j));
    if (!j) {
        reply_error(req, "out of memory", 13);
        return 0;
    }
    j->srv = srv;
    j->kind = kind;
    j->started_ns = kc_time_mono_ns();
    if (parse_body(req, &j->body) != 0) {
        free(j);
        return 0;
    }
    const struct gj_value *o = j->body.root;
    int rc = 0;
    switch (kind) {
    case W_PUT:
        rc = ea_decode_put(o, &j->put, &j->body.arena, j->body.err);
        break;
    case W_DELETE:
        rc = ea_decode_delete(o, &j->del, &j->body.arena, j->body.err);
        break;
    case W_TXN:
        rc = ea_decode_txn(o, &j->txn, &j->body.arena, j->body.err);
        break;
    case W_COMPACT:
        rc = ea_field_int64(o, "revision", NULL, &j->compact.revision, j->body.err) ||
             ea_field_bool(o, "physical", NULL, &j->compact.physical, j->body.err);
        break;
    case W_GRANT:
        rc = ea_field_int64(o, "TTL", NULL, &j->lease.ttl, j->body.err) ||
             ea_field_int64(o, "ID", NULL, &j->lease.id, j->body.err);
        break;
    case W_REVOKE:
        rc = ea_field_int64(o, "ID", NULL, &j->lease.id, j->body.err);
        break;
    }
    if (rc != 0) {
        reply_error(req, j->body.err, 3);
        count(srv, write_names[kind], 400, j->started_ns);
        body_free(&j->body);
        free(j);
        return 0;
    }
    size_t pb = kind == W_PUT      ? ea_pb_put(&j->put)
                : kind == W_DELETE ? ea_pb_delete(&j->del)
                : kind == W_TXN    ? ea_pb_txn(&j->txn)
                                   : 0;
    if (too_large(req, pb)) {
        count(srv, write_names[kind], 429, j->started_ns);
        body_free(&j->body);
        free(j);
        return 0;
    }
    if (kind == W_PUT || kind == W_DELETE || kind == W_TXN) {
        j->susp = kc_httpd_suspend(req, write_done, j);
        if (!j->susp) {
            reply_error(req, "out of memory", 13);
            body_free(&j->body);
            free(j);
            return 0;
        }
        int src = kind == W_PUT      ? kvs_put_async(srv->kvs, &j->put, write_complete, j)
                  : kind == W_DELETE ? kvs_delete_range_async(srv->kvs, &j->del, write_complete, j)
                                     : kvs_txn_async(srv->kvs, &j->txn, write_complete, j);
        if (src != 0) { /* refused at once: write_complete will not run */
            j->rc = src;
            kc_httpd_resume(j->susp);
        }
        return 0;
    }
    if (kc_httpd_defer(req, write_work, write_done, j) != 0) {
        reply_error(req, "out of memory", 13);
        body_free(&j->body);
        free(j);
    }
    return 0;
}

/* --- reads (on the loop: LMDB readers do not block) --- */

static void
h_range(kc_httpd_req *req, struct ea_server *srv)
{
    int64_t t0 = kc_time_mono_ns();
    struct body b;
    struct kvs_range_req r;
    struct kvs_resp *resp = NULL;
    if (parse_body(req, &b) != 0)
        return;
    int status = 200;
    if (ea_decode_range(b.root, &r, &b.arena, b.err) != 0) {
        reply_error(req, b.err, 3);
        status = 400;
    } else if (too_large(req, ea_pb_range(&r))) {
        status = 429;
    } else {
        int rc = kvs_range(srv->kvs, &r, &resp);
        if (rc != 0) {
            int code;
            kvs_error_message(rc, &code);
            status = ea_http_status(code);
            reply_kvs_error(req, rc);
        } else {
            reply_resp(req, &srv->ids, resp);
        }
    }
    count(srv, "range", status, t0);
    kvs_resp_free(resp);
    body_free(&b);
}

static void
h_timetolive(kc_httpd_req *req, struct ea_server *srv)
{
    struct body b;
    int64_t id;
    bool keys;
    struct kvs_lease_ttl_resp *r = NULL;
    if (parse_body(req, &b) != 0)
        return;
    if (ea_field_int64(b.root, "ID", NULL, &id, b.err) || ea_field_bool(b.root, "keys", NULL, &keys, b.err)) {
        reply_error(req, b.err, 3);
    } else {
        int rc = kvs_lease_timetolive(srv->kvs, id, keys, &r);
        if (rc != 0) {
            reply_kvs_error(req, rc);
        } else {
            json_t *o = json_object();
            json_object_set_new(o, "header", ea_header(&srv->ids, r->revision));
            if (r->id)
                json_object_set_new(o, "ID", ea_int64(r->id));
            if (r->ttl)
                json_object_set_new(o, "TTL", ea_int64(r->ttl));
            if (r->granted_ttl)
                json_object_set_new(o, "grantedTTL", ea_int64(r->granted_ttl));
            if (r->n_keys) {
                json_t *arr = json_array();
                for (size_t i = 0; i < r->n_keys; i++)
                    json_array_append_new(arr, ea_b64(r->keys[i].data, r->keys[i].len));
                json_object_set_new(o, "keys", arr);
            }
            reply_json(req, 200, o);
        }
    }
    kvs_lease_ttl_free(r);
    body_free(&b);
}

static void
h_leases(kc_httpd_req *req, struct ea_server *srv)
{
    struct body b;
    if (parse_body(req, &b) != 0)
        return;
    int64_t *ids = NULL, rev = 0;
    size_t n = 0;
    int rc = kvs_lease_list(srv->kvs, &ids, &n, &rev);
    if (rc != 0) {
        reply_kvs_error(req, rc);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "header", ea_header(&srv->ids, rev));
        if (n) {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_pack("{s:o}", "ID", ea_int64(ids[i])));
            json_object_set_new(o, "leases", arr);
        }
        reply_json(req, 200, o);
    }
    free(ids);
    body_free(&b);
}

static void
h_status(kc_httpd_req *req, struct ea_server *srv)
{
    struct body b;
    if (parse_body(req, &b) != 0)
        return;
    struct kvs_stats st;
    int rc = kvs_stat(srv->kvs, &st);
    if (rc != 0) {
        reply_kvs_error(req, rc);
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "header", ea_header(&srv->ids, st.revision));
        json_object_set_new(o, "version", json_string(EA_ETCD_VERSION));
        json_object_set_new(o, "dbSize", ea_int64(st.db_size));
        json_object_set_new(o, "leader", ea_uint64(srv->ids.member_id));
        /* A Raft leader starts its term with an entry of its own: index applied + 1 (never 0, as etcd). */
        json_object_set_new(o, "raftIndex", ea_uint64(st.applied_index + 1));
        json_object_set_new(o, "raftTerm", ea_uint64(srv->ids.raft_term));
        json_object_set_new(o, "raftAppliedIndex", ea_uint64(st.applied_index + 1));
        if (st.nospace_alarm)
            json_object_set_new(o, "errors",
                                json_pack("[s]", "memberID:"
                                                 "0 alarm:NOSPACE"));
        json_object_set_new(o, "dbSizeInUse", ea_int64(st.db_size_in_use));
        reply_json(req, 200, o);
    }
    body_free(&b);
}

static void
h_member_list(kc_httpd_req *req, struct ea_server *srv)
{
    struct body b;
    if (parse_body(req, &b) != 0)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "header", ea_header(&srv->ids, 0));
    json_t *m = json_object();
    json_object_set_new(m, "ID", ea_uint64(srv->ids.member_id));
    json_object_set_new(m, "name", json_string(srv->cfg.name));
    json_t *peers = json_array();
    for (int i = 0; i < srv->npeer; i++)
        json_array_append_new(peers, json_string(srv->peer[i]));
    json_object_set_new(m, "peerURLs", peers);
    json_t *urls = json_array();
    for (int i = 0; i < srv->nadvertise; i++)
        json_array_append_new(urls, json_string(srv->advertise[i]));
    json_object_set_new(m, "clientURLs", urls);
    json_object_set_new(o, "members", json_pack("[o]", m));
    reply_json(req, 200, o);
    body_free(&b);
}

static void
h_alarm(kc_httpd_req *req, struct ea_server *srv)
{
    struct body b;
    if (parse_body(req, &b) != 0)
        return;
    int action = 0, alarm = 0;
    static const char *const actions[] = { "GET", "ACTIVATE", "DEACTIVATE" };
    static const char *const alarms[] = { "NONE", "NOSPACE", "CORRUPT" };
    if (gj_enum(gj_field(b.root, "action", NULL), actions, 3, "etcdserverpb.AlarmRequest_AlarmAction", &action,
                b.err) ||
        gj_enum(gj_field(b.root, "alarm", NULL), alarms, 3, "etcdserverpb.AlarmType", &alarm, b.err)) {
        reply_error(req, b.err, 3);
        body_free(&b);
        return;
    }
    if (action == 2 && (alarm == 1 || alarm == 0))
        kvs_alarm_disarm(srv->kvs);
    json_t *o = json_object();
    json_object_set_new(o, "header", ea_header(&srv->ids, kvs_revision(srv->kvs)));
    if (kvs_alarm_active(srv->kvs) && action != 2)
        json_object_set_new(o, "alarms",
                            json_pack("[{s:o,s:s}]", "memberID", ea_uint64(srv->ids.member_id), "alarm", "NOSPACE"));
    reply_json(req, 200, o);
    body_free(&b);
}

static void
h_health(kc_httpd_req *req, struct ea_server *srv)
{
    bool ok = !kvs_alarm_active(srv->kvs);
    const char *body = ok ? "{\"health\":\"true\"}" : "{\"health\":\"false\"}";
    kc_httpd_reply(req, ok ? 200 : 503, "text/plain; charset=utf-8", body, strlen(body));
}

static void
h_version(kc_httpd_req *req, struct ea_server *srv)
{
    (void)srv;
    reply_json(req, 200, json_pack("{s:s,s:s}", "etcdserver", EA_ETCD_VERSION, "etcdcluster", EA_CLUSTER_VERSION));
}

static void
h_metrics(kc_httpd_req *req, struct ea_server *srv)
{
    struct kvs_stats st;
    if (kvs_stat(srv->kvs, &st) == 0) {
        kc_metric_set(srv->m_db_size, NULL, (double)st.db_size);
        kc_metric_set(srv->m_revision, NULL, (double)st.revision);
        kc_metric_set(srv->m_watchers, NULL, (double)st.watchers);
        kc_metric_set(srv->m_compact, NULL, (double)(st.compact_revision > 0 ? st.compact_revision : 0));
    }
    char *text = kc_metrics_render(srv->metrics);
    if (!text) {
        reply_text(req, 500, "out of memory\n");
        return;
    }
    kc_httpd_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
}

/* --- watch streams --- */

#define EA_MAX_WATCHERS_PER_STREAM 256

struct watch_stream;

struct watcher {
    struct watch_stream *ws;
    struct kvs_watch *w;
    kc_httpd_fd_watch *fdw;
    int64_t id; /* the per-stream watch_id etcd assigns: 0, 1, ... */
    bool done;
};

struct watch_stream {
    struct ea_server *srv;
    kc_httpd_stream *st;
    kc_httpd_loop *loop;
    struct watcher watchers[EA_MAX_WATCHERS_PER_STREAM];
    int n;
    int64_t next_auto; /* the next automatic watch_id to try */
    bool closed;
};

/* Writes {"result":msg}\n. Ends the stream when the client cannot keep up. Returns 0 or -1 (stream over). */
static int
stream_send(struct watch_stream *ws, json_t *msg)
{
    json_t *o = json_pack("{s:o}", "result", msg);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return -1;
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps left room for the NUL: reuse it for the newline */
    int rc = kc_httpd_stream_write(ws->st, text, len + 1);
    free(text);
    if (rc == -ENOBUFS) {
        KC_LOG(KC_LOG_WARN, "kvstore", "watch stream too slow, ending it", "pending=%zu",
               kc_httpd_stream_pending(ws->st));
        kc_httpd_stream_end(ws->st);
    }
    return rc == 0 ? 0 : -1;
}

static json_t *
event_json(const struct kvs_event *e)
{
    json_t *o = json_object();
    if (e->type == KVS_EVENT_DELETE)
        json_object_set_new(o, "type", json_string("DELETE"));
    json_object_set_new(o, "kv", ea_kv(&e->kv));
    if (e->prev_kv)
        json_object_set_new(o, "prev_kv", ea_kv(e->prev_kv));
    return o;
}

static void
watcher_stop(struct watcher *w)
{
    if (w->fdw) {
        kc_httpd_fd_unwatch(w->fdw);
        w->fdw = NULL;
    }
    if (w->w) {
        kvs_watch_free(w->w);
        w->w = NULL;
    }
    w->done = true;
}

/* Drains a watcher's ready batches into the stream (on the loop, when its eventfd fires). */
static void
watcher_ready(void *arg)
{
    struct watcher *w = arg;
    struct watch_stream *ws = w->ws;
    struct kvs_watch_batch *b;
    int rc;
    while (!ws->closed && w->w && (rc = kvs_watch_poll(w->w, &b)) == 0) {
        json_t *msg = json_object();
        json_object_set_new(msg, "header", ea_header(&ws->srv->ids, b->revision));
        if (w->id)
            json_object_set_new(msg, "watch_id", ea_int64(w->id));
        if (b->canceled) {
            json_object_set_new(msg, "canceled", json_true());
            if (b->compact_revision)
                json_object_set_new(msg, "compact_revision", ea_int64(b->compact_revision));
            if (b->cancel_reason && *b->cancel_reason)
                json_object_set_new(msg, "cancel_reason", json_string(b->cancel_reason));
        }
        if (b->n_events) {
            json_t *events = json_array();
            for (size_t i = 0; i < b->n_events; i++)
                json_array_append_new(events, event_json(&b->events[i]));
            json_object_set_new(msg, "events", events);
        }
        bool canceled = b->canceled;
        kvs_watch_batch_free(b);
        if (stream_send(ws, msg) != 0 || canceled) {
            watcher_stop(w);
            return;
        }
    }
}

static void
watch_stream_close(void *arg)
{
    struct watch_stream *ws = arg;
    ws->closed = true;
    for (int i = 0; i < ws->n; i++)
        watcher_stop(&ws->watchers[i]);
    kc_metric_add(ws->srv->m_watchers, NULL, 0);
    free(ws);
}

static bool
watch_id_used(const struct watch_stream *ws, int64_t id)
{
    for (int i = 0; i < ws->n; i++)
        if (ws->watchers[i].id == id && !ws->watchers[i].done)
            return true;
    return false;
}

/* A control answer: {"header":{rev},"watch_id":"-1",...}. */
static json_t *
control_msg(struct watch_stream *ws, int64_t id)
{
    json_t *msg = json_object();
    json_object_set_new(msg, "header", ea_header(&ws->srv->ids, kvs_revision(ws->srv->kvs)));
    if (id)
        json_object_set_new(msg, "watch_id", ea_int64(id));
    return msg;
}

/* Decodes one WatchRequest. Returns 0, or -1 with etcd's error text in err. */
struct watch_op {
    enum { WOP_NONE, WOP_CREATE, WOP_CANCEL, WOP_PROGRESS } type;
    struct kvs_watch_req create;
    int64_t id; /* create: the requested watch_id (0 = automatic); cancel: the id */
    bool explicit_id;
    struct ea_arena arena;
};

static int
watch_decode(const struct gj_value *o, struct watch_op *op, char err[GJ_ERR_LEN])
{
    bool present;
    memset(op, 0, sizeof(*op));
    if (gj_message(o, &present, err))
        return -1;
    const struct gj_value *create = gj_field(o, "create_request", "createRequest");
    const struct gj_value *cancel = gj_field(o, "cancel_request", "cancelRequest");
    const struct gj_value *progress = gj_field(o, "progress_request", "progressRequest");
    if (create && create->type != GJ_NULL) {
        op->type = WOP_CREATE;
        if (gj_message(create, &present, err) || ea_decode_watch_create(create, &op->create, &op->arena, err) ||
            ea_field_int64(create, "watch_id", "watchId", &op->id, err))
            return -1;
        op->explicit_id = op->id != 0;
    } else if (cancel && cancel->type != GJ_NULL) {
        op->type = WOP_CANCEL;
        if (gj_message(cancel, &present, err) || ea_field_int64(cancel, "watch_id", "watchId", &op->id, err))
            return -1;
    } else if (progress && progress->type != GJ_NULL) {
        op->type = WOP_PROGRESS;
        if (gj_message(progress, &present, err))
            return -1;
    }
    return 0;
}

/* Carries out one decoded WatchRequest. Returns 0, or -1 when the stream is over. */
static int
watch_request(struct watch_stream *ws, struct watch_op *op)
{
    struct ea_server *srv = ws->srv;
    if (op->type == WOP_CREATE) {
        int64_t id = op->id;
        if (op->explicit_id && watch_id_used(ws, id)) {
            json_t *msg = control_msg(ws, -1);
            json_object_set_new(msg, "created", json_true());
            json_object_set_new(msg, "canceled", json_true());
            json_object_set_new(msg, "cancel_reason",
                                json_string("mvcc: duplicate watch ID provided on the WatchStream"));
            return stream_send(ws, msg);
        }
        if (!op->explicit_id) { /* the next free automatic id, taken only when the create succeeds (etcd's) */
            id = ws->next_auto;
            while (watch_id_used(ws, id))
                id++;
        }
        if (ws->n == EA_MAX_WATCHERS_PER_STREAM)
            return 0;
        struct watcher *w = &ws->watchers[ws->n];
        memset(w, 0, sizeof(*w));
        w->ws = ws;
        w->id = id;
        int rc = kvs_watch_create(srv->kvs, &op->create, &w->w);
        if (rc != 0) {
            /* etcd refuses an empty range with one control message on watch id -1. */
            json_t *msg = control_msg(ws, -1);
            json_object_set_new(msg, "created", json_true());
            json_object_set_new(msg, "canceled", json_true());
            json_object_set_new(msg, "cancel_reason", json_string(kvs_error_message(rc, NULL)));
            return stream_send(ws, msg);
        }
        ws->n++;
        if (!op->explicit_id)
            ws->next_auto = id + 1;
        json_t *msg = control_msg(ws, id);
        json_object_set_new(msg, "created", json_true());
        if (stream_send(ws, msg) != 0)
            return -1;
        w->fdw = kc_httpd_fd_watch_start(ws->loop, kvs_watch_fd(w->w), watcher_ready, w);
        watcher_ready(w);
        return 0;
    }
    if (op->type == WOP_CANCEL) {
        for (int i = 0; i < ws->n; i++) {
            struct watcher *w = &ws->watchers[i];
            if (w->id == op->id && !w->done) {
                watcher_stop(w);
                json_t *msg = control_msg(ws, op->id);
                json_object_set_new(msg, "canceled", json_true());
                return stream_send(ws, msg);
            }
        }
        return 0;
    }
    if (op->type == WOP_PROGRESS)
        return stream_send(ws, control_msg(ws, -1));
    return 0;
}

/* The body is a stream of WatchRequest objects, all read before answering (the gateway's HTTP/1 server is not
 * full duplex). A first one that does not decode is a 500 (gRPC Unknown), as in etcd; a later one is skipped,
 * and the stream stops at a syntax error. The answer's headers go out with its first message, so a body that
 * asks nothing gets no answer at all, as from etcd. */
static void
h_watch(kc_httpd_req *req, struct ea_server *srv)
{
    size_t len, used;
    const char *data = kc_httpd_req_body(req, &len);
    struct gj_value *v = NULL;
    char err[GJ_ERR_LEN];
    struct watch_op op;
    int rc = data ? gj_parse_next(data, len, &used, &v, err) : 1;
    if (rc < 0 || (rc == 0 && watch_decode(v, &op, err) != 0)) {
        if (rc == 0)
            ea_arena_free(&op.arena);
        gj_free(v);
        reply_error(req, err, 2);
        return;
    }
    if (rc == 0 && op.type == WOP_CREATE) {
        size_t pb = ea_pb_watch_create(&op.create, op.id);
        if (pb > EA_GRPC_MAX_RECV) {
            /* The gateway reports a stream's gRPC error in its stream-error shape. */
            char msg[160];
            snprintf(msg, sizeof(msg), "grpc: received message larger than max (%zu vs. %d)", pb, EA_GRPC_MAX_RECV);
            json_t *e = json_pack("{s:{s:i,s:i,s:s,s:s}}", "error", "grpc_code", 8, "http_code", 429, "message", msg,
                                  "http_status", "Too Many Requests");
            reply_json(req, 429, e);
            ea_arena_free(&op.arena);
            gj_free(v);
            return;
        }
    }
    struct watch_stream *ws = calloc(1, sizeof(*ws));
    if (!ws) {
        gj_free(v);
        if (rc == 0)
            ea_arena_free(&op.arena);
        reply_error(req, "out of memory", 13);
        return;
    }
    ws->srv = srv;
    ws->loop = kc_httpd_req_loop(req);
    ws->st = kc_httpd_stream_begin(req, 200, "application/json", EA_STREAM_BUFFER, watch_stream_close, ws);
    while (rc == 0) {
        int r = watch_request(ws, &op);
        ea_arena_free(&op.arena);
        gj_free(v);
        v = NULL;
        if (r != 0)
            return;
        data += used;
        len -= used;
        for (;;) {
            rc = gj_parse_next(data, len, &used, &v, err);
            if (rc != 0)
                break;
            if (watch_decode(v, &op, err) == 0)
                break;
            ea_arena_free(&op.arena); /* a later request that does not decode is skipped */
            gj_free(v);
            v = NULL;
            data += used;
            len -= used;
        }
    }
    gj_free(v);
}

/* --- lease keepalive stream --- */

static void
keepalive_close(void *arg)
{
    free(arg);
}

/* A stream of LeaseKeepAliveRequest objects: one answer each (TTL = the granted TTL; an unknown lease is answered
 * with its ID alone), then the stream ends, as the gateway does once the body is consumed. */
static void
h_keepalive(kc_httpd_req *req, struct ea_server *srv)
{
    size_t len, used;
    const char *data = kc_httpd_req_body(req, &len);
    char err[GJ_ERR_LEN];
    struct gj_value *v = NULL;
    int rc = data ? gj_parse_next(data, len, &used, &v, err) : 1;
    bool present;
    int64_t id = 0;
    if (rc < 0 || (rc == 0 && (gj_message(v, &present, err) != 0 || ea_field_int64(v, "ID", NULL, &id, err) != 0))) {
        gj_free(v);
        reply_error(req, err, 2); /* an undecodable first request: 500 Unknown, as etcd */
        return;
    }
    struct watch_stream *ws = calloc(1, sizeof(*ws));
    ws->srv = srv;
    ws->st = kc_httpd_stream_begin(req, 200, "application/json", 1 << 20, keepalive_close, ws);
    while (rc == 0) {
        json_t *msg = json_object();
        json_object_set_new(msg, "header", ea_header(&srv->ids, kvs_revision(srv->kvs)));
        if (gj_field(v, "ID", NULL) && id) {
            int64_t ttl = 0;
            int krc = kvs_lease_keepalive(srv->kvs, id, &ttl);
            json_object_set_new(msg, "ID", ea_int64(id));
            if (krc == 0 && ttl)
                json_object_set_new(msg, "TTL", ea_int64(ttl));
        }
        gj_free(v);
        v = NULL;
        if (stream_send(ws, msg) != 0)
            return;
        data += used;
        len -= used;
        rc = gj_parse_next(data, len, &used, &v, err);
        if (rc == 0 && (gj_message(v, &present, err) != 0 || ea_field_int64(v, "ID", NULL, &id, err) != 0))
            rc = -1; /* a later undecodable request ends the stream */
    }
    gj_free(v);
    kc_httpd_stream_end(ws->st);
}

/* --- snapshot --- */

struct snap_job {
    struct ea_server *srv;
    char *data;
    size_t len, cap;
    int rc;
};

static int
snap_write(void *ctx, const void *buf, size_t len)
{
    struct snap_job *j = ctx;
    if (j->len + len > j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 1 << 20;
        while (cap < j->len + len)
            cap *= 2;
        char *d = realloc(j->data, cap);
        if (!d)
            return -ENOMEM;
        j->data = d;
        j->cap = cap;
    }
    memcpy(j->data + j->len, buf, len);
    j->len += len;
    return 0;
}

static void
snap_work(void *arg)
{
    struct snap_job *j = arg;
    j->rc = kvs_snapshot(j->srv->kvs, snap_write, j);
}

static void
snap_close(void *arg)
{
    free(arg);
}

/* etcd's snapshot stream: 32 KiB blobs with remaining_bytes counting down (0, hence absent, on the last data
 * blob), then a 32-byte blob holding the SHA-256 of the data, which `etcdctl snapshot restore` checks. */
static void
snap_done(kc_httpd_req *req, void *arg)
{
    struct snap_job *j = arg;
    if (req && j->rc != 0) {
        reply_kvs_error(req, j->rc);
    } else if (req) {
        struct watch_stream *ws = calloc(1, sizeof(*ws));
        ws->srv = j->srv;
        ws->st = kc_httpd_stream_begin(req, 200, "application/json", j->len * 2 + (1 << 20), snap_close, ws);
        const size_t chunk = 32 * 1024;
        bool ok = true;
        for (size_t off = 0; off < j->len && ok; off += chunk) {
            size_t n = j->len - off < chunk ? j->len - off : chunk;
            json_t *msg = json_object();
            if (j->len - off - n)
                json_object_set_new(msg, "remaining_bytes", ea_uint64(j->len - off - n));
            json_object_set_new(msg, "blob", ea_b64(j->data + off, n));
            ok = stream_send(ws, msg) == 0;
        }
        if (ok) {
            uint8_t digest[KC_SHA256_LEN];
            kc_sha256(j->data, j->len, digest);
            stream_send(ws, json_pack("{s:o}", "blob", ea_b64(digest, sizeof(digest))));
        }
        kc_httpd_stream_end(ws->st);
    }
    free(j->data);
    free(j);
}

static void
h_snapshot(kc_httpd_req *req, struct ea_server *srv)
{
    struct snap_job *j = calloc(1, sizeof(*j));
    j->srv = srv;
    if (kc_httpd_defer(req, snap_work, snap_done, j) != 0) {
        free(j);
        reply_error(req, "out of memory", 13);
    }
}

/* --- dispatch --- */

enum route_kind { R_READ, R_WRITE, R_STREAM };

struct route {
    const char *path; /* after the /v3 or /v3beta prefix */
    void (*read)(kc_httpd_req *req, struct ea_server *srv);
    int write; /* enum write_kind + 1 for writes, 0 otherwise */
};

static const struct route routes[] = {
    { "/kv/range", h_range, 0 },
    { "/kv/put", NULL, W_PUT + 1 },
    { "/kv/deleterange", NULL, W_DELETE + 1 },
    { "/kv/txn", NULL, W_TXN + 1 },
    { "/kv/compaction", NULL, W_COMPACT + 1 },
    { "/watch", h_watch, 0 },
    { "/lease/grant", NULL, W_GRANT + 1 },
    { "/lease/revoke", NULL, W_REVOKE + 1 },
    { "/kv/lease/revoke", NULL, W_REVOKE + 1 },
    { "/lease/keepalive", h_keepalive, 0 },
    { "/lease/timetolive", h_timetolive, 0 },
    { "/kv/lease/timetolive", h_timetolive, 0 },
    { "/lease/leases", h_leases, 0 },
    { "/kv/lease/leases", h_leases, 0 },
    { "/maintenance/status", h_status, 0 },
    { "/maintenance/snapshot", h_snapshot, 0 },
    { "/maintenance/alarm", h_alarm, 0 },
    { "/cluster/member/list", h_member_list, 0 },
};

static bool
path_is(const char *p, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(p, s, len) == 0;
}

/* Go's path.Clean, which the gateway's mux applies before matching (it answers 301 to the cleaned path). */
static void
clean_path(const char *p, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        if (p[i] == '/' && n > 0 && out[n - 1] == '/')
            continue;
        out[n++] = p[i];
    }
    if (n > 1 && out[n - 1] == '/' && !(len > 0 && p[len - 1] == '/'))
        n--;
    out[n] = '\0';
}

static int
on_request(kc_httpd_req *req, void *arg)
{
    struct ea_server *srv = arg;
    size_t len;
    const char *path = kc_httpd_req_path(req, &len);

    if (path_is(path, len, "/health")) {
        if (!kc_httpd_req_method_is(req, "GET"))
            reply_text(req, 405, kc_httpd_req_method_is(req, "HEAD") ? "" : "Method Not Allowed\n");
        else
            h_health(req, srv);
        return 0;
    }
    if (path_is(path, len, "/version")) {
        h_version(req, srv);
        return 0;
    }
    if (path_is(path, len, "/metrics")) {
        h_metrics(req, srv);
        return 0;
    }
    if (path_is(path, len, "/v3") || path_is(path, len, "/v3beta")) {
        char loc[16];
        snprintf(loc, sizeof(loc), "%.*s/", (int)len, path);
        kc_httpd_add_header(req, "Location", loc);
        kc_httpd_reply(req, 301, NULL, "", 0);
        return 0;
    }
    size_t skip = 0;
    if (len >= 8 && memcmp(path, "/v3beta/", 8) == 0)
        skip = 7;
    else if (len >= 4 && memcmp(path, "/v3/", 4) == 0)
        skip = 3;
    if (!skip) {
        reply_text(req, 404, "404 page not found\n");
        return 0;
    }
    char cleaned[512];
    clean_path(path, len, cleaned, sizeof(cleaned));
    if (strlen(cleaned) != len) {
        kc_httpd_add_header(req, "Location", cleaned);
        kc_httpd_reply(req, 301, NULL, "", 0);
        return 0;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!path_is(path + skip, len - skip, routes[i].path))
            continue;
        if (kc_httpd_req_method_is(req, "OPTIONS")) {
            kc_httpd_reply(req, 200, NULL, "", 0);
            return 0;
        }
        if (!kc_httpd_req_method_is(req, "POST")) {
            reply_text(req, 405, "Method Not Allowed\n");
            return 0;
        }
        if (routes[i].write)
            return start_write(req, srv, (enum write_kind)(routes[i].write - 1));
        routes[i].read(req, srv);
        return 0;
    }
    reply_text(req, 404, "Not Found\n");
    return 0;
}

/* --- configuration --- */

void
ea_config_init(struct ea_config *c)
{
    memset(c, 0, sizeof(*c));
    c->name = "default";
    c->listen_client_urls = "http://127.0.0.1:2379";
    c->advertise_client_urls = NULL;
    c->initial_advertise_peer_urls = "http://localhost:2380";
    c->auto_compaction_retention = "0";
    c->auto_compaction_mode = "periodic";
}

static int
parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end || errno || v < 0)
        return -1;
    *out = v;
    return 0;
}

int
ea_config_parse(struct ea_config *c, int argc, char **argv, char *err, size_t errlen)
{
    static const char *const bool_flags[] = { "client-cert-auth" };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 && strncmp(a, "-", 1) == 0)
            a++; /* etcd (Go's flag package) takes -flag too */
        if (strncmp(a, "--", 2) == 0)
            a += 2;
        else if (a == argv[i]) {
            snprintf(err, errlen, "unexpected argument %s", argv[i]);
            return KC_EINVALID;
        }
        char name[64];
        const char *val = strchr(a, '=');
        size_t nlen = val ? (size_t)(val - a) : strlen(a);
        if (nlen >= sizeof(name)) {
            snprintf(err, errlen, "unknown flag %s", argv[i]);
            return KC_EINVALID;
        }
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        bool is_bool = strcmp(name, bool_flags[0]) == 0;
        if (val) {
            val++;
        } else if (is_bool) {
            val = "true";
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "flag needs an argument: --%s", name);
            return KC_EINVALID;
        }
        int64_t n;
        if (strcmp(name, "name") == 0) {
            c->name = val;
        } else if (strcmp(name, "data-dir") == 0) {
            c->data_dir = val;
        } else if (strcmp(name, "listen-client-urls") == 0) {
            c->listen_client_urls = val;
        } else if (strcmp(name, "advertise-client-urls") == 0) {
            c->advertise_client_urls = val;
        } else if (strcmp(name, "initial-advertise-peer-urls") == 0) {
            c->initial_advertise_peer_urls = val;
        } else if (strcmp(name, "cert-file") == 0) {
            c->cert_file = val;
        } else if (strcmp(name, "key-file") == 0) {
            c->key_file = val;
        } else if (strcmp(name, "trusted-ca-file") == 0) {
            c->trusted_ca_file = val;
        } else if (strcmp(name, "client-cert-auth") == 0) {
            if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
                snprintf(err, errlen, "invalid value \"%s\" for flag --client-cert-auth: want true or false", val);
                return KC_EINVALID;
            }
            c->client_cert_auth = strcmp(val, "true") == 0;
        } else if (strcmp(name, "quota-backend-bytes") == 0) {
            if (parse_size(val, &c->quota_backend_bytes) != 0) {
                snprintf(err, errlen, "invalid value \"%s\" for flag --quota-backend-bytes", val);
                return KC_EINVALID;
            }
        } else if (strcmp(name, "max-request-bytes") == 0) {
            if (parse_size(val, &c->max_request_bytes) != 0) {
                snprintf(err, errlen, "invalid value \"%s\" for flag --max-request-bytes", val);
                return KC_EINVALID;
            }
        } else if (strcmp(name, "max-txn-ops") == 0) {
            if (parse_size(val, &n) != 0 || n > 1 << 20) {
                snprintf(err, errlen, "invalid value \"%s\" for flag --max-txn-ops", val);
                return KC_EINVALID;
            }
            c->max_txn_ops = (int)n;
        } else if (strcmp(name, "auto-compaction-retention") == 0) {
            c->auto_compaction_retention = val;
        } else if (strcmp(name, "auto-compaction-mode") == 0) {
            if (strcmp(val, "periodic") != 0 && strcmp(val, "revision") != 0) {
                snprintf(err, errlen, "invalid auto-compaction-mode \"%s\" (want periodic or revision)", val);
                return KC_EINVALID;
            }
            c->auto_compaction_mode = val;
        } else if (strcmp(name, "log-level") == 0) {
            enum kc_log_level l;
            if (kc_log_parse_level(val, &l) != 0) {
                snprintf(err, errlen, "invalid value \"%s\" for flag --log-level", val);
                return KC_EINVALID;
            }
            kc_log_set_level(l);
        } else {
            snprintf(err, errlen, "unknown flag --%s", name);
            return KC_EINVALID;
        }
    }
    return 0;
}

/* Parses "http://IP:PORT" or "https://IP:PORT" (also [IPv6]:PORT and "localhost"). */
static int
parse_url(const char *url, bool *tls, char *host, size_t hostlen, int *port)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0)
        *tls = true, rest = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        *tls = false, rest = url + 7;
    else
        return -1;
    const char *colon;
    if (*rest == '[') {
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':')
            return -1;
        if ((size_t)(close - rest - 1) >= hostlen)
            return -1;
        memcpy(host, rest + 1, (size_t)(close - rest - 1));
        host[close - rest - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(rest, ':');
        if (!colon || (size_t)(colon - rest) >= hostlen)
            return -1;
        memcpy(host, rest, (size_t)(colon - rest));
        host[colon - rest] = '\0';
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if ((*end && strcmp(end, "/") != 0) || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, hostlen, "127.0.0.1");
    return 0;
}

static bool
is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* Splits a comma-separated list into a malloc'ed array of malloc'ed strings. */
static int
split(const char *s, char ***out)
{
    int n = 0;
    char **v = NULL;
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char **nv = realloc(v, sizeof(*v) * (size_t)(n + 1));
        if (!nv)
            break;
        v = nv;
        v[n++] = strndup(s, len);
        s = comma ? comma + 1 : s + len;
    }
    *out = v;
    return n;
}

/* A stable 64-bit ID from text (the first 8 bytes of its SHA-256), never 0. */
static uint64_t
id_of(const char *text)
{
    uint8_t d[KC_SHA256_LEN];
    uint64_t v = 0;
    kc_sha256(text, strlen(text), d);
    for (int i = 0; i < 8; i++)
        v = v << 8 | d[i];
    return v ? v : 1;
}

/* Parses etcd's retention: a bare number is hours (periodic) or revisions (revision mode), or a Go duration
 * such as "30m", "1h30m", "90s". Returns milliseconds (periodic) or revisions; -1 on error. */
static int64_t
parse_retention(const char *s, bool revision_mode)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '\0')
        return revision_mode ? (int64_t)v : (int64_t)(v * 3600000.0);
    if (revision_mode)
        return -1;
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        double x = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
        double unit;
        if (strncmp(p, "ms", 2) == 0)
            unit = 1, p += 2;
        else if (*p == 'h')
            unit = 3600000, p++;
        else if (*p == 'm')
            unit = 60000, p++;
        else if (*p == 's')
            unit = 1000, p++;
        else
            return -1;
        total += (int64_t)(x * unit);
    }
    return total;
}

/* --- auto compaction --- */

struct rev_sample {
    int64_t at_ms, revision;
};

/* Periodic mode (etcd 3.4): every retention/10 (at most hourly), compact to the revision that was current one
 * retention ago. Revision mode: every 5 minutes, keep the last N revisions. */
static void *
compactor_main(void *arg)
{
    struct ea_server *srv = arg;
    bool revision_mode = strcmp(srv->cfg.auto_compaction_mode, "revision") == 0;
    int64_t retention = parse_retention(srv->cfg.auto_compaction_retention, revision_mode);
    int64_t interval = revision_mode ? 300000 : retention / 10;
    if (!revision_mode && interval > 3600000)
        interval = 3600000;
    if (interval < 1)
        interval = 1;
    struct rev_sample samples[16];
    int nsamples = 0;
    int64_t last_compacted = 0;

    pthread_mutex_lock(&srv->stop_lock);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wake = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + interval;
        ts.tv_sec = wake / 1000;
        ts.tv_nsec = (wake % 1000) * 1000000;
        while (!srv->stopping && pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &ts) != ETIMEDOUT)
            ;
        if (srv->stopping)
            break;
        pthread_mutex_unlock(&srv->stop_lock);

        int64_t now = kc_time_mono_ns() / 1000000, rev = kvs_revision(srv->kvs), target = 0;
        if (revision_mode) {
            target = rev - retention;
        } else {
            if (nsamples == (int)(sizeof(samples) / sizeof(samples[0]))) {
                memmove(samples, samples + 1, sizeof(samples[0]) * (size_t)(nsamples - 1));
                nsamples--;
            }
            samples[nsamples++] = (struct rev_sample){ now, rev };
            for (int i = nsamples - 1; i >= 0; i--) {
                if (now - samples[i].at_ms >= retention) {
                    target = samples[i].revision;
                    break;
                }
            }
        }
        if (target > last_compacted && target > kvs_compact_revision(srv->kvs)) {
            int64_t hdr;
            int rc = kvs_compact(srv->kvs, target, false, &hdr);
            KC_LOG(rc == 0 ? KC_LOG_INFO : KC_LOG_WARN, "kvstore", "auto compaction", "revision=%" PRId64 " err=\"%s\"",
                   target, kc_strerror(rc));
            if (rc == 0)
                last_compacted = target;
        }
        pthread_mutex_lock(&srv->stop_lock);
    }
    pthread_mutex_unlock(&srv->stop_lock);
    return NULL;
}

/* --- lifecycle --- */

int
ea_server_start(const struct ea_config *c, struct ea_server **out, char *err, size_t errlen)
{
    struct ea_server *srv = calloc(1, sizeof(*srv));
    char **listen = NULL;
    int nlisten = 0, rc;
    char default_dir[300];

    if (!srv)
        return -ENOMEM;
    srv->cfg = *c;
    pthread_mutex_init(&srv->stop_lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);
    if (!srv->cfg.data_dir) {
        snprintf(default_dir, sizeof(default_dir), "%s.etcd", c->name);
        srv->cfg.data_dir = default_dir;
    }

    nlisten = split(c->listen_client_urls, &listen);
    if (nlisten == 0 || nlisten > EA_MAX_LISTENERS) {
        snprintf(err, errlen, "--listen-client-urls: need 1 to %d URLs", EA_MAX_LISTENERS);
        rc = KC_EINVALID;
        goto fail;
    }
    for (int i = 0; i < nlisten; i++) {
        bool tls;
        char host[128];
        int port;
        if (parse_url(listen[i], &tls, host, sizeof(host), &port) != 0) {
            snprintf(err, errlen, "--listen-client-urls: \"%s\" is not http(s)://IP:PORT", listen[i]);
            rc = KC_EINVALID;
            goto fail;
        }
        if (!tls && !is_loopback(host)) {
            snprintf(err, errlen,
                     "--listen-client-urls: plain http is allowed only on loopback addresses; use https for \"%s\"",
                     listen[i]);
            rc = KC_EINVALID;
            goto fail;
        }
        if (tls && (!c->cert_file || !c->key_file)) {
            snprintf(err, errlen, "--listen-client-urls: \"%s\" needs --cert-file and --key-file", listen[i]);
            rc = KC_EINVALID;
            goto fail;
        }
        if (c->client_cert_auth && !c->trusted_ca_file) {
            snprintf(err, errlen, "--client-cert-auth needs --trusted-ca-file");
            rc = KC_EINVALID;
            goto fail;
        }
    }
    if (strcmp(c->auto_compaction_retention, "0") != 0 &&
        parse_retention(c->auto_compaction_retention, strcmp(c->auto_compaction_mode, "revision") == 0) <= 0) {
        snprintf(err, errlen, "--auto-compaction-retention: invalid value \"%s\"", c->auto_compaction_retention);
        rc = KC_EINVALID;
        goto fail;
    }

    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = srv->cfg.data_dir;
    if (c->quota_backend_bytes > 0)
        o.quota_bytes = c->quota_backend_bytes;
    if (c->max_request_bytes > 0)
        o.max_request_bytes = c->max_request_bytes;
    if (c->max_txn_ops > 0)
        o.max_txn_ops = c->max_txn_ops;
    rc = kvs_open(&o, &srv->kvs);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open the store in %s: %s", srv->cfg.data_dir, kvs_error_message(rc, NULL));
        goto fail;
    }

    srv->nadvertise =
        split(c->advertise_client_urls ? c->advertise_client_urls : c->listen_client_urls, &srv->advertise);
    srv->npeer = split(c->initial_advertise_peer_urls, &srv->peer);
    char idtext[512];
    snprintf(idtext, sizeof(idtext), "member:%s:%s", c->name, srv->nadvertise ? srv->advertise[0] : "");
    srv->ids.member_id = id_of(idtext);
    snprintf(idtext, sizeof(idtext), "cluster:%s", c->name);
    srv->ids.cluster_id = id_of(idtext);
    srv->ids.raft_term = 1; /* a single node is its own leader from term 1 */

    srv->metrics = kc_metrics_new();
    srv->m_requests = kc_metrics_counter(srv->metrics, "k8c_kvstore_requests_total",
                                         "Requests by gateway method and HTTP status.", "method,code");
    static const double buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5 };
    srv->m_latency =
        kc_metrics_histogram(srv->metrics, "k8c_kvstore_request_duration_seconds", "Request latency by gateway method.",
                             "method", buckets, (int)(sizeof(buckets) / sizeof(buckets[0])));
    srv->m_watchers =
        kc_metrics_gauge(srv->metrics, "etcd_debugging_mvcc_watcher_total", "Total number of watchers.", NULL);
    srv->m_db_size = kc_metrics_gauge(srv->metrics, "etcd_mvcc_db_total_size_in_bytes",
                                      "Total size of the underlying database physically allocated in bytes.", NULL);
    srv->m_revision =
        kc_metrics_gauge(srv->metrics, "etcd_debugging_mvcc_current_revision", "The current revision of store.", NULL);
    srv->m_leader = kc_metrics_gauge(srv->metrics, "etcd_server_has_leader",
                                     "Whether or not a leader exists. 1 is existence, 0 is not.", NULL);
    kc_metric_set(srv->m_leader, NULL, 1);
    kc_metric_set(kc_metrics_gauge(srv->metrics, "etcd_server_is_leader",
                                   "Whether or not this member is a leader. 1 if is, 0 otherwise.", NULL),
                  NULL, 1);
    srv->m_compact = kc_metrics_gauge(srv->metrics, "etcd_debugging_mvcc_compact_revision",
                                      "The revision of the last compaction in store.", NULL);

    for (int i = 0; i < nlisten; i++) {
        bool tls;
        char host[128];
        int port;
        parse_url(listen[i], &tls, host, sizeof(host), &port);
        struct kc_httpd_config hc = {
            .bind_address = host,
            .port = port,
            .threads = c->threads,
            .max_body = 8 * 1024 * 1024, /* above etcd's gRPC limit, so that we can answer as etcd does */
            .cert_file = tls ? c->cert_file : NULL,
            .key_file = tls ? c->key_file : NULL,
            .client_ca_file = tls ? c->trusted_ca_file : NULL,
            .require_client_cert = tls && c->client_cert_auth,
        };
        struct listener *l = &srv->listeners[srv->nlisteners];
        rc = kc_httpd_new(&hc, &l->httpd);
        if (rc != 0) {
            snprintf(err, errlen, "cannot listen on %s: %s", listen[i], kc_strerror(rc));
            goto fail;
        }
        srv->nlisteners++;
        snprintf(l->url, sizeof(l->url), "%s", listen[i]);
        kc_httpd_route(l->httpd, "/", on_request, srv);
        rc = kc_httpd_start(l->httpd);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start serving %s: %s", listen[i], kc_strerror(rc));
            goto fail;
        }
        KC_LOG(KC_LOG_INFO, "kvstore", "serving client requests", "url=%s port=%d", listen[i], kc_httpd_port(l->httpd));
    }
    if (strcmp(c->auto_compaction_retention, "0") != 0) {
        if (pthread_create(&srv->compactor, NULL, compactor_main, srv) == 0)
            srv->compactor_running = true;
    }
    for (int i = 0; i < nlisten; i++)
        free(listen[i]);
    free(listen);
    *out = srv;
    return 0;
fail:
    for (int i = 0; i < nlisten; i++)
        free(listen[i]);
    free(listen);
    ea_server_stop(srv);
    return rc;
}

int
ea_server_port(const struct ea_server *s)
{
    return s->nlisteners ? kc_httpd_port(s->listeners[0].httpd) : -1;
}

void
ea_server_stop(struct ea_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->stop_lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->stop_cond);
    pthread_mutex_unlock(&s->stop_lock);
    if (s->compactor_running)
        pthread_join(s->compactor, NULL);
    for (int i = 0; i < s->nlisteners; i++)
        kc_httpd_free(s->listeners[i].httpd);
    kvs_close(s->kvs);
    for (int i = 0; i < s->nadvertise; i++)
        free(s->advertise[i]);
    free(s->advertise);
    for (int i = 0; i < s->npeer; i++)
        free(s->peer[i]);
    free(s->peer);
    kc_metrics_free(s->metrics);
    pthread_mutex_destroy(&s->stop_lock);
    pthread_cond_destroy(&s->stop_cond);
    free(s);
}

int
ea_main(int argc, char **argv)
{
    struct ea_config c;
    char err[512];
    ea_config_init(&c);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: k8c kvstore [flags]\n\n"
                   "An etcd-3.4-compatible key-value store (v3 JSON gateway API) on LMDB.\n\n"
                   "  --name NAME                      member name (default \"default\")\n"
                   "  --data-dir DIR                   data directory (default \"NAME.etcd\")\n"
                   "  --listen-client-urls URLS        comma-separated http(s)://IP:PORT (default "
                   "http://127.0.0.1:2379);\n"
                   "                                   plain http only on loopback addresses\n"
                   "  --advertise-client-urls URLS     client URLs reported by member list\n"
                   "  --cert-file, --key-file FILE     serving certificate and key (PEM) for https\n"
                   "  --trusted-ca-file FILE           CA that signs client certificates\n"
                   "  --client-cert-auth               require a valid client certificate\n"
                   "  --quota-backend-bytes N          database size limit (default 2 GiB)\n"
                   "  --max-request-bytes N            largest write request (default 1.5 MiB)\n"
                   "  --max-txn-ops N                  most operations in one txn (default 128)\n"
                   "  --auto-compaction-mode MODE      periodic (default) or revision\n"
                   "  --auto-compaction-retention R    hours or a duration (periodic), revisions (revision); "
                   "0 = off\n"
                   "  --log-level LEVEL                debug, info, warn, error\n");
            return 0;
        }
    }
    if (ea_config_parse(&c, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "k8c kvstore: %s\n", err);
        return 2;
    }
    /* Signals are taken by this thread alone, so that every other thread runs undisturbed. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct ea_server *srv;
    if (ea_server_start(&c, &srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "k8c kvstore: %s\n", err);
        return 1;
    }
    int sig;
    sigwait(&set, &sig);
    KC_LOG(KC_LOG_INFO, "kvstore", "shutting down", "signal=%d", sig);
    ea_server_stop(srv);
    return 0;
}
