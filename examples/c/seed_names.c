/*
 * seed_names.c - a WebSocket echo client written against the OpenHarmony NetStack C API
 * with the names of OpenHarmony's draft of the API (OH_NetStack_WebsocketClient_*; the released
 * API 11 names are in later_names.c), as on an OpenHarmony device:
 * the same source builds with the OpenHarmony NDK (libnet_websocket.so) and, here, with
 * netstack-websocket's libnet_websocket.so:
 *
 *   cc seed_names.c $(pkg-config --cflags --libs net_websocket) -o seed_names
 *   ./seed_names ws://127.0.0.1:8080/ [message]
 *
 * It connects (with one extra request header), sends the message, waits for the echo,
 * closes with 1000 and destroys the client. Callbacks come from the library's own thread,
 * so main() waits on a condition variable. Exit status 0 when the echo matched.
 */
#include <network/netstack/net_websocket.h>
#include <network/netstack/net_websocket_type.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_finished = 0;
static int g_echoOk = 0;
static uint32_t g_closeCode = 0;
static char g_message[256] = "hello from seed_names";

static void Finish(void)
{
    pthread_mutex_lock(&g_lock);
    g_finished = 1;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void OnOpen(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_OpenResult openResult)
{
    printf("onOpen: code=%u reason=%s\n", openResult.code, openResult.reason ? openResult.reason : "");
    int ret = OH_NetStack_WebSocketClient_Send(client, g_message, strlen(g_message));
    if (ret != Websocket_OK) {
        printf("Send failed: %d\n", ret);
    }
}

static void OnMessage(struct OH_NetStack_WebsocketClient *client, char *data, uint32_t length)
{
    printf("onMessage: %u bytes: %.*s\n", length, (int)length, data);
    pthread_mutex_lock(&g_lock);
    g_echoOk = (length == strlen(g_message) && memcmp(data, g_message, length) == 0);
    pthread_mutex_unlock(&g_lock);

    struct OH_NetStack_WebsocketClient_CloseOption option;
    option.code = 1000;
    option.reason = "done";
    int ret = OH_NetStack_WebSocketClient_Close(client, option);
    if (ret != Websocket_OK) {
        printf("Close failed: %d\n", ret);
    }
}

static void OnError(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_ErrorResult errorResult)
{
    (void)client;
    printf("onError: code=%u message=%s\n", errorResult.errorCode,
           errorResult.errorMessage ? errorResult.errorMessage : "");
    Finish(); /* nothing more to wait for (onClose may still follow) */
}

static void OnClose(struct OH_NetStack_WebsocketClient *client, struct OH_NetStack_WebsocketClient_CloseResult closeResult)
{
    (void)client;
    printf("onClose: code=%u reason=%s\n", closeResult.code, closeResult.reason ? closeResult.reason : "");
    pthread_mutex_lock(&g_lock);
    g_closeCode = closeResult.code;
    pthread_mutex_unlock(&g_lock);
    Finish();
}

int main(int argc, char *argv[])
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ws://host:port/path [message]\n", argv[0]);
        return 2;
    }
    if (argc > 2) {
        snprintf(g_message, sizeof(g_message), "%s", argv[2]);
    }

    struct OH_NetStack_WebsocketClient *client =
        OH_NetStack_WebsocketClient_Construct(OnOpen, OnMessage, OnError, OnClose);
    if (client == NULL) {
        printf("Construct failed\n");
        return 1;
    }

    struct OH_NetStack_WebsocketClient_Slist header;
    header.FieldName = "X-Example";
    header.FieldValue = "seed_names";
    header.next = NULL;
    int ret = OH_NetStack_WebSocketClient_AddHeader(client, header);
    if (ret != Websocket_OK) {
        printf("AddHeader failed: %d\n", ret);
    }

    ret = OH_NetStack_WebSocketClient_Connect(client, argv[1], client->RequestOptions);
    printf("Connect: %d\n", ret);
    if (ret == Websocket_OK) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 10;
        pthread_mutex_lock(&g_lock);
        int rc = 0;
        while (!g_finished && rc != ETIMEDOUT) {
            rc = pthread_cond_timedwait(&g_cond, &g_lock, &deadline);
        }
        pthread_mutex_unlock(&g_lock);
        if (!g_finished) {
            printf("timed out\n");
        }
    }

    ret = OH_NetStack_WebsocketClient_Destroy(client);
    printf("Destroy: %d\n", ret);

    pthread_mutex_lock(&g_lock);
    int ok = g_finished && g_echoOk && g_closeCode == 1000;
    pthread_mutex_unlock(&g_lock);
    printf("%s\n", ok ? "echo ok" : "echo FAILED");
    return ok ? 0 : 1;
}
