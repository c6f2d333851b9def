"""Secret references resolve from env/keyring; every key family is redacted from any text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import keyring
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from keyring.backend import KeyringBackend

from stratus_commander.secrets import (
    RedactingFilter,
    is_secret_ref,
    looks_like_secret,
    redact,
    register_secret,
    resolve_secret,
)

# --- resolution -----------------------------------------------------------------------------------


def test_env_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_KEY", "sk_test_abcdefghij0123456789")
    assert resolve_secret("env:STRIPE_KEY") == "sk_test_abcdefghij0123456789"
    monkeypatch.setenv("STRIPE_KEY", "")
    assert resolve_secret("env:STRIPE_KEY") is None  # empty counts as not set
    monkeypatch.delenv("STRIPE_KEY")
    assert resolve_secret("env:STRIPE_KEY") is None


def test_resolved_values_are_redacted_literally_from_then_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "correct-horse-battery-staple")
    assert resolve_secret("env:DB_PASSWORD") == "correct-horse-battery-staple"
    assert redact("login failed for correct-horse-battery-staple!") == (
        "login failed for [REDACTED]!"
    )


def test_a_literal_value_is_returned_as_is_and_registered() -> None:
    assert resolve_secret("plain-literal-token-42") == "plain-literal-token-42"
    assert "plain-literal-token-42" not in redact("token plain-literal-token-42")


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_keyring_reference(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password("stratus-commander", "uptimerobot", "u7654321-abcdef0123456789abcd")
    assert resolve_secret("keyring:stratus-commander/uptimerobot") == (
        "u7654321-abcdef0123456789abcd"
    )
    assert resolve_secret("keyring:stratus-commander/stripe") is None
    # The service may itself contain slashes: the name is after the last one.
    memory_keyring.set_password("org/stratus", "pg", "pg-password-value")
    assert resolve_secret("keyring:org/stratus/pg") == "pg-password-value"


def test_unavailable_keyring_reads_as_not_set(caplog: pytest.LogCaptureFixture) -> None:
    # tests/conftest.py selects keyring's "fail" backend: no OS keychain is reachable.
    with caplog.at_level(logging.WARNING):
        assert resolve_secret("keyring:stratus-commander/stripe") is None
    assert "keyring:stratus-commander/stripe unavailable" in caplog.text


def test_malformed_keyring_reference_is_none() -> None:
    assert resolve_secret("keyring:no-slash") is None


def test_is_secret_ref() -> None:
    assert is_secret_ref("env:X") and is_secret_ref("keyring:a/b")
    assert not is_secret_ref("sk_live_abc") and not is_secret_ref("environment")


# --- redaction ------------------------------------------------------------------------------------

FAMILIES = [
    ("sk_live_51HxYzAbCdEfGhIjKlMnOpQr", "sk_live_"),
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_"),
    ("rk_live_51HxYzAbCdEfGhIjKlMnOpQr", "rk_live_"),
    ("rk_test_51HxYzAbCdEfGhIjKlMnOpQr", "rk_test_"),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_"),
    ("sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz", "sb_secret_"),
    ("sbp_0102030405060708091011121314151617181920", "sbp_"),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0."
        "M9bZ8mJfQ2bXK0WJz0N4sQvB2a3cD4eF5gH6iJ7kL8m",
        "eyJ",
    ),
    ("u1234567-0123456789abcdef01234567", "u"),
    ("m776418150-c6e9f1d5d4c9a3a1e7c5f5b9", "m"),
    ("ur1234567-0123456789abcdef01234567", "ur"),
]


@pytest.mark.parametrize(("secret", "prefix"), FAMILIES)
@pytest.mark.parametrize(
    "template",
    [
        "{}",
        "key={}",
        'curl -d "api_key={}&format=json"',
        '{{"error": {{"passed_value": "{}"}}}}',
        "first line\nAuthorization: {} (trailing)",
        "my_{}",
    ],
)
def test_each_key_family_is_redacted_anywhere(secret: str, prefix: str, template: str) -> None:
    text = template.format(secret)
    cleaned = redact(text)
    assert secret not in cleaned
    assert secret[len(prefix) + 4 :] not in cleaned  # no tail of it either
    assert f"{prefix}[REDACTED]" in cleaned
    assert looks_like_secret(text)


def test_bearer_tokens_and_url_passwords_are_redacted() -> None:
    assert redact("Authorization: Bearer abc.def-ghi_jkl012345") == (
        "Authorization: Bearer [REDACTED]"
    )
    assert redact("postgresql://postgres:s3cr3t-pw@db.example.test:5432/app") == (
        "postgresql://postgres:[REDACTED]@db.example.test:5432/app"
    )


@pytest.mark.parametrize(
    "text",
    [
        "HTTP 200 in 12 ms",
        "task_live_update finished",
        "sk_live_ (empty)",
        "pk_live_51HxYzAbCdEfGhIjKlMnOpQr is publishable",
        "request 123e4567-e89b-12d3-a456-426614174000",
        "m1 up, u2 down",
        "https://status.stripe.com/current",
        "http://127.0.0.1:8080/api/health",
        "2026-11-27T10:51:44.123Z",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
    assert not looks_like_secret(text)


def test_register_secret_redacts_a_literal_but_not_short_words() -> None:
    register_secret("hunter2-but-longer")
    register_secret("abc")  # too short to redact blindly
    assert redact("pw hunter2-but-longer, abc") == "pw [REDACTED], abc"


def test_redacting_log_filter(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter())
    logger = logging.getLogger("stratus_commander.test")
    with caplog.at_level(logging.INFO):
        logger.info("calling Stripe with %s", "sk_live_51HxYzAbCdEfGhIjKlMnOpQr")
    assert "sk_live_51Hx" not in caplog.text
    assert "calling Stripe with sk_live_[REDACTED]" in caplog.text


def test_a_registered_key_of_a_known_family_keeps_its_prefix() -> None:
    # Registration is process-wide; a drill run registers its keys before other tests redact.
    key = "u7654321-fedcba9876543210fedcba98"
    register_secret(key)
    assert redact(f"api_key={key}") == "api_key=u[REDACTED]"


# --- encoded, cut and contextual secrets ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A redirect's Location and a logged URL carry keys percent-encoded.
        (
            "Location: /cb?next=%2Fx%3Fapi_key%3Du1234567-0123456789abcdef01234567%26a%3D1",
            "Location: /cb?next=%2Fx%3Fapi_key%3Du[REDACTED]%26a%3D1",
        ),
        ("key%3Dsk_live_51HxYzAbCdEfGhIjKlMnOpQr", "key%3Dsk_live_[REDACTED]"),
        ("GET /v2/x?api_key=abcdef0123&format=json", "GET /v2/x?api_key=[REDACTED]&format=json"),
        ("GET /hook?token=tok-3f9a8b7c6d", "GET /hook?token=[REDACTED]"),
        ("GET /hook%3Ftoken%3Dtok-3f9a8b7c6d", "GET /hook%3Ftoken%3D[REDACTED]"),
        ("host=db user=app password=s3cr3t-pw", "host=db user=app password=[REDACTED]"),
        ("Authorization: Basic YXBwOnMzY3IzdC1wdw==", "Authorization: Basic [REDACTED]"),
        ('{"authorization": "Token abcdefgh1234"}', '{"authorization": "Token [REDACTED]"}'),
        ("api_key=sk_live_51HxYzAbCdEfGhIjKlMnOpQr", "api_key=sk_live_[REDACTED]"),
    ],
)
def test_encoded_and_contextual_secrets(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["basic authentication failed", "the token was refused", "50% of requests, 20% slow", "a=b"],
)
def test_contexts_without_a_secret_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_registered_literal_is_redacted_inside_json_too() -> None:
    value = 'pa"ss\\word-42'
    register_secret(value)
    document = json.dumps({"note": f"login {value} failed"})
    assert "word-42" not in redact(document)
    assert json.loads(redact(document)) == {"note": "login [REDACTED] failed"}


_PIECES = st.sampled_from(
    [
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "u1234567-0123456789abcdef01234567",
        "postgresql://app:pw-123@db/x",
        "http://u:",
        "p@h",
        "Bearer abcdefghijklmnop",
        "api_key=",
        "token=abc%3Ddef12",
        "%3D",
        "%",
        '"',
        "\\",
        " ",
        "\n",
        "é",
        "x",
    ]
)
_TEXTS = st.lists(_PIECES | st.text(max_size=8), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_redacting_twice_changes_nothing_more(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXTS, max_size=4))
@example(["api_key=\nu1234567-0123456789abcdef01234567token=abc%3Ddef12"])  # found by hypothesis
def test_redacting_json_keeps_it_valid_and_leaves_redacted_values_alone(values: list[str]) -> None:
    """What lets exports redact their JSON text, and the store redact a document's strings
    before it serialises them, without breaking the document or its hash."""
    clean = json.dumps([redact(v) for v in values], ensure_ascii=False)
    assert redact(clean) == clean
    json.loads(redact(json.dumps(values, ensure_ascii=False)))  # still JSON
