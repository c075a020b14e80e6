/** The traffic a user would send a greeter: greetings in all three input forms, and client mistakes. */

/** One round: 4 greetings and 5 client errors (400, 400, 415, 405, 404). */
export async function sendRound(url: string): Promise<void> {
  const json = { "content-type": "application/json" };
  const requests: Array<[string, RequestInit]> = [
    ["/echo-name", { method: "POST", headers: json, body: JSON.stringify({ name: "Ada" }) }],
    ["/echo-name", { method: "POST", headers: json, body: JSON.stringify({ name: "Zoë" }) }],
    ["/echo-name", { method: "POST", body: new URLSearchParams({ name: "Ayşe" }) }],
    ["/echo-name?name=Li", { method: "POST" }],
    ["/echo-name", { method: "POST", headers: json, body: "{}" }], // 400: no name
    ["/echo-name", { method: "POST", headers: json, body: "{not json" }], // 400: malformed JSON
    ["/echo-name", { method: "POST", headers: { "content-type": "text/xml" }, body: "<n/>" }], // 415
    ["/echo-name", { method: "GET" }], // 405
    ["/wp-login.php", { method: "GET" }], // 404, one route value for every unknown path
  ];
  await Promise.all(requests.map(([path, init]) => fetch(url + path, init).then((r) => r.arrayBuffer())));
}

/** Rounds against every greeter, `pauseMs` apart, until the returned stop() is awaited. */
export function startTraffic(urls: string[], pauseMs = 100): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      await Promise.all(urls.map((url) => sendRound(url)));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}
