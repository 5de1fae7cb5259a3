// Sign a ForwardRequest with ethers v6 as MetaMask does (eth_signTypedData_v4 semantics), from the
// service's wallet request template alone, relay it, and wait until it ran.
//
//   node tests/js/sign_and_relay.mjs <base URL> <hromada slug> <bearer token> <private key> <function> '<args JSON>'
//
// The function is looked up by name in the template's `functions` (its contract address and ABI); the
// call is encoded with that ABI. Prints one JSON line: {"request": ..., "action": ...}. Exits 1 on error.
import { Interface, Wallet } from "ethers";

const [base, slug, token, key, name, argsJson] = process.argv.slice(2);
const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };

async function api(path, init = {}) {
  const response = await fetch(base + path, { ...init, headers: { ...headers, ...(init.headers || {}) } });
  const body = await response.json();
  if (!response.ok) throw new Error(`${init.method || "GET"} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const template = `/api/h/${slug}/wallet/request-template`;
const wallet = new Wallet(key);

// 1. What may this person call? Encode the call with the ABI the service gives.
const general = await api(template);
const fn = general.functions.find((f) => f.abi.name === name);
if (!fn) throw new Error(`the template offers no function ${name}`);
const data = new Interface([fn.abi]).encodeFunctionData(name, JSON.parse(argsJson));

// 2. The request to sign for this call: gas simulated by the service, next nonce, deadline on chain time.
const query = new URLSearchParams({ to: fn.address, data });
const filled = await api(`${template}?${query}`);
if (filled.signer !== wallet.address) throw new Error(`the linked wallet is ${filled.signer}`);

// 3. Sign: ethers' signTypedData takes the types without EIP712Domain, as MetaMask builds it from the domain.
const signature = await wallet.signTypedData(filled.domain, filled.types, filled.message);
const body = { ...filled.message, signature };
const queued = await api(filled.relay_url, {
  method: "POST",
  headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
  body: JSON.stringify(body),
});

// 4. Follow the action until it ran (or failed).
let action = queued;
for (let i = 0; i < 300 && !["confirmed", "failed", "expired"].includes(action.status); i++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  action = await api(`/api/actions/${queued.id}`);
}
console.log(JSON.stringify({ request: body, action }));
if (action.status !== "confirmed") process.exit(1);
