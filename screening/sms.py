"""Text messages: a small backend interface chosen by ``settings.SMS_BACKEND`` (a dotted path).

- ``ConsoleBackend`` (development): writes each message, its link included, to the server's
  standard output, as Django's console e-mail backend does. That is not the log (whose lines
  never hold a link); the settings refuse it with ``DJANGO_DEBUG=0``.
- ``TwilioBackend``: Twilio's Programmable Messaging REST API, called with the standard library.
  ``TWILIO_API_BASE`` points it elsewhere (the tests run a local server that plays Twilio).
- ``DisabledBackend`` (the production default until a provider is set up): refuses every message,
  so the desk is told text messages are not set up instead of a message vanishing.
- ``LocmemBackend`` (tests): keeps messages in ``outbox``.

A backend's ``send(to, body)`` returns the provider's id for the message or raises ``SmsError``
whose text is plain words for the front desk (never the provider's own text, which can quote
the number).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A message that was not accepted; ``str()`` is fit to show to staff."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code  # the provider's error code, for the log and the audit trail


class InvalidNumber(ValueError):
    """A mobile number that cannot be written in the international format."""


_SEPARATORS = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"\+[1-9]\d{7,14}")


def normalise_mobile(raw: str, country_code: int | None = None) -> str:
    """``raw`` in the international (E.164) format the providers take: ``+447700900123``.

    A number typed with its country code (``+44 7700 900123``, ``0044 7700 900123``) keeps it;
    a national one (``07700 900123``) gets the clinic's (``SMS_COUNTRY_CODE``) in place of its
    leading 0. Raises ``InvalidNumber`` for anything else.
    """
    code = country_code or settings.SMS_COUNTRY_CODE
    number = _SEPARATORS.sub("", raw or "")
    if number.startswith("00"):
        number = "+" + number[2:]
    elif number.startswith("0"):
        number = f"+{code}{number[1:]}"
    elif number and not number.startswith("+"):
        raise InvalidNumber(raw)
    if not _E164.fullmatch(number):
        raise InvalidNumber(raw)
    return number


# GSM 03.38: the characters a single text message carries at 7 bits each (160 per message);
# the extension table's cost two. Anything else makes the whole message UCS-2 (70 per message).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(text: str) -> tuple[int, int, str]:
    """(characters as the network counts them, messages it takes, encoding) for ``text``."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM"
    else:
        # UCS-2 counts UTF-16 code units: an emoji is two.
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "Unicode"
    count = 1 if units <= single else -(-units // multi)
    return units, count, encoding


# Twilio's longest message body, in characters.
MAX_BODY = 1600


class BaseBackend:
    configured = True

    def send(self, to: str, body: str) -> str:
        raise NotImplementedError


class DisabledBackend(BaseBackend):
    configured = False

    def send(self, to: str, body: str) -> str:
        raise SmsError(
            "Text messages are not set up for this clinic (ask the clinic admin: SMS_BACKEND)."
        )


class ConsoleBackend(BaseBackend):
    """Development: the message on the server's standard output (not the log)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, to: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        self.stream.write(f"--- text message {message_id} to {to}\n{body}\n---\n")
        self.stream.flush()
        return message_id


outbox: list[dict] = []
_outbox_lock = threading.Lock()


class LocmemBackend(BaseBackend):
    """Tests: messages are appended to ``screening.sms.outbox``."""

    def send(self, to: str, body: str) -> str:
        message_id = f"locmem-{uuid.uuid4().hex[:12]}"
        with _outbox_lock:
            outbox.append({"to": to, "body": body, "id": message_id})
        return message_id


# Twilio's error codes (https://www.twilio.com/docs/api/errors) in the desk's words.
TWILIO_ERRORS = {
    "21211": "The mobile number is not a valid phone number.",
    "21614": "The number is not a mobile number that can receive text messages.",
    "21407": "The number cannot receive text messages.",
    "21610": "The patient has stopped text messages from the clinic (they replied STOP).",
    "21408": "Text messages to this country are not enabled for the clinic's account.",
    "21612": "Text messages cannot be sent to this number from the clinic's number.",
    "21608": "The clinic's trial account can only send to numbers it has verified.",
    "14111": "The clinic's trial account can only send to numbers it has verified.",
    "21606": "The clinic's sending number cannot send text messages (ask the clinic admin).",
    "21659": "The clinic's sending number is not set up correctly (ask the clinic admin).",
    "21212": "The clinic's sending number is not valid (ask the clinic admin).",
    "21617": "The message is too long.",
    "20003": (
        "The text message service refused the clinic's credentials "
        "(ask the clinic admin to check the Twilio settings)."
    ),
    "20429": "The text message service is busy; try again in a minute.",
}


class TwilioBackend(BaseBackend):
    """Twilio's Messages resource: ``POST /2010-04-01/Accounts/{sid}/Messages.json``."""

    def send(self, to: str, body: str) -> str:
        sid = settings.TWILIO_ACCOUNT_SID
        account = urllib.parse.quote(sid)
        url = f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{account}/Messages.json"
        fields = {"To": to, "Body": body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            fields["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            fields["From"] = settings.TWILIO_FROM
        credentials = base64.b64encode(f"{sid}:{settings.TWILIO_AUTH_TOKEN}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the configured https base
            url,
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, _read(exc)
        except TimeoutError:
            raise SmsError(
                "The text message service did not answer in time; try again.", code="timeout"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SmsError(
                    "The text message service did not answer in time; try again.", code="timeout"
                ) from None
            raise SmsError(
                "The text message service could not be reached; try again in a few minutes.",
                code="unreachable",
            ) from None
        except OSError:
            raise SmsError(
                "The text message service could not be reached; try again in a few minutes.",
                code="unreachable",
            ) from None
        data = _json(raw)
        if status in (200, 201):
            if data.get("status") in ("failed", "undelivered"):
                code = str(data.get("error_code") or "")
                raise SmsError(_twilio_words(code, status), code=code or "failed")
            if not data.get("sid"):
                raise SmsError(
                    "The text message service gave an answer the app does not understand.",
                    code="bad_answer",
                )
            return str(data["sid"])[:200]
        code = str(data.get("code") or "")
        raise SmsError(_twilio_words(code, status), code=code or f"http_{status}")


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, ValueError):
        return b""


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _twilio_words(code: str, status: int) -> str:
    if code in TWILIO_ERRORS:
        return TWILIO_ERRORS[code]
    if status == 401:
        return TWILIO_ERRORS["20003"]
    if status == 429:
        return TWILIO_ERRORS["20429"]
    if status >= 500:
        return "The text message service had a problem; try again in a few minutes."
    if code:
        return f"The text message service refused the message (error {code})."
    return f"The text message service refused the message (status {status})."


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def is_configured() -> bool:
    return bool(getattr(import_string(settings.SMS_BACKEND), "configured", True))
