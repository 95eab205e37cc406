// A webhook receiver for the integration tests, verifying every delivery
// with an implementation that is not fairtrain's: the official Standard
// Webhooks library (npm `standardwebhooks`) for `v1`, and Node's own
// crypto for `v1a` (Ed25519).
//
//   node tests/receiver/receiver.mjs      prints "listening <port>"
//
// Paths: /r/<name>/<behaviour>, where behaviour is
//   ok             200
//   fail/<n>       500 for the first n requests of each webhook-id, then 200
//   throttle/<n>/<s>  429 with Retry-After: <s> for the first n, then 200
//   gone           410
// Control (the test drives these):
//   POST /__secrets/<name>  {"secrets": ["whsec_..."], "public_key": "whpk_..."}
//   GET  /__log/<name>      every request received for <name>, in order
import http from "node:http";
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

// A test binary keeps its receiver in a static, which is never dropped:
// leave when the process that started us (FAIRTRAIN_TEST_PARENT) is gone.
const parent = Number(process.env.FAIRTRAIN_TEST_PARENT || 0);
if (parent) {
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 500).unref();
}

const keys = new Map(); // name -> { secrets, public_key }
const log = new Map(); // name -> [record]
const seen = new Map(); // name + id -> count

function verifyV1a(publicKey, headers, body) {
  if (!publicKey) return null;
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
  const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
  const key = crypto.createPublicKey({ key: spki, format: "der", type: "spki" });
  const signed = Buffer.from(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`);
  return (headers["webhook-signature"] || "")
    .split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .some((s) => crypto.verify(null, signed, key, Buffer.from(s.slice(4), "base64")));
}

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const parts = req.url.split("/").filter(Boolean);
    if (req.method === "POST" && parts[0] === "__secrets") {
      keys.set(parts[1], JSON.parse(body));
      return reply(res, 204, {});
    }
    if (req.method === "GET" && parts[0] === "__log") {
      return reply(res, 200, log.get(parts[1]) || []);
    }
    if (parts[0] !== "r" || parts.length < 3) return reply(res, 404, { error: "no such path" });
    const [, name, behaviour, a, b] = parts;
    const k = keys.get(name) || { secrets: [] };
    const headers = {
      "webhook-id": req.headers["webhook-id"],
      "webhook-timestamp": req.headers["webhook-timestamp"],
      "webhook-signature": req.headers["webhook-signature"],
    };
    // One verdict per configured secret, by the official library.
    const v1 = k.secrets.map((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch (e) {
        return false;
      }
    });
    const v1a = verifyV1a(k.public_key, headers, body);
    const key = `${name}/${headers["webhook-id"]}`;
    const n = (seen.get(key) || 0) + 1;
    seen.set(key, n);
    let status = 200;
    let extra = {};
    if (behaviour === "fail" && n <= Number(a)) status = 500;
    if (behaviour === "throttle" && n <= Number(a)) {
      status = 429;
      extra = { "retry-after": String(b) };
    }
    if (behaviour === "gone") status = 410;
    if (!v1.some(Boolean)) status = 401;
    const record = {
      id: headers["webhook-id"],
      timestamp: headers["webhook-timestamp"],
      signature: headers["webhook-signature"],
      body,
      v1,
      v1a,
      status,
      n,
      received_ms: Date.now(),
    };
    if (!log.has(name)) log.set(name, []);
    log.get(name).push(record);
    reply(res, status, { received: status === 200 }, extra);
  });
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
