from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cts.errors import KeyDecryptionError


def operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["paths"][path][method]
    return found


def header_names(op: dict[str, Any]) -> set[str]:
    return {parameter["name"] for parameter in op.get("parameters", []) if parameter["in"] == "header"}


def test_the_openapi_schema_describes_the_api(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "CTS"
    assert {
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/h/{slug}/users",
    } <= set(schema["paths"])
    assert set(schema["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyCookie"}


def test_mutating_operations_document_the_idempotency_key_and_login_does_not(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for method, path in (
        ("post", "/api/auth/signup"),
        ("post", "/api/auth/logout"),
        ("post", "/api/h/{slug}/users"),
    ):
        assert "Idempotency-Key" in header_names(operation(schema, method, path)), path
    assert "Idempotency-Key" not in header_names(operation(schema, "post", "/api/auth/login"))


def test_documented_errors_have_our_shape(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    responses = operation(schema, "post", "/api/h/{slug}/users")["responses"]
    assert responses["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorPublic")
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ValidationErrorPublic"
    )


def test_no_public_schema_has_a_field_for_secrets(client: TestClient) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("UserPublic", "SessionPublic"):
        fields = set(schemas[name]["properties"])
        assert not {field for field in fields if "key" in field or "hash" in field or "password" in field}, (
            name
        )


def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "code": "not_found"}


def test_a_wrong_method_is_a_json_405(client: TestClient) -> None:
    response = client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unexpected_errors_say_nothing_of_their_cause(app: FastAPI, caplog: Any) -> None:
    @app.get("/api/test/boom")
    def boom() -> None:
        raise RuntimeError("internal detail: /srv/cts/secret-path")

    @app.get("/api/test/keystore")
    def keystore() -> None:
        raise KeyDecryptionError("the key record of 0xABC does not decrypt")

    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/test/boom", "/api/test/keystore"):
            response = client.get(path)
            assert response.status_code == 500
            assert response.json()["detail"] == "Something went wrong on our side. Please try again later."
            assert "secret-path" not in response.text
            assert "0xABC" not in response.text
            assert "Traceback" not in response.text
    assert "secret-path" in caplog.text  # the operator's log has the cause
    assert "0xABC" in caplog.text
