"""Real servers on loopback ports for the messaging tests: an SMTP server (aiosmtpd) that
keeps what it receives, and an HTTP server that plays Twilio's Messages API."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpHandler:
    """aiosmtpd handler: keeps each message; refuses the recipients in ``refuse``."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int = 1, seconds: float = 5.0):
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a loopback port, and the settings that send through it."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every command at INFO, recipients' addresses included.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Test Clinic <clinic@example.org>"
    yield handler
    controller.stop()


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ---------------------------------------------------------------------------------------------
# Twilio


class FakeTwilio:
    """What the fake Twilio received, and how it answers each 'To' number."""

    def __init__(self):
        self.requests: list[dict] = []
        # To number -> (status, JSON body) or "hang" (answers after the client gave up).
        self.answers: dict[str, object] = {}

    def answer(self, to: str):
        default = (201, {"sid": f"SM{len(self.requests):032d}", "status": "queued"})
        return self.answers.get(to, default)


def _handler_for(fake: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            fake.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "fields": fields}
            )
            answer = fake.answer(fields.get("To", ""))
            if answer == "hang":
                time.sleep(2.5)
                answer = (201, {"sid": "SMlate", "status": "queued"})
            status, body = answer
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (the time-out test)
                self.wfile.write(raw)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def fake_twilio(settings):
    """A local HTTP server playing Twilio's Messages API, and the settings that use it."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "screening.sms.TwilioBackend"
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TWILIO_ACCOUNT_SID = "ACtest0000000000000000000000000000"
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM = "+447700900000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    # Long enough that a test process busy elsewhere never reads as a service that did not
    # answer; a test of the time-out itself sets 1 second (the fake then answers after 2.5).
    settings.SMS_TIMEOUT = 5
    yield fake
    server.shutdown()
    server.server_close()
