/**
 * DynamoDB Local's port is chosen before java binds it and can be seen in `ps`: another local user
 * could bind it first and read the access key id (the store's only secret) from our first signed
 * request. The launcher sends nothing until /proc says the listening socket is its own java's.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, portListener, startDynamoDbLocal } from '../../lib/local/dynamodb-local.ts';

let impostor: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => (impostor ? impostor.close(r) : r(undefined)));
  impostor = undefined;
});

describe('a port someone else holds', () => {
  it('is refused before any request, so the access key id never reaches the impostor', async () => {
    const port = await freePort();
    let received = '';
    impostor = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    });
    await new Promise<void>((r) => impostor!.listen(port, '127.0.0.1', () => r()));
    expect(portListener(port, process.pid)).toBe('ours');

    const credentials = { accessKeyId: 'PGTESTSECRETKEYID0001', secretAccessKey: 'x'.repeat(40) };
    await expect(startDynamoDbLocal({ port, credentials })).rejects.toThrow(/held by another process|exited during start-up/);
    expect(received).toBe('');
  }, 60_000);

  it('tells its own listener from nobody and from another process', async () => {
    const port = await freePort();
    expect(portListener(port, process.pid)).toBe('none');
    impostor = createServer();
    await new Promise<void>((r) => impostor!.listen(port, '127.0.0.1', () => r()));
    expect(portListener(port, process.pid)).toBe('ours');
    expect(portListener(port, 1)).toBe('other');
  });
});
