/**
 * Benchmark ceiling: a bare node:http server doing the greeter's work for a JSON POST /echo-name (read the
 * body up to 1 KiB, parse it, trim and check the name, answer the greeting) with no framework, metrics or
 * logging. Listens on PORT; prints nothing.
 */
import { createServer } from "node:http";

const LIMIT = 1024;
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function reply(res: import("node:http").ServerResponse, status: number, body: string) {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/echo-name") return reply(res, 404, '{"error":"not found"}');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= LIMIT) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > LIMIT) return reply(res, 413, '{"error":"too large"}');
    let name: unknown;
    try {
      name = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { name?: unknown }).name;
    } catch {
      return reply(res, 400, '{"error":"bad json"}');
    }
    if (typeof name !== "string") return reply(res, 400, '{"error":"name required"}');
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 256 || FORBIDDEN.test(trimmed)) {
      return reply(res, 400, '{"error":"invalid name"}');
    }
    reply(res, 200, JSON.stringify({ message: `Hello, ${trimmed}` }));
  });
});
server.listen(Number(process.env.PORT ?? 8080), "127.0.0.1");
