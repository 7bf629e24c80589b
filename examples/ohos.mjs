// The OpenHarmony face: code written for @ohos.net.webSocket, with only the import changed
// (`import { webSocket } from '@kit.NetworkKit'` on OpenHarmony).
// Run: node examples/ohos.mjs ws://127.0.0.1:8080   (an echo server)
import { webSocket } from 'netstack-websocket';

const defaultIpAddress = process.argv[2] ?? 'ws://127.0.0.1:8080';
const ws = webSocket.createWebSocket();

ws.on('open', (err, value) => {
  if (err != undefined) {
    console.log(JSON.stringify(err));
    return;
  }
  console.log(`on open, status:${value['status']}, message:${value['message']}`);
  ws.send('Hello, server!', (err, value) => {
    if (!err) console.log('send success');
    else console.log(`send fail, err:${JSON.stringify(err)}`);
  });
});
ws.on('message', (err, value) => {
  console.log(`on message, message:${value}`);
  ws.close((err, value) => {
    if (!err) console.log('close success');
    else console.log(`close fail, err is ${JSON.stringify(err)}`);
  });
});
ws.on('close', (err, value) => {
  console.log(`on close, code is ${value.code}, reason is ${value.reason}`);
});
ws.on('error', (err) => {
  console.log(`on error, error:${JSON.stringify(err)}`);
});
ws.connect(defaultIpAddress, { header: { name1: 'value1' }, protocol: 'my-protocol' }, (err, value) => {
  if (!err) console.log('connect success');
  else console.log(`connect fail, err:${JSON.stringify(err)}`);
});
