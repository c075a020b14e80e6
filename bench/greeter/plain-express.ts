/**
 * Benchmark framework ceiling: plain Express 5 with express.json() and the same greeting handler, without
 * metrics, validation or logging. Listens on PORT; prints nothing.
 */
import express from "express";

const app = express();
app.use(express.json());
app.post("/echo-name", (req, res) => {
  res.json({ message: `Hello, ${(req.body as { name: string }).name}` });
});
app.listen(Number(process.env.PORT ?? 8080), "127.0.0.1");
