from brownie import CTSForwarder, accounts, chain, web3


def test_forwarder_deploys_with_its_eip712_domain():
    forwarder = CTSForwarder.deploy({"from": accounts[0]})
    domain = forwarder.eip712Domain()
    assert domain["name"] == "CTSForwarder"
    assert domain["chainId"] == chain.id
    assert domain["verifyingContract"] == forwarder.address
    assert web3.eth.get_code(forwarder.address) != b""
