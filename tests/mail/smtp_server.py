"""A real SMTP server for the mail tests (tests/e2e/mail.rs), on aiosmtpd's Controller.

Every accepted message is stored as one JSON file in --dir: the envelope, the login the
client authenticated with, the headers, and the text and HTML parts as Python's own MIME
parser decodes them, so the tests check what a mail reader would show.

Recipients whose local part starts with `tempfail` are answered `451` (try again later) the
first --tempfail-times times they are tried, then accepted; those starting with `reject` are
answered `550` (no such mailbox) the first --reject-times times, or always (the default).
With --auth-user and --auth-password the server requires AUTH (PLAIN or LOGIN, over plain
text: the tests run on 127.0.0.1) and refuses mail without it.

It prints `LISTENING <port>` once it accepts connections and runs until standard input
closes or it is killed. Run with aiosmtpd installed (./dev setup puts it in
target/tools/aiosmtpd).
"""

import argparse
import email
import email.policy
import json
import os
import socket
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    """Answers recipients and writes each accepted message to a file."""

    def __init__(self, directory, tempfail_times, reject_times):
        self.directory = directory
        self.tempfail_times = tempfail_times
        self.reject_times = reject_times
        self.tries = {}
        self.lock = threading.Lock()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        with self.lock:
            self.tries[address] = self.tries.get(address, 0) + 1
            tries = self.tries[address]
        if local.startswith("reject") and (self.reject_times < 0 or tries <= self.reject_times):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        if local.startswith("tempfail") and tries <= self.tempfail_times:
            return "451 4.3.0 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": login,
            "headers": {key.lower(): str(value) for key, value in message.items()},
            "content_type": message.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        with self.lock:
            self.count += 1
            name = "%d-%06d.json" % (os.getpid(), self.count)
        path = os.path.join(self.directory, name)
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False, indent=1)
        # Renamed into place whole, so a test never reads half a file.
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd answers 535 itself when the login is wrong.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="where accepted messages are stored")
    parser.add_argument("--tempfail-times", type=int, default=1)
    parser.add_argument(
        "--reject-times", type=int, default=-1, help="refuse `reject…` this often (-1: always)"
    )
    parser.add_argument("--auth-user")
    parser.add_argument("--auth-password")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    options = {}
    if args.auth_user is not None:
        # aiosmtpd warns about AUTH without TLS; on 127.0.0.1 for tests that is the point.
        warnings.simplefilter("ignore")
        options = {
            "authenticator": authenticator(args.auth_user, args.auth_password or ""),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(
        Store(args.dir, args.tempfail_times, args.reject_times),
        hostname="127.0.0.1",
        port=free_port(),
        **options,
    )
    controller.start()
    print("LISTENING %d" % controller.port, flush=True)
    try:
        # Until the test closes our standard input (or kills us).
        while sys.stdin.read(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
        time.sleep(0.05)


if __name__ == "__main__":
    main()
