/**
 * Tracks a server's keep-alive connections, so shutdown can move their clients to new connections while the
 * listener still accepts, without resetting a request. Closing a connection between requests races with the
 * client: one that sends its next request as the close is on its way gets a reset, and loses that request.
 * So a connection is closed only where the client cannot be caught out:
 * - one whose request is in flight answers with `Connection: close`, and the client does not reuse it;
 * - one idle between requests is closed only after it has stayed idle for `idleMs`. A client that sends often
 *   reuses it first and is answered with `Connection: close` (instrument.ts sets it on every request once
 *   draining); one that has not sent for that long is unlikely to send in the moment the close takes.
 * Node's closeIdleConnections() does neither: it also closes, at once, connections accepted a moment ago whose
 * first request has not arrived yet, the very connections the shutdown delay exists to serve.
 */
import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type KeptAliveConnections = {
  /** From now on, ends every connection after its answer, and closes each idle one once idle for `idleMs`. */
  closeWhenIdle(idleMs: number): void;
};

/**
 * One per connection, updated in place on every request. Nothing here adds to or deletes from a long-lived
 * Map or Set per request: V8 allocates the rehashed table of an old-generation Map or Set straight in the old
 * generation, so that churn filled it at the request rate and set the pace of full collections
 * (docs/greeter.md#performance).
 */
type Connection = {
  socket: Socket;
  /** Responses not yet closed; more than one only when requests are pipelined. */
  inFlight: ServerResponse[];
  /** The number of its current idle period, or 0 while a request is in flight or none has come yet. */
  idlePeriod: number;
};

export function trackKeptAliveConnections(server: Server): KeptAliveConnections {
  // Changes once per connection, not per request.
  const connections = new Set<Connection>();
  const bySocket = new WeakMap<Socket, Connection>();
  let idlePeriods = 0;
  let closing = false;
  const endAfterFlush = (socket: Socket) => {
    socket.end();
    socket.once("finish", () => socket.destroy());
  };
  const closeUnlessUsed = (connection: Connection, since: number, idleMs: number) => {
    const timer = setTimeout(() => {
      if (connection.idlePeriod === since) connection.socket.destroy();
    }, idleMs);
    timer.unref();
  };

  const track = (socket: Socket): Connection => {
    const connection: Connection = { socket, inFlight: [], idlePeriod: 0 };
    connections.add(connection);
    bySocket.set(socket, connection);
    socket.once("close", () => {
      connection.idlePeriod = 0;
      connections.delete(connection);
    });
    return connection;
  };

  server.on("connection", track);
  server.on("request", (req, res: ServerResponse) => {
    // A connection accepted before this tracker was installed is tracked from its next request.
    const connection = bySocket.get(req.socket) ?? track(req.socket);
    connection.idlePeriod = 0;
    connection.inFlight.push(res);
    res.on("close", () => {
      const { inFlight, socket } = connection;
      const i = inFlight.indexOf(res);
      if (i !== -1) {
        if (i === inFlight.length - 1) inFlight.pop();
        else inFlight.splice(i, 1);
      }
      // Pipelined requests can overlap on one connection: it is idle only when none is left.
      if (inFlight.length > 0 || socket.destroyed) return;
      // An answer sent while closing carried `Connection: close`, so Node ends its connection itself; this only
      // catches one whose headers had gone out before.
      if (closing) endAfterFlush(socket);
      else connection.idlePeriod = ++idlePeriods;
    });
  });

  return {
    closeWhenIdle(idleMs) {
      closing = true;
      for (const connection of connections) {
        for (const res of connection.inFlight) if (!res.headersSent) res.setHeader("connection", "close");
        const since = connection.idlePeriod;
        if (since === 0) continue;
        if (idleMs <= 0) {
          connection.idlePeriod = 0;
          connection.socket.destroy();
        } else closeUnlessUsed(connection, since, idleMs);
      }
    },
  };
}
