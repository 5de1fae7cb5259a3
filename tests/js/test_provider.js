// An EIP-1193 provider for browser tests, injected with page.add_init_script after ethers' UMD build:
// window.ethereum answers eth_requestAccounts and signs eth_signTypedData_v4 with a private key
// (window.__ctsTestWalletKey), as MetaMask would after the person confirms. No network.
(function () {
  "use strict";
  var wallet = new ethers.Wallet(window.__ctsTestWalletKey);
  window.ethereum = {
    isCtsTestProvider: true,
    request: async function (args) {
      var method = args.method;
      var params = args.params || [];
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [wallet.address];
      if (method === "eth_signTypedData_v4") {
        if (params[0].toLowerCase() !== wallet.address.toLowerCase()) throw new Error("unknown account");
        var typed = JSON.parse(params[1]);
        var types = Object.assign({}, typed.types);
        delete types.EIP712Domain; // ethers derives it from the domain, as MetaMask does
        return wallet.signTypedData(typed.domain, types, typed.message);
      }
      var error = new Error("The test provider does not support " + method);
      error.code = 4200;
      throw error;
    },
  };
})();
