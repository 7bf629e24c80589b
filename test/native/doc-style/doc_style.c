/*
 * doc_style.c - a client written the way OpenHarmony's documentation and its own NDK unit
 * tests write one: static callbacks declared with the bare type names (no `struct` on the
 * parameter types), for both generations of names (OH_NetStack_*: OpenHarmony's draft
 * names; OH_WebSocketClient_* / WebSocket_*: the released API 11 ones). It must compile
 * unchanged as C11 and as C++17 (test/native/run-c-examples.mjs builds it both ways with
 * -Wall -Wextra -Werror) and echo one message with each generation against the URL given.
 *
 *   ./doc_style ws://127.0.0.1:8080/
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net_websocket.h"

static volatile int g_draftDone = 0;
static volatile int g_releasedDone = 0;
static volatile int g_failures = 0;

/* ---- the draft names, as in OpenHarmony's documentation ---- */

static void OnOpen(struct OH_NetStack_WebsocketClient *client, OH_NetStack_WebsocketClient_OpenResult openResult)
{
    printf("draft: open %u %s\n", openResult.code, openResult.reason);
    char text[] = "draft names";
    OH_NetStack_WebSocketClient_Send(client, text, strlen(text));
}

static void OnMessage(struct OH_NetStack_WebsocketClient *client, char *data, uint32_t length)
{
    printf("draft: message %.*s\n", (int)length, data);
    if (length != strlen("draft names") || memcmp(data, "draft names", length) != 0) g_failures++;
    OH_NetStack_WebsocketClient_CloseOption option = { 1000, "done" };
    OH_NetStack_WebSocketClient_Close(client, option);
}

static void OnError(struct OH_NetStack_WebsocketClient *client, OH_NetStack_WebsocketClient_ErrorResult errorResult)
{
    (void)client;
    printf("draft: error %u %s\n", errorResult.errorCode, errorResult.errorMessage);
    g_failures++;
}

static void OnClose(struct OH_NetStack_WebsocketClient *client, OH_NetStack_WebsocketClient_CloseResult closeResult)
{
    (void)client;
    printf("draft: close %u %s\n", closeResult.code, closeResult.reason);
    g_draftDone = 1;
}

/* ---- the released API 11 names ---- */

static void OnOpenV2(struct WebSocket *client, WebSocket_OpenResult openResult)
{
    printf("released: open %u %s\n", openResult.code, openResult.reason);
    char text[] = "released names";
    OH_WebSocketClient_Send(client, text, strlen(text));
}

static void OnMessageV2(struct WebSocket *client, char *data, uint32_t length)
{
    printf("released: message %.*s\n", (int)length, data);
    if (length != strlen("released names") || memcmp(data, "released names", length) != 0) g_failures++;
    WebSocket_CloseOption option = { 1000, "done" };
    OH_WebSocketClient_Close(client, option);
}

static void OnErrorV2(struct WebSocket *client, WebSocket_ErrorResult errorResult)
{
    (void)client;
    printf("released: error %u %s\n", errorResult.errorCode, errorResult.errorMessage);
    g_failures++;
}

static void OnCloseV2(struct WebSocket *client, WebSocket_CloseResult closeResult)
{
    (void)client;
    printf("released: close %u %s\n", closeResult.code, closeResult.reason);
    g_releasedDone = 1;
}

static int WaitFor(volatile int *flag)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 1000 && !*flag; i++) nanosleep(&tick, NULL);
    return *flag;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ws://host:port/\n", argv[0]);
        return 2;
    }
    OH_NetStack_WebsocketClient *client = OH_NetStack_WebsocketClient_Construct(OnOpen, OnMessage, OnError, OnClose);
    OH_NetStack_WebsocketClient_Slist header = { "X-Example", "doc_style", NULL };
    OH_NetStack_WebsocketClient_RequestOptions options = { NULL };
    int ret = OH_NetStack_WebSocketClient_AddHeader(client, header);
    ret |= OH_NetStack_WebSocketClient_Connect(client, argv[1], options);
    if (ret != Websocket_OK || !WaitFor(&g_draftDone)) g_failures++;
    OH_NetStack_WebsocketClient_Destroy(client);

    WebSocket *released = OH_WebSocketClient_Constructor(OnOpenV2, OnMessageV2, OnErrorV2, OnCloseV2);
    WebSocket_Header header2 = { "X-Example", "doc_style", NULL };
    WebSocket_RequestOptions options2 = { NULL };
    ret = OH_WebSocketClient_AddHeader(released, header2);
    ret |= OH_WebSocketClient_Connect(released, argv[1], options2);
    if (ret != WEBSOCKET_OK || !WaitFor(&g_releasedDone)) g_failures++;
    OH_WebSocketClient_Destroy(released);

    printf("%s\n", g_failures == 0 ? "doc_style: ok" : "doc_style: FAILED");
    return g_failures == 0 ? 0 : 1;
}
