"""Secrets in other forms are masked too: any case, base64 (standard and URL-safe, at any offset
inside a longer base64 string), percent-encoded, and any run of 12+ characters of any of those.
A short bearer token is refused before the server starts (``secrets_policy``).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from cal_mcp.app import CalMcpApp
from cal_mcp.config import Settings
from cal_mcp.logs import MASK, mask_text, redact
from cal_mcp.registry import load_registry
from cal_mcp.secrets_policy import MIN_AUTH_TOKEN_LENGTH, check_auth_token
from tests.fake_upstream import Dynamic, FakeUpstream, Recorded, Reply, json_reply

API_KEY = "cal_live_f0rms_SECRET_7a6b5c4d3e2f1a0b"
OAUTH_SECRET = "oauth_F0RMS_secret_0a9b8c7d6e5f"
AUTH_TOKEN = "mcp_F0RMS_token_1234abcd5678efgh9012ijkl"
SECRETS = (API_KEY, OAUTH_SECRET, AUTH_TOKEN)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORMS: dict[str, Callable[[str], str]] = {
    "plain": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
    "swapped-case": str.swapcase,
    "base64": b64,
    "base64-url-safe": b64url,
    "base64-basic-auth": lambda s: b64(f"user:{s}"),  # the secret at an offset inside base64
    "base64-offset-2": lambda s: b64(f"ab{s}xyz"),
    "percent-encoded": lambda s: quote(f"k={s}&/", safe=""),
    "percent-encoded-twice": lambda s: quote(quote(s + "/", safe=""), safe=""),
    "form-encoded": lambda s: quote_plus(f"{s} tail"),
    "first-12": lambda s: s[:12],
    "last-12": lambda s: s[-12:],
    "middle-15": lambda s: s[5:20],
    "middle-12-upper": lambda s: s[8:20].upper(),
    "base64-of-a-part": lambda s: b64(s[3:30]),
}


def leaked(text: str, secret: str) -> bool:
    """Whether ``text`` still shows the secret, or 12+ of its characters, in any of the forms above."""
    forms = {form(secret) for form in FORMS.values()} | {secret}
    low = text.lower()
    for form in forms:
        f = form.lower()
        for i in range(max(1, len(f) - 11)):
            if f[i: i + 12] in low and len(f[i: i + 12]) == 12:
                return True
    return False


@pytest.mark.parametrize("secret", SECRETS, ids=["api-key", "oauth-secret", "bearer-token"])
@pytest.mark.parametrize("form", list(FORMS))
def test_a_secret_in_another_form_is_masked(form: str, secret: str) -> None:
    shown = FORMS[form](secret)
    text = f"upstream said: <{shown}> (end)"
    masked = mask_text(text, SECRETS)
    assert MASK in masked
    assert shown not in masked
    if form not in ("first-12", "last-12", "middle-15", "middle-12-upper"):
        assert not leaked(masked, secret), masked
    assert masked.startswith("upstream said: <") and masked.endswith("> (end)")


def test_ordinary_text_is_left_alone() -> None:
    text = "Meeting with Ada at 10:00 about cal_live keys and SECRET plans; base64 aGVsbG8gd29ybGQ= is fine."
    assert mask_text(text, SECRETS) == text


def test_eleven_characters_of_a_secret_are_not_a_match() -> None:
    part = API_KEY[4:15]
    assert mask_text(f"x{part}y", SECRETS) == f"x{part}y"


def test_a_secret_shorter_than_four_characters_is_masked_exactly() -> None:
    assert redact({"a": "xyz abc"}, ("xy",)) == {"a": f"{MASK}z abc"}


def test_redact_masks_encoded_forms_in_keys_and_values() -> None:
    value = {b64(API_KEY): [API_KEY.upper(), quote(OAUTH_SECRET + "/", safe="")], "ok": "fine"}
    out = redact(value, SECRETS)
    assert out["ok"] == "fine"
    assert not any(leaked(json.dumps(out), s) for s in SECRETS)


def test_log_lines_mask_encoded_forms(caplog: pytest.LogCaptureFixture) -> None:
    from cal_mcp.logs import mask_secrets_in_logs

    mask_secrets_in_logs(SECRETS)
    caplog.set_level(logging.INFO)
    logging.getLogger("cal_mcp.test").info("auth header %s and %s", f"Basic {b64('u:' + API_KEY)}",
                                           AUTH_TOKEN.upper())
    assert not any(leaked(caplog.text, s) for s in SECRETS)
    assert "auth header Basic" in caplog.text


def echo_forms() -> Reply:
    def make(request: Recorded) -> Reply:
        key = request.headers["authorization"].removeprefix("Bearer ")
        return json_reply(200, {"status": "success", "data": {
            "b64": b64(key), "upper": key.upper(), "url": quote(key + "&", safe=""), "part": key[2:16],
            "basic": "Basic " + b64(f"me:{key}"), "id": 7}})

    return Dynamic(make)


@pytest.fixture
def cal() -> Iterator[FakeUpstream]:
    with FakeUpstream() as upstream:
        upstream.program(echo_forms(), method="GET", path="/v2/me")
        yield upstream


async def test_an_upstream_echoing_the_key_in_other_forms_does_not_leak_it_into_the_result(cal: FakeUpstream) -> None:
    app = CalMcpApp(Settings(api_key=API_KEY, base_url=cal.url, rate_limit_per_minute=0, sandbox=False),
                    load_registry())
    try:
        result = await app.call_tool("CAL_RETRIEVE_MY_INFORMATION", {})
    finally:
        await app.aclose()
    text = json.dumps(result.model_dump(mode="json"))
    assert not result.is_error
    assert not leaked(text, API_KEY), text
    assert result.structured_content["data"]["id"] == 7  # type: ignore[index]


@pytest.mark.parametrize("length", [1, 8, 31])
def test_a_bearer_token_shorter_than_32_characters_is_refused_without_quoting_it(length: int) -> None:
    token = "t0kEn" * 10
    with pytest.raises(ValueError, match="at least 32") as error:
        check_auth_token(token[:length])
    assert token[:length] not in str(error.value) or length < 4


def test_a_long_enough_or_unset_bearer_token_is_accepted() -> None:
    assert MIN_AUTH_TOKEN_LENGTH == 32
    assert check_auth_token(None) is None
    assert check_auth_token("x" * 32) == "x" * 32


def test_a_run_a_secret_shares_with_the_public_client_id_is_not_masked() -> None:
    from cal_mcp.logs import SecretMatcher

    matcher = SecretMatcher(("sandbox-oauth-secret",), public=("sandbox-oauth-client",))
    assert matcher.mask("sam+sandbox-oauth-client@example.com") == "sam+sandbox-oauth-client@example.com"
    assert matcher.mask("key sandbox-oauth-secret") == f"key {MASK}"
    assert matcher.mask("part: x-oauth-secret") == f"part: {MASK}"


def test_the_server_refuses_to_start_with_a_short_bearer_token() -> None:
    from pydantic import ValidationError

    from cal_mcp.config import Settings

    with pytest.raises(ValidationError, match="at least 32"):
        Settings(auth_token="short-token")
    assert Settings(auth_token="x" * 32).auth_token is not None
