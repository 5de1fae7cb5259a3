/* What the in-browser verifier reads from the chain, with ethers.js (the UMD build inlined in the page):
   a round's events from eth_getLogs in pages, and the vote contract's views at one block; for a round under
   the co-financing rule, the money pledged to its projects from CoFinancing's events. The ABIs are written
   here from contracts/interfaces/IBalancedVote.sol and ICoFinancing.sol, not taken from the service. */
(function (root) {
  "use strict";
  var ethers = root.ethers;
  var RULES =
    "tuple(uint8 rule, uint16 minProjectsPerBallot, uint16 maxProjectsPerBallot, uint64 maxCreditsPerProject, " +
    "bool coFinanced)";
  var PARAMS =
    "tuple(uint128 fundKopiyky, uint40 pitchStart, uint40 pitchEnd, uint40 screenEnd, uint40 voteEnd, " +
    "uint16 maxProjects, bytes32 metadataHash, " + RULES + " rules)";
  var ABI = [
    "event RoundCreated(uint256 indexed roundId, " + PARAMS + " params)",
    "event RulesSet(uint256 indexed roundId, " + RULES + " rules)",
    "event ProjectPitched(uint256 indexed roundId, uint256 indexed projectId, uint256 indexed proposerId, " +
      "address proposer, uint256 askKopiyky, bytes32 metadataHash, uint256 loanId)",
    "event ProjectScreened(uint256 indexed roundId, uint256 indexed projectId, bool eligible, uint16 reasonCode)",
    "event BallotCast(uint256 indexed roundId, uint256 indexed residentId, address indexed voter, " +
      "uint256[] projectIds, uint256[] credits, uint256 totalCredits)",
    "event ProjectFunded(uint256 indexed roundId, uint256 indexed projectId, uint256 weight, uint256 fundedKopiyky)",
    "event RoundFinalised(uint256 indexed roundId, uint256 totalFundedKopiyky, uint256 unallocatedKopiyky, uint256 rvBurned)",
    "event RoundCancelled(uint256 indexed roundId, uint256 escrowedToRefund)",
    "function roundCount() view returns (uint256)",
    "function round(uint256 roundId) view returns (tuple(" + PARAMS + " params, uint16 projectCount, bool finalised, " +
      "bool cancelled, uint64 voters, uint128 escrowed, uint128 totalFunded, uint128 rvBurned))",
    "function project(uint256 roundId, uint256 projectId) view returns (tuple(uint64 proposerId, address proposer, " +
      "uint128 askKopiyky, bytes32 metadataHash, uint8 status, uint16 reasonCode, uint64 loanId, uint128 funded))",
    "function tally(uint256 roundId, uint256 projectId) view returns (tuple(uint128 weight, uint64 credits, uint64 supporters))",
    "function previewAllocation(uint256 roundId) view returns (uint256[] funded, uint256 total)",
    "function coFinancing() view returns (address)",
  ];
  var CO_FINANCING_ABI = [
    "event Pledged(uint256 indexed roundId, uint256 indexed projectId, uint256 indexed partnerId, uint256 pledgeId, " +
      "uint8 kind, uint256 valueKopiyky, bool conditional, bytes32 agreementHash)",
    "event PledgeCancelled(uint256 indexed pledgeId, uint256 indexed roundId, uint256 indexed projectId)",
  ];
  var TIMEOUT_MS = 30000;
  var MAX_CHUNK = 5000; // blocks per eth_getLogs; halved when a node refuses a range, down to one block

  /** A problem the page explains in the reader's language: `code` names the message, `values` fill it. */
  function VerifyError(code, values) {
    this.name = "VerifyError";
    this.code = code;
    this.values = values || {};
    this.message = code;
  }
  VerifyError.prototype = Object.create(Error.prototype);

  function detail(error) {
    var text = (error && (error.shortMessage || error.message)) || String(error);
    return text.length > 200 ? text.slice(0, 200) + "…" : text;
  }

  function checkUrl(url) {
    var parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      throw new VerifyError("rpc_url_invalid", { url: url });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new VerifyError("rpc_url_invalid", { url: url });
    }
  }

  // One eth_chainId through ethers' own FetchRequest: a node that does not answer is one clear error,
  // where a provider would keep retrying to detect its network.
  async function chainIdAt(url) {
    var request = new ethers.FetchRequest(url);
    request.timeout = TIMEOUT_MS;
    request.setHeader("content-type", "application/json");
    request.body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    var response;
    try {
      response = await request.send();
    } catch (error) {
      throw new VerifyError("rpc_unreachable", { url: url, detail: detail(error) });
    }
    var body = null;
    try {
      body = JSON.parse(response.bodyText);
    } catch (_) {
      body = null;
    }
    if (!response.ok() || !body || body.result == null) {
      throw new VerifyError("rpc_unreachable", { url: url, detail: "HTTP " + response.statusCode });
    }
    return BigInt(body.result);
  }

  /** A connection to the node at `url`, checked to be the manifest's chain (when the manifest names one). */
  async function connect(url, expectedChainId) {
    checkUrl(url);
    var chainId = await chainIdAt(url);
    if (expectedChainId != null && BigInt(expectedChainId) !== chainId) {
      throw new VerifyError("chain_mismatch", { expected: String(expectedChainId), found: String(chainId) });
    }
    var request = new ethers.FetchRequest(url);
    request.timeout = TIMEOUT_MS;
    var provider = new ethers.JsonRpcProvider(request, ethers.Network.from(chainId), {
      staticNetwork: ethers.Network.from(chainId),
      batchMaxCount: 1,
    });
    return {
      provider: provider,
      chainId: chainId,
      iface: new ethers.Interface(ABI),
      coIface: new ethers.Interface(CO_FINANCING_ABI),
    };
  }

  async function call(what, promise) {
    try {
      return await promise;
    } catch (error) {
      throw new VerifyError("rpc_failed", { what: what, detail: detail(error) });
    }
  }

  function roundTopic(roundId) {
    return ethers.zeroPadValue(ethers.toBeHex(roundId), 32);
  }

  /** Every log of the round (address = the vote contract, first topic after the event = the round id), in
      chain order, decoded. */
  async function roundLogs(node, address, roundId, fromBlock, toBlock, progress) {
    return logsOf(node, node.iface, address, [null, roundTopic(roundId)], fromBlock, toBlock, progress);
  }

  /** The round's money pledges and their cancellations from the hromada's CoFinancing (the vote names it),
      in chain order: what the co-financing rule subtracts from each project's ask. */
  async function pledgeLogs(node, voteAddress, roundId, fromBlock, toBlock, progress) {
    var vote = new ethers.Contract(voteAddress, ABI, node.provider);
    var address = await call("coFinancing", vote.coFinancing());
    var topic = roundTopic(roundId);
    var pledged = node.coIface.getEvent("Pledged").topicHash;
    var cancelled = node.coIface.getEvent("PledgeCancelled").topicHash;
    var made = await logsOf(node, node.coIface, address, [pledged, topic], fromBlock, toBlock, progress);
    var gone = await logsOf(node, node.coIface, address, [cancelled, null, topic], fromBlock, toBlock, progress);
    return made.concat(gone).sort(function (a, b) { return a.block - b.block || a.index - b.index; });
  }

  /** Logs of `address` matching `topics`, decoded with `iface`, in chain order; read in pages of blocks that
      shrink when the node refuses and grow again after. */
  async function logsOf(node, iface, address, topics, fromBlock, toBlock, progress) {
    var found = [];
    var size = MAX_CHUNK;
    var start = fromBlock;
    while (start <= toBlock) {
      var end = Math.min(toBlock, start + size - 1);
      progress(start, end, toBlock);
      var page;
      try {
        page = await node.provider.getLogs({ address: address, topics: topics, fromBlock: start, toBlock: end });
      } catch (error) {
        if (size > 1) {
          size = Math.max(1, Math.floor(size / 2));
          continue;
        }
        throw new VerifyError("rpc_failed", { what: "eth_getLogs", detail: detail(error) });
      }
      found.push.apply(found, page);
      start = end + 1;
      if (page.length < 1000) size = Math.min(MAX_CHUNK, size * 2);
    }
    found.sort(function (a, b) { return a.blockNumber - b.blockNumber || a.index - b.index; });
    var decoded = [];
    found.forEach(function (log) {
      var parsed = iface.parseLog({ topics: log.topics, data: log.data });
      if (parsed) {
        decoded.push({ name: parsed.name, args: parsed.args, block: log.blockNumber, index: log.index, tx: log.transactionHash });
      }
    });
    return decoded;
  }

  /** The contract's own figures for the round at block `tag`: round, each project and tally, the preview. */
  async function roundViews(node, address, roundId, tag) {
    var vote = new ethers.Contract(address, ABI, node.provider);
    var options = { blockTag: tag };
    var count = await call("roundCount", vote.roundCount(options));
    if (roundId < 1n || roundId > count) throw new VerifyError("round_unknown", { round: String(roundId), count: String(count) });
    var round = await call("round", vote.round(roundId, options));
    var projects = [];
    for (var id = 1n; id <= BigInt(round.projectCount); id++) {
      var project = await call("project", vote.project(roundId, id, options));
      var tally = await call("tally", vote.tally(roundId, id, options));
      projects.push({ project: project, tally: tally });
    }
    var preview = await call("previewAllocation", vote.previewAllocation(roundId, options));
    return { round: round, projects: projects, preview: Array.from(preview.funded) };
  }

  async function headBlock(node) {
    return call("eth_blockNumber", node.provider.getBlockNumber());
  }

  root.CTSVerifyChain = {
    VerifyError: VerifyError,
    connect: connect,
    roundLogs: roundLogs,
    pledgeLogs: pledgeLogs,
    roundViews: roundViews,
    headBlock: headBlock,
    isAddress: function (value) { return ethers.isAddress(value); },
  };
})(typeof globalThis !== "undefined" ? globalThis : this);
