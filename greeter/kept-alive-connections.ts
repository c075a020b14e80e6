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

export function trackKeptAliveConnections(server: Server): KeptAliveConnections {
  // Each idle connection, with a number that tells this idle period from its later ones.
  const idleSince = new Map<Socket, number>();
  let idlePeriods = 0;
  const inFlight = new Set<ServerResponse>();
  // Pipelined requests can overlap on one connection: it is idle only when none is left.
  const active = new WeakMap<Socket, number>();
  let closing = false;
  const endAfterFlush = (socket: Socket) => {
    socket.end();
    socket.once("finish", () => socket.destroy());
  };
  const closeUnlessUsed = (socket: Socket, since: number, idleMs: number) => {
    const timer = setTimeout(() => {
      if (idleSince.get(socket) !== since) return;
      idleSince.delete(socket);
      socket.destroy();
    }, idleMs);
    timer.unref();
  };

  server.on("connection", (socket: Socket) => {
    socket.once("close", () => idleSince.delete(socket));
  });
  server.on("request", (req, res: ServerResponse) => {
    const socket = req.socket;
    idleSince.delete(socket);
    inFlight.add(res);
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.on("close", () => {
      inFlight.delete(res);
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (left > 0 || socket.destroyed) return;
      // An answer sent while closing carried `Connection: close`, so Node ends its connection itself; this only
      // catches one whose headers had gone out before.
      if (closing) endAfterFlush(socket);
      else idleSince.set(socket, ++idlePeriods);
    });
  });

  return {
    closeWhenIdle(idleMs) {
      closing = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader("connection", "close");
      for (const [socket, since] of idleSince) {
        if (idleMs <= 0) {
          idleSince.delete(socket);
          socket.destroy();
        } else closeUnlessUsed(socket, since, idleMs);
      }
    },
  };
}
