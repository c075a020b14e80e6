/**
 * Tracks a server's keep-alive connections between requests, so shutdown can close them while the listener still
 * accepts. A client whose idle connection is closed then reconnects and is still served during the shutdown delay,
 * instead of reusing the connection after the listener has stopped, when the only answer is a reset. Node's
 * closeIdleConnections() does not fit the delay: it also closes connections accepted a moment ago whose first
 * request has not arrived yet, the very connections the delay exists to serve.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export type KeptAliveConnections = {
  /** Closes every connection idle between requests now, and each busy one once its response is sent. */
  closeAll(): number;
};

export function trackKeptAliveConnections(server: Server): KeptAliveConnections {
  const idle = new Set<Socket>();
  // Pipelined requests can overlap on one connection: it is idle only when none is left.
  const active = new WeakMap<Socket, number>();
  let closing = false;
  const endAfterFlush = (socket: Socket) => {
    socket.end();
    socket.once("finish", () => socket.destroy());
  };

  server.on("connection", (socket: Socket) => {
    socket.once("close", () => idle.delete(socket));
  });
  server.on("request", (req, res) => {
    const socket = req.socket;
    idle.delete(socket);
    active.set(socket, (active.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (left > 0 || socket.destroyed) return;
      if (closing) endAfterFlush(socket);
      else idle.add(socket);
    });
  });

  return {
    closeAll() {
      closing = true;
      const count = idle.size;
      for (const socket of idle) socket.destroy();
      idle.clear();
      return count;
    },
  };
}
