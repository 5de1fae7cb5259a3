from web3 import Web3

from cts.chain.artifacts import ArtifactNotFoundError, load_artifact
from cts.cli import main


def test_backend_deploys_from_brownie_artifacts(w3: Web3) -> None:
    artifact = load_artifact("CTSForwarder")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor().transact({"from": w3.eth.accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    forwarder = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    domain = forwarder.functions.eip712Domain().call()
    assert domain[1] == "CTSForwarder"
    assert domain[3] == w3.eth.chain_id
    # The runtime code on chain is the compiled one (same length: immutables are filled in at deployment).
    on_chain = w3.eth.get_code(receipt["contractAddress"]).to_0x_hex()
    assert len(on_chain) == len(artifact.deployed_bytecode)


def test_missing_artifact_says_how_to_build_it() -> None:
    try:
        load_artifact("NoSuchContract")
    except ArtifactNotFoundError as error:
        assert "make setup" in str(error)
    else:
        raise AssertionError("a missing artifact must raise")


def test_cli_reports_the_chain(node, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["chain-status", "--rpc", node.url]) == 0
    assert "chain id 1337" in capsys.readouterr().out


def test_cli_says_clearly_when_no_chain_answers(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["chain-status", "--rpc", "http://127.0.0.1:9"]) == 2
    assert "no chain answers" in capsys.readouterr().err
