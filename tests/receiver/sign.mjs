// Signs an inbound test event the way a marketplace or processor would,
// with code that is not fairtrain's:
//   node sign.mjs standard <whsec_...> <msg_id> <unix_seconds>   (body on stdin)
//     -> the webhook-signature value, by the official standardwebhooks library
//   node sign.mjs stripe <secret> <unix_seconds>                 (body on stdin)
//     -> a Stripe-Signature value, by Node's crypto
import crypto from "node:crypto";
import { Webhook } from "standardwebhooks";

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const body = Buffer.concat(chunks).toString("utf8");
  const [mode, secret, a, b] = process.argv.slice(2);
  if (mode === "standard") {
    process.stdout.write(new Webhook(secret).sign(a, new Date(Number(b) * 1000), body));
  } else if (mode === "stripe") {
    const mac = crypto.createHmac("sha256", secret).update(`${a}.${body}`).digest("hex");
    process.stdout.write(`t=${a},v1=${mac}`);
  } else {
    process.exit(2);
  }
});
