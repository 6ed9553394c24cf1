import type { ResourcePlugin } from '../context.js';
import type { Hub } from './hub.js';

/** `GET /ws`: the WebSocket endpoint; the protocol is documented in `protocol.ts`. */
export const wsRoutes: ResourcePlugin<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/ws',
    { websocket: true, schema: { hide: true, summary: 'WebSocket: candles and status channels' } },
    (socket) => {
      const connection = hub.connect(socket);
      // Binary frames are read as UTF-8 text too: the protocol is JSON either way.
      socket.on('message', (data) => connection.receive(data.toString()));
      socket.on('close', () => connection.close());
      socket.on('error', (error) => {
        app.log.debug({ err: error }, 'WebSocket client error');
        connection.close();
      });
    },
  );
};
