"""InsightEngine, the test stand-in: a small real application for the app
layer's scenario. It reads its configuration from the environment and its
secrets from files (SECRETS_DIR), talks to PostgreSQL over TLS (its own
wire-protocol client: SSLRequest, SCRAM-SHA-256, simple queries; nothing
but Python's standard library), signs and checks HS256 tokens with the JWT
secret, takes the API key on /login and sets its session cookie Secure only
when COOKIE_SECURE is true.

    GET  /health   200 when the configuration is loaded and the database answers
    GET  /db       what the server says about this connection (TLS, version, user)
    POST /login    X-API-Key: the key -> a token, and the session cookie
    GET  /whoami   Authorization: Bearer TOKEN -> 200, or 401
    GET  /config   the configuration it holds, secrets redacted
    python3 app.py --health   the container's health check
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import socket
import ssl
import struct
import sys
import time
import urllib.request

ENV = os.environ
PORT = int(ENV.get("APP_PORT", "8080"))
SECRETS_DIR = ENV.get("SECRETS_DIR", "/run/secrets")


def secret(name: str) -> str:
    with open(os.path.join(SECRETS_DIR, name), encoding="utf-8") as handle:
        return handle.read().strip()


# -- PostgreSQL over TLS -----------------------------------------------------------


class PgError(Exception):
    pass


class Pg:
    def __init__(self, host: str, port: int, dbname: str, user: str, password: str, sslmode: str, rootcert: str = ""):
        raw = socket.create_connection((host, port), timeout=5)
        raw.sendall(struct.pack("!ii", 8, 80877103))  # SSLRequest
        if raw.recv(1) != b"S":
            raw.close()
            raise PgError("the server refused TLS")
        context = ssl.create_default_context(cafile=rootcert or None)
        if sslmode == "require":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif sslmode == "verify-ca":
            context.check_hostname = False
        self.sock = context.wrap_socket(raw, server_hostname=host)
        body = b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in (("user", user), ("database", dbname))) + b"\0"
        self.sock.sendall(struct.pack("!ii", len(body) + 8, 196608) + body)
        self._authenticate(user, password)

    def _read(self) -> tuple[bytes, bytes]:
        head = self._exactly(5)
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        return kind, self._exactly(length - 4)

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise PgError("the server closed the connection")
            data += chunk
        return data

    def _send(self, kind: bytes, body: bytes) -> None:
        self.sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)

    @staticmethod
    def _error(body: bytes) -> str:
        fields = {f[:1]: f[1:].decode(errors="replace") for f in body.split(b"\0") if f}
        return f"{fields.get(b'C', '?')}: {fields.get(b'M', '?')}"

    def _authenticate(self, user: str, password: str) -> None:
        nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        first_bare = f"n=,r={nonce}"
        while True:
            kind, body = self._read()
            if kind == b"E":
                raise PgError(self._error(body))
            if kind == b"Z":
                return
            if kind != b"R":
                continue
            code = struct.unpack("!i", body[:4])[0]
            if code == 10:  # SASL: the mechanisms
                if b"SCRAM-SHA-256" not in body:
                    raise PgError("the server offers no SCRAM-SHA-256")
                first = ("n,," + first_bare).encode()
                self._send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first)
            elif code == 11:  # SASLContinue: r=,s=,i=
                server_first = body[4:].decode()
                attrs = dict(part.split("=", 1) for part in server_first.split(","))
                salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
                client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
                stored = hashlib.sha256(client_key).digest()
                without_proof = f"c=biws,r={attrs['r']}"
                message = f"{first_bare},{server_first},{without_proof}".encode()
                signature = hmac.new(stored, message, hashlib.sha256).digest()
                proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
                self._send(b"p", f"{without_proof},p={proof}".encode())
            elif code not in (0, 12):
                raise PgError(f"unsupported authentication request {code}")

    def query(self, sql: str) -> list[list[str | None]]:
        self._send(b"Q", sql.encode() + b"\0")
        rows, error = [], None
        while True:
            kind, body = self._read()
            if kind == b"D":
                count, offset, row = struct.unpack("!h", body[:2])[0], 2, []
                for _column in range(count):
                    size = struct.unpack("!i", body[offset : offset + 4])[0]
                    offset += 4
                    row.append(None if size < 0 else body[offset : offset + size].decode())
                    offset += max(size, 0)
                rows.append(row)
            elif kind == b"E":
                error = self._error(body)
            elif kind == b"Z":
                if error:
                    raise PgError(error)
                return rows

    def close(self) -> None:
        try:
            self._send(b"X", b"")
        finally:
            self.sock.close()


def database() -> dict[str, str | None]:
    if not ENV.get("DB_HOST"):
        return {"configured": False}
    conn = Pg(ENV["DB_HOST"], int(ENV.get("DB_PORT", "5432")), ENV["DB_NAME"], ENV["DB_USER"], secret("db_password"),
              ENV.get("DB_SSLMODE", "require"), ENV.get("DB_SSLROOTCERT", ""))  # fmt: skip
    try:
        row = conn.query("SELECT s.ssl::text, s.version, current_user FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()")[0]
    finally:
        conn.close()
    return {"configured": True, "ssl": row[0], "version": row[1], "user": row[2]}


# -- tokens ------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(claims: dict, key: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    return head + "." + _b64(hmac.new(key.encode(), head.encode(), hashlib.sha256).digest())


def check(token: str, key: str) -> dict | None:
    try:
        head, payload, signature = token.split(".")
        wanted = _b64(hmac.new(key.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(wanted, signature):
            return None
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    return claims if claims.get("exp", 0) > time.time() else None


# -- HTTP --------------------------------------------------------------------------

CONFIG_NAMES = ("APP_ENV", "SSL_ENABLED", "COOKIE_SECURE", "DEBUG", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_SSLMODE")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "InsightEngine/test"

    def reply(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        try:
            if self.path == "/health":
                db = database()
                self.reply(200, {"status": "ok", "database": db.get("ssl") == "true" or not db["configured"]})
            elif self.path == "/db":
                self.reply(200, database())
            elif self.path == "/whoami":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                claims = check(token, secret("jwt_secret"))
                self.reply(200 if claims else 401, claims or {"error": "invalid token"})
            elif self.path == "/config":
                self.reply(200, {name: ENV.get(name) for name in CONFIG_NAMES} | {"secrets": sorted(os.listdir(SECRETS_DIR))})
            else:
                self.reply(404, {"error": "not found"})
        except (OSError, PgError) as exc:
            self.reply(503, {"error": str(exc)})

    def do_POST(self) -> None:
        if self.path != "/login":
            self.reply(404, {"error": "not found"})
            return
        if not hmac.compare_digest(self.headers.get("X-API-Key", ""), secret("api_key")):
            self.reply(401, {"error": "invalid API key"})
            return
        token = sign({"sub": "operator", "exp": int(time.time()) + 3600}, secret("jwt_secret"))
        cookie = f"session={token}; Path=/; HttpOnly; SameSite=Strict"
        if ENV.get("COOKIE_SECURE", "").lower() == "true":
            cookie += "; Secure"
        self.reply(200, {"token": token}, {"Set-Cookie": cookie})

    def log_message(self, fmt: str, *args) -> None:
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")


def main() -> int:
    if "--health" in sys.argv:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=4) as response:
                return 0 if json.loads(response.read()).get("database") else 1
        except OSError:
            return 1
    for name in ("jwt_secret", "api_key"):
        secret(name)  # fail at start, not at the first request
    http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()  # noqa: S104 - inside its container
    return 0


if __name__ == "__main__":
    sys.exit(main())
