/*
 * fuzz_client.c - the client child of the fuzz and soak suites for libnet_websocket.so
 * (the "clib" face), through the public C header only.
 *
 * Reads jobs from stdin, one per line: "<id> <close-in-callbacks 0|1> <url>" (or
 * "abandon <id>": Destroy that client, as an application giving up would), connects each
 * (several at once), and writes every callback as a JSON line on stdout, in the format of
 * test/fuzz/faces.ts (ClientReport): open, message (length, CRC-32, first bytes), error,
 * close (reason in hex), close-rc (what Close returned inside onError/onClose), closing.
 * Like the JS faces it echoes each message it can send back, and closes when a message
 * starts with "@@fuzz-close@@<code>:<reason>". When stdin ends it waits for its connections
 * to end and exits; a connection that never ends keeps it waiting (the runner reports that).
 */
#define _POSIX_C_SOURCE 200809L
#include "net_websocket.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define MAX_JOBS 256
#define SEND_LIMIT (4u * 1024u * 1024u)
static const char TRIGGER[] = "@@fuzz-close@@";

struct job {
    struct OH_NetStack_WebsocketClient *client;
    long id;
    int close_in_callbacks;
    int opened;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job jobs[MAX_JOBS];
static int active;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Finds the job of a client (callbacks only get the client pointer). Called with mu held. */
static struct job *find(const void *client) {
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].client == client) return &jobs[i];
    return NULL;
}

/* A snapshot of the job's fields, taken under the lock. */
static struct job lookup(const void *client) {
    struct job copy = {NULL, -1, 0, 0};
    pthread_mutex_lock(&mu);
    struct job *j = find(client);
    if (j) copy = *j;
    pthread_mutex_unlock(&mu);
    return copy;
}

static void set_opened(const void *client) {
    pthread_mutex_lock(&mu);
    struct job *j = find(client);
    if (j) j->opened = 1;
    pthread_mutex_unlock(&mu);
}

/* The connection is over: free its slot and destroy the client (allowed inside callbacks). */
static void finish(struct OH_NetStack_WebsocketClient *client) {
    pthread_mutex_lock(&mu);
    struct job *j = find(client);
    if (j) {
        j->client = NULL;
        active--;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
    OH_NetStack_WebsocketClient_Destroy(client);
}

/* ---- JSON lines ---- */

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void hex(char *out, const unsigned char *data, size_t length) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < length; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * length] = '\0';
}

/* Writes a JSON string literal of text (control characters and quotes escaped). */
static void json_string(FILE *f, const char *text) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

#define EMIT_BEGIN(id, ev) \
    pthread_mutex_lock(&out_mu); \
    printf("{\"id\":%ld,\"t\":%lld,\"ev\":\"%s\"", (id), now_ms(), (ev))
#define EMIT_END() \
    fputs("}\n", stdout); \
    fflush(stdout); \
    pthread_mutex_unlock(&out_mu)

/* ---- what to echo ---- */

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xbf;
        if (b < 0x80) { i++; continue; }
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b == 0xe0) lo = 0xa0; if (b == 0xed) hi = 0x9f; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b == 0xf0) lo = 0x90; if (b == 0xf4) hi = 0x8f; }
        else return 0;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) return 0;
            unsigned c = s[i + k];
            if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xbf)) return 0;
        }
        i += need + 1;
    }
    return 1;
}

/* Send types a message by its bytes (TEXT unless it holds a NUL): echo only what survives. */
static int echoable(const unsigned char *data, size_t length) {
    if (length == 0 || length > SEND_LIMIT) return 0;
    return memchr(data, 0, length) != NULL || valid_utf8(data, length);
}

/* ---- callbacks ---- */

static void close_in_callback(struct OH_NetStack_WebsocketClient *client, const struct job *j, const char *where) {
    if (!j->close_in_callbacks) return;
    struct OH_NetStack_WebsocketClient_CloseOption option = {1000, ""};
    int rc = OH_NetStack_WebSocketClient_Close(client, option);
    EMIT_BEGIN(j->id, "close-rc");
    printf(",\"where\":\"%s\",\"rc\":%d", where, rc);
    EMIT_END();
}

static void on_open(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_OpenResult result) {
    (void)result;
    set_opened(client);
    struct job j = lookup(client);
    EMIT_BEGIN(j.id, "open");
    fputs(",\"protocol\":null,\"extensions\":null", stdout);
    EMIT_END();
}

static void on_message(struct OH_NetStack_WebsocketClient *client, char *data, uint32_t length) {
    struct job j = lookup(client);
    const unsigned char *bytes = (const unsigned char *)data;
    char head[33];
    hex(head, bytes, length < 16 ? length : 16);
    unsigned long crc = crc32(0L, bytes, length);
    EMIT_BEGIN(j.id, "message");
    printf(",\"binary\":null,\"len\":%u,\"crc\":%lu,\"head\":\"%s\"", length, crc, head);
    EMIT_END();

    size_t prefix = sizeof TRIGGER - 1;
    if (length > prefix && memcmp(data, TRIGGER, prefix) == 0) {
        char request[256];
        size_t n = length - prefix < sizeof request - 1 ? length - prefix : sizeof request - 1;
        memcpy(request, data + prefix, n);
        request[n] = '\0';
        char *colon = strchr(request, ':');
        const char *reason = colon ? colon + 1 : "";
        struct OH_NetStack_WebsocketClient_CloseOption option = {(uint32_t)strtoul(request, NULL, 10), reason};
        int rc = OH_NetStack_WebSocketClient_Close(client, option);
        EMIT_BEGIN(j.id, "closing");
        printf(",\"code\":%u,\"rc\":%d", option.code, rc);
        EMIT_END();
    } else if (echoable(bytes, length)) {
        OH_NetStack_WebSocketClient_Send(client, data, length);
    }
}

static void on_error(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_ErrorResult error) {
    struct job j = lookup(client);
    EMIT_BEGIN(j.id, "error");
    printf(",\"code\":%u,\"name\":\"\",\"message\":", error.errorCode);
    json_string(stdout, error.errorMessage);
    EMIT_END();
    close_in_callback(client, &j, "error");
    if (!j.opened) finish(client);  /* a failed connect: no onClose follows */
}

static void on_close(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_CloseResult result) {
    struct job j = lookup(client);
    const char *reason = result.reason ? result.reason : "";
    size_t n = strlen(reason);
    char *reason_hex = malloc(2 * n + 1);
    if (!reason_hex) abort();
    hex(reason_hex, (const unsigned char *)reason, n);
    EMIT_BEGIN(j.id, "close");
    printf(",\"code\":%u,\"reason\":\"%s\",\"clean\":null", result.code, reason_hex);
    EMIT_END();
    free(reason_hex);
    close_in_callback(client, &j, "close");
    finish(client);
}

static void exception(long id, const char *message) {
    EMIT_BEGIN(id, "exception");
    fputs(",\"message\":", stdout);
    json_string(stdout, message);
    EMIT_END();
}

int main(void) {
    NetStack_WebSocket_SetClientLimit(MAX_JOBS);
    char *line = NULL;
    size_t capacity = 0;
    while (getline(&line, &capacity, stdin) > 0) {
        long id;
        if (sscanf(line, "abandon %ld", &id) == 1) {  /* the application gives up on it */
            pthread_mutex_lock(&mu);
            struct OH_NetStack_WebsocketClient *client = NULL;
            for (int i = 0; i < MAX_JOBS; i++)
                if (jobs[i].client && jobs[i].id == id) client = jobs[i].client;
            pthread_mutex_unlock(&mu);
            if (client) finish(client);
            continue;
        }
        int close_in_callbacks;
        char url[2048];
        if (sscanf(line, "%ld %d %2047s", &id, &close_in_callbacks, url) != 3) {
            exception(-1, "a job line the driver cannot read");
            continue;
        }
        pthread_mutex_lock(&mu);
        struct job *slot = find(NULL);
        struct OH_NetStack_WebsocketClient *client = NULL;
        if (slot) {
            client = OH_NetStack_WebsocketClient_Construct(on_open, on_message, on_error, on_close);
            if (client) {
                *slot = (struct job){client, id, close_in_callbacks, 0};
                active++;
            }
        }
        pthread_mutex_unlock(&mu);
        if (!client) {
            exception(id, slot ? "Construct returned NULL" : "too many jobs at once");
            continue;
        }
        int rc = OH_NetStack_WebSocketClient_Connect(client, url, client->RequestOptions);
        if (rc != 0) {
            char message[64];
            snprintf(message, sizeof message, "Connect returned %d", rc);
            exception(id, message);
            finish(client);
        }
    }
    free(line);
    pthread_mutex_lock(&mu);
    while (active > 0) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return 0;
}
